use thiserror::Error;

/// Why a value could not become a domain type. Every message says what was wrong and what is accepted,
/// so it can be shown to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// A theme path was not `segment/segment/...` of letters, digits and hyphens.
    #[error(
        "theme {0:?} is not a theme path: use lowercase words joined by '-' and nested with '/', e.g. \"health/mental-health\" (at most {max_depth} levels)",
        max_depth = crate::theme::MAX_THEME_DEPTH
    )]
    ThemePath(String),
    /// A tag was empty, too long or held characters a tag may not have.
    #[error("tag {0:?} is not a tag: use 1 to {max} letters, digits, spaces or '-', e.g. \"waiting-times\"", max = crate::tag::MAX_TAG_CHARS)]
    Tag(String),
    /// A story had more tags than allowed.
    #[error("a story may have at most {max} tags, this one has {0}", max = crate::tag::MAX_TAGS_PER_STORY)]
    TooManyTags(usize),
    /// A language code that is not ISO 639-1.
    #[error(
        "language {0:?} is not a language code: use a two-letter ISO 639-1 code such as \"en\", \"fi\" or \"pl\""
    )]
    Language(String),
    /// An unknown value of a closed vocabulary (form, story type, status, consent scope, identify-as).
    #[error("{field} {value:?} is not one of: {}", allowed.join(", "))]
    Unknown { field: &'static str, value: String, allowed: &'static [&'static str] },
    /// A short free-text field (place, reporter, storyteller, prompt, alt text) that breaks its limits.
    #[error("{field} {problem}")]
    Field { field: &'static str, problem: &'static str },
    /// A short free-text field over its length limit.
    #[error("{field} is too long: at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    /// Consent that ends before it was given.
    #[error("consent expires_on ({expires_on}) is before given_on ({given_on})")]
    ConsentDates { given_on: chrono::NaiveDate, expires_on: chrono::NaiveDate },
    /// A transcript cue whose end is before its start.
    #[error("cue ends ({end}) before it starts ({start})")]
    CueTimes { start: crate::transcript::Timestamp, end: crate::transcript::Timestamp },
    /// A user id that is not a UUID.
    #[error("{0:?} is not a user id")]
    UserId(String),
    /// A quote id that is not a UUID.
    #[error("{0:?} is not a quote id")]
    QuoteId(String),
    /// A user name with characters or a length a user name may not have.
    #[error(
        "user name {0:?} is not valid: use 2 to 40 letters, digits, '.', '-' or '_', starting with a letter, e.g. \"rita\""
    )]
    UserName(String),
    /// An account with no role.
    #[error("give the account at least one role: reporter, curator, commissioner or admin")]
    NoRoles,
    /// An id (of a pack, a finding) that is not a UUID.
    #[error("{value:?} is not a {what} id")]
    Id { what: &'static str, value: String },
    /// An edit a pack cannot take.
    #[error("{0}")]
    Pack(&'static str),
    /// A story id that is not a UUID.
    #[error("{0:?} is not a story id: story ids look like 0190f3b4-5f7c-7a53-9d0e-3c2a1b4d5e6f")]
    StoryId(String),
}
