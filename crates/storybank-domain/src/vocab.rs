//! The closed vocabularies of a story: form, story type and status.

use serde::{Deserialize, Serialize};

/// Declares a closed vocabulary once: the enum, its wire names, parsing and display.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $field:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's name as it appears in manifests, URLs, the CLI and the store.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Reads a name (case-insensitive, surrounding space ignored).
            pub fn parse(raw: &str) -> Result<Self, $crate::DomainError> {
                let wanted = raw.trim().to_ascii_lowercase();
                match wanted.as_str() {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::DomainError::Unknown {
                        field: $field,
                        value: raw.to_owned(),
                        allowed: &[$($text),+],
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::DomainError;
            fn from_str(raw: &str) -> Result<Self, Self::Err> { Self::parse(raw) }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(
    /// What a story is made of.
    Form, "form", {
        /// Written text (Markdown or plain).
        Text => "text",
        /// A transcript of an audio or video recording, with cues.
        Transcript => "transcript",
        /// A photo story: an image with the storyteller's caption.
        Image => "image",
    }
);

vocabulary!(
    /// The Community Reporting technique the story was gathered with.
    StoryType, "story_type", {
        /// One open question, a short answer.
        Snapshot => "snapshot",
        /// A peer-to-peer conversation.
        Dialogue => "dialogue",
        /// A person reflecting alone or in pairs.
        Monologue => "monologue",
        /// A story written by the storyteller or the reporter.
        Written => "written",
        /// A photograph with the storyteller's own caption.
        Photo => "photo",
    }
);

impl StoryType {
    /// The type a story of this form gets when nobody said.
    pub fn default_for(form: Form) -> Self {
        match form {
            Form::Text => StoryType::Written,
            Form::Transcript => StoryType::Monologue,
            Form::Image => StoryType::Photo,
        }
    }
}

vocabulary!(
    /// Where a story is in curation. Withdrawn can be reached from any status.
    Status, "status", {
        /// Uploaded or ingested, not yet looked at.
        Submitted => "submitted",
        /// A curator has reviewed it.
        Reviewed => "reviewed",
        /// Visible to the audiences its consent allows.
        Published => "published",
        /// The storyteller (or a curator for them) withdrew it: hidden from everyone.
        Withdrawn => "withdrawn",
    }
);

impl Status {
    /// Whether a story may move from `self` to `next`: forward one step, back to an earlier step
    /// (a curator re-opening a story), or withdrawn from anywhere. A withdrawn story stays withdrawn.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        match (self, next) {
            (Withdrawn, _) => false,
            (_, Withdrawn) => true,
            (from, to) => from != to && (to as u8) <= (from as u8) + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_name_and_refuses_others() {
        for form in Form::ALL {
            assert_eq!(Form::parse(form.as_str()), Ok(*form));
        }
        assert_eq!(StoryType::parse(" Dialogue "), Ok(StoryType::Dialogue));
        let err = Form::parse("video").unwrap_err().to_string();
        assert_eq!(err, "form \"video\" is not one of: text, transcript, image");
    }

    #[test]
    fn status_moves() {
        use Status::*;
        for (from, to, allowed) in [
            (Submitted, Reviewed, true),
            (Reviewed, Published, true),
            (Submitted, Published, false),
            (Published, Reviewed, true),
            (Published, Submitted, true),
            (Submitted, Submitted, false),
            (Published, Withdrawn, true),
            (Submitted, Withdrawn, true),
            (Withdrawn, Submitted, false),
            (Withdrawn, Published, false),
        ] {
            assert_eq!(from.can_become(to), allowed, "{from} -> {to}");
        }
    }
}
