// A limit by account counts by a string field of the validated body: each way to get that
// wrong is one error on the option's string (or name).

use secure_api::prelude::*;
use serde::Deserialize;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct Login {
    #[validate(length(min = 3, max = 254))]
    email: String,
    #[validate(range(min = 1, max = 99))]
    attempt: u32,
}

#[secure(public, account_rate = "10/15m", account_key = "emial")]
async fn misspelt(Json(login): Json<Login>) -> StatusCode {
    let _ = (login.email, login.attempt);
    StatusCode::NO_CONTENT
}

#[secure(public, account_rate = "10/15m", account_key = "attempt")]
async fn not_a_string(Json(login): Json<Login>) -> StatusCode {
    let _ = (login.email, login.attempt);
    StatusCode::NO_CONTENT
}

#[secure(public, account_rate = "10/15m", account_key = "email")]
async fn no_body(Path(id): Path<u64>) -> String {
    id.to_string()
}

#[secure(public, account_rate = "10/15m")]
async fn no_key(Json(login): Json<Login>) -> StatusCode {
    let _ = (login.email, login.attempt);
    StatusCode::NO_CONTENT
}

fn main() {}
