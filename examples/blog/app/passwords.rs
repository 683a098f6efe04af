//! Passwords: argon2id with the argon2 crate's default parameters (19 MiB, 2 passes, OWASP's
//! recommended minimum), a random salt per hash, stored in the PHC string format that carries
//! its own parameters.
//!
//! Hashing costs tens of milliseconds of CPU and 19 MiB of memory on purpose, so it is
//! bounded: at most one hash per core runs at once (on threads of its own, away from the
//! threads that serve requests), and at most two per core wait for a turn. A request beyond
//! that is answered at once with `503 {"error":"Service unavailable"}` and `Retry-After: 1`,
//! so a burst of logins from many addresses, each inside every rate limit, costs a bounded
//! amount of memory and leaves room for the next real login.

use std::sync::{Arc, Mutex, OnceLock};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{self, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use secure_api::prelude::*;

/// Why a password could not be hashed or checked.
#[derive(Debug)]
pub enum PasswordError {
    /// Every hashing slot and every place in the queue is taken: try again in a second.
    Busy,
    /// The hash failed, or its task did (a stored hash that does not parse, a panic).
    Failed(String),
}

impl std::fmt::Display for PasswordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Busy => f.write_str("every password hashing slot is busy"),
            Self::Failed(reason) => write!(f, "password hashing failed: {reason}"),
        }
    }
}

// Not `std::error::Error`: the framework's blanket conversion would make every one a `500`.
impl From<PasswordError> for ApiError {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Busy => ApiError::unavailable()
                .with_header(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from_static("1"),
                )
                .with_reason("password hashing queue full"),
            PasswordError::Failed(reason) => ApiError::internal(reason),
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads, one per core, and their queue of at most two jobs per core. Threads of
/// their own rather than tokio's blocking pool: that pool grows to 512 threads, and each keeps
/// the memory of the hashes it ran.
fn queue() -> &'static std::sync::mpsc::SyncSender<Job> {
    static QUEUE: OnceLock<std::sync::mpsc::SyncSender<Job>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Job>(2 * cores);
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..cores {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = receiver.lock().map(|queue| queue.recv());
                        match job {
                            Ok(Ok(job)) => job(),
                            _ => return,
                        }
                    }
                })
                .expect("a thread for password hashing");
        }
        sender
    })
}

/// The argon2id hash of `password`.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    bounded(move || {
        let salt = SaltString::generate(&mut OsRng);
        Ok(Argon2::default()
            .hash_password(password.as_bytes(), &salt)?
            .to_string())
    })
    .await
}

/// Whether `password` matches `hash`, in the time a full verification takes either way.
pub async fn verify(password: String, hash: String) -> Result<bool, PasswordError> {
    bounded(move || {
        let hash = PasswordHash::new(&hash)?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok())
    })
    .await
}

/// A hash of no one's password. A login for an unknown email is verified against it, so that
/// it takes as long as a wrong password for a real account and tells an attacker nothing.
pub async fn dummy_hash() -> Result<String, PasswordError> {
    hash(uuid::Uuid::new_v4().to_string()).await
}

/// Runs `work` on a hashing thread, or refuses at once when the queue is full. A request
/// dropped meanwhile leaves its job to run: the queue still bounds the work.
async fn bounded<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, password_hash::Error> + Send + 'static,
) -> Result<T, PasswordError> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send(work());
    });
    queue().try_send(job).map_err(|error| match error {
        std::sync::mpsc::TrySendError::Full(_) => PasswordError::Busy,
        std::sync::mpsc::TrySendError::Disconnected(_) => {
            PasswordError::Failed("the hashing threads are gone".into())
        }
    })?;
    answered
        .await
        .map_err(|_| PasswordError::Failed("the hashing thread dropped the job".into()))?
        .map_err(|e| PasswordError::Failed(e.to_string()))
}
