//! Rate limits in every form the attribute takes.
use secure_api::prelude::*;
use secure_api::routing::{get, post};

#[secure(public, rate = "5/15m", rate_message = "Too many login attempts")]
async fn login() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(auth, rate = "100/15m")]
async fn feed() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(auth, rate = "10/s", key = "ip")]
async fn search() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "3/1h")]
async fn reset() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn main() {
    let app: secure_api::Router = secure_api::Router::new()
        .route("/login", post(login))
        .route("/feed", get(feed))
        .route("/search", get(search))
        .route("/reset", post(reset))
        .rate_limit("/", "100/15m");
    let rates: Vec<String> = app
        .routes()
        .iter()
        .filter_map(|route| route.policy.rate_limit())
        .map(|rule| format!("{} by {}", rule.quota(), rule.key().as_str()))
        .collect();
    assert_eq!(rates, ["5/15m by ip", "100/15m by user", "10/1s by ip", "3/1h by ip"]);
}
