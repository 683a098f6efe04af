// A plain handler with extractors, chained onto a secure one: the only error is the missing
// policy, at the handler that lacks it.

use secure_api::prelude::*;
use secure_api::routing::get;

#[secure(public)]
async fn read(Path(id): Path<u64>) -> String {
    id.to_string()
}

async fn update(Path(id): Path<u64>, title: String) -> String {
    format!("{id}: {title}")
}

fn main() {
    let _app: secure_api::Router =
        secure_api::Router::new().route("/posts/{id}", get(read).put(update));
}
