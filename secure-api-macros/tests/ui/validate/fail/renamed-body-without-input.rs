// A renamed import of the prelude's `Json` is still the validating extractor: a body type that
// is not an `Input` is refused at the argument, whatever the import is called.

use secure_api::prelude::Json as Body;
use secure_api::prelude::*;

#[derive(serde::Deserialize)]
struct NewPost {
    title: String,
}

#[secure(auth)]
async fn create(_user: AuthUser, Body(post): Body<NewPost>) -> StatusCode {
    let _ = post.title;
    StatusCode::CREATED
}

fn main() {}
