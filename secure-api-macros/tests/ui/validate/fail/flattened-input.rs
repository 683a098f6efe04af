// `#[serde(flatten)]` would hide unknown fields from the mass-assignment check.

use secure_api::Input;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize, Validate)]
struct Meta {
    label: String,
}

#[derive(Deserialize, Validate, Input)]
struct NewPost {
    title: String,
    #[serde(flatten)]
    meta: Meta,
}

fn main() {}
