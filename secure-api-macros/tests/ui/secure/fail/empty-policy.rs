use secure_api::prelude::*;

#[secure()]
async fn health() -> &'static str {
    "ok"
}

fn main() {}
