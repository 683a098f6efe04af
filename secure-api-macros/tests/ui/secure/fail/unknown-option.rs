use secure_api::prelude::*;

#[secure(pubic)]
async fn health() -> &'static str {
    "ok"
}

fn main() {}
