//! Users: the stored row, the views the API sends, and the `/users` and `/admin/users` routes.
//!
//! The row is never sent. What a client sees is a view built from it, the article's
//! `sanitizeUser` (Best Practice 7): `{"id","name"}` of anyone, `{"id","name","email",
//! "createdAt"}` of oneself, plus the role in an admin's list. The row derives `Sanitized` too, with its hash `#[sensitive]`, so that even a row sent
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

/// A user as anyone else sees them: a public profile, never the email, which is for the
/// user themself (`/users/me`) and for admins (`/admin/users`) only.
#[derive(Sanitized)]
#[sanitized(from = "User")]
pub struct PublicProfile {
    id: String,
    name: String,
}

/// A user as they see themselves.
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
        .await
        .map_err(db::error)?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(me.into()))
}

/// Any user's public profile, to any logged-in user: one shape for everyone (the caller's own
/// email is at `/users/me`), so the route cannot be used to collect authors' emails. A
/// malformed id is a `404`, like a missing one.
#[secure(auth)]
pub async fn show(
    Path(id): Path<Uuid>,
    State(app): State<AppState>,
) -> ApiResult<Json<PublicProfile>> {
    let user = find(&app.db, &id.to_string())
        .await
        .map_err(db::error)?
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
    .await
    .map_err(db::error)?;
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
/// A changed password (or a user made admin) logs out every session of the account, as a
/// password reset does: rotating `BLOG_ADMIN_PASSWORD` must lock out whoever had the old one.
/// Returns the sessions revoked, for the revocation store.
pub async fn ensure_admin(
    db: &Db,
    email: &str,
    password: &str,
) -> Result<Vec<super::sessions::Session>, super::StartError> {
    let existing = find_by_email(db, email).await?;
    if let Some(user) = &existing {
        let same = super::passwords::verify(password.to_owned(), user.password_hash.clone())
            .await
            .map_err(|e| e.to_string())?;
        if same && user.role == "admin" {
            return Ok(Vec::new());
        }
    }
    let hash = super::passwords::hash(password.to_owned())
        .await
        .map_err(|e| e.to_string())?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, role, created_at) \
         VALUES (?, ?, 'Admin', ?, 'admin', ?) \
         ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash, role = 'admin'",
    )
    .bind(db::new_id())
    .bind(email.to_lowercase())
    .bind(&hash)
    .bind(db::timestamp())
    .execute(&mut *tx)
    .await?;
    let revoked = match &existing {
        Some(user) => {
            super::browser::end_all(&mut tx, &user.id).await?;
            super::sessions::revoke_all(&mut tx, &user.id).await?
        }
        None => Vec::new(),
    };
    tx.commit().await?;
    Ok(revoked)
}

/// Whether `id`'s password hash is still `hash` (none changed it since it was checked).
pub async fn password_unchanged(db: &Db, id: &str, hash: &str) -> Result<bool, sqlx::Error> {
    let same: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM users WHERE id = ? AND password_hash = ?")
            .bind(id)
            .bind(hash)
            .fetch_optional(db)
            .await?;
    Ok(same.is_some())
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
