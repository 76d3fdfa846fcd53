-- Accounts and their server-side sessions; who submitted each story; what curators add to a
-- story (key message and learning, quotes, reporters' theme suggestions).

CREATE TABLE users (
    id            TEXT PRIMARY KEY,                 -- UUID v7
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,                    -- Argon2id, PHC string
    roles         TEXT NOT NULL,                    -- comma-separated, e.g. 'reporter,curator'
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
) WITHOUT ROWID;

-- A session is a random token in an HttpOnly cookie; only its hash is kept here, so a copy of
-- the database does not let anyone log in. Ending a session deletes its row.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);

ALTER TABLE stories ADD COLUMN submitted_by TEXT REFERENCES users(id);
ALTER TABLE stories ADD COLUMN key_message TEXT;
ALTER TABLE stories ADD COLUMN key_learning TEXT;
CREATE INDEX stories_by_submitter ON stories (submitted_by, created_at);

-- Themes a reporter suggested for their story; curators confirm (assign) or dismiss them.
CREATE TABLE story_theme_suggestions (
    story_id    TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    theme       TEXT NOT NULL,
    PRIMARY KEY (story_id, theme)
) WITHOUT ROWID;

CREATE TABLE quotes (
    id          TEXT PRIMARY KEY,                   -- UUID v7
    story_id    TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'cues')),
    span_start  INTEGER NOT NULL,                   -- byte offset, or first cue
    span_end    INTEGER NOT NULL,                   -- byte offset (exclusive), or last cue (inclusive)
    text        TEXT NOT NULL,
    created_by  TEXT REFERENCES users(id),
    created_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX quotes_by_story ON quotes (story_id, created_at);

CREATE TABLE quote_themes (
    quote_id    TEXT NOT NULL REFERENCES quotes(id) ON DELETE CASCADE,
    theme       TEXT NOT NULL,
    PRIMARY KEY (quote_id, theme)
) WITHOUT ROWID;
CREATE INDEX quote_themes_by_theme ON quote_themes (theme);
