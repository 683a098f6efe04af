// A handler that answers with a database row: the compiler points at the return type.

use secure_api::prelude::*;

#[derive(serde::Serialize)]
struct UserRow {
    id: i64,
    email: String,
    password_hash: String,
}

#[secure(auth)]
async fn me(user: AuthUser) -> Json<UserRow> {
    Json(UserRow {
        id: 1,
        email: user.id().to_owned(),
        password_hash: String::new(),
    })
}

fn main() {}
