//! The blog example (`examples/blog`) end to end: its own modules, built as `main` builds
//! them, served by `secure_api::serve` on a real loopback socket, each test against a fresh
//! SQLite file. Every response any test receives is checked for passwords, password hashes
//! and tokens other than a login's own (`harness::Client`).
//!
//! - `accounts` and `posts`: every row of the API table of issue 7
//! - `mistakes`: the article's "Common API Security Mistakes" table, row by row
//! - `sessions`: restarts, logout, password resets
//! - `keys`: API keys under `/users/me/keys`, and requests made with them
//! - `browser`: browser sessions under `/auth/session`, the cookie and the CSRF check
//! - `audit`: the framework's self-audit over the whole router

// The modules of this test and the example's share items with `pub`, as `tests/common` does.
#![allow(unreachable_pub)]

// The example's modules, as the example binary compiles them.
#[path = "../../examples/blog/app/mod.rs"]
mod app;
#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod audit;
mod browser;
mod child;
mod faults;
mod files;
mod fuzz;
mod harness;
mod keys;
mod load;
mod mistakes;
mod posts;
mod schemathesis;
mod sessions;
mod soak;
