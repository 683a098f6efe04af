//! Password reset: a single-use token, sent by mail ([`mail`]), stored only as its hash.
//!
//! - The token is 256 random bits, so a fast hash is the right one to store it by: SHA-256
//!   cannot be inverted and the token cannot be guessed (argon2's slowness is for passwords,
//!   which can). A stolen database gives no usable token.
//! - It expires after 30 minutes and works once: one statement checks and spends it, so two
//!   concurrent confirms cannot both succeed. A newer request retires every earlier token of
//!   the account: only the latest mail works.
//! - Confirming sets the new password, spends the user's other reset tokens, revokes every
//!   live token of the user ([`sessions`]) and ends every browser session ([`browser`]), in
//!   one transaction: whoever held the old password is logged out.
//! - The request always answers `202 {"status":"accepted"}` at once, known email or not: the
//!   lookup, the token and the mail happen after the answer, off the request path, so neither
//!   the answer nor its time tells whether an account exists. 3 requests per hour per client
//!   address and per account, the article's limit.
//! - The token is never in a response or in the log; it goes to the [`Mailer`](mail::Mailer)
//!   only (in development, an outbox file).

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secure_api::auth::AuthConfig;
use secure_api::prelude::*;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use validator::Validate;

use super::db::{self, Db};
use super::mail::{self, Message};
use super::{AppState, Status, browser, passwords, sessions, users};

/// How long a reset token works.
const TOKEN_LIFETIME_SECS: i64 = 30 * 60;

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
    Json(request): Json<ResetRequest>,
) -> (StatusCode, Json<Status>) {
    // After the answer: it takes the same time whether the email is known, whatever the
    // database or the mailer does, and a failure there is logged, never shown.
    tokio::spawn(async move {
        if let Err(error) = send_token(&app, &request.email).await {
            tracing::error!(target: mail::TARGET, %error, "a password reset could not be sent");
        }
    });
    (StatusCode::ACCEPTED, Json(Status { status: "accepted" }))
}

/// Issues a token for the account of `email`, if there is one, and mails it.
async fn send_token(app: &AppState, email: &str) -> Result<(), Box<dyn std::error::Error>> {
    let Some(user) = users::find_by_email(&app.db, email).await? else {
        return Ok(());
    };
    let Some(mailer) = &app.mailer else {
        tracing::warn!(
            target: mail::TARGET,
            user = %user.id,
            "password reset requested, but no mailer is configured: no mail was sent"
        );
        return Ok(());
    };
    let token = issue(&app.db, &user.id).await?;
    mailer
        .send(Message {
            to: user.email,
            subject: "Reset your password".into(),
            body: format!(
                "Someone asked to reset your password. If it was you, confirm with this token \
                 within 30 minutes: {token}"
            ),
        })
        .await?;
    // The account, never the token.
    tracing::info!(target: mail::TARGET, user = %user.id, "password reset mail sent");
    Ok(())
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
    let invalid = || ApiError::client(StatusCode::BAD_REQUEST, "Invalid or expired token");
    let token_hash = digest(&confirm.token);
    // The cheap check first: a wrong token costs no argon2 hash.
    let live: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM password_resets WHERE token_hash = ? AND used = 0 AND expires_at > ?",
    )
    .bind(&token_hash)
    .bind(db::unix_now())
    .fetch_optional(&app.db)
    .await
    .map_err(db::error)?;
    if live.is_none() {
        return Err(invalid());
    }
    // Hashed before the transaction, which should not wait for argon2; the token is spent in
    // it, so two concurrent confirms still cannot both succeed.
    let hash = passwords::hash(confirm.new_password).await?;
    let mut tx = app.db.begin().await.map_err(db::error)?;
    let user_id: Option<String> = sqlx::query_scalar(
        "UPDATE password_resets SET used = 1 \
         WHERE token_hash = ? AND used = 0 AND expires_at > ? \
         RETURNING user_id",
    )
    .bind(&token_hash)
    .bind(db::unix_now())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db::error)?;
    let Some(user_id) = user_id else {
        return Err(invalid());
    };
    users::set_password(&mut tx, &user_id, &hash)
        .await
        .map_err(db::error)?;
    sqlx::query("UPDATE password_resets SET used = 1 WHERE user_id = ?")
        .bind(&user_id)
        .execute(&mut *tx)
        .await
        .map_err(db::error)?;
    let revoked = sessions::revoke_all(&mut tx, &user_id)
        .await
        .map_err(db::error)?;
    browser::end_all(&mut tx, &user_id)
        .await
        .map_err(db::error)?;
    tx.commit().await.map_err(db::error)?;
    sessions::revoke_in_store(&auth, &revoked).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a reset token for `user_id`; returns the token, of which only the hash is kept.
async fn issue(db: &Db, user_id: &str) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let now = db::unix_now();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM password_resets WHERE used = 1 OR expires_at <= ?")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    // Only the newest token works: an older mail, perhaps read by someone else, is retired.
    sqlx::query("UPDATE password_resets SET used = 1 WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES (?, ?, ?)")
        .bind(digest(&token))
        .bind(user_id)
        .bind(now + TOKEN_LIFETIME_SECS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(token)
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
