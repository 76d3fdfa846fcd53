-- Redactions: what was replaced in a story's text, by whom and when. The story's text itself is
-- rewritten; `original` keeps the replaced words for curators, or is NULL when the archive is set
-- to keep no originals. `person_key` (the person's name as the story's details give it, kept only
-- when originals are) keeps one pseudonym per person across redactions.
CREATE TABLE redactions (
    story_id     TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    unit         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    replacement  TEXT NOT NULL,
    original     TEXT,
    person_key   TEXT,
    redacted_by  TEXT,
    redacted_at  TEXT NOT NULL,
    PRIMARY KEY (story_id, seq)
) WITHOUT ROWID;
