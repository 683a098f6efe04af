//! The article's blog API on SQLite: everything but `main`, shared by the example binary and
//! its tests (`tests/blog/`), which serve it on a real socket.
//!
//! | module | what it holds |
//! |---|---|
//! | [`auth`] | register, login, logout: passwords checked, tokens minted and revoked |
//! | [`browser`] | browser sessions: the cookie login, who-am-I and logout, the sessions table |
//! | [`reset`] | password reset: single-use tokens, stored hashed, expiring in 30 minutes |
//! | [`mail`] | the `Mailer` reset tokens go to: an owner-only outbox file in development |
//! | [`sessions`] | the tokens minted at login, so a logout or reset also holds after a restart |
//! | [`users`] | the user row and the views the API sends of it |
//! | [`keys`] | API keys for a user's machine clients: the store the framework checks them in, and `/users/me/keys` |
//! | [`posts`] | posts: the owner rule, the validated inputs, the public list |
//! | [`passwords`] | argon2id on a bounded pool: one hash per core, a short queue, then `503` |
//! | [`db`] | the pool (WAL, busy timeout), embedded migrations, ids and timestamps |
//!
//! Each handler declares who may call it with `#[secure(...)]`, and the router accepts no
//! handler that does not. The rest of the article's checklist (401s, 404s for others' posts,
//! validation, generic errors, security headers, rate limits, audit logs) is the framework's
//! work, done before and after each handler runs.

pub mod auth;
pub mod browser;
pub mod db;
pub mod keys;
pub mod mail;
pub mod passwords;
pub mod posts;
pub mod reset;
pub mod sessions;
pub mod users;

use std::error::Error;
use std::sync::Arc;

use secure_api::auth::SessionConfig;
use secure_api::prelude::*;
use secure_api::rate::Quota;
use secure_api::routing::{OpenApiDocument, delete, get, post};
use secure_api::{ConfigError, Mode, Router, SecurityConfig};
use validator::Validate;

/// The `iss` and `aud` of this API's tokens.
pub const TOKEN_ISSUER: &str = "secure-api-blog";

/// Why the blog could not start.
pub type StartError = Box<dyn Error + Send + Sync>;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    db: db::Db,
    /// See [`passwords::dummy_hash`].
    dummy_hash: Arc<str>,
    /// Where reset tokens are mailed; `None` in production until one is configured.
    mailer: Option<Arc<dyn mail::Mailer>>,
    openapi: OpenApiDocument,
}

/// The blog's own settings; the framework reads its own ([`security_config`]).
pub struct Settings {
    /// `DATABASE_URL`: `sqlite://blog.db` by default.
    pub database_url: String,
    /// `BLOG_API_RATE`: the general limit of every `/api` route, per client address.
    pub api_rate: Quota,
    /// `BLOG_ADMIN_EMAIL` and `BLOG_ADMIN_PASSWORD`.
    pub admin: Option<auth::Register>,
    /// `BLOG_MAIL_OUTBOX`: the file mail goes to; in development `outbox.jsonl` by default,
    /// in production no mail without it.
    pub mail_outbox: Option<std::path::PathBuf>,
}

impl Settings {
    /// Reads the settings through `var` (`std::env::var`, or a test's map).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, StartError> {
        let admin = match (var("BLOG_ADMIN_EMAIL"), var("BLOG_ADMIN_PASSWORD")) {
            (None, None) => None,
            (Some(email), Some(password)) => {
                let admin = auth::Register {
                    email,
                    name: "Admin".into(),
                    password,
                };
                admin.validate().map_err(|_| {
                    "BLOG_ADMIN_EMAIL must be an email address and BLOG_ADMIN_PASSWORD \
                     12 to 128 characters"
                })?;
                Some(admin)
            }
            _ => {
                return Err("set both BLOG_ADMIN_EMAIL and BLOG_ADMIN_PASSWORD, or neither".into());
            }
        };
        let api_rate = var("BLOG_API_RATE").unwrap_or_else(|| "100/15m".into());
        Ok(Self {
            database_url: var("DATABASE_URL").unwrap_or_else(|| "sqlite://blog.db".into()),
            api_rate: api_rate
                .parse()
                .map_err(|error| format!("BLOG_API_RATE `{api_rate}`: {error}"))?,
            admin,
            mail_outbox: var("BLOG_MAIL_OUTBOX").map(Into::into),
        })
    }
}

/// Opens and migrates the database of `settings`.
pub async fn open(settings: &Settings) -> Result<db::Db, StartError> {
    Ok(db::connect(&settings.database_url).await?)
}

/// The framework's configuration from the environment (`SecurityConfig::from_env`: the JWT
/// secret or keys, production mode, trusted proxies, TLS, Redis, ...), with this API as the
/// issuer and audience of its tokens, and its API keys and browser sessions in `db`.
pub fn security_config(
    var: impl Fn(&str) -> Option<String>,
    db: &db::Db,
) -> Result<SecurityConfig, ConfigError> {
    let keys = keys::SqliteApiKeys::new(db.clone());
    let sessions = SessionConfig::new(browser::SqliteSessions::new(db.clone()));
    SecurityConfig::from_lookup_with(
        |name| match name {
            "JWT_ISSUER" | "JWT_AUDIENCE" => Some(TOKEN_ISSUER.into()),
            _ => var(name),
        },
        |builder| builder.configure_auth(|auth| auth.api_keys(keys).sessions(sessions)),
    )
}

/// The routes, each with the policy its handler declares, and the general `/api` limit.
pub fn routes(api_rate: Quota) -> Router<AppState> {
    let api = Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route(
            "/auth/session",
            post(browser::log_in)
                .get(browser::show)
                .delete(browser::log_out),
        )
        .route("/auth/reset-password", post(reset::request))
        .route("/auth/reset-password/confirm", post(reset::confirm))
        .route("/users/me", get(users::me))
        .route("/users/me/keys", get(keys::list).post(keys::create))
        .route("/users/me/keys/{id}", delete(keys::revoke))
        .route("/users/{id}", get(users::show))
        .route("/admin/users", get(users::list))
        .route("/posts", get(posts::list).post(posts::create))
        .route(
            "/posts/{id}",
            get(posts::read).put(posts::update).delete(posts::delete),
        )
        .route("/openapi.json", get(openapi));
    Router::new()
        .route("/health", get(health))
        .nest("/api/v1", api)
        .rate_limit("/api", api_rate)
        // A public route without a limit would stop start-up.
        .require_limits()
}

/// Creates or updates the admin, restores revocations, and returns the app on `db` (from
/// [`open`]), ready for `secure_api::serve`.
pub async fn build(
    settings: &Settings,
    db: db::Db,
    config: SecurityConfig,
) -> Result<Router, StartError> {
    let state = prepare(settings, db, &config).await?;
    Ok(router(settings, config, state))
}

/// What [`build`] does before the router: the admin, the revocations restored, the mailer,
/// the dummy hash and the OpenAPI document, in the state the handlers share.
pub async fn prepare(
    settings: &Settings,
    db: db::Db,
    config: &SecurityConfig,
) -> Result<AppState, StartError> {
    if let Some(admin) = &settings.admin {
        let revoked = users::ensure_admin(&db, &admin.email, &admin.password).await?;
        sessions::revoke_in_store(config.auth(), &revoked).await?;
        tracing::info!(email = %admin.email, sessions_revoked = revoked.len(), "admin account ready");
    }
    let restored = sessions::restore(&db, config.auth()).await?;
    tracing::info!(restored, "revoked tokens restored");
    let mailer = mailer(settings, config.mode())?;
    // With the config: the document declares the schemes it configures (tokens, API keys).
    let openapi = routes(settings.api_rate)
        .with_config(config.clone())
        .openapi("secure-api blog", "1.0.0");
    Ok(AppState {
        db,
        dummy_hash: passwords::dummy_hash()
            .await
            .map_err(|e| e.to_string())?
            .into(),
        mailer,
        openapi,
    })
}

/// The app on a prepared `state`: the routes, the config, the state. Cheap, so that a test
/// can make a fresh app (with fresh rate limiters) for each of its probes.
pub fn router(settings: &Settings, config: SecurityConfig, state: AppState) -> Router {
    routes(settings.api_rate)
        .with_config(config)
        .with_state(state)
}

/// The outbox of `BLOG_MAIL_OUTBOX`, or development's default one; in production without it,
/// none.
fn mailer(settings: &Settings, mode: Mode) -> Result<Option<Arc<dyn mail::Mailer>>, StartError> {
    let path = match (&settings.mail_outbox, mode) {
        (Some(path), _) => path.clone(),
        (None, Mode::Development) => "outbox.jsonl".into(),
        (None, Mode::Production) => {
            tracing::warn!(
                target: mail::TARGET,
                "no mailer configured (BLOG_MAIL_OUTBOX): password reset mails are not sent"
            );
            return Ok(None);
        }
    };
    let outbox = mail::Outbox::open(&path)
        .map_err(|e| format!("BLOG_MAIL_OUTBOX {}: {e}", path.display()))?;
    tracing::info!(
        target: mail::TARGET,
        outbox = %outbox.path().display(),
        "mail goes to the outbox file (readable by its owner only)"
    );
    Ok(Some(Arc::new(outbox)))
}

/// `{"status": "..."}`.
#[derive(Sanitized)]
pub struct Status {
    status: &'static str,
}

// Generous for load balancers' checks, but limited: the blog requires every public route to be.
#[secure(public, rate = "120/1m")]
async fn health() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// The OpenAPI document, made at start from the same policies the pipeline enforces.
#[secure(public)]
async fn openapi(State(app): State<AppState>) -> OpenApiDocument {
    app.openapi
}
