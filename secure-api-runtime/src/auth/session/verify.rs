//! Step 3 for the session scheme: the session of a cookie's id, if it is live.

use std::sync::Arc;

use serde_json::Value;

use super::{SessionBinding, SessionConfig, SessionRecord, id_hash, millis};
use crate::auth::identity::Identity;
use crate::auth::revocation::StoreError;
use crate::error::ApiError;

/// The identity of the session whose cookie holds `id`: found by the id's hash, within its
/// idle and absolute timeouts (an ended one is removed). Its use is recorded by
/// [`record_use`], once the request passed the CSRF check. Every failure is the same `401`
/// for the client; the reason is logged.
pub(crate) async fn verify_session(
    config: &SessionConfig,
    id: &str,
) -> Result<Arc<Identity>, ApiError> {
    let hash = id_hash(id);
    let store = config.store();
    let record = store
        .find(&hash)
        .await
        .map_err(StoreError::into_unavailable)?
        .ok_or_else(|| ApiError::unauthenticated().with_reason("no such session"))?;
    let now = config.clock.now_ms();
    if let Some(reason) = ended(config, &record, now) {
        // Gone for good: a later request need not look at it again.
        if let Err(error) = store.remove(&hash).await {
            tracing::warn!(target: "secure_api::auth", %error, "an ended session could not be removed");
        }
        return Err(ApiError::unauthenticated().with_reason(reason));
    }
    Ok(Arc::new(identity_of(record)))
}

/// Records a verified session's use, when the recorded one is stale: it slides the idle
/// timeout. Called once the request passed the CSRF check.
pub(crate) async fn record_use(
    config: &SessionConfig,
    session: &SessionBinding,
) -> Result<(), ApiError> {
    let now = config.clock.now_ms();
    if now.saturating_sub(session.last_seen_at_ms) < config.touch_every_ms() {
        return Ok(());
    }
    config
        .store()
        .touch(&session.id_hash, now)
        .await
        .map_err(StoreError::into_unavailable)
}

/// Why a session has ended by `now` (milliseconds), if it has. Idle means unused for the idle
/// timeout since its last recorded use, plus the time a use may go unrecorded: a session is
/// never ended early.
pub(crate) fn ended(
    config: &SessionConfig,
    record: &SessionRecord,
    now: u64,
) -> Option<&'static str> {
    if now >= record.expires_at_ms {
        Some("the session is past its absolute timeout")
    } else if now
        >= record
            .last_seen_at_ms
            .saturating_add(millis(config.idle_timeout))
            .saturating_add(config.touch_every_ms())
    {
        Some("the session was idle past its timeout")
    } else {
        None
    }
}

/// A session's identity: its user, with the roles and scopes granted at login. No token id
/// and no credential id: the session id is never written anywhere.
fn identity_of(record: SessionRecord) -> Identity {
    Identity {
        subject: Arc::from(record.subject.as_str()),
        roles: record.roles,
        scopes: record.scopes,
        client_id: None,
        token_id: None,
        credential_id: None,
        expires_at: record.expires_at_ms / 1000,
        keys_valid_until: u64::MAX,
        claims: Value::Null,
        session: Some(SessionBinding {
            csrf_token: record.csrf_token.into_boxed_str(),
            id_hash: record.id_hash,
            last_seen_at_ms: record.last_seen_at_ms,
        }),
    }
}
