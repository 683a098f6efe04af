//! The checked model of a `#[secure]` handler: what expansion may rely on.

use proc_macro2::Span;
use syn::{ItemFn, Type};

// Who may call the route, how it answers for another's resource, what its limit counts by:
// the runtime's own types, from the file both crates compile.
pub(crate) use crate::kinds::{Access, DenyAs, RateKey, Schemes};

/// Roles or scopes, as declared: `"a"`, `any("a", "b")` or `all("a", "b")`.
pub(crate) enum Requirement {
    Any(Vec<String>),
    All(Vec<String>),
}

/// A resource field named in the attribute, with the span of its string for error messages.
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) span: Span,
}

/// `rate = "5/15m"`, with `key = ...` and `rate_message = ...`, checked.
pub(crate) struct Rate {
    pub(crate) count: u32,
    pub(crate) period_secs: u64,
    /// `None`: the default, by user on `auth` routes and by address on `public` ones.
    pub(crate) key: Option<RateKey>,
    pub(crate) message: Option<String>,
}

/// `account_rate = "10/15m", account_key = "email"`: a limit by a field of the validated body.
pub(crate) struct AccountRate {
    pub(crate) count: u32,
    pub(crate) period_secs: u64,
    pub(crate) field: Field,
}

/// The declared policy, checked.
pub(crate) struct Policy {
    pub(crate) access: Access,
    /// `auth = "bearer"`, `auth = any("bearer", "api_key")`: the schemes' bits; `None`, every
    /// scheme the app configured.
    pub(crate) schemes: Option<u8>,
    pub(crate) roles: Option<Requirement>,
    pub(crate) scopes: Option<Requirement>,
    pub(crate) owner: Option<Field>,
    pub(crate) read_rule: Option<Field>,
    pub(crate) deny: Option<DenyAs>,
    /// `raw_response`: the response is sent unchecked, and the inventory says so.
    pub(crate) raw_response: bool,
    /// `raw_body`: the handler takes the body as it came and checks it itself, on the record.
    pub(crate) raw_body: bool,
    pub(crate) rate: Option<Rate>,
    pub(crate) account: Option<AccountRate>,
    /// `rate_name = "login"`: the routes of one name share their budgets.
    pub(crate) rate_name: Option<String>,
    /// Whether the options were valid. When not, the policy is a stand-in that lets the handler
    /// expand (so the router adds no error of its own) and checks that depend on it are skipped.
    pub(crate) settled: bool,
}

impl Policy {
    /// The stand-in for options that could not be read.
    pub(crate) fn unsettled() -> Self {
        Self {
            access: Access::Authenticated,
            schemes: None,
            roles: None,
            scopes: None,
            owner: None,
            read_rule: None,
            deny: None,
            raw_response: false,
            raw_body: false,
            rate: None,
            account: None,
            rate_name: None,
            settled: false,
        }
    }
}

/// The `Owned<T>` argument of a route with an `owner` rule.
pub(crate) struct ResourceArg {
    /// Its position among the handler's arguments.
    pub(crate) index: usize,
    /// `T`.
    pub(crate) ty: Type,
}

/// A handler that can be rewritten: an `async fn` without receiver, with its checked policy.
pub(crate) struct Handler {
    pub(crate) function: ItemFn,
    pub(crate) policy: Policy,
    pub(crate) resource: Option<ResourceArg>,
    /// The arguments written `Owned<T>`: the route's resource, or one already reported (a
    /// second resource, a route without `owner`), so not checked again as an argument.
    pub(crate) owned: Vec<usize>,
}

impl Handler {
    /// The types of the arguments the handler takes besides its resource (and any other
    /// `Owned<T>`, already reported): each is checked and described by its type.
    pub(crate) fn argument_types(&self) -> impl Iterator<Item = &syn::Type> {
        self.function
            .sig
            .inputs
            .iter()
            .enumerate()
            .filter(|(index, _)| !self.owned.contains(index))
            .filter_map(|(_, arg)| match arg {
                syn::FnArg::Typed(arg) => Some(&*arg.ty),
                syn::FnArg::Receiver(_) => None,
            })
    }
}
