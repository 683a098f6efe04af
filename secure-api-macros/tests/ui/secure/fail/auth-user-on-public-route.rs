use secure_api::prelude::*;

#[secure(public)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

fn main() {}
