use secure_api::prelude::*;

#[secure("public")]
async fn health() -> &'static str {
    "ok"
}

fn main() {}
