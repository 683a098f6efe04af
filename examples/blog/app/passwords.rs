//! Passwords: argon2id with the argon2 crate's default parameters (19 MiB, 2 passes, OWASP's
//! recommended minimum), a random salt per hash, stored in the PHC string format that carries
//! its own parameters.
//!
//! Hashing costs tens of milliseconds of CPU and 19 MiB of memory on purpose, so it is
//! bounded: at most one hash per core runs at once (on threads of its own, away from the
//! threads that serve requests, each with its 19 MiB made once and reused), and at most two
//! per core wait for a turn. A request beyond
//! that is answered at once with `503 {"error":"Service unavailable"}` and `Retry-After: 1`,
//! so a burst of logins from many addresses, each inside every rate limit, costs a bounded
//! amount of memory and leaves room for the next real login.

use std::sync::{Arc, Mutex, OnceLock};

use std::cell::RefCell;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{self, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// The argon2id hash of `password`, in the PHC string format.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    bounded(move || {
        let salt = SaltString::generate(&mut OsRng);
        let argon2 = Argon2::default();
        let params = argon2.params().clone();
        let mut buffer = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut buffer)?;
        let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let output = Output::init_with(length, |out| {
            hash_into(&argon2, password.as_bytes(), salt_bytes, out)
        })?;
        Ok(PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        }
        .to_string())
    })
    .await
}

/// Whether `password` matches `hash`, in the time a full verification takes either way.
pub async fn verify(password: String, hash: String) -> Result<bool, PasswordError> {
    bounded(move || {
        let hash = PasswordHash::new(&hash)?;
        let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
            return Err(password_hash::Error::PhcStringField);
        };
        let version = hash.version.map(Version::try_from).transpose()?;
        let argon2 = Argon2::new(
            Algorithm::try_from(hash.algorithm)?,
            version.unwrap_or_default(),
            Params::try_from(&hash)?,
        );
        let mut buffer = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut buffer)?;
        let computed = Output::init_with(expected.len(), |out| {
            hash_into(&argon2, password.as_bytes(), salt_bytes, out)
        })?;
        // `Output`'s comparison takes constant time.
        Ok(computed == expected)
    })
    .await
}

thread_local! {
    /// The argon2 memory of this hashing thread, made once and reused by every hash it runs:
    /// allocating 19 MiB a hash leaves the allocator holding several times that per thread.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn hash_into(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> password_hash::Result<()> {
    let blocks = argon2.params().block_count();
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
            .map_err(Into::into)
    })
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
