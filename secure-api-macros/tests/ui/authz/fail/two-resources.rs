// Two resources: the owner rule could mean either.
use secure_api::authz::Resource;
use secure_api::prelude::*;

struct Post {
    author_id: String,
    title: String,
    is_published: bool,
}

impl Resource<()> for Post {
    type Id = u64;

    async fn load(_id: u64, _state: &()) -> Result<Option<Self>, ApiError> {
        Ok(None)
    }
}

#[secure(auth, owner = "author_id")]
async fn merge(into: Owned<Post>, from: Owned<Post>) -> String {
    format!("{} {}", into.title, from.title)
}

fn main() {}
