// A handler without `#[secure]` has no declared policy, so the secure router refuses it.

use secure_api::routing::get;

async fn health() -> &'static str {
    "ok"
}

fn main() {
    let _app: secure_api::Router = secure_api::Router::new().route("/health", get(health));
}
