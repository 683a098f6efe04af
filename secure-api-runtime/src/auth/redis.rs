//! The revocation list on the shared Redis store: a token revoked by one instance of an app is
//! refused by all.

use super::revocation::{MAX_LEEWAY_SECS, RevocationStore, StoreError, StoreFuture};
use crate::store::{FailureMode, RedisStore};

impl RedisStore {
    /// The store's revocation list, for [`AuthConfigBuilder::revocation_store`](crate::auth::AuthConfigBuilder::revocation_store):
    /// a token revoked by one instance is refused by all. It fails closed while Redis is
    /// unreachable (tokens are refused with `503`) whatever the store's own failure mode,
    /// unless told otherwise with [`RedisRevocations::failure_mode`]: letting rate limits
    /// through during an outage must not make revoked tokens valid again.
    pub fn revocations(&self) -> RedisRevocations {
        RedisRevocations {
            store: self.clone(),
            failure: FailureMode::Closed,
        }
    }
}

/// Revoked token ids on Redis: see [`RedisStore::revocations`].
#[derive(Clone, Debug)]
pub struct RedisRevocations {
    store: RedisStore,
    failure: FailureMode,
}

impl RedisRevocations {
    /// What a revocation check does while Redis is unreachable: refuse the token with `503`
    /// ([`FailureMode::Closed`], the default) or accept it unchecked ([`FailureMode::Open`],
    /// logged), in which case a revoked token works again for the outage.
    #[must_use]
    pub fn failure_mode(mut self, failure: FailureMode) -> Self {
        self.failure = failure;
        self
    }

    fn key(&self, jti: &str) -> String {
        format!("{}revoked:{jti}", self.store.prefix())
    }

    fn failed(&self, what: &str, reason: String) -> Result<bool, StoreError> {
        if self.failure == FailureMode::Open {
            tracing::warn!(
                target: "secure_api::auth",
                reason,
                "revocation store unavailable: {what} skipped (fail open)"
            );
            Ok(false)
        } else {
            Err(StoreError(reason))
        }
    }
}

impl RevocationStore for RedisRevocations {
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut connection = self.store.connection().map_err(StoreError)?;
            // Kept until the token could no longer pass even within the largest leeway.
            let until = expires_at.saturating_add(MAX_LEEWAY_SECS);
            let mut command = redis::cmd("SET");
            command.arg(self.key(jti)).arg(1).arg("EXAT").arg(until);
            // Revoking is never skipped: a logout that did not happen must say so.
            self.store
                .bounded(command.query_async::<()>(&mut connection))
                .await
                .map_err(StoreError)
        })
    }

    fn is_revoked<'a>(&'a self, jti: &'a str) -> StoreFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut command = redis::cmd("EXISTS");
            command.arg(self.key(jti));
            let answer = match self.store.connection() {
                Ok(mut connection) => {
                    self.store
                        .bounded(command.query_async::<bool>(&mut connection))
                        .await
                }
                Err(reason) => Err(reason),
            };
            match answer {
                Ok(revoked) => Ok(revoked),
                Err(reason) => self.failed("revocation check", reason),
            }
        })
    }
}
