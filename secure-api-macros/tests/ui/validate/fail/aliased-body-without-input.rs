// A type alias of the prelude's `Json` is decided by its type too.

use secure_api::prelude::*;

type Payload<T> = Json<T>;

#[derive(serde::Deserialize)]
struct NewPost {
    title: String,
}

#[secure(auth)]
async fn create(_user: AuthUser, post: Payload<NewPost>) -> StatusCode {
    let _ = post.0.title;
    StatusCode::CREATED
}

fn main() {}
