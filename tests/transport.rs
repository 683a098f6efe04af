//! Transport security: the security headers on every response whoever answered, HSTS only on
//! requests known to be HTTPS (TLS, `HTTPS_ONLY`, a trusted proxy), the `308` redirect of plain
//! HTTP in production to the configured origin, CORS on an allow-list, and the body limit.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use common::*;
use http::{HeaderValue, Method, header};
use secure_api::config::SecurityConfigBuilder;
use secure_api::prelude::*;
use secure_api::routing::SecureService;
use secure_api::routing::{get, post};
use secure_api::transport::{Cors, HttpsPolicy, PlainHttp, SecurityHeaders, TlsConnection};
use secure_api::{ConfigError, Mode, Router, SecurityConfig};
use serde_json::json;
use tower::ServiceExt;

const CLIENT: [u8; 4] = [203, 0, 113, 9];
const PROXY: [u8; 4] = [10, 0, 0, 2];
const HSTS: &str = "max-age=31536000; includeSubDomains";
const APP_ORIGIN: &str = "https://app.example.com";
const REDIRECTED: &str = "https://api.example.com/api/x?y=1";
const ALLOW_ORIGIN: &str = "access-control-allow-origin";
const ALLOW_CREDENTIALS: &str = "access-control-allow-credentials";
const REQUEST_METHOD: &str = "access-control-request-method";

/// The headers every response carries, with their default values.
const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'none'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
    ),
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-resource-policy", "same-origin"),
];

#[derive(serde::Deserialize, validator::Validate, Input)]
#[allow(dead_code)]
struct Note {
    // As long as the body limit lets it be: the tests here send notes up to that limit.
    #[validate(length(max = 1_048_576))]
    text: String,
}

#[secure(public)]
async fn ok() -> StatusCode {
    StatusCode::OK
}

#[secure(auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(public, rate = "1/1m")]
async fn limited() -> StatusCode {
    StatusCode::OK
}

#[secure(public)]
async fn boom() -> StatusCode {
    panic!("handler exploded");
}

#[secure(public)]
async fn failing() -> ApiResult<StatusCode> {
    Err(ApiError::internal("x"))
}

#[secure(public)]
async fn slow() -> StatusCode {
    tokio::time::sleep(Duration::from_secs(1)).await;
    StatusCode::OK
}

#[secure(public)]
async fn create(Json(note): Json<Note>) -> String {
    note.text
}

/// A handler that announces its server, caches its answer and sets HSTS by itself.
#[secure(public, raw_response)]
async fn chatty() -> Response {
    let headers = [
        ("server", "x"),
        ("x-powered-by", "y"),
        ("cache-control", "public, max-age=60"),
        ("strict-transport-security", "max-age=5"),
    ];
    (headers, "hi").into_response()
}

#[derive(Clone, Default)]
struct Calls(Arc<AtomicUsize>);

impl Calls {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[secure(public)]
async fn counted(State(calls): State<Calls>) -> StatusCode {
    calls.0.fetch_add(1, Ordering::SeqCst);
    StatusCode::OK
}

/// Every kind of route the tests need, under `config`, as one service.
fn app(config: SecurityConfig) -> SecureService {
    Router::new()
        .route("/x", get(ok))
        .route("/me", get(me))
        .route("/limited", get(limited))
        .route("/boom", get(boom))
        .route("/failing", get(failing))
        .route("/slow", get(slow))
        .route("/notes", post(create))
        .route("/chatty", get(chatty))
        .with_config(config)
        .into_service()
}

/// A `GET`/`POST /api/x` app counting its handler's calls.
fn counted_app(builder: SecurityConfigBuilder) -> (SecureService, Calls) {
    let calls = Calls::default();
    let app = Router::new()
        .route("/api/x", post(counted).get(counted))
        .with_state(calls.clone())
        .with_config(builder.build().unwrap())
        .into_service();
    (app, calls)
}

fn base() -> SecurityConfigBuilder {
    SecurityConfig::builder().auth(hs256_config().auth().clone())
}

fn behind_proxies() -> SecurityConfigBuilder {
    base().trusted_proxies("10.0.0.0/8".parse().unwrap())
}

fn public_origin() -> HttpsPolicy {
    HttpsPolicy::default()
        .public_origin("https://api.example.com")
        .unwrap()
}

/// Production behind `10.0.0.0/8`, redirecting to `https://api.example.com`.
fn production() -> SecurityConfigBuilder {
    behind_proxies()
        .mode(Mode::Production)
        .https(public_origin())
}

fn cors_app() -> SecureService {
    let cors = Cors::allow_origins([APP_ORIGIN]).unwrap();
    app(base().cors(cors.allow_credentials(true)).build().unwrap())
}

fn from_vars(vars: &[(&str, &str)]) -> Result<SecurityConfig, ConfigError> {
    SecurityConfig::from_lookup(|name| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })
}

async fn call(app: &SecureService, request: http::Request<Body>) -> Reply {
    read(app.clone().oneshot(request).await.unwrap()).await
}

fn request(method: Method, uri: &str, headers: &[(&str, &str)]) -> http::Request<Body> {
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).unwrap()
}

/// A `GET` from `peer` (the socket's address, `ConnectInfo`) with `headers`.
fn get_from(peer: [u8; 4], uri: &str, headers: &[(&str, &str)]) -> http::Request<Body> {
    from(peer, request(Method::GET, uri, headers))
}

fn from(peer: [u8; 4], mut request: http::Request<Body>) -> http::Request<Body> {
    let address = SocketAddr::from((peer, 4000));
    request.extensions_mut().insert(ConnectInfo(address));
    request
}

fn over_tls(mut request: http::Request<Body>) -> http::Request<Body> {
    request.extensions_mut().insert(TlsConnection);
    request
}

/// A plain-HTTP `POST` as a proxy would forward it, with a `Host` chosen by the client.
fn plain_post(peer: [u8; 4], uri: &str) -> http::Request<Body> {
    plain(peer, Method::POST, uri, &[])
}

/// A request a proxy at `peer` reports as plain HTTP, with `headers` besides.
fn plain(
    peer: [u8; 4],
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
) -> http::Request<Body> {
    let mut all = vec![("x-forwarded-proto", "http"), ("host", "evil.example")];
    all.extend_from_slice(headers);
    from(peer, request(method, uri, &all))
}

/// The default security headers, each once, a request id, no banner, and HSTS as `hsts` says.
fn assert_secured(reply: &Reply, hsts: bool, case: &str) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(reply.header(name), Some(value), "{case}: {name}");
        let count = reply.headers.get_all(name).iter().count();
        assert_eq!(count, 1, "{case}: {name}");
    }
    let id = reply.header("x-request-id").expect("x-request-id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{case}: request id {id}");
    assert_eq!(reply.header("server"), None, "{case}");
    assert_eq!(reply.header("x-powered-by"), None, "{case}");
    let expected = hsts.then_some(HSTS);
    let sent = reply.header("strict-transport-security");
    assert_eq!(sent, expected, "{case}: HSTS");
}

fn assert_error(reply: &Reply, error: &str, case: &str) {
    assert_eq!(
        reply.body_without_request_id(),
        json!({"error": error}),
        "{case}"
    );
    let id = reply.body["requestId"].as_str();
    assert_eq!(id, reply.header("x-request-id"), "{case}");
    let content_type = reply.header("content-type");
    assert_eq!(content_type, Some("application/json"), "{case}");
}

#[tokio::test(start_paused = true)]
async fn every_kind_of_response_carries_the_security_headers_and_the_error_shape() {
    let config = base()
        .request_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let app = app(config);
    let token = hs256_token(&valid_claims());
    let authorized = call(&app, get_with_token("/me", &token)).await;
    assert_eq!(authorized.status, StatusCode::OK);
    assert_eq!(authorized.text, "user-1");
    assert_secured(&authorized, false, "GET /me with a token");
    let first = call(&app, get_from(CLIENT, "/limited", &[])).await;
    assert_eq!(first.status, StatusCode::OK);

    let unexpected = "An unexpected error occurred";
    let cases = [
        (Method::GET, "/x", 200, ""),
        (Method::GET, "/me", 401, "Authentication required"),
        (Method::GET, "/nowhere", 404, "Not found"),
        (Method::DELETE, "/x", 405, "Method not allowed"),
        (Method::GET, "/limited", 429, "Too many requests"),
        (Method::GET, "/boom", 500, unexpected),
        (Method::GET, "/failing", 500, unexpected),
        (Method::GET, "/slow", 408, "Request timeout"),
    ];
    for (method, path, status, error) in cases {
        let case = format!("{method} {path}");
        let reply = call(&app, from(CLIENT, request(method, path, &[]))).await;
        assert_eq!(reply.status, status, "{case}");
        assert_secured(&reply, false, &case);
        if !error.is_empty() {
            assert_error(&reply, error, &case);
        }
    }
}

#[tokio::test]
async fn a_405_names_the_methods_the_path_serves() {
    let reply = call(&app(hs256_config()), request(Method::DELETE, "/x", &[])).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let allow = reply.header("allow").expect("Allow on a 405");
    assert!(allow.split(',').any(|m| m.trim() == "GET"), "{allow}");
    assert!(!allow.contains("DELETE"), "{allow}");
}

#[tokio::test]
async fn a_handler_loses_its_banner_and_plain_http_hsts_but_keeps_its_cache_control() {
    let reply = call(&app(hs256_config()), get_request("/chatty")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "hi");
    assert_eq!(reply.header("server"), None);
    assert_eq!(reply.header("x-powered-by"), None);
    assert_eq!(reply.header("strict-transport-security"), None);
    assert_eq!(reply.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(reply.header("x-frame-options"), Some("DENY"));
}

#[tokio::test]
async fn hsts_is_sent_over_tls_on_answers_and_errors_alike() {
    let app = app(hs256_config());
    for (path, status) in [("/x", 200), ("/nowhere", 404), ("/me", 401)] {
        let reply = call(&app, over_tls(get_request(path))).await;
        assert_eq!(reply.status, status, "{path}");
        assert_secured(&reply, true, path);
    }
}

#[tokio::test]
async fn assume_https_sends_hsts_on_every_response() {
    let assumed = HttpsPolicy::default().assume_https(true);
    let app = app(base().https(assumed).build().unwrap());
    assert_secured(&call(&app, get_request("/x")).await, true, "200");
    assert_secured(&call(&app, get_request("/nowhere")).await, true, "404");
}

#[tokio::test]
async fn a_trusted_proxy_reporting_https_turns_hsts_on_and_nobody_else_can() {
    let app = app(behind_proxies().build().unwrap());
    let proto = [("x-forwarded-proto", "https")];
    let forwarded = [("forwarded", "for=1.2.3.4;proto=https")];

    let reply = call(&app, get_from(PROXY, "/x", &proto)).await;
    assert_secured(&reply, true, "trusted X-Forwarded-Proto");
    let reply = call(&app, get_from(PROXY, "/x", &forwarded)).await;
    assert_secured(&reply, true, "trusted Forwarded");

    let reply = call(&app, get_from(CLIENT, "/x", &proto)).await;
    assert_secured(&reply, false, "untrusted X-Forwarded-Proto");
    let reply = call(&app, get_from(CLIENT, "/x", &forwarded)).await;
    assert_secured(&reply, false, "untrusted Forwarded");
    let reply = call(&app, request(Method::GET, "/x", &proto)).await;
    assert_secured(&reply, false, "no ConnectInfo");
    // The proxy appends its own value; the client wrote the left one.
    let spoofed = [("x-forwarded-proto", "https, http")];
    let reply = call(&app, get_from(PROXY, "/x", &spoofed)).await;
    assert_secured(&reply, false, "client's https before the proxy's http");
}

#[tokio::test]
async fn changed_security_headers_apply_and_hsts_can_be_turned_off() {
    let csp = HeaderValue::from_static("default-src 'self'");
    let headers = SecurityHeaders::default()
        .set(header::CONTENT_SECURITY_POLICY, csp)
        .remove(&header::CACHE_CONTROL);
    let changed = app(base().security_headers(headers.clone()).build().unwrap());
    for path in ["/x", "/nowhere"] {
        let reply = call(&changed, over_tls(get_request(path))).await;
        let csp = reply.header("content-security-policy");
        assert_eq!(csp, Some("default-src 'self'"), "{path}");
        assert_eq!(reply.header("cache-control"), None, "{path}");
        assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(reply.header("strict-transport-security"), Some(HSTS));
    }

    let no_hsts = headers.hsts(None);
    let app = app(base().security_headers(no_hsts).build().unwrap());
    let reply = call(&app, over_tls(get_request("/x"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("strict-transport-security"), None);
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn production_redirects_plain_http_from_a_trusted_proxy_to_the_public_origin() {
    let (app, calls) = counted_app(production());
    let reply = call(&app, plain(PROXY, Method::GET, "/api/x?y=1", &[])).await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(reply.header("location"), Some(REDIRECTED));
    assert_secured(&reply, false, "308");
    // An absolute-form target names a host too; it is ignored like `Host`.
    let absolute = call(
        &app,
        plain(PROXY, Method::HEAD, "http://evil.example/api/x?y=1", &[]),
    )
    .await;
    assert_eq!(absolute.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(absolute.header("location"), Some(REDIRECTED));
    assert_eq!(calls.count(), 0, "the handler never ran");

    // HTTPS through the proxy is served, with HSTS.
    let https = [("x-forwarded-proto", "https")];
    let reply = call(&app, from(PROXY, request(Method::POST, "/api/x", &https))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_secured(&reply, true, "https via proxy");
    assert_eq!(calls.count(), 1);
}

/// OWASP ASVS 5.0 V4.1.2: a credential sent in the clear is refused, not redirected, so the
/// client notices; so is any request that may change something.
#[tokio::test]
async fn production_refuses_credentials_and_writes_over_plain_http() {
    let (app, calls) = counted_app(production());
    let cases = [
        (
            "a bearer token",
            Method::GET,
            vec![("authorization", "Bearer abc.def.ghi")],
        ),
        ("a cookie", Method::GET, vec![("cookie", "session=abc")]),
        ("a POST", Method::POST, vec![]),
        ("a DELETE", Method::DELETE, vec![]),
    ];
    for (case, method, headers) in cases {
        let reply = call(&app, plain(PROXY, method, "/api/x", &headers)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{case}");
        assert_eq!(reply.header("location"), None, "{case}");
        assert_eq!(reply.body["error"], "HTTPS required", "{case}");
        assert!(reply.body["requestId"].is_string(), "{case}");
        assert_secured(&reply, false, case);
    }
    assert_eq!(calls.count(), 0, "the handler never ran");

    // `all`, the article's behaviour, redirects everything.
    let all = public_origin().plain_http(PlainHttp::RedirectAll);
    let (app, _) = counted_app(behind_proxies().mode(Mode::Production).https(all));
    let with_token = [("authorization", "Bearer abc.def.ghi")];
    let reply = call(&app, plain(PROXY, Method::POST, "/api/x", &with_token)).await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
}

#[tokio::test]
async fn insecure_transport_is_its_own_audit_decision() {
    let logs = Captured::default();
    let _guard = logs.install();
    let (app, _) = counted_app(production());
    let with_token = [("authorization", "Bearer abc.def.ghi")];
    call(&app, plain(PROXY, Method::GET, "/api/x", &with_token)).await;
    let records = logs.events("secure_api::audit");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].fields["decision"], "insecure_transport");
    assert_eq!(records[0].fields["status"], 403);
}

#[tokio::test]
async fn an_untrusted_peer_claiming_plain_http_is_not_redirected() {
    let (app, calls) = counted_app(production());
    let reply = call(&app, plain_post(CLIENT, "/api/x?y=1")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("location"), None);
    assert_secured(&reply, false, "untrusted");
    assert_eq!(calls.count(), 1);
}

#[tokio::test]
async fn development_redirects_only_when_asked() {
    let (app, calls) = counted_app(behind_proxies().https(public_origin()));
    let reply = call(&app, plain_post(PROXY, "/api/x?y=1")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(calls.count(), 1);

    let (app, calls) = counted_app(behind_proxies().https(public_origin().redirect(true)));
    let reply = call(&app, plain(PROXY, Method::GET, "/api/x?y=1", &[])).await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(reply.header("location"), Some(REDIRECTED));
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn production_behind_proxies_without_a_public_origin_does_not_build() {
    let error = behind_proxies().mode(Mode::Production).build().unwrap_err();
    assert!(error.to_string().contains("PUBLIC_URL"), "{error}");
    let no_redirect = HttpsPolicy::default().redirect(false);
    let built = behind_proxies()
        .mode(Mode::Production)
        .https(no_redirect)
        .build();
    assert!(built.is_ok());
    // Without trusted proxies, plain HTTP is never reported, so no origin is needed; but then
    // something else must say the requests are HTTPS.
    let declared = HttpsPolicy::default().assume_https(true);
    assert!(
        base()
            .mode(Mode::Production)
            .https(declared)
            .build()
            .is_ok()
    );
    let error = base().mode(Mode::Production).build().unwrap_err();
    assert!(error.to_string().contains("HTTPS_ONLY"), "{error}");
}

#[tokio::test]
async fn the_environment_configures_https() {
    let error = from_vars(&[("JWT_SECRET", SECRET), ("PUBLIC_URL", "http://x")]).unwrap_err();
    let named = matches!(
        error,
        ConfigError::InvalidEnv {
            var: "PUBLIC_URL",
            ..
        }
    );
    assert!(named, "{error:?}");
    assert!(error.to_string().contains("PUBLIC_URL"), "{error}");

    let config = from_vars(&[
        ("JWT_SECRET", SECRET),
        ("PUBLIC_URL", "https://api.example.com"),
        ("HTTPS_ONLY", "true"),
    ])
    .unwrap();
    assert_eq!(config.https().origin(), Some("https://api.example.com"));
    let app = app(config);
    for (path, status) in [("/x", 200), ("/nowhere", 404), ("/me", 401)] {
        let reply = call(&app, get_request(path)).await;
        assert_eq!(reply.status, status, "{path}");
        assert_secured(&reply, true, path);
    }
}

#[tokio::test]
async fn cors_is_off_by_default() {
    let app = app(hs256_config());
    let reply = call(&app, request(Method::GET, "/x", &[("origin", APP_ORIGIN)])).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header(ALLOW_ORIGIN), None);
    assert_eq!(reply.header(ALLOW_CREDENTIALS), None);
    let preflight = [("origin", APP_ORIGIN), (REQUEST_METHOD, "POST")];
    let reply = call(&app, request(Method::OPTIONS, "/x", &preflight)).await;
    assert_eq!(reply.header(ALLOW_ORIGIN), None);
    assert_eq!(reply.header("access-control-allow-methods"), None);
}

#[tokio::test]
async fn an_allowed_origin_gets_cors_headers_and_a_foreign_one_is_never_reflected() {
    let app = cors_app();
    let reply = call(&app, request(Method::GET, "/x", &[("origin", APP_ORIGIN)])).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header(ALLOW_ORIGIN), Some(APP_ORIGIN));
    assert_eq!(reply.header(ALLOW_CREDENTIALS), Some("true"));
    let vary = reply.header("vary").expect("Vary");
    assert!(vary.to_ascii_lowercase().contains("origin"), "{vary}");
    assert_secured(&reply, false, "CORS 200");

    let evil = [("origin", "https://evil.example")];
    let reply = call(&app, request(Method::GET, "/x", &evil)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header(ALLOW_ORIGIN), None);
    let reflected = reply.headers.values().any(|v| v == "https://evil.example");
    assert!(!reflected, "{:?}", reply.headers);
}

#[tokio::test]
async fn a_preflight_is_answered_with_the_allow_headers_and_the_security_headers() {
    let app = cors_app();
    let preflight = [
        ("origin", APP_ORIGIN),
        (REQUEST_METHOD, "POST"),
        (
            "access-control-request-headers",
            "authorization, content-type",
        ),
    ];
    let reply = call(&app, request(Method::OPTIONS, "/notes", &preflight)).await;
    assert!(reply.status.is_success(), "{}", reply.status);
    assert_eq!(reply.header(ALLOW_ORIGIN), Some(APP_ORIGIN));
    assert_eq!(reply.header(ALLOW_CREDENTIALS), Some("true"));
    let methods = reply
        .header("access-control-allow-methods")
        .expect("methods");
    assert!(methods.contains("POST"), "{methods}");
    let headers = reply
        .header("access-control-allow-headers")
        .expect("headers");
    assert!(
        headers.to_ascii_lowercase().contains("authorization"),
        "{headers}"
    );
    assert_eq!(reply.header("access-control-max-age"), Some("600"));
    assert_secured(&reply, false, "preflight");

    let evil = [("origin", "https://evil.example"), (REQUEST_METHOD, "POST")];
    let reply = call(&app, request(Method::OPTIONS, "/notes", &evil)).await;
    assert_eq!(reply.header(ALLOW_ORIGIN), None);
}

#[tokio::test]
async fn an_error_to_an_allowed_origin_stays_readable_by_the_browser() {
    let app = cors_app();
    let reply = call(&app, request(Method::GET, "/me", &[("origin", APP_ORIGIN)])).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_error(&reply, "Authentication required", "CORS 401");
    assert_eq!(reply.header(ALLOW_ORIGIN), Some(APP_ORIGIN));
    assert_eq!(reply.header(ALLOW_CREDENTIALS), Some("true"));
    assert!(reply.header("vary").is_some());
    assert_secured(&reply, false, "CORS 401");
}

#[tokio::test]
async fn wildcard_cors_with_credentials_does_not_build() {
    let any = Cors::allow_origins(["*"]).unwrap();
    assert!(
        base()
            .cors(any.clone().allow_credentials(true))
            .build()
            .is_err()
    );
    assert!(base().cors(any).build().is_ok());
}

#[tokio::test]
async fn the_environment_configures_cors() {
    let config = from_vars(&[
        ("JWT_SECRET", SECRET),
        (
            "CORS_ALLOWED_ORIGINS",
            "https://a.example,https://b.example",
        ),
    ])
    .unwrap();
    let app = app(config);
    for origin in ["https://a.example", "https://b.example"] {
        let reply = call(&app, request(Method::GET, "/x", &[("origin", origin)])).await;
        assert_eq!(reply.header(ALLOW_ORIGIN), Some(origin));
        assert_eq!(reply.header(ALLOW_CREDENTIALS), None);
    }
    let reply = call(&app, request(Method::GET, "/x", &[("origin", APP_ORIGIN)])).await;
    assert_eq!(reply.header(ALLOW_ORIGIN), None);

    let trailing_slash = [
        ("JWT_SECRET", SECRET),
        ("CORS_ALLOWED_ORIGINS", "https://a.example/"),
    ];
    let error = from_vars(&trailing_slash).unwrap_err();
    let named = matches!(
        error,
        ConfigError::InvalidEnv {
            var: "CORS_ALLOWED_ORIGINS",
            ..
        }
    );
    assert!(named, "{error:?}");
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_refused_with_413_and_the_headers() {
    let app = app(hs256_config());
    let mut declared = post_json("/notes", "{\"text\": \"hi\"}");
    let length = HeaderValue::from_static("2000000");
    declared
        .headers_mut()
        .insert(header::CONTENT_LENGTH, length);
    let reply = call(&app, declared).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&reply, "Payload too large", "declared");
    assert_secured(&reply, false, "declared");

    // The same size sent without a declared length is cut off at the limit.
    let body = format!("{{\"text\": \"{}\"}}", "a".repeat(2_000_000));
    let reply = call(&app, post_json("/notes", &body)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&reply, "Payload too large", "streamed");
    assert_secured(&reply, false, "streamed");

    // Just under the limit is accepted.
    let body = format!("{{\"text\": \"{}\"}}", "a".repeat(1024 * 1024 - 20));
    let reply = call(&app, post_json("/notes", &body)).await;
    assert_eq!(reply.status, StatusCode::OK);
}

/// The declared-length `413` is answered by the gate, inside the CORS layer, so an allowed
/// origin can read it like the streamed `413` and every other error.
#[tokio::test]
async fn a_declared_413_to_an_allowed_origin_stays_readable_by_the_browser() {
    let mut oversized = post_json("/notes", "{}");
    let headers = oversized.headers_mut();
    headers.insert(header::ORIGIN, HeaderValue::from_static(APP_ORIGIN));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("2000000"));
    let reply = call(&cors_app(), oversized).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.header(ALLOW_ORIGIN), Some(APP_ORIGIN));
}

/// Behind a proxy that sets only `X-Forwarded-Proto`, a client-written `Forwarded:
/// proto=https` does not outvote the proxy's `http`: the redirect stands, and no HSTS.
#[tokio::test]
async fn a_client_written_forwarded_header_does_not_override_the_proxys_plain_http() {
    let (app, calls) = counted_app(production());
    let headers = [("forwarded", "proto=https"), ("x-forwarded-proto", "http")];
    let reply = call(&app, from(PROXY, request(Method::GET, "/api/x", &headers))).await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(reply.header("strict-transport-security"), None);
    // A write is refused as plain HTTP too, not served as HTTPS.
    let reply = call(&app, from(PROXY, request(Method::POST, "/api/x", &headers))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(calls.count(), 0);
}
