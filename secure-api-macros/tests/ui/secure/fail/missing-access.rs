// Options that do not say who may call the route.

use secure_api::prelude::*;

#[secure(role = "admin")]
async fn purge() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn main() {}
