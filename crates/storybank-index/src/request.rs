//! What a search asks for and what it answers.

use chrono::NaiveDate;
use serde::Serialize;
use storybank_domain::{Audience, Form, Language, Status, StoryId, StoryType, Tag, ThemePath};

/// How hits are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// By BM25 relevance (the default; browsing without words sorts by date).
    #[default]
    Relevance,
    /// Newest first, by the day the story was recorded (or stored).
    Date,
}

/// A search: words, filters, who is asking, and which page.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    /// Free text in the query language; empty browses everything the audience may see.
    pub query: String,
    /// Who is asking; decides what may be seen. Part of every query.
    pub audience: Audience,
    /// The day consent expiry is judged on.
    pub today: NaiveDate,
    /// Any of these themes (a theme matches its sub-themes).
    pub themes: Vec<ThemePath>,
    /// Any of these tags.
    pub tags: Vec<Tag>,
    /// Any of these forms.
    pub forms: Vec<Form>,
    /// Any of these story types.
    pub story_types: Vec<StoryType>,
    /// Any of these languages; also the languages the query is analysed for (all when empty).
    pub languages: Vec<Language>,
    /// The place, ignoring case and diacritics.
    pub place: Option<String>,
    /// Recorded on or after.
    pub from: Option<NaiveDate>,
    /// Recorded on or before.
    pub to: Option<NaiveDate>,
    /// Any of these statuses (only narrows what the audience may see).
    pub statuses: Vec<Status>,
    /// Any of these reporters (as written in the stories' details).
    pub reporters: Vec<String>,
    /// Stories flagged `consent-missing` or `alt-text-missing` only.
    pub flags: Vec<String>,
    /// Stories whose consent ends (its last day) within these days, inclusive: what curators
    /// look at before consent lapses, or after it has.
    pub consent_ends: Option<(NaiveDate, NaiveDate)>,
    /// The order of hits.
    pub sort: Sort,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return (at least 1).
    pub limit: usize,
    /// Whether to count themes, forms, languages and story types over all matches (a full pass
    /// over them; a page that shows no facets should not pay for it).
    pub facets: bool,
}

impl SearchRequest {
    /// A request for `query` by `audience`, with no filters, first page of 20.
    pub fn new(query: impl Into<String>, audience: Audience, today: NaiveDate) -> Self {
        Self {
            query: query.into(),
            audience,
            today,
            themes: Vec::new(),
            tags: Vec::new(),
            forms: Vec::new(),
            story_types: Vec::new(),
            languages: Vec::new(),
            place: None,
            from: None,
            to: None,
            statuses: Vec::new(),
            flags: Vec::new(),
            consent_ends: None,
            reporters: Vec::new(),
            sort: Sort::Relevance,
            offset: 0,
            limit: 20,
            facets: true,
        }
    }
}

/// One hit: the story's id and its score (0 when sorted by date).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    /// The story.
    pub id: StoryId,
    /// BM25 score.
    pub score: f32,
    /// Where the index found it, for snippets made from the same index state.
    #[serde(skip)]
    pub(crate) found: Option<Found>,
}

/// A hit's document in the searcher that found it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Found {
    /// The searcher's generation: a document address means nothing in another.
    pub generation: u64,
    pub address: tantivy::DocAddress,
}

/// A facet value and how many hits have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    /// `health/mental-health`, `text`, `fi`, `dialogue`.
    pub value: String,
    /// Hits with that value (for a theme: with it or a sub-theme).
    pub count: u64,
}

/// Facet counts for the current query and filters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Every theme at every level that has hits, in path order.
    pub themes: Vec<FacetCount>,
    /// Forms.
    pub forms: Vec<FacetCount>,
    /// Languages.
    pub languages: Vec<FacetCount>,
    /// Story types.
    pub story_types: Vec<FacetCount>,
    /// Places, coarsened to the town as outside the curation team.
    pub places: Vec<FacetCount>,
}

/// The answer to a search.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SearchResults {
    /// How many stories match (all pages).
    pub total: usize,
    /// This page.
    pub hits: Vec<Hit>,
    /// Counts over all matches.
    pub facets: Facets,
}

/// A fragment of a story's text with the matched words marked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The fragment, plain text.
    pub text: String,
    /// Byte ranges of `text` that matched.
    pub highlights: Vec<(usize, usize)>,
    /// The fragment as HTML, escaped, with matches in `<b>`.
    pub html: String,
}
