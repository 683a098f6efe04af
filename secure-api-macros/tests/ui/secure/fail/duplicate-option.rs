use secure_api::prelude::*;

#[secure(auth, auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

fn main() {}
