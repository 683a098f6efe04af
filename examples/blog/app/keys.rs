//! API keys: a user's machine clients (a nightly export, a partner's integration) act as the
//! user without the user's password.
//!
//! The framework verifies `X-API-Key` against [`SqliteApiKeys`]: the key's id finds the row,
//! the secret's SHA-256 is compared in constant time, and the request acts as the key's owner
//! with the owner's *current* role, so a demoted user's keys lose the role at once. The key
//! itself is in the answer that created it and nowhere else: the table holds its hash.
//!
//! Under `/users/me/keys` a user creates (`201`, the key shown once), lists (ids, names,
//! scopes, created and last-used dates) and revokes (`204`) their own keys. Those routes take a
//! bearer token or a browser session, never a key: a key that could mint keys would outlive
//! its own revocation.

use secure_api::auth::{ApiKeyRecord, ApiKeyStore, KeyOwner, StoreError, StoreFuture};
use secure_api::prelude::*;
use serde::Deserialize;
use sqlx::types::Json as JsonColumn;
use validator::Validate;

use super::AppState;
use super::db::{self, Db};

/// How many live (unrevoked, unexpired) keys a user may hold.
pub const MAX_KEYS_PER_USER: i64 = 10;

/// The scopes a key may be given; a key has none it was not given.
pub const KEY_SCOPES: [&str; 2] = ["posts:read", "posts:write"];

/// A scope a key may be given, by its name on the wire. An enum, so that the OpenAPI
/// document lists the names and any other is refused as invalid input.
#[derive(Clone, Copy, Debug, Deserialize, serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyScope {
    #[serde(rename = "posts:read")]
    PostsRead,
    #[serde(rename = "posts:write")]
    PostsWrite,
}

impl KeyScope {
    fn as_str(self) -> &'static str {
        match self {
            Self::PostsRead => KEY_SCOPES[0],
            Self::PostsWrite => KEY_SCOPES[1],
        }
    }
}

// One of two names: it cannot grow.
impl secure_api::validate::Bounded for KeyScope {}

impl secure_api::Schema for KeyScope {
    fn schema(_: &mut secure_api::schema::Components) -> serde_json::Value {
        serde_json::json!({ "type": "string", "enum": KEY_SCOPES })
    }
}

/// The blog's [`ApiKeyStore`]: the `api_keys` table, owners from `users`.
#[derive(Clone)]
pub struct SqliteApiKeys {
    db: Db,
}

impl SqliteApiKeys {
    /// The store on `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// A row of `api_keys`.
#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    user_id: String,
    name: String,
    secret_hash: Vec<u8>,
    scopes: JsonColumn<Vec<String>>,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked: bool,
}

impl KeyRow {
    fn into_record(self) -> Result<ApiKeyRecord, StoreError> {
        let secret_hash = <[u8; 32]>::try_from(self.secret_hash.as_slice())
            .map_err(|_| StoreError(format!("api key {}: a hash not of 32 bytes", self.id)))?;
        let unix = |secs: i64| u64::try_from(secs).unwrap_or_default();
        Ok(ApiKeyRecord {
            id: self.id,
            subject: self.user_id,
            name: self.name,
            secret_hash,
            scopes: self.scopes.0,
            created_at: unix(self.created_at),
            expires_at: self.expires_at.map(unix),
            last_used_at: self.last_used_at.map(unix),
            revoked: self.revoked,
        })
    }
}

#[allow(clippy::needless_pass_by_value)] // the shape `map_err` calls
fn store_error(error: sqlx::Error) -> StoreError {
    StoreError(format!("api keys: {error}"))
}

impl ApiKeyStore for SqliteApiKeys {
    fn find<'a>(
        &'a self,
        id: &'a str,
    ) -> StoreFuture<'a, Result<Option<ApiKeyRecord>, StoreError>> {
        Box::pin(async move {
            let row: Option<KeyRow> = sqlx::query_as(
                "SELECT id, user_id, name, secret_hash, scopes, created_at, expires_at, \
                 last_used_at, revoked FROM api_keys WHERE id = ?",
            )
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(store_error)?;
            row.map(KeyRow::into_record).transpose()
        })
    }

    fn owner<'a>(
        &'a self,
        subject: &'a str,
    ) -> StoreFuture<'a, Result<Option<KeyOwner>, StoreError>> {
        Box::pin(async move {
            let role: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = ?")
                .bind(subject)
                .fetch_optional(&self.db)
                .await
                .map_err(store_error)?;
            Ok(role.map(|role| KeyOwner {
                roles: vec![role],
                scopes: Some(KEY_SCOPES.iter().map(|&scope| scope.to_owned()).collect()),
            }))
        })
    }

    fn used<'a>(&'a self, id: &'a str, at: u64) -> StoreFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            sqlx::query("UPDATE api_keys SET last_used_at = ? WHERE id = ?")
                .bind(i64::try_from(at).unwrap_or(i64::MAX))
                .bind(id)
                .execute(&self.db)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }
}

/// What a user asks for: `{"name":"nightly-export","scopes":["posts:read"],"expiresInDays":90}`.
#[derive(Deserialize, Validate, Input)]
#[serde(rename_all = "camelCase")]
pub struct NewKey {
    #[validate(length(min = 1, max = 64))]
    name: String,
    #[validate(length(min = 1, max = 2))]
    scopes: Vec<KeyScope>,
    /// `None`: the key does not expire (until revoked).
    #[validate(range(min = 1, max = 365))]
    expires_in_days: Option<u32>,
}

/// A key as its owner sees it in the list: never its secret, nor its hash.
#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    id: String,
    name: String,
    scopes: Vec<String>,
    created_at: String,
    last_used_at: Option<String>,
}

/// The answer to a creation: the one time the key is shown.
#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    id: String,
    /// The whole key, for `X-API-Key`.
    #[expose]
    key: String,
    name: String,
    scopes: Vec<String>,
    created_at: String,
    expires_at: Option<String>,
}

/// Unix seconds as RFC 3339, as the other dates of the API.
fn date(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A new key for the caller, shown once.
#[secure(auth = any("bearer", "session"), rate = "20/1h")]
pub async fn create(
    user: AuthUser,
    State(app): State<AppState>,
    Json(new): Json<NewKey>,
) -> ApiResult<(StatusCode, Json<CreatedKey>)> {
    let mut scopes = new.scopes;
    scopes.sort_unstable();
    scopes.dedup();
    let scopes: Vec<String> = scopes
        .iter()
        .map(|scope| scope.as_str().to_owned())
        .collect();
    let key = secure_api::auth::generate_key()?;
    let now = db::unix_now();
    let expires_at = new
        .expires_in_days
        .map(|days| now + i64::from(days) * 86_400);
    // The cap and the insert in one statement: two concurrent creations cannot both pass it.
    let inserted = sqlx::query(
        "INSERT INTO api_keys (id, user_id, name, secret_hash, scopes, created_at, expires_at) \
         SELECT ?, ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM api_keys WHERE user_id = ? \
         AND revoked = 0 AND (expires_at IS NULL OR expires_at > ?)) < ?",
    )
    .bind(&key.id)
    .bind(user.id())
    .bind(&new.name)
    .bind(key.secret_hash.as_slice())
    .bind(JsonColumn(&scopes))
    .bind(now)
    .bind(expires_at)
    .bind(user.id())
    .bind(now)
    .bind(MAX_KEYS_PER_USER)
    .execute(&app.db)
    .await
    .map_err(db::error)?;
    if inserted.rows_affected() == 0 {
        return Err(ApiError::client(
            StatusCode::CONFLICT,
            "Too many API keys: revoke one first",
        ));
    }
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            id: key.id,
            key: key.key,
            name: new.name,
            scopes,
            created_at: date(now),
            expires_at: expires_at.map(date),
        }),
    ))
}

/// What the list shows of a key: never its hash.
#[derive(sqlx::FromRow)]
struct ListedRow {
    id: String,
    name: String,
    scopes: JsonColumn<Vec<String>>,
    created_at: i64,
    last_used_at: Option<i64>,
}

/// The caller's live keys, newest first.
#[secure(auth = any("bearer", "session"))]
pub async fn list(user: AuthUser, State(app): State<AppState>) -> ApiResult<Json<Vec<KeyView>>> {
    let rows: Vec<ListedRow> = sqlx::query_as(
        "SELECT id, name, scopes, created_at, last_used_at FROM api_keys \
         WHERE user_id = ? AND revoked = 0 AND (expires_at IS NULL OR expires_at > ?) \
         ORDER BY created_at DESC, rowid DESC",
    )
    .bind(user.id())
    .bind(db::unix_now())
    .fetch_all(&app.db)
    .await
    .map_err(db::error)?;
    let views = rows
        .into_iter()
        .map(|row| KeyView {
            id: row.id,
            name: row.name,
            scopes: row.scopes.0,
            created_at: date(row.created_at),
            last_used_at: row.last_used_at.map(date),
        })
        .collect();
    Ok(Json(views))
}

/// Revokes one of the caller's keys, at once. Another user's key, an unknown id or a key
/// revoked already is `404`.
#[secure(auth = any("bearer", "session"))]
pub async fn revoke(
    user: AuthUser,
    Path(id): Path<String>,
    State(app): State<AppState>,
) -> ApiResult<StatusCode> {
    let revoked =
        sqlx::query("UPDATE api_keys SET revoked = 1 WHERE id = ? AND user_id = ? AND revoked = 0")
            .bind(&id)
            .bind(user.id())
            .execute(&app.db)
            .await
            .map_err(db::error)?;
    if revoked.rows_affected() == 0 {
        return Err(ApiError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}
