-- The blog's schema. Ids are random UUIDs as text; `created_at`/`updated_at` are RFC 3339 text
-- in UTC (sortable as text); `expires_at` columns are seconds since the Unix epoch, like a JWT's
-- `exp`, which is what they are compared with.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,          -- stored lowercased
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,                 -- argon2id, PHC string format
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at    TEXT NOT NULL
);

CREATE TABLE posts (
    id           TEXT PRIMARY KEY NOT NULL,
    author_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    content      TEXT NOT NULL,
    tags         TEXT NOT NULL DEFAULT '[]',     -- a JSON array of strings
    is_published INTEGER NOT NULL DEFAULT 0 CHECK (is_published IN (0, 1)),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE INDEX posts_published_newest ON posts (is_published, created_at);

-- One row per token minted at login, so that a user's live tokens can be revoked together
-- (password reset) and revocations outlive a restart.
CREATE TABLE sessions (
    jti        TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Password reset tokens, by their SHA-256: the token itself exists only in the email.
CREATE TABLE password_resets (
    token_hash BLOB PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1))
);

CREATE INDEX password_resets_user ON password_resets (user_id);
