//! Password reset: a single-use token, sent by mail (here: logged), stored only as its hash.
//!
//! - The token is 256 random bits, so a fast hash is the right one to store it by: SHA-256
//!   cannot be inverted and the token cannot be guessed (argon2's slowness is for passwords,
//!   which can). A stolen database gives no usable token.
//! - It expires after 30 minutes and works once: one statement checks and spends it, so two
//!   concurrent confirms cannot both succeed.
//! - Confirming sets the new password, spends the user's other reset tokens and revokes every
//!   live token of the user ([`sessions`]): whoever held the old password is logged out.
//! - The request always answers `202 {"status":"accepted"}`, known email or not, so its answer
//!   tells nothing about accounts. (Its time does, by a millisecond of database writes; the
//!   API's own `409 Email already registered` tells as much, so this example leaves it.)
//!   3 requests per hour per client address, the article's limit.
//! - This example has no mail server. In development the token is logged (target `blog::mail`)
//!   in place of an email; in production it is never logged, and it is never in a response.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secure_api::audit::AuditTarget;
use secure_api::auth::AuthConfig;
use secure_api::prelude::*;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use validator::Validate;

use super::db::{self, Db};
use super::{AppState, Status, passwords, sessions, users};

/// How long a reset token works.
const TOKEN_LIFETIME_SECS: i64 = 30 * 60;

/// The log target of the stand-in for an email.
pub const MAIL_TARGET: &str = "blog::mail";

#[derive(Deserialize, Validate, Input)]
pub struct ResetRequest {
    #[validate(email, length(max = 254))]
    email: String,
}

// 3 per address, and 3 per account from any number of addresses: each one mails a token.
#[secure(
    public,
    rate = "3/1h",
    account_rate = "3/1h",
    account_key = "email",
    rate_message = "Too many password reset requests"
)]
pub async fn request(
    State(app): State<AppState>,
    target: AuditTarget,
    Json(request): Json<ResetRequest>,
) -> ApiResult<(StatusCode, Json<Status>)> {
    if let Some(user) = users::find_by_email(&app.db, &request.email).await? {
        // The audit record names the account (never the email typed, which may be anyone's).
        target.set(format!("user:{}", user.id));
        let token = issue(&app.db, &user.id).await?;
        if app.production {
            tracing::warn!(target: MAIL_TARGET, "password reset requested; this example sends no mail");
        } else {
            tracing::info!(
                target: MAIL_TARGET,
                to = %user.email,
                token = %token,
                "password reset token (development: logged in place of an email)"
            );
        }
    }
    Ok((StatusCode::ACCEPTED, Json(Status { status: "accepted" })))
}

#[derive(Deserialize, Validate, Input)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmReset {
    #[validate(length(min = 1, max = 128))]
    token: String,
    #[validate(length(min = 12, max = 128))]
    new_password: String,
}

#[secure(public, rate = "5/15m")]
pub async fn confirm(
    State(app): State<AppState>,
    auth: AuthConfig,
    Json(confirm): Json<ConfirmReset>,
) -> ApiResult<StatusCode> {
    // Hashed before the transaction, which should not wait for argon2.
    let hash = passwords::hash(confirm.new_password).await?;
    let mut tx = app.db.begin().await?;
    let user_id: Option<String> = sqlx::query_scalar(
        "UPDATE password_resets SET used = 1 \
         WHERE token_hash = ? AND used = 0 AND expires_at > ? \
         RETURNING user_id",
    )
    .bind(digest(&confirm.token))
    .bind(db::unix_now())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user_id) = user_id else {
        return Err(ApiError::client(
            StatusCode::BAD_REQUEST,
            "Invalid or expired token",
        ));
    };
    users::set_password(&mut tx, &user_id, &hash).await?;
    sqlx::query("UPDATE password_resets SET used = 1 WHERE user_id = ?")
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
    let revoked = sessions::revoke_all(&mut tx, &user_id).await?;
    tx.commit().await?;
    sessions::revoke_in_store(&auth, &revoked).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a reset token for `user_id`; returns the token, of which only the hash is kept.
async fn issue(db: &Db, user_id: &str) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let now = db::unix_now();
    sqlx::query("DELETE FROM password_resets WHERE used = 1 OR expires_at <= ?")
        .bind(now)
        .execute(db)
        .await?;
    sqlx::query("INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES (?, ?, ?)")
        .bind(digest(&token))
        .bind(user_id)
        .bind(now + TOKEN_LIFETIME_SECS)
        .execute(db)
        .await?;
    Ok(token)
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
