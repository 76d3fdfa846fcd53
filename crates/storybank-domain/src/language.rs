//! Story languages as ISO 639-1 codes.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The languages Storybank analyses fully (stemming, detection), with their English names.
pub const SUPPORTED_LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("fi", "Finnish"),
    ("sv", "Swedish"),
    ("nl", "Dutch"),
    ("et", "Estonian"),
    ("it", "Italian"),
    ("es", "Spanish"),
    ("pl", "Polish"),
    ("hu", "Hungarian"),
];

/// The language a story is told in: a lowercase ISO 639-1 code (`fi`), or `und` when it is not known.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl Language {
    /// Reads a two-letter code, case-insensitive; `und` marks an undetermined language.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let code = raw.trim().to_ascii_lowercase();
        let is_code = (code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase())) || code == "und";
        if is_code { Ok(Self(code)) } else { Err(DomainError::Language(raw.to_owned())) }
    }

    /// The language nobody has determined yet.
    pub fn undetermined() -> Self {
        Self("und".to_owned())
    }

    /// The code, e.g. `fi`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The English name, for the supported languages.
    pub fn name(&self) -> Option<&'static str> {
        SUPPORTED_LANGUAGES.iter().find(|(code, _)| *code == self.0).map(|(_, name)| *name)
    }

    /// Whether this is one of [`SUPPORTED_LANGUAGES`].
    pub fn is_supported(&self) -> bool {
        self.name().is_some()
    }
}

impl TryFrom<String> for Language {
    type Error = DomainError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<Language> for String {
    fn from(language: Language) -> String {
        language.0
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes() {
        for (raw, expected) in [
            ("fi", Some("fi")),
            (" PL ", Some("pl")),
            ("und", Some("und")),
            ("fin", None),
            ("f1", None),
            ("", None),
        ] {
            assert_eq!(Language::parse(raw).ok().as_ref().map(Language::as_str), expected, "{raw:?}");
        }
        assert_eq!(Language::parse("et").unwrap().name(), Some("Estonian"));
        assert!(!Language::parse("de").unwrap().is_supported());
    }
}
