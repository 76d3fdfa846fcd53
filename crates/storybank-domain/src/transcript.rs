//! Transcripts of recorded stories: timed cues with speakers.

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::text::Speaker;

/// A point in a recording, in milliseconds from its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// A timestamp `millis` milliseconds into the recording.
    pub fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// Milliseconds from the start.
    pub fn as_millis(self) -> u64 {
        self.0
    }
}

impl std::fmt::Display for Timestamp {
    /// `hh:mm:ss.mmm`, as WebVTT writes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let millis = self.0 % 1000;
        let seconds = (self.0 / 1000) % 60;
        let minutes = (self.0 / 60_000) % 60;
        let hours = self.0 / 3_600_000;
        write!(f, "{hours:02}:{minutes:02}:{seconds:02}.{millis:03}")
    }
}

/// One cue of a transcript: what was said, by whom, and when (plain transcripts have no times).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cue {
    start: Option<Timestamp>,
    end: Option<Timestamp>,
    speaker: Option<Speaker>,
    text: String,
}

impl Cue {
    /// A cue; refuses an end before the start.
    pub fn new(
        start: Option<Timestamp>,
        end: Option<Timestamp>,
        speaker: Option<Speaker>,
        text: String,
    ) -> Result<Self, DomainError> {
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            return Err(DomainError::CueTimes { start, end });
        }
        Ok(Self { start, end, speaker, text })
    }

    /// When the cue starts, if the transcript is timed.
    pub fn start(&self) -> Option<Timestamp> {
        self.start
    }

    /// When the cue ends, if the transcript is timed.
    pub fn end(&self) -> Option<Timestamp> {
        self.end
    }

    /// Who speaks, if the transcript says.
    pub fn speaker(&self) -> Option<&Speaker> {
        self.speaker.as_ref()
    }

    /// What was said.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The full text of a transcript: each cue on its own line, prefixed by its speaker.
pub fn transcript_text(cues: &[Cue]) -> String {
    let mut text = String::new();
    for cue in cues {
        if !text.is_empty() {
            text.push('\n');
        }
        if let Some(speaker) = cue.speaker() {
            text.push_str(speaker.as_str());
            text.push_str(": ");
        }
        text.push_str(cue.text());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_like_webvtt() {
        assert_eq!(Timestamp::from_millis(3_723_004).to_string(), "01:02:03.004");
        assert_eq!(Timestamp::from_millis(0).to_string(), "00:00:00.000");
    }

    #[test]
    fn cues_refuse_backwards_times_and_join_into_text() {
        let at = Timestamp::from_millis;
        assert!(Cue::new(Some(at(2000)), Some(at(1000)), None, "x".into()).is_err());
        let cues = vec![
            Cue::new(Some(at(0)), Some(at(1000)), Some(Speaker::parse("Ana").unwrap()), "Hello.".into())
                .unwrap(),
            Cue::new(None, None, None, "Goodbye.".into()).unwrap(),
        ];
        assert_eq!(transcript_text(&cues), "Ana: Hello.\nGoodbye.");
    }
}
