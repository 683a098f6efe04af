// `each(length(...))` without a `max` leaves each item of any size.

use secure_api::Input;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct NewPost {
    #[validate(length(max = 10))]
    #[input(each(length(min = 1)))]
    tags: Vec<String>,
}

fn main() {}
