//! Storybank's domain: the vocabulary of Community Reporting as types.
//!
//! A [`Story`] is one contribution to the archive (text, transcript or photo) with its
//! [`StoryDetails`], its [`Consent`] and its curation [`Status`]. Every field is a validated
//! newtype: a [`ThemePath`], a [`Tag`] or a [`Title`] exists only if it is valid, so code that
//! holds one need not check it again. This crate does no I/O.
//!
//! ```
//! use storybank_domain::{ThemePath, ConsentScope};
//! let theme = ThemePath::parse("health/mental-health")?;
//! assert!(ThemePath::parse("health")?.contains(&theme));
//! assert_eq!(ConsentScope::parse("public")?, ConsentScope::Public);
//! # Ok::<(), storybank_domain::DomainError>(())
//! ```

mod account;
mod audience;
mod audit;
mod consent;
mod curation;
mod disclosure;
mod erasure;
mod error;
mod language;
mod pack;
mod redaction;
mod story;
mod tag;
mod text;
mod theme;
mod transcript;
mod vocab;

pub use account::{MIN_PASSWORD_CHARS, Password, Role, Roles, User, UserId, UserName};
pub use audience::Audience;
pub use audit::{AuditAction, AuditEntry, AuditEvent};
pub use consent::{Consent, ConsentScope, IdentifyAs, effective_scope};
pub use curation::{CurationNotes, MAX_NOTE_CHARS, MAX_QUOTE_CHARS, Note, Quote, QuoteId, QuoteSpan};
pub use disclosure::{
    Disclosed, Reading, coarsen_place, disclose, disclosed_words, name_as_allowed, speaker_labels,
};
pub use erasure::{CitingVersion, ErasedFromPack, Erasure, PastExport};
pub use error::DomainError;
pub use language::{Language, SUPPORTED_LANGUAGES};
pub use pack::{
    Backing, Evidence, EvidenceStory, Finding, FindingId, FindingKind, MAX_EVIDENCE, MAX_FINDINGS,
    MAX_MARKDOWN_CHARS, Markdown, Move, Pack, PackId, ResolvedEvidence, ResolvedFinding, ResolvedPack,
    Source, Unavailable, resolve,
};
pub use redaction::{
    Applied, Pseudonyms, Redacted, RedactionKind, Suggestion, Unit, find_phrase, redact, suggest, units,
};
pub use story::{ContentHash, EncodedImage, MediaRef, Story, StoryContent, StoryDetails, StoryId};
pub use tag::{MAX_TAG_CHARS, MAX_TAGS_PER_STORY, Tag, normalise_tags};
pub use text::{AltText, Place, Prompt, Reporter, Speaker, Storyteller, Title};
pub use theme::{MAX_THEME_DEPTH, Theme, ThemePath};
pub use transcript::{Cue, Timestamp, transcript_text};
pub use vocab::{Form, Status, StoryType};
