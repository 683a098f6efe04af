//! Browser sessions: an `HttpOnly` cookie holding an opaque id, the session kept on the server.
//!
//! - The cookie is `__Host-session`: `HttpOnly`, `Secure`, `SameSite=Lax` (or `Strict`),
//!   `Path=/`, no `Domain`, no `Max-Age`: page scripts cannot read it, no subdomain can set or
//!   read it, and it ends with the browser session. The server enforces the lifetimes. Only in
//!   development, on a request not known to be HTTPS, is it `session` without `Secure`
//!   (browsers refuse a `__Host-` cookie that is not `Secure`).
//! - Its value is 256 random bits; the store keeps the session under the SHA-256 of it, so a
//!   leaked store hands out no live cookie. Logout and revocation take effect at once.
//! - Idle timeout (30 minutes, sliding) and absolute timeout (12 hours); a new id at every
//!   login, and on a privilege change when the app starts the session again (fixation); at
//!   most 10 live sessions a user, the oldest ended first.
//! - CSRF: a request authenticated by the cookie with a method other than `GET`, `HEAD` or
//!   `OPTIONS` must come from an allowed origin *and* carry the session's synchronizer token
//!   in `X-CSRF-Token` ([`csrf`]).
//!
//! [`SessionConfig`] configures it ([`AuthConfigBuilder::sessions`](super::AuthConfigBuilder::sessions)),
//! [`SessionStore`] keeps the sessions ([`MemorySessions`] here, Redis with the `redis`
//! feature, a database in an app), and [`Sessions`] is the handler's handle to log in and out.

mod clock;
pub(crate) mod cookie;
pub(crate) mod csrf;
mod handle;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod verify;

pub use clock::{Clock, ManualClock};
pub use cookie::{CSRF_HEADER, SessionCookie};
pub(crate) use handle::Evidence;
pub use handle::{SessionRequest, Sessions, StartedSession};
pub use memory::MemorySessions;
#[cfg(feature = "redis")]
pub use redis::RedisSessions;

pub(crate) use cookie::CookieName;
pub(crate) use verify::{record_use, verify_session};

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::revocation::{StoreError, StoreFuture};
use crate::error::ConfigError;

/// The default idle timeout: a session unused this long ends.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// The default absolute timeout: a session ends this long after login, however busy.
pub const DEFAULT_ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(12 * 60 * 60);
/// The default number of live sessions a user may have; a new login ends the oldest.
pub const DEFAULT_MAX_PER_USER: usize = 10;

/// A stored session. Its id is not in it: only the id's SHA-256, which no cookie can be made
/// from.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The SHA-256 of the cookie's value.
    pub id_hash: [u8; 32],
    /// The user the session is for.
    pub subject: String,
    /// The roles granted at login.
    pub roles: Vec<String>,
    /// The scopes granted at login.
    pub scopes: Vec<String>,
    /// The synchronizer token unsafe requests must carry in `X-CSRF-Token`.
    pub csrf_token: String,
    /// When the session began, in milliseconds since the Unix epoch (by the config's clock);
    /// no two sessions of one app instance begin in the same millisecond, so the oldest is
    /// known.
    pub created_at_ms: u64,
    /// When it was last used, as recorded (at most a minute stale).
    pub last_seen_at_ms: u64,
    /// When it ends however busy: `created_at_ms` plus the absolute timeout. A store may
    /// forget the session then.
    pub expires_at_ms: u64,
}

impl fmt::Debug for SessionRecord {
    // The CSRF token is a secret of the session: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecord")
            .field("subject", &self.subject)
            .field("roles", &self.roles)
            .field("created_at_ms", &self.created_at_ms)
            .field("last_seen_at_ms", &self.last_seen_at_ms)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

/// Where sessions are kept: [`MemorySessions`] in this crate, `RedisStore::sessions` with the
/// `redis` feature, a database in an app. Every method is keyed by the id's hash; the
/// framework does the timing, so a store needs no clock of its own.
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new session.
    fn create<'a>(&'a self, record: &'a SessionRecord) -> StoreFuture<'a, Result<(), StoreError>>;

    /// The session of id hash `id_hash`, if it is stored.
    fn find<'a>(
        &'a self,
        id_hash: &'a [u8; 32],
    ) -> StoreFuture<'a, Result<Option<SessionRecord>, StoreError>>;

    /// Records that the session was used at `at` (milliseconds since the Unix epoch), if it is
    /// still stored (it may have just been ended: touching must not bring it back).
    fn touch<'a>(
        &'a self,
        id_hash: &'a [u8; 32],
        at: u64,
    ) -> StoreFuture<'a, Result<(), StoreError>>;

    /// Ends one session; whether it was stored.
    fn remove<'a>(&'a self, id_hash: &'a [u8; 32]) -> StoreFuture<'a, Result<bool, StoreError>>;

    /// Every stored session of `subject`, ended or not (for the cap on live sessions).
    fn of_subject<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<Vec<SessionRecord>, StoreError>>;

    /// Ends every session of `subject`; how many there were.
    fn remove_subject<'a>(&'a self, subject: &'a str)
    -> StoreFuture<'a, Result<usize, StoreError>>;
}

/// How same-site the session cookie is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=Lax` (the default): sent on top-level navigations from other sites, never on
    /// their `fetch` or form posts.
    #[default]
    Lax,
    /// `SameSite=Strict`: never sent with a request another site started, so a link from
    /// elsewhere arrives logged out.
    Strict,
}

/// Browser sessions, for [`AuthConfigBuilder::sessions`](super::AuthConfigBuilder::sessions).
///
/// ```
/// use std::time::Duration;
/// use secure_api::auth::{AuthConfig, JwtKey, MemorySessions, SameSite, SessionConfig};
///
/// let auth = AuthConfig::builder()
///     .key(JwtKey::hs256("a secret of at least thirty-two bytes!!")?)
///     .sessions(
///         SessionConfig::new(MemorySessions::new())
///             .idle_timeout(Duration::from_secs(15 * 60))
///             .same_site(SameSite::Strict),
///     )
///     .build()?;
/// assert!(auth.schemes().contains(secure_api::policy::Schemes::SESSION));
/// # Ok::<(), secure_api::ConfigError>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct SessionConfig {
    pub(crate) store: Arc<dyn SessionStore>,
    pub(crate) idle_timeout: Duration,
    pub(crate) absolute_timeout: Duration,
    pub(crate) max_per_user: usize,
    pub(crate) same_site: SameSite,
    pub(crate) clock: Clock,
    /// The last creation time handed out, so that the next is later (see [`Self::creation_time`]).
    last_created: Arc<AtomicU64>,
}

impl SessionConfig {
    /// Sessions kept in `store`, with the defaults: 30 minutes idle, 12 hours in all, 10 a
    /// user, `SameSite=Lax`, the system clock.
    pub fn new(store: impl SessionStore) -> Self {
        Self::shared(Arc::new(store))
    }

    /// [`new`](Self::new) with a store the app keeps a handle on.
    pub fn shared(store: Arc<dyn SessionStore>) -> Self {
        Self {
            store,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            absolute_timeout: DEFAULT_ABSOLUTE_TIMEOUT,
            max_per_user: DEFAULT_MAX_PER_USER,
            same_site: SameSite::Lax,
            clock: Clock::system(),
            last_created: Arc::default(),
        }
    }

    /// How long an unused session lives (default 30 minutes); every use extends it. Uses are
    /// recorded at most once a minute (a tenth of a shorter timeout), so an unused session
    /// ends between 30 and 31 minutes after its last use: never early.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How long a session lives after login, however busy (default 12 hours).
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.absolute_timeout = timeout;
        self
    }

    /// How many live sessions a user may have (default 10); a new login ends the oldest.
    pub fn max_per_user(mut self, max: usize) -> Self {
        self.max_per_user = max;
        self
    }

    /// `SameSite=Lax` (the default) or `Strict`.
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The clock the lifetimes are measured by (default the system's): a [`ManualClock`] in
    /// tests. (A paused tokio clock moves no store's time, so the framework passes its own.)
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// The store sessions are kept in.
    pub fn store(&self) -> &dyn SessionStore {
        &*self.store
    }

    /// Refuses lifetimes that make no sense: a zero timeout, an idle timeout longer than the
    /// absolute one, no session allowed at all.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let invalid =
            |reason: &str| Err(ConfigError::InvalidSetting(format!("sessions: {reason}")));
        if self.idle_timeout < Duration::from_secs(1) {
            return invalid("the idle timeout must be at least a second");
        }
        if self.absolute_timeout < self.idle_timeout {
            return invalid("the absolute timeout must be at least the idle timeout");
        }
        if self.max_per_user == 0 {
            return invalid("a user must be allowed at least one session");
        }
        Ok(())
    }

    /// How stale a session's recorded last use may get (in milliseconds) before a request
    /// records it again: a minute, or a tenth of a short idle timeout. A busy session is not a
    /// write per request.
    pub(crate) fn touch_every_ms(&self) -> u64 {
        millis(self.idle_timeout / 10).clamp(1, 60_000)
    }

    /// The creation time of a new session: now, or a millisecond past the last one handed
    /// out, so that two logins in one millisecond (or on a stopped test clock) still have an
    /// order, and the cap ends the one that really is the oldest.
    pub(crate) fn creation_time(&self) -> u64 {
        let now = self.clock.now_ms();
        let mut last = self.last_created.load(Ordering::SeqCst);
        loop {
            let next = now.max(last.saturating_add(1));
            match self.last_created.compare_exchange_weak(
                last,
                next,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return next,
                Err(actual) => last = actual,
            }
        }
    }
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("idle_timeout", &self.idle_timeout)
            .field("absolute_timeout", &self.absolute_timeout)
            .field("max_per_user", &self.max_per_user)
            .field("same_site", &self.same_site)
            .finish_non_exhaustive()
    }
}

/// What a verified session adds to the identity: the token its unsafe requests must carry,
/// and what recording its use needs (done only once the request passed the CSRF check: a
/// refused request writes nothing, not even a session's last use).
pub(crate) struct SessionBinding {
    pub(crate) csrf_token: Box<str>,
    pub(crate) id_hash: [u8; 32],
    pub(crate) last_seen_at_ms: u64,
}

impl fmt::Debug for SessionBinding {
    // The token is a secret of the session: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionBinding").finish_non_exhaustive()
    }
}

/// The SHA-256 of a cookie's value: what stores key sessions by.
pub(crate) fn id_hash(id: &str) -> [u8; 32] {
    super::api_key::secret_hash(id)
}

/// 256 random bits, base64url without padding: 43 characters.
pub(crate) fn random_token() -> Result<String, StoreError> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError(format!("no random bytes for a session: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A duration in whole milliseconds.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
