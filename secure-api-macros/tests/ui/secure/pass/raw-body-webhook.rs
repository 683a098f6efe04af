// A webhook needs the exact bytes for its signature check: `raw_body` lets the handler take
// them, on the record, and the helper validates them after.

use axum::body::Bytes;
use secure_api::prelude::*;
use secure_api::routing::post;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct Event {
    #[validate(length(min = 1, max = 64))]
    kind: String,
}

#[secure(public, raw_body)]
async fn webhook(headers: axum::http::HeaderMap, body: Bytes) -> ApiResult<StatusCode> {
    let _signature = headers.get("x-signature");
    let event: Event = secure_api::validate::json(&body)?;
    let _ = event.kind;
    Ok(StatusCode::NO_CONTENT)
}

fn main() {
    let app: secure_api::Router = secure_api::Router::new().route("/hook", post(webhook));
    assert!(app.inventory().to_json()[0]["rawBody"].as_bool().unwrap());
}
