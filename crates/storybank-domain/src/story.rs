//! The story: one contribution to the archive.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::consent::{Consent, ConsentScope, effective_scope};
use crate::text::{AltText, Place, Prompt, Reporter, Storyteller, Title};
use crate::transcript::{Cue, transcript_text};
use crate::vocab::{Form, Status, StoryType};
use crate::{DomainError, Language, Tag, ThemePath};

/// A story's identity: a UUID (version 7, so ids sort by creation time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoryId(Uuid);

impl StoryId {
    /// A fresh id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Reads an id in its usual hyphenated form.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Uuid::parse_str(raw.trim()).map(Self).map_err(|_| DomainError::StoryId(raw.to_owned()))
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// The id whose UUID has these high and low 64 bits (the inverse of
    /// `as_uuid().as_u64_pair()`, which is how the search index keeps ids as numbers).
    pub fn from_u64_pair(high: u64, low: u64) -> Self {
        Self(Uuid::from_u64_pair(high, low))
    }
}

impl Default for StoryId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for StoryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl std::str::FromStr for StoryId {
    type Err = DomainError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

/// A content hash (BLAKE3, lowercase hex) of what a story was made from; it recognises a story
/// that is already in the archive.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContentHash(String);

impl ContentHash {
    /// Wraps a 64-digit lowercase hex digest; refuses anything else.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let valid = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| Self(hex.to_owned()))
    }

    /// The digest as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ContentHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The descriptive details of a story: everything but its content and curation state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryDetails {
    /// What the story is called.
    pub title: Title,
    /// The technique it was gathered with.
    pub story_type: StoryType,
    /// The language it is told in.
    pub language: Language,
    /// The open question it answers, if any.
    pub prompt: Option<Prompt>,
    /// Where it was gathered or is about.
    pub place: Option<Place>,
    /// When it was recorded or written.
    pub recorded_on: Option<NaiveDate>,
    /// The community reporter who gathered it.
    pub reporter: Option<Reporter>,
    /// The storyteller's pseudonym or the name they agreed to.
    pub storyteller: Option<Storyteller>,
    /// What the storyteller allowed; `None` is "consent missing".
    pub consent: Option<Consent>,
    /// Themes of the taxonomy, sorted and unique.
    pub themes: Vec<ThemePath>,
    /// Free labels, sorted and unique.
    pub tags: Vec<Tag>,
}

/// An encoded image rendition, as ingestion makes it (bytes in memory).
#[derive(Clone, PartialEq, Eq)]
pub struct EncodedImage {
    /// The encoded file, metadata-free.
    pub bytes: Vec<u8>,
    /// Its media type, e.g. `image/jpeg`.
    pub mime: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl std::fmt::Debug for EncodedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedImage")
            .field("bytes", &self.bytes.len())
            .field("mime", &self.mime)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// A stored media file, addressed by the hash of its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// BLAKE3 of the file, which is also its name in the media folder.
    pub hash: ContentHash,
    /// Its media type, e.g. `image/jpeg`.
    pub mime: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size in bytes.
    pub byte_len: u64,
}

/// What a story is made of. `M` is how an image is held: [`EncodedImage`] before storing,
/// [`MediaRef`] after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum StoryContent<M> {
    /// Written text, kept as the Markdown (or plain text) it came in.
    Text {
        /// The story's text.
        body: String,
    },
    /// A transcript: its cues in order.
    Transcript {
        /// The cues.
        cues: Vec<Cue>,
    },
    /// A photo story.
    Image {
        /// The storyteller's own words: the story's text.
        caption: String,
        /// A description for people who cannot see the image; required before publication.
        alt_text: Option<AltText>,
        /// The display rendition (at most 1600 px on its longer side).
        display: M,
        /// The thumbnail (at most 320 px on its longer side).
        thumbnail: M,
    },
}

impl<M> StoryContent<M> {
    /// Which form this content is.
    pub fn form(&self) -> Form {
        match self {
            StoryContent::Text { .. } => Form::Text,
            StoryContent::Transcript { .. } => Form::Transcript,
            StoryContent::Image { .. } => Form::Image,
        }
    }

    /// All the words of the story that search and redaction look at: the body, the transcript
    /// text, or the caption and alt text.
    pub fn full_text(&self) -> String {
        match self {
            StoryContent::Text { body } => body.clone(),
            StoryContent::Transcript { cues } => transcript_text(cues),
            StoryContent::Image { caption, alt_text, .. } => match alt_text {
                Some(alt_text) => format!("{caption}\n{alt_text}"),
                None => caption.clone(),
            },
        }
    }

    /// Whether this is a photo story without alt text (which blocks publication).
    pub fn lacks_alt_text(&self) -> bool {
        matches!(self, StoryContent::Image { alt_text: None, .. })
    }
}

/// A story as the archive keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Story {
    /// Its identity.
    pub id: StoryId,
    /// Title, type, language, consent, themes, tags and the rest.
    pub details: StoryDetails,
    /// Text, transcript or image.
    pub content: StoryContent<MediaRef>,
    /// Where it is in curation.
    pub status: Status,
    /// The file (relative to the folder given to `ingest`) or upload it came from; metadata only.
    pub provenance: Option<String>,
    /// Identifies the material it was made from.
    pub content_hash: ContentHash,
    /// What ingestion noticed and a curator should look at, e.g. "alt text missing".
    pub ingest_warnings: Vec<String>,
    /// When it entered the archive.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Story {
    /// The story's form.
    pub fn form(&self) -> Form {
        self.content.form()
    }

    /// Whether nobody has recorded the storyteller's consent yet.
    pub fn consent_missing(&self) -> bool {
        self.details.consent.is_none()
    }

    /// Who may see the story on `today`, by its consent alone (status is not considered).
    pub fn effective_scope(&self, today: NaiveDate) -> ConsentScope {
        effective_scope(self.details.consent.as_ref(), today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn story_ids_round_trip_and_refuse_junk() {
        let id = StoryId::new();
        assert_eq!(StoryId::parse(&id.to_string()), Ok(id));
        assert!(StoryId::parse("../../etc/passwd").is_err());
    }

    #[test]
    fn content_hash_is_hex_only() {
        assert!(ContentHash::from_hex(&"a".repeat(64)).is_some());
        assert!(ContentHash::from_hex(&"A".repeat(64)).is_none());
        assert!(ContentHash::from_hex("abc").is_none());
        assert!(ContentHash::from_hex(&format!("../{}", "a".repeat(61))).is_none());
    }

    #[test]
    fn image_full_text_is_caption_and_alt_text() {
        let content: StoryContent<()> = StoryContent::Image {
            caption: "The bus never comes.".into(),
            alt_text: Some(AltText::parse("An empty bus stop").unwrap()),
            display: (),
            thumbnail: (),
        };
        assert_eq!(content.full_text(), "The bus never comes.\nAn empty bus stop");
        assert!(!content.lacks_alt_text());
    }
}
