// `Sanitized` comes from the derive: a hand-written impl would publish an unchecked type.

#[derive(serde::Serialize, Debug)]
struct UserRow {
    id: i64,
    password_hash: String,
}

impl secure_api::Sanitized for UserRow {}

fn main() {}
