-- API keys for a user's machine clients, by id: the secret exists only in the answer that
-- created the key; the row holds its SHA-256.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY NOT NULL,      -- 16 hex characters, the key's public part
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    secret_hash  BLOB NOT NULL,
    scopes       TEXT NOT NULL DEFAULT '[]',     -- a JSON array of strings
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked      INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
);

CREATE INDEX api_keys_user ON api_keys (user_id);
