// A field named like a token, neither `#[sensitive]` nor `#[expose]`.

use secure_api::Sanitized;

#[derive(Sanitized)]
struct Session {
    user_id: i64,
    refresh_token: String,
}

fn main() {}
