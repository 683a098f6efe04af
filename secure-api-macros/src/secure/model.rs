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
}

/// A handler that can be rewritten: an `async fn` without receiver, with its checked policy.
pub(crate) struct Handler {
    pub(crate) function: ItemFn,
    pub(crate) policy: Policy,
}
