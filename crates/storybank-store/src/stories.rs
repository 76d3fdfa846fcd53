//! Stories: storing new ones in batches, reading them back, listing them.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use storybank_domain::{
    ConsentScope, ContentHash, Form, Language, Status, Story, StoryContent, StoryDetails, StoryId, Theme,
    ThemePath, Title,
};

use crate::rows::{self, Columns, STORY_COLUMNS, STORY_FROM, StoryRow};
use crate::{Store, StoreError};

/// What happened to one story of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored under its id.
    Inserted(StoryId),
    /// A story with the same content hash is already in the archive.
    AlreadyPresent(StoryId),
    /// A story from the same source (provenance) is in the archive with different content.
    Changed {
        /// The story already stored from that source.
        existing: StoryId,
    },
}

/// A line of the story list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StorySummary {
    /// Its id.
    pub id: StoryId,
    /// Its title.
    pub title: Title,
    /// Text, transcript or image.
    pub form: Form,
    /// Its language.
    pub language: Language,
    /// Where it is in curation.
    pub status: Status,
    /// Its consent scope, or `None` when consent is missing.
    pub consent_scope: Option<ConsentScope>,
    /// Where it came from.
    pub provenance: Option<String>,
    /// When it entered the archive.
    pub created_at: DateTime<Utc>,
}

pub(crate) fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Store {
    /// Stores a batch of new stories in one transaction. A story whose content hash is already
    /// stored is not stored again; with `check_provenance`, neither is one whose source was stored
    /// before with other content. Either every story of the batch that is new is stored, with its
    /// cues, themes, tags, warnings and media rows, or (on error) none is.
    pub fn insert_stories(
        &mut self,
        stories: &[Story],
        check_provenance: bool,
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        let transaction = self.connection.transaction()?;
        let mut outcomes = Vec::with_capacity(stories.len());
        for story in stories {
            outcomes.push(insert_one(&transaction, story, check_provenance)?);
        }
        transaction.commit()?;
        Ok(outcomes)
    }

    /// Reads one story, or `None` if there is none with this id.
    pub fn story(&self, id: StoryId) -> Result<Option<Story>, StoreError> {
        Ok(self.stories(&[id])?.pop())
    }

    /// Stories by id, in the order asked, skipping ids that are not stored (an id asked twice is
    /// read once). Five queries whatever
    /// the number of stories (their rows, themes, tags, warnings and cues), not five per story.
    pub fn stories(&self, ids: &[StoryId]) -> Result<Vec<Story>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // The ids as a JSON array, for `json_each` (UUIDs need no escaping): one cached statement
        // serves any number of ids.
        // Each id once (a row per id in the list below), in order (neighbouring keys are found
        // down the same index pages).
        let mut unique = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let list = format!("[{}]", unique.iter().map(|id| format!("\"{id}\"")).collect::<Vec<_>>().join(","));
        let mut statement = self.connection.prepare_cached(&stories_query())?;
        let rows = statement.query_map([&list], StoryRow::read)?.collect::<Result<Vec<_>, _>>()?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut parts: HashMap<String, Parts> = HashMap::with_capacity(rows.len());
        // Each table is searched once per id, in the list's order (not via `IN (SELECT ...)`,
        // which first copies the list into a temporary index); rows come out in key order within
        // each story, and are put in order below rather than sorted by SQLite.
        let of = "FROM json_each(?1) j CROSS JOIN";
        for (sql, slot) in [
            (format!("SELECT t.story_id, t.theme, 0 {of} story_themes t WHERE t.story_id = j.value"), 0),
            (format!("SELECT t.story_id, t.tag, 0 {of} story_tags t WHERE t.story_id = j.value"), 1),
            (
                format!(
                    "SELECT t.story_id, t.message, t.position {of} story_warnings t WHERE t.story_id = j.value"
                ),
                2,
            ),
        ] {
            let mut statement = self.connection.prepare_cached(&sql)?;
            let mut found = statement.query([&list])?;
            while let Some(row) = found.next()? {
                let entry = parts.entry(row.get(0)?).or_default();
                let list = match slot {
                    0 => &mut entry.themes,
                    1 => &mut entry.tags,
                    _ => &mut entry.warnings,
                };
                list.push((row.get(2)?, row.get(1)?));
            }
        }
        if rows.iter().any(|row| row.form == Form::Transcript.as_str()) {
            let mut statement = self.connection.prepare_cached(&format!(
                "SELECT t.start_ms, t.end_ms, t.speaker, t.text, t.story_id, t.position {of} story_cues t \
                 WHERE t.story_id = j.value"
            ))?;
            let mut found = statement.query([&list])?;
            while let Some(row) = found.next()? {
                let id: String = row.get(4)?;
                let cue = rows::cue(&Columns { id: &id }, row)?;
                parts.entry(id).or_default().cues.push((row.get(5)?, cue));
            }
        }
        let mut stories: HashMap<StoryId, Story> = HashMap::with_capacity(rows.len());
        for row in rows {
            let own = parts.remove(&row.id).unwrap_or_default();
            let story = assemble(row, own)?;
            stories.insert(story.id, story);
        }
        Ok(ids.iter().filter_map(|id| stories.remove(id)).collect())
    }

    /// The id of the story with this content hash, if stored.
    pub fn story_with_hash(&self, hash: &ContentHash) -> Result<Option<StoryId>, StoreError> {
        let id: Option<String> = self
            .connection
            .prepare_cached("SELECT id FROM stories WHERE content_hash = ?1")?
            .query_row([hash.as_str()], |row| row.get(0))
            .optional()?;
        id.map(|id| Columns { id: &id }.parse("id", &id, StoryId::parse)).transpose()
    }

    /// Every story, newest first, as list lines.
    pub fn story_summaries(&self) -> Result<Vec<StorySummary>, StoreError> {
        summary_rows(&self.connection, "ORDER BY created_at DESC, id DESC", &[])
    }

    /// How many stories are stored.
    pub fn count_stories(&self) -> Result<u64, StoreError> {
        let count: i64 = self.connection.query_row("SELECT count(*) FROM stories", [], |row| row.get(0))?;
        Ok(count.unsigned_abs())
    }

    /// Adds themes to the taxonomy, or updates the label and description of those already there.
    pub fn upsert_themes(&mut self, themes: &[Theme]) -> Result<(), StoreError> {
        let transaction = self.connection.transaction()?;
        {
            let mut statement = transaction.prepare_cached(
                "INSERT INTO themes (path, label, description) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (path) DO UPDATE SET label = excluded.label, description = excluded.description",
            )?;
            for theme in themes {
                statement.execute(params![theme.path.as_str(), theme.label, theme.description])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// The taxonomy's themes that are not retired, in path order.
    pub fn themes(&self) -> Result<Vec<Theme>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT path, label, description FROM themes WHERE retired = 0 ORDER BY path")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?))
        })?;
        let mut themes = Vec::new();
        for row in rows {
            let (path, label, description) = row?;
            let path = Columns { id: "-" }.parse("theme", &path, ThemePath::parse)?;
            themes.push(Theme { path, label, description });
        }
        Ok(themes)
    }

    /// The highest change sequence number: every change up to it is committed.
    pub fn last_change(&self) -> Result<i64, StoreError> {
        Ok(self
            .connection
            .query_row("SELECT coalesce(max(seq), 0) FROM story_changes", [], |row| row.get(0))?)
    }

    /// The stories changed after change `seq`, with the last change's number (for the index to
    /// catch up), in change order, each story once.
    pub fn changes_since(&self, seq: i64) -> Result<(Vec<StoryId>, i64), StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT story_id, max(seq) AS last FROM story_changes WHERE seq > ?1 GROUP BY story_id ORDER BY last",
        )?;
        let rows = statement.query_map([seq], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
        let mut ids = Vec::new();
        let mut last = seq;
        for row in rows {
            let (id, change) = row?;
            ids.push(Columns { id: &id }.parse("id", &id, StoryId::parse)?);
            last = last.max(change);
        }
        Ok((ids, last))
    }

    /// Sets a story's status (the caller has checked the move is allowed), logging the change.
    /// Returns false when there is no such story.
    pub fn set_status(&mut self, id: StoryId, status: Status) -> Result<bool, StoreError> {
        let transaction = self.connection.transaction()?;
        let now = timestamp(Utc::now());
        let changed = transaction
            .prepare_cached("UPDATE stories SET status = ?2, updated_at = ?3 WHERE id = ?1")?
            .execute(params![id.to_string(), status.as_str(), now])?;
        if changed == 0 {
            return Ok(false);
        }
        transaction
            .prepare_cached("INSERT INTO story_changes (story_id, kind, at) VALUES (?1, 'status', ?2)")?
            .execute(params![id.to_string(), now])?;
        transaction.commit()?;
        Ok(true)
    }

    /// Every story's id, oldest first.
    pub fn story_ids(&self) -> Result<Vec<StoryId>, StoreError> {
        let mut statement = self.connection.prepare_cached("SELECT id FROM stories ORDER BY id")?;
        let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
        let mut ids = Vec::new();
        for row in rows {
            let id = row?;
            ids.push(Columns { id: &id }.parse("id", &id, StoryId::parse)?);
        }
        Ok(ids)
    }

    pub(crate) fn strings(&self, sql: &str, id: &str) -> Result<Vec<String>, StoreError> {
        let mut statement = self.connection.prepare_cached(sql)?;
        let rows = statement.query_map([id], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The `stories` rows of the ids in `?1`, a JSON array.
pub(crate) fn stories_query() -> String {
    format!("SELECT {STORY_COLUMNS} FROM json_each(?1) j CROSS JOIN {STORY_FROM} WHERE s.id = j.value")
}

/// A story's rows from the tables beside `stories`, each with its position (0 for themes and
/// tags, which are ordered by value), in the order read.
#[derive(Debug, Default)]
struct Parts {
    themes: Vec<(i64, String)>,
    tags: Vec<(i64, String)>,
    warnings: Vec<(i64, String)>,
    cues: Vec<(i64, storybank_domain::Cue)>,
}

/// Values by position, then by value: the order they are stored in.
fn in_order<T: Ord>(mut values: Vec<(i64, T)>) -> impl Iterator<Item = T> {
    values.sort_unstable();
    values.into_iter().map(|(_, value)| value)
}

/// Values by position alone (positions are a table's key: no two are equal).
fn by_position<T>(mut values: Vec<(i64, T)>) -> impl Iterator<Item = T> {
    values.sort_by_key(|(position, _)| *position);
    values.into_iter().map(|(_, value)| value)
}

fn assemble(row: StoryRow, parts: Parts) -> Result<Story, StoreError> {
    let row = row.parse()?;
    let id_text = row.id.to_string();
    let columns = Columns { id: &id_text };
    let content = match row.form {
        Form::Text => StoryContent::Text { body: row.body.unwrap_or_default() },
        Form::Transcript => StoryContent::Transcript { cues: by_position(parts.cues).collect() },
        Form::Image => StoryContent::Image {
            caption: row.body.unwrap_or_default(),
            alt_text: row.alt_text,
            display: columns.media("display_media", row.display)?,
            thumbnail: columns.media("thumbnail_media", row.thumbnail)?,
        },
    };
    let details = StoryDetails {
        themes: in_order(parts.themes).map(|raw| rows::theme(&columns, &raw)).collect::<Result<_, _>>()?,
        tags: in_order(parts.tags).map(|raw| rows::tag(&columns, &raw)).collect::<Result<_, _>>()?,
        ..row.details
    };
    Ok(Story {
        id: row.id,
        details,
        content,
        status: row.status,
        provenance: row.provenance,
        content_hash: row.content_hash,
        ingest_warnings: in_order(parts.warnings).collect(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) fn insert_one(
    transaction: &Transaction<'_>,
    story: &Story,
    check_provenance: bool,
) -> Result<InsertOutcome, StoreError> {
    let existing: Option<String> = transaction
        .prepare_cached("SELECT id FROM stories WHERE content_hash = ?1")?
        .query_row([story.content_hash.as_str()], |row| row.get(0))
        .optional()?;
    if let Some(existing) = existing {
        return Ok(InsertOutcome::AlreadyPresent(Columns { id: &existing }.parse(
            "id",
            &existing,
            StoryId::parse,
        )?));
    }
    if check_provenance && let Some(provenance) = &story.provenance {
        let existing: Option<String> = transaction
            .prepare_cached("SELECT id FROM stories WHERE provenance = ?1 ORDER BY created_at LIMIT 1")?
            .query_row([provenance], |row| row.get(0))
            .optional()?;
        if let Some(existing) = existing {
            let existing = Columns { id: &existing }.parse("id", &existing, StoryId::parse)?;
            return Ok(InsertOutcome::Changed { existing });
        }
    }

    let id = story.id.to_string();
    let details = &story.details;
    let consent = details.consent.as_ref();
    let (body, alt_text, display, thumbnail) = match &story.content {
        StoryContent::Text { body } => (Some(body.as_str()), None, None, None),
        StoryContent::Transcript { .. } => (None, None, None, None),
        StoryContent::Image { caption, alt_text, display, thumbnail } => {
            for media in [display, thumbnail] {
                transaction
                    .prepare_cached(
                        "INSERT OR IGNORE INTO media (hash, mime, width, height, byte_len, created_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?
                    .execute(params![
                        media.hash.as_str(),
                        media.mime,
                        media.width,
                        media.height,
                        i64::try_from(media.byte_len).unwrap_or(i64::MAX),
                        timestamp(story.created_at)
                    ])?;
            }
            (
                Some(caption.as_str()),
                alt_text.as_ref().map(|alt| alt.as_str()),
                Some(display.hash.as_str()),
                Some(thumbnail.hash.as_str()),
            )
        }
    };
    transaction
        .prepare_cached(
            "INSERT INTO stories (id, form, title, story_type, language, prompt, place, recorded_on, reporter, \
             storyteller, consent_scope, consent_identify_as, consent_given_on, consent_expires_on, status, body, \
             alt_text, display_media, thumbnail_media, provenance, content_hash, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
        )?
        .execute(params![
            id,
            story.form().as_str(),
            details.title.as_str(),
            details.story_type.as_str(),
            details.language.as_str(),
            details.prompt.as_ref().map(|v| v.as_str()),
            details.place.as_ref().map(|v| v.as_str()),
            details.recorded_on.map(|date| date.to_string()),
            details.reporter.as_ref().map(|v| v.as_str()),
            details.storyteller.as_ref().map(|v| v.as_str()),
            consent.map(|c| c.scope().as_str()),
            consent.map(|c| c.identify_as().as_str()),
            consent.map(|c| c.given_on().to_string()),
            consent.and_then(|c| c.expires_on()).map(|date| date.to_string()),
            story.status.as_str(),
            body,
            alt_text,
            display,
            thumbnail,
            story.provenance,
            story.content_hash.as_str(),
            timestamp(story.created_at),
            timestamp(story.updated_at),
        ])?;
    if let StoryContent::Transcript { cues } = &story.content {
        let mut statement = transaction.prepare_cached(
            "INSERT INTO story_cues (story_id, position, start_ms, end_ms, speaker, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (position, cue) in cues.iter().enumerate() {
            statement.execute(params![
                id,
                position as i64,
                cue.start().map(|t| t.as_millis() as i64),
                cue.end().map(|t| t.as_millis() as i64),
                cue.speaker().map(|s| s.as_str()),
                cue.text()
            ])?;
        }
    }
    let mut theme_statement =
        transaction.prepare_cached("INSERT INTO story_themes (story_id, theme) VALUES (?1, ?2)")?;
    for theme in &details.themes {
        theme_statement.execute(params![id, theme.as_str()])?;
    }
    let mut tag_statement =
        transaction.prepare_cached("INSERT INTO story_tags (story_id, tag) VALUES (?1, ?2)")?;
    for tag in &details.tags {
        tag_statement.execute(params![id, tag.as_str()])?;
    }
    let mut warning_statement = transaction
        .prepare_cached("INSERT INTO story_warnings (story_id, position, message) VALUES (?1, ?2, ?3)")?;
    for (position, message) in story.ingest_warnings.iter().enumerate() {
        warning_statement.execute(params![id, position as i64, message])?;
    }
    transaction
        .prepare_cached("INSERT INTO story_changes (story_id, kind, at) VALUES (?1, 'created', ?2)")?
        .execute(params![id, timestamp(story.created_at)])?;
    Ok(InsertOutcome::Inserted(story.id))
}

/// List lines of the stories that `clause` (a WHERE and ORDER BY over `stories`) selects.
pub(crate) fn summary_rows(
    connection: &rusqlite::Connection,
    clause: &str,
    parameters: &[&dyn rusqlite::ToSql],
) -> Result<Vec<StorySummary>, StoreError> {
    let sql = format!(
        "SELECT id, title, form, language, status, consent_scope, provenance, created_at FROM stories {clause}"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map(parameters, |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, Option<String>>(5)?,
            row.get::<_, Option<String>>(6)?,
            row.get::<_, String>(7)?,
        ))
    })?;
    let mut summaries = Vec::new();
    for row in rows {
        let (id, title, form, language, status, scope, provenance, created_at) = row?;
        let columns = Columns { id: &id };
        summaries.push(StorySummary {
            id: columns.parse("id", &id, StoryId::parse)?,
            title: columns.parse("title", &title, Title::parse)?,
            form: columns.parse("form", &form, Form::parse)?,
            language: columns.parse("language", &language, Language::parse)?,
            status: columns.parse("status", &status, Status::parse)?,
            consent_scope: columns.optional("consent_scope", scope.as_deref(), ConsentScope::parse)?,
            provenance,
            created_at: columns.time("created_at", &created_at)?,
        });
    }
    Ok(summaries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_put_in_stored_order_whatever_order_they_come_in() {
        // (position, value) as read -> values in stored order
        for (read, expected) in [
            (vec![], vec![]),
            (
                vec![(0, "work"), (0, "health/waiting-times"), (0, "health")],
                vec!["health", "health/waiting-times", "work"],
            ),
            (vec![(10, "c"), (2, "b"), (1, "z"), (0, "y")], vec!["y", "z", "b", "c"]),
        ] {
            assert_eq!(in_order(read.clone()).collect::<Vec<_>>(), expected, "{read:?}");
            if read.iter().all(|(position, _)| *position != 0) {
                assert_eq!(by_position(read.clone()).collect::<Vec<_>>(), expected, "{read:?}");
            }
        }
        // Cues by position, as numbers (10 after 2), keeping each cue with its own position.
        let cues = vec![(10, "ten"), (2, "two"), (0, "zero"), (1, "one")];
        assert_eq!(by_position(cues).collect::<Vec<_>>(), ["zero", "one", "two", "ten"]);
    }
}
