// Every mistake of one attribute is reported at once, and nothing else: the handler still
// expands, so the router that routes it adds no "has no security policy" error.

use secure_api::prelude::*;
use secure_api::routing::get;

#[secure(pubic, auth, auth, public)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

fn main() {
    let _app: secure_api::Router = secure_api::Router::new().route("/me", get(me));
}
