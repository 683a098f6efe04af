//! Browser sessions: the article's advice for single-page apps, "`HttpOnly` cookies with session
//! tokens for better XSS protection", with server-side sessions for easier revocation.
//!
//! - `POST /api/v1/auth/session` checks the password as the token login does (the same
//!   budgets: `rate_name = "login"`), starts a session and answers its cookie and the CSRF
//!   token the page sends back in `X-CSRF-Token` on every unsafe request.
//! - `GET /api/v1/auth/session`: who the session is for, and the CSRF token again (for a page
//!   that reloaded).
//! - `DELETE /api/v1/auth/session`: logout; the user's other sessions stay.
//!
//! The framework does the rest: the cookie's attributes, the id's hash as the key, the idle
//! and absolute timeouts, the cap on sessions, the CSRF check. The sessions live in the
//! `browser_sessions` table ([`SqliteSessions`]); a password reset deletes the user's rows in
//! its own transaction, so whoever held the old password is logged out everywhere.

use secure_api::audit::AuditTarget;
use secure_api::auth::{
    SessionCookie, SessionRecord, SessionRequest, SessionStore, Sessions, StoreError, StoreFuture,
};
use secure_api::prelude::*;
use sqlx::types::Json as JsonColumn;

use super::AppState;
use super::auth::{Login, check_password};
use super::db::Db;

/// The blog's [`SessionStore`]: the `browser_sessions` table.
#[derive(Clone)]
pub struct SqliteSessions {
    db: Db,
}

impl SqliteSessions {
    /// The store on `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// A row of `browser_sessions`.
#[derive(sqlx::FromRow)]
struct SessionRow {
    id_hash: Vec<u8>,
    user_id: String,
    roles: JsonColumn<Vec<String>>,
    scopes: JsonColumn<Vec<String>>,
    csrf_token: String,
    created_at_ms: i64,
    last_seen_at_ms: i64,
    expires_at_ms: i64,
}

impl SessionRow {
    fn into_record(self) -> Result<SessionRecord, StoreError> {
        let id_hash = <[u8; 32]>::try_from(self.id_hash.as_slice())
            .map_err(|_| StoreError("browser session: a hash not of 32 bytes".into()))?;
        let unix = |ms: i64| u64::try_from(ms).unwrap_or_default();
        Ok(SessionRecord {
            id_hash,
            subject: self.user_id,
            roles: self.roles.0,
            scopes: self.scopes.0,
            csrf_token: self.csrf_token,
            created_at_ms: unix(self.created_at_ms),
            last_seen_at_ms: unix(self.last_seen_at_ms),
            expires_at_ms: unix(self.expires_at_ms),
        })
    }
}

const COLUMNS: &str =
    "id_hash, user_id, roles, scopes, csrf_token, created_at_ms, last_seen_at_ms, expires_at_ms";

#[allow(clippy::needless_pass_by_value)] // the shape `map_err` calls
fn store_error(error: sqlx::Error) -> StoreError {
    StoreError(format!("browser sessions: {error}"))
}

fn sql_time(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

impl SessionStore for SqliteSessions {
    fn create<'a>(&'a self, record: &'a SessionRecord) -> StoreFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            sqlx::query(&format!(
                "INSERT INTO browser_sessions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            ))
            .bind(&record.id_hash[..])
            .bind(&record.subject)
            .bind(JsonColumn(&record.roles))
            .bind(JsonColumn(&record.scopes))
            .bind(&record.csrf_token)
            .bind(sql_time(record.created_at_ms))
            .bind(sql_time(record.last_seen_at_ms))
            .bind(sql_time(record.expires_at_ms))
            .execute(&self.db)
            .await
            .map_err(store_error)?;
            Ok(())
        })
    }

    fn find<'a>(
        &'a self,
        id_hash: &'a [u8; 32],
    ) -> StoreFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        Box::pin(async move {
            let row: Option<SessionRow> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM browser_sessions WHERE id_hash = ?"
            ))
            .bind(&id_hash[..])
            .fetch_optional(&self.db)
            .await
            .map_err(store_error)?;
            row.map(SessionRow::into_record).transpose()
        })
    }

    fn touch<'a>(
        &'a self,
        id_hash: &'a [u8; 32],
        at: u64,
    ) -> StoreFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            sqlx::query("UPDATE browser_sessions SET last_seen_at_ms = ? WHERE id_hash = ?")
                .bind(sql_time(at))
                .bind(&id_hash[..])
                .execute(&self.db)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }

    fn remove<'a>(&'a self, id_hash: &'a [u8; 32]) -> StoreFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let done = sqlx::query("DELETE FROM browser_sessions WHERE id_hash = ?")
                .bind(&id_hash[..])
                .execute(&self.db)
                .await
                .map_err(store_error)?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn of_subject<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<Vec<SessionRecord>, StoreError>> {
        Box::pin(async move {
            let rows: Vec<SessionRow> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM browser_sessions WHERE user_id = ?"
            ))
            .bind(subject)
            .fetch_all(&self.db)
            .await
            .map_err(store_error)?;
            rows.into_iter().map(SessionRow::into_record).collect()
        })
    }

    fn remove_subject<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<usize, StoreError>> {
        Box::pin(async move {
            let done = sqlx::query("DELETE FROM browser_sessions WHERE user_id = ?")
                .bind(subject)
                .execute(&self.db)
                .await
                .map_err(store_error)?;
            Ok(usize::try_from(done.rows_affected()).unwrap_or(usize::MAX))
        })
    }
}

/// Ends every browser session of `user_id`, in the caller's transaction (a password reset's).
pub async fn end_all(conn: &mut sqlx::SqliteConnection, user_id: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM browser_sessions WHERE user_id = ?")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// The session's answer: who it is for and the token the page must send back. The token is
/// published on purpose, to the page, so it says so (`#[expose]`).
#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    user_id: String,
    roles: Vec<String>,
    #[expose]
    csrf_token: String,
    /// When the session ends however busy, in seconds since the Unix epoch.
    expires_at: u64,
}

// The token login's budgets, shared: a password guessed through cookies counts as much.
#[secure(
    public,
    rate = "5/15m",
    account_rate = "10/15m",
    account_key = "email",
    rate_name = "login",
    rate_message = "Too many login attempts"
)]
pub async fn log_in(
    State(app): State<AppState>,
    sessions: Sessions,
    target: AuditTarget,
    Json(login): Json<Login>,
) -> ApiResult<(SessionCookie, Json<SessionView>)> {
    let user = check_password(&app, &target, login).await?;
    let started = sessions
        .start(SessionRequest::new(&user.id).role(&user.role))
        .await?;
    // A reset that committed while the old password was checked deleted the user's sessions
    // before this one existed: only a password still the user's may keep it.
    if !super::users::password_unchanged(&app.db, &user.id, &user.password_hash)
        .await
        .map_err(super::db::error)?
    {
        sessions.end_all(&user.id).await?;
        return Err(ApiError::client(
            StatusCode::UNAUTHORIZED,
            "Invalid credentials",
        ));
    }
    let view = SessionView {
        user_id: user.id,
        roles: vec![user.role],
        csrf_token: started.csrf_token,
        expires_at: started.expires_at,
    };
    Ok((started.cookie, Json(view)))
}

#[secure(auth = "session")]
pub async fn show(user: AuthUser, sessions: Sessions) -> ApiResult<Json<SessionView>> {
    let csrf_token = sessions
        .csrf_token()
        .ok_or_else(|| ApiError::internal("a session route without a session"))?;
    Ok(Json(SessionView {
        user_id: user.id().to_owned(),
        roles: user.roles().to_vec(),
        csrf_token: csrf_token.to_owned(),
        expires_at: user.expires_at(),
    }))
}

#[secure(auth = "session")]
pub async fn log_out(sessions: Sessions) -> ApiResult<(SessionCookie, StatusCode)> {
    Ok((sessions.end().await?, StatusCode::NO_CONTENT))
}
