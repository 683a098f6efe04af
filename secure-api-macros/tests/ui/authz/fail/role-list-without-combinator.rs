// A list of roles must say whether any or all of them are required.

use secure_api::prelude::*;

#[secure(auth, role = ["admin", "moderator"])]
async fn moderate() -> &'static str {
    "ok"
}

fn main() {}
