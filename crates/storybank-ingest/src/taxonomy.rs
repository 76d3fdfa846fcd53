//! The theme taxonomy file, `themes.json`: `{"themes": [{"path", "label", "description"}, ...]}`.

use std::collections::BTreeSet;

use serde::Deserialize;
use storybank_domain::{Theme, ThemePath};

use crate::error::{IngestError, IngestErrorKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    themes: Vec<ThemeEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeEntry {
    path: String,
    label: String,
    #[serde(default)]
    description: String,
}

/// Reads a taxonomy. Every theme's parent must come before it, so the tree has no gaps.
pub fn parse_taxonomy(bytes: &[u8]) -> Result<Vec<Theme>, IngestError> {
    let text = crate::text::decode_utf8(bytes)?;
    let file: TaxonomyFile = serde_json::from_str(text).map_err(|err| {
        let message = err.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
        IngestError::at(err.line(), IngestErrorKind::InvalidJson(message))
    })?;
    let mut seen = BTreeSet::new();
    let mut themes = Vec::with_capacity(file.themes.len());
    for entry in file.themes {
        let field_error =
            |message: String| IngestError::new(IngestErrorKind::Field { field: "themes", message });
        let path = ThemePath::parse(&entry.path).map_err(|err| field_error(err.to_string()))?;
        if let Some(parent) = path.parent()
            && !seen.contains(&parent)
        {
            return Err(field_error(format!(
                "theme {path} comes before its parent {parent}; list {parent} first"
            )));
        }
        let label = entry.label.trim().to_owned();
        if label.is_empty() {
            return Err(field_error(format!("theme {path} has an empty label")));
        }
        seen.insert(path.clone());
        themes.push(Theme { path, label, description: entry.description.trim().to_owned() });
    }
    Ok(themes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taxonomy_table() {
        for (json, expected) in [
            (
                r#"{"themes": [{"path": "health", "label": "Health"}, {"path": "health/gp", "label": "GP"}]}"#,
                Ok(2),
            ),
            (r#"{"themes": [{"path": "health/gp", "label": "GP"}]}"#, Err("comes before its parent health")),
            (r#"{"themes": [{"path": "a b", "label": "x"}]}"#, Err("is not a theme path")),
            (r#"{"themes": [{"path": "a", "label": " "}]}"#, Err("empty label")),
            (r#"{"themes": [{"path": "a", "label": "A", "colour": "red"}]}"#, Err("unknown field `colour`")),
        ] {
            match (parse_taxonomy(json.as_bytes()), expected) {
                (Ok(themes), Ok(count)) => assert_eq!(themes.len(), count),
                (Err(err), Err(fragment)) => assert!(err.to_string().contains(fragment), "{err}"),
                (result, expected) => panic!("{json}: got {result:?}, expected {expected:?}"),
            }
        }
    }
}
