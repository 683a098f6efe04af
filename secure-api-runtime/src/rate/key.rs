//! Who a request is counted as, and what a shared store says when it cannot decide.

use std::net::IpAddr;

/// Who a request is counted as.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ClientKey<'a> {
    /// The client's address (IPv6 by its /64).
    Ip(IpAddr),
    /// The verified user.
    User(&'a str),
    /// An account named in the body, by its keyed hash.
    Account(&'a super::AccountKey),
}

/// A shared store could not decide.
pub(crate) struct Unavailable {
    pub(crate) reason: String,
    /// The store's choice: let the request through (`true`) or refuse it.
    pub(crate) fail_open: bool,
}
