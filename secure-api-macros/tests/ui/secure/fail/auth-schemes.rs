use secure_api::prelude::*;

#[secure(auth = "jwt")]
async fn unknown(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth = any("api_key", "api_key"))]
async fn twice(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth = bearer)]
async fn unquoted(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth = any())]
async fn none(user: AuthUser) -> String {
    user.id().to_owned()
}

fn main() {}
