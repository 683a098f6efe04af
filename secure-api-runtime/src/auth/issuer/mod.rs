//! Keys from an identity provider: found by OpenID Connect discovery (`issuer_url`) or at a
//! key-set URL (`jwks_url`), cached, refreshed in the background, and refetched when a token
//! names a `kid` the cache lacks.
//!
//! - The background refresh follows the key set's `Cache-Control: max-age`, clamped to
//!   60 s .. 24 h (300 s when the server says nothing).
//! - A token with an unknown `kid` (a key rotated in) refetches at once, but at most once per
//!   [`RemoteSettings::refresh_on_demand`] (10 s by default) for the source, and single-flight:
//!   a thousand such tokens at once cause one fetch, and the others wait for it.
//! - While the provider is unreachable the last good keys keep working for
//!   [`RemoteSettings::max_key_age`] (24 h by default); past it, its tokens fail closed with
//!   `503` until a fetch succeeds again. Failures are logged at most once per refresh interval.

pub(crate) mod fetch;
mod jwks;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use super::config::{VerificationKey, validation_for};
use crate::error::ApiError;
use fetch::FetchLimits;

/// The bounds of the background refresh interval, and its default.
const MIN_REFRESH: Duration = Duration::from_secs(60);
const MAX_REFRESH: Duration = Duration::from_secs(24 * 60 * 60);
const DEFAULT_REFRESH: Duration = Duration::from_secs(300);

/// Where a remote key set comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// An issuer: `{issuer}/.well-known/openid-configuration` names the key set.
    Discovery { issuer: String },
    /// A key set at a known URL, without discovery.
    KeySet { url: String },
}

impl Location {
    /// The URL fetched first: the discovery document's, or the key set's.
    pub(crate) fn url(&self) -> String {
        match self {
            Self::Discovery { issuer } => discovery_url(issuer),
            Self::KeySet { url } => url.clone(),
        }
    }
}

/// Where an issuer's OpenID Connect discovery document is.
pub(crate) fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// How remote key sets are refreshed and fetched; the same for every source of a config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RemoteSettings {
    /// The least time between two fetches a token caused (an unknown `kid`, stale keys).
    pub(crate) refresh_on_demand: Duration,
    /// How long the last good keys are used while the source cannot be reached.
    pub(crate) max_key_age: Duration,
    /// Whether `serve` starts before the first keys arrive (answering `503` meanwhile).
    pub(crate) start_without_keys: bool,
    pub(crate) fetch: FetchLimits,
}

impl Default for RemoteSettings {
    fn default() -> Self {
        Self {
            refresh_on_demand: Duration::from_secs(10),
            max_key_age: Duration::from_secs(24 * 60 * 60),
            start_without_keys: false,
            fetch: FetchLimits::default(),
        }
    }
}

/// What verifies a source's tokens besides its keys.
pub(crate) struct Rules {
    pub(crate) audience: Option<String>,
    pub(crate) leeway: Duration,
}

/// One remote key set and its cache.
pub(crate) struct RemoteKeys {
    pub(crate) location: Location,
    /// The `iss` its tokens carry: the discovered issuer, or the config's issuer for a key-set
    /// URL (`None`: tokens without one).
    pub(crate) issuer: Option<String>,
    rules: Rules,
    settings: RemoteSettings,
    current: RwLock<Option<Arc<KeySnapshot>>>,
    /// Bumped by every successful fetch, so a waiter knows another fetched while it waited.
    generation: AtomicU64,
    flight: tokio::sync::Mutex<Flight>,
    background: AtomicBool,
}

/// The keys of one successful fetch.
pub(crate) struct KeySnapshot {
    pub(crate) keys: Vec<VerificationKey>,
    fetched: Instant,
    /// Until when (Unix seconds) these keys may verify, past which they are too old.
    valid_until: u64,
    generation: u64,
}

impl KeySnapshot {
    /// Which fetch these keys came from, for [`RemoteKeys::refresh_on_demand`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Until when (Unix seconds) these keys may verify, and a token they verified be cached.
    pub(crate) fn valid_until(&self) -> u64 {
        self.valid_until
    }

    /// The key a token's `kid` names, or the only key when it names none.
    pub(crate) fn key(&self, kid: Option<&str>) -> Option<&VerificationKey> {
        match (kid, self.keys.as_slice()) {
            (Some(kid), keys) => keys.iter().find(|k| k.key.kid() == Some(kid)),
            (None, [only]) => Some(only),
            (None, _) => None,
        }
    }
}

/// What the one fetch in flight remembers between fetches.
#[derive(Default)]
struct Flight {
    /// When a token last caused a fetch.
    last_on_demand: Option<Instant>,
    /// The discovered key-set URL, until a fetch of it fails.
    jwks_uri: Option<String>,
    last_failure_logged: Option<Instant>,
}

impl RemoteKeys {
    pub(crate) fn new(
        location: Location,
        issuer: Option<String>,
        rules: Rules,
        settings: RemoteSettings,
    ) -> Self {
        Self {
            location,
            issuer,
            rules,
            settings,
            current: RwLock::new(None),
            generation: AtomicU64::new(0),
            flight: tokio::sync::Mutex::new(Flight::default()),
            background: AtomicBool::new(false),
        }
    }

    pub(crate) fn settings(&self) -> &RemoteSettings {
        &self.settings
    }

    fn snapshot(&self) -> Option<Arc<KeySnapshot>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The keys to verify a token with: the cached ones while fresh enough. With none yet, or
    /// only keys older than the bound, one fetch is tried (at most once per on-demand
    /// interval); without keys after it, `503`.
    pub(crate) async fn keys(self: &Arc<Self>) -> Result<Arc<KeySnapshot>, ApiError> {
        self.start_background();
        let usable =
            |snapshot: &Arc<KeySnapshot>| snapshot.fetched.elapsed() <= self.settings.max_key_age;
        let seen = match self.snapshot() {
            Some(snapshot) if usable(&snapshot) => return Ok(snapshot),
            Some(snapshot) => snapshot.generation,
            None => 0,
        };
        self.refresh_on_demand(seen).await;
        match self.snapshot() {
            Some(snapshot) if usable(&snapshot) => Ok(snapshot),
            _ => Err(ApiError::unavailable().with_reason(format!(
                "no current keys from {}: the identity provider could not be reached",
                self.location.url()
            ))),
        }
    }

    /// Fetches again because a token needed it (an unknown `kid`, no usable keys), unless a
    /// fetch completed since the caller saw generation `seen`, or a token caused one less
    /// than the on-demand interval ago. Concurrent callers wait for the one fetch.
    pub(crate) async fn refresh_on_demand(&self, seen: u64) {
        let mut flight = self.flight.lock().await;
        if self.generation.load(Ordering::Acquire) != seen {
            return;
        }
        if flight
            .last_on_demand
            .is_some_and(|last| last.elapsed() < self.settings.refresh_on_demand)
        {
            return;
        }
        flight.last_on_demand = Some(Instant::now());
        if let Err(error) = self.fetch_into(&mut flight).await {
            self.log_failure(&mut flight, &error, DEFAULT_REFRESH);
        }
    }

    /// The first fetch, for `AuthConfig::ready`: keys now, or why there are none.
    pub(crate) async fn ready(self: &Arc<Self>) -> Result<(), String> {
        self.start_background();
        let mut flight = self.flight.lock().await;
        if self.snapshot().is_some() {
            return Ok(());
        }
        self.fetch_into(&mut flight).await.map(|_| ())
    }

    /// Fetches the key set (after discovery when needed) and makes it current. Returns how
    /// long until the next background refresh.
    async fn fetch_into(&self, flight: &mut Flight) -> Result<Duration, String> {
        let limits = self.settings.fetch;
        let jwks_uri = match (&self.location, &flight.jwks_uri) {
            (Location::KeySet { url }, _) => url.clone(),
            (Location::Discovery { .. }, Some(known)) => known.clone(),
            (Location::Discovery { issuer }, None) => {
                let url = self.location.url();
                let document = fetch::get(&url, limits)
                    .await
                    .map_err(|error| format!("{url}: {error}"))?;
                let found = jwks::jwks_uri(&document.body, issuer)
                    .map_err(|error| format!("{url}: {error}"))?;
                fetch::checked_url(&found).map_err(|error| format!("{url}: jwks_uri {error}"))?;
                flight.jwks_uri = Some(found.clone());
                found
            }
        };
        let fetched = match fetch::get(&jwks_uri, limits).await {
            Ok(fetched) => fetched,
            Err(error) => {
                // Discovery is asked again next time: the key set may have moved.
                flight.jwks_uri = None;
                return Err(format!("{jwks_uri}: {error}"));
            }
        };
        let keys = jwks::signing_keys(&fetched.body, &jwks_uri)
            .map_err(|error| format!("{jwks_uri}: {error}"))?;
        let keys = keys
            .into_iter()
            .map(|key| VerificationKey {
                validation: validation_for(
                    &key,
                    self.issuer.as_deref(),
                    self.rules.audience.as_deref(),
                    self.rules.leeway,
                ),
                key,
            })
            .collect();
        let generation = self.generation.load(Ordering::Acquire) + 1;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) =
            Some(Arc::new(KeySnapshot {
                keys,
                fetched: Instant::now(),
                valid_until: crate::auth::revocation::unix_now()
                    .saturating_add(self.settings.max_key_age.as_secs()),
                generation,
            }));
        self.generation.store(generation, Ordering::Release);
        if flight.last_failure_logged.take().is_some() {
            tracing::info!(target: "secure_api::auth", source = %jwks_uri, "keys fetched again");
        }
        Ok(fetched
            .max_age
            .unwrap_or(DEFAULT_REFRESH)
            .clamp(MIN_REFRESH, MAX_REFRESH))
    }

    /// Logs a failed fetch, at most once per `interval`.
    fn log_failure(&self, flight: &mut Flight, error: &str, interval: Duration) {
        if flight
            .last_failure_logged
            .is_some_and(|last| last.elapsed() < interval)
        {
            return;
        }
        flight.last_failure_logged = Some(Instant::now());
        let kept = self.snapshot().map(|snapshot| snapshot.fetched.elapsed());
        tracing::warn!(
            target: "secure_api::auth",
            source = %self.location.url(),
            error,
            last_keys_age_secs = kept.map(|age| age.as_secs()),
            "fetching the identity provider's keys failed; the last good keys are kept up to the bound"
        );
    }

    /// Starts the background refresh the first time keys are asked for in a runtime. It ends
    /// when the config is dropped.
    fn start_background(self: &Arc<Self>) {
        if self.background.load(Ordering::Relaxed) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.background.swap(true, Ordering::AcqRel) {
            return;
        }
        runtime.spawn(refresh_loop(Arc::downgrade(self)));
    }
}

/// Refreshes one source's keys at its interval, retrying sooner after a failure.
async fn refresh_loop(source: Weak<RemoteKeys>) {
    let mut delay = DEFAULT_REFRESH;
    loop {
        tokio::time::sleep(delay).await;
        let Some(source) = source.upgrade() else {
            return;
        };
        let mut flight = source.flight.lock().await;
        delay = match source.fetch_into(&mut flight).await {
            Ok(next) => next,
            Err(error) => {
                source.log_failure(&mut flight, &error, delay);
                MIN_REFRESH
            }
        };
    }
}

impl std::fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteKeys")
            .field("location", &self.location)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}
