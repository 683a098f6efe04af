//! The self-audit: an application probes its own router, in its own test suite, for the
//! attacks we know, knowing from each route's declared policy what every answer *should* be.
//! Enable the `testing` feature (a dev-dependency feature: it is for tests).
//!
//! [`SelfAudit`] takes a factory of the app (each group of probes gets a fresh app, so rate
//! budgets do not leak between probes, and a client address of its own) and fixtures: the
//! credentials of two ordinary users, A (the caller of every probe) and B, for each owner
//! route a resource of B's with B's record, and (so that the inputs of owner routes are
//! reached) one of A's. It walks the inventory and probes every route:
//!
//! - `auth` routes, for each scheme they accept: no credential, a credential of another
//!   scheme, a malformed one; for bearer tokens `alg: none` (four spellings), a tampered
//!   payload, a truncated signature, an expired token, another audience, another issuer, an
//!   `HS256` token whose secret is the RSA public key (as PEM, DER or JWK, however it was
//!   given), a revoked token: each exactly `401` with a challenge and the generic body. For
//!   session routes, unsafe requests that fail either CSRF check (from another site, with the
//!   token or without; from the app's pages without the token or with another): `403`;
//! - role and scope routes: A's credential without them: `403`;
//! - owner routes: A on B's resource: the route's answer for another's resource (`404` by
//!   default), identical to a missing id's but for the request id; and first, on a read, B
//!   on it must succeed (a fixture B cannot read proves nothing, and is reported);
//! - rate-limited routes: quota + 1 requests from one client: exactly one `429`, the last,
//!   with `Retry-After` and the `RateLimit` headers; limits by account: quota + 1 attempts on
//!   one account, each from another client, the same; each general limit
//!   (`Router::rate_limit`), once, on a read it covers, the same;
//! - input routes: for a JSON body an unknown field, a wrong type, malformed JSON, an array,
//!   a field past its declared bound, a wrong content type, a body over the limit (with its
//!   length declared and chunked): `400`, `400`, `400`, `400`, `400`, `415`, `413`; for a form
//!   the same but the two that are JSON's own; for a query a wrong type and a value past its
//!   bound (unknown parameters are ignored by design); none echoing what was sent. And an
//!   input each accepts (made from its schema): if the handler refuses it, its error must not
//!   echo it either;
//! - every answer: the security headers, no `Server` or `X-Powered-By`, a request id, a JSON
//!   body on errors, no stack trace, SQL, file path or type name, no name of a `#[sensitive]`
//!   field of the route's response type; and no answer to A holds a string value (4
//!   characters or more) of B's records.
//!
//! A probe the config cannot make (another issuer when none is checked) is skipped, and the
//! report says why; so is one skipped per route with [`SelfAudit::skip`].
//!
//! `SelfAudit` (with the feature) shows how an app's test runs it.

#[cfg(feature = "testing")]
mod access;
#[cfg(feature = "testing")]
mod audit;
#[cfg(feature = "testing")]
mod caller;
#[cfg(feature = "testing")]
mod checks;
#[cfg(feature = "testing")]
mod confusion;
#[cfg(feature = "testing")]
mod exchange;
#[cfg(feature = "testing")]
mod forge;
#[cfg(feature = "testing")]
mod inputs;
#[cfg(feature = "testing")]
mod limits;
#[cfg(feature = "testing")]
mod report;
#[cfg(feature = "testing")]
mod sample;

#[cfg(feature = "testing")]
pub use audit::SelfAudit;
#[cfg(feature = "testing")]
pub use caller::Caller;
#[cfg(feature = "testing")]
pub use report::{Finding, Probe, Report, Skipped};
