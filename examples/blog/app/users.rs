//! Users: the stored row, the views the API sends, and the `/users` and `/admin/users` routes.
//!
//! The row is never sent. What a client sees is a view built from it, the article's
//! `sanitizeUser` (Best Practice 7): `{"id","name","email","createdAt"}`, plus the role for an
//! admin. The row derives `Sanitized` too, with its hash `#[sensitive]`, so that even a row sent
//! or logged by mistake carries no hash: the derive refuses a field named like a secret that
//! does not say which it is.

use secure_api::prelude::*;
use uuid::Uuid;

use super::AppState;
use super::db::{self, Db};

/// A user as stored.
#[derive(sqlx::FromRow, Sanitized)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    #[sensitive]
    pub password_hash: String,
    pub role: String,
    pub created_at: String,
}

/// A user as other users see them.
#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
#[sanitized(from = "User")]
pub struct UserView {
    id: String,
    name: String,
    email: String,
    created_at: String,
}

/// A user as an admin sees them.
#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
#[sanitized(from = "User")]
pub struct AdminUserView {
    id: String,
    name: String,
    email: String,
    role: String,
    created_at: String,
}

/// The caller's own view.
#[secure(auth)]
pub async fn me(user: AuthUser, State(app): State<AppState>) -> ApiResult<Json<UserView>> {
    let me = find(&app.db, user.id())
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(me.into()))
}

/// Any user's view, to any logged-in user. A malformed id is a `404`, like a missing one.
#[secure(auth)]
pub async fn show(Path(id): Path<Uuid>, State(app): State<AppState>) -> ApiResult<Json<UserView>> {
    let user = find(&app.db, &id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(user.into()))
}

/// Every user, with their role: admins only (`403` for everyone else).
#[secure(auth, role = "admin")]
pub async fn list(State(app): State<AppState>) -> ApiResult<Json<Vec<AdminUserView>>> {
    let users: Vec<User> = sqlx::query_as(
        "SELECT id, email, name, password_hash, role, created_at FROM users ORDER BY created_at",
    )
    .fetch_all(&app.db)
    .await?;
    Ok(Json(users.into_iter().map(AdminUserView::from).collect()))
}

pub async fn find(db: &Db, id: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, email, name, password_hash, role, created_at FROM users WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The user with this email (compared lowercased, as stored).
pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, email, name, password_hash, role, created_at FROM users WHERE email = ?",
    )
    .bind(email.to_lowercase())
    .fetch_optional(db)
    .await
}

/// Adds a user, or returns `None` when the email is taken.
pub async fn insert(
    db: &Db,
    email: &str,
    name: &str,
    password_hash: &str,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (email) DO NOTHING \
         RETURNING id, email, name, password_hash, role, created_at",
    )
    .bind(db::new_id())
    .bind(email.to_lowercase())
    .bind(name)
    .bind(password_hash)
    .bind(db::timestamp())
    .fetch_optional(db)
    .await
}

/// Creates the admin of `BLOG_ADMIN_EMAIL`, or makes that user an admin with this password.
pub async fn ensure_admin(db: &Db, email: &str, password_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, role, created_at) \
         VALUES (?, ?, 'Admin', ?, 'admin', ?) \
         ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash, role = 'admin'",
    )
    .bind(db::new_id())
    .bind(email.to_lowercase())
    .bind(password_hash)
    .bind(db::timestamp())
    .execute(db)
    .await?;
    Ok(())
}

/// Sets a user's password hash, in the caller's transaction.
pub async fn set_password(
    conn: &mut sqlx::SqliteConnection,
    id: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(password_hash)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
