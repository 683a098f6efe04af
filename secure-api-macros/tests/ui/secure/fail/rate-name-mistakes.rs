// `rate_name` names a limit (so that routes share it): it needs one, and a name a header can
// carry as it is.

use secure_api::prelude::*;

#[secure(public, rate_name = "login")]
async fn nameless() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "5/15m", rate_name = "log in; q=1000")]
async fn unsafe_name() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn main() {}
