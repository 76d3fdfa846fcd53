//! Insight packs: the findings of curation, each traced to the quotes and stories behind it.
//!
//! A [`Pack`] is a document a curator edits a piece at a time: every edit is a method here that
//! keeps it valid (no finding without a statement, no evidence twice in one finding, bounded
//! sizes). [`resolve`] turns a pack into what one audience may read: each piece of evidence is
//! either shown through the consent function ([`crate::disclose`]) or replaced by the reason it is
//! unavailable, so a page or an export built from a [`ResolvedPack`] cannot show more than its
//! audience may see.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::disclosure::{Disclosed, disclose, disclosed_words};
use crate::vocab::vocabulary;
use crate::{
    Audience, ConsentScope, DomainError, Form, Language, MediaRef, Quote, QuoteId, Status, Story,
    StoryContent, StoryId, StoryType, ThemePath, Title,
};

/// The most findings a pack may have.
pub const MAX_FINDINGS: usize = 100;
/// The most pieces of evidence one finding may have.
pub const MAX_EVIDENCE: usize = 200;
/// The longest Markdown text (a summary or an explanation), in characters.
pub const MAX_MARKDOWN_CHARS: usize = 20_000;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id (a UUIDv7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Reads an id.
            pub fn parse(raw: &str) -> Result<Self, DomainError> {
                Uuid::parse_str(raw.trim())
                    .map(Self)
                    .map_err(|_| DomainError::Id { what: $what, value: raw.to_owned() })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A pack's id.
    PackId, "pack"
);
uuid_id!(
    /// A finding's id, unique within its pack.
    FindingId, "finding"
);

vocabulary!(
    /// What a finding says about a service.
    FindingKind, "finding type", {
        /// Something that keeps people from a service or from being well.
        Barrier => "barrier",
        /// Something that helps.
        Enabler => "enabler",
        /// An understanding drawn from the stories.
        Insight => "insight",
        /// What the service should do.
        Recommendation => "recommendation",
    }
);

/// Markdown written by a curator (a pack summary, a finding's explanation). Never blank; at most
/// [`MAX_MARKDOWN_CHARS`]. Rendered through the sanitising Markdown renderer wherever it is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Markdown(String);

impl Markdown {
    /// Reads what was typed; `None` when blank.
    pub fn parse(field: &'static str, raw: &str) -> Result<Option<Self>, DomainError> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > MAX_MARKDOWN_CHARS {
            return Err(DomainError::TooLong { field, max: MAX_MARKDOWN_CHARS });
        }
        Ok(Some(Self(text.replace("\r\n", "\n"))))
    }

    /// The Markdown source.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Markdown {
    type Error = DomainError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse("markdown", &raw)?.ok_or(DomainError::Field { field: "markdown", problem: "is empty" })
    }
}

impl From<Markdown> for String {
    fn from(text: Markdown) -> Self {
        text.0
    }
}

/// One piece of evidence behind a finding: a quote (with its story), or a whole story.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// A quote marked on a story.
    Quote {
        /// The story it is from.
        story: StoryId,
        /// The quote.
        quote: QuoteId,
    },
    /// A whole story.
    Story {
        /// The story.
        story: StoryId,
    },
}

impl Evidence {
    /// The story this evidence rests on.
    pub fn story(&self) -> StoryId {
        match *self {
            Evidence::Quote { story, .. } | Evidence::Story { story } => story,
        }
    }
}

/// One finding of a pack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Its id within the pack.
    pub id: FindingId,
    /// Barrier, enabler, insight or recommendation.
    pub kind: FindingKind,
    /// The finding in a sentence.
    pub statement: Title,
    /// Why, in Markdown.
    pub explanation: Option<Markdown>,
    /// The quotes and stories it rests on, in the curator's order.
    pub evidence: Vec<Evidence>,
}

/// Which way to move a finding or a piece of evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// One place earlier.
    Up,
    /// One place later.
    Down,
}

impl Move {
    /// Reads `up` or `down`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.trim() {
            "up" => Ok(Move::Up),
            "down" => Ok(Move::Down),
            other => Err(DomainError::Unknown {
                field: "direction",
                value: other.to_owned(),
                allowed: &["up", "down"],
            }),
        }
    }
}

/// An insight pack: what the curation of a set of stories found, for one audience.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    /// Its title.
    pub title: Title,
    /// The service or question it addresses.
    pub question: Title,
    /// Who it is for; evidence this audience may not see is never shown in it.
    pub audience: Audience,
    /// The summary, in Markdown.
    pub summary: Option<Markdown>,
    /// The findings, in order.
    pub findings: Vec<Finding>,
}

const NO_FINDING: DomainError =
    DomainError::Pack("there is no such finding in this pack: reload the pack and try again");
const NO_EVIDENCE: DomainError =
    DomainError::Pack("that evidence is not part of this finding: reload the pack and try again");

impl Pack {
    /// A new, empty pack.
    pub fn new(title: Title, question: Title, audience: Audience) -> Self {
        Self { title, question, audience, summary: None, findings: Vec::new() }
    }

    /// The finding with this id.
    pub fn finding(&self, id: FindingId) -> Option<&Finding> {
        self.findings.iter().find(|finding| finding.id == id)
    }

    fn position(&self, id: FindingId) -> Result<usize, DomainError> {
        self.findings.iter().position(|finding| finding.id == id).ok_or(NO_FINDING)
    }

    /// Adds a finding at the end and returns its id.
    pub fn add_finding(
        &mut self,
        kind: FindingKind,
        statement: Title,
        explanation: Option<Markdown>,
    ) -> Result<FindingId, DomainError> {
        if self.findings.len() >= MAX_FINDINGS {
            return Err(DomainError::Pack("a pack may have at most 100 findings: split it into two packs"));
        }
        let id = FindingId::new();
        self.findings.push(Finding { id, kind, statement, explanation, evidence: Vec::new() });
        Ok(id)
    }

    /// Changes a finding's type, statement and explanation.
    pub fn update_finding(
        &mut self,
        id: FindingId,
        kind: FindingKind,
        statement: Title,
        explanation: Option<Markdown>,
    ) -> Result<(), DomainError> {
        let at = self.position(id)?;
        let finding = &mut self.findings[at];
        finding.kind = kind;
        finding.statement = statement;
        finding.explanation = explanation;
        Ok(())
    }

    /// Removes a finding and its evidence list (the quotes and stories themselves are untouched).
    pub fn remove_finding(&mut self, id: FindingId) -> Result<(), DomainError> {
        let at = self.position(id)?;
        self.findings.remove(at);
        Ok(())
    }

    /// Moves a finding one place; at either end, it stays.
    pub fn move_finding(&mut self, id: FindingId, direction: Move) -> Result<(), DomainError> {
        let at = self.position(id)?;
        move_within(&mut self.findings, at, direction);
        Ok(())
    }

    /// Adds evidence at the end of a finding; the same evidence twice in one finding is refused.
    pub fn add_evidence(&mut self, id: FindingId, evidence: Evidence) -> Result<(), DomainError> {
        let at = self.position(id)?;
        let finding = &mut self.findings[at];
        if finding.evidence.contains(&evidence) {
            return Err(DomainError::Pack("this finding already has that evidence"));
        }
        if finding.evidence.len() >= MAX_EVIDENCE {
            return Err(DomainError::Pack("a finding may rest on at most 200 pieces of evidence"));
        }
        finding.evidence.push(evidence);
        Ok(())
    }

    /// Removes a piece of evidence from a finding.
    pub fn remove_evidence(&mut self, id: FindingId, evidence: &Evidence) -> Result<(), DomainError> {
        let at = self.position(id)?;
        let list = &mut self.findings[at].evidence;
        let index = list.iter().position(|item| item == evidence).ok_or(NO_EVIDENCE)?;
        list.remove(index);
        Ok(())
    }

    /// Moves a piece of evidence one place within its finding.
    pub fn move_evidence(
        &mut self,
        id: FindingId,
        evidence: &Evidence,
        direction: Move,
    ) -> Result<(), DomainError> {
        let at = self.position(id)?;
        let list = &mut self.findings[at].evidence;
        let index = list.iter().position(|item| item == evidence).ok_or(NO_EVIDENCE)?;
        move_within(list, index, direction);
        Ok(())
    }

    /// Every piece of evidence of the pack, finding by finding.
    pub fn evidence(&self) -> impl Iterator<Item = &Evidence> {
        self.findings.iter().flat_map(|finding| finding.evidence.iter())
    }

    /// The stories the pack rests on, each once.
    pub fn story_ids(&self) -> BTreeSet<StoryId> {
        self.evidence().map(Evidence::story).collect()
    }
}

fn move_within<T>(list: &mut [T], at: usize, direction: Move) {
    match direction {
        Move::Up if at > 0 => list.swap(at, at - 1),
        Move::Down if at + 1 < list.len() => list.swap(at, at + 1),
        _ => {}
    }
}

/// Why a piece of evidence is not shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unavailable {
    /// The storyteller withdrew the story (or it was erased).
    Withdrawn,
    /// The quote was removed from its story.
    QuoteRemoved,
    /// The story is not published.
    NotPublished,
    /// Nobody has recorded the storyteller's consent.
    ConsentMissing,
    /// The storyteller's consent has expired.
    ConsentExpired,
    /// The storyteller's consent does not reach this audience.
    ConsentNarrower,
}

impl Unavailable {
    /// What the pack's readers are told in place of the evidence: nothing about the story.
    pub fn for_readers(self) -> &'static str {
        match self {
            Unavailable::Withdrawn => "Withdrawn by the storyteller.",
            _ => "No longer available.",
        }
    }

    /// The precise reason, for the curation team: `withdrawn`, `quote_removed`, `not_published`,
    /// `consent_missing`, `consent_expired` or `consent_narrower`.
    pub fn code(self) -> &'static str {
        match self {
            Unavailable::Withdrawn => "withdrawn",
            Unavailable::QuoteRemoved => "quote_removed",
            Unavailable::NotPublished => "not_published",
            Unavailable::ConsentMissing => "consent_missing",
            Unavailable::ConsentExpired => "consent_expired",
            Unavailable::ConsentNarrower => "consent_narrower",
        }
    }

    /// The reason as readers outside the curation team may know it: `withdrawn`, or
    /// `no_longer_available` for every other reason (consent details are not theirs to know).
    pub fn reader_code(self) -> &'static str {
        match self {
            Unavailable::Withdrawn => "withdrawn",
            _ => "no_longer_available",
        }
    }

    /// What curators are told, so they can mend the finding.
    pub fn for_curators(self) -> &'static str {
        match self {
            Unavailable::Withdrawn => "the story was withdrawn by the storyteller",
            Unavailable::QuoteRemoved => "the quote was removed from its story",
            Unavailable::NotPublished => "the story is not published",
            Unavailable::ConsentMissing => "the story has no consent record",
            Unavailable::ConsentExpired => "the storyteller's consent has expired",
            Unavailable::ConsentNarrower => "the storyteller's consent does not reach this pack's audience",
        }
    }

    /// Why `audience` may not see `story` on `today`, or `None` if it may.
    pub fn of(story: &Story, audience: Audience, today: NaiveDate) -> Option<Self> {
        if audience.may_see(story, today) {
            return None;
        }
        Some(if story.status == Status::Withdrawn {
            Unavailable::Withdrawn
        } else if story.status != Status::Published {
            Unavailable::NotPublished
        } else {
            match &story.details.consent {
                None => Unavailable::ConsentMissing,
                Some(consent) if !consent.is_in_force_on(today) => Unavailable::ConsentExpired,
                Some(_) => Unavailable::ConsentNarrower,
            }
        })
    }
}

/// A story behind a piece of evidence, as the reader's audience may see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvidenceStory {
    /// Its id.
    pub id: StoryId,
    /// Its title.
    pub title: Title,
    /// Text, transcript or image.
    pub form: Form,
    /// How it was gathered.
    pub story_type: StoryType,
    /// Its language.
    pub language: Language,
    /// When it was recorded.
    pub recorded_on: Option<NaiveDate>,
    /// Its themes.
    pub themes: Vec<ThemePath>,
    /// Storyteller, place and reporter as this audience may see them.
    #[serde(flatten)]
    pub disclosed: Disclosed,
    /// The consent scope in force (never wider than the storyteller allowed).
    pub consent_scope: ConsentScope,
    /// The story's own words: its text, transcript text, or caption.
    pub text: String,
    /// The photo, for a photo story.
    #[serde(skip)]
    pub image: Option<MediaRef>,
    /// The photo's description.
    pub alt_text: Option<String>,
}

/// One piece of evidence as an audience may read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ResolvedEvidence {
    /// Shown: the story, and the quoted words for a quote.
    Shown {
        /// What the evidence is.
        evidence: Evidence,
        /// The story.
        story: Box<EvidenceStory>,
        /// The quoted words (for a quote).
        quote: Option<String>,
        /// When a curator reads the pack: why the pack's audience will not see this (the
        /// finding has lost it for them).
        lost_for_audience: Option<Unavailable>,
    },
    /// Not shown, and why. Nothing about the story is kept.
    Unavailable {
        /// What the evidence was.
        evidence: Evidence,
        /// Why it is not shown.
        reason: Unavailable,
    },
}

/// How many distinct stories, storytellers, places, languages and forms stand behind a finding
/// (counting only evidence that is shown).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Backing {
    /// Stories.
    pub stories: usize,
    /// Storytellers (each anonymous story counts as its own storyteller).
    pub storytellers: usize,
    /// Places.
    pub places: usize,
    /// Languages.
    pub languages: usize,
    /// Forms.
    pub forms: usize,
}

/// A finding as an audience may read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResolvedFinding {
    /// Its id.
    pub id: FindingId,
    /// Its type.
    pub kind: FindingKind,
    /// Its statement.
    pub statement: Title,
    /// Its explanation.
    pub explanation: Option<Markdown>,
    /// Its evidence, in order.
    pub evidence: Vec<ResolvedEvidence>,
    /// What stands behind it.
    pub backing: Backing,
    /// How many pieces of its evidence the pack's audience cannot see.
    pub lost: usize,
}

/// A pack as one audience may read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResolvedPack {
    /// Its title.
    pub title: Title,
    /// The question it addresses.
    pub question: Title,
    /// Who it is for.
    pub audience: Audience,
    /// Its summary.
    pub summary: Option<Markdown>,
    /// Its findings.
    pub findings: Vec<ResolvedFinding>,
    /// What stands behind the whole pack.
    pub backing: Backing,
}

/// A story with its quotes, as [`resolve`] looks them up.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// The story.
    pub story: &'a Story,
    /// Its quotes.
    pub quotes: &'a [Quote],
}

/// Resolves `pack` for a reader of `audience` on `today`, looking stories up with `source`
/// (`None` for a story that is no longer in the archive). Evidence the reader may not see is
/// replaced by its reason; when a curator reads it, evidence the pack's own audience may not see
/// is shown but marked as lost.
pub fn resolve<'a>(
    pack: &Pack,
    reader: Audience,
    today: NaiveDate,
    source: impl Fn(StoryId) -> Option<Source<'a>>,
) -> ResolvedPack {
    let mut all_shown = Vec::new();
    let findings = pack
        .findings
        .iter()
        .map(|finding| {
            let evidence: Vec<ResolvedEvidence> = finding
                .evidence
                .iter()
                .map(|item| resolve_one(*item, pack.audience, reader, today, &source))
                .collect();
            let shown: Vec<&EvidenceStory> = shown_stories(&evidence).collect();
            let lost = evidence
                .iter()
                .filter(|item| {
                    matches!(
                        item,
                        ResolvedEvidence::Unavailable { .. }
                            | ResolvedEvidence::Shown { lost_for_audience: Some(_), .. }
                    )
                })
                .count();
            let backing = backing(shown.iter().copied());
            all_shown.extend(shown.into_iter().cloned());
            ResolvedFinding {
                id: finding.id,
                kind: finding.kind,
                statement: finding.statement.clone(),
                explanation: finding.explanation.clone(),
                evidence,
                backing,
                lost,
            }
        })
        .collect();
    ResolvedPack {
        title: pack.title.clone(),
        question: pack.question.clone(),
        audience: pack.audience,
        summary: pack.summary.clone(),
        findings,
        backing: backing(all_shown.iter()),
    }
}

fn shown_stories(evidence: &[ResolvedEvidence]) -> impl Iterator<Item = &EvidenceStory> {
    evidence.iter().filter_map(|item| match item {
        ResolvedEvidence::Shown { story, .. } => Some(story.as_ref()),
        ResolvedEvidence::Unavailable { .. } => None,
    })
}

fn resolve_one<'a>(
    evidence: Evidence,
    pack_audience: Audience,
    reader: Audience,
    today: NaiveDate,
    source: &impl Fn(StoryId) -> Option<Source<'a>>,
) -> ResolvedEvidence {
    let unavailable = |reason| ResolvedEvidence::Unavailable { evidence, reason };
    let Some(Source { story, quotes }) = source(evidence.story()) else {
        return unavailable(Unavailable::Withdrawn);
    };
    // The reader sees no more than the pack's audience unless the reader is the curation team.
    let audience = if reader == Audience::Curator { Audience::Curator } else { reader.min(pack_audience) };
    let Some(disclosed) = disclose(story, audience, today) else {
        return unavailable(Unavailable::of(story, audience, today).unwrap_or(Unavailable::NotPublished));
    };
    let quote = match evidence {
        Evidence::Quote { quote, .. } => match quotes.iter().find(|q| q.id == quote) {
            Some(found) => Some(disclosed_words(story, audience, &found.text)),
            None => return unavailable(Unavailable::QuoteRemoved),
        },
        Evidence::Story { .. } => None,
    };
    let (image, alt_text) = match &story.content {
        StoryContent::Image { display, alt_text, .. } => {
            (Some(display.clone()), alt_text.as_ref().map(ToString::to_string))
        }
        _ => (None, None),
    };
    let text = match &story.content {
        StoryContent::Image { caption, .. } => caption.clone(),
        other => disclosed_words(story, audience, &other.full_text()),
    };
    ResolvedEvidence::Shown {
        evidence,
        story: Box::new(EvidenceStory {
            id: story.id,
            title: story.details.title.clone(),
            form: story.form(),
            story_type: story.details.story_type,
            language: story.details.language.clone(),
            recorded_on: story.details.recorded_on,
            themes: story.details.themes.clone(),
            disclosed,
            consent_scope: story.effective_scope(today),
            text,
            image,
            alt_text,
        }),
        quote,
        lost_for_audience: if reader == Audience::Curator {
            Unavailable::of(story, pack_audience, today)
        } else {
            None
        },
    }
}

fn backing<'s>(stories: impl Iterator<Item = &'s EvidenceStory>) -> Backing {
    let mut ids = BTreeSet::new();
    let mut storytellers = BTreeSet::new();
    let mut places = BTreeSet::new();
    let mut languages = BTreeSet::new();
    let mut forms = BTreeSet::new();
    for story in stories {
        if !ids.insert(story.id) {
            continue;
        }
        storytellers.insert(story.disclosed.storyteller.clone().unwrap_or_else(|| story.id.to_string()));
        if let Some(place) = &story.disclosed.place {
            places.insert(place.clone());
        }
        languages.insert(story.language.clone());
        forms.insert(story.form);
    }
    Backing {
        stories: ids.len(),
        storytellers: storytellers.len(),
        places: places.len(),
        languages: languages.len(),
        forms: forms.len(),
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use chrono::{NaiveDate, Utc};

    use crate::{
        Consent, ConsentScope, ContentHash, IdentifyAs, Language, Place, Reporter, Status, Story,
        StoryContent, StoryDetails, StoryId, StoryType, Storyteller, Title,
    };

    fn day(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    fn title(raw: &str) -> Title {
        Title::parse(raw).unwrap()
    }

    /// A published text story whose consent reaches commissioners (first name).
    pub(crate) fn story() -> Story {
        story_with(Status::Published, Some((ConsentScope::Commissioners, IdentifyAs::FirstName, None)))
    }

    pub(crate) fn story_with(
        status: Status,
        consent: Option<(ConsentScope, IdentifyAs, Option<&str>)>,
    ) -> Story {
        Story {
            id: StoryId::new(),
            details: StoryDetails {
                title: title("Waiting for the bus"),
                story_type: StoryType::Snapshot,
                language: Language::parse("en").unwrap(),
                prompt: None,
                place: Some(Place::parse("Harehills, Leeds").unwrap()),
                recorded_on: Some(day("2024-03-01")),
                reporter: Some(Reporter::parse("rita").unwrap()),
                storyteller: Some(Storyteller::parse("Eileen Marsden").unwrap()),
                consent: consent.map(|(scope, identify_as, expires)| {
                    Consent::new(scope, identify_as, day("2024-03-01"), expires.map(day)).unwrap()
                }),
                themes: Vec::new(),
                tags: Vec::new(),
            },
            content: StoryContent::Text { body: "The bus never came.".into() },
            status,
            provenance: None,
            content_hash: ContentHash::from_hex(&"a".repeat(64)).unwrap(),
            ingest_warnings: Vec::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::Utc;

    use super::*;
    use crate::IdentifyAs;

    fn day(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    fn title(raw: &str) -> Title {
        Title::parse(raw).unwrap()
    }

    fn story(status: Status, consent: Option<(ConsentScope, IdentifyAs, Option<&str>)>) -> Story {
        tests_support::story_with(status, consent)
    }

    fn pack_with_one_finding() -> (Pack, FindingId) {
        let mut pack =
            Pack::new(title("Transport"), title("How do people reach the clinic?"), Audience::Commissioner);
        let finding = pack.add_finding(FindingKind::Barrier, title("Buses do not run"), None).unwrap();
        (pack, finding)
    }

    #[test]
    fn edits_keep_the_pack_valid() {
        let (mut pack, first) = pack_with_one_finding();
        let second = pack.add_finding(FindingKind::Enabler, title("Neighbours give lifts"), None).unwrap();
        let story = Evidence::Story { story: StoryId::new() };
        let other = Evidence::Story { story: StoryId::new() };
        pack.add_evidence(first, story).unwrap();
        pack.add_evidence(first, other).unwrap();
        assert_eq!(
            pack.add_evidence(first, story),
            Err(DomainError::Pack("this finding already has that evidence"))
        );
        // The same evidence may back another finding.
        pack.add_evidence(second, story).unwrap();

        pack.move_evidence(first, &other, Move::Up).unwrap();
        assert_eq!(pack.finding(first).unwrap().evidence, vec![other, story]);
        pack.move_evidence(first, &other, Move::Up).unwrap(); // already first: stays
        assert_eq!(pack.finding(first).unwrap().evidence, vec![other, story]);

        pack.move_finding(second, Move::Up).unwrap();
        assert_eq!(pack.findings.iter().map(|f| f.id).collect::<Vec<_>>(), vec![second, first]);
        pack.move_finding(second, Move::Down).unwrap();
        pack.move_finding(second, Move::Down).unwrap(); // already last: stays
        assert_eq!(pack.findings.iter().map(|f| f.id).collect::<Vec<_>>(), vec![first, second]);

        pack.remove_evidence(first, &story).unwrap();
        assert_eq!(pack.remove_evidence(first, &story), Err(NO_EVIDENCE));
        pack.remove_finding(second).unwrap();
        assert_eq!(pack.add_evidence(second, story), Err(NO_FINDING));
        assert_eq!(pack.story_ids().len(), 1);
    }

    #[test]
    fn finding_and_evidence_counts_are_bounded() {
        let (mut pack, first) = pack_with_one_finding();
        for _ in 0..MAX_EVIDENCE {
            pack.add_evidence(first, Evidence::Story { story: StoryId::new() }).unwrap();
        }
        assert!(pack.add_evidence(first, Evidence::Story { story: StoryId::new() }).is_err());
        for _ in 1..MAX_FINDINGS {
            pack.add_finding(FindingKind::Insight, title("More"), None).unwrap();
        }
        assert!(pack.add_finding(FindingKind::Insight, title("Too many"), None).is_err());
    }

    #[test]
    fn blank_markdown_is_none_and_long_markdown_is_refused() {
        assert_eq!(Markdown::parse("summary", " \n "), Ok(None));
        assert_eq!(Markdown::parse("summary", "a\r\nb").unwrap().unwrap().as_str(), "a\nb");
        assert!(Markdown::parse("summary", &"x".repeat(MAX_MARKDOWN_CHARS + 1)).is_err());
    }

    /// What a commissioner reads of one piece of evidence, for every status and consent.
    #[test]
    fn evidence_is_shown_only_as_consent_allows() {
        use ConsentScope::*;
        use IdentifyAs::*;
        let today = day("2025-01-01");
        type Case = (
            Status,
            Option<(ConsentScope, IdentifyAs, Option<&'static str>)>,
            Result<Option<&'static str>, Unavailable>,
        );
        let cases: &[Case] = &[
            (Status::Published, Some((Commissioners, FullName, None)), Ok(Some("Eileen Marsden"))),
            (Status::Published, Some((Public, FirstName, None)), Ok(Some("Eileen"))),
            (Status::Published, Some((Commissioners, Anonymous, None)), Ok(None)),
            (Status::Published, Some((Internal, FullName, None)), Err(Unavailable::ConsentNarrower)),
            (
                Status::Published,
                Some((Public, FullName, Some("2024-12-31"))),
                Err(Unavailable::ConsentExpired),
            ),
            (Status::Published, None, Err(Unavailable::ConsentMissing)),
            (Status::Reviewed, Some((Public, FullName, None)), Err(Unavailable::NotPublished)),
            (Status::Withdrawn, Some((Public, FullName, None)), Err(Unavailable::Withdrawn)),
        ];
        for (status, consent, expected) in cases {
            let story = story(*status, *consent);
            let (mut pack, finding) = pack_with_one_finding();
            pack.add_evidence(finding, Evidence::Story { story: story.id }).unwrap();
            let resolved = resolve(&pack, Audience::Commissioner, today, |id| {
                (id == story.id).then_some(Source { story: &story, quotes: &[] })
            });
            let got = match &resolved.findings[0].evidence[0] {
                ResolvedEvidence::Shown { story, lost_for_audience, .. } => {
                    assert_eq!(*lost_for_audience, None);
                    assert_eq!(story.disclosed.reporter, None, "reporters are never shown to commissioners");
                    assert_eq!(story.disclosed.place.as_deref(), Some("Leeds"), "places are coarsened");
                    Ok(story.disclosed.storyteller.as_deref())
                }
                ResolvedEvidence::Unavailable { reason, .. } => Err(*reason),
            };
            assert_eq!(got, *expected, "{status} / {consent:?}");
            assert_eq!(resolved.findings[0].lost, usize::from(expected.is_err()));
        }
    }

    #[test]
    fn curators_see_lost_evidence_marked_and_removed_quotes_and_erased_stories_are_unavailable() {
        let today = day("2025-01-01");
        let shown =
            story(Status::Published, Some((ConsentScope::Commissioners, IdentifyAs::FirstName, None)));
        let internal = story(Status::Published, Some((ConsentScope::Internal, IdentifyAs::FirstName, None)));
        let quote = Quote {
            id: QuoteId::new(),
            story_id: shown.id,
            span: crate::QuoteSpan::Text { start: 4, end: 7 },
            text: "bus".into(),
            themes: Vec::new(),
            created_by: None,
            created_at: Utc::now(),
        };
        let quotes = vec![quote.clone()];
        let (mut pack, finding) = pack_with_one_finding();
        for evidence in [
            Evidence::Quote { story: shown.id, quote: quote.id },
            Evidence::Quote { story: shown.id, quote: QuoteId::new() },
            Evidence::Story { story: internal.id },
            Evidence::Story { story: StoryId::new() },
        ] {
            pack.add_evidence(finding, evidence).unwrap();
        }
        let stories: HashMap<StoryId, Source<'_>> = [
            (shown.id, Source { story: &shown, quotes: &quotes }),
            (internal.id, Source { story: &internal, quotes: &[] }),
        ]
        .into();
        let resolved = resolve(&pack, Audience::Curator, today, |id| stories.get(&id).copied());
        let states: Vec<_> = resolved.findings[0]
            .evidence
            .iter()
            .map(|item| match item {
                ResolvedEvidence::Shown { quote, lost_for_audience, story, .. } => {
                    assert_eq!(
                        story.disclosed.reporter.as_deref(),
                        Some("rita"),
                        "curators see the reporter"
                    );
                    Ok((quote.clone(), *lost_for_audience))
                }
                ResolvedEvidence::Unavailable { reason, .. } => Err(*reason),
            })
            .collect();
        assert_eq!(
            states,
            vec![
                Ok((Some("bus".to_owned()), None)),
                Err(Unavailable::QuoteRemoved),
                Ok((None, Some(Unavailable::ConsentNarrower))),
                Err(Unavailable::Withdrawn),
            ]
        );
        assert_eq!(resolved.findings[0].lost, 3);
        assert_eq!(resolved.findings[0].backing.stories, 2);
        assert_eq!(resolved.backing.stories, 2);
    }
}
