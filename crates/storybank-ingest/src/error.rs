use thiserror::Error;

/// Why a story could not be ingested. Shown to people as `FILE: line N: MESSAGE`, so every message
/// says what is wrong and how to fix it. Nothing of a story that fails is stored.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}{kind}", line.map(|line| format!("line {line}: ")).unwrap_or_default())]
pub struct IngestError {
    /// The 1-based line of the input the problem is on, where known.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: IngestErrorKind,
}

impl IngestError {
    pub(crate) fn new(kind: IngestErrorKind) -> Self {
        Self { line: None, kind }
    }

    pub(crate) fn at(line: usize, kind: IngestErrorKind) -> Self {
        Self { line: Some(line), kind }
    }
}

impl From<IngestErrorKind> for IngestError {
    fn from(kind: IngestErrorKind) -> Self {
        Self::new(kind)
    }
}

/// The kinds of ingestion failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IngestErrorKind {
    /// A manifest that is not JSON.
    #[error("invalid JSON: {0}; check for a missing comma, quote or bracket")]
    InvalidJson(String),
    /// A manifest whose top level is not an object.
    #[error("a story manifest must be a JSON object like {{\"title\": \"...\", \"form\": \"text\", ...}}")]
    NotAnObject,
    /// A manifest key Storybank does not know (often a typo).
    #[error("unknown field {field:?}; the fields are: {allowed}")]
    UnknownField {
        /// The key found.
        field: String,
        /// The keys accepted.
        allowed: &'static str,
    },
    /// A required manifest field is absent.
    #[error("{0:?} is missing; every story manifest needs a {0}")]
    MissingField(&'static str),
    /// A manifest field with a value of the wrong shape.
    #[error("{field:?}: {message}")]
    Field {
        /// The key.
        field: &'static str,
        /// What is wrong with its value and what is expected.
        message: String,
    },
    /// A `file` that points outside the manifest's folder.
    #[error(
        "\"file\": {0:?} points outside the manifest's folder; put the file next to the manifest (or below it) and write its relative path, e.g. \"interview.vtt\""
    )]
    FileOutsideFolder(String),
    /// A manifest with both `body` and `file`, or with neither.
    #[error("{0}")]
    Content(&'static str),
    /// Text that is not UTF-8.
    #[error("the text is not valid UTF-8; save the file as UTF-8 and ingest it again")]
    InvalidUtf8,
    /// A transcript that cannot be read.
    #[error("{0}")]
    Transcript(String),
    /// A file of a type that is not a story.
    #[error(
        "{0:?} is not a story file; use .md, .txt, .vtt, .srt, .jpg, .jpeg, .png or .webp, or describe it in a NAME.story.json manifest"
    )]
    UnknownFileType(String),
    /// An image that is not JPEG, PNG or WebP by its content.
    #[error("the file is {0}, not a JPEG, PNG or WebP image; convert it to JPEG or PNG and ingest it again")]
    UnsupportedImage(String),
    /// An image that is damaged or cut short.
    #[error(
        "the image cannot be decoded ({0}); it may be damaged or cut short, export it again from the camera or editor"
    )]
    BadImage(String),
    /// An image with more pixels than allowed.
    #[error(
        "the image is {width}x{height} pixels, over the limit of {max_side} pixels a side and {max_megapixels} megapixels; scale it down and ingest it again"
    )]
    TooManyPixels {
        /// Width found.
        width: u32,
        /// Height found.
        height: u32,
        /// Largest width or height accepted.
        max_side: u32,
        /// Largest pixel count accepted, in millions.
        max_megapixels: u32,
    },
    /// A file over the size limit.
    #[error("the file is {size} bytes, over the limit of {max} bytes for {what}")]
    TooLarge {
        /// Size found.
        size: u64,
        /// Largest size accepted.
        max: u64,
        /// What kind of file the limit is for.
        what: &'static str,
    },
    /// A file that could not be read (the caller's I/O error, as text).
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    /// A story with nothing in it.
    #[error("the story is empty; write its text or attach its file")]
    Empty,
}
