// An owner field whose type cannot be compared with the user id.

use secure_api::authz::Resource;
use secure_api::prelude::*;

struct Author {
    name: String,
}

struct Post {
    author: Author,
    title: String,
}

impl Resource<()> for Post {
    type Id = u64;

    async fn load(_id: u64, _state: &()) -> Result<Option<Self>, ApiError> {
        Ok(None)
    }
}

#[secure(auth, owner = "author")]
async fn read(post: Owned<Post>) -> String {
    format!("{} by {}", post.title, post.author.name)
}

fn main() {}
