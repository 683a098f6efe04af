// `impl IntoResponse` cannot be inspected, so it needs `raw_response` on the route.

use secure_api::prelude::*;

#[secure(public)]
async fn page() -> impl axum::response::IntoResponse {
    "<h1>hi</h1>"
}

fn main() {}
