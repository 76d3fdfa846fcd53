-- Bearer tokens for the JSON API. Only a hash of each token is kept; a token carries its user's
-- roles, stops working when revoked or when its user is disabled.
CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,                  -- UUID v7, shown in `storybank token list`
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
) WITHOUT ROWID;
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
