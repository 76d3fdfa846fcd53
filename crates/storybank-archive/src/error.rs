use storybank_store::StoreError;
use thiserror::Error;

/// What kind of failure an [`ArchiveError`] is, for the layer that answers people (HTTP status,
/// exit code) to decide how to say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request or input was invalid; the message says how to fix it.
    Invalid,
    /// Nothing with that identity exists (or the caller may not know it does).
    NotFound,
    /// The request clashes with the archive's current state.
    Conflict,
    /// The caller may not do this.
    Forbidden,
    /// Something broke inside; the details are logged, not shown.
    Internal,
}

/// An error from a use case of the [`crate::Archive`].
#[derive(Debug, Error)]
#[error("{message}")]
pub struct ArchiveError {
    kind: ErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ArchiveError {
    /// An error of `kind` with a message for people.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), source: None }
    }

    /// The kind, for mapping to a status.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl From<StoreError> for ArchiveError {
    fn from(err: StoreError) -> Self {
        let message = if err.is_disk_full() {
            "the disk holding the data directory is full; free some space and try again (nothing was half-stored)"
                .to_owned()
        } else {
            err.to_string()
        };
        Self { kind: ErrorKind::Internal, message, source: Some(Box::new(err)) }
    }
}
