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

/// The story files under one path given to an ingest, found by the walk before any is read.
struct Found {
    /// What provenance paths are relative to.
    root: PathBuf,
    /// Manifests (`*.story.json`), in walk order.
    manifests: Vec<PathBuf>,
    /// Bare story files (text, transcripts, images), in walk order; those a manifest names are
    /// not stories of their own.
    bare: Vec<PathBuf>,
    /// What the walk could not read, reported first.
    unreadable: Vec<IngestItem>,
}

impl Found {
    fn stories(&self) -> usize {
        self.manifests.len() + self.bare.len()
    }

    fn provenance(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
    }
}

/// One batch for the storing thread: which path it came from, and each story's source and result.
type Batch = (usize, Vec<(String, Result<Ingested, String>)>);

impl Archive {
    /// Ingests files and folders (recursively). Folders are walked in name order, skipping hidden
    /// files and what their `.storybankignore` lists; a `themes.json` at the top of a folder is
    /// imported into the taxonomy first. The report lists each path's stories in name order.
    ///
    /// Stories are read, ingested and stored batch by batch, so at most three batches of texts are
    /// in memory at once (one being read, one queued, one being stored), however large the
    /// folder: a folder's manifests come first (each may name a file, which is then not a story
    /// of its own), then its bare files that no manifest named.
    pub fn ingest_paths(
        &self,
        paths: &[PathBuf],
        progress: &dyn Progress,
    ) -> Result<IngestReport, ArchiveError> {
        let mut report = IngestReport::default();
        let mut found = Vec::with_capacity(paths.len());
        for path in paths {
            found.push(self.find(path, &mut report)?);
        }
        let total = found.iter().map(Found::stories).sum();
        progress.started(total);
        // A large ingest loads the index in bulk: no background merges meanwhile, and what it
        // added merged into one segment at the end (see `StoryIndex::start_bulk_load`).
        let load = if total >= BULK_LOAD_STORIES {
            Some(self.index()?.start_bulk_load().map_err(crate::search::index_error)?)
        } else {
            None
        };
        let stored = self.store_found(&found, progress);
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

    /// Reads and ingests the stories found (on every core, a batch at a time), stores them on one
    /// thread, batch by batch, and commits the index. Returns the report's items in order.
    fn store_found(&self, found: &[Found], progress: &dyn Progress) -> Result<Vec<IngestItem>, ArchiveError> {
        let known_themes = self.theme_paths()?;
        // Reading and ingesting one batch (on every core) overlaps with storing the previous one.
        let (batches, to_store) = mpsc::sync_channel::<Batch>(1);
        let mut items = std::thread::scope(|scope| {
            let storer = scope.spawn(move || -> Result<Vec<Vec<IngestItem>>, ArchiveError> {
                let mut items = vec![Vec::new(); found.len()];
                for (index, batch) in to_store {
                    let mut accepted = Vec::new();
                    let mut sources = Vec::with_capacity(batch.len());
                    for (source, result) in batch {
                        match result {
                            Ok(ingested) => {
                                accepted.push(ingested);
                                sources.push((source, None));
                            }
                            Err(error) => sources.push((source, Some(error))),
                        }
                    }
                    let mut outcomes = self.store_ingested(accepted, true, &known_themes)?.into_iter();
                    for (source, failure) in sources {
                        let outcome = match failure {
                            None => outcomes.next().expect("one outcome per accepted story"),
                            Some(error) => StoryOutcome::Failed { error },
                        };
                        items[index].push(IngestItem { source, outcome });
                    }
                }
                Ok(items)
            });
            let send = |index: usize, batch| batches.send((index, batch)).is_ok();
            'paths: for (index, folder) in found.iter().enumerate() {
                let mut referenced = HashSet::new();
                for chunk in folder.manifests.chunks(BATCH_SIZE) {
                    let read: Vec<_> = chunk
                        .par_iter()
                        .map(|path| {
                            let (named, result) = ingest_manifest_file(path, folder, &self.limits);
                            progress.advanced(1);
                            (named, (path.display().to_string(), result))
                        })
                        .collect();
                    let mut batch = Vec::with_capacity(read.len());
                    for (named, story) in read {
                        referenced.extend(named);
                        batch.push(story);
                    }
                    if !send(index, batch) {
                        break 'paths; // the storer stopped on an error, which join() returns
                    }
                }
                let mut unnamed = Vec::with_capacity(folder.bare.len());
                for path in &folder.bare {
                    if referenced.contains(path) {
                        progress.advanced(1);
                    } else {
                        unnamed.push(path);
                    }
                }
                for chunk in unnamed.chunks(BATCH_SIZE) {
                    let batch = chunk
                        .par_iter()
                        .map(|path| {
                            let result = ingest_bare(path, &folder.provenance(path), &self.limits);
                            progress.advanced(1);
                            (path.display().to_string(), result)
                        })
                        .collect();
                    if !send(index, batch) {
                        break 'paths;
                    }
                }
            }
            drop(batches);
            storer.join().unwrap_or_else(|_| {
                Err(ArchiveError::new(ErrorKind::Internal, "the storing thread panicked"))
            })
        })?;
        self.commit_index()?;
        let mut ordered = Vec::with_capacity(items.iter().map(Vec::len).sum());
        for (folder, items) in found.iter().zip(&mut items) {
            items.sort_by(|a, b| a.source.cmp(&b.source));
            ordered.extend(folder.unreadable.iter().cloned());
            ordered.append(items);
        }
        Ok(ordered)
    }

    /// Finds the story files under `path` (a file or a folder), importing the folder's
    /// `themes.json` first; what is not a story file is listed in the report as skipped.
    fn find(&self, path: &Path, report: &mut IngestReport) -> Result<Found, ArchiveError> {
        let metadata = fs::metadata(path).map_err(|err| {
            ArchiveError::new(ErrorKind::Invalid, format!("{}: {err}; check the path", path.display()))
        })?;
        if metadata.is_file() {
            let root = path.parent().unwrap_or(Path::new("")).to_owned();
            return Ok(classify_files(root, vec![path.to_owned()], Vec::new(), report));
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
        let mut unreadable = Vec::new();
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
                Err(err) => unreadable.push(IngestItem {
                    source: path.display().to_string(),
                    outcome: StoryOutcome::Failed { error: err.to_string() },
                }),
            }
        }
        Ok(classify_files(path.to_owned(), files, unreadable, report))
    }
}

/// Tells the files a walk found apart: manifests, bare story files, and others (skipped).
fn classify_files(
    root: PathBuf,
    files: Vec<PathBuf>,
    unreadable: Vec<IngestItem>,
    report: &mut IngestReport,
) -> Found {
    let mut found = Found { root, manifests: Vec::new(), bare: Vec::new(), unreadable };
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match FileKind::of(&name) {
            FileKind::Manifest => found.manifests.push(path),
            FileKind::Bare(_) => found.bare.push(path),
            FileKind::Other => report.skipped.push(path.display().to_string()),
        }
    }
    found
}

/// Reads and ingests a bare story file.
fn ingest_bare(path: &Path, provenance: &str, limits: &Limits) -> Result<Ingested, String> {
    let max = match FileKind::of(provenance) {
        FileKind::Bare(Form::Image) => limits.max_image_bytes,
        _ => limits.max_text_bytes,
    };
    let bytes = read_limited(path, max).map_err(|err| err.to_string())?;
    ingest_bare_file(provenance, &bytes, limits).map_err(|err| err.to_string())
}

/// Reads, parses and ingests a manifest and the file it names, if any. Returns that file's path
/// (once the manifest parses, whether or not the story is accepted: the file belongs to it) and
/// the result. Errors are `file: line N: message`-style text; a problem in the file a manifest
/// names is reported with that file's name.
fn ingest_manifest_file(
    path: &Path,
    folder: &Found,
    limits: &Limits,
) -> (Option<PathBuf>, Result<Ingested, String>) {
    let manifest = match read_limited(path, limits.max_text_bytes).and_then(|bytes| Manifest::parse(&bytes)) {
        Ok(manifest) => manifest,
        Err(err) => return (None, Err(err.to_string())),
    };
    let directory = path.parent().unwrap_or(Path::new(""));
    let file = match &manifest.content {
        ManifestContent::File(file) => Some(file.as_str().to_owned()),
        ManifestContent::Body(_) => None,
    };
    let (named, file_bytes) = match &file {
        None => (None, None),
        Some(name) => {
            let target = directory.join(name);
            match read_named_file(directory, &target, name, manifest.metadata.form, limits) {
                Ok(bytes) => (Some(target), Some(bytes)),
                Err(error) => return (Some(target), Err(error)),
            }
        }
    };
    let result =
        ingest_manifest(&folder.provenance(path), manifest, file_bytes.as_deref(), limits).map_err(|err| {
            match file {
                // Errors in the content are about the named file, and their lines are its lines.
                Some(file) if !is_manifest_error(&err) => format!("{file}: {err}"),
                _ => err.to_string(),
            }
        });
    (named, result)
}

/// Reads the file a manifest names, which must be inside the manifest's folder.
fn read_named_file(
    directory: &Path,
    target: &Path,
    name: &str,
    form: Option<Form>,
    limits: &Limits,
) -> Result<Vec<u8>, String> {
    let in_folder = match (fs::canonicalize(directory), fs::canonicalize(target)) {
        (Ok(directory), Ok(target)) => target.starts_with(directory),
        (_, Err(err)) => return Err(format!("\"file\": {name}: {err}; check the file name")),
        (Err(err), _) => return Err(err.to_string()),
    };
    if !in_folder {
        return Err(storybank_ingest::IngestErrorKind::FileOutsideFolder(name.to_owned()).to_string());
    }
    let max = match form {
        Some(Form::Image) => limits.max_image_bytes,
        _ => limits.max_text_bytes,
    };
    read_limited(target, max).map_err(|err| format!("{name}: {err}"))
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
