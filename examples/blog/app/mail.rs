//! Mail: the blog's one message, a password reset token, through a [`Mailer`].
//!
//! The example has no mail server. In development the default mailer writes each message as
//! a JSON line to an outbox file ([`Outbox`]: `BLOG_MAIL_OUTBOX`, default `outbox.jsonl` in
//! the working directory, readable by its owner only), whose path is logged at start. In
//! production only a configured mailer sends (`BLOG_MAIL_OUTBOX` set on purpose, or a real one
//! given to [`build`](super::build) in code); without one a reset request still answers `202`
//! and logs a warning that no mail was sent. A token is never written to the log.

use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Mutex;

/// The log target of what concerns mail.
pub const TARGET: &str = "blog::mail";

/// One message to one address.
#[derive(Debug, serde::Serialize)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Sends messages. Implement it on your mail provider's client.
pub trait Mailer: Send + Sync + 'static {
    /// Sends `message`; an error is logged by the caller, never shown to the client.
    fn send(&self, message: Message) -> Pin<Box<dyn Future<Output = io::Result<()>> + Send + '_>>;
}

/// A file of messages, one JSON line each: development's mailer.
pub struct Outbox {
    path: PathBuf,
    file: Mutex<File>,
}

impl Outbox {
    /// Opens (creating it if missing) the outbox at `path`, readable and writable by its owner
    /// only: it holds live reset tokens.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        // An outbox made before, by anything, is closed to others too.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(Self {
            path: std::path::absolute(path)?,
            file: Mutex::new(file),
        })
    }

    /// Where the messages go.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Mailer for Outbox {
    fn send(&self, message: Message) -> Pin<Box<dyn Future<Output = io::Result<()>> + Send + '_>> {
        Box::pin(async move {
            let mut line = serde_json::to_vec(&message).map_err(io::Error::other)?;
            line.push(b'\n');
            let mut file = self
                .file
                .lock()
                .map_err(|_| io::Error::other("outbox lock poisoned"))?;
            // One write of the whole line, so that concurrent messages never interleave.
            file.write_all(&line)?;
            file.flush()
        })
    }
}
