-- Insight packs. A pack is a document edited a piece at a time: its working copy is kept whole, as
-- the domain's JSON, and each publication freezes a copy as a numbered version that stays
-- readable. Evidence holds references only (story and quote ids), never story text, so a
-- withdrawn or erased story disappears from every version at once. `pack_evidence` indexes those
-- references (version 0 is the working copy) to find the packs a story is in.
CREATE TABLE packs (
    id                        TEXT PRIMARY KEY,    -- UUID v7
    draft                     TEXT NOT NULL,       -- the working copy, JSON
    created_by                TEXT REFERENCES users(id),
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL,
    changed_since_publication INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

CREATE TABLE pack_versions (
    pack_id      TEXT NOT NULL REFERENCES packs(id),
    version      INTEGER NOT NULL,                 -- 1, 2, ...
    content      TEXT NOT NULL,                    -- the pack as published, JSON
    audience     TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT REFERENCES users(id),
    PRIMARY KEY (pack_id, version)
) WITHOUT ROWID;

CREATE TABLE pack_evidence (
    pack_id  TEXT NOT NULL REFERENCES packs(id),
    version  INTEGER NOT NULL,                     -- 0: the working copy
    story_id TEXT NOT NULL,
    quote_id TEXT
);
CREATE INDEX pack_evidence_by_pack ON pack_evidence (pack_id, version);
CREATE INDEX pack_evidence_by_story ON pack_evidence (story_id);
CREATE INDEX pack_evidence_by_quote ON pack_evidence (quote_id) WHERE quote_id IS NOT NULL;
