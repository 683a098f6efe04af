// A string field needs a size bound: a minimum alone bounds nothing.

use secure_api::Input;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct NewPost {
    #[validate(length(min = 3))]
    title: String,
}

fn main() {}
