// Contradictory options get one error, on the later option; the `AuthUser` argument, which
// only one of them allows, adds none.

use secure_api::prelude::*;

#[secure(public, auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

fn main() {}
