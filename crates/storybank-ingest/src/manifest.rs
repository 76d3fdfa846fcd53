//! Story manifests (`NAME.story.json`) and the metadata they carry.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};
use storybank_domain::{
    AltText, Consent, ConsentScope, DomainError, Form, IdentifyAs, Language, Place, Prompt, Reporter,
    StoryType, Storyteller, Tag, ThemePath, Title,
};

use crate::error::{IngestError, IngestErrorKind};

/// What is known about a story besides its content, from a manifest or an upload form. Every field
/// is already valid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// The title; bare files take it from their first heading or their name.
    pub title: Option<Title>,
    /// The form; bare files take it from their extension.
    pub form: Option<Form>,
    /// The technique the story was gathered with.
    pub story_type: Option<StoryType>,
    /// The language; detected from the text when absent.
    pub language: Option<Language>,
    /// When it was recorded or written.
    pub recorded_on: Option<NaiveDate>,
    /// Where.
    pub place: Option<Place>,
    /// The community reporter's handle.
    pub reporter: Option<Reporter>,
    /// The storyteller's pseudonym or agreed name.
    pub storyteller: Option<Storyteller>,
    /// The open question the story answers.
    pub prompt: Option<Prompt>,
    /// The storyteller's consent; `None` is "consent missing".
    pub consent: Option<Consent>,
    /// Themes of the taxonomy.
    pub themes: Vec<ThemePath>,
    /// Free labels.
    pub tags: Vec<Tag>,
    /// A photo story's caption: the storyteller's words.
    pub caption: Option<String>,
    /// A photo story's description for people who cannot see it.
    pub alt_text: Option<AltText>,
}

/// A path relative to a manifest's folder that cannot leave it: no `..`, no root, no drive, no
/// backslash, no empty or hidden segments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RelativeFile(String);

impl RelativeFile {
    /// Reads a manifest's `file` value.
    pub fn parse(raw: &str) -> Result<Self, IngestErrorKind> {
        let escapes = raw.is_empty()
            || raw.starts_with('/')
            || raw.contains('\\')
            || raw.contains('\0')
            || raw.contains(':')
            || raw
                .split('/')
                .any(|segment| segment.is_empty() || segment == "." || segment.starts_with(".."));
        if escapes {
            Err(IngestErrorKind::FileOutsideFolder(raw.to_owned()))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    /// The path, with `/` separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The file's extension, lowercased, if any.
    pub fn extension(&self) -> Option<String> {
        extension_of(&self.0)
    }
}

/// The lowercased extension of a file name.
pub(crate) fn extension_of(name: &str) -> Option<String> {
    let file_name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    file_name.rsplit_once('.').filter(|(stem, _)| !stem.is_empty()).map(|(_, ext)| ext.to_ascii_lowercase())
}

/// Where a manifest's story text is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestContent {
    /// In the manifest's `body`.
    Body(String),
    /// In a file next to the manifest.
    File(RelativeFile),
}

/// A parsed `NAME.story.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Everything but the content.
    pub metadata: Metadata,
    /// Where the content is.
    pub content: ManifestContent,
}

const FIELDS: &str = "title, form, body, file, caption, alt_text, story_type, language, recorded_on, place, reporter, storyteller, prompt, consent, themes, tags";
const CONSENT_FIELDS: &str = "scope, identify_as, given_on, expires_on";

impl Manifest {
    /// Reads a manifest. Errors name the line of the offending field where it can be found.
    pub fn parse(bytes: &[u8]) -> Result<Self, IngestError> {
        let text = crate::text::decode_utf8(bytes)?;
        let value: Value = serde_json::from_str(text).map_err(|err| {
            let message = err.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
            IngestError::at(
                err.line(),
                IngestErrorKind::InvalidJson(format!("{message} (column {})", err.column())),
            )
        })?;
        let Value::Object(object) = value else {
            return Err(IngestErrorKind::NotAnObject.into());
        };
        let fields = Fields { object: &object, source: text };
        fields.check_known(FIELDS)?;

        let title = fields.required("title", Title::parse)?;
        let form = fields.required("form", Form::parse)?;
        let body = fields.string("body")?;
        let file = match fields.string("file")? {
            Some(raw) => Some(RelativeFile::parse(&raw).map_err(|kind| fields.error("file", kind))?),
            None => None,
        };
        let content = match (body, file, form) {
            (Some(_), Some(_), _) => {
                return Err(fields
                    .error("body", IngestErrorKind::Content("give either \"body\" or \"file\", not both")));
            }
            (Some(_), None, Form::Image) => {
                return Err(fields.error(
                    "body",
                    IngestErrorKind::Content(
                        "a photo story needs \"file\" (the image) and \"caption\" (its words), not \"body\"",
                    ),
                ));
            }
            (Some(body), None, _) => ManifestContent::Body(body),
            (None, Some(file), _) => ManifestContent::File(file),
            (None, None, _) => {
                return Err(IngestErrorKind::Content(
                    "the story has no content: add \"body\" with its text or \"file\" with the path of its text, transcript or image",
                )
                .into());
            }
        };
        let consent = match object.get("consent") {
            None | Some(Value::Null) => None,
            Some(Value::Object(consent)) => Some(parse_consent(&Fields { object: consent, source: text })?),
            Some(_) => {
                return Err(fields.error(
                    "consent",
                    IngestErrorKind::Field {
                        field: "consent",
                        message: format!("expected an object with {CONSENT_FIELDS}"),
                    },
                ));
            }
        };
        let metadata = Metadata {
            title: Some(title),
            form: Some(form),
            story_type: fields.optional("story_type", StoryType::parse)?,
            language: fields.optional("language", Language::parse)?,
            recorded_on: fields.date("recorded_on")?,
            place: fields.optional("place", Place::parse)?,
            reporter: fields.optional("reporter", Reporter::parse)?,
            storyteller: fields.optional("storyteller", Storyteller::parse)?,
            prompt: fields.optional("prompt", Prompt::parse)?,
            consent,
            themes: fields.list("themes", ThemePath::parse)?,
            tags: fields.list("tags", Tag::parse)?,
            caption: fields.string("caption")?,
            alt_text: fields.optional("alt_text", AltText::parse)?,
        };
        if metadata.caption.is_some() && form != Form::Image {
            return Err(fields.error(
                "caption",
                IngestErrorKind::Content(
                    "\"caption\" is for photo stories; put a text story's words in \"body\"",
                ),
            ));
        }
        Ok(Manifest { metadata, content })
    }
}

fn parse_consent(fields: &Fields<'_>) -> Result<Consent, IngestError> {
    fields.check_known(CONSENT_FIELDS)?;
    let scope = fields.required("scope", ConsentScope::parse)?;
    let identify_as = fields.required("identify_as", IdentifyAs::parse)?;
    let given_on = fields
        .date("given_on")?
        .ok_or_else(|| IngestError::new(IngestErrorKind::MissingField("given_on")))?;
    let expires_on = fields.date("expires_on")?;
    Consent::new(scope, identify_as, given_on, expires_on)
        .map_err(|err| fields.domain_error("expires_on", err))
}

/// One JSON object of a manifest, with the text it came from (to find line numbers).
struct Fields<'a> {
    object: &'a Map<String, Value>,
    source: &'a str,
}

impl Fields<'_> {
    /// The line on which `"key"` first appears, if it does.
    fn line_of(&self, key: &str) -> Option<usize> {
        let needle = format!("\"{key}\"");
        let offset = self.source.find(&needle)?;
        Some(self.source[..offset].matches('\n').count() + 1)
    }

    fn error(&self, key: &str, kind: IngestErrorKind) -> IngestError {
        IngestError { line: self.line_of(key), kind }
    }

    fn domain_error(&self, key: &'static str, err: DomainError) -> IngestError {
        self.error(key, IngestErrorKind::Field { field: key, message: err.to_string() })
    }

    fn check_known(&self, allowed: &'static str) -> Result<(), IngestError> {
        let known: Vec<&str> = allowed.split(", ").collect();
        match self.object.keys().find(|key| !known.contains(&key.as_str())) {
            Some(unknown) => {
                Err(self.error(unknown, IngestErrorKind::UnknownField { field: unknown.clone(), allowed }))
            }
            None => Ok(()),
        }
    }

    fn string(&self, key: &'static str) -> Result<Option<String>, IngestError> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(value)) => Ok(Some(value.clone())),
            Some(other) => Err(self.error(
                key,
                IngestErrorKind::Field {
                    field: key,
                    message: format!("expected text in quotes, found {}", kind_of(other)),
                },
            )),
        }
    }

    fn optional<T>(
        &self,
        key: &'static str,
        parse: impl Fn(&str) -> Result<T, DomainError>,
    ) -> Result<Option<T>, IngestError> {
        self.string(key)?.map(|raw| parse(&raw).map_err(|err| self.domain_error(key, err))).transpose()
    }

    fn required<T>(
        &self,
        key: &'static str,
        parse: impl Fn(&str) -> Result<T, DomainError>,
    ) -> Result<T, IngestError> {
        self.optional(key, parse)?.ok_or_else(|| IngestError::new(IngestErrorKind::MissingField(key)))
    }

    fn date(&self, key: &'static str) -> Result<Option<NaiveDate>, IngestError> {
        let Some(raw) = self.string(key)? else {
            return Ok(None);
        };
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map(Some).map_err(|_| {
            self.error(
                key,
                IngestErrorKind::Field {
                    field: key,
                    message: format!("{raw:?} is not a date; write it like 2024-03-12"),
                },
            )
        })
    }

    fn list<T>(
        &self,
        key: &'static str,
        parse: impl Fn(&str) -> Result<T, DomainError>,
    ) -> Result<Vec<T>, IngestError> {
        let items = match self.object.get(key) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(self.error(
                    key,
                    IngestErrorKind::Field {
                        field: key,
                        message: format!("expected a list like [\"a\", \"b\"], found {}", kind_of(other)),
                    },
                ));
            }
        };
        items
            .iter()
            .map(|item| match item {
                Value::String(raw) => parse(raw).map_err(|err| self.domain_error(key, err)),
                other => Err(self.error(
                    key,
                    IngestErrorKind::Field {
                        field: key,
                        message: format!("expected text items, found {}", kind_of(other)),
                    },
                )),
            })
            .collect()
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Manifest, String> {
        Manifest::parse(json.as_bytes()).map_err(|err| err.to_string())
    }

    #[test]
    fn reads_a_full_manifest() {
        let manifest = parse(
            r#"{
  "title": "Waiting for a call",
  "form": "transcript",
  "file": "calls/waiting.vtt",
  "story_type": "dialogue",
  "language": "en",
  "recorded_on": "2024-03-12",
  "place": "Manchester",
  "reporter": "amira.k",
  "storyteller": "Jo",
  "prompt": "What helped?",
  "consent": {"scope": "commissioners", "identify_as": "first_name", "given_on": "2024-03-12", "expires_on": "2027-03-12"},
  "themes": ["health/mental-health"],
  "tags": ["Phone Calls"]
}"#,
        )
        .unwrap();
        assert_eq!(
            manifest.content,
            ManifestContent::File(RelativeFile::parse("calls/waiting.vtt").unwrap())
        );
        let metadata = manifest.metadata;
        assert_eq!(metadata.form, Some(Form::Transcript));
        assert_eq!(metadata.consent.unwrap().scope(), ConsentScope::Commissioners);
        assert_eq!(metadata.tags[0].as_str(), "phone-calls");
    }

    #[test]
    fn errors_name_the_field_and_its_line() {
        for (json, expected) in [
            ("{\"title\": \"x\",", "line 1: invalid JSON: EOF while parsing a value (column 14)"),
            ("[1, 2]", "a story manifest must be a JSON object"),
            ("{\"form\": \"text\", \"body\": \"b\"}", "\"title\" is missing"),
            ("{\"title\": \"t\", \"body\": \"b\"}", "\"form\" is missing"),
            (
                "{\"title\": \"t\",\n\"form\": \"video\", \"body\": \"b\"}",
                "line 2: \"form\": form \"video\" is not one of: text, transcript, image",
            ),
            (
                "{\"title\": \"t\", \"form\": \"text\",\n\"file\": \"../secret.md\"}",
                "line 2: \"file\": \"../secret.md\" points outside",
            ),
            (
                "{\"title\": \"t\", \"form\": \"text\", \"file\": \"/etc/passwd\"}",
                "line 1: \"file\": \"/etc/passwd\" points outside",
            ),
            (
                "{\"title\": \"t\", \"form\": \"text\", \"file\": \"a/../../b\"}",
                "line 1: \"file\": \"a/../../b\" points outside",
            ),
            ("{\"title\": \"t\", \"form\": \"text\"}", "the story has no content"),
            (
                "{\"title\": \"t\", \"form\": \"text\", \"body\": \"b\", \"file\": \"b.md\"}",
                "line 1: give either \"body\" or \"file\"",
            ),
            (
                "{\"title\": \"t\", \"form\": \"text\", \"body\": \"b\",\n\n\"recorded_on\": \"12.3.2024\"}",
                "line 3: \"recorded_on\": \"12.3.2024\" is not a date; write it like 2024-03-12",
            ),
            (
                "{\"title\": \"t\", \"form\": \"text\", \"body\": \"b\", \"titel\": \"x\"}",
                "line 1: unknown field \"titel\"",
            ),
            (
                "{\"title\": \"t\", \"form\": \"text\", \"body\": \"b\", \"themes\": \"health\"}",
                "line 1: \"themes\": expected a list",
            ),
            (
                "{\"title\": \"t\", \"form\": \"text\", \"body\": \"b\", \"themes\": [\"health care\"]}",
                "line 1: \"themes\": theme \"health care\" is not a theme path",
            ),
            (
                "{\"title\": \"   \", \"form\": \"text\", \"body\": \"b\"}",
                "line 1: \"title\": title is empty",
            ),
            (
                "{\"title\": 7, \"form\": \"text\", \"body\": \"b\"}",
                "line 1: \"title\": expected text in quotes, found a number",
            ),
            (
                "{\"title\": \"t\", \"form\": \"text\", \"body\": \"b\", \"consent\": {\"scope\": \"everyone\", \"identify_as\": \"anonymous\", \"given_on\": \"2024-01-01\"}}",
                "line 1: \"scope\": consent scope \"everyone\" is not one of",
            ),
            (
                "{\"title\": \"t\", \"form\": \"text\", \"body\": \"b\", \"consent\": {\"scope\": \"public\", \"identify_as\": \"anonymous\"}}",
                "\"given_on\" is missing",
            ),
            (
                "{\"title\": \"t\", \"form\": \"image\", \"body\": \"b\"}",
                "line 1: a photo story needs \"file\"",
            ),
        ] {
            let err = parse(json).unwrap_err();
            assert!(err.starts_with(expected), "{json}\n  got:      {err}\n  expected: {expected}");
        }
    }

    #[test]
    fn deeply_nested_json_is_an_error_not_a_crash() {
        let json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&json).unwrap_err().contains("invalid JSON: recursion limit exceeded"));
    }

    #[test]
    fn relative_files() {
        for (raw, ok) in [
            ("a.md", true),
            ("sub/dir/a.vtt", true),
            ("..", false),
            ("../a.md", false),
            ("./a.md", false),
            ("a//b", false),
            ("C:/a.md", false),
            ("a\\..\\b", false),
            (".hidden/..", false),
            ("", false),
        ] {
            assert_eq!(RelativeFile::parse(raw).is_ok(), ok, "{raw:?}");
        }
    }
}
