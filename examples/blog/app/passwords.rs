//! Passwords: argon2id with the argon2 crate's default parameters (19 MiB, 2 passes, OWASP's
//! recommended minimum), a random salt per hash, stored in the PHC string format that carries
//! its own parameters. Hashing costs tens of milliseconds of CPU on purpose, so it runs on
//! tokio's blocking pool, away from the threads that serve requests.

use std::io;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{self, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// The argon2id hash of `password`.
pub async fn hash(password: String) -> io::Result<String> {
    blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Ok(Argon2::default()
            .hash_password(password.as_bytes(), &salt)?
            .to_string())
    })
    .await
}

/// Whether `password` matches `hash`, in the time a full verification takes either way.
pub async fn verify(password: String, hash: String) -> io::Result<bool> {
    blocking(move || {
        let hash = PasswordHash::new(&hash)?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok())
    })
    .await
}

/// A hash of no one's password. A login for an unknown email is verified against it, so that
/// it takes as long as a wrong password for a real account and tells an attacker nothing.
pub async fn dummy_hash() -> io::Result<String> {
    hash(uuid::Uuid::new_v4().to_string()).await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, password_hash::Error> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(io::Error::other)?
        .map_err(io::Error::other)
}
