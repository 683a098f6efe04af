// An argument that cannot be taken from a request is reported with the argument's type.

use secure_api::prelude::*;
use secure_api::routing::get;

struct Database;

#[secure(public)]
async fn health(_db: Database) -> &'static str {
    "ok"
}

fn main() {
    let _app: secure_api::Router = secure_api::Router::new().route("/health", get(health));
}
