//! Free labels on stories.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;
/// Most tags one story may carry.
pub const MAX_TAGS_PER_STORY: usize = 50;

/// A free label, e.g. `waiting-times`. Lowercase; inner runs of space become one `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    /// Reads a tag: letters, digits, `-` and inner spaces (which become `-`).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let words: Vec<&str> = raw.split_whitespace().collect();
        let tag = words.join("-").to_lowercase();
        let valid = !tag.is_empty()
            && tag.chars().count() <= MAX_TAG_CHARS
            && tag.chars().all(|c| c.is_alphanumeric() || c == '-');
        if valid { Ok(Self(tag)) } else { Err(DomainError::Tag(raw.to_owned())) }
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Tag {
    type Error = DomainError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<Tag> for String {
    fn from(tag: Tag) -> String {
        tag.0
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sorts and de-duplicates tags and checks the per-story limit.
pub fn normalise_tags(tags: impl IntoIterator<Item = Tag>) -> Result<Vec<Tag>, DomainError> {
    let mut tags: Vec<Tag> = tags.into_iter().collect();
    tags.sort();
    tags.dedup();
    if tags.len() > MAX_TAGS_PER_STORY {
        return Err(DomainError::TooManyTags(tags.len()));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags() {
        for (raw, expected) in [
            ("waiting-times", Some("waiting-times")),
            ("  Waiting   Times ", Some("waiting-times")),
            ("GP", Some("gp")),
            ("kela", Some("kela")),
            ("", None),
            ("   ", None),
            ("a/b", None),
            ("<b>", None),
            ("x".repeat(51).as_str(), None),
        ] {
            assert_eq!(Tag::parse(raw).ok().as_ref().map(Tag::as_str), expected, "{raw:?}");
        }
    }

    #[test]
    fn normalising_sorts_dedups_and_limits() {
        let tags = ["b", "a", "b"].map(|t| Tag::parse(t).unwrap());
        assert_eq!(normalise_tags(tags).unwrap().len(), 2);
        let many = (0..51).map(|i| Tag::parse(&format!("t{i}")).unwrap());
        assert_eq!(normalise_tags(many), Err(DomainError::TooManyTags(51)));
    }
}
