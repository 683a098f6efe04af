// A route that opts out of response checking says so, and the inventory records it.

use secure_api::prelude::*;
use secure_api::routing::get;

#[secure(public, raw_response)]
async fn page() -> impl axum::response::IntoResponse {
    axum::response::Html("<h1>hi</h1>")
}

#[secure(public, raw_response)]
async fn raw() -> axum::response::Response {
    axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT)
}

fn main() {
    let app: secure_api::Router = secure_api::Router::new()
        .route("/", get(page))
        .route("/raw", get(raw));
    assert!(app.routes().iter().all(|route| route.policy.has_raw_response()));
}
