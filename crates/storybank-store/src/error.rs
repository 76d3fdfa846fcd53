use std::path::PathBuf;

use thiserror::Error;

/// What went wrong in the store of record.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite refused or failed an operation.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file of the data directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The database was written by a newer Storybank.
    #[error(
        "the database is at schema version {found}, newer than this Storybank knows ({known}); upgrade Storybank"
    )]
    SchemaTooNew {
        /// Version found in the file.
        found: i64,
        /// Latest version this build knows.
        known: i64,
    },
    /// A stored row that no longer reads as a valid domain value.
    #[error("story {id}: stored {field} is invalid: {detail}")]
    Corrupt {
        /// The story.
        id: String,
        /// The column.
        field: &'static str,
        /// Why it does not parse.
        detail: String,
    },
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    /// Whether the error is the disk being full, which people can act on.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Io { source, .. } => source.raw_os_error() == Some(28),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(err, _)) => {
                err.code == rusqlite::ErrorCode::DiskFull
            }
            _ => false,
        }
    }
}
