// A `Result` around an input hands the handler the rejection instead of a 400.

use axum::extract::rejection::JsonRejection;
use secure_api::prelude::*;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct NewPost {
    #[validate(length(min = 3, max = 200))]
    title: String,
}

#[secure(public)]
async fn create(post: Result<Json<NewPost>, JsonRejection>) -> StatusCode {
    let _ = post;
    StatusCode::CREATED
}

fn main() {}
