//! Ingestion: bytes and metadata in, a new story and warnings out.
//!
//! Reads written stories (Markdown or plain text), transcripts (WebVTT, SRT, `Speaker: words`) and
//! photo stories (JPEG, PNG, WebP by content; decoded with limits, uprighted, re-encoded without
//! any metadata). Stories come described by a [`Manifest`] (`NAME.story.json`) or as bare files
//! with safe defaults. This crate never touches the filesystem: the caller reads files and passes
//! their bytes, so the CLI, the web upload and the API share exactly the same checks.
//!
//! ```
//! use storybank_ingest::{ingest_bare_file, Limits, Warning};
//! let ingested = ingest_bare_file("notes/the-long-wait.md", b"# The long wait\n\nI waited three months and no one called me back.", &Limits::default())?;
//! assert_eq!(ingested.story.details.title.as_str(), "The long wait");
//! assert!(ingested.warnings.contains(&Warning::ConsentMissing));
//! # Ok::<(), storybank_ingest::IngestError>(())
//! ```

mod error;
mod image;
mod limits;
mod manifest;
mod taxonomy;
mod text;
mod transcript;

use std::collections::BTreeSet;

use storybank_domain::{
    ContentHash, EncodedImage, Form, Language, StoryContent, StoryDetails, StoryType, Title, normalise_tags,
};

pub use crate::error::{IngestError, IngestErrorKind};
pub use crate::image::{DISPLAY_MAX_SIDE, Renditions, THUMBNAIL_MAX_SIDE, process_image};
pub use crate::limits::Limits;
pub use crate::manifest::{Manifest, ManifestContent, Metadata, RelativeFile};
pub use crate::taxonomy::parse_taxonomy;
pub use crate::transcript::{TranscriptFormat, parse_transcript};

/// A story ready to be stored: valid details, content with its image renditions in memory,
/// where it came from, and the hash that recognises it next time.
#[derive(Clone, Debug)]
pub struct NewStory {
    /// Title, type, language, consent, themes, tags and the rest.
    pub details: StoryDetails,
    /// Text, cues, or the image renditions.
    pub content: StoryContent<EncodedImage>,
    /// The file or upload it came from, as the person gave it.
    pub provenance: String,
    /// BLAKE3 of its metadata and content.
    pub content_hash: ContentHash,
}

/// What ingestion noticed that a curator should know; the story is stored anyway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// No consent record: the story is kept for the curation team only.
    ConsentMissing,
    /// A photo story without alt text cannot be published until it has some.
    AltTextMissing,
    /// A photo story without a caption.
    CaptionMissing,
    /// The language was not given and was detected.
    LanguageDetected(Language),
    /// The language was not given and could not be detected.
    LanguageUnknown,
    /// The language is not one Storybank analyses; search will not stem it.
    LanguageNotAnalysed(Language),
    /// The image carried metadata (EXIF, GPS, XMP, IPTC), which was removed.
    ImageMetadataRemoved,
}

impl Warning {
    /// A stable name for the warning, kept with the story.
    pub fn code(&self) -> &'static str {
        match self {
            Warning::ConsentMissing => "consent_missing",
            Warning::AltTextMissing => "alt_text_missing",
            Warning::CaptionMissing => "caption_missing",
            Warning::LanguageDetected(_) => "language_detected",
            Warning::LanguageUnknown => "language_unknown",
            Warning::LanguageNotAnalysed(_) => "language_not_analysed",
            Warning::ImageMetadataRemoved => "image_metadata_removed",
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::ConsentMissing => f.write_str(
                "consent missing: only the curation team can see this story until a curator records the storyteller's consent",
            ),
            Warning::AltTextMissing => {
                f.write_str("alt text missing: describe the image in \"alt_text\" before the story can be published")
            }
            Warning::CaptionMissing => f.write_str("caption missing: add the storyteller's words in \"caption\""),
            Warning::LanguageDetected(language) => write!(
                f,
                "language not given; detected as {} ({language}); set \"language\" if that is wrong",
                language.name().unwrap_or("?")
            ),
            Warning::LanguageUnknown => {
                f.write_str("language not given and could not be detected; set \"language\" (e.g. \"en\")")
            }
            Warning::LanguageNotAnalysed(language) => write!(
                f,
                "language {language} is stored, but search does not stem it (Storybank analyses en, fi, sv, nl, et, it, es, pl, hu)"
            ),
            Warning::ImageMetadataRemoved => {
                f.write_str("the image's metadata (EXIF, GPS location, XMP, IPTC) was removed")
            }
        }
    }
}

/// A new story and what ingestion noticed.
#[derive(Clone, Debug)]
pub struct Ingested {
    /// The story, ready to store.
    pub story: NewStory,
    /// What a curator should look at.
    pub warnings: Vec<Warning>,
}

/// Where a story's content is, in memory.
#[derive(Clone, Copy, Debug)]
pub enum ContentInput<'a> {
    /// Text typed or pasted (a written story or a transcript).
    Body(&'a str),
    /// A file's name (for its extension) and bytes.
    File {
        /// The file's name as given; only its extension is used.
        name: &'a str,
        /// Its content.
        bytes: &'a [u8],
    },
}

/// What kind of file a name is, as a folder walk sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `NAME.story.json`.
    Manifest,
    /// A story file that can be ingested without a manifest.
    Bare(Form),
    /// Not a story file.
    Other,
}

impl FileKind {
    /// Classifies a file by its name.
    pub fn of(name: &str) -> Self {
        if name.to_ascii_lowercase().ends_with(".story.json") {
            return FileKind::Manifest;
        }
        match manifest::extension_of(name).as_deref() {
            Some("md" | "markdown" | "txt") => FileKind::Bare(Form::Text),
            Some("vtt" | "srt") => FileKind::Bare(Form::Transcript),
            Some("jpg" | "jpeg" | "png" | "webp") => FileKind::Bare(Form::Image),
            _ => FileKind::Other,
        }
    }
}

/// Ingests a file that has no manifest: form from its extension, title from its first heading or
/// its name, consent missing, language detected.
pub fn ingest_bare_file(provenance: &str, bytes: &[u8], limits: &Limits) -> Result<Ingested, IngestError> {
    let FileKind::Bare(form) = FileKind::of(provenance) else {
        return Err(IngestErrorKind::UnknownFileType(provenance.to_owned()).into());
    };
    let metadata = Metadata { form: Some(form), ..Metadata::default() };
    ingest(provenance, metadata, ContentInput::File { name: provenance, bytes }, limits)
}

/// Ingests a story described by a manifest; `file_bytes` is the content of the manifest's `file`,
/// read by the caller (who must resolve it inside the manifest's folder).
pub fn ingest_manifest(
    provenance: &str,
    manifest: Manifest,
    file_bytes: Option<&[u8]>,
    limits: &Limits,
) -> Result<Ingested, IngestError> {
    let Manifest { metadata, content } = manifest;
    let content = match (&content, file_bytes) {
        (ManifestContent::Body(body), _) => ContentInput::Body(body),
        (ManifestContent::File(file), Some(bytes)) => ContentInput::File { name: file.as_str(), bytes },
        (ManifestContent::File(_), None) => {
            return Err(IngestErrorKind::Content(
                "the manifest names a \"file\" but its content was not given",
            )
            .into());
        }
    };
    ingest(provenance, metadata, content, limits)
}

/// Ingests one story from its metadata and content. The single path every story takes, whether it
/// comes from a folder, an upload form or the API.
pub fn ingest(
    provenance: &str,
    metadata: Metadata,
    content: ContentInput<'_>,
    limits: &Limits,
) -> Result<Ingested, IngestError> {
    let form = match (metadata.form, content) {
        (Some(form), _) => form,
        (None, ContentInput::File { name, .. }) => match FileKind::of(name) {
            FileKind::Bare(form) => form,
            _ => return Err(IngestErrorKind::UnknownFileType(name.to_owned()).into()),
        },
        (None, ContentInput::Body(_)) => Form::Text,
    };
    let content_hash = content_hash(&metadata, content);
    let mut warnings = Vec::new();

    let (story_content, heading) = match form {
        Form::Text => {
            let body = text_of(content, limits)?;
            if body.trim().is_empty() {
                return Err(IngestErrorKind::Empty.into());
            }
            let heading = text::first_heading(body);
            (StoryContent::Text { body: body.to_owned() }, heading)
        }
        Form::Transcript => {
            let raw = text_of(content, limits)?;
            let extension = match content {
                ContentInput::File { name, .. } => manifest::extension_of(name),
                ContentInput::Body(_) => None,
            };
            let cues = parse_transcript(raw, TranscriptFormat::detect(raw, extension.as_deref()))?;
            (StoryContent::Transcript { cues }, None)
        }
        Form::Image => {
            let ContentInput::File { bytes, .. } = content else {
                return Err(IngestErrorKind::Content("a photo story needs its image file").into());
            };
            let renditions = process_image(bytes, limits)?;
            if renditions.had_metadata {
                warnings.push(Warning::ImageMetadataRemoved);
            }
            let caption = metadata.caption.clone().unwrap_or_default();
            let caption = caption.trim().to_owned();
            if caption.is_empty() {
                warnings.push(Warning::CaptionMissing);
            }
            if metadata.alt_text.is_none() {
                warnings.push(Warning::AltTextMissing);
            }
            let content = StoryContent::Image {
                caption,
                alt_text: metadata.alt_text.clone(),
                display: renditions.display,
                thumbnail: renditions.thumbnail,
            };
            (content, None)
        }
    };

    let title = match (metadata.title.clone(), heading) {
        (Some(title), _) => title,
        (None, Some(heading)) => Title::parse(&heading).unwrap_or_else(|_| fallback_title(provenance)),
        (None, None) => fallback_title(provenance),
    };
    let language = match metadata.language.clone() {
        Some(language) => language,
        None => match text::detect_language(&story_content.full_text()) {
            Some(language) => {
                warnings.push(Warning::LanguageDetected(language.clone()));
                language
            }
            None => {
                warnings.push(Warning::LanguageUnknown);
                Language::undetermined()
            }
        },
    };
    if language != Language::undetermined() && !language.is_supported() {
        warnings.push(Warning::LanguageNotAnalysed(language.clone()));
    }
    if metadata.consent.is_none() {
        warnings.push(Warning::ConsentMissing);
    }
    let story_type = metadata.story_type.unwrap_or_else(|| default_story_type(&story_content));
    let themes: BTreeSet<_> = metadata.themes.iter().cloned().collect();
    let tags = normalise_tags(metadata.tags.iter().cloned())
        .map_err(|err| IngestErrorKind::Field { field: "tags", message: err.to_string() })?;

    let details = StoryDetails {
        title,
        story_type,
        language,
        prompt: metadata.prompt,
        place: metadata.place,
        recorded_on: metadata.recorded_on,
        reporter: metadata.reporter,
        storyteller: metadata.storyteller,
        consent: metadata.consent,
        themes: themes.into_iter().collect(),
        tags,
    };
    let story = NewStory { details, content: story_content, provenance: provenance.to_owned(), content_hash };
    Ok(Ingested { story, warnings })
}

fn fallback_title(provenance: &str) -> Title {
    Title::parse(&text::title_from_file_name(provenance))
        .or_else(|_| Title::parse("Untitled story"))
        .expect("the fallback title is valid")
}

fn default_story_type<M>(content: &StoryContent<M>) -> StoryType {
    match content {
        StoryContent::Transcript { cues } => {
            let speakers: BTreeSet<_> = cues.iter().filter_map(|cue| cue.speaker()).collect();
            if speakers.len() >= 2 { StoryType::Dialogue } else { StoryType::Monologue }
        }
        other => StoryType::default_for(other.form()),
    }
}

fn text_of<'a>(content: ContentInput<'a>, limits: &Limits) -> Result<&'a str, IngestError> {
    let bytes = match content {
        ContentInput::Body(body) => body.as_bytes(),
        ContentInput::File { bytes, .. } => bytes,
    };
    let size = bytes.len() as u64;
    if size > limits.max_text_bytes {
        return Err(IngestErrorKind::TooLarge {
            size,
            max: limits.max_text_bytes,
            what: "text and transcripts",
        }
        .into());
    }
    if let ContentInput::File { bytes, .. } = content
        && matches!(
            ::image::guess_format(bytes),
            Ok(::image::ImageFormat::Jpeg | ::image::ImageFormat::Png | ::image::ImageFormat::WebP)
        )
    {
        return Err(IngestErrorKind::Content(
            "the file is an image, but the story's form is text or transcript; set \"form\": \"image\"",
        )
        .into());
    }
    text::decode_utf8(bytes)
}

/// Hashes what a story is made of: its metadata (as given, before any detection) and its content.
fn content_hash(metadata: &Metadata, content: ContentInput<'_>) -> ContentHash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"storybank story v1\0");
    let metadata_json = serde_json::to_vec(metadata).unwrap_or_default();
    hasher.update(&(metadata_json.len() as u64).to_le_bytes());
    hasher.update(&metadata_json);
    match content {
        ContentInput::Body(body) => {
            hasher.update(b"body\0");
            hasher.update(body.as_bytes());
        }
        ContentInput::File { bytes, .. } => {
            hasher.update(b"file\0");
            hasher.update(bytes);
        }
    }
    ContentHash::from_hex(hasher.finalize().to_hex().as_str()).expect("BLAKE3 hex is a content hash")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kinds() {
        for (name, kind) in [
            ("a.story.json", FileKind::Manifest),
            ("A.STORY.JSON", FileKind::Manifest),
            ("themes.json", FileKind::Other),
            ("a.md", FileKind::Bare(Form::Text)),
            ("a.txt", FileKind::Bare(Form::Text)),
            ("a.vtt", FileKind::Bare(Form::Transcript)),
            ("a.SRT", FileKind::Bare(Form::Transcript)),
            ("a.jpeg", FileKind::Bare(Form::Image)),
            ("a.webp", FileKind::Bare(Form::Image)),
            ("a.gif", FileKind::Other),
            ("README", FileKind::Other),
            (".md", FileKind::Other),
        ] {
            assert_eq!(FileKind::of(name), kind, "{name}");
        }
    }

    #[test]
    fn bare_transcripts_guess_their_story_type() {
        let limits = Limits::default();
        let dialogue = "WEBVTT\n\n00:00.000 --> 00:02.000\n<v Ana>Hola, ¿qué tal?\n\n00:02.000 --> 00:04.000\n<v Luis>Bien, gracias, esperando una vivienda.\n";
        let ingested = ingest_bare_file("x/entrevista.vtt", dialogue.as_bytes(), &limits).unwrap();
        assert_eq!(ingested.story.details.story_type, StoryType::Dialogue);
        assert_eq!(ingested.story.details.title.as_str(), "Entrevista");
        let monologue = "Ana: Llevo tres meses esperando una vivienda social y nadie me responde.";
        let ingested = ingest_bare_file("x/solo.srt", monologue.as_bytes(), &limits);
        assert!(ingested.is_err(), "an .srt file must be SRT");
    }

    #[test]
    fn the_hash_follows_content_and_metadata() {
        let limits = Limits::default();
        let hash = |name: &str, body: &str| {
            ingest_bare_file(name, body.as_bytes(), &limits).unwrap().story.content_hash
        };
        assert_eq!(hash("a.md", "same words here"), hash("b.md", "same words here"));
        assert_ne!(hash("a.md", "same words here"), hash("a.md", "other words here"));
        let with_title = Metadata { title: Some(Title::parse("T").unwrap()), ..Metadata::default() };
        let titled = ingest("a.md", with_title, ContentInput::Body("same words here"), &limits).unwrap();
        assert_ne!(titled.story.content_hash, hash("a.md", "same words here"));
    }

    #[test]
    fn a_text_form_refuses_an_image_file() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let err = ingest_bare_file("photo.txt", png, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("set \"form\": \"image\""), "{err}");
    }
}
