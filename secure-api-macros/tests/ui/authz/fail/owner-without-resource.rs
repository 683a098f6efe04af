// An owner rule on a handler that takes no resource.

use secure_api::prelude::*;

#[secure(auth, owner = "author_id")]
async fn update(Path(id): Path<u64>) -> String {
    id.to_string()
}

fn main() {}
