// A body argument written before others is still read last: the order is the macro's concern.

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
