//! The kinds a route's policy is made of: who may call it ([`Access`]), how it answers for
//! another's resource ([`DenyAs`]), what its limit counts by ([`RateKey`]). One file, compiled
//! into both crates: the runtime uses them, and the macro crate includes this very file
//! (`#[path]`) to read them from `#[secure(...)]`, so the two cannot drift apart. It depends on
//! nothing but `core`.

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

/// How a route answers a caller who may not touch an existing resource.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DenyAs {
    /// `404 Not found`, exactly as for a resource that does not exist (the default): ids cannot
    /// be probed.
    #[default]
    NotFound,
    /// `403 Access denied`: the caller learns the resource exists.
    Forbidden,
}

/// What a route's limit counts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RateKey {
    /// The client's address (`key = "ip"`, the default on `public` routes).
    Ip,
    /// The verified user (`key = "user"`, the default on `auth` routes).
    User,
}

impl RateKey {
    /// The name used in the route inventory.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ip => "ip",
            Self::User => "user",
        }
    }
}
