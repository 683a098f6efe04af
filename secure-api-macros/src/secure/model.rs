//! The checked model of a `#[secure]` handler: what expansion may rely on.

use syn::ItemFn;

/// Who may call the route.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Public,
    Authenticated,
}

/// The declared policy, checked.
pub(crate) struct Policy {
    pub(crate) access: Access,
    /// Whether the options were valid. When not, `access` is a stand-in that lets the handler
    /// expand (so the router adds no error of its own) and checks that depend on it are skipped.
    pub(crate) settled: bool,
}

/// A handler that can be rewritten: an `async fn` without receiver, with its checked policy.
pub(crate) struct Handler {
    pub(crate) function: ItemFn,
    pub(crate) policy: Policy,
}
