use secure_api::prelude::*;

struct Api;

impl Api {
    #[secure(public)]
    async fn health(&self) -> &'static str {
        "ok"
    }
}

fn main() {}
