//! Posts: the article's Best Practices 2 and 3, declared on the handlers.
//!
//! - Reading a post needs a login and is allowed to its author, or to anyone once it is
//!   published (`owner = "author_id", or = "is_published"`); changing or deleting it is for its
//!   author alone (`owner = "author_id"`). The framework loads the post through [`Resource`]
//!   before the handler runs, and answers for another's draft exactly as for a missing post or
//!   a malformed id (`404`), so ids cannot be probed.
//! - The author of a new post is the verified user, never the client's word: `authorId` in a
//!   body is an unknown field, and unknown fields are refused (`400`) like any invalid input.
//! - Bodies and the page query are validated before the handler runs: the article's schema,
//!   title 3 to 200 characters, content at most 50,000, at most 10 tags.

use secure_api::authz::Resource;
use secure_api::prelude::*;
use serde::Deserialize;
use sqlx::types::Json as JsonColumn;
use uuid::Uuid;
use validator::Validate;

use super::AppState;
use super::db;

/// A post, as stored and as sent.
#[derive(sqlx::FromRow, Sanitized)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    pub id: String,
    pub title: String,
    pub content: String,
    #[sqlx(json)]
    pub tags: Vec<String>,
    pub author_id: String,
    pub is_published: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// How `Owned<Post>` finds the post of `/posts/{id}`.
impl Resource<AppState> for Post {
    type Id = Uuid;

    async fn load(id: Uuid, app: &AppState) -> Result<Option<Self>, ApiError> {
        let post = sqlx::query_as(
            "SELECT id, title, content, tags, author_id, is_published, created_at, updated_at \
             FROM posts WHERE id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&app.db)
        .await
        .map_err(db::error)?;
        Ok(post)
    }
}

#[derive(Deserialize, Validate, Input)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    #[validate(range(min = 1))]
    page: Option<u32>,
    #[validate(range(min = 1, max = 100))]
    per_page: Option<u32>,
}

/// The longest excerpt of a post's content in the list, in characters.
pub const EXCERPT_CHARS: u32 = 200;

/// A post as the public list shows it: an excerpt of its content, never all of it, so that a
/// page of 100 posts stays small. The post itself carries the content.
#[derive(sqlx::FromRow, Sanitized)]
#[serde(rename_all = "camelCase")]
pub struct PostSummary {
    pub id: String,
    pub title: String,
    pub excerpt: String,
    #[sqlx(json)]
    pub tags: Vec<String>,
    pub author_id: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
pub struct PostPage {
    items: Vec<PostSummary>,
    page: u32,
    per_page: u32,
    total: i64,
}

/// Published posts, newest first; anyone may read them.
#[secure(public)]
pub async fn list(
    State(app): State<AppState>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Json<PostPage>> {
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(20);
    // SQLite's `substr` counts characters, and the full content never leaves the database.
    let items = sqlx::query_as(
        "SELECT id, title, substr(content, 1, ?) AS excerpt, tags, author_id, created_at, \
         updated_at FROM posts WHERE is_published = 1 \
         ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
    )
    .bind(EXCERPT_CHARS)
    .bind(per_page)
    .bind(i64::from(page - 1) * i64::from(per_page))
    .fetch_all(&app.db)
    .await
    .map_err(db::error)?;
    let total = sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE is_published = 1")
        .fetch_one(&app.db)
        .await
        .map_err(db::error)?;
    Ok(Json(PostPage {
        items,
        page,
        per_page,
        total,
    }))
}

/// The author or, once published, any logged-in user.
#[secure(auth, owner = "author_id", or = "is_published")]
pub async fn read(post: Owned<Post>) -> Json<Post> {
    Json(post.into_inner())
}

/// The article's `createPostSchema`.
#[derive(Deserialize, Validate, Input)]
pub struct NewPost {
    #[validate(length(min = 3, max = 200))]
    title: String,
    #[validate(length(max = 50_000))]
    content: String,
    #[validate(length(max = 10))]
    #[input(each(length(min = 1, max = 50)))]
    tags: Option<Vec<String>>,
}

/// A new draft, by the caller.
#[secure(auth)]
pub async fn create(
    user: AuthUser,
    State(app): State<AppState>,
    Json(new): Json<NewPost>,
) -> ApiResult<(StatusCode, Json<Post>)> {
    let now = db::timestamp();
    let post = Post {
        id: db::new_id(),
        title: new.title,
        content: new.content,
        tags: new.tags.unwrap_or_default(),
        author_id: user.id().to_owned(), // never a client-provided id
        is_published: false,
        created_at: now.clone(),
        updated_at: now,
    };
    sqlx::query(
        "INSERT INTO posts \
         (id, author_id, title, content, tags, is_published, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&post.id)
    .bind(&post.author_id)
    .bind(&post.title)
    .bind(&post.content)
    .bind(JsonColumn(&post.tags))
    .bind(post.is_published)
    .bind(&post.created_at)
    .bind(&post.updated_at)
    .execute(&app.db)
    .await
    .map_err(db::error)?;
    Ok((StatusCode::CREATED, Json(post)))
}

/// The fields an author may change; each is optional.
#[derive(Deserialize, Validate, Input)]
#[serde(rename_all = "camelCase")]
pub struct PostChanges {
    #[validate(length(min = 3, max = 200))]
    title: Option<String>,
    #[validate(length(max = 50_000))]
    content: Option<String>,
    #[validate(length(max = 10))]
    #[input(each(length(min = 1, max = 50)))]
    tags: Option<Vec<String>>,
    is_published: Option<bool>,
}

/// The author's changes; the body of anyone else is never read.
#[secure(auth, owner = "author_id")]
pub async fn update(
    post: Owned<Post>,
    State(app): State<AppState>,
    Json(changes): Json<PostChanges>,
) -> ApiResult<Json<Post>> {
    let mut post = post.into_inner();
    post.title = changes.title.unwrap_or(post.title);
    post.content = changes.content.unwrap_or(post.content);
    post.tags = changes.tags.unwrap_or(post.tags);
    post.is_published = changes.is_published.unwrap_or(post.is_published);
    post.updated_at = db::timestamp();
    sqlx::query(
        "UPDATE posts SET title = ?, content = ?, tags = ?, is_published = ?, updated_at = ? \
         WHERE id = ? AND author_id = ?",
    )
    .bind(&post.title)
    .bind(&post.content)
    .bind(JsonColumn(&post.tags))
    .bind(post.is_published)
    .bind(&post.updated_at)
    .bind(&post.id)
    .bind(&post.author_id)
    .execute(&app.db)
    .await
    .map_err(db::error)?;
    Ok(Json(post))
}

#[secure(auth, owner = "author_id")]
pub async fn delete(post: Owned<Post>, State(app): State<AppState>) -> ApiResult<StatusCode> {
    sqlx::query("DELETE FROM posts WHERE id = ? AND author_id = ?")
        .bind(&post.id)
        .bind(&post.author_id)
        .execute(&app.db)
        .await
        .map_err(db::error)?;
    Ok(StatusCode::NO_CONTENT)
}
