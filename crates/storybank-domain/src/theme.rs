//! The theme taxonomy: hierarchical paths such as `health/mental-health`.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// How deep the taxonomy may nest.
pub const MAX_THEME_DEPTH: usize = 5;
const MAX_SEGMENT_CHARS: usize = 60;

/// A node of the theme taxonomy, e.g. `housing/affordability`. A theme contains its sub-themes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ThemePath(String);

impl ThemePath {
    /// Reads a theme path: lowercase segments of letters, digits and `-`, joined by `/`.
    /// Surrounding slashes and space are dropped and letters are lowercased.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let path = raw.trim().trim_matches('/').to_lowercase();
        let is_segment = |segment: &str| {
            !segment.is_empty()
                && segment.chars().count() <= MAX_SEGMENT_CHARS
                && !segment.starts_with('-')
                && !segment.ends_with('-')
                && segment.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        let depth = path.split('/').count();
        if depth <= MAX_THEME_DEPTH && path.split('/').all(is_segment) {
            Ok(Self(path))
        } else {
            Err(DomainError::ThemePath(raw.to_owned()))
        }
    }

    /// The path as text, e.g. `health/mental-health`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is this theme or one of its sub-themes.
    pub fn contains(&self, other: &ThemePath) -> bool {
        other.0 == self.0 || other.0.strip_prefix(&self.0).is_some_and(|rest| rest.starts_with('/'))
    }

    /// The path's segments, from the root down.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// How many levels deep the theme is (a root theme is 1).
    pub fn depth(&self) -> usize {
        self.segments().count()
    }

    /// The parent theme, or `None` for a root theme.
    pub fn parent(&self) -> Option<ThemePath> {
        self.0.rsplit_once('/').map(|(parent, _)| ThemePath(parent.to_owned()))
    }

    /// This theme and every ancestor, root first: `a`, `a/b`, `a/b/c`.
    pub fn ancestors_and_self(&self) -> Vec<ThemePath> {
        let mut out = Vec::with_capacity(self.depth());
        let mut end = 0;
        for segment in self.segments() {
            end += segment.len();
            out.push(ThemePath(self.0[..end].to_owned()));
            end += 1;
        }
        out
    }

    /// The last segment, e.g. `mental-health`.
    pub fn leaf(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl TryFrom<String> for ThemePath {
    type Error = DomainError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<ThemePath> for String {
    fn from(path: ThemePath) -> String {
        path.0
    }
}

impl std::fmt::Display for ThemePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A theme of the taxonomy with its human label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    /// Where the theme sits in the taxonomy.
    pub path: ThemePath,
    /// The name people read, e.g. "Mental health".
    pub label: String,
    /// What the theme covers, shown to curators.
    #[serde(default)]
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_theme_paths() {
        for (raw, expected) in [
            ("health", Some("health")),
            ("health/mental-health", Some("health/mental-health")),
            (" /Housing/Affordability/ ", Some("housing/affordability")),
            ("terveys/mielenterveys", Some("terveys/mielenterveys")),
            ("työ/työttömyys", Some("työ/työttömyys")),
            ("", None),
            ("health//care", None),
            ("health/mental health", None),
            ("-health", None),
            ("health/<script>", None),
            ("a/b/c/d/e/f", None),
            ("../etc", None),
        ] {
            assert_eq!(ThemePath::parse(raw).ok().as_ref().map(ThemePath::as_str), expected, "{raw:?}");
        }
    }

    #[test]
    fn a_theme_contains_its_sub_themes_only() {
        let health = ThemePath::parse("health").unwrap();
        for (other, contained) in [
            ("health", true),
            ("health/mental-health", true),
            ("health/mental-health/crisis", true),
            ("healthcare", false),
            ("housing", false),
        ] {
            assert_eq!(health.contains(&ThemePath::parse(other).unwrap()), contained, "{other}");
        }
    }

    #[test]
    fn ancestors_parent_and_leaf() {
        let path = ThemePath::parse("a/bb/ccc").unwrap();
        let ancestors: Vec<_> = path.ancestors_and_self().iter().map(|p| p.to_string()).collect();
        assert_eq!(ancestors, ["a", "a/bb", "a/bb/ccc"]);
        assert_eq!(path.parent().unwrap().as_str(), "a/bb");
        assert_eq!(path.leaf(), "ccc");
        assert_eq!(ThemePath::parse("a").unwrap().parent(), None);
    }
}
