//! API keys through the real router: a key acts as its owner, at most with the owner's current
//! grants; every wrong key is the same `401` with a challenge per scheme; routes narrowed to a
//! scheme take only it; a key never shows in a log line or an answer.

mod common;

use std::sync::Arc;

use common::*;
use http::StatusCode;
use secure_api::auth::{AuthConfig, JwtKey, KeyOwner, MemoryApiKeys, TokenRequest};
use secure_api::prelude::*;
use secure_api::routing::get;
use serde_json::json;
use tower::ServiceExt;

#[derive(Sanitized)]
struct Me {
    id: String,
    roles: Vec<String>,
    scopes: Vec<String>,
}

#[secure(auth)]
async fn me(user: AuthUser) -> Json<Me> {
    Json(Me {
        id: user.id().to_owned(),
        roles: user.roles().to_vec(),
        scopes: user.scopes().to_vec(),
    })
}

#[secure(auth, role = "admin")]
async fn admin() -> &'static str {
    "admin"
}

#[secure(auth = "bearer")]
async fn tokens_only() -> &'static str {
    "token"
}

#[secure(auth = "api_key")]
async fn keys_only() -> &'static str {
    "key"
}

#[secure(auth, rate = "3/1m")]
async fn limited() -> &'static str {
    "limited"
}

#[secure(auth, rate = "2/1m", key = "api_key")]
async fn per_key() -> &'static str {
    "per key"
}

struct Fixture {
    keys: Arc<MemoryApiKeys>,
    auth: AuthConfig,
}

fn fixture() -> Fixture {
    let keys = Arc::new(MemoryApiKeys::default());
    keys.set_owner(
        "user-7",
        KeyOwner {
            roles: vec!["admin".into()],
            scopes: Some(vec!["posts:read".into(), "posts:write".into()]),
        },
    );
    keys.set_owner("user-8", KeyOwner::default());
    let auth = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap())
        .api_keys_shared(keys.clone())
        .build()
        .unwrap();
    Fixture { keys, auth }
}

fn app(auth: &AuthConfig) -> secure_api::Router {
    secure_api::Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin))
        .route("/tokens-only", get(tokens_only))
        .route("/keys-only", get(keys_only))
        .route("/limited", get(limited))
        .route("/per-key", get(per_key))
        .with_config(config_with(auth.clone()))
}

fn with_key(uri: &str, key: &str) -> http::Request<axum::body::Body> {
    http::Request::get(uri)
        .header("x-api-key", key)
        .body(axum::body::Body::empty())
        .unwrap()
}

/// The status `service` answers `request` with; the service, cloned, keeps its limiters' counts.
async fn status<S, B>(service: &S, request: http::Request<axum::body::Body>) -> StatusCode
where
    S: tower::Service<http::Request<axum::body::Body>, Response = http::Response<B>> + Clone,
    S::Error: std::fmt::Debug,
{
    service.clone().oneshot(request).await.unwrap().status()
}

fn challenges(reply: &Reply) -> Vec<&str> {
    reply
        .headers
        .get_all("www-authenticate")
        .iter()
        .map(|value| value.to_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_key_acts_as_its_owner_with_no_more_than_the_owner_holds() {
    let Fixture { keys, auth } = fixture();
    let capture = Captured::default();
    let _guard = capture.install();
    let (key, record) = keys
        .create("user-7", "export", &["posts:read", "admin:all"], None)
        .unwrap();
    let reply = send(app(&auth), with_key("/me", &key)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // The owner's roles; the key's scopes the owner holds (`admin:all` is not theirs).
    assert_eq!(
        reply.body,
        json!({ "id": "user-7", "roles": ["admin"], "scopes": ["posts:read"] })
    );
    assert_eq!(
        send(app(&auth), with_key("/admin", &key)).await.status,
        StatusCode::OK
    );

    // The owner is demoted: the key loses the role at once.
    keys.set_owner("user-7", KeyOwner::default());
    assert_eq!(
        send(app(&auth), with_key("/admin", &key)).await.status,
        StatusCode::FORBIDDEN
    );
    // The owner is gone: the key stops working.
    keys.remove_owner("user-7");
    assert_eq!(
        send(app(&auth), with_key("/me", &key)).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The audit record names the key by its id, never the key; no line holds the secret.
    let audit = capture.events("secure_api::audit");
    assert_eq!(audit[0].fields["credential_id"], record.id.as_str());
    assert_eq!(audit[0].fields["auth_scheme"], "api_key");
    assert!(!capture.all_text().contains(&key[20..]));
    assert!(keys.list("user-7")[0].last_used_at.is_some());
}

#[tokio::test]
async fn every_wrong_key_is_the_same_401_with_a_challenge_for_each_scheme() {
    let Fixture { keys, auth } = fixture();
    let (good, record) = keys.create("user-7", "good", &[], None).unwrap();
    let (revoked, revoked_record) = keys.create("user-7", "old", &[], None).unwrap();
    assert!(keys.revoke("user-7", &revoked_record.id));
    let (expired, _) = keys.create("user-7", "past", &[], Some(1)).unwrap();
    let (other, _) = keys.create("user-8", "theirs", &[], None).unwrap();
    let secret = &good[20..];
    let wrong_secret = format!("sk_{}_{}", record.id, b64(&[9u8; 32]));
    let unknown_id = format!("sk_0000000000000000_{secret}");
    // Another user's id with a guessed secret (here: the caller's own).
    let their_id_my_secret = format!("{}{}", &other[..20], secret);
    for key in [
        wrong_secret.as_str(),
        revoked.as_str(),
        expired.as_str(),
        unknown_id.as_str(),
        their_id_my_secret.as_str(),
        "sk_not-a-key",
    ] {
        let reply = send(app(&auth), with_key("/me", key)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{key}");
        assert_eq!(reply.body["error"], "Invalid API key");
        assert_eq!(
            challenges(&reply),
            ["Bearer", "ApiKey header=\"X-API-Key\""],
            "{key}"
        );
        assert!(!reply.text.contains(secret));
    }
}

#[tokio::test]
async fn one_credential_per_request_and_routes_take_only_their_schemes() {
    let Fixture { keys, auth } = fixture();
    let (key, _) = keys.create("user-7", "k", &[], None).unwrap();
    let token = auth.mint(&TokenRequest::new("user-7")).unwrap().token;

    // Both at once: refused, even though each is valid alone (no fallback).
    let both = http::Request::get("/me")
        .header("x-api-key", &key)
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(
        send(app(&auth), both).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(app(&auth), get_with_token("/me", &token)).await.status,
        StatusCode::OK
    );

    // A route for tokens only: a key is no login there, and the challenge names Bearer only.
    let reply = send(app(&auth), with_key("/tokens-only", &key)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["error"], "Authentication required");
    assert_eq!(challenges(&reply), ["Bearer"]);
    assert_eq!(
        send(app(&auth), get_with_token("/tokens-only", &token))
            .await
            .status,
        StatusCode::OK
    );
    // And the other way round.
    let reply = send(app(&auth), get_with_token("/keys-only", &token)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&reply), ["ApiKey header=\"X-API-Key\""]);
    assert_eq!(
        send(app(&auth), with_key("/keys-only", &key)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_limit_by_user_counts_the_owner_whatever_the_credential() {
    let Fixture { keys, auth } = fixture();
    let (key, _) = keys.create("user-7", "k", &[], None).unwrap();
    let token = auth.mint(&TokenRequest::new("user-7")).unwrap().token;
    // One service, so that its limiters count every request.
    let service = app(&auth).into_service();
    let call = |request| status(&service, request);
    assert_eq!(call(with_key("/limited", &key)).await, StatusCode::OK);
    assert_eq!(
        call(get_with_token("/limited", &token)).await,
        StatusCode::OK
    );
    assert_eq!(call(with_key("/limited", &key)).await, StatusCode::OK);
    assert_eq!(
        call(get_with_token("/limited", &token)).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_limit_by_api_key_gives_each_key_its_own_budget_and_tokens_their_users() {
    let Fixture { keys, auth } = fixture();
    let (first, _) = keys.create("user-7", "first", &[], None).unwrap();
    let (second, _) = keys.create("user-7", "second", &[], None).unwrap();
    let token = auth.mint(&TokenRequest::new("user-7")).unwrap().token;
    let service = app(&auth).into_service();
    let call = |request| status(&service, request);
    for _ in 0..2 {
        assert_eq!(call(with_key("/per-key", &first)).await, StatusCode::OK);
    }
    assert_eq!(
        call(with_key("/per-key", &first)).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The owner's other key, and the owner's token, each have their own budget.
    for _ in 0..2 {
        assert_eq!(call(with_key("/per-key", &second)).await, StatusCode::OK);
        assert_eq!(
            call(get_with_token("/per-key", &token)).await,
            StatusCode::OK
        );
    }
    assert_eq!(
        call(get_with_token("/per-key", &token)).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        call(with_key("/per-key", &second)).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let table = app(&auth).inventory().to_string();
    assert!(table.contains("2/1m by api_key"), "{table}");
}

#[tokio::test]
async fn the_inventory_and_the_document_name_each_routes_schemes() {
    let Fixture { auth, .. } = fixture();
    let app = app(&auth);
    let table = app.inventory().to_string();
    assert!(table.contains("auth (bearer)"), "{table}");
    assert!(table.contains("auth (api_key)"), "{table}");
    let document = app.openapi("keys", "1").json().clone();
    assert_eq!(
        document["components"]["securitySchemes"]["apiKeyAuth"],
        json!({ "type": "apiKey", "in": "header", "name": "X-API-Key" })
    );
    assert_eq!(
        document["paths"]["/me"]["get"]["security"],
        json!([{ "bearerAuth": [] }, { "apiKeyAuth": [] }])
    );
    assert_eq!(
        document["paths"]["/keys-only"]["get"]["security"],
        json!([{ "apiKeyAuth": [] }])
    );
}

#[test]
fn a_route_for_keys_in_an_app_without_keys_does_not_start() {
    let auth = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap())
        .build()
        .unwrap();
    let app = secure_api::Router::new()
        .route("/keys-only", get(keys_only))
        .with_config(config_with(auth));
    let panic =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| app.into_service())).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("GET /keys-only"), "{message}");
    assert!(message.contains("api_keys"), "{message}");
}

#[derive(Sanitized)]
struct Visitor {
    user: Option<String>,
}

#[secure(public)]
async fn visitor(user: Option<AuthUser>) -> Json<Visitor> {
    Json(Visitor {
        user: user.map(|user| user.id().to_owned()),
    })
}

#[tokio::test]
async fn an_app_without_keys_ignores_the_header_and_one_with_keys_checks_it() {
    // Without API keys, an `X-API-Key` is no credential: an optional login is simply absent.
    let plain = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap())
        .build()
        .unwrap();
    let app = secure_api::Router::new()
        .route("/visitor", get(visitor))
        .with_config(config_with(plain));
    let reply = send(app, with_key("/visitor", "sk_whatever")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["user"], serde_json::Value::Null);

    // With keys, a bad one is refused even where login is optional; a good one logs in.
    let Fixture { keys, auth } = fixture();
    let (key, _) = keys.create("user-7", "k", &[], None).unwrap();
    let app = secure_api::Router::new()
        .route("/visitor", get(visitor))
        .with_config(config_with(auth));
    let reply = send(app.clone(), with_key("/visitor", "sk_whatever")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = send(app, with_key("/visitor", &key)).await;
    assert_eq!(reply.body["user"], "user-7");
}

/// A store that counts the uses it is told of.
struct CountingStore {
    keys: Arc<MemoryApiKeys>,
    uses: Arc<std::sync::atomic::AtomicUsize>,
}

impl secure_api::auth::ApiKeyStore for CountingStore {
    fn find<'a>(
        &'a self,
        id: &'a str,
    ) -> secure_api::auth::StoreFuture<
        'a,
        Result<Option<secure_api::auth::ApiKeyRecord>, secure_api::auth::StoreError>,
    > {
        self.keys.find(id)
    }

    fn owner<'a>(
        &'a self,
        subject: &'a str,
    ) -> secure_api::auth::StoreFuture<'a, Result<Option<KeyOwner>, secure_api::auth::StoreError>>
    {
        self.keys.owner(subject)
    }

    fn used<'a>(
        &'a self,
        id: &'a str,
        at: u64,
    ) -> secure_api::auth::StoreFuture<'a, Result<(), secure_api::auth::StoreError>> {
        self.uses.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.keys.used(id, at)
    }
}

#[tokio::test]
async fn a_busy_key_records_its_use_once_a_minute_not_on_every_request() {
    use secure_api::auth::ApiKeyStore as _;
    let Fixture { keys, .. } = fixture();
    let (key, _) = keys.create("user-7", "k", &[], None).unwrap();
    let uses = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let auth = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap())
        .api_keys(CountingStore {
            keys: keys.clone(),
            uses: uses.clone(),
        })
        .build()
        .unwrap();
    for _ in 0..5 {
        assert_eq!(
            send(app(&auth), with_key("/me", &key)).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(uses.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(
        keys.find(&keys.list("user-7")[0].id)
            .await
            .unwrap()
            .unwrap()
            .last_used_at
            .is_some()
    );
}
