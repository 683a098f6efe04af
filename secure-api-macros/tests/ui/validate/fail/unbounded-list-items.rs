// Ten tags of any size each: the list is bounded, its strings are not.

use secure_api::Input;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct NewPost {
    #[validate(length(max = 10))]
    tags: Option<Vec<String>>,
}

fn main() {}
