//! The audit trail as the archive keeps it: use cases record their events; admins read them.

use storybank_domain::{AuditEntry, AuditEvent, Role, User};
use storybank_store::AuditFilter;

use crate::{Archive, ArchiveError, ErrorKind};

/// The most entries one read returns.
pub const MAX_AUDIT_ENTRIES: usize = 10_000;

impl Archive {
    /// Appends to the audit trail; `by` is who did it (`None`: the command line).
    pub(crate) fn record(&self, by: Option<&User>, event: AuditEvent) -> Result<(), ArchiveError> {
        Ok(self.store()?.audit(by.map(|user| user.name.as_str()), &event)?)
    }

    /// The audit trail, newest first, for an admin (`None`: the command line).
    pub fn audit_trail(
        &self,
        by: Option<&User>,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, ArchiveError> {
        if by.is_some_and(|user| !user.has(Role::Admin)) {
            return Err(ArchiveError::new(ErrorKind::Forbidden, "the audit trail is for admins"));
        }
        let mut filter = filter.clone();
        if filter.limit == 0 || filter.limit > MAX_AUDIT_ENTRIES {
            filter.limit = MAX_AUDIT_ENTRIES;
        }
        Ok(self.store()?.audit_entries(&filter)?)
    }
}

/// Opens only the store of an existing data directory (no search index), so that the command
/// line can read it while a server uses the data directory.
pub(crate) fn open_store(data_dir: &std::path::Path) -> Result<storybank_store::Store, ArchiveError> {
    if !data_dir.join(storybank_store::DATABASE_FILE).is_file() {
        return Err(ArchiveError::new(
            ErrorKind::Invalid,
            format!("{}: there is no Storybank archive here", data_dir.display()),
        ));
    }
    Ok(storybank_store::Store::open(data_dir)?)
}

/// The audit trail of `data_dir`, newest first, for the command line (works while a server runs).
pub fn audit_trail_in(
    data_dir: &std::path::Path,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, ArchiveError> {
    Ok(open_store(data_dir)?.audit_entries(filter)?)
}

/// Every erasure recorded in `data_dir`, newest first (works while a server runs).
pub fn erasures_in(data_dir: &std::path::Path) -> Result<Vec<storybank_domain::Erasure>, ArchiveError> {
    Ok(open_store(data_dir)?.erasures()?)
}
