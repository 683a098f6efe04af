// An `Option` around `Json` would hand the handler an unvalidated body.

use secure_api::prelude::*;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct NewPost {
    #[validate(length(min = 3, max = 200))]
    title: String,
}

#[secure(public)]
async fn create(post: Option<Json<NewPost>>) -> StatusCode {
    let _ = post;
    StatusCode::CREATED
}

fn main() {}
