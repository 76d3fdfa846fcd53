-- Erasures and the audit trail.
--
-- An erased story leaves only this content-free record: its id, when, who, and (as JSON) which
-- packs, versions and exports had cited it. `pending_media` names the media files still to delete
-- and `index_purged` says whether the search index has physically dropped the story; both are
-- finished after a crash, and `pending_media` is emptied once the files are gone.
CREATE TABLE erasures (
    story_id      TEXT PRIMARY KEY,
    erased_at     TEXT NOT NULL,
    erased_by     TEXT,                          -- an account's name; NULL: the command line
    packs         TEXT NOT NULL DEFAULT '[]',    -- JSON: the packs that cited it
    pending_media TEXT NOT NULL DEFAULT '[]',    -- JSON: media hashes not yet deleted
    index_purged  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Who did what and when. Append-only: the triggers refuse changes and deletions. `detail` holds
-- codes, ids and numbers, never story text.
CREATE TABLE audit_log (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT,                                -- an account's name; NULL: the command line
    action  TEXT NOT NULL,
    object  TEXT,
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_action ON audit_log (action, seq);
CREATE INDEX audit_log_by_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_by_object ON audit_log (object, seq);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
