// A body type that is not a validated input: the error is on the argument.

use secure_api::prelude::*;

#[derive(serde::Deserialize)]
struct NewPost {
    title: String,
}

#[secure(auth)]
async fn create(user: AuthUser, Json(post): Json<NewPost>) -> String {
    format!("{} by {}", post.title, user.id())
}

fn main() {}
