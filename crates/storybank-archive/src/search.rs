//! Search and the index's upkeep: catching up with the store, rebuilding, answering queries.

use chrono::NaiveDate;
use serde::Serialize;
use storybank_domain::{Audience, Form, Language, Story, StoryId, StoryType, Tag, ThemePath, Title};
use storybank_index::{Facets, Opened, SearchRequest, Snippet, StoryIndex};
use storybank_store::Store;

use crate::{Archive, ArchiveError, ErrorKind, Progress};

/// Stories loaded and indexed per step of a rebuild or catch-up.
const INDEX_CHUNK: usize = 512;

/// A search hit with what a result list shows, read from the store.
#[derive(Clone, Debug, Serialize)]
pub struct SearchHitView {
    /// The story.
    pub id: StoryId,
    /// Its title.
    pub title: Title,
    /// Where it came from (the provenance path).
    pub source: Option<String>,
    /// BM25 score (0 when sorted by date).
    pub score: f32,
    /// The matched words in context, when the query has words.
    pub snippet: Option<Snippet>,
    /// Its themes.
    pub themes: Vec<ThemePath>,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// Its form.
    pub form: Form,
    /// Its story type.
    pub story_type: StoryType,
    /// Where it is in curation.
    pub status: storybank_domain::Status,
    /// Its language.
    pub language: Language,
    /// Where.
    pub place: Option<String>,
    /// When.
    pub recorded_on: Option<NaiveDate>,
}

/// The answer to a search: `total`, this page's `hits`, and `facets` over all matches.
#[derive(Clone, Debug, Serialize)]
pub struct SearchResponse {
    /// How many stories match.
    pub total: usize,
    /// This page.
    pub hits: Vec<SearchHitView>,
    /// Counts of themes (every level), forms, languages and story types.
    pub facets: Facets,
}

pub(crate) fn index_error(err: storybank_index::IndexError) -> ArchiveError {
    match err {
        storybank_index::IndexError::Invalid(message) => ArchiveError::new(ErrorKind::Invalid, message),
        storybank_index::IndexError::Locked => ArchiveError::new(
            ErrorKind::Conflict,
            "another storybank process is using this data directory (its search index is locked); stop it, or use its web pages or API, and try again",
        ),
        other => ArchiveError::new(ErrorKind::Internal, other.to_string()),
    }
}

/// Opens the index under `root`, bringing it up to date with `store`: catches up on changes it
/// lacks, or rebuilds it when it is missing, corrupt or of another schema version.
pub(crate) fn open_index(store: &Store, root: &std::path::Path) -> Result<StoryIndex, ArchiveError> {
    match StoryIndex::open(root).map_err(index_error)? {
        Opened::Existing { index, last_change } => {
            catch_up(store, &index, last_change)?;
            Ok(index)
        }
        Opened::Fresh { index, reason } => {
            tracing::info!(reason, "building the search index from the store");
            fill(store, &index, &crate::NoProgress)?;
            index.publish().map_err(index_error)?;
            Ok(index)
        }
    }
}

/// Indexes every story changed after `last_change`.
pub(crate) fn catch_up(store: &Store, index: &StoryIndex, last_change: i64) -> Result<(), ArchiveError> {
    let (ids, last) = store.changes_since(last_change)?;
    if ids.is_empty() {
        return Ok(());
    }
    tracing::info!(
        stories = ids.len(),
        from = last_change,
        to = last,
        "catching the search index up with the store"
    );
    for chunk in ids.chunks(INDEX_CHUNK) {
        let stories = store.stories(chunk)?;
        // A story changed and then erased is no longer stored: it leaves the index.
        let stored: std::collections::HashSet<StoryId> = stories.iter().map(|story| story.id).collect();
        for id in chunk.iter().filter(|id| !stored.contains(id)) {
            index.delete(*id).map_err(index_error)?;
        }
        index.upsert(&stories).map_err(index_error)?;
    }
    index.commit(last).map_err(index_error)
}

/// Indexes every story of the store into `index` (a fresh generation) and commits.
fn fill(store: &Store, index: &StoryIndex, progress: &dyn Progress) -> Result<(), ArchiveError> {
    // Every change up to here is in what we read next; later ones are caught up after.
    let last_change = store.last_change()?;
    let ids = store.story_ids()?;
    progress.started(ids.len());
    let started = std::time::Instant::now();
    // One segment in the end instead of one per few thousand stories: each search word is then
    // looked up once.
    let load = index.start_bulk_load().map_err(index_error)?;
    let loaded = (|| {
        for chunk in ids.chunks(INDEX_CHUNK) {
            // A fresh generation holds none of them yet: nothing to replace.
            index.add_new(&store.stories(chunk)?).map_err(index_error)?;
            progress.advanced(chunk.len());
        }
        index.commit(last_change).map_err(index_error)
    })();
    let indexed = started.elapsed();
    let merged = index.finish_bulk_load(load).map_err(index_error);
    loaded?;
    merged?;
    tracing::info!(
        stories = ids.len(),
        indexing_seconds = indexed.as_secs_f64(),
        merging_seconds = (started.elapsed() - indexed).as_secs_f64(),
        "search index filled from the store"
    );
    Ok(())
}

impl Archive {
    /// Searches the stories the request's audience may see.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, ArchiveError> {
        // Outside the curation team, places are shown coarsened and reporters not at all, so
        // filtering by an exact place or a reporter would reveal what the results hide.
        let narrowed;
        // When a story's consent ends is the curation team's business too.
        let request = if request.audience != Audience::Curator
            && (request.place.is_some() || !request.reporters.is_empty() || request.consent_ends.is_some())
        {
            let mut copy = request.clone();
            copy.place = None;
            copy.reporters.clear();
            copy.consent_ends = None;
            narrowed = copy;
            &narrowed
        } else {
            request
        };
        // The index answers first; the hits are then read from the store through a read-only
        // connection, so searches never wait for a write (nor writes for a search). A story
        // changed in between is read as it is now, and the store's data has the last word.
        let results = self.index()?.search(request).map_err(index_error)?;
        let ids: Vec<StoryId> = results.hits.iter().map(|hit| hit.id).collect();
        // From the story cache where it holds them current (see `story_cache`).
        let read = self.story_cache.stories(&*self.reader()?, &ids)?;
        let mut read: std::collections::HashMap<StoryId, std::sync::Arc<Story>> =
            read.into_iter().map(|story| (story.id, story)).collect();
        let mut stories = Vec::with_capacity(results.hits.len());
        for hit in &results.hits {
            let Some(story) = read.remove(&hit.id) else {
                // Erased or changed since the index answered; it is not shown.
                tracing::debug!(story = %hit.id, "a search hit is no longer in the store");
                continue;
            };
            if !request.audience.may_see(&story, request.today) {
                tracing::debug!(story = %hit.id, "a search hit may no longer be seen by its audience");
                continue;
            }
            stories.push((story, hit));
        }
        let index = self.index()?;
        let mut snippets = index.snippets(request, 180).map_err(index_error)?;
        let mut hits = Vec::with_capacity(stories.len());
        for (story, hit) in stories {
            let snippet = match snippets.as_mut() {
                Some(snippets) => {
                    let text = storybank_domain::disclosed_words(
                        &story,
                        request.audience,
                        &story.content.full_text(),
                    );
                    snippets.of_hit(hit, &story, &text).map_err(index_error)?
                }
                None => None,
            };
            hits.push(view(&story, hit.score, snippet, request.audience));
        }
        Ok(SearchResponse { total: results.total, hits, facets: results.facets })
    }

    /// The index's answer alone: ids, scores, total and facets, without reading the stories from
    /// the store or making snippets (for counts, and for measuring the index).
    pub fn search_hits(
        &self,
        request: &SearchRequest,
    ) -> Result<storybank_index::SearchResults, ArchiveError> {
        self.index()?.search(request).map_err(index_error)
    }

    /// Stories like `id` that `audience` may see.
    pub fn more_like_this(
        &self,
        id: StoryId,
        audience: Audience,
        today: NaiveDate,
        limit: usize,
    ) -> Result<Vec<SearchHitView>, ArchiveError> {
        let store = self.reader()?;
        let story = store.story(id)?.filter(|story| audience.may_see(story, today));
        let Some(story) = story else {
            return Err(ArchiveError::new(ErrorKind::NotFound, format!("there is no story {id}")));
        };
        let hits = self.index()?.more_like_this(&story, audience, today, limit).map_err(index_error)?;
        let ids: Vec<StoryId> = hits.iter().map(|hit| hit.id).collect();
        // `stories` keeps the order asked and skips what is no longer stored.
        let mut scores: std::collections::HashMap<StoryId, f32> =
            hits.iter().map(|hit| (hit.id, hit.score)).collect();
        Ok(store
            .stories(&ids)?
            .into_iter()
            .filter(|similar| audience.may_see(similar, today))
            .map(|similar| {
                let score = scores.remove(&similar.id).unwrap_or_default();
                view(&similar, score, None, audience)
            })
            .collect())
    }

    /// Rebuilds the search index from the store into a new folder and swaps it in atomically.
    /// Searches keep working on the old index until the swap.
    pub fn reindex(&self, progress: &dyn Progress) -> Result<u64, ArchiveError> {
        let fresh = StoryIndex::create_generation(&self.data_dir.join("index")).map_err(index_error)?;
        {
            let store = self.store()?;
            let filled = fill(&store, &fresh, progress)
                // Stories stored while we were filling are caught up before the swap.
                .and_then(|()| catch_up(&store, &fresh, fresh.last_change().map_err(index_error)?));
            if let Err(err) = filled {
                // A half-built generation is deleted: it may hold stories erased meanwhile.
                let path = fresh.path();
                drop(fresh);
                if let Err(remove) = std::fs::remove_dir_all(&path) {
                    tracing::warn!(error = %remove, "could not remove a failed index generation");
                }
                return Err(err);
            }
            let mut live = self
                .index
                .write()
                .map_err(|_| ArchiveError::new(ErrorKind::Internal, "the index lock was poisoned"))?;
            fresh.publish().map_err(index_error)?;
            let count = fresh.num_stories();
            *live = fresh;
            Ok(count)
        }
    }

    /// Commits what was indexed since the last commit, recording the store's last change.
    pub fn commit_index(&self) -> Result<(), ArchiveError> {
        let store = self.store()?;
        let last_change = store.last_change()?;
        self.index()?.commit(last_change).map_err(index_error)
    }

    pub(crate) fn index(&self) -> Result<std::sync::RwLockReadGuard<'_, StoryIndex>, ArchiveError> {
        self.index.read().map_err(|_| ArchiveError::new(ErrorKind::Internal, "the index lock was poisoned"))
    }
}

fn view(story: &Story, score: f32, snippet: Option<Snippet>, audience: Audience) -> SearchHitView {
    let details = &story.details;
    SearchHitView {
        id: story.id,
        title: details.title.clone(),
        // A file name can carry a name; only the curation team sees where a story came from.
        source: story.provenance.clone().filter(|_| audience == Audience::Curator),
        score,
        snippet,
        themes: details.themes.clone(),
        tags: details.tags.clone(),
        form: story.form(),
        story_type: details.story_type,
        status: story.status,
        language: details.language.clone(),
        place: details.place.as_ref().and_then(|place| {
            if audience == Audience::Curator {
                Some(place.to_string())
            } else {
                storybank_domain::coarsen_place(place.as_str())
            }
        }),
        recorded_on: details.recorded_on,
    }
}
