//! Who a request is counted as, and what a shared store says when it cannot decide.

use std::net::IpAddr;

/// Who a request is counted as.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ClientKey<'a> {
    /// The client's address (IPv6 by its /64).
    Ip(IpAddr),
    /// The verified user.
    User(&'a str),
    /// The id of the API key a request was made with.
    ApiKey(&'a str),
    /// An account named in the body, by its keyed hash.
    Account(&'a super::AccountKey),
}

/// A shared store could not decide.
pub(crate) struct Unavailable {
    pub(crate) reason: String,
    /// The store's choice: let the request through (`true`) or refuse it.
    pub(crate) fail_open: bool,
}

/// The bytes an API key's id is counted under in memory: behind a byte no UTF-8 text starts
/// with, so that no user id (text) shares a count with a key id on a route counting both.
pub(crate) fn api_key_key(id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + id.len());
    key.push(0xff);
    key.extend_from_slice(id.as_bytes());
    key
}
