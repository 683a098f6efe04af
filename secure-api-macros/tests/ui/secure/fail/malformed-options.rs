// Every malformed option is reported, not only the first.

use secure_api::prelude::*;

#[secure(auth "x", role = , "admin")]
async fn purge() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn main() {}
