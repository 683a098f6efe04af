//! The smallest secure API: a public health check, a login that mints a token, and a route
//! that needs it. Run it with `cargo run --release --example hello`, then:
//!
//! ```text
//! curl -s localhost:3000/health
//! TOKEN=$(curl -s -X POST localhost:3000/login -H 'content-type: application/json' \
//!     -d '{"name":"ada"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
//! curl -s localhost:3000/api/v1/me -H "authorization: Bearer $TOKEN"
//! curl -s localhost:3000/api/v1/me          # 401 {"error":"Authentication required",...}
//! ```

use secure_api::SecurityConfig;
use secure_api::auth::{AuthConfig, TokenRequest};
use secure_api::prelude::*;
use secure_api::routing::{get, post};
use serde::Deserialize;
use validator::Validate;

#[derive(Sanitized)]
struct Health {
    status: &'static str,
}

#[secure(public)]
async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Deserialize, Validate, Input)]
struct Login {
    #[validate(length(min = 1, max = 100))]
    name: String,
}

/// The login's answer. A field named `token` must say it is published on purpose.
#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
struct Token {
    #[expose]
    token: String,
    expires_in: u64,
}

/// A stand-in login that trusts the name it is given: the flagship `blog` example checks
/// passwords. It shows that the config which verifies tokens also mints them.
#[secure(public)]
async fn login(auth: AuthConfig, Json(login): Json<Login>) -> ApiResult<Json<Token>> {
    let minted = auth.mint(&TokenRequest::new(login.name))?;
    Ok(Json(Token {
        token: minted.token,
        expires_in: minted.expires_in,
    }))
}

#[derive(Sanitized)]
struct Me {
    id: String,
}

#[secure(auth)]
async fn me(user: AuthUser) -> Json<Me> {
    Json(Me {
        id: user.id().to_owned(),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // JSON lines on stdout, audit records included, written off the request path.
    let _logs = secure_api::audit::JsonLogs::stdout().init()?;
    let config = SecurityConfig::from_env()?;
    let app = secure_api::Router::new()
        .route("/health", get(health))
        .route("/login", post(login))
        .route("/api/v1/me", get(me))
        .with_config(config);

    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    // Header-read timeout, connection cap, peer addresses, graceful shutdown on Ctrl-C.
    secure_api::serve(listener, app.rate_limit("/", "100/15m")).await?;
    Ok(())
}
