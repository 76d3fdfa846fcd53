//! The application facade: Storybank's use cases, transport-neutral.
//!
//! [`Archive`] owns the store of record (and, as later issues land, the search index) and offers
//! the use cases the CLI and the web server call: ingest files and folders, read and list stories.
//! It keeps the store and the media folder consistent: media files are written (content-addressed,
//! durable) before the transaction that refers to them commits, so a stored story never points at
//! a missing file. Errors carry an [`ErrorKind`] that the edges map to HTTP statuses or exit codes.
//!
//! ```no_run
//! use storybank_archive::{Archive, Config, NoProgress};
//! let archive = Archive::open(Config::new("storybank-data"))?;
//! let report = archive.ingest_paths(&["stories-sample".into()], &NoProgress)?;
//! println!("{} ingested, {} failed", report.ingested(), report.failed());
//! # Ok::<(), storybank_archive::ArchiveError>(())
//! ```

mod accounts;
mod audit;
mod backup;
mod curation;
mod erasure;
mod error;
mod folder;
mod overview;
mod packs;
mod redaction;
mod search;
mod story_cache;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::Utc;
use storybank_domain::{MediaRef, Story, StoryContent, StoryId, Theme, ThemePath};
use storybank_ingest::Ingested;
use storybank_store::{InsertOutcome, Readers, Store};

pub use crate::accounts::{Accounts, NewSession, SESSION_HOURS, Session, random_token};
pub use crate::audit::{MAX_AUDIT_ENTRIES, audit_trail_in, erasures_in};
pub use crate::backup::{
    BACKUP_MANIFEST, BackupManifest, ERASURES_FILE, RestoreReport, backup_data_dir, read_erasures,
    read_manifest, restore,
};
pub use crate::curation::{QuoteSelection, StoryView, Submission, may_view};
pub use crate::erasure::ErasureReport;
pub use crate::error::{ArchiveError, ErrorKind};
pub use crate::folder::{
    BATCH_SIZE, IGNORE_FILE, IngestItem, IngestReport, NoProgress, Progress, TAXONOMY_FILE,
};
pub use crate::overview::{CountTable, OVERVIEW_PLACES, OVERVIEW_YEARS, ThemeOverview};
pub use crate::packs::{PackExports, PackPage, PackSummary, PackTarget};
pub use crate::redaction::RedactionChoice;
pub use crate::search::{SearchHitView, SearchResponse};
pub use storybank_index::Trace as IndexTrace;
pub use storybank_index::{
    FLAGS, FacetCount, Facets, MAX_DEPTH as MAX_SEARCH_DEPTH, SearchRequest, SearchResults, Snippet, Sort,
};
pub use storybank_ingest::{ContentInput, Limits, Manifest, ManifestContent, Metadata};
pub use storybank_store::{
    AuditFilter, Curation, PackRecord, PackUse, PackVersion, RedactionRecord, StorySummary, ThemeCount,
    TokenRecord,
};

/// Where the archive lives and what it accepts.
#[derive(Clone, Debug)]
pub struct Config {
    /// The data directory: the SQLite file, `media/` and (later) `index/`.
    pub data_dir: PathBuf,
    /// What ingestion accepts.
    pub limits: Limits,
    /// Whether the words a redaction replaces are kept (for curators only), or not at all.
    pub keep_redacted_originals: bool,
    /// How many bytes of recently shown stories search pages keep in memory (0: none).
    pub story_cache_bytes: usize,
}

impl Config {
    /// The default limits, in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            limits: Limits::default(),
            keep_redacted_originals: true,
            story_cache_bytes: STORY_CACHE_BYTES,
        }
    }
}

/// What happened to one story offered to the archive.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum StoryOutcome {
    /// Stored as a new story.
    Ingested {
        /// Its id.
        id: StoryId,
        /// What a curator should look at.
        warnings: Vec<String>,
    },
    /// The same content is already in the archive.
    AlreadyPresent {
        /// The stored story.
        id: StoryId,
    },
    /// The source was ingested before with other content; the stored version is kept.
    Changed {
        /// The story stored from this source.
        existing: StoryId,
    },
    /// Not stored; the error says why and what to fix.
    Failed {
        /// `line N: message`, or a message.
        error: String,
    },
}

/// How much story text search pages keep in memory by default: the stories of about ten thousand
/// hits of typical length.
pub const STORY_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Storybank's use cases over one data directory.
#[derive(Debug)]
pub struct Archive {
    store: Arc<Mutex<Store>>,
    /// Read-only connections, for reads that need not wait for the writer.
    readers: Arc<Readers>,
    /// Derived from the store; swapped whole by `reindex`. Lock order: store, then index.
    index: RwLock<storybank_index::StoryIndex>,
    /// Stories recently shown in search results, kept while the store's change log says they
    /// are current.
    story_cache: story_cache::StoryCache,
    limits: Limits,
    data_dir: PathBuf,
    keep_redacted_originals: bool,
}

impl Archive {
    /// Opens the archive in `config.data_dir`, creating and migrating it as needed, and brings the
    /// search index up to date (catching up, or rebuilding it when missing or stale).
    pub fn open(config: Config) -> Result<Self, ArchiveError> {
        let store = Store::open(&config.data_dir)?;
        let index = search::open_index(&store, &config.data_dir.join("index"))?;
        let archive = Self {
            store: Arc::new(Mutex::new(store)),
            readers: Arc::new(Readers::new(&config.data_dir)),
            index: RwLock::new(index),
            story_cache: story_cache::StoryCache::new(config.story_cache_bytes),
            limits: config.limits,
            data_dir: config.data_dir,
            keep_redacted_originals: config.keep_redacted_originals,
        };
        // An erasure interrupted by a crash is finished before anything else.
        archive.finish_erasures()?;
        Ok(archive)
    }

    /// Accounts and sessions, over the same store.
    pub fn accounts(&self) -> Accounts {
        Accounts::over(Arc::clone(&self.store), Arc::clone(&self.readers))
    }

    /// What ingestion accepts.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Reads one story.
    pub fn story(&self, id: StoryId) -> Result<Story, ArchiveError> {
        self.reader()?
            .story(id)?
            .ok_or_else(|| ArchiveError::new(ErrorKind::NotFound, format!("there is no story {id}")))
    }

    /// Moves a story to `status` (submitted -> reviewed -> published, back a step, or withdrawn
    /// from anywhere), in the store and the search index at once.
    pub fn set_status(&self, id: StoryId, status: storybank_domain::Status) -> Result<Story, ArchiveError> {
        let mut store = self.store()?;
        let story = store
            .story(id)?
            .ok_or_else(|| ArchiveError::new(ErrorKind::NotFound, format!("there is no story {id}")))?;
        if !story.status.can_become(status) {
            return Err(ArchiveError::new(
                ErrorKind::Conflict,
                format!("a {} story cannot become {status}; move it one step at a time", story.status),
            ));
        }
        // Checked under the same lock as the change, so consent cannot be removed in between.
        if status == storybank_domain::Status::Published {
            if story.consent_missing() {
                return Err(ArchiveError::new(
                    ErrorKind::Conflict,
                    "record the storyteller's consent before publishing this story",
                ));
            }
            if story.content.lacks_alt_text() {
                return Err(ArchiveError::new(
                    ErrorKind::Conflict,
                    "add alt text (a description of the photo) before publishing this story",
                ));
            }
        }
        store.set_status(id, status)?;
        let updated = store
            .story(id)?
            .ok_or_else(|| ArchiveError::new(ErrorKind::Internal, "the story vanished while changing it"))?;
        let index = self.index()?;
        index.upsert(std::slice::from_ref(&updated)).map_err(search::index_error)?;
        index.commit(store.last_change()?).map_err(search::index_error)?;
        Ok(updated)
    }

    /// Every story, newest first.
    pub fn story_summaries(&self) -> Result<Vec<StorySummary>, ArchiveError> {
        Ok(self.reader()?.story_summaries()?)
    }

    /// How many stories the archive holds.
    pub fn count_stories(&self) -> Result<u64, ArchiveError> {
        Ok(self.store()?.count_stories()?)
    }

    /// The theme taxonomy.
    pub fn themes(&self) -> Result<Vec<Theme>, ArchiveError> {
        Ok(self.reader()?.themes()?)
    }

    /// Reads a stored media file (a rendition).
    pub fn media(&self, media: &MediaRef) -> Result<Vec<u8>, ArchiveError> {
        Ok(self.reader()?.media().read(&media.hash)?)
    }

    /// Where a media file lives on disk, for tests and backups.
    pub fn media_path(&self, media: &MediaRef) -> Result<PathBuf, ArchiveError> {
        Ok(self.store()?.media().path_of(&media.hash))
    }

    pub(crate) fn store(&self) -> Result<MutexGuard<'_, Store>, ArchiveError> {
        self.store.lock().map_err(|_| ArchiveError::new(ErrorKind::Internal, "the store lock was poisoned"))
    }

    /// A read-only connection that does not wait for the writer. It sees what was committed when
    /// each of its queries starts; reads that must agree with a change under way use `store()`.
    pub(crate) fn reader(&self) -> Result<storybank_store::Reader<'_>, ArchiveError> {
        Ok(self.readers.get()?)
    }

    pub(crate) fn theme_paths(&self) -> Result<BTreeSet<ThemePath>, ArchiveError> {
        Ok(self.themes()?.into_iter().map(|theme| theme.path).collect())
    }

    /// Stores ingested stories: media first (durable, content-addressed), then one transaction for
    /// the batch. Themes missing from the taxonomy are kept and noted for curators.
    fn store_ingested(
        &self,
        batch: Vec<Ingested>,
        check_provenance: bool,
        known_themes: &BTreeSet<ThemePath>,
    ) -> Result<Vec<StoryOutcome>, ArchiveError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut store = self.store()?;
        let now = Utc::now();
        let mut stories = Vec::with_capacity(batch.len());
        for ingested in batch {
            stories.push(self.prepare_story(&store, ingested, known_themes, now)?);
        }
        let outcomes = store.insert_stories(&stories, check_provenance)?;
        // Indexed under the store lock, so an index commit never records a change it lacks.
        let inserted: Vec<Story> = stories
            .iter()
            .zip(&outcomes)
            .filter(|(_, outcome)| matches!(outcome, InsertOutcome::Inserted(_)))
            .map(|(story, _)| story.clone())
            .collect();
        // Each inserted story has an id made for it in `prepare_story`: no version to replace.
        self.index()?.add_new(&inserted).map_err(search::index_error)?;
        Ok(stories
            .into_iter()
            .zip(outcomes)
            .map(|(story, outcome)| match outcome {
                InsertOutcome::Inserted(id) => StoryOutcome::Ingested { id, warnings: story.ingest_warnings },
                InsertOutcome::AlreadyPresent(id) => StoryOutcome::AlreadyPresent { id },
                InsertOutcome::Changed { existing } => StoryOutcome::Changed { existing },
            })
            .collect())
    }

    /// Makes a story to store from an ingested one: its media written first (durable,
    /// content-addressed), its warnings, and a note for each theme missing from the taxonomy.
    fn prepare_story(
        &self,
        store: &Store,
        ingested: Ingested,
        known_themes: &BTreeSet<ThemePath>,
        now: chrono::DateTime<Utc>,
    ) -> Result<Story, ArchiveError> {
        let Ingested { story, warnings } = ingested;
        let content = match story.content {
            StoryContent::Text { body } => StoryContent::Text { body },
            StoryContent::Transcript { cues } => StoryContent::Transcript { cues },
            StoryContent::Image { caption, alt_text, display, thumbnail } => {
                let put = |image: storybank_domain::EncodedImage| -> Result<MediaRef, ArchiveError> {
                    let hash = store.media().put(&image.bytes)?;
                    Ok(MediaRef {
                        hash,
                        mime: image.mime.to_owned(),
                        width: image.width,
                        height: image.height,
                        byte_len: image.bytes.len() as u64,
                    })
                };
                StoryContent::Image { caption, alt_text, display: put(display)?, thumbnail: put(thumbnail)? }
            }
        };
        let mut notes: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        for theme in &story.details.themes {
            if !known_themes.is_empty() && !known_themes.contains(theme) {
                notes.push(format!("theme {theme} is not in the taxonomy; add it there or choose another"));
            }
        }
        Ok(Story {
            id: StoryId::new(),
            details: story.details,
            content,
            status: storybank_domain::Status::Submitted,
            provenance: Some(story.provenance),
            content_hash: story.content_hash,
            ingest_warnings: notes,
            created_at: now,
            updated_at: now,
        })
    }
}
