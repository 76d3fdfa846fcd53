//! What happens to stories after ingestion: who submitted them, curators' edits, notes and quotes,
//! reporters' theme suggestions, and changes to the theme taxonomy. Every change that search can
//! see is logged in `story_changes` in the same transaction.

use chrono::Utc;
use rusqlite::{OptionalExtension, Transaction, params};
use storybank_domain::{
    AltText, CurationNotes, Note, Quote, QuoteId, QuoteSpan, Story, StoryDetails, StoryId, Theme, ThemePath,
    UserId,
};

use crate::rows::Columns;
use crate::stories::{InsertOutcome, StorySummary, insert_one, summary_rows, timestamp};
use crate::{Store, StoreError};

/// What curators have added to a story.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Curation {
    /// Key message and key learning.
    pub notes: CurationNotes,
    /// Quotes, oldest first.
    pub quotes: Vec<Quote>,
    /// Themes the reporter suggested that are not assigned yet.
    pub suggested_themes: Vec<ThemePath>,
    /// Who submitted the story through the web app, if anyone did.
    pub submitted_by: Option<UserId>,
}

/// A theme of the taxonomy with how many stories carry it (or one of its sub-themes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThemeCount {
    /// The theme.
    pub theme: Theme,
    /// Whether it is retired (kept on the stories that have it, not offered for new ones).
    pub retired: bool,
    /// Stories with this theme itself.
    pub stories: u64,
}

pub(crate) fn log_change(transaction: &Transaction<'_>, id: StoryId, kind: &str) -> Result<(), StoreError> {
    transaction
        .prepare_cached("INSERT INTO story_changes (story_id, kind, at) VALUES (?1, ?2, ?3)")?
        .execute(params![id.to_string(), kind, timestamp(Utc::now())])?;
    Ok(())
}

impl Store {
    /// Stores a story submitted by `user` with the themes they suggested, in one transaction.
    pub fn insert_submission(
        &mut self,
        story: &Story,
        user: UserId,
        suggested_themes: &[ThemePath],
    ) -> Result<InsertOutcome, StoreError> {
        let transaction = self.connection.transaction()?;
        let outcome = insert_one(&transaction, story, false)?;
        if outcome == InsertOutcome::Inserted(story.id) {
            transaction
                .prepare_cached("UPDATE stories SET submitted_by = ?2 WHERE id = ?1")?
                .execute(params![story.id.to_string(), user.to_string()])?;
            let mut statement = transaction.prepare_cached(
                "INSERT OR IGNORE INTO story_theme_suggestions (story_id, theme) VALUES (?1, ?2)",
            )?;
            for theme in suggested_themes {
                statement.execute(params![story.id.to_string(), theme.as_str()])?;
            }
        }
        transaction.commit()?;
        Ok(outcome)
    }

    /// The stories `user` submitted, newest first.
    pub fn stories_submitted_by(&self, user: UserId) -> Result<Vec<StorySummary>, StoreError> {
        summary_rows(
            &self.connection,
            "WHERE submitted_by = ?1 ORDER BY created_at DESC, id DESC",
            &[&user.to_string()],
        )
    }

    /// The reporters named in stories' details, with how many stories each gathered.
    pub fn reporters(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT reporter, count(*) FROM stories WHERE reporter IS NOT NULL AND status != 'withdrawn' \
             GROUP BY reporter ORDER BY reporter",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
        rows.map(|row| row.map(|(name, count)| (name, count.unsigned_abs())).map_err(StoreError::from))
            .collect()
    }

    /// What curators have added to a story (empty for a story that is not stored).
    pub fn curation(&self, id: StoryId) -> Result<Curation, StoreError> {
        let id_text = id.to_string();
        let columns = Columns { id: &id_text };
        let row: Option<(Option<String>, Option<String>, Option<String>)> = self
            .connection
            .prepare_cached("SELECT key_message, key_learning, submitted_by FROM stories WHERE id = ?1")?
            .query_row([&id_text], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .optional()?;
        let Some((key_message, key_learning, submitted_by)) = row else {
            return Ok(Curation::default());
        };
        let note = |field: &'static str, raw: Option<String>| -> Result<Option<Note>, StoreError> {
            Ok(match raw {
                Some(raw) => Note::parse(&raw).map_err(|err| columns.corrupt(field, err))?,
                None => None,
            })
        };
        let notes = CurationNotes {
            key_message: note("key_message", key_message)?,
            key_learning: note("key_learning", key_learning)?,
        };
        let suggested_themes = self
            .strings(
                "SELECT g.theme FROM story_theme_suggestions g WHERE g.story_id = ?1 AND NOT EXISTS \
                 (SELECT 1 FROM story_themes t WHERE t.story_id = g.story_id AND t.theme = g.theme) ORDER BY g.theme",
                &id_text,
            )?
            .iter()
            .map(|raw| columns.parse("suggested theme", raw, ThemePath::parse))
            .collect::<Result<_, _>>()?;
        Ok(Curation {
            notes,
            quotes: self.quotes(id)?,
            suggested_themes,
            submitted_by: columns.optional("submitted_by", submitted_by.as_deref(), UserId::parse)?,
        })
    }

    /// The quotes of a story, oldest first.
    pub fn quotes(&self, id: StoryId) -> Result<Vec<Quote>, StoreError> {
        let id_text = id.to_string();
        let mut statement = self.connection.prepare_cached(
            "SELECT id, kind, span_start, span_end, text, created_by, created_at FROM quotes \
             WHERE story_id = ?1 ORDER BY created_at, id",
        )?;
        let rows = statement.query_map([&id_text], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, String>(6)?,
            ))
        })?;
        let mut quotes = Vec::new();
        for row in rows {
            let (quote_id, kind, start, end, text, created_by, created_at) = row?;
            let columns = Columns { id: &quote_id };
            let (start, end) = (start.unsigned_abs() as usize, end.unsigned_abs() as usize);
            let span = match kind.as_str() {
                "text" => QuoteSpan::Text { start, end },
                _ => QuoteSpan::Cues { first: start, last: end },
            };
            let themes = self
                .strings("SELECT theme FROM quote_themes WHERE quote_id = ?1 ORDER BY theme", &quote_id)?
                .iter()
                .map(|raw| columns.parse("quote theme", raw, ThemePath::parse))
                .collect::<Result<_, _>>()?;
            quotes.push(Quote {
                id: columns.parse("quote id", &quote_id, QuoteId::parse)?,
                story_id: id,
                span,
                text,
                themes,
                created_by: columns.optional("created_by", created_by.as_deref(), UserId::parse)?,
                created_at: columns.time("created_at", &created_at)?,
            });
        }
        Ok(quotes)
    }

    /// Replaces a story's details (title, type, language, place, dates, people, consent, themes,
    /// tags), logging a change of `kind`. Returns false when there is no such story.
    pub fn update_details(
        &mut self,
        id: StoryId,
        details: &StoryDetails,
        kind: &str,
    ) -> Result<bool, StoreError> {
        let transaction = self.connection.transaction()?;
        let id_text = id.to_string();
        let consent = details.consent.as_ref();
        let changed = transaction
            .prepare_cached(
                "UPDATE stories SET title = ?2, story_type = ?3, language = ?4, prompt = ?5, place = ?6, \
                 recorded_on = ?7, reporter = ?8, storyteller = ?9, consent_scope = ?10, consent_identify_as = ?11, \
                 consent_given_on = ?12, consent_expires_on = ?13, updated_at = ?14 WHERE id = ?1",
            )?
            .execute(params![
                id_text,
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
                timestamp(Utc::now()),
            ])?;
        if changed == 0 {
            return Ok(false);
        }
        transaction.prepare_cached("DELETE FROM story_themes WHERE story_id = ?1")?.execute([&id_text])?;
        {
            let mut statement =
                transaction.prepare_cached("INSERT INTO story_themes (story_id, theme) VALUES (?1, ?2)")?;
            for theme in &details.themes {
                statement.execute(params![id_text, theme.as_str()])?;
            }
        }
        transaction.prepare_cached("DELETE FROM story_tags WHERE story_id = ?1")?.execute([&id_text])?;
        {
            let mut statement =
                transaction.prepare_cached("INSERT INTO story_tags (story_id, tag) VALUES (?1, ?2)")?;
            for tag in &details.tags {
                statement.execute(params![id_text, tag.as_str()])?;
            }
        }
        log_change(&transaction, id, kind)?;
        transaction.commit()?;
        Ok(true)
    }

    /// Sets or clears a photo story's alt text. Returns false when there is no such photo story.
    pub fn set_alt_text(&mut self, id: StoryId, alt_text: Option<&AltText>) -> Result<bool, StoreError> {
        let transaction = self.connection.transaction()?;
        let changed = transaction
            .prepare_cached(
                "UPDATE stories SET alt_text = ?2, updated_at = ?3 WHERE id = ?1 AND form = 'image'",
            )?
            .execute(params![id.to_string(), alt_text.map(|alt| alt.as_str()), timestamp(Utc::now())])?;
        if changed == 0 {
            return Ok(false);
        }
        log_change(&transaction, id, "alt_text")?;
        transaction.commit()?;
        Ok(true)
    }

    /// Records a story's key message and key learning. Returns false when there is no such story.
    /// Logged as a change: it changes the story's `updated_at`, and readers that keep stories
    /// (the archive's story cache) learn of every change from the log.
    pub fn set_notes(&mut self, id: StoryId, notes: &CurationNotes) -> Result<bool, StoreError> {
        let transaction = self.connection.transaction()?;
        let changed = transaction
            .prepare_cached(
                "UPDATE stories SET key_message = ?2, key_learning = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![
                id.to_string(),
                notes.key_message.as_ref().map(Note::as_str),
                notes.key_learning.as_ref().map(Note::as_str),
                timestamp(Utc::now())
            ])?;
        if changed == 1 {
            log_change(&transaction, id, "notes")?;
        }
        transaction.commit()?;
        Ok(changed == 1)
    }

    /// Replaces the themes a reporter suggests for their story.
    pub fn set_suggested_themes(&mut self, id: StoryId, themes: &[ThemePath]) -> Result<(), StoreError> {
        let transaction = self.connection.transaction()?;
        transaction
            .prepare_cached("DELETE FROM story_theme_suggestions WHERE story_id = ?1")?
            .execute([id.to_string()])?;
        let mut statement = transaction.prepare_cached(
            "INSERT OR IGNORE INTO story_theme_suggestions (story_id, theme) VALUES (?1, ?2)",
        )?;
        for theme in themes {
            statement.execute(params![id.to_string(), theme.as_str()])?;
        }
        drop(statement);
        transaction.commit()?;
        Ok(())
    }

    /// Stores a quote with its themes.
    pub fn insert_quote(&mut self, quote: &Quote) -> Result<(), StoreError> {
        let transaction = self.connection.transaction()?;
        let (kind, start, end) = match quote.span {
            QuoteSpan::Text { start, end } => ("text", start, end),
            QuoteSpan::Cues { first, last } => ("cues", first, last),
        };
        transaction
            .prepare_cached(
                "INSERT INTO quotes (id, story_id, kind, span_start, span_end, text, created_by, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                quote.id.to_string(),
                quote.story_id.to_string(),
                kind,
                start as i64,
                end as i64,
                quote.text,
                quote.created_by.map(|user| user.to_string()),
                timestamp(quote.created_at)
            ])?;
        let mut statement = transaction
            .prepare_cached("INSERT OR IGNORE INTO quote_themes (quote_id, theme) VALUES (?1, ?2)")?;
        for theme in &quote.themes {
            statement.execute(params![quote.id.to_string(), theme.as_str()])?;
        }
        drop(statement);
        transaction.commit()?;
        Ok(())
    }

    /// Removes a quote of a story. Returns false when the story has no such quote.
    pub fn delete_quote(&mut self, story: StoryId, quote: QuoteId) -> Result<bool, StoreError> {
        let deleted = self
            .connection
            .prepare_cached("DELETE FROM quotes WHERE id = ?1 AND story_id = ?2")?
            .execute(params![quote.to_string(), story.to_string()])?;
        Ok(deleted == 1)
    }

    /// Every theme of the taxonomy, retired ones too, with how many stories carry each.
    pub fn theme_counts(&self) -> Result<Vec<ThemeCount>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT t.path, t.label, t.description, t.retired, \
             (SELECT count(*) FROM story_themes s WHERE s.theme = t.path) FROM themes t ORDER BY t.path",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, bool>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })?;
        let mut themes = Vec::new();
        for row in rows {
            let (path, label, description, retired, stories) = row?;
            let path = Columns { id: "-" }.parse("theme", &path, ThemePath::parse)?;
            themes.push(ThemeCount {
                theme: Theme { path, label, description },
                retired,
                stories: stories.unsigned_abs(),
            });
        }
        Ok(themes)
    }

    /// Whether the taxonomy has this theme (retired or not).
    pub fn has_theme(&self, path: &ThemePath) -> Result<bool, StoreError> {
        Ok(self
            .connection
            .prepare_cached("SELECT 1 FROM themes WHERE path = ?1")?
            .query_row([path.as_str()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Renames (or moves) a theme and its sub-themes to `to`, and re-themes every story, quote
    /// and suggestion that carried them, in one transaction. The caller has checked that `to`
    /// is free and not inside `from`.
    pub fn rename_theme(&mut self, from: &ThemePath, to: &ThemePath, label: &str) -> Result<u64, StoreError> {
        if from == to {
            self.set_theme_label(from, label)?;
            return Ok(0);
        }
        let transaction = self.connection.transaction()?;
        let (from, to) = (from.as_str(), to.as_str());
        let subtree = "(theme = ?1 OR theme LIKE ?1 || '/%')";
        let moved = "?2 || substr(theme, length(?1) + 1)";
        transaction.execute(
            "UPDATE themes SET path = ?2 || substr(path, length(?1) + 1) WHERE path = ?1 OR path LIKE ?1 || '/%'",
            params![from, to],
        )?;
        transaction.execute("UPDATE themes SET label = ?2 WHERE path = ?1", params![to, label])?;
        let affected = transaction.execute(
            &format!(
                "INSERT INTO story_changes (story_id, kind, at) SELECT DISTINCT story_id, 'themes', ?3 \
                 FROM story_themes WHERE {subtree}"
            ),
            params![from, to, timestamp(Utc::now())],
        )?;
        for table in ["story_themes", "quote_themes", "story_theme_suggestions"] {
            let key = if table == "quote_themes" { "quote_id" } else { "story_id" };
            transaction.execute(
                &format!("INSERT OR IGNORE INTO {table} ({key}, theme) SELECT {key}, {moved} FROM {table} WHERE {subtree}"),
                params![from, to],
            )?;
            transaction.execute(&format!("DELETE FROM {table} WHERE {subtree}"), params![from])?;
        }
        transaction.commit()?;
        Ok(affected as u64)
    }

    /// Merges a theme and its sub-themes into `into`: every story, quote and suggestion that
    /// carried any of them carries `into` instead, and they leave the taxonomy.
    pub fn merge_theme(&mut self, from: &ThemePath, into: &ThemePath) -> Result<u64, StoreError> {
        let transaction = self.connection.transaction()?;
        let (from, into) = (from.as_str(), into.as_str());
        let subtree = "(theme = ?1 OR theme LIKE ?1 || '/%')";
        let affected = transaction.execute(
            &format!(
                "INSERT INTO story_changes (story_id, kind, at) SELECT DISTINCT story_id, 'themes', ?2 \
                 FROM story_themes WHERE {subtree}"
            ),
            params![from, timestamp(Utc::now())],
        )?;
        for table in ["story_themes", "quote_themes", "story_theme_suggestions"] {
            let key = if table == "quote_themes" { "quote_id" } else { "story_id" };
            transaction.execute(
                &format!("INSERT OR IGNORE INTO {table} ({key}, theme) SELECT {key}, ?2 FROM {table} WHERE {subtree}"),
                params![from, into],
            )?;
            transaction.execute(&format!("DELETE FROM {table} WHERE {subtree}"), params![from])?;
        }
        transaction.execute("DELETE FROM themes WHERE path = ?1 OR path LIKE ?1 || '/%'", params![from])?;
        transaction.commit()?;
        Ok(affected as u64)
    }

    /// Changes a theme's label.
    pub fn set_theme_label(&mut self, path: &ThemePath, label: &str) -> Result<bool, StoreError> {
        let changed = self
            .connection
            .prepare_cached("UPDATE themes SET label = ?2 WHERE path = ?1")?
            .execute(params![path.as_str(), label])?;
        Ok(changed == 1)
    }

    /// Retires (or restores) a theme: stories keep it, but it is not offered for new ones.
    pub fn set_theme_retired(&mut self, path: &ThemePath, retired: bool) -> Result<bool, StoreError> {
        let changed = self
            .connection
            .prepare_cached("UPDATE themes SET retired = ?2 WHERE path = ?1")?
            .execute(params![path.as_str(), retired])?;
        Ok(changed == 1)
    }
}
