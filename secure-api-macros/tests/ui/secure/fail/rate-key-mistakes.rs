use secure_api::prelude::*;

#[secure(public, rate = "5/15m", key = "user")]
async fn user_key_on_public_route() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(auth, rate = "5/15m", key = "session")]
async fn unknown_key() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(auth, key = "ip", rate_message = "Slow down")]
async fn key_without_rate() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "5/15m", rate_message = "")]
async fn empty_message() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "5/15m", key = "api_key")]
async fn api_key_on_public_route() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(auth = "bearer", rate = "5/15m", key = "api_key")]
async fn api_key_on_route_without_keys() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn main() {}
