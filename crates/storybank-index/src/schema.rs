//! The index schema, in one place: which fields exist, how each is analysed, and how a story
//! becomes a document. Story text is indexed but never stored: hits are read from the store.

use chrono::{NaiveDate, NaiveTime};
use storybank_domain::{ConsentScope, Story, StoryContent, ThemePath};
use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{DateTime, TantivyDocument};

use crate::analysis::{FOLDED, KEYWORD, PLAIN};

/// Bumped whenever the schema or the analysis changes: an index of another version is rebuilt.
/// (6 was an analysis that dropped words which are their own stems from the language fields,
/// reverted: it lost the ranking of exact spellings over accented variants. 8 stopped storing the
/// id and keeping it as a text column: hits read it from two number columns. 9 indexes the text
/// once, lowercased, with each segment's word map, instead of a stemmed field per language and a
/// folded field.)
pub const SCHEMA_VERSION: u32 = 9;

/// The fields of the index.
#[derive(Clone, Debug)]
pub(crate) struct Fields {
    pub schema: Schema,
    /// The story id, indexed (to replace or delete a story's document); hits read it from
    /// `id_high` and `id_low`. Nothing is stored: the index keeps no document store to speak of.
    pub id: Field,
    /// Title, folded (no stemming).
    pub title: Field,
    /// Full text (body, transcript, caption and alt text), lowercased, with positions: words as
    /// written. Stems and spellings without diacritics are found through each segment's word
    /// map (`word_map`), whatever the story's language.
    pub text: Field,
    /// Themes as a hierarchical facet (`/health/mental-health`).
    pub themes: Field,
    /// Form, language and story type as facets (`/form/text`, `/language/fi`, `/type/dialogue`).
    pub meta: Field,
    pub tags: Field,
    pub form: Field,
    pub story_type: Field,
    pub language: Field,
    pub place: Field,
    /// The community reporter who gathered it, as written (for the review queue's filter).
    pub reporter: Field,
    pub status: Field,
    /// The consent scope as recorded; `internal` when consent is missing.
    pub scope: Field,
    /// The last day consent applies (far future when it does not expire; the epoch when missing).
    pub consent_until: Field,
    /// `consent-missing`, `alt-text-missing`: what curators' queues look for.
    pub flags: Field,
    pub recorded_on: Field,
    /// `recorded_on`, or the day the story was stored: what sorting by date uses.
    pub sort_date: Field,
    /// The story's id (a UUIDv7: its creation time, then a counter) as two numbers, high and low
    /// 64 bits: they break ties between stories of the same `sort_date`, newest stored first, so
    /// an order by date is always the same.
    pub id_high: Field,
    pub id_low: Field,
}

fn text_options(analyzer: &str, positions: bool) -> TextOptions {
    let record =
        if positions { IndexRecordOption::WithFreqsAndPositions } else { IndexRecordOption::WithFreqs };
    TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(analyzer).set_index_option(record))
}

impl Fields {
    pub(crate) fn new() -> Self {
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING);
        let title = builder.add_text_field("title", text_options(FOLDED, true));
        let text = builder.add_text_field("text", text_options(PLAIN, true));
        let themes = builder.add_facet_field("themes", FacetOptions::default());
        let meta = builder.add_facet_field("meta", FacetOptions::default());
        let tags = builder.add_text_field("tags", STRING);
        let form = builder.add_text_field("form", STRING);
        let story_type = builder.add_text_field("story_type", STRING);
        let language = builder.add_text_field("language", STRING);
        let place = builder.add_text_field("place", text_options(KEYWORD, false));
        let reporter = builder.add_text_field("reporter", STRING);
        let status = builder.add_text_field("status", STRING);
        let scope = builder.add_text_field("scope", STRING);
        let consent_until = builder.add_date_field("consent_until", INDEXED | FAST);
        let flags = builder.add_text_field("flags", STRING);
        let recorded_on = builder.add_date_field("recorded_on", INDEXED | FAST);
        let sort_date = builder.add_date_field("sort_date", INDEXED | FAST);
        let id_high = builder.add_u64_field("id_high", FAST);
        let id_low = builder.add_u64_field("id_low", FAST);
        Self {
            schema: builder.build(),
            id,
            title,
            text,
            themes,
            meta,
            tags,
            form,
            story_type,
            language,
            place,
            reporter,
            status,
            scope,
            consent_until,
            flags,
            recorded_on,
            sort_date,
            id_high,
            id_low,
        }
    }

    /// Turns a story into its document.
    pub(crate) fn document(&self, story: &Story) -> TantivyDocument {
        let details = &story.details;
        let mut document = TantivyDocument::default();
        document.add_text(self.id, story.id.to_string());
        document.add_text(self.title, details.title.as_str());
        let full_text = story.content.full_text();
        document.add_text(self.text, &full_text);
        for theme in &details.themes {
            document.add_facet(self.themes, theme_facet(theme));
        }
        document.add_facet(self.meta, tantivy::schema::Facet::from_path(["form", story.form().as_str()]));
        document
            .add_facet(self.meta, tantivy::schema::Facet::from_path(["language", details.language.as_str()]));
        document
            .add_facet(self.meta, tantivy::schema::Facet::from_path(["type", details.story_type.as_str()]));
        // The place as the consent function shows it outside the curation team (the town), so
        // counts by place reveal nothing finer than the pages do.
        if let Some(town) =
            details.place.as_ref().and_then(|place| storybank_domain::coarsen_place(place.as_str()))
        {
            document.add_facet(self.meta, tantivy::schema::Facet::from_path(["place", town.as_str()]));
        }
        for tag in &details.tags {
            document.add_text(self.tags, tag.as_str());
        }
        document.add_text(self.form, story.form().as_str());
        document.add_text(self.story_type, details.story_type.as_str());
        document.add_text(self.language, details.language.as_str());
        if let Some(place) = &details.place {
            document.add_text(self.place, place.as_str());
        }
        if let Some(reporter) = &details.reporter {
            document.add_text(self.reporter, reporter.as_str());
        }
        document.add_text(self.status, story.status.as_str());
        let (scope, until) = match &details.consent {
            Some(consent) => (consent.scope(), consent.expires_on().unwrap_or(FOREVER)),
            None => (ConsentScope::Internal, NEVER),
        };
        document.add_text(self.scope, scope.as_str());
        document.add_date(self.consent_until, date(until));
        if details.consent.is_none() {
            document.add_text(self.flags, CONSENT_MISSING);
        }
        if matches!(&story.content, StoryContent::Image { alt_text: None, .. }) {
            document.add_text(self.flags, ALT_TEXT_MISSING);
        }
        if let Some(recorded_on) = details.recorded_on {
            document.add_date(self.recorded_on, date(recorded_on));
        }
        document.add_date(self.sort_date, date(details.recorded_on.unwrap_or(story.created_at.date_naive())));
        let (high, low) = story.id.as_uuid().as_u64_pair();
        document.add_u64(self.id_high, high);
        document.add_u64(self.id_low, low);
        document
    }
}

/// A story stored without a consent record.
pub const CONSENT_MISSING: &str = "consent-missing";
/// A photo story without alt text.
pub const ALT_TEXT_MISSING: &str = "alt-text-missing";
/// The flags a search can ask for (what curators' review queues look for).
pub const FLAGS: [&str; 2] = [CONSENT_MISSING, ALT_TEXT_MISSING];

/// "Consent does not expire." (Index dates are nanoseconds in an i64: they end in 2262.)
const FOREVER: NaiveDate = NaiveDate::from_ymd_opt(2200, 12, 31).expect("a valid date");
/// "No consent at all."
const NEVER: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");

/// The earliest day the index tells apart; earlier days count as this one.
const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(1700, 1, 1).expect("a valid date");

/// A day as an index date (midnight UTC). Index dates are nanoseconds in an i64, so days are
/// clamped to 1700-01-01 ..= 2200-12-31 (nanoseconds in an i64 span 1677 to 2262): a hostile or
/// mistyped year never overflows.
pub(crate) fn date(day: NaiveDate) -> DateTime {
    let day = day.clamp(EARLIEST, FOREVER);
    DateTime::from_timestamp_secs(day.and_time(NaiveTime::MIN).and_utc().timestamp())
}

pub(crate) fn theme_facet(theme: &ThemePath) -> tantivy::schema::Facet {
    tantivy::schema::Facet::from_path(theme.segments())
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn far_dates_are_clamped_not_overflowed() {
        for raw in ["0001-01-01", "9999-12-31", "+262143-12-31"] {
            let day: NaiveDate = raw.parse().unwrap_or(NaiveDate::MAX);
            let _ = date(day); // must not panic
        }
        assert_eq!(date(NaiveDate::MAX), date(FOREVER));
        assert_eq!(date(NaiveDate::MIN), date(EARLIEST));
    }
}
