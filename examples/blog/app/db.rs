//! The database: SQLite through sqlx, one pool for the app.
//!
//! Every statement in the example is a literal with `?` placeholders and bound values, never
//! text pasted into SQL (the article's Best Practice 4): `query("... WHERE id = ?").bind(id)`.
//! Queries are checked when they run (`sqlx::query`, not the compile-time `query!`), so building
//! the example needs no database. The schema is created and migrated at start from the
//! migrations embedded in the binary (`migrations/`).

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// The app's connection pool.
pub type Db = sqlx::SqlitePool;

/// Opens (creating it if missing) and migrates the database at `url`: `sqlite://blog.db`, or
/// `sqlite::memory:` for one that lives as long as the process.
pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        // Readers never block the writer; a writer waits for another rather than failing.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    if !is_in_memory(url) {
        owner_only(options.get_filename())?;
    }
    let pool = if is_in_memory(url) {
        // A memory database lives only as long as a connection to it: keep exactly one.
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        SqlitePoolOptions::new()
    }
    .connect_with(options)
    .await?;
    sqlx::migrate!("examples/blog/migrations")
        .run(&pool)
        .await?;
    Ok(pool)
}

/// Creates the database file readable and writable by its owner only, or closes an existing
/// one to others: it holds password hashes. SQLite gives its `-wal` and `-shm` files the
/// database file's permissions.
fn owner_only(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::set_permissions(&side, std::fs::Permissions::from_mode(0o600)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    Ok(())
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The answer to a failed query: `503 {"error":"Service unavailable"}` with `Retry-After: 1`
/// while the database is busy or locked (a writer held it past the 5 s busy timeout), which a
/// client may retry; `500` for anything else. Neither says more; the cause goes to the log.
/// A failed statement inside a transaction rolls the whole transaction back (dropped
/// uncommitted), so nothing is left half-written.
pub fn error(error: sqlx::Error) -> secure_api::ApiError {
    use secure_api::ApiError;
    // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes (`code & 0xff`).
    let busy = error
        .as_database_error()
        .and_then(sqlx::error::DatabaseError::code)
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
        // Every connection of the pool in use for longer than its acquire timeout.
        || matches!(error, sqlx::Error::PoolTimedOut);
    if busy {
        ApiError::unavailable()
            .with_header(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("1"),
            )
            .with_reason(format!("database busy: {error}"))
    } else {
        ApiError::internal(error)
    }
}

/// A new random id (UUID v4): ids reveal neither how many rows exist nor which came first.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Now, as `created_at` columns hold it: RFC 3339 in UTC, to the millisecond.
pub fn timestamp() -> String {
    DateTime::<Utc>::from(SystemTime::now()).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Now, in seconds since the Unix epoch, as `expires_at` columns and a JWT's `exp` count.
pub fn unix_now() -> i64 {
    DateTime::<Utc>::from(SystemTime::now()).timestamp()
}
