// A field whose type is not `Sanitized`: a database row inside a view.

use secure_api::Sanitized;

#[derive(serde::Serialize)]
struct UserRow {
    id: i64,
    password_hash: String,
}

#[derive(Sanitized)]
struct PostView {
    title: String,
    author: UserRow,
}

fn main() {}
