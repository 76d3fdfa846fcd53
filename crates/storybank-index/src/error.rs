use thiserror::Error;

/// What went wrong in the search index.
#[derive(Debug, Error)]
pub enum IndexError {
    /// tantivy failed (I/O, a corrupt segment, a lock).
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index folder could not be read or written.
    #[error("search index folder {path}: {source}")]
    Io {
        /// The file or folder.
        path: std::path::PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the index's writer lock.
    #[error("the search index is in use by another process")]
    Locked,
    /// A request the index cannot answer (e.g. a limit of 0).
    #[error("{0}")]
    Invalid(String),
}
