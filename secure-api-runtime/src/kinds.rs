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
    /// The API key a request was made with, so that each of a user's keys has its own budget
    /// (`key = "api_key"`); requests with another credential count by their verified user.
    ApiKey,
}

impl RateKey {
    /// The name used in the route inventory.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ip => "ip",
            Self::User => "user",
            Self::ApiKey => "api_key",
        }
    }
}

/// The credentials a route accepts: `#[secure(auth)]` takes every scheme the app configured,
/// `auth = "bearer"`, `auth = "api_key"` or `auth = "session"` one, `auth = any("bearer",
/// "session")` several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Schemes(u8);

impl Schemes {
    /// A bearer JWT in `Authorization: Bearer ...`.
    pub const BEARER: Self = Self(1);
    /// An API key in `X-API-Key`.
    pub const API_KEY: Self = Self(2);
    /// A browser session's cookie, `__Host-session`.
    pub const SESSION: Self = Self(4);
    /// Every scheme the app configured: what a plain `auth` accepts.
    pub const ANY: Self = Self(Self::BEARER.0 | Self::API_KEY.0 | Self::SESSION.0);
    /// The schemes by name, in the order they are listed.
    pub const NAMES: [(&'static str, Self); 3] = [
        ("bearer", Self::BEARER),
        ("api_key", Self::API_KEY),
        ("session", Self::SESSION),
    ];

    /// The schemes of the bits `bits` (as the macro writes them).
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits & Self::ANY.0)
    }

    /// The bits of this set.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Both sets.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// What both sets hold.
    #[must_use]
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// Whether every scheme of `other` is in this set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set holds no scheme.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scheme named `name` (`bearer`, `api_key`, `session`).
    pub fn named(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, scheme)| *scheme)
    }

    /// The names of the schemes in the set.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(_, scheme)| self.contains(*scheme))
            .map(|(name, _)| name)
    }
}
