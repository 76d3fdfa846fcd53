//! Reading stored rows back into domain types. A value that no longer parses is reported as
//! corrupt, naming the story and column, rather than passed on unchecked.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Row;
use rusqlite::types::ValueRef;
use storybank_domain::{
    AltText, Consent, ConsentScope, ContentHash, Cue, DomainError, Form, IdentifyAs, Language, MediaRef,
    Place, Prompt, Reporter, Speaker, Status, StoryDetails, StoryId, StoryType, Storyteller, Tag, ThemePath,
    Timestamp, Title,
};

use crate::StoreError;

/// The columns of `stories` that [`StoryRow::read`] expects, in order.
pub(crate) const STORY_COLUMNS: &str = "s.id, s.form, s.title, s.story_type, s.language, s.prompt, s.place, \
     s.recorded_on, s.reporter, s.storyteller, s.consent_scope, s.consent_identify_as, s.consent_given_on, \
     s.consent_expires_on, s.status, s.body, s.alt_text, s.provenance, s.content_hash, s.created_at, s.updated_at, \
     d.hash, d.mime, d.width, d.height, d.byte_len, t.hash, t.mime, t.width, t.height, t.byte_len";

/// The joins that [`STORY_COLUMNS`] needs.
pub(crate) const STORY_FROM: &str = "stories s LEFT JOIN media d ON d.hash = s.display_media \
     LEFT JOIN media t ON t.hash = s.thumbnail_media";

/// One `stories` row, as text, before it is parsed.
#[derive(Debug)]
pub(crate) struct StoryRow {
    pub id: String,
    pub form: String,
    pub title: String,
    pub story_type: String,
    pub language: String,
    pub prompt: Option<String>,
    pub place: Option<String>,
    pub recorded_on: Option<String>,
    pub reporter: Option<String>,
    pub storyteller: Option<String>,
    pub consent_scope: Option<String>,
    pub consent_identify_as: Option<String>,
    pub consent_given_on: Option<String>,
    pub consent_expires_on: Option<String>,
    pub status: String,
    pub body: Option<String>,
    pub alt_text: Option<String>,
    pub provenance: Option<String>,
    pub content_hash: String,
    pub created_at: String,
    pub updated_at: String,
    pub display: Option<MediaRow>,
    pub thumbnail: Option<MediaRow>,
}

#[derive(Debug)]
pub(crate) struct MediaRow {
    hash: String,
    mime: String,
    width: u32,
    height: u32,
    byte_len: u64,
}

impl StoryRow {
    pub(crate) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        let media = |offset: usize| -> rusqlite::Result<Option<MediaRow>> {
            let hash: Option<String> = row.get(offset)?;
            hash.map(|hash| {
                Ok(MediaRow {
                    hash,
                    mime: row.get(offset + 1)?,
                    width: row.get(offset + 2)?,
                    height: row.get(offset + 3)?,
                    byte_len: row.get::<_, i64>(offset + 4)?.max(0).unsigned_abs(),
                })
            })
            .transpose()
        };
        Ok(Self {
            id: row.get(0)?,
            form: row.get(1)?,
            title: row.get(2)?,
            story_type: row.get(3)?,
            language: row.get(4)?,
            prompt: row.get(5)?,
            place: row.get(6)?,
            recorded_on: row.get(7)?,
            reporter: row.get(8)?,
            storyteller: row.get(9)?,
            consent_scope: row.get(10)?,
            consent_identify_as: row.get(11)?,
            consent_given_on: row.get(12)?,
            consent_expires_on: row.get(13)?,
            status: row.get(14)?,
            body: long_text(row, 15)?,
            alt_text: row.get(16)?,
            provenance: row.get(17)?,
            content_hash: row.get(18)?,
            created_at: row.get(19)?,
            updated_at: row.get(20)?,
            display: media(21)?,
            thumbnail: media(26)?,
        })
    }
}

/// A column of long text (a story's body): checked to be UTF-8 with `simdutf8`, several times
/// faster than the standard library's check on text with accents, which took 5 % of the search
/// page (20 bodies of a few thousand words each). Anything but valid text is left to rusqlite, for
/// its usual error.
fn long_text(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<String>> {
    if let ValueRef::Text(bytes) = row.get_ref(index)?
        && let Ok(text) = simdutf8::basic::from_utf8(bytes)
    {
        return Ok(Some(text.to_owned()));
    }
    row.get(index)
}

/// Parses one stored column of story `id`.
pub(crate) struct Columns<'a> {
    pub id: &'a str,
}

impl Columns<'_> {
    pub(crate) fn corrupt(&self, field: &'static str, detail: impl ToString) -> StoreError {
        StoreError::Corrupt { id: self.id.to_owned(), field, detail: detail.to_string() }
    }

    pub(crate) fn parse<T>(
        &self,
        field: &'static str,
        raw: &str,
        parse: impl Fn(&str) -> Result<T, DomainError>,
    ) -> Result<T, StoreError> {
        parse(raw).map_err(|err| self.corrupt(field, err))
    }

    pub(crate) fn optional<T>(
        &self,
        field: &'static str,
        raw: Option<&str>,
        parse: impl Fn(&str) -> Result<T, DomainError>,
    ) -> Result<Option<T>, StoreError> {
        raw.map(|raw| self.parse(field, raw, &parse)).transpose()
    }

    pub(crate) fn date(
        &self,
        field: &'static str,
        raw: Option<&str>,
    ) -> Result<Option<NaiveDate>, StoreError> {
        raw.map(|raw| raw.parse::<NaiveDate>().map_err(|err| self.corrupt(field, err))).transpose()
    }

    pub(crate) fn time(&self, field: &'static str, raw: &str) -> Result<DateTime<Utc>, StoreError> {
        DateTime::parse_from_rfc3339(raw)
            .map(|time| time.with_timezone(&Utc))
            .map_err(|err| self.corrupt(field, err))
    }

    pub(crate) fn media(&self, field: &'static str, row: Option<MediaRow>) -> Result<MediaRef, StoreError> {
        let row = row.ok_or_else(|| self.corrupt(field, "missing media"))?;
        let hash = ContentHash::from_hex(&row.hash).ok_or_else(|| self.corrupt(field, "bad media hash"))?;
        Ok(MediaRef { hash, mime: row.mime, width: row.width, height: row.height, byte_len: row.byte_len })
    }
}

/// The typed pieces of a row, for the story reader to assemble. `details` has no themes or tags
/// yet: they live in their own tables.
pub(crate) struct ParsedRow {
    pub id: StoryId,
    pub form: Form,
    pub details: StoryDetails,
    pub status: Status,
    pub body: Option<String>,
    pub alt_text: Option<AltText>,
    pub provenance: Option<String>,
    pub content_hash: ContentHash,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub display: Option<MediaRow>,
    pub thumbnail: Option<MediaRow>,
}

impl StoryRow {
    pub(crate) fn parse(self) -> Result<ParsedRow, StoreError> {
        let columns = Columns { id: &self.id };
        let consent = match (self.consent_scope.as_deref(), self.consent_given_on.as_deref()) {
            (Some(scope), Some(_)) => {
                let scope = columns.parse("consent_scope", scope, ConsentScope::parse)?;
                let identify_as = columns.parse(
                    "consent_identify_as",
                    self.consent_identify_as.as_deref().unwrap_or(""),
                    IdentifyAs::parse,
                )?;
                let given_on = columns.date("consent_given_on", self.consent_given_on.as_deref())?;
                let expires_on = columns.date("consent_expires_on", self.consent_expires_on.as_deref())?;
                let given_on = given_on.ok_or_else(|| columns.corrupt("consent_given_on", "missing"))?;
                Some(
                    Consent::new(scope, identify_as, given_on, expires_on)
                        .map_err(|err| columns.corrupt("consent", err))?,
                )
            }
            _ => None,
        };
        Ok(ParsedRow {
            id: columns.parse("id", &self.id, StoryId::parse)?,
            form: columns.parse("form", &self.form, Form::parse)?,
            details: StoryDetails {
                title: columns.parse("title", &self.title, Title::parse)?,
                story_type: columns.parse("story_type", &self.story_type, StoryType::parse)?,
                language: columns.parse("language", &self.language, Language::parse)?,
                prompt: columns.optional("prompt", self.prompt.as_deref(), Prompt::parse)?,
                place: columns.optional("place", self.place.as_deref(), Place::parse)?,
                recorded_on: columns.date("recorded_on", self.recorded_on.as_deref())?,
                reporter: columns.optional("reporter", self.reporter.as_deref(), Reporter::parse)?,
                storyteller: columns.optional(
                    "storyteller",
                    self.storyteller.as_deref(),
                    Storyteller::parse,
                )?,
                consent,
                themes: Vec::new(),
                tags: Vec::new(),
            },
            status: columns.parse("status", &self.status, Status::parse)?,
            body: self.body,
            alt_text: columns.optional("alt_text", self.alt_text.as_deref(), AltText::parse)?,
            provenance: self.provenance,
            content_hash: ContentHash::from_hex(&self.content_hash)
                .ok_or_else(|| columns.corrupt("content_hash", "not a hash"))?,
            created_at: columns.time("created_at", &self.created_at)?,
            updated_at: columns.time("updated_at", &self.updated_at)?,
            display: self.display,
            thumbnail: self.thumbnail,
        })
    }
}

/// Reads a cue row (`start_ms, end_ms, speaker, text`).
pub(crate) fn cue(columns: &Columns<'_>, row: &Row<'_>) -> Result<Cue, StoreError> {
    let start: Option<i64> = row.get(0)?;
    let end: Option<i64> = row.get(1)?;
    let (start, end) = (start.map(i64::unsigned_abs), end.map(i64::unsigned_abs));
    let speaker: Option<String> = row.get(2)?;
    let text: String = row.get(3)?;
    let speaker = columns.optional("speaker", speaker.as_deref(), Speaker::parse)?;
    Cue::new(start.map(Timestamp::from_millis), end.map(Timestamp::from_millis), speaker, text)
        .map_err(|err| columns.corrupt("cue", err))
}

pub(crate) fn theme(columns: &Columns<'_>, raw: &str) -> Result<ThemePath, StoreError> {
    columns.parse("theme", raw, ThemePath::parse)
}

pub(crate) fn tag(columns: &Columns<'_>, raw: &str) -> Result<Tag, StoreError> {
    columns.parse("tag", raw, Tag::parse)
}
