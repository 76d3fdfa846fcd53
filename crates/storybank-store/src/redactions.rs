//! Redactions: a story's text rewritten with identifying details replaced, its quotes moved to
//! match, and a record of each replacement, in one transaction.

use chrono::{DateTime, Utc};
use rusqlite::params;
use storybank_domain::{
    AuditAction, AuditEvent, Quote, QuoteSpan, RedactionKind, Story, StoryContent, StoryId, Unit,
};

use crate::curation::log_change;
use crate::rows::Columns;
use crate::stories::timestamp;
use crate::{Store, StoreError};

/// One replacement as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedactionRecord {
    /// Where in the story.
    pub unit: Unit,
    /// What kind of detail.
    pub kind: RedactionKind,
    /// What replaced it.
    pub replacement: String,
    /// The words replaced, if the archive keeps originals.
    pub original: Option<String>,
    /// For names: the keyed hash of the person's name.
    pub person_key: Option<String>,
    /// Who (an account's name).
    pub by: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

impl Store {
    /// Stores a redacted story's text (title, body or caption and alt text, cue texts), its moved
    /// quotes and the records of what was replaced, with a change for the index and an audit
    /// entry, in one transaction.
    pub fn save_redaction(
        &mut self,
        story: &Story,
        quotes: &[Quote],
        records: &[RedactionRecord],
    ) -> Result<(), StoreError> {
        let id = story.id.to_string();
        let transaction = self.connection.transaction()?;
        let now = timestamp(Utc::now());
        let (body, alt_text) = match &story.content {
            StoryContent::Text { body } => (Some(body.as_str()), None),
            StoryContent::Image { caption, alt_text, .. } => {
                (Some(caption.as_str()), alt_text.as_ref().map(|alt| alt.as_str()))
            }
            StoryContent::Transcript { .. } => (None, None),
        };
        transaction
            .prepare_cached(
                "UPDATE stories SET title = ?2, body = ?3, alt_text = ?4, updated_at = ?5 WHERE id = ?1",
            )?
            .execute(params![id, story.details.title.as_str(), body, alt_text, now])?;
        if let StoryContent::Transcript { cues } = &story.content {
            let mut update = transaction
                .prepare_cached("UPDATE story_cues SET text = ?3 WHERE story_id = ?1 AND position = ?2")?;
            for (position, cue) in cues.iter().enumerate() {
                update.execute(params![id, position as i64, cue.text()])?;
            }
        }
        {
            let mut update = transaction.prepare_cached(
                "UPDATE quotes SET span_start = ?3, span_end = ?4, text = ?5 WHERE story_id = ?1 AND id = ?2",
            )?;
            for quote in quotes {
                let (start, end) = match quote.span {
                    QuoteSpan::Text { start, end } => (start, end),
                    QuoteSpan::Cues { first, last } => (first, last),
                };
                update.execute(params![id, quote.id.to_string(), start as i64, end as i64, quote.text])?;
            }
        }
        let next: i64 = transaction.query_row(
            "SELECT coalesce(max(seq), 0) + 1 FROM redactions WHERE story_id = ?1",
            [&id],
            |row| row.get(0),
        )?;
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO redactions (story_id, seq, unit, kind, replacement, original, person_key, redacted_by, redacted_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for (offset, record) in records.iter().enumerate() {
                insert.execute(params![
                    id,
                    next + offset as i64,
                    record.unit.code(),
                    record.kind.as_str(),
                    record.replacement,
                    record.original,
                    record.person_key,
                    record.by,
                    timestamp(record.at)
                ])?;
            }
        }
        log_change(&transaction, story.id, "redacted")?;
        let mut kinds: Vec<&str> = records.iter().map(|record| record.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        crate::audit::append(
            &transaction,
            records.first().and_then(|record| record.by.as_deref()),
            &AuditEvent::new(
                AuditAction::Redaction,
                story.id,
                format!("{} replacement(s): {}", records.len(), kinds.join(", ")),
            ),
        )?;
        transaction.commit()?;
        Ok(())
    }

    /// A story's redactions, oldest first.
    pub fn redactions(&self, story: StoryId) -> Result<Vec<RedactionRecord>, StoreError> {
        let id = story.to_string();
        let mut statement = self.connection.prepare_cached(
            "SELECT unit, kind, replacement, original, person_key, redacted_by, redacted_at FROM redactions \
             WHERE story_id = ?1 ORDER BY seq",
        )?;
        let rows = statement.query_map([&id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, String>(6)?,
            ))
        })?;
        let columns = Columns { id: &id };
        let mut records = Vec::new();
        for row in rows {
            let (unit, kind, replacement, original, person_key, by, at) = row?;
            records.push(RedactionRecord {
                unit: Unit::parse(&unit).ok_or_else(|| columns.corrupt("unit", &unit))?,
                kind: columns.parse("kind", &kind, RedactionKind::parse)?,
                replacement,
                original,
                person_key,
                by,
                at: columns.time("redacted_at", &at)?,
            });
        }
        Ok(records)
    }
}
