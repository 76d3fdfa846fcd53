//! What the JSON API reads and writes. Each type derives its OpenAPI schema, so the document at
//! `/api/v1/openapi.json` is generated from the same types that are serialised.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Every error: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code: `unauthorized`, `forbidden`, `not_found`, `invalid`, `conflict`,
    /// `bad_request`, `internal`.
    pub code: String,
    /// What was wrong and how to fix it, for people.
    pub message: String,
}

/// A created resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// Its id.
    pub id: String,
}

/// The search's filters as query parameters (repeat a filter for any of several values).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; they are read by the search page's parser
pub struct SearchParams {
    /// Words, "phrases", AND/OR/NOT, prefix*; empty lists everything the caller may see.
    pub q: Option<String>,
    /// A theme path; matches its sub-themes (repeatable).
    pub theme: Option<Vec<String>>,
    /// A tag (repeatable).
    pub tag: Option<Vec<String>>,
    /// text, transcript or image (repeatable).
    pub form: Option<Vec<String>>,
    /// A story type (repeatable).
    #[param(rename = "type")]
    pub story_type: Option<Vec<String>>,
    /// A language code (repeatable).
    pub lang: Option<Vec<String>>,
    /// A place (curators only; ignored for others).
    pub place: Option<String>,
    /// Recorded on or after (YYYY-MM-DD).
    pub from: Option<NaiveDate>,
    /// Recorded on or before (YYYY-MM-DD).
    pub to: Option<NaiveDate>,
    /// A status (repeatable; curators).
    pub status: Option<Vec<String>>,
    /// A review flag, `consent-missing` or `alt-text-missing` (repeatable; curators).
    pub flag: Option<Vec<String>>,
    /// A reporter's handle (repeatable; curators only, ignored for others).
    pub reporter: Option<Vec<String>>,
    /// `relevance` (default) or `date`.
    pub sort: Option<String>,
    /// Hits per page, 1 to 100 (default 20).
    pub limit: Option<usize>,
    /// Hits to skip (default 0); offset + limit may be at most 10,000.
    pub offset: Option<usize>,
}

/// One search hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub form: String,
    pub story_type: String,
    pub language: String,
    pub status: String,
    /// The place (the town, outside the curation team).
    pub place: Option<String>,
    pub recorded_on: Option<NaiveDate>,
    pub themes: Vec<String>,
    pub tags: Vec<String>,
    pub score: f32,
    /// A fragment of the story with the matched words, plain text.
    pub snippet: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Facets {
    /// Every theme at every level with hits.
    pub themes: Vec<FacetCount>,
    pub forms: Vec<FacetCount>,
    pub languages: Vec<FacetCount>,
    pub story_types: Vec<FacetCount>,
    /// Towns.
    pub places: Vec<FacetCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchAnswer {
    /// How many stories match (all pages).
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentAnswer {
    /// internal, commissioners or public.
    pub scope: String,
    /// anonymous, first_name or full_name.
    pub identify_as: String,
    pub given_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CueAnswer {
    /// `hh:mm:ss.mmm`, if the transcript has times.
    pub start: Option<String>,
    /// The speaker ("Speaker 1" outside the curation team).
    pub speaker: Option<String>,
    pub text: String,
}

/// A story as the caller may see it: outside the curation team, through the consent function.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoryAnswer {
    pub id: String,
    pub title: String,
    pub form: String,
    pub story_type: String,
    pub language: String,
    pub status: String,
    pub place: Option<String>,
    pub recorded_on: Option<NaiveDate>,
    pub prompt: Option<String>,
    /// As the storyteller allowed (nothing for `anonymous`, outside the curation team).
    pub storyteller: Option<String>,
    /// The community reporter: the curation team and the reporter who submitted it only.
    pub reporter: Option<String>,
    pub themes: Vec<String>,
    pub tags: Vec<String>,
    /// Missing consent is `null`.
    pub consent: Option<ConsentAnswer>,
    /// The story's words: the text, the transcript as lines, or the photo's caption.
    pub text: String,
    /// Transcript cues (empty for other forms).
    pub cues: Vec<CueAnswer>,
    pub alt_text: Option<String>,
    /// The key message and key learning (curators).
    pub key_message: Option<String>,
    pub key_learning: Option<String>,
}

/// A new story: a manifest exactly as in `NAME.story.json` (see `stories-sample/README.md`),
/// and for a photo or transcript file named by its `file`, the file's bytes in base64.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewStory {
    /// The manifest: title, form, body or file, caption, alt_text, story_type, language,
    /// recorded_on, place, reporter, storyteller, prompt, consent, themes (suggested), tags.
    #[schema(value_type = Object)]
    pub manifest: serde_json::Value,
    /// The file's content, base64 (standard alphabet), when the manifest has `file`.
    pub file_base64: Option<String>,
}

/// A change to a story's details (curators). Absent fields stay as they are; an empty string
/// clears an optional field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetailsPatch {
    pub title: Option<String>,
    pub story_type: Option<String>,
    pub language: Option<String>,
    pub place: Option<String>,
    pub recorded_on: Option<String>,
    pub prompt: Option<String>,
    pub reporter: Option<String>,
    pub storyteller: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TagBody {
    pub tag: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ThemeBody {
    /// A theme path of the taxonomy, e.g. `health/mental-health`.
    pub theme: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThemeAnswer {
    pub path: String,
    pub label: String,
    pub description: String,
    /// Retired themes stay on their stories but are not offered for new ones.
    pub retired: bool,
    /// Stories with this theme itself (curators; `null` for others).
    pub stories: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteAnswer {
    pub id: String,
    pub story_id: String,
    /// The quoted words (with neutral speaker labels outside the curation team).
    pub text: String,
    /// `text` (byte offsets into the story's text) or `cues` (cue positions).
    pub kind: String,
    pub start: usize,
    pub end: usize,
    pub themes: Vec<String>,
}

/// A quote to mark: a `passage` copied exactly from the story, or a range of transcript cues.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuote {
    pub passage: Option<String>,
    /// Which appearance of `passage` is meant (1 for the first); needed when it appears more
    /// than once in the story.
    pub occurrence: Option<usize>,
    pub first_cue: Option<usize>,
    pub last_cue: Option<usize>,
    /// Themes the quote speaks to.
    #[serde(default)]
    pub themes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PackSummaryAnswer {
    pub id: String,
    pub title: String,
    pub question: String,
    /// public, commissioner or curator.
    pub audience: String,
    pub findings: usize,
    /// The newest version the caller may read.
    pub latest_version: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackingAnswer {
    pub stories: usize,
    pub storytellers: usize,
    pub places: usize,
    pub languages: usize,
    pub forms: usize,
}

/// A piece of evidence: shown (with its story as the caller may see it) or unavailable (with
/// the reason only).
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceAnswer {
    /// `shown` or `unavailable`.
    pub state: String,
    /// `quote` or `story`.
    pub kind: String,
    pub story_id: Option<String>,
    pub quote_id: Option<String>,
    /// The quoted words.
    pub quote: Option<String>,
    pub story_title: Option<String>,
    pub storyteller: Option<String>,
    pub place: Option<String>,
    pub language: Option<String>,
    pub form: Option<String>,
    pub recorded_on: Option<NaiveDate>,
    /// For unavailable evidence: `withdrawn` or `no_longer_available` (precise for curators).
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingAnswer {
    pub id: String,
    /// barrier, enabler, insight or recommendation.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    pub statement: String,
    pub explanation: Option<String>,
    pub backing: BackingAnswer,
    /// Evidence the pack's audience cannot see (curators).
    pub lost: usize,
    pub evidence: Vec<EvidenceAnswer>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PackAnswer {
    pub id: String,
    /// The version shown; `null` is the working copy (curators).
    pub version: Option<u32>,
    pub title: String,
    pub question: String,
    pub audience: String,
    pub summary: Option<String>,
    pub backing: BackingAnswer,
    pub findings: Vec<FindingAnswer>,
    /// Versions the caller may read.
    pub versions: Vec<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParam {
    /// A published version (default: the working copy for curators, the latest for others).
    pub version: Option<u32>,
}

/// A new pack (curators).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPack {
    pub title: String,
    /// The service or question it addresses.
    pub question: String,
    /// public, commissioner or curator.
    pub audience: String,
    /// Markdown.
    pub summary: Option<String>,
}

/// A new finding.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFinding {
    /// barrier, enabler, insight or recommendation.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    pub statement: String,
    /// Markdown.
    pub explanation: Option<String>,
}

/// Evidence to add to a finding: a whole story, or one of its quotes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvidence {
    pub story_id: String,
    pub quote_id: Option<String>,
}

/// A published version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    pub version: u32,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// A published version (default: the latest).
    pub version: Option<u32>,
}
