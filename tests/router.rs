//! The secure router behaves as axum's: nesting, merging, state, and a real server with
//! connect info. It lists every route's policy, and writes one audit record per request.

mod common;

use std::net::SocketAddr;

use common::*;
use secure_api::policy::Access;
use secure_api::prelude::*;
use secure_api::routing::{delete, get, post};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone)]
struct AppState {
    greeting: &'static str,
}

#[secure(public)]
async fn hello(State(state): State<AppState>) -> String {
    state.greeting.to_owned()
}

#[secure(auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth)]
async fn remove(user: AuthUser, Path(id): Path<u32>) -> StatusCode {
    let _ = (user, id);
    StatusCode::NO_CONTENT
}

#[secure(public)]
async fn peer(
    axum::extract::ConnectInfo(address): axum::extract::ConnectInfo<SocketAddr>,
) -> String {
    address.ip().to_string()
}

fn api() -> secure_api::Router<AppState> {
    let users = secure_api::Router::new()
        .route("/me", get(me))
        .route("/{id}", delete(remove));
    secure_api::Router::new()
        .route("/hello", get(hello).post(hello))
        .nest("/users", users)
}

fn app() -> secure_api::Router {
    secure_api::Router::new()
        .nest("/api/v1", api())
        .merge(secure_api::Router::new().route("/peer", get(peer)))
        .with_state(AppState { greeting: "hi" })
        .with_config(hs256_config())
}

#[tokio::test]
async fn nested_routes_with_state_are_served() {
    let reply = send(app(), get_request("/api/v1/hello")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "hi");

    let token = hs256_token(&valid_claims());
    let reply = send(app(), get_with_token("/api/v1/users/me", &token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "user-1");

    let reply = send(app(), get_request("/api/v1/users/me")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn a_nested_root_route_is_listed_where_it_is_served() {
    let inner: secure_api::Router = secure_api::Router::new().route("/", get(me));
    let app: secure_api::Router = secure_api::Router::new().nest("/api", inner);
    assert_eq!(app.routes()[0].path, "/api");
    assert_eq!(app.routes()[0].policy.module(), "router");
}

#[test]
#[should_panic(expected = "give the config to the outermost router only")]
fn a_nested_router_cannot_bring_its_own_config() {
    let admin: secure_api::Router = secure_api::Router::new()
        .route("/me", get(me))
        .with_config(hs256_config());
    let _app: secure_api::Router = secure_api::Router::new().nest("/admin", admin);
}

#[tokio::test]
async fn handlers_reach_the_routers_own_auth_config() {
    #[secure(public)]
    async fn login(auth: secure_api::auth::AuthConfig) -> ApiResult<String> {
        Ok(auth
            .mint(&secure_api::auth::TokenRequest::new("ada"))?
            .token)
    }
    let app = || {
        secure_api::Router::new()
            .route("/login", post(login))
            .route("/me", get(me))
            .with_state(AppState { greeting: "" })
            .with_config(hs256_config())
    };
    let request = http::Request::post("/login")
        .body(axum::body::Body::empty())
        .unwrap();
    let token = send(app(), request).await.text;
    let reply = send(app(), get_with_token("/me", &token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "ada");
}

#[test]
fn the_router_lists_every_route_with_its_policy() {
    let app = app();
    let listed: Vec<(String, String, &str, Access)> = app
        .routes()
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.path.clone(),
                r.policy.handler(),
                r.policy.access(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                "GET".into(),
                "/api/v1/hello".into(),
                "hello",
                Access::Public
            ),
            (
                "POST".into(),
                "/api/v1/hello".into(),
                "hello",
                Access::Public
            ),
            (
                "GET".into(),
                "/api/v1/users/me".into(),
                "me",
                Access::Authenticated
            ),
            (
                "DELETE".into(),
                "/api/v1/users/{id}".into(),
                "remove",
                Access::Authenticated
            ),
            ("GET".into(), "/peer".into(), "peer", Access::Public),
        ]
    );
}

/// One HTTP/1.1 request over a real socket; returns the raw response.
async fn http(address: SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn a_real_server_gives_handlers_the_peer_address_and_audits_each_request() {
    let logs = Captured::default();
    let _guard = logs.install();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app().into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    let response = http(
        address,
        "GET /peer HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\n127.0.0.1"), "{response}");

    let token = hs256_token(&valid_claims());
    let response = http(
        address,
        &format!(
            "DELETE /api/v1/users/7 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(
        response.starts_with("HTTP/1.1 204 No Content\r\n"),
        "{response}"
    );

    let response = http(
        address,
        "GET /api/v1/users/me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer nope\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        response.starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{response}"
    );

    let response = http(
        address,
        "GET /a/b%0Aforged HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        response.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{response}"
    );
    server.abort();

    let records: Vec<_> = logs
        .events("secure_api::audit")
        .into_iter()
        .map(|e| {
            let f = e.fields;
            json!({
                "method": f["method"], "route": f["route"], "status": f["status"],
                "decision": f["decision"], "user_id": f.get("user_id"),
            })
        })
        .collect();
    assert_eq!(
        records,
        vec![
            json!({ "method": "GET", "route": "/peer", "status": 200, "decision": "allowed", "user_id": null }),
            json!({ "method": "DELETE", "route": "/api/v1/users/{id}", "status": 204, "decision": "allowed", "user_id": "user-1" }),
            json!({ "method": "GET", "route": "/api/v1/users/me", "status": 401, "decision": "unauthenticated", "user_id": null }),
            // The raw path of an unknown route is client text: it is not recorded at all.
            json!({ "method": "GET", "route": "<unmatched>", "status": 404, "decision": "not_found", "user_id": null }),
        ]
    );
    for event in logs.events("secure_api::audit") {
        assert_eq!(event.fields["request_id"].as_str().unwrap().len(), 36);
        assert!(event.fields["latency_us"].is_u64());
    }
    let everything = logs.all_text();
    assert!(!everything.contains(&token), "a token reached the log");
    assert!(
        !everything.contains("forged"),
        "raw client path reached the log"
    );
}

#[tokio::test]
async fn without_a_config_the_environment_is_read() {
    // The test environment sets no JWT_SECRET and no production mode, so a development config
    // with an ephemeral secret is used: public routes work, tokens from elsewhere do not.
    let app = secure_api::Router::new()
        .route("/peer", post(hello))
        .with_state(AppState { greeting: "hey" });
    let request = http::Request::post("/peer")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = send(app, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "hey");
}
