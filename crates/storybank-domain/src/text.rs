//! Short free-text fields of a story, each with its own limits.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Declares a short, single-line text field: trimmed, non-empty, at most `$max` characters,
/// no control characters.
macro_rules! short_text {
    ($(#[$meta:meta])* $name:ident, $field:literal, $max:literal) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Longest value, in characters.
            pub const MAX_CHARS: usize = $max;

            /// Reads the field: surrounding space is dropped; empty, over-long or control
            /// characters are refused.
            pub fn parse(raw: &str) -> Result<Self, DomainError> {
                single_line($field, raw, $max).map(Self)
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn single_line(field: &'static str, raw: &str, max: usize) -> Result<String, DomainError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(DomainError::Field { field, problem: "is empty: leave it out or write something" });
    }
    if value.chars().count() > max {
        return Err(DomainError::TooLong { field, max });
    }
    if value.chars().any(char::is_control) {
        return Err(DomainError::Field {
            field,
            problem: "must be a single line without control characters",
        });
    }
    Ok(value.to_owned())
}

short_text!(
    /// A story's title.
    Title, "title", 300
);
short_text!(
    /// Where the story was gathered or is about, e.g. "Turku".
    Place, "place", 200
);
short_text!(
    /// The handle of the community reporter who gathered the story.
    Reporter, "reporter", 80
);
short_text!(
    /// How the storyteller is named in the archive: a pseudonym or the name they agreed to.
    Storyteller, "storyteller", 80
);
short_text!(
    /// Who speaks in a transcript cue.
    Speaker, "speaker", 80
);
short_text!(
    /// The open question a snapshot story answers.
    Prompt, "prompt", 300
);
short_text!(
    /// A description of an image for people who cannot see it.
    AltText, "alt_text", 2000
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_limits() {
        assert_eq!(Title::parse("  Waiting  ").unwrap().as_str(), "Waiting");
        assert!(Title::parse("   ").is_err());
        assert!(Title::parse("a\nb").is_err());
        assert!(Title::parse(&"x".repeat(301)).is_err());
        assert!(Title::parse(&"ä".repeat(300)).is_ok());
        let err = Place::parse(&"x".repeat(201)).unwrap_err().to_string();
        assert_eq!(err, "place is too long: at most 200 characters");
    }
}
