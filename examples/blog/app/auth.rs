//! Accounts and tokens: register, log in, log out (the article's Best Practices 1 and 5).
//!
//! - Tokens are minted by the framework's own auth config, the one that verifies them: HS256
//!   by default, 15 minutes, with `sub`, `iat`, `nbf`, `exp`, a random `jti`, this API as issuer
//!   and audience, and the user's role. Each is recorded as a session ([`sessions`]).
//! - A login with an unknown email is verified against a dummy hash, so it takes as long as a
//!   wrong password and answers the same `401 {"error":"Invalid credentials"}`.
//! - The article's limits, per client address: 5 login attempts per 15 minutes, every attempt
//!   counting, successful or not; 10 registrations per hour.
//! - Logout revokes the token it was called with; other sessions stay logged in.
//! - The cookie login of [`browser`](super::browser) checks passwords here, on the same budgets.

use secure_api::audit::AuditTarget;
use secure_api::auth::{AuthConfig, TokenRequest};
use secure_api::prelude::*;
use serde::Deserialize;
use validator::Validate;

use super::users::{self, User, UserView};
use super::{AppState, db, passwords, sessions};

/// The register form; the admin from the environment obeys the same rules.
#[derive(Deserialize, Validate, Input)]
pub struct Register {
    #[validate(email, length(max = 254))]
    pub email: String,
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    #[validate(length(min = 12, max = 128))]
    pub password: String,
}

#[secure(public, rate = "10/1h")]
pub async fn register(
    State(app): State<AppState>,
    Json(form): Json<Register>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let taken = || ApiError::client(StatusCode::CONFLICT, "Email already registered");
    // The cheap check first: a known email costs no hash. The answer tells as much as the
    // `409` below would (see the README's trade-offs); the insert still settles a race.
    if users::find_by_email(&app.db, &form.email)
        .await
        .map_err(db::error)?
        .is_some()
    {
        return Err(taken());
    }
    let hash = passwords::hash(form.password).await?;
    let user = users::insert(&app.db, &form.email, &form.name, &hash)
        .await
        .map_err(db::error)?
        .ok_or_else(taken)?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[derive(Deserialize, Validate, Input)]
pub struct Login {
    #[validate(length(min = 1, max = 254))]
    pub(super) email: String,
    #[validate(length(min = 1, max = 128))]
    password: String,
}

/// The login's answer: the token is published on purpose, so it says so (`#[expose]`).
#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    #[expose]
    token: String,
    #[expose]
    token_type: &'static str,
    expires_in: u64,
}

// 5 attempts per address, and 10 per account from any number of addresses; the cookie login
// spends the same budgets (`rate_name`).
#[secure(
    public,
    rate = "5/15m",
    account_rate = "10/15m",
    account_key = "email",
    rate_name = "login",
    rate_message = "Too many login attempts"
)]
pub async fn login(
    State(app): State<AppState>,
    auth: AuthConfig,
    target: AuditTarget,
    Json(login): Json<Login>,
) -> ApiResult<Json<TokenResponse>> {
    let user = check_password(&app, &target, login).await?;
    let minted = auth.mint(&TokenRequest::new(&user.id).role(&user.role))?;
    // Only while the password checked is still the user's: a reset may have committed since.
    if !sessions::record(&app.db, &user.id, &user.password_hash, &minted)
        .await
        .map_err(db::error)?
    {
        return Err(invalid_credentials());
    }
    Ok(Json(TokenResponse {
        token: minted.token,
        token_type: "Bearer",
        expires_in: minted.expires_in,
    }))
}

/// The user whose email and password `login` holds, or the one answer for every failure. A
/// login with an unknown email is verified against a dummy hash, so it takes as long.
pub(super) async fn check_password(
    app: &AppState,
    target: &AuditTarget,
    login: Login,
) -> ApiResult<User> {
    let user = users::find_by_email(&app.db, &login.email)
        .await
        .map_err(db::error)?;
    // Failed logins for an existing account are traceable to it in the audit log.
    if let Some(user) = &user {
        target.set(format!("user:{}", user.id));
    }
    let hash = user.as_ref().map_or_else(
        || app.dummy_hash.to_string(),
        |user| user.password_hash.clone(),
    );
    let valid = passwords::verify(login.password, hash).await?;
    user.filter(|_| valid).ok_or_else(invalid_credentials)
}

fn invalid_credentials() -> ApiError {
    ApiError::client(StatusCode::UNAUTHORIZED, "Invalid credentials")
}

// A token's own route: a key has no session to end (it is revoked at `/users/me/keys`).
#[secure(auth = "bearer")]
pub async fn logout(
    user: AuthUser,
    auth: AuthConfig,
    State(app): State<AppState>,
) -> ApiResult<StatusCode> {
    // Every token this API mints has an id; one without would be a misconfiguration.
    let jti = user
        .token_id()
        .ok_or_else(|| ApiError::internal("a verified token without a jti"))?;
    sessions::revoke(&app.db, &auth, jti, user.expires_at()).await?;
    Ok(StatusCode::NO_CONTENT)
}
