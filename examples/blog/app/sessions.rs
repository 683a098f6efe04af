//! Sessions: what makes a logout or a password reset stick.
//!
//! A JWT is good until it expires; taking one back needs state. The framework checks every
//! token's `jti` against its revocation store (this process's memory, or Redis when
//! `REDIS_URL` is set) and that store remains the only check on the request path, so an
//! authenticated request costs no database query. The store answers "is this id revoked?";
//! this table answers the two questions it cannot:
//!
//! - *which tokens are a user's*: a password reset must log out every session of the user, so
//!   each login records its token's id, user and expiry here;
//! - *what was revoked before a restart*: with a fixed `JWT_SECRET` tokens outlive the process,
//!   so their revocations must too. Revoked rows are kept until their token has expired and
//!   are handed to the store again at start ([`restore`]).
//!
//! A `RevocationStore` on SQLite would answer the second as well, at the price of a query per
//! request; and `SecurityConfig::from_env`, which reads the keys and the Redis store from the
//! environment, has no way to be given one.

use secure_api::auth::{AuthConfig, MintedToken, StoreError};
use sqlx::SqliteConnection;

use super::db::{self, Db};

/// How long past its `exp` a token can still pass: the largest clock leeway the framework
/// accepts. Sessions are kept that long.
const LEEWAY_SECS: i64 = 300;

/// A token minted at login, as [`AuthConfig::revoke`] takes it.
#[derive(Debug, sqlx::FromRow)]
pub struct Session {
    jti: String,
    expires_at: i64,
}

/// Records a token minted for `user_id` whose password hash was `password_hash` when it was
/// checked, and forgets sessions that can no longer pass. Returns `false`, recording nothing,
/// when the password changed in between: a reset that committed while this login was checking
/// the old password has already revoked the user's sessions, and would miss this one.
pub async fn record(
    db: &Db,
    user_id: &str,
    password_hash: &str,
    token: &MintedToken,
) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE expires_at < ?")
        .bind(db::unix_now() - LEEWAY_SECS)
        .execute(db)
        .await?;
    let recorded = sqlx::query(
        "INSERT INTO sessions (jti, user_id, expires_at) \
         SELECT ?, id, ? FROM users WHERE id = ? AND password_hash = ?",
    )
    .bind(&token.token_id)
    .bind(i64::try_from(token.expires_at).unwrap_or(i64::MAX))
    .bind(user_id)
    .bind(password_hash)
    .execute(db)
    .await?;
    Ok(recorded.rows_affected() == 1)
}

/// Marks every live session of `user_id` revoked, in the caller's transaction, and returns
/// them for [`revoke_in_store`] once it commits.
pub async fn revoke_all(
    conn: &mut SqliteConnection,
    user_id: &str,
) -> Result<Vec<Session>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE sessions SET revoked = 1 \
         WHERE user_id = ? AND revoked = 0 AND expires_at >= ? \
         RETURNING jti, expires_at",
    )
    .bind(user_id)
    .bind(db::unix_now() - LEEWAY_SECS)
    .fetch_all(conn)
    .await
}

/// Revokes one token: in this table, for restarts, and in the store, for the next request.
pub async fn revoke(
    db: &Db,
    auth: &AuthConfig,
    jti: &str,
    expires_at: u64,
) -> Result<(), secure_api::ApiError> {
    sqlx::query("UPDATE sessions SET revoked = 1 WHERE jti = ?")
        .bind(jti)
        .execute(db)
        .await
        .map_err(db::error)?;
    auth.revoke(jti, expires_at).await?;
    Ok(())
}

/// Tells the revocation store about sessions revoked in this table.
pub async fn revoke_in_store(auth: &AuthConfig, sessions: &[Session]) -> Result<(), StoreError> {
    for session in sessions {
        let expires_at = u64::try_from(session.expires_at).unwrap_or_default();
        auth.revoke(&session.jti, expires_at).await?;
    }
    Ok(())
}

/// At start: hands the revocations of tokens that could still pass to the store, which
/// forgot them if it lives in memory. Returns how many.
pub async fn restore(db: &Db, auth: &AuthConfig) -> Result<usize, super::StartError> {
    let revoked: Vec<Session> = sqlx::query_as(
        "SELECT jti, expires_at FROM sessions WHERE revoked = 1 AND expires_at >= ?",
    )
    .bind(db::unix_now() - LEEWAY_SECS)
    .fetch_all(db)
    .await?;
    revoke_in_store(auth, &revoked).await?;
    Ok(revoked.len())
}
