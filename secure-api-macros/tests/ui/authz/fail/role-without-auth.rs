// Roles on a public route: only a verified token has roles.

use secure_api::prelude::*;

#[secure(public, role = "admin")]
async fn purge() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn main() {}
