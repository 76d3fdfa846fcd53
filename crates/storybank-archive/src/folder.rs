//! Ingesting files and folders: walk, read, ingest in parallel, store in batches.
//!
//! Every story is read and ingested independently, so one bad file never stops the batch. Stories
//! are stored in batches of [`BATCH_SIZE`], each batch one transaction: after a crash a story is
//! either fully stored or not at all, and running the same ingest again stores each missing story
//! exactly once (the content hash recognises those already present).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rayon::prelude::*;
use storybank_domain::Form;
use storybank_ingest::{
    FileKind, IngestError, Ingested, Limits, Manifest, ManifestContent, ingest_bare_file, ingest_manifest,
    parse_taxonomy,
};

use crate::{Archive, ArchiveError, ErrorKind, StoryOutcome};

/// How many stories are stored per transaction.
pub const BATCH_SIZE: usize = 256;
/// From this many stories, an ingest loads the search index in bulk.
const BULK_LOAD_STORIES: usize = 10_000;

/// Name of the ignore file (gitignore syntax) that a folder walk respects.
pub const IGNORE_FILE: &str = ".storybankignore";

/// Name of the taxonomy file imported from the top of an ingested folder.
pub const TAXONOMY_FILE: &str = "themes.json";

/// Hears about long work (ingest, reindex) as it goes; the CLI draws a progress bar with it.
pub trait Progress: Sync {
    /// There are `total` stories to go through.
    fn started(&self, _total: usize) {}
    /// `count` more stories are done.
    fn advanced(&self, _count: usize) {}
}

/// No progress to show.
#[derive(Debug)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// What happened to one source file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IngestItem {
    /// The file, as the person gave it (folder + relative path).
    pub source: String,
    /// What happened.
    pub outcome: StoryOutcome,
}

/// The result of ingesting some files and folders.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct IngestReport {
    /// One entry per story source, in walk order.
    pub items: Vec<IngestItem>,
    /// Files the walk saw that are not story files (not counted as failures).
    pub skipped: Vec<String>,
    /// Themes imported from `themes.json` files.
    pub themes_imported: usize,
}

impl IngestReport {
    /// How many stories were newly stored.
    pub fn ingested(&self) -> usize {
        self.count(|outcome| matches!(outcome, StoryOutcome::Ingested { .. }))
    }

    /// How many were already in the archive.
    pub fn already_present(&self) -> usize {
        self.count(|outcome| matches!(outcome, StoryOutcome::AlreadyPresent { .. }))
    }

    /// How many changed since they were ingested (and were not stored again).
    pub fn changed(&self) -> usize {
        self.count(|outcome| matches!(outcome, StoryOutcome::Changed { .. }))
    }

    /// How many failed.
    pub fn failed(&self) -> usize {
        self.count(|outcome| matches!(outcome, StoryOutcome::Failed { .. }))
    }

    fn count(&self, predicate: impl Fn(&StoryOutcome) -> bool) -> usize {
        self.items.iter().filter(|item| predicate(&item.outcome)).count()
    }
}

/// One story to ingest, found by the walk.
enum Work {
    Manifest { path: PathBuf, provenance: String, manifest: Box<Manifest> },
    Bare { path: PathBuf, provenance: String },
    Failed { source: String, error: String },
}

impl Work {
    fn source(&self) -> String {
        match self {
            Work::Manifest { path, .. } | Work::Bare { path, .. } => path.display().to_string(),
            Work::Failed { source, .. } => source.clone(),
        }
    }
}

impl Archive {
    /// Ingests files and folders (recursively). Folders are walked in name order, skipping hidden
    /// files and what their `.storybankignore` lists; a `themes.json` at the top of a folder is
    /// imported into the taxonomy first.
    pub fn ingest_paths(
        &self,
        paths: &[PathBuf],
        progress: &dyn Progress,
    ) -> Result<IngestReport, ArchiveError> {
        let mut report = IngestReport::default();
        let mut work = Vec::new();
        for path in paths {
            self.plan(path, &mut work, &mut report)?;
        }
        progress.started(work.len());
        // A large ingest loads the index in bulk: no background merges meanwhile, and what it
        // added merged into one segment at the end (see `StoryIndex::start_bulk_load`).
        let load = if work.len() >= BULK_LOAD_STORIES {
            Some(self.index()?.start_bulk_load().map_err(crate::search::index_error)?)
        } else {
            None
        };
        let stored = self.store_work(&work, progress);
        if let Some(load) = load {
            // Also after a failure: merges resume either way; the ingest's error comes first.
            let merged = self.index()?.finish_bulk_load(load).map_err(crate::search::index_error);
            report.items = stored?;
            merged?;
        } else {
            report.items = stored?;
        }
        Ok(report)
    }

    /// Ingests the planned work (reading and parsing on every core, storing on one thread, batch
    /// by batch) and commits the index.
    fn store_work(&self, work: &[Work], progress: &dyn Progress) -> Result<Vec<IngestItem>, ArchiveError> {
        let known_themes = self.theme_paths()?;
        // Reading and ingesting one batch (on every core) overlaps with storing the previous one.
        let (batches, to_store) = mpsc::sync_channel::<(Vec<String>, Vec<Result<Ingested, String>>)>(1);
        let items = std::thread::scope(|scope| {
            let storer = scope.spawn(move || -> Result<Vec<IngestItem>, ArchiveError> {
                let mut items = Vec::new();
                for (sources, results) in to_store {
                    let mut accepted = Vec::new();
                    let mut failures = Vec::with_capacity(results.len());
                    for result in results {
                        match result {
                            Ok(ingested) => {
                                accepted.push(ingested);
                                failures.push(None);
                            }
                            Err(error) => failures.push(Some(error)),
                        }
                    }
                    let mut outcomes = self.store_ingested(accepted, true, &known_themes)?.into_iter();
                    for (source, failure) in sources.into_iter().zip(failures) {
                        let outcome = match failure {
                            None => outcomes.next().expect("one outcome per accepted story"),
                            Some(error) => StoryOutcome::Failed { error },
                        };
                        items.push(IngestItem { source, outcome });
                    }
                }
                Ok(items)
            });
            for chunk in work.chunks(BATCH_SIZE) {
                let results = chunk
                    .par_iter()
                    .map(|item| {
                        let result = ingest_work(item, &self.limits);
                        progress.advanced(1);
                        result
                    })
                    .collect();
                if batches.send((chunk.iter().map(Work::source).collect(), results)).is_err() {
                    break; // the storer stopped on an error, which join() returns
                }
            }
            drop(batches);
            storer.join().unwrap_or_else(|_| {
                Err(ArchiveError::new(ErrorKind::Internal, "the storing thread panicked"))
            })
        })?;
        self.commit_index()?;
        Ok(items)
    }

    /// Finds the stories under `path`.
    fn plan(&self, path: &Path, work: &mut Vec<Work>, report: &mut IngestReport) -> Result<(), ArchiveError> {
        let metadata = fs::metadata(path).map_err(|err| {
            ArchiveError::new(ErrorKind::Invalid, format!("{}: {err}; check the path", path.display()))
        })?;
        if metadata.is_file() {
            let root = path.parent().unwrap_or(Path::new(""));
            self.plan_files(root, vec![path.to_owned()], work, report);
            return Ok(());
        }
        let taxonomy = path.join(TAXONOMY_FILE);
        if taxonomy.is_file() {
            let bytes = read_limited(&taxonomy, self.limits.max_text_bytes).map_err(|err| {
                ArchiveError::new(ErrorKind::Invalid, format!("{}: {err}", taxonomy.display()))
            })?;
            let themes = parse_taxonomy(&bytes).map_err(|err| {
                ArchiveError::new(ErrorKind::Invalid, format!("{}: {err}", taxonomy.display()))
            })?;
            self.store()?.upsert_themes(&themes)?;
            report.themes_imported += themes.len();
        }
        let mut files = Vec::new();
        let walker = ignore::WalkBuilder::new(path)
            .standard_filters(false)
            .hidden(true)
            .parents(false)
            .follow_links(false)
            .add_custom_ignore_filename(IGNORE_FILE)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        for entry in walker {
            match entry {
                Ok(entry) if entry.file_type().is_some_and(|kind| kind.is_file()) => {
                    files.push(entry.into_path());
                }
                Ok(_) => {}
                Err(err) => {
                    work.push(Work::Failed { source: path.display().to_string(), error: err.to_string() })
                }
            }
        }
        self.plan_files(path, files, work, report);
        Ok(())
    }

    fn plan_files(&self, root: &Path, files: Vec<PathBuf>, work: &mut Vec<Work>, report: &mut IngestReport) {
        let provenance_of = |path: &Path| {
            let relative = path.strip_prefix(root).unwrap_or(path);
            relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
        };
        // Manifests first: the files they name are not stories of their own.
        let mut referenced = HashSet::new();
        let mut bare = Vec::new();
        let mut manifests = Vec::new();
        for path in files {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            match FileKind::of(&name) {
                FileKind::Manifest => manifests.push(path),
                FileKind::Bare(_) => bare.push(path),
                FileKind::Other => report.skipped.push(path.display().to_string()),
            }
        }
        let mut planned = Vec::new();
        // Read and parsed on every core (a large folder's manifests hold its texts), in order.
        let parsed: Vec<_> = manifests
            .into_par_iter()
            .map(|path| {
                let provenance = provenance_of(&path);
                let parsed =
                    read_limited(&path, self.limits.max_text_bytes).and_then(|bytes| Manifest::parse(&bytes));
                (path, provenance, parsed)
            })
            .collect();
        for (path, provenance, parsed) in parsed {
            match parsed {
                Ok(manifest) => {
                    if let ManifestContent::File(file) = &manifest.content {
                        let folder = path.parent().unwrap_or(Path::new(""));
                        referenced.insert(folder.join(file.as_str()));
                    }
                    planned.push(Work::Manifest { path, provenance, manifest: Box::new(manifest) });
                }
                Err(err) => {
                    planned.push(Work::Failed { source: path.display().to_string(), error: err.to_string() })
                }
            }
        }
        for path in bare {
            if !referenced.contains(&path) {
                let provenance = provenance_of(&path);
                planned.push(Work::Bare { path, provenance });
            }
        }
        planned.sort_by_cached_key(Work::source);
        work.extend(planned);
    }
}

/// Reads and ingests one planned story. Errors are `file: line N: message`-style text; a problem
/// in the file a manifest names is reported with that file's name.
fn ingest_work(work: &Work, limits: &Limits) -> Result<Ingested, String> {
    match work {
        Work::Failed { error, .. } => Err(error.clone()),
        Work::Bare { path, provenance } => {
            let max = match FileKind::of(provenance) {
                FileKind::Bare(Form::Image) => limits.max_image_bytes,
                _ => limits.max_text_bytes,
            };
            let bytes = read_limited(path, max).map_err(|err| err.to_string())?;
            ingest_bare_file(provenance, &bytes, limits).map_err(|err| err.to_string())
        }
        Work::Manifest { path, provenance, manifest } => {
            let file_bytes = match &manifest.content {
                ManifestContent::Body(_) => None,
                ManifestContent::File(file) => {
                    let folder = path.parent().unwrap_or(Path::new(""));
                    let target = folder.join(file.as_str());
                    let in_folder = match (fs::canonicalize(folder), fs::canonicalize(&target)) {
                        (Ok(folder), Ok(target)) => target.starts_with(folder),
                        (_, Err(err)) => {
                            return Err(format!("\"file\": {}: {err}; check the file name", file.as_str()));
                        }
                        (Err(err), _) => return Err(err.to_string()),
                    };
                    if !in_folder {
                        return Err(storybank_ingest::IngestErrorKind::FileOutsideFolder(
                            file.as_str().to_owned(),
                        )
                        .to_string());
                    }
                    let max = match manifest.metadata.form {
                        Some(Form::Image) => limits.max_image_bytes,
                        _ => limits.max_text_bytes,
                    };
                    Some(read_limited(&target, max).map_err(|err| format!("{}: {err}", file.as_str()))?)
                }
            };
            ingest_manifest(provenance, (**manifest).clone(), file_bytes.as_deref(), limits).map_err(|err| {
                match &manifest.content {
                    // Errors in the content are about the named file, and their lines are its lines.
                    ManifestContent::File(file) if !is_manifest_error(&err) => {
                        format!("{}: {err}", file.as_str())
                    }
                    _ => err.to_string(),
                }
            })
        }
    }
}

fn is_manifest_error(err: &IngestError) -> bool {
    use storybank_ingest::IngestErrorKind::*;
    matches!(err.kind, InvalidJson(_) | NotAnObject | UnknownField { .. } | MissingField(_) | Field { .. })
}

/// Reads a file, refusing one over `max` bytes before reading it.
pub(crate) fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, IngestError> {
    let io_error = |err: std::io::Error| {
        IngestError::from(storybank_ingest::IngestErrorKind::Unreadable(err.to_string()))
    };
    let size = fs::metadata(path).map_err(io_error)?.len();
    if size > max {
        return Err(
            storybank_ingest::IngestErrorKind::TooLarge { size, max, what: "this kind of file" }.into()
        );
    }
    fs::read(path).map_err(io_error)
}
