//! What curators add to a story: quotes, and the story's key message and key learning.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Cue, DomainError, StoryId, ThemePath, UserId};

/// The longest curation note (key message or key learning).
pub const MAX_NOTE_CHARS: usize = 2000;
/// The longest quote.
pub const MAX_QUOTE_CHARS: usize = 5000;

/// A curator's note on a story: its key message or its key learning. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Note(String);

impl Note {
    /// A note from what was typed; `None` when it is blank (which clears the note).
    pub fn parse(raw: &str) -> Result<Option<Self>, DomainError> {
        let text = raw.trim();
        if text.is_empty() {
            Ok(None)
        } else if text.chars().count() > MAX_NOTE_CHARS {
            Err(DomainError::TooLong { field: "note", max: MAX_NOTE_CHARS })
        } else {
            Ok(Some(Self(text.replace("\r\n", "\n"))))
        }
    }

    /// The note's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Note {
    type Error = DomainError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)?.ok_or(DomainError::Field { field: "note", problem: "is empty" })
    }
}

impl From<Note> for String {
    fn from(note: Note) -> Self {
        note.0
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Community Reporting curation notes of a story.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurationNotes {
    /// What the story is saying, in a sentence.
    pub key_message: Option<Note>,
    /// What a service could learn from it.
    pub key_learning: Option<Note>,
}

/// A quote's id (a UUIDv7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QuoteId(Uuid);

impl QuoteId {
    /// A new id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Reads an id.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Uuid::parse_str(raw.trim()).map(Self).map_err(|_| DomainError::QuoteId(raw.to_owned()))
    }
}

impl Default for QuoteId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for QuoteId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a quote sits in its story.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuoteSpan {
    /// A passage of the story's text (body, or caption and alt text): byte offsets into
    /// [`crate::StoryContent::full_text`], `start..end`.
    Text { start: usize, end: usize },
    /// A range of transcript cues, by position (0-based), `first..=last`.
    Cues { first: usize, last: usize },
}

impl QuoteSpan {
    /// Finds `passage` in `text` (exactly, after trimming it; the first occurrence) and returns
    /// its span. What a curator pastes or selects becomes offsets that stay exact.
    pub fn find(text: &str, passage: &str) -> Result<Self, DomainError> {
        let passage = passage.trim();
        if passage.is_empty() {
            return Err(DomainError::Field {
                field: "passage",
                problem: "is empty: copy the words to quote from the story",
            });
        }
        if passage.chars().count() > MAX_QUOTE_CHARS {
            return Err(DomainError::TooLong { field: "passage", max: MAX_QUOTE_CHARS });
        }
        let start = text.find(passage).ok_or(DomainError::Field {
            field: "passage",
            problem: "is not in the story: copy it exactly as the story has it",
        })?;
        Ok(QuoteSpan::Text { start, end: start + passage.len() })
    }

    /// Finds the passage a curator selected: its `occurrence`th appearance in `text` (1 for the
    /// first) when the page said which, else its only one. A passage that appears more than once
    /// with no occurrence given is refused rather than guessed: the first appearance may not be
    /// the one selected, and a quote must keep the exact place it came from.
    pub fn locate(text: &str, passage: &str, occurrence: Option<usize>) -> Result<Self, DomainError> {
        let first = Self::find(text, passage)?;
        let passage = passage.trim();
        let mut starts = text.match_indices(passage).map(|(start, _)| start);
        let start = match occurrence {
            Some(nth) => {
                starts.nth(nth.saturating_sub(1)).filter(|_| nth >= 1).ok_or(DomainError::Field {
                    field: "passage",
                    problem: "is not in the story as often as the selection said: select it again",
                })?
            }
            None if starts.nth(1).is_some() => {
                return Err(DomainError::Field {
                    field: "passage",
                    problem: "appears more than once in the story: select or copy a few more words \
                              around it, so that it is found once",
                });
            }
            None => return Ok(first),
        };
        Ok(QuoteSpan::Text { start, end: start + passage.len() })
    }

    /// A cue range of a transcript with `cue_count` cues.
    pub fn cues(first: usize, last: usize, cue_count: usize) -> Result<Self, DomainError> {
        if first > last || last >= cue_count {
            return Err(DomainError::Field {
                field: "cues",
                problem: "are not a range of this transcript's cues: the first must come before the last",
            });
        }
        Ok(QuoteSpan::Cues { first, last })
    }

    /// The quoted words, taken from the story's text or cues; `None` if the span no longer fits.
    pub fn text_of(&self, full_text: &str, cues: &[Cue]) -> Option<String> {
        match *self {
            QuoteSpan::Text { start, end } => full_text.get(start..end).map(str::to_owned),
            QuoteSpan::Cues { first, last } => cues.get(first..=last).map(|cues| {
                cues.iter()
                    .map(|cue| match cue.speaker() {
                        Some(speaker) => format!("{speaker}: {}", cue.text()),
                        None => cue.text().to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
        }
    }
}

/// A quote marked by a curator: the exact words, where they are, and the themes they speak to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Its id.
    pub id: QuoteId,
    /// The story it is from.
    pub story_id: StoryId,
    /// Where in the story.
    pub span: QuoteSpan,
    /// The quoted words, as they were when marked.
    pub text: String,
    /// The themes it speaks to.
    pub themes: Vec<ThemePath>,
    /// Who marked it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passage_becomes_exact_offsets() {
        let text = "Hämeenlinna was cold. The bus never came. The bus never came!";
        for (passage, expected) in [
            ("The bus never came", Ok((23, 41))),
            ("  Hämeenlinna was cold. ", Ok((0, 22))),
            ("the bus", Err(())),
            ("", Err(())),
        ] {
            let found = QuoteSpan::find(text, passage);
            match expected {
                Ok((start, end)) => {
                    assert_eq!(found, Ok(QuoteSpan::Text { start, end }), "{passage:?}");
                    assert_eq!(found.unwrap().text_of(text, &[]).unwrap(), passage.trim());
                }
                Err(()) => assert!(found.is_err(), "{passage:?}"),
            }
        }
    }

    #[test]
    fn a_repeated_passage_is_located_by_its_occurrence_or_refused() {
        let text = "The bus never came. Then the bus came late. The bus never came!";
        // (passage, occurrence) -> its start, or refused
        for (passage, occurrence, expected) in [
            ("Then the bus", None, Some(20)),
            ("Then the bus", Some(1), Some(20)),
            ("The bus never came", None, None),
            ("The bus never came", Some(1), Some(0)),
            ("The bus never came", Some(2), Some(44)),
            ("The bus never came", Some(3), None),
            ("The bus never came", Some(0), None),
            (" The bus never came ", Some(2), Some(44)),
            ("bus", Some(2), Some(29)),
            ("the train", None, None),
            ("", Some(1), None),
        ] {
            let located = QuoteSpan::locate(text, passage, occurrence);
            match expected {
                Some(start) => {
                    let end = start + passage.trim().len();
                    assert_eq!(located, Ok(QuoteSpan::Text { start, end }), "{passage:?} {occurrence:?}");
                    assert_eq!(&text[start..end], passage.trim());
                }
                None => assert!(located.is_err(), "{passage:?} {occurrence:?}: {located:?}"),
            }
        }
    }

    #[test]
    fn cue_ranges_must_fit_the_transcript() {
        assert_eq!(QuoteSpan::cues(1, 2, 3), Ok(QuoteSpan::Cues { first: 1, last: 2 }));
        assert!(QuoteSpan::cues(2, 1, 3).is_err());
        assert!(QuoteSpan::cues(0, 3, 3).is_err());
    }

    #[test]
    fn blank_notes_clear() {
        assert_eq!(Note::parse("   "), Ok(None));
        assert_eq!(Note::parse(" Waiting is the harm. ").unwrap().unwrap().as_str(), "Waiting is the harm.");
        assert!(Note::parse(&"x".repeat(MAX_NOTE_CHARS + 1)).is_err());
    }
}
