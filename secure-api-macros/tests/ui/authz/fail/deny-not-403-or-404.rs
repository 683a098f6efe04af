// `deny` is 404 or 403.
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

#[secure(auth, owner = "author_id", deny = 401)]
async fn read(post: Owned<Post>) -> String {
    post.title.clone()
}

fn main() {}
