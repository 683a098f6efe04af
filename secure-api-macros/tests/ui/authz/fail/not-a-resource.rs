// `Owned<T>` for a type that does not implement `Resource` for the router's state.

use secure_api::prelude::*;
use secure_api::routing::get;

struct Post {
    author_id: String,
}

#[secure(auth, owner = "author_id")]
async fn read(post: Owned<Post>) -> String {
    post.author_id.clone()
}

fn main() {
    let _app: secure_api::Router = secure_api::Router::new().route("/posts/{id}", get(read));
}
