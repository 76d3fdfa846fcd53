//! Backups and restores.
//!
//! A backup is a folder: `storybank.sqlite3` (a consistent copy made with SQLite's `VACUUM INTO`
//! while the archive keeps working), `media/` (the files that copy refers to), `erasures.json`
//! (every erasure recorded so far) and, written last, `storybank-backup.json`, whose presence marks
//! the backup complete. The search index is not copied: a restore rebuilds it.
//!
//! A restore copies a backup into an empty data directory, checks every media file against its
//! hash, opens the archive (building the index), and erases again every story that a later copy of
//! the archive erased: erasures listed by backups made after this one in the same parent folder,
//! and by any erasure lists given (`storybank erasure list --json` output, or backup folders).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use storybank_domain::{AuditAction, AuditEvent, Erasure, User};
use storybank_store::{DATABASE_FILE, Store};

use crate::{Archive, ArchiveError, Config, ErrorKind};

/// The file that marks a complete backup and describes it.
pub const BACKUP_MANIFEST: &str = "storybank-backup.json";
/// The erasures recorded when the backup was made.
pub const ERASURES_FILE: &str = "erasures.json";
const FORMAT: &str = "storybank-backup";

/// What `storybank-backup.json` says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupManifest {
    /// Always `storybank-backup`.
    pub format: String,
    /// The backup layout's version (1).
    pub version: u32,
    /// When the database copy was taken.
    pub created_at: DateTime<Utc>,
    /// The database's schema version.
    pub schema_version: i64,
    /// Stories in it.
    pub stories: u64,
    /// Media files copied.
    pub media_files: usize,
    /// Media files the copy refers to that were gone by the time they were copied (erased in
    /// between; the erasure is re-applied on restore).
    pub missing_media: usize,
    /// Erasures recorded in it.
    pub erasures: usize,
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreReport {
    /// The backup restored.
    pub manifest: BackupManifest,
    /// Media files restored.
    pub media_files: usize,
    /// Stories the backup held that later erasures removed again.
    pub erasures_reapplied: usize,
    /// Stories in the restored archive.
    pub stories: u64,
    /// Media files that restored stories use but the backup lacked (a damaged backup: their
    /// photos do not show).
    pub missing_media: usize,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |err| ArchiveError::new(ErrorKind::Internal, format!("{}: {err}", path.display()))
}

fn invalid(message: impl Into<String>) -> ArchiveError {
    ArchiveError::new(ErrorKind::Invalid, message)
}

/// Writes a file and makes it durable.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    let mut file = fs::File::create(path).map_err(io(path))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io(path))
}

fn sync_dir(path: &Path) -> Result<(), ArchiveError> {
    fs::File::open(path).and_then(|dir| dir.sync_all()).map_err(io(path))
}

/// A folder that is missing or empty, ready to receive a backup or a data directory.
fn empty_folder(path: &Path, what: &str) -> Result<(), ArchiveError> {
    match fs::read_dir(path) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(invalid(format!(
                    "{}: {what} must be a new or empty folder, and this one has files in it",
                    path.display()
                )));
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(io(path)(err)),
    }
    fs::create_dir_all(path).map_err(io(path))
}

/// Reads a backup's manifest, refusing a folder that is not a complete backup.
pub fn read_manifest(backup: &Path) -> Result<BackupManifest, ArchiveError> {
    let path = backup.join(BACKUP_MANIFEST);
    let bytes = fs::read(&path).map_err(|err| {
        invalid(format!(
            "{}: not a complete Storybank backup ({err}); a backup that was interrupted has no {BACKUP_MANIFEST}",
            backup.display()
        ))
    })?;
    let manifest: BackupManifest =
        serde_json::from_slice(&bytes).map_err(|err| invalid(format!("{}: {err}", path.display())))?;
    if manifest.format != FORMAT || manifest.version != 1 {
        return Err(invalid(format!(
            "{}: format {:?} version {} is not a backup this Storybank reads ({FORMAT} version 1)",
            path.display(),
            manifest.format,
            manifest.version
        )));
    }
    Ok(manifest)
}

/// Reads erasure records from a backup folder (its `erasures.json`) or a file holding a JSON list
/// of them (what `storybank erasure list --json` prints).
pub fn read_erasures(path: &Path) -> Result<Vec<Erasure>, ArchiveError> {
    let file = if path.is_dir() { path.join(ERASURES_FILE) } else { path.to_owned() };
    let bytes = fs::read(&file).map_err(|err| invalid(format!("{}: {err}", file.display())))?;
    serde_json::from_slice(&bytes)
        .map_err(|err| invalid(format!("{}: not a list of erasure records ({err})", file.display())))
}

impl Archive {
    /// The media files the store's stories refer to.
    pub(crate) fn media_in_use(
        &self,
    ) -> Result<std::collections::BTreeSet<storybank_domain::ContentHash>, ArchiveError> {
        Ok(Store::media_hashes_in(&self.data_dir.join(DATABASE_FILE))?.into_iter().collect())
    }

    /// Makes a backup in `target` (a new or empty folder) while the archive keeps working; `by`
    /// is an admin (`None`: the command line).
    pub fn backup(&self, by: Option<&User>, target: &Path) -> Result<BackupManifest, ArchiveError> {
        if let Some(user) = by
            && !user.has(storybank_domain::Role::Admin)
        {
            return Err(ArchiveError::new(ErrorKind::Forbidden, "making a backup needs the admin role"));
        }
        backup_store(&self.store, by, target)
    }
}

/// Makes a backup of the data directory `data_dir` into `target` from the command line, whether
/// or not a server is using the data directory (it needs only the store, not the search index).
pub fn backup_data_dir(data_dir: &Path, target: &Path) -> Result<BackupManifest, ArchiveError> {
    let store = std::sync::Mutex::new(crate::audit::open_store(data_dir)?);
    backup_store(&store, None, target)
}

fn backup_store(
    store: &std::sync::Mutex<Store>,
    by: Option<&User>,
    target: &Path,
) -> Result<BackupManifest, ArchiveError> {
    let lock =
        || store.lock().map_err(|_| ArchiveError::new(ErrorKind::Internal, "the store lock was poisoned"));
    empty_folder(target, "the backup folder")?;
    let database = target.join(DATABASE_FILE);
    let (created_at, stories, media_root) = {
        let store = lock()?;
        let created_at = Utc::now();
        store.backup_database(&database)?;
        (created_at, store.count_stories()?, store.media().root().to_owned())
    };
    let mut media_files = 0;
    let mut missing_media = 0;
    for hash in Store::media_hashes_in(&database)? {
        let relative = Path::new(&hash.as_str()[..2]).join(hash.as_str());
        let from = media_root.join(&relative);
        let to = target.join("media").join(&relative);
        let folder = to.parent().expect("media paths have a parent");
        fs::create_dir_all(folder).map_err(io(folder))?;
        match fs::read(&from) {
            Ok(bytes) => {
                write_durably(&to, &bytes)?;
                media_files += 1;
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => missing_media += 1,
            Err(err) => return Err(io(&from)(err)),
        }
    }
    // Read after the media are copied: a story erased while they were copied is in this list,
    // and a restore of this backup erases it again.
    let erasures = lock()?.erasures()?;
    let erasures_json = serde_json::to_vec_pretty(&erasures)
        .map_err(|err| ArchiveError::new(ErrorKind::Internal, err.to_string()))?;
    write_durably(&target.join(ERASURES_FILE), &erasures_json)?;
    let manifest = BackupManifest {
        format: FORMAT.to_owned(),
        version: 1,
        created_at,
        schema_version: storybank_store::SCHEMA_VERSION,
        stories,
        media_files,
        missing_media,
        erasures: erasures.len(),
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)
        .map_err(|err| ArchiveError::new(ErrorKind::Internal, err.to_string()))?;
    fs::File::open(&database).and_then(|file| file.sync_all()).map_err(io(&database))?;
    write_durably(&target.join(BACKUP_MANIFEST), &manifest_json)?;
    sync_dir(target)?;
    let event =
        AuditEvent::general(AuditAction::Backup, format!("{stories} stories, {media_files} media files"));
    lock()?.audit(by.map(|user| user.name.as_str()), &event)?;
    tracing::info!(stories, media_files, missing_media, "backup made");
    Ok(manifest)
}

/// Restores `backup` into `config.data_dir` (a new or empty folder), rebuilds the search index,
/// and re-applies the erasures of later backups beside it and of `erasure_sources`.
pub fn restore(
    backup: &Path,
    config: Config,
    erasure_sources: &[PathBuf],
) -> Result<RestoreReport, ArchiveError> {
    let manifest = read_manifest(backup)?;
    let mut later = Vec::new();
    if let Some(parent) = backup.parent().filter(|p| !p.as_os_str().is_empty()) {
        for entry in fs::read_dir(parent).map_err(io(parent))?.flatten() {
            let sibling = entry.path();
            if sibling != backup
                && let Ok(other) = read_manifest(&sibling)
                && other.created_at > manifest.created_at
            {
                later.extend(read_erasures(&sibling)?);
            }
        }
    }
    for source in erasure_sources {
        later.extend(read_erasures(source)?);
    }
    // The backup's own list too: it may hold stories erased while its media were copied.
    later.extend(read_erasures(backup)?);
    let data_dir = config.data_dir.clone();
    empty_folder(&data_dir, "the data directory to restore into")?;
    // The archive is put together in a folder of our own beside the data directory and moved into
    // place at the end (a rename onto the empty folder): nobody can open a half-restored archive,
    // and a failure deletes only our own folder.
    let parent = data_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = data_dir.file_name().map_or_else(|| "data".into(), |n| n.to_string_lossy().into_owned());
    let work = parent.join(format!(".{name}.restoring-{}", std::process::id()));
    fs::create_dir(&work).map_err(io(&work))?;
    let result = restore_into(backup, Config { data_dir: work.clone(), ..config }, manifest, later);
    match result {
        Ok(report) => {
            fs::rename(&work, &data_dir).map_err(|err| {
                invalid(format!(
                    "{}: could not move the restored archive into place ({err}); it is in {}",
                    data_dir.display(),
                    work.display()
                ))
            })?;
            sync_dir(parent)?;
            Ok(report)
        }
        Err(err) => {
            let _ = fs::remove_dir_all(&work);
            Err(err)
        }
    }
}

fn restore_into(
    backup: &Path,
    config: Config,
    manifest: BackupManifest,
    mut later: Vec<Erasure>,
) -> Result<RestoreReport, ArchiveError> {
    let data_dir = config.data_dir.clone();
    let database = data_dir.join(DATABASE_FILE);
    fs::copy(backup.join(DATABASE_FILE), &database).map_err(io(&database))?;
    fs::File::open(&database).and_then(|file| file.sync_all()).map_err(io(&database))?;
    let mut media_files = 0;
    let mut missing = Vec::new();
    {
        let store = Store::open(&data_dir)?;
        for hash in Store::media_hashes_in(&database)? {
            let from = backup.join("media").join(&hash.as_str()[..2]).join(hash.as_str());
            match fs::read(&from) {
                Ok(bytes) => {
                    if blake3::hash(&bytes).to_hex().as_str() != hash.as_str() {
                        return Err(invalid(format!(
                            "{}: the file's content does not match its name; the backup is damaged",
                            from.display()
                        )));
                    }
                    store.media().put(&bytes)?;
                    media_files += 1;
                }
                // Erased while the backup was made: the erasure is re-applied below (a gap no
                // erasure explains is reported).
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => missing.push(hash),
                Err(err) => return Err(io(&from)(err)),
            }
        }
    }
    let archive = Archive::open(config)?;
    later.sort_by_key(|erasure| erasure.erased_at);
    let erasures_reapplied = archive.reapply_erasures(&later)?;
    archive.record(
        None,
        AuditEvent::general(
            AuditAction::Restore,
            format!(
                "backup of {}, {erasures_reapplied} erasure(s) re-applied",
                manifest.created_at.format("%Y-%m-%dT%H:%M:%SZ")
            ),
        ),
    )?;
    let stories = archive.count_stories()?;
    let still_used = archive.media_in_use()?;
    let missing_media = missing.iter().filter(|hash| still_used.contains(hash)).count();
    if missing_media > 0 {
        tracing::warn!(missing_media, "the backup lacks media files that restored stories use");
    }
    Ok(RestoreReport { manifest, media_files, erasures_reapplied, stories, missing_media })
}
