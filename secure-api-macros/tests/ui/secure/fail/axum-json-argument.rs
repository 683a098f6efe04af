// axum's own `Json` reads a body without validating it: the prelude's `Json` is the one to take.

use secure_api::prelude::*;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct NewPost {
    #[validate(length(min = 3, max = 200))]
    title: String,
}

#[secure(auth)]
async fn create(_user: AuthUser, axum::Json(post): axum::Json<NewPost>) -> StatusCode {
    let _ = post.title;
    StatusCode::CREATED
}

fn main() {}
