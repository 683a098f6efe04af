//! What a route declared: the policy `#[secure(...)]` compiles into a constant.
//!
//! The macro emits one zero-sized type per handler implementing [`RoutePolicy`]; its constant is
//! what the pipeline enforces and what the router lists, so the two can never disagree.

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Access {
    /// Anyone: `#[secure(public)]`. An `Authorization` header is ignored unless the handler asks
    /// for `Option<AuthUser>`.
    Public,
    /// A caller with a verified bearer token: `#[secure(auth)]`.
    Authenticated,
}

impl Access {
    /// The name used in the route inventory.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Authenticated => "auth",
        }
    }
}

/// A route's declared security policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    handler: &'static str,
    access: Access,
}

impl Policy {
    /// A policy for the handler named `handler` that anyone may call.
    pub const fn public(handler: &'static str) -> Self {
        Self {
            handler,
            access: Access::Public,
        }
    }

    /// A policy for the handler named `handler` that needs a verified bearer token.
    pub const fn authenticated(handler: &'static str) -> Self {
        Self {
            handler,
            access: Access::Authenticated,
        }
    }

    /// The name of the handler function that declared the policy.
    pub const fn handler(&self) -> &'static str {
        self.handler
    }

    /// Who may call the route.
    pub const fn access(&self) -> Access {
        self.access
    }
}

/// A type that carries a route's policy; `#[secure(...)]` generates one per handler.
pub trait RoutePolicy: Send + Sync + 'static {
    /// The policy.
    const POLICY: Policy;
}
