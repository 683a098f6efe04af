use secure_api::prelude::*;

#[secure(auth = "bearer")]
async fn tokens_only(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth = "api_key", scope = "exports:read")]
async fn keys_only(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth = any("bearer", "api_key"))]
async fn either(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth = "session")]
async fn browsers_only(user: AuthUser) -> String {
    user.id().to_owned()
}

fn main() {
    let app = secure_api::Router::<()>::new()
        .route("/either", secure_api::routing::get(either))
        .route("/keys", secure_api::routing::get(keys_only))
        .route("/tokens", secure_api::routing::get(tokens_only))
        .route("/browsers", secure_api::routing::get(browsers_only));
    let inventory = app.inventory().to_json();
    let schemes: Vec<&serde_json::Value> = (0..4).map(|i| &inventory[i]["schemes"]).collect();
    // In the order of their paths.
    assert_eq!(schemes[0], &serde_json::json!(["session"]));
    assert_eq!(schemes[1], &serde_json::json!(["bearer", "api_key"]));
    assert_eq!(schemes[2], &serde_json::json!(["api_key"]));
    assert_eq!(schemes[3], &serde_json::json!(["bearer"]));
}
