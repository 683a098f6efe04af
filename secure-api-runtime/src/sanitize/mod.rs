//! Sanitized output: only types that say what they publish can be sent in a response.
//!
//! `#[derive(Sanitized)]` writes a type's serialization: `#[sensitive]` fields never appear in
//! it and print as `[redacted]` in `Debug`, and every other field's type must itself be
//! [`Sanitized`], so a secret cannot ride along inside a nested type. Standard types (numbers,
//! strings, `Option`, `Vec`, maps, UUIDs, `SystemTime`, and chrono's types with the `chrono`
//! feature) are `Sanitized` here; a field of any other foreign type can be published as it is
//! with `#[trusted]`.
//!
//! (The compiler quotes [`Sanitized`]'s message; keep this file small and stable.)

mod impls;
mod response;

pub use response::{RawResponse, SecureResponse};

use std::fmt;

/// A type that may be serialized into a response: what it publishes was declared.
///
/// Derive it; the derive writes the `Serialize` and `Debug` implementations too (so that
/// `#[sensitive]` fields are left out of both), so the type derives neither of its own.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `Sanitized`, so it cannot be sent in a response",
    label = "not `Sanitized`",
    note = "derive `secure_api::Sanitized` for it, marking secret fields `#[sensitive]`; inside a `Sanitized` type, a field of a foreign type that is safe to publish as it is can be marked `#[trusted]`"
)]
pub trait Sanitized: serde::Serialize + fmt::Debug {
    /// Implemented by the derive only: a hand-written `impl Sanitized for Row {}` would publish
    /// a type whose serialization nobody checked.
    #[doc(hidden)]
    fn __sanitized_by_derive(token: SanitizedToken);
}

/// Names the derive's implementations of [`Sanitized`]; not for hand-written ones.
#[doc(hidden)]
pub struct SanitizedToken(());

/// Prints `[redacted]` in place of a `#[sensitive]` field in `Debug` output.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Requires `value` to be [`Sanitized`]; generated code calls it at each field, spanned at the
/// field's type, so an unsanitized field is reported there.
#[doc(hidden)]
pub fn sanitized<T: Sanitized + ?Sized>(value: &T) -> &T {
    value
}
