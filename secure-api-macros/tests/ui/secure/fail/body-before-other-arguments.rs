// Only the last argument may read the body, as in axum: a `Json` written before others is
// refused at the argument, saying to put it last.

use secure_api::prelude::*;
use secure_api::routing::post;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct Edit {
    #[validate(length(min = 1, max = 200))]
    title: String,
}

#[secure(auth)]
async fn edit(Json(edit): Json<Edit>, user: AuthUser, Path(id): Path<u64>) -> String {
    format!("{id} {} by {}", edit.title, user.id())
}

fn main() {
    let _app: secure_api::Router = secure_api::Router::new().route("/posts/{id}", post(edit));
}
