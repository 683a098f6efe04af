use secure_api::prelude::*;

#[secure(public, rate = "5/15x")]
async fn unknown_unit() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "0/1m")]
async fn zero_count() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "5")]
async fn no_duration() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "5/0s")]
async fn zero_duration() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "5000000000/1m")]
async fn count_overflows() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "5/99999999999999999999d")]
async fn duration_overflows() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = 5)]
async fn not_a_string() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn main() {}
