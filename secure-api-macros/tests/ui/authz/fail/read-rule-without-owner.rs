// A read rule needs an owner rule to extend.

use secure_api::prelude::*;

#[secure(auth, or = "is_published")]
async fn read() -> &'static str {
    "ok"
}

fn main() {}
