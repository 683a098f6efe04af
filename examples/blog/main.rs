//! The article's blog API, for real: `cargo run --release --example blog`.
//!
//! With no configuration it serves on `127.0.0.1:3000` with a SQLite database `blog.db` in the
//! working directory, and prints `listening on http://ADDR` as its first line; JSON log lines,
//! the audit records among them, follow on stdout. `--routes` prints every route with its
//! policy and exits.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `BIND`, `PORT` | the address to listen on (`PORT=0`: any free port) | `127.0.0.1`, `3000` |
//! | `DATABASE_URL` | `sqlite://path` (created if missing) or `sqlite::memory:` | `sqlite://blog.db` |
//! | `BLOG_API_RATE` | the general limit of every `/api` route, per client address | `100/15m` |
//! | `BLOG_ADMIN_EMAIL`, `BLOG_ADMIN_PASSWORD` | create this admin at start, or update its password (which logs out its sessions) | none |
//! | `BLOG_MAIL_OUTBOX` | the file reset mails are written to, one JSON line each, owner-only | development: `outbox.jsonl`; production: no mail |
//! | `JWT_SECRET`, `SECURE_API_ENV`, `TRUSTED_PROXIES`, `TLS_CERT`/`TLS_KEY`, `REDIS_URL`, ... | the framework's own (`SecurityConfig::from_env`) | development, an ephemeral secret |

// `app` is the blog as a library, shared with its tests: `pub` marks what they and `main` use.
#[allow(unreachable_pub)]
mod app;

use std::io::Write;
use std::process::ExitCode;

use secure_api::audit::JsonLogs;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("blog: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), app::StartError> {
    let settings = app::Settings::from_lookup(env)?;
    if std::env::args().skip(1).any(|arg| arg == "--routes") {
        print!("{}", app::routes(settings.api_rate).inventory());
        return Ok(());
    }
    let host = env("BIND").unwrap_or_else(|| "127.0.0.1".into());
    let port = match env("PORT") {
        Some(port) => port
            .parse()
            .map_err(|_| format!("PORT `{port}`: not a port number"))?,
        None => 3000,
    };
    // Before listening: in production a missing JWT_SECRET stops the start here. In
    // development an ephemeral secret is generated, with a warning on stderr.
    let db = app::open(&settings).await?;
    let config = app::security_config(env, &db)?;
    let listener = TcpListener::bind((host.as_str(), port)).await?;
    let scheme = if config.tls().is_some() {
        "https"
    } else {
        "http"
    };
    // The first line of stdout, before the JSON logs start writing from their own thread.
    println!("listening on {scheme}://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let _logs = JsonLogs::stdout().init()?;
    let app = app::build(&settings, db, config).await?;
    // Header-read timeout, connection cap, TLS when configured, graceful shutdown on Ctrl-C.
    secure_api::serve(listener, app).await?;
    Ok(())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}
