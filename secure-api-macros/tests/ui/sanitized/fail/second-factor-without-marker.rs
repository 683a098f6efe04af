// Names of second factors and keys count as secrets too.

use secure_api::Sanitized;

#[derive(Sanitized)]
struct Account {
    id: i64,
    totp_code: String,
    signing_key: String,
}

fn main() {}
