//! The search index: the only crate that knows tantivy.
//!
//! [`StoryIndex`] is derived from the store and can always be rebuilt from it. It lives in
//! `DATA/index/<generation>/`, with `DATA/index/CURRENT` naming the live generation, so a rebuild
//! fills a new generation and swaps it in with one atomic rename. Each commit records in its
//! payload the schema version and the last store change it contains, so on start the archive knows
//! what to catch up on, and an index of another schema version (or a missing or corrupt one) is
//! rebuilt.
//!
//! Each story's text is analysed with its language's Snowball stemmer (en, fi, sv, nl, et, it, es,
//! pl, hu) and also folded (no diacritics, no stemming); titles are folded. Queries search the
//! languages asked for (all by default), exact forms ranking above folded and fuzzy ones. Story
//! text is never stored in the index: snippets are made from the store's text.

mod analysis;
mod any_term;
mod error;
mod facets;
mod filters;
mod phrase;
mod query;
mod request;
mod schema;
mod search;
mod segment_cache;
mod word_map;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use storybank_domain::{Story, StoryId};
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

pub use crate::error::IndexError;
pub use crate::request::{FacetCount, Facets, Hit, SearchRequest, SearchResults, Snippet, Sort};
use crate::schema::Fields;
pub use crate::schema::{FLAGS, SCHEMA_VERSION};
pub use crate::search::{MAX_DEPTH, Snippets};

const CURRENT_FILE: &str = "CURRENT";

/// How much memory the index writer may fill before it writes a segment: an eighth of the
/// machine's memory (or of the container's limit, when that is lower), between 128 and 640 MB
/// (192 MB where the memory is not known).
///
/// Only a bulk load (a large ingest, a reindex) fills much of it: a commit writes what was added
/// since the last one. The more it holds, the fewer segments a bulk load writes and then merges
/// into one, on one core: a reindex of 100,000 stories on two cores wrote ten segments with 192 MB
/// and two (one per indexing thread) with 640 MB, whose merge took 3.4 s instead of 5.7 s (see
/// `docs/benchmarks.md`).
fn writer_memory() -> usize {
    const MB: usize = 1024 * 1024;
    total_memory().map_or(192 * MB, |total| (total / 8).clamp(128 * MB, 640 * MB))
}

/// The memory this process may use, in bytes: the machine's (`/proc/meminfo`, Linux), or the
/// limit of its control group when lower (a container's, seen at the top of its own cgroup
/// tree: v2's `memory.max`, v1's `memory.limit_in_bytes`).
fn total_memory() -> Option<usize> {
    let machine = memory_in_meminfo(&fs::read_to_string("/proc/meminfo").ok()?)?;
    let limit = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        .into_iter()
        .filter_map(|path| cgroup_limit(&fs::read_to_string(path).ok()?))
        .min();
    Some(limit.map_or(machine, |limit| limit.min(machine)))
}

/// A cgroup memory limit file's bytes; `None` for `max` (no limit).
fn cgroup_limit(text: &str) -> Option<usize> {
    text.trim().parse().ok()
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
fn memory_in_meminfo(meminfo: &str) -> Option<usize> {
    let line = meminfo.lines().find_map(|line| line.strip_prefix("MemTotal:"))?;
    let kilobytes: usize = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    kilobytes.checked_mul(1024)
}

/// What an index's commit payload records.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    schema: u32,
    last_change: i64,
}

/// The search index over the archive's stories.
pub struct StoryIndex {
    index: Index,
    fields: Fields,
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
    /// Each segment's theme facets, forms, languages, story types and places at every level,
    /// for counting them.
    facets: Arc<facets::FacetCache>,
    /// Each segment's filters as bit sets.
    filters: Arc<filters::FilterCache>,
    /// Each segment's id columns.
    id_columns: search::IdColumns,
    /// Each segment's word map (also the reader's warmer, which holds it weakly).
    word_maps: Arc<search::WordMaps>,
    root: PathBuf,
    generation: String,
}

impl std::fmt::Debug for StoryIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoryIndex").field("root", &self.root).field("generation", &self.generation).finish()
    }
}

/// A bulk load in progress ([`StoryIndex::start_bulk_load`]): the segments from before it.
#[derive(Debug)]
#[must_use = "finish the load with StoryIndex::finish_bulk_load, or background merges stay paused"]
pub struct BulkLoad {
    before: Vec<tantivy::index::SegmentId>,
}

/// What [`StoryIndex::trace`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// `field: term` for each term containing the word looked for.
    pub terms: Vec<String>,
    /// Whether a segment holds the story (even as a deleted document).
    pub holds_story: bool,
    /// Deleted documents still inside segments.
    pub deleted_documents: u64,
}

/// How [`StoryIndex::open`] found the index.
#[derive(Debug)]
pub enum Opened {
    /// A usable index containing every store change up to `last_change`.
    Existing {
        /// The index.
        index: StoryIndex,
        /// The last store change it contains.
        last_change: i64,
    },
    /// A new, empty index (the old one was missing, unreadable or of another schema version):
    /// fill it from the store, commit, then [`StoryIndex::publish`] it.
    Fresh {
        /// The empty index.
        index: StoryIndex,
        /// Why the old one could not be used.
        reason: String,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io { path: path.to_owned(), source }
}

impl StoryIndex {
    /// Opens the live index under `root` (e.g. `DATA/index`), or makes a fresh one when it is
    /// missing, corrupt or of another schema version.
    pub fn open(root: &Path) -> Result<Opened, IndexError> {
        fs::create_dir_all(root).map_err(io_error(root))?;
        let current = fs::read_to_string(root.join(CURRENT_FILE)).ok().map(|name| name.trim().to_owned());
        let reason = match current {
            None => "there is no index yet".to_owned(),
            Some(generation) if !is_generation_name(&generation) => format!("CURRENT names {generation:?}"),
            Some(generation) => match Self::open_generation(root, &generation) {
                Ok((index, Some(payload))) if payload.schema == SCHEMA_VERSION => {
                    return Ok(Opened::Existing { index, last_change: payload.last_change });
                }
                Ok((_, Some(payload))) => {
                    format!(
                        "the index has schema version {}, this build writes {SCHEMA_VERSION}",
                        payload.schema
                    )
                }
                Ok((_, None)) => "the index has no commit of this version".to_owned(),
                // Never rebuild (and delete) an index another process is using.
                Err(IndexError::Tantivy(tantivy::TantivyError::LockFailure(..))) => {
                    return Err(IndexError::Locked);
                }
                Err(err) => format!("the index cannot be opened ({err})"),
            },
        };
        Ok(Opened::Fresh { index: Self::create_generation(root)?, reason })
    }

    /// Makes a new, empty generation under `root`, not yet live.
    pub fn create_generation(root: &Path) -> Result<StoryIndex, IndexError> {
        let generation = format!("gen-{}", uuid_like());
        let dir = root.join(&generation);
        fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        let fields = Fields::new();
        let directory = MmapDirectory::open(&dir).map_err(|err| IndexError::Invalid(err.to_string()))?;
        let index = Index::builder()
            .schema(fields.schema.clone())
            .register_plugin(Arc::new(word_map::WordMapPlugin { text: fields.text }))
            .open_or_create(directory)?;
        Self::assemble(index, fields, root, generation)
    }

    fn open_generation(root: &Path, generation: &str) -> Result<(StoryIndex, Option<Payload>), IndexError> {
        let mut index = Index::open_in_dir(root.join(generation))?;
        let fields = Fields::new();
        if index.schema() != fields.schema {
            return Err(IndexError::Invalid("its schema differs from this build's".into()));
        }
        // Not recorded in the index: registered at each open, as tokenizers are. An index made
        // without it fails to open a writer (tantivy checks), and is then rebuilt.
        index.register_plugin(Arc::new(word_map::WordMapPlugin { text: fields.text }));
        let payload = index.load_metas()?.payload.and_then(|payload| serde_json::from_str(&payload).ok());
        Ok((Self::assemble(index, fields, root, generation.to_owned())?, payload))
    }

    fn assemble(
        index: Index,
        fields: Fields,
        root: &Path,
        generation: String,
    ) -> Result<StoryIndex, IndexError> {
        analysis::register(&index);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
        let writer = index.writer_with_num_threads(threads, writer_memory())?;
        let word_maps = Arc::new(search::WordMaps::default());
        let warmer: Arc<dyn tantivy::Warmer> = Arc::clone(&word_maps) as _;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .warmers(vec![Arc::downgrade(&warmer)])
            .try_into()?;
        Ok(StoryIndex {
            index,
            fields,
            writer: Mutex::new(writer),
            reader,
            facets: Arc::default(),
            filters: Arc::new(filters::FilterCache::default()),
            id_columns: search::IdColumns::default(),
            word_maps,
            root: root.to_owned(),
            generation,
        })
    }

    /// Makes this generation the live one (an atomic rename of `CURRENT`) and deletes the others.
    pub fn publish(&self) -> Result<(), IndexError> {
        let temporary = self.root.join("CURRENT.tmp");
        fs::write(&temporary, &self.generation).map_err(io_error(&temporary))?;
        fs::File::open(&temporary).and_then(|file| file.sync_all()).map_err(io_error(&temporary))?;
        fs::rename(&temporary, self.root.join(CURRENT_FILE)).map_err(io_error(&self.root))?;
        if let Ok(root) = fs::File::open(&self.root) {
            let _ = root.sync_all();
        }
        if let Err(err) = self.remove_other_generations() {
            tracing::warn!(error = %err, "could not remove an old index generation; it goes at the next erasure");
        }
        Ok(())
    }

    /// Deletes every generation under the root but this one (old ones, and any a failed rebuild
    /// left behind): they may hold erased stories.
    pub fn remove_other_generations(&self) -> Result<(), IndexError> {
        for entry in fs::read_dir(&self.root).map_err(io_error(&self.root))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_generation_name(&name) && name != self.generation {
                fs::remove_dir_all(entry.path()).map_err(io_error(&entry.path()))?;
            }
        }
        Ok(())
    }

    /// Adds or replaces stories (by id). Visible to searches after the next [`commit`](Self::commit).
    pub fn upsert(&self, stories: &[Story]) -> Result<(), IndexError> {
        let writer = self.writer()?;
        for story in stories {
            writer.delete_term(Term::from_field_text(self.fields.id, &story.id.to_string()));
            writer.add_document(self.fields.document(story))?;
        }
        Ok(())
    }

    /// Adds stories the index cannot hold yet (just stored, under ids made for them): as
    /// [`upsert`](Self::upsert), without deleting an earlier version first, which costs a lookup
    /// of the story's id in each segment when tantivy writes one. Visible after the next commit.
    pub fn add_new(&self, stories: &[Story]) -> Result<(), IndexError> {
        let writer = self.writer()?;
        for story in stories {
            writer.add_document(self.fields.document(story))?;
        }
        Ok(())
    }

    /// Removes a story. Visible after the next commit.
    pub fn delete(&self, id: StoryId) -> Result<(), IndexError> {
        self.writer()?.delete_term(Term::from_field_text(self.fields.id, &id.to_string()));
        Ok(())
    }

    /// Commits everything added since the last commit, recording `last_change` (the store's change
    /// sequence number the index now contains), and makes it visible to searches.
    pub fn commit(&self, last_change: i64) -> Result<(), IndexError> {
        let payload = serde_json::to_string(&Payload { schema: SCHEMA_VERSION, last_change })
            .map_err(|err| IndexError::Invalid(err.to_string()))?;
        {
            let mut writer = self.writer()?;
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// Starts loading many stories (a rebuild, a large ingest): background merges pause until
    /// [`StoryIndex::finish_bulk_load`], which merges what the load added into one segment. The
    /// usual policy would merge the load's segments as they pile up, level by level, only for
    /// them to be merged again; and a bulk ingest would leave searches slow (a dozen segments)
    /// until later commits let the policy catch up.
    pub fn start_bulk_load(&self) -> Result<BulkLoad, IndexError> {
        let before = self.index.searchable_segment_metas()?.iter().map(|meta| meta.id()).collect();
        self.writer()?.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
        Ok(BulkLoad { before })
    }

    /// Ends a bulk load (call after its commit, also when it failed): merges the segments it
    /// added into one, leaves the segments from before alone (merging a large index whole for a
    /// few thousand new stories would rewrite all of it), and resumes tantivy's usual merge
    /// policy (merge segments of similar size).
    pub fn finish_bulk_load(&self, load: BulkLoad) -> Result<(), IndexError> {
        let merged = self.merge_segments(|meta| !load.before.contains(&meta.id()), 2);
        self.writer()?.set_merge_policy(Box::new(tantivy::merge_policy::LogMergePolicy::default()));
        merged
    }

    /// Physically drops deleted stories: merges every segment that still holds deleted documents
    /// (a merge rewrites terms, postings and stored ids without them; a term only they used is
    /// gone), then deletes the files no segment uses any more. Call after a commit.
    pub fn purge_deleted(&self) -> Result<(), IndexError> {
        self.merge_segments(|meta| meta.has_deletes(), 1)
    }

    /// Merges the committed segments `wanted` picks, as long as it picks at least `at_least`,
    /// then deletes the files no segment uses any more.
    fn merge_segments(
        &self,
        wanted: impl Fn(&tantivy::index::SegmentMeta) -> bool,
        at_least: usize,
    ) -> Result<(), IndexError> {
        for attempt in 0.. {
            let metas = self.index.searchable_segment_metas()?;
            let segments: Vec<tantivy::index::SegmentId> =
                metas.iter().filter(|meta| wanted(meta)).map(|meta| meta.id()).collect();
            if segments.is_empty() || segments.len() < at_least {
                break;
            }
            // A background merge may hold some of these segments; wait for it and try again.
            match self.writer()?.merge(&segments).wait() {
                Ok(_) => {}
                Err(err) if attempt >= 200 => return Err(err.into()),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(25)),
            }
        }
        self.writer()?.garbage_collect_files().wait()?;
        self.reader.reload()?;
        Ok(())
    }

    /// What the index physically holds of a story and of a word, read through tantivy (a byte
    /// search of the files would miss terms in compressed blocks): every term of any field that
    /// contains `needle` (lowercased), whether any segment holds `id` (deleted or not), and how
    /// many deleted documents the segments still carry. For erasure checks.
    pub fn trace(&self, needle: &str, id: StoryId) -> Result<Trace, IndexError> {
        let needle = needle.to_lowercase();
        // Everything committed, also by merges since the last commit.
        self.reader.reload()?;
        let (searcher, maps) = self.searcher()?;
        let id_term = Term::from_field_text(self.fields.id, &id.to_string());
        let mut trace = Trace::default();
        for (segment, map) in searcher.segment_readers().iter().zip(&maps) {
            trace.deleted_documents += u64::from(segment.num_deleted_docs());
            if segment
                .inverted_index(self.fields.id)?
                .get_term_info(&id_term)
                .map_err(io_error(&self.root))?
                .is_some()
            {
                trace.holds_story = true;
            }
            // The word map lists the text's words too.
            for entry in map.entries() {
                if entry.to_lowercase().contains(&needle) {
                    trace.terms.push(format!("word map: {entry}"));
                }
            }
            for (field, entry) in self.fields.schema.fields() {
                if !entry.is_indexed() {
                    continue;
                }
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().stream().map_err(io_error(&self.root))?;
                while stream.advance() {
                    let term = String::from_utf8_lossy(stream.key()).to_lowercase();
                    if term.contains(&needle) {
                        trace.terms.push(format!("{}: {term}", entry.name()));
                    }
                }
            }
        }
        Ok(trace)
    }

    /// The last store change the committed index contains.
    pub fn last_change(&self) -> Result<i64, IndexError> {
        let payload = self.index.load_metas()?.payload;
        Ok(payload.and_then(|p| serde_json::from_str::<Payload>(&p).ok()).map_or(0, |p| p.last_change))
    }

    /// How many stories the committed index holds.
    pub fn num_stories(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The folder of this generation.
    pub fn path(&self) -> PathBuf {
        self.root.join(&self.generation)
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>, IndexError> {
        self.writer.lock().map_err(|_| IndexError::Invalid("the index writer lock was poisoned".into()))
    }
}

fn is_generation_name(name: &str) -> bool {
    name.strip_prefix("gen-")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// A unique, sortable generation suffix: nanoseconds since the epoch and the process id.
fn uuid_like() -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}

/// A submitted English text story without consent, for unit tests.
#[cfg(test)]
pub(crate) fn test_story(title: &str, body: &str) -> Story {
    Story {
        id: StoryId::new(),
        details: storybank_domain::StoryDetails {
            title: storybank_domain::Title::parse(title).unwrap(),
            story_type: storybank_domain::StoryType::Snapshot,
            language: storybank_domain::Language::parse("en").unwrap(),
            prompt: None,
            place: None,
            recorded_on: None,
            reporter: None,
            storyteller: None,
            consent: None,
            themes: Vec::new(),
            tags: Vec::new(),
        },
        content: storybank_domain::StoryContent::Text { body: body.to_owned() },
        status: storybank_domain::Status::Submitted,
        provenance: None,
        content_hash: storybank_domain::ContentHash::from_hex(&"a".repeat(64)).unwrap(),
        ingest_warnings: Vec::new(),
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_memory_follows_the_machines_memory() {
        for (meminfo, expected) in [
            ("MemTotal:       24567780 kB\nMemFree:  1 kB\n", Some(24_567_780 * 1024)),
            ("MemFree: 1 kB\nMemTotal: 1024 kB\n", Some(1024 * 1024)),
            ("MemTotal: lots\n", None),
            ("MemTotal: 1024\n", None),
            ("", None),
        ] {
            assert_eq!(memory_in_meminfo(meminfo), expected, "{meminfo:?}");
        }
        for (limit, expected) in [
            ("max\n", None),
            ("1073741824\n", Some(1 << 30)),
            // cgroup v1's "no limit".
            ("9223372036854771712\n", usize::try_from(9_223_372_036_854_771_712u64).ok()),
            ("", None),
        ] {
            assert_eq!(cgroup_limit(limit), expected, "{limit:?}");
        }
        let budget = writer_memory();
        assert!((128 << 20..=640 << 20).contains(&budget), "{budget}");
    }

    #[test]
    fn a_bulk_load_pauses_merges_then_merges_only_what_it_added() {
        let root = tempfile::tempdir().unwrap();
        let index = StoryIndex::create_generation(root.path()).unwrap();
        let policy = |index: &StoryIndex| format!("{:?}", index.writer().unwrap().get_merge_policy());
        let segments = |index: &StoryIndex| index.index.searchable_segment_metas().unwrap().len();
        let story = |title: &str| test_story(title, &format!("{title} text"));
        // Three commits before the load: three segments, which the load leaves alone.
        for title in ["One", "Two", "Three"] {
            index.upsert(&[story(title)]).unwrap();
            index.commit(0).unwrap();
        }
        assert!(policy(&index).starts_with("LogMergePolicy"), "{}", policy(&index));
        let before = segments(&index);
        let load = index.start_bulk_load().unwrap();
        assert!(policy(&index).starts_with("NoMergePolicy"), "{}", policy(&index));
        for title in ["Four", "Five", "Six"] {
            index.upsert(&[story(title)]).unwrap();
            index.commit(1).unwrap();
        }
        assert_eq!(segments(&index), before + 3);
        index.finish_bulk_load(load).unwrap();
        assert_eq!(segments(&index), before + 1, "the load's three segments are one");
        assert_eq!(index.num_stories(), 6);
        assert!(policy(&index).starts_with("LogMergePolicy"), "{}", policy(&index));
    }
}
