// Every field an input reads has a size bound: a rule, a type that cannot grow, or an
// `#[input(unbounded)]` on the record.

use secure_api::Input;
use secure_api::validate::Bounded;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize)]
enum Status {
    Draft,
    Published,
}

// An enum of names cannot grow; it says so.
impl Bounded for Status {}

#[derive(Deserialize, Validate, Input)]
struct Author {
    #[validate(length(max = 100))]
    name: String,
}

#[derive(Deserialize, Validate, Input)]
#[allow(dead_code)]
struct NewPost {
    #[validate(length(min = 3, max = 200))]
    title: String,
    #[validate(length(max = 10))]
    #[input(each(length(min = 1, max = 50)))]
    tags: Option<Vec<String>>,
    status: Status,
    #[validate(nested)]
    author: Author,
    draft: bool,
    views: Option<u32>,
    #[input(unbounded)]
    notes: String,
    #[serde(skip)]
    cache: Vec<u8>,
}

fn main() {
    assert_eq!(<NewPost as Input>::UNBOUNDED, ["notes"]);
    let _ = (Status::Draft, Status::Published);
}
