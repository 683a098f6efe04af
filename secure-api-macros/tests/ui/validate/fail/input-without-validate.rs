// `Input` without `Validate`: there are no rules to check.

use secure_api::Input;

#[derive(serde::Deserialize, Input)]
struct NewPost {
    views: u32,
}

fn main() {}
