// A serde attribute the derive does not implement.

use secure_api::Sanitized;

#[derive(Sanitized)]
#[serde(tag = "type")]
struct UserView {
    id: i64,
    #[serde(flatten)]
    extra: Vec<String>,
}

fn main() {}
