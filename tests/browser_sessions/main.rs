//! Browser sessions end to end, over real loopback sockets with `secure_api::serve` and a raw
//! HTTP/1.1 client that sends exactly the headers a test writes: the cookie's attributes, a new
//! id at every login (fixation), logout of one session or all, the idle and absolute timeouts
//! on a `ManualClock`, the cap on sessions a user, the CSRF check of unsafe requests, no id or
//! CSRF token in any log line, the same lifecycle on Redis, and routes narrowed to a scheme.
//!
//! Unless a test says otherwise the app runs in development behind a trusted proxy
//! (`TRUSTED_PROXIES=127.0.0.1`) and every request says `X-Forwarded-Proto: https`, so the
//! cookie is `__Host-session`. The allowed origins are `PUBLIC_URL` and `CORS_ALLOWED_ORIGINS`.
//!
//! Redis is found as in `tests/rate_redis.rs`: `REDIS_URL`, else `redis://127.0.0.1:6379`,
//! checked with a raw `PING`; none answering fails under `CI` and is `SKIPPED` elsewhere.
//!
//! The modules: [`app`] (the app under test, served on a free port) and [`client`] (the raw
//! HTTP/1.1 client), then the tests by subject.

#[path = "../common/mod.rs"]
mod common;

mod app;
mod client;

mod cookie;
mod csrf;
mod hardening;
mod lifecycle;
mod on_redis;
mod schemes;
mod secrets;
