//! Tokens from an identity provider: a real issuer on loopback (an axum app on its own socket)
//! serving OpenID Connect discovery and a key set with RS256 and ES256 keys, the ES256 one
//! without `alg`, as Entra ID serves them.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use common::*;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secure_api::auth::{AuthConfig, JwtKey};
use secure_api::prelude::*;
use secure_api::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;

const RSA2_PRIVATE: &str = include_str!("keys/rsa2-private.pem");
const PUBLIC_JWKS: &str = include_str!("keys/public-jwks.json");

/// What the issuer answers at its key-set URL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Keys,
    Redirect,
    Huge,
}

struct IssuerState {
    /// The issuer's own URL, `http://127.0.0.1:port`.
    url: String,
    /// What discovery says the issuer is (the URL itself, unless a test lies).
    discovery_issuer: Mutex<String>,
    keys: Mutex<Value>,
    answer: Mutex<Answer>,
    key_set_fetches: AtomicUsize,
}

/// A running issuer; dropping the handle stops it (its listener closes).
struct Issuer {
    state: Arc<IssuerState>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Issuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A public JWK of `tests/keys` (`rsa`, `rsa2`, `ec`) with `kid` and, if given, `alg`.
fn jwk(name: &str, kid: &str, alg: Option<&str>) -> Value {
    let all: Value = serde_json::from_str(PUBLIC_JWKS).unwrap();
    let mut key = all[name].clone();
    key["kid"] = kid.into();
    key["use"] = "sig".into();
    if let Some(alg) = alg {
        key["alg"] = alg.into();
    }
    key
}

async fn discovery(State(state): State<Arc<IssuerState>>) -> Response {
    let issuer = state.discovery_issuer.lock().unwrap().clone();
    axum::Json(json!({ "issuer": issuer, "jwks_uri": format!("{}/certs", state.url) }))
        .into_response()
}

async fn certs(State(state): State<Arc<IssuerState>>) -> Response {
    state.key_set_fetches.fetch_add(1, Ordering::SeqCst);
    let answer = *state.answer.lock().unwrap();
    match answer {
        Answer::Keys => {
            let keys = state.keys.lock().unwrap().clone();
            ([("cache-control", "public, max-age=600")], axum::Json(keys)).into_response()
        }
        Answer::Redirect => (
            StatusCode::FOUND,
            [("location", format!("{}/elsewhere", state.url))],
        )
            .into_response(),
        Answer::Huge => {
            let padding = "x".repeat(10 * 1024 * 1024);
            axum::Json(json!({ "keys": [], "padding": padding })).into_response()
        }
    }
}

/// Starts an issuer on `address` (port 0 for a free one) serving `keys`.
async fn start_issuer(address: SocketAddr, keys: Value) -> Issuer {
    let listener = TcpListener::bind(address).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(IssuerState {
        discovery_issuer: Mutex::new(url.clone()),
        url,
        keys: Mutex::new(keys),
        answer: Mutex::new(Answer::Keys),
        key_set_fetches: AtomicUsize::new(0),
    });
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(discovery),
        )
        .route("/certs", axum::routing::get(certs))
        .with_state(Arc::clone(&state));
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Issuer { state, server }
}

fn free_address() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn standard_keys() -> Value {
    json!({ "keys": [jwk("rsa", "rsa-1", Some("RS256")), jwk("ec", "ec-1", None)] })
}

#[derive(Sanitized)]
struct Me {
    id: String,
    scopes: Vec<String>,
    client: Option<String>,
}

#[secure(auth)]
async fn me(user: AuthUser) -> Json<Me> {
    Json(Me {
        id: user.id().to_owned(),
        scopes: user.scopes().to_vec(),
        client: user.client_id().map(str::to_owned),
    })
}

fn app(auth: AuthConfig) -> secure_api::Router {
    secure_api::Router::new()
        .route("/me", get(me))
        .with_config(config_with(auth))
}

/// Claims from `issuer` for this API, with a fresh `jti` so that no token is verified from the
/// cache of an earlier one.
fn claims(issuer: &str) -> Value {
    let now = now();
    json!({
        "sub": "user-7",
        "iss": issuer,
        "aud": "blog-api",
        "iat": now,
        "exp": now + 600,
        "jti": uuid::Uuid::new_v4().to_string(),
        "client_id": "blog-frontend",
        "scp": ["posts:read", "posts:write"],
    })
}

fn token(algorithm: Algorithm, kid: &str, private_pem: &str, claims: &Value) -> String {
    let mut header = Header::new(algorithm);
    header.kid = Some(kid.to_owned());
    header.typ = Some("at+jwt".to_owned());
    let key = match algorithm {
        Algorithm::ES256 => EncodingKey::from_ec_pem(private_pem.as_bytes()),
        _ => EncodingKey::from_rsa_pem(private_pem.as_bytes()),
    }
    .unwrap();
    sign(&header, claims, &key)
}

fn rs256(kid: &str, claims: &Value) -> String {
    token(Algorithm::RS256, kid, RSA_PRIVATE, claims)
}

fn es256(kid: &str, claims: &Value) -> String {
    token(Algorithm::ES256, kid, EC_PRIVATE, claims)
}

fn auth_for(issuer: &str) -> secure_api::auth::AuthConfigBuilder {
    AuthConfig::builder()
        .issuer_url(issuer)
        .audience("blog-api")
        .token_type("at+jwt")
}

async fn status(app: &secure_api::Router, token: &str) -> StatusCode {
    send(app.clone(), get_with_token("/me", token)).await.status
}

#[tokio::test]
async fn tokens_of_the_issuer_verify_and_rotated_keys_are_fetched() {
    let issuer = start_issuer(free_address(), standard_keys()).await;
    let url = issuer.state.url.clone();
    let auth = auth_for(&url).build().unwrap();
    auth.ready().await.unwrap();
    assert_eq!(issuer.state.key_set_fetches.load(Ordering::SeqCst), 1);
    let app = app(auth.clone());

    let reply = send(
        app.clone(),
        get_with_token("/me", &rs256("rsa-1", &claims(&url))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["id"], "user-7");
    // RFC 9068: scopes from `scp` as an array; the client from `client_id`.
    assert_eq!(reply.body["scopes"], json!(["posts:read", "posts:write"]));
    assert_eq!(reply.body["client"], "blog-frontend");
    // The EC key has no `alg`: P-256 means ES256.
    assert_eq!(
        status(&app, &es256("ec-1", &claims(&url))).await,
        StatusCode::OK
    );

    // Another issuer, audience or type is refused by the same keys.
    let mut foreign = claims(&url);
    foreign["aud"] = "another-api".into();
    assert_eq!(
        status(&app, &rs256("rsa-1", &foreign)).await,
        StatusCode::UNAUTHORIZED
    );
    let mut id_token = Header::new(Algorithm::RS256);
    id_token.kid = Some("rsa-1".into());
    let untyped = sign(
        &id_token,
        &claims(&url),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap(),
    );
    assert_eq!(status(&app, &untyped).await, StatusCode::UNAUTHORIZED);

    // Rotation: rsa-2 added, rsa-1 removed, with no restart. The first token of the new key
    // refetches the set at once.
    *issuer.state.keys.lock().unwrap() =
        json!({ "keys": [jwk("rsa2", "rsa-2", Some("RS256")), jwk("ec", "ec-1", None)] });
    let rotated = token(Algorithm::RS256, "rsa-2", RSA2_PRIVATE, &claims(&url));
    assert_eq!(status(&app, &rotated).await, StatusCode::OK);
    assert_eq!(issuer.state.key_set_fetches.load(Ordering::SeqCst), 2);
    // The removed key verifies no new token (and the refetch it would cause is too soon).
    assert_eq!(
        status(&app, &rs256("rsa-1", &claims(&url))).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(issuer.state.key_set_fetches.load(Ordering::SeqCst), 2);

    // The inventory and the OpenAPI document name the issuer.
    let inventory = app.inventory();
    assert_eq!(
        inventory.token_sources(),
        [format!("issuer {url} (OpenID Connect discovery)")]
    );
    assert!(
        inventory
            .to_string()
            .contains(&format!("TOKENS  issuer {url}"))
    );
    let document = app.openapi("blog", "1").json().clone();
    assert_eq!(
        document["components"]["securitySchemes"]["oidc"],
        json!({
            "type": "openIdConnect",
            "openIdConnectUrl": format!("{url}/.well-known/openid-configuration"),
        })
    );
    assert_eq!(
        document["paths"]["/me"]["get"]["security"],
        json!([{ "bearerAuth": [] }, { "oidc": [] }])
    );
}

#[tokio::test]
async fn a_thousand_unknown_kids_cause_one_fetch() {
    let issuer = start_issuer(free_address(), standard_keys()).await;
    let url = issuer.state.url.clone();
    let auth = auth_for(&url).build().unwrap();
    auth.ready().await.unwrap();
    let app = app(auth);
    let requests = (0..1_000).map(|n| {
        let token = es256(&format!("made-up-{n}"), &claims(&url));
        let app = app.clone();
        async move { status(&app, &token).await }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    // The initial fetch and exactly one more.
    assert_eq!(issuer.state.key_set_fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn bad_key_sources_are_refused() {
    // A key set offering only a shared secret and `alg: none`.
    let secrets = json!({ "keys": [
        { "kty": "oct", "kid": "hs", "alg": "HS256", "k": b64(SECRET.as_bytes()) },
        { "kty": "RSA", "kid": "none", "alg": "none", "n": jwk("rsa", "x", None)["n"], "e": "AQAB" },
    ] });
    let issuer = start_issuer(free_address(), secrets).await;
    let url = issuer.state.url.clone();
    let error = auth_for(&url).build().unwrap().ready().await.unwrap_err();
    assert!(
        error.to_string().contains("no key that can verify tokens"),
        "{error}"
    );
    assert!(error.to_string().contains(&url), "{error}");

    // Discovery naming another issuer.
    *issuer.state.keys.lock().unwrap() = standard_keys();
    *issuer.state.discovery_issuer.lock().unwrap() = "https://evil.example.com".into();
    let error = auth_for(&url).build().unwrap().ready().await.unwrap_err();
    assert!(error.to_string().contains("not the configured"), "{error}");
    *issuer.state.discovery_issuer.lock().unwrap() = url.clone();

    // A redirect is never followed; a 10 MiB document is cut off at 1 MiB.
    *issuer.state.answer.lock().unwrap() = Answer::Redirect;
    let error = auth_for(&url).build().unwrap().ready().await.unwrap_err();
    assert!(error.to_string().contains("never followed"), "{error}");
    *issuer.state.answer.lock().unwrap() = Answer::Huge;
    let error = auth_for(&url).build().unwrap().ready().await.unwrap_err();
    assert!(
        error.to_string().contains("larger than 1048576 bytes"),
        "{error}"
    );

    // A server that accepts and never answers: the read timeout ends the fetch.
    let hung = TcpListener::bind(free_address()).await.unwrap();
    let hung_url = format!("http://{}", hung.local_addr().unwrap());
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hung.accept().await {
            held.push(socket);
        }
    });
    let error = auth_for(&hung_url)
        .key_fetch_timeouts(Duration::from_millis(500), Duration::from_millis(300))
        .build()
        .unwrap()
        .ready()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no complete answer"), "{error}");

    // Plain HTTP beyond loopback is refused when the config is built.
    let error = auth_for("http://idp.example.com").build().unwrap_err();
    assert!(
        error.to_string().contains("plain HTTP to another host"),
        "{error}"
    );
}

#[tokio::test]
async fn serve_refuses_to_start_without_keys_unless_told_to() {
    let hung = TcpListener::bind(free_address()).await.unwrap();
    let url = format!("http://{}", hung.local_addr().unwrap());
    drop(hung); // Nothing listens there now: connections are refused.
    let listener = TcpListener::bind(free_address()).await.unwrap();
    let error = secure_api::serve(listener, app(auth_for(&url).build().unwrap()))
        .await
        .unwrap_err();
    assert!(error.to_string().contains(&url), "{error}");
    assert!(error.to_string().contains("refusing to start"), "{error}");

    // Opted in, its tokens are answered 503 until the keys arrive.
    let auth = auth_for(&url).start_without_keys(true).build().unwrap();
    assert!(auth.starts_without_keys());
    let reply = send(
        app(auth),
        get_with_token("/me", &es256("ec-1", &claims(&url))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.body["error"], "Service unavailable");
}

#[tokio::test]
async fn cached_keys_outlive_the_issuer_up_to_the_bound_then_recover() {
    let issuer = start_issuer(free_address(), standard_keys()).await;
    let url = issuer.state.url.clone();
    let address: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let auth = auth_for(&url)
        .max_key_age(Duration::from_secs(1))
        .refresh_on_demand(Duration::from_millis(100))
        .build()
        .unwrap();
    auth.ready().await.unwrap();
    let app = app(auth);
    drop(issuer);
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Unreachable, but its keys are fresh enough.
    assert_eq!(
        status(&app, &es256("ec-1", &claims(&url))).await,
        StatusCode::OK
    );
    // Past the bound: fail closed.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let reply = send(
        app.clone(),
        get_with_token("/me", &es256("ec-1", &claims(&url))),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text
    );
    // Back on the same address: the next token fetches the keys again, with no restart.
    let issuer = start_issuer(address, standard_keys()).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        status(&app, &es256("ec-1", &claims(&url))).await,
        StatusCode::OK
    );
    assert_eq!(issuer.state.key_set_fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_kid_never_crosses_issuers_or_reaches_local_keys() {
    let a = start_issuer(free_address(), json!({ "keys": [jwk("ec", "a-ec", None)] })).await;
    let b = start_issuer(
        free_address(),
        json!({ "keys": [jwk("rsa", "b-rsa", Some("RS256"))] }),
    )
    .await;
    let (a_url, b_url) = (a.state.url.clone(), b.state.url.clone());
    let auth = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap().with_kid("local"))
        .issuer(ISSUER)
        .issuer_url(&a_url)
        .issuer_url(&b_url)
        .audience("blog-api")
        .build()
        .unwrap();
    auth.ready().await.unwrap();
    let app = app(auth);
    // Each issuer's own tokens pass.
    assert_eq!(
        status(&app, &rs256("b-rsa", &claims(&b_url))).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&app, &es256("a-ec", &claims(&a_url))).await,
        StatusCode::OK
    );
    // Issuer A's `iss` with a kid of issuer B, signed by B's key: refused.
    assert_eq!(
        status(&app, &rs256("b-rsa", &claims(&a_url))).await,
        StatusCode::UNAUTHORIZED
    );
    // Issuer A's `iss` with the local key's kid, signed by the local secret: refused.
    let mut local = Header::new(Algorithm::HS256);
    local.kid = Some("local".into());
    let forged = sign(
        &local,
        &claims(&a_url),
        &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    );
    assert_eq!(status(&app, &forged).await, StatusCode::UNAUTHORIZED);
    // The local key still verifies its own issuer's tokens.
    let mut own = claims(ISSUER);
    own["aud"] = "blog-api".into();
    let own = sign(
        &local,
        &own,
        &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    );
    let reply = send(app.clone(), get_with_token("/me", &own)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn a_required_type_is_set_on_minted_tokens() {
    let auth = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap())
        .token_type("at+jwt")
        .build()
        .unwrap();
    let minted = auth
        .mint(&secure_api::auth::TokenRequest::new("user-1"))
        .unwrap();
    let header = jsonwebtoken::decode_header(&minted.token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let app = app(auth);
    assert_eq!(status(&app, &minted.token).await, StatusCode::OK);
    // The same key's token with the default `typ: JWT` is refused.
    let mut claims = claims("-");
    claims.as_object_mut().unwrap().remove("iss");
    claims.as_object_mut().unwrap().remove("aud");
    let plain = hs256_token(&claims);
    assert_eq!(status(&app, &plain).await, StatusCode::UNAUTHORIZED);
}
