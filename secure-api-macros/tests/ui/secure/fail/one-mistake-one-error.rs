// A mistake in each derive, and the types used as a handler's body and answer: each mistake
// is one error, at its attribute. The derives still implement their traits (never to run), so
// the handler and the router raise nothing more.

use secure_api::prelude::*;
use secure_api::routing::post;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct NewUser {
    #[validate(length(max = 100))]
    #[input(each(length(min = 1)))]
    name: String,
}

#[derive(Sanitized)]
struct UserView {
    name: String,
    password: String,
}

#[secure(public, rate = "10/1h")]
async fn register(Json(user): Json<NewUser>) -> Json<UserView> {
    Json(UserView {
        name: user.name,
        password: String::new(),
    })
}

fn main() {
    let _app: secure_api::Router = secure_api::Router::new().route("/users", post(register));
}
