-- Stories, their transcript cues, themes, tags and ingest warnings; media; the theme taxonomy;
-- and the change log that the search index follows.

CREATE TABLE media (
    hash        TEXT PRIMARY KEY,            -- BLAKE3 of the file; also its name under media/
    mime        TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    byte_len    INTEGER NOT NULL,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE stories (
    id                  TEXT PRIMARY KEY,     -- UUID v7
    form                TEXT NOT NULL CHECK (form IN ('text', 'transcript', 'image')),
    title               TEXT NOT NULL,
    story_type          TEXT NOT NULL,
    language            TEXT NOT NULL,
    prompt              TEXT,
    place               TEXT,
    recorded_on         TEXT,                 -- YYYY-MM-DD
    reporter            TEXT,
    storyteller         TEXT,
    consent_scope       TEXT CHECK (consent_scope IN ('internal', 'commissioners', 'public')),
    consent_identify_as TEXT,
    consent_given_on    TEXT,
    consent_expires_on  TEXT,
    status              TEXT NOT NULL DEFAULT 'submitted'
                        CHECK (status IN ('submitted', 'reviewed', 'published', 'withdrawn')),
    body                TEXT,                 -- text: the Markdown; image: the caption
    alt_text            TEXT,
    display_media       TEXT REFERENCES media(hash),
    thumbnail_media     TEXT REFERENCES media(hash),
    provenance          TEXT,
    content_hash        TEXT NOT NULL UNIQUE,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    CHECK ((consent_scope IS NULL) = (consent_given_on IS NULL))
);
CREATE INDEX stories_provenance ON stories (provenance);

CREATE TABLE story_cues (
    story_id    TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    start_ms    INTEGER,
    end_ms      INTEGER,
    speaker     TEXT,
    text        TEXT NOT NULL,
    PRIMARY KEY (story_id, position)
) WITHOUT ROWID;

CREATE TABLE story_themes (
    story_id    TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    theme       TEXT NOT NULL,
    PRIMARY KEY (story_id, theme)
) WITHOUT ROWID;
CREATE INDEX story_themes_by_theme ON story_themes (theme);

CREATE TABLE story_tags (
    story_id    TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (story_id, tag)
) WITHOUT ROWID;
CREATE INDEX story_tags_by_tag ON story_tags (tag);

CREATE TABLE story_warnings (
    story_id    TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    message     TEXT NOT NULL,
    PRIMARY KEY (story_id, position)
) WITHOUT ROWID;

CREATE TABLE themes (
    path        TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    retired     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Every change to a story appends a row in the same transaction; the index records the last
-- sequence number it contains and catches up from here.
CREATE TABLE story_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    story_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    at          TEXT NOT NULL
);
