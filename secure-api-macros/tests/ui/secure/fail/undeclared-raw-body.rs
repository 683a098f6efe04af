// The body as it came, without `raw_body` in the policy: nothing would check it.

use axum::body::Bytes;
use secure_api::prelude::*;

#[secure(public)]
async fn webhook(body: Bytes) -> StatusCode {
    let _ = body;
    StatusCode::NO_CONTENT
}

#[secure(public)]
async fn note(text: String) -> StatusCode {
    let _ = text;
    StatusCode::NO_CONTENT
}

fn main() {}
