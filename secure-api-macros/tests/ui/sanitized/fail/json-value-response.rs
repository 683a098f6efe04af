// `serde_json::Value` as a response: anything could be in it.

use secure_api::prelude::*;

#[secure(public)]
async fn anything() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "password": "hunter2" }))
}

fn main() {}
