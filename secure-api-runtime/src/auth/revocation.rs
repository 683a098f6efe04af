//! Revoked token ids (`jti`): a token whose id is here is refused until it would have expired.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The largest leeway a config accepts: a revoked id is kept this long past its token's `exp`.
pub(crate) const MAX_LEEWAY_SECS: u64 = 300;

/// A boxed future, as the revocation store returns it (the store is used as a trait object).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The store could not answer; the request is refused (fail closed) and this is logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "revocation store unavailable: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// The `503` a request gets when a store it needs cannot answer; the reason is logged.
    pub(crate) fn into_unavailable(self) -> crate::error::ApiError {
        crate::error::ApiError::unavailable().with_reason(self.0)
    }
}

/// Where revoked token ids live. The default, [`MemoryRevocations`], serves one process; a
/// shared store serves many instances of an app.
pub trait RevocationStore: Send + Sync + 'static {
    /// Refuses the token `jti` from now on, until `expires_at` (seconds since the Unix epoch,
    /// the token's own `exp`), after which the token is refused as expired anyway.
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, Result<(), StoreError>>;

    /// Whether `jti` has been revoked.
    fn is_revoked<'a>(&'a self, jti: &'a str) -> StoreFuture<'a, Result<bool, StoreError>>;

    /// Whether `jti` has been revoked, when the store can tell without waiting (an in-memory
    /// store); `None` (the default) means: ask [`is_revoked`](Self::is_revoked). The check runs
    /// on every authenticated request, so a store that can answer at once spares each request
    /// a boxed future.
    fn is_revoked_now(&self, jti: &str) -> Option<bool> {
        let _ = jti;
        None
    }
}

/// Revoked ids in this process's memory. Entries are dropped once their token has expired, so
/// the map holds at most the ids of tokens still alive.
#[derive(Debug, Default)]
pub struct MemoryRevocations {
    revoked: RwLock<HashMap<Box<str>, u64>>,
}

impl MemoryRevocations {
    fn revoke_now(&self, jti: &str, expires_at: u64, now: u64) {
        let mut revoked = self
            .revoked
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Sweep entries whose token can no longer pass, even within the largest leeway a config
        // allows, whenever the map doubles, so the cost is amortised O(1).
        if revoked.len() >= 1024 && revoked.len().is_power_of_two() {
            revoked.retain(|_, exp| exp.saturating_add(MAX_LEEWAY_SECS) >= now);
        }
        revoked.insert(jti.into(), expires_at);
    }

    fn contains(&self, jti: &str) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(jti)
    }
}

impl RevocationStore for MemoryRevocations {
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, Result<(), StoreError>> {
        self.revoke_now(jti, expires_at, unix_now());
        Box::pin(std::future::ready(Ok(())))
    }

    fn is_revoked<'a>(&'a self, jti: &'a str) -> StoreFuture<'a, Result<bool, StoreError>> {
        let revoked = self.contains(jti);
        Box::pin(std::future::ready(Ok(revoked)))
    }

    fn is_revoked_now(&self, jti: &str) -> Option<bool> {
        Some(self.contains(jti))
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn revoked_ids_are_refused_and_others_are_not() {
        let store = MemoryRevocations::default();
        store.revoke("a", unix_now() + 60).await.unwrap();
        assert!(store.is_revoked("a").await.unwrap());
        assert!(!store.is_revoked("b").await.unwrap());
    }

    #[test]
    fn expired_entries_are_swept_as_the_map_grows() {
        let store = MemoryRevocations::default();
        let now = 1_000_000;
        for i in 0..1022 {
            store.revoke_now(&format!("old-{i}"), now - MAX_LEEWAY_SECS - 1, now);
        }
        // Expired, but still within the leeway a token may be accepted in: kept.
        store.revoke_now("recent", now - 10, now);
        store.revoke_now("live", now + 60, now);
        // The 1025th insert sees 1024 entries and sweeps the 1022 long-expired ones.
        store.revoke_now("next", now + 60, now);
        let len = store.revoked.read().unwrap().len();
        assert_eq!(len, 3);
        assert!(store.contains("live") && store.contains("next") && store.contains("recent"));
    }
}
