//! The audit record with `JsonLogs` installed for the whole process: it skips `tracing`'s
//! dispatch and goes straight into the log queue, and is still exactly one line per request,
//! of the same shape. (Its own test binary: installing logs for a process is once only.)

#![allow(missing_docs)]

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::*;
use secure_api::audit::JsonLogs;
use secure_api::prelude::*;
use secure_api::routing::get;
use serde_json::Value;
use tower::ServiceExt;

#[secure(auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

#[tokio::test]
async fn with_logs_installed_each_request_writes_exactly_one_record_straight_to_the_queue() {
    let buffer = Buffer::default();
    let guard = JsonLogs::to_writer(buffer.clone()).init().unwrap();
    let app = secure_api::Router::new()
        .route("/me", get(me))
        .with_config(hs256_config())
        .into_service();
    let token = hs256_token(&valid_claims());
    let cases: [(&str, Option<&str>, u16, &str, &str); 4] = [
        ("/me", Some(&token), 200, "allowed", "/me"),
        ("/me", None, 401, "unauthenticated", "/me"),
        // A path that tries to end the line and forge a field is never written.
        (
            "/me%22%0A%7B%22forged%22:1%7D",
            None,
            404,
            "not_found",
            "<unmatched>",
        ),
        ("/nowhere", Some(&token), 404, "not_found", "<unmatched>"),
    ];
    let mut ids = Vec::new();
    for (path, token, status, _, _) in cases {
        let mut request = http::Request::get(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let mut request = request.body(Body::empty()).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([203, 0, 113, 9], 4000))));
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        ids.push(
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    drop(guard);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line["target"] == "secure_api::audit")
        .collect();
    assert_eq!(records.len(), cases.len(), "{text}");
    assert!(!text.contains("forged"), "{text}");
    for ((record, id), (_, token, status, decision, route)) in records.iter().zip(&ids).zip(cases) {
        assert_eq!(record["request_id"], id.as_str(), "{text}");
        assert_eq!(record["status"], status);
        assert_eq!(record["decision"], decision);
        assert_eq!(record["route"], route);
        assert_eq!(record["method"], "GET");
        assert_eq!(record["level"], "INFO");
        assert_eq!(record["message"], "request");
        assert!(record["latency_us"].is_u64());
        assert!(record["timestamp"].as_str().unwrap().ends_with('Z'));
        let expected_user = (status == 200 && token.is_some()).then_some("user-1");
        assert_eq!(record["user_id"].as_str(), expected_user, "{record}");
    }
}
