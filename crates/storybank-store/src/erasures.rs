//! Erasing a story: its rows go (with SQLite's `secure_delete` on, so the freed pages are zeroed),
//! a content-free [`Erasure`] record stays, and the WAL is checkpointed so no old page survives in
//! it. Media files are deleted after the transaction commits; the record lists them until then, so
//! a crash in between is finished on the next start.

use std::path::Path;

use rusqlite::{OptionalExtension, params};
use storybank_domain::{AuditAction, AuditEvent, ContentHash, Erasure, StoryId};

use crate::curation::log_change;
use crate::rows::Columns;
use crate::stories::timestamp;
use crate::{Store, StoreError};

/// Work an erasure left to finish: media files to delete, and the search index to purge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingErasure {
    /// The erased story.
    pub story: StoryId,
    /// Media files still on disk.
    pub media: Vec<ContentHash>,
    /// Whether the search index has physically dropped the story.
    pub index_purged: bool,
}

fn hash(columns: &Columns<'_>, field: &'static str, raw: &str) -> Result<ContentHash, StoreError> {
    ContentHash::from_hex(raw).ok_or_else(|| columns.corrupt(field, "not a BLAKE3 hex hash"))
}

fn json_error<'a>(id: &'a str, field: &'static str) -> impl FnOnce(serde_json::Error) -> StoreError + 'a {
    move |err| StoreError::Corrupt { id: id.to_owned(), field, detail: err.to_string() }
}

impl Store {
    /// Erases a story in one transaction: its row and everything hanging off it (cues, themes,
    /// tags, warnings, suggestions, quotes), the media rows no other story uses, and records the
    /// erasure, an audit entry and a change for the index. Returns the media files to delete, or
    /// `None` if there is no such story.
    pub fn erase_story(&mut self, erasure: &Erasure) -> Result<Option<Vec<ContentHash>>, StoreError> {
        let id = erasure.story.to_string();
        let transaction = self.connection.transaction()?;
        let media: Option<(Option<String>, Option<String>)> = transaction
            .prepare_cached("SELECT display_media, thumbnail_media FROM stories WHERE id = ?1")?
            .query_row([&id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let Some((display, thumbnail)) = media else { return Ok(None) };
        transaction.prepare_cached("DELETE FROM stories WHERE id = ?1")?.execute([&id])?;
        let mut deleted = Vec::new();
        for hash in [display, thumbnail].into_iter().flatten() {
            let gone = transaction
                .prepare_cached(
                    "DELETE FROM media WHERE hash = ?1 AND NOT EXISTS \
                     (SELECT 1 FROM stories WHERE display_media = ?1 OR thumbnail_media = ?1)",
                )?
                .execute([&hash])?;
            if gone > 0 {
                deleted.push(self::hash(&Columns { id: &id }, "media", &hash)?);
            }
        }
        let packs = serde_json::to_string(&erasure.packs).map_err(json_error(&id, "packs"))?;
        let pending = serde_json::to_string(&deleted.iter().map(ContentHash::as_str).collect::<Vec<_>>())
            .map_err(json_error(&id, "pending_media"))?;
        transaction
            .prepare_cached(
                "INSERT INTO erasures (story_id, erased_at, erased_by, packs, pending_media, index_purged) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 0)",
            )?
            .execute(params![id, timestamp(erasure.erased_at), erasure.erased_by, packs, pending])?;
        log_change(&transaction, erasure.story, "erased")?;
        crate::audit::append(
            &transaction,
            erasure.erased_by.as_deref(),
            &AuditEvent::new(
                AuditAction::Erased,
                erasure.story,
                format!(
                    "{} pack(s), {} published version(s) beyond curators",
                    erasure.packs.len(),
                    erasure.reached_beyond_curators().count()
                ),
            ),
        )?;
        transaction.commit()?;
        Ok(Some(deleted))
    }

    /// Records an erasure that happened elsewhere (in a newer copy of this archive) when the story
    /// is already absent here. Does nothing if it is recorded already.
    pub fn record_erasure(&self, erasure: &Erasure) -> Result<bool, StoreError> {
        let id = erasure.story.to_string();
        let packs = serde_json::to_string(&erasure.packs).map_err(json_error(&id, "packs"))?;
        let added = self
            .connection
            .prepare_cached(
                "INSERT OR IGNORE INTO erasures (story_id, erased_at, erased_by, packs, pending_media, index_purged) \
                 VALUES (?1, ?2, ?3, ?4, '[]', 0)",
            )?
            .execute(params![id, timestamp(erasure.erased_at), erasure.erased_by, packs])?;
        Ok(added > 0)
    }

    /// The media files of an erasure are gone.
    pub fn erasure_media_deleted(&self, story: StoryId) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE erasures SET pending_media = '[]' WHERE story_id = ?1")?
            .execute([story.to_string()])?;
        Ok(())
    }

    /// The search index has physically dropped these stories.
    pub fn erasures_purged_from_index(&mut self, stories: &[StoryId]) -> Result<(), StoreError> {
        let transaction = self.connection.transaction()?;
        for story in stories {
            transaction
                .prepare_cached("UPDATE erasures SET index_purged = 1 WHERE story_id = ?1")?
                .execute([story.to_string()])?;
        }
        transaction.commit()?;
        Ok(())
    }

    /// Erasures with media files to delete or an index to purge.
    pub fn pending_erasures(&self) -> Result<Vec<PendingErasure>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT story_id, pending_media, index_purged FROM erasures \
             WHERE pending_media <> '[]' OR index_purged = 0 ORDER BY erased_at",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, bool>(2)?))
        })?;
        let mut pending = Vec::new();
        for row in rows {
            let (id, media, index_purged) = row?;
            let columns = Columns { id: &id };
            let hashes: Vec<String> =
                serde_json::from_str(&media).map_err(json_error(&id, "pending_media"))?;
            pending.push(PendingErasure {
                story: columns.parse("story_id", &id, StoryId::parse)?,
                media: hashes
                    .iter()
                    .map(|raw| hash(&columns, "pending_media", raw))
                    .collect::<Result<_, _>>()?,
                index_purged,
            });
        }
        Ok(pending)
    }

    /// Every erasure, newest first.
    pub fn erasures(&self) -> Result<Vec<Erasure>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT story_id, erased_at, erased_by, packs FROM erasures ORDER BY erased_at DESC, story_id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        let mut erasures = Vec::new();
        for row in rows {
            let (id, at, by, packs) = row?;
            let columns = Columns { id: &id };
            erasures.push(Erasure {
                story: columns.parse("story_id", &id, StoryId::parse)?,
                erased_at: columns.time("erased_at", &at)?,
                erased_by: by,
                packs: serde_json::from_str(&packs).map_err(json_error(&id, "packs"))?,
            });
        }
        Ok(erasures)
    }

    /// Whether the story was erased.
    pub fn is_erased(&self, story: StoryId) -> Result<bool, StoreError> {
        Ok(self
            .connection
            .prepare_cached("SELECT 1 FROM erasures WHERE story_id = ?1")?
            .query_row([story.to_string()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Copies every committed page of the WAL into the database and empties the WAL, waiting for
    /// readers to finish (up to the busy timeout). Returns false if a reader kept it from finishing.
    pub fn checkpoint(&self) -> Result<bool, StoreError> {
        let (busy, _log, _done): (i64, i64, i64) =
            self.connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
        Ok(busy == 0)
    }

    /// Writes a consistent copy of the database to `target` (a new file) while others keep
    /// working: SQLite's `VACUUM INTO`, which also leaves out freed pages.
    pub fn backup_database(&self, target: &Path) -> Result<(), StoreError> {
        let target_text = target.to_str().ok_or_else(|| {
            StoreError::io(
                target,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "the backup path is not valid UTF-8"),
            )
        })?;
        self.connection.execute("VACUUM INTO ?1", [target_text])?;
        Ok(())
    }

    /// Every media file a database copy (a backup's, opened read-only) refers to.
    pub fn media_hashes_in(database: &Path) -> Result<Vec<ContentHash>, StoreError> {
        let connection =
            rusqlite::Connection::open_with_flags(database, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut statement = connection.prepare("SELECT hash FROM media ORDER BY hash")?;
        let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
        let mut hashes = Vec::new();
        for row in rows {
            let raw = row?;
            hashes.push(hash(&Columns { id: &raw }, "hash", &raw)?);
        }
        Ok(hashes)
    }
}
