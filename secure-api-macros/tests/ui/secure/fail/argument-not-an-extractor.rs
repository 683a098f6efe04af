// An argument that is no extractor: refused at the argument, by type; routing it is then refused
// at `get(...)` too, where the router's state is known.

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
