-- Browser sessions, by the SHA-256 of the cookie's id: the id itself is only in the browser's
-- cookie, so a copy of this table logs nobody in. The framework does the timing; the row
-- holds the times it hands over.
CREATE TABLE browser_sessions (
    id_hash         BLOB PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    roles           TEXT NOT NULL DEFAULT '[]',  -- a JSON array of strings
    scopes          TEXT NOT NULL DEFAULT '[]',
    csrf_token      TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,            -- milliseconds since the Unix epoch
    last_seen_at_ms INTEGER NOT NULL,
    expires_at_ms   INTEGER NOT NULL
);

CREATE INDEX browser_sessions_user ON browser_sessions (user_id);
