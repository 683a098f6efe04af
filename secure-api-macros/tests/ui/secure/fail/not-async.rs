// A handler that is not `async` gets one error, on the `fn`; routing it adds none.

use secure_api::prelude::*;
use secure_api::routing::get;

#[secure(public)]
fn health() -> &'static str {
    "ok"
}

fn main() {
    let _app: secure_api::Router = secure_api::Router::new().route("/health", get(health));
}
