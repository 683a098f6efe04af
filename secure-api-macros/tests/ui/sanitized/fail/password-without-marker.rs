// A field named like a password, neither `#[sensitive]` nor `#[expose]`.

use secure_api::Sanitized;

#[derive(Sanitized)]
struct UserView {
    id: i64,
    password: String,
}

fn main() {}
