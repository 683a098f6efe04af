// A field both kept out of responses and published on purpose.

use secure_api::Sanitized;

#[derive(Sanitized)]
struct UserView {
    id: i64,
    #[sensitive]
    #[expose]
    api_key: String,
}

fn main() {}
