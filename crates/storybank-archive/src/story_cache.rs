//! Stories recently read for search pages, kept whole in memory, so that a page of hits does not
//! read the same stories from SQLite again (a B-tree search per story in each of four tables, and
//! every row's strings made and parsed: a third of a search page's time).
//!
//! The store's change log keeps it right: every change to a story (ingest, edit, tags, themes,
//! status, consent, notes, withdrawal, redaction, erasure, taxonomy changes) appends to
//! `story_changes` in the same transaction. Before each use, the cache reads the log's last
//! number (one B-tree step); if it moved, the stories changed since are dropped (or all of them,
//! after many changes) before anything is served. A story stored while a page was being read is
//! only kept when no change has been seen since that page started: a page that read an older
//! version cannot put it back after a newer page dropped it, nor after an erasure or redaction
//! forgot it (`generation` counts those). A page that read the log before a newer page looked
//! serves what is kept (newer than what it saw) and keeps nothing.
//!
//! It holds at most [`StoryCache::new`]'s budget of text (a story's size is estimated from its
//! text and parts), dropping the least recently used first.

use std::sync::{Arc, Mutex};

use lru::LruCache;
use storybank_domain::{Story, StoryContent, StoryId};
use storybank_store::Store;

use crate::ArchiveError;

/// How many changes since the last look are read one by one; after more, everything is dropped.
const MOST_CHANGES_FOLLOWED: i64 = 4_096;

/// Stories kept for reading, up to a budget of bytes.
pub(crate) struct StoryCache {
    budget: usize,
    /// [`MOST_CHANGES_FOLLOWED`], but for tests.
    most_changes_followed: i64,
    state: Mutex<State>,
}

struct State {
    /// The last change the kept stories reflect.
    seen: i64,
    /// Counts the times stories were dropped other than by the change log (forgotten, or all
    /// at once), so that a page that looked before cannot put them back.
    generation: u64,
    stories: LruCache<StoryId, Arc<Story>>,
    bytes: usize,
}

impl std::fmt::Debug for StoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoryCache").field("budget", &self.budget).finish_non_exhaustive()
    }
}

impl StoryCache {
    /// A cache holding about `budget` bytes of stories (0 keeps none).
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            budget,
            most_changes_followed: MOST_CHANGES_FOLLOWED,
            state: Mutex::new(State { seen: 0, generation: 0, stories: LruCache::unbounded(), bytes: 0 }),
        }
    }

    /// The stories of `ids` that are stored, in the order asked (each once), from memory where
    /// kept and current, else read through `store` (a reader connection) and kept.
    pub(crate) fn stories(&self, store: &Store, ids: &[StoryId]) -> Result<Vec<Arc<Story>>, ArchiveError> {
        if self.budget == 0 {
            return Ok(store.stories(ids)?.into_iter().map(Arc::new).collect());
        }
        let last = store.last_change()?;
        let page = self.look_up(store, last, ids)?;
        let read = if page.missing.is_empty() { Vec::new() } else { store.stories(&page.missing)? };
        Ok(self.finish(page, read))
    }

    /// A page's first step, having read the change log's last number `last`: drops what changed
    /// since the cache last looked, and finds what it holds of `ids`.
    fn look_up(&self, store: &Store, last: i64, ids: &[StoryId]) -> Result<Page, ArchiveError> {
        let mut state = self.lock();
        if last > state.seen {
            // The changes are read under the lock (a few, as writes go), so that no page
            // serves a story dropped meanwhile.
            if state.stories.is_empty() {
                // Nothing to drop.
            } else if last - state.seen <= self.most_changes_followed {
                let (changed, _) = store.changes_since(state.seen)?;
                for id in changed {
                    state.remove(&id);
                }
            } else {
                state.clear();
            }
            state.seen = last;
        }
        // A page that read the log before a newer page looked (`last < seen`) serves what is
        // kept, which is newer than what it saw, and keeps nothing of its own.
        let may_keep = (last == state.seen).then_some((last, state.generation));
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            let story = state.stories.get(id).map(Arc::clone);
            if story.is_none() {
                missing.push(*id);
            }
            found.push((*id, story));
        }
        Ok(Page { found, missing, may_keep })
    }

    /// A page's last step: `read` (what the store holds of the page's missing stories) fills
    /// the gaps, and is kept only if nothing was seen or dropped since the page looked: a newer
    /// page may have dropped an older version of one of these, or an erasure its text.
    fn finish(&self, page: Page, read: Vec<Story>) -> Vec<Arc<Story>> {
        let Page { mut found, may_keep, .. } = page;
        let mut state = self.lock();
        let keep = may_keep == Some((state.seen, state.generation));
        for story in read {
            let story = Arc::new(story);
            for (id, slot) in &mut found {
                if *id == story.id && slot.is_none() {
                    *slot = Some(Arc::clone(&story));
                }
            }
            if keep {
                state.insert(story, self.budget);
            }
        }
        drop(state);
        let mut seen = std::collections::HashSet::with_capacity(found.len());
        found.into_iter().filter_map(|(_, story)| story).filter(|story| seen.insert(story.id)).collect()
    }

    /// Drops a story at once (erased or redacted: its old text leaves memory now rather than at
    /// the next search), and keeps pages that read it before from putting it back. (Only this
    /// process's erasures: the server is the one process that serves search pages.)
    pub(crate) fn forget(&self, id: StoryId) {
        let mut state = self.lock();
        state.remove(&id);
        state.generation += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => {
                // A page panicked while holding it: start again empty rather than fail every
                // search from now on.
                let mut state = poisoned.into_inner();
                state.clear();
                self.state.clear_poison();
                state
            }
        }
    }
}

/// A page between looking in the cache and reading what it lacks from the store.
struct Page {
    /// Each id asked, with its story if kept.
    found: Vec<(StoryId, Option<Arc<Story>>)>,
    missing: Vec<StoryId>,
    /// The log number and generation the page looked at, if it may keep what it reads.
    may_keep: Option<(i64, u64)>,
}

impl State {
    fn insert(&mut self, story: Arc<Story>, budget: usize) {
        let size = estimated_size(&story);
        if size > budget / 8 {
            // A very long story would push out many others.
            return;
        }
        if let Some(old) = self.stories.put(story.id, story) {
            self.bytes -= estimated_size(&old);
        }
        self.bytes += size;
        while self.bytes > budget {
            match self.stories.pop_lru() {
                Some((_, old)) => self.bytes -= estimated_size(&old),
                None => break,
            }
        }
    }

    fn remove(&mut self, id: &StoryId) {
        if let Some(old) = self.stories.pop(id) {
            self.bytes -= estimated_size(&old);
        }
    }

    fn clear(&mut self) {
        self.stories.clear();
        self.bytes = 0;
        self.generation += 1;
    }
}

/// About how many bytes a story takes in memory: its text and a fixed share for the rest.
fn estimated_size(story: &Story) -> usize {
    const FIXED: usize = 1_024;
    let details = &story.details;
    let text = match &story.content {
        StoryContent::Text { body } => body.len(),
        StoryContent::Transcript { cues } => cues
            .iter()
            .map(|cue| cue.text().len() + cue.speaker().map_or(0, |speaker| speaker.as_str().len()) + 64)
            .sum(),
        StoryContent::Image { caption, alt_text, .. } => {
            caption.len() + alt_text.as_ref().map_or(0, |alt| alt.as_str().len())
        }
    };
    FIXED
        + text
        + details.title.as_str().len()
        + details.themes.iter().map(|theme| theme.as_str().len() + 32).sum::<usize>()
        + details.tags.iter().map(|tag| tag.as_str().len() + 32).sum::<usize>()
        + story.ingest_warnings.iter().map(|warning| warning.len() + 32).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use storybank_domain::{CurationNotes, Erasure, Note, Status, StoryContent, Tag, ThemePath, Title};
    use storybank_store::{Readers, Store};

    use super::*;

    fn story(name: &str, body: &str) -> Story {
        let ingested = storybank_ingest::ingest_bare_file(
            &format!("{name}.md"),
            format!("# {name}\n\n{body}").as_bytes(),
            &storybank_ingest::Limits::default(),
        )
        .unwrap();
        let mut details = ingested.story.details;
        details.themes = vec![ThemePath::parse("health/mental-health").unwrap()];
        Story {
            id: StoryId::new(),
            details,
            content: StoryContent::Text { body: body.into() },
            status: Status::Submitted,
            provenance: Some(format!("{name}.md")),
            content_hash: ingested.story.content_hash,
            ingest_warnings: Vec::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    /// The stories as the cache gives them.
    fn cached(cache: &StoryCache, store: &Store, ids: &[StoryId]) -> Vec<Story> {
        cache.stories(store, ids).unwrap().into_iter().map(|story| (*story).clone()).collect()
    }

    type Change = Box<dyn Fn(&mut Store, &[StoryId])>;

    #[test]
    fn kept_stories_follow_every_change_the_store_logs() {
        let details = |store: &Store, id: StoryId| store.story(id).unwrap().unwrap().details;
        // (what changes, how): each made through another connection, as the archive's writer does.
        let changes: Vec<(&str, Change)> = vec![
            ("status", Box::new(|store, ids| assert!(store.set_status(ids[0], Status::Reviewed).unwrap()))),
            (
                "title and tags",
                Box::new(move |store, ids| {
                    let mut changed = details(store, ids[1]);
                    changed.title = Title::parse("A new title").unwrap();
                    changed.tags.push(Tag::parse("buses").unwrap());
                    assert!(store.update_details(ids[1], &changed, "details").unwrap());
                }),
            ),
            (
                "notes (the story's updated_at)",
                Box::new(|store, ids| {
                    let notes = CurationNotes {
                        key_message: Note::parse("Buses are rare").unwrap(),
                        key_learning: None,
                    };
                    assert!(store.set_notes(ids[2], &notes).unwrap());
                }),
            ),
            (
                "a theme renamed",
                Box::new(|store, _| {
                    let from = ThemePath::parse("health/mental-health").unwrap();
                    let to = ThemePath::parse("health/wellbeing").unwrap();
                    assert_eq!(store.rename_theme(&from, &to, "Wellbeing").unwrap(), 4);
                }),
            ),
            (
                "withdrawn",
                Box::new(|store, ids| assert!(store.set_status(ids[3], Status::Withdrawn).unwrap())),
            ),
            (
                "erased",
                Box::new(|store, ids| {
                    let erasure =
                        Erasure { story: ids[0], erased_at: Utc::now(), erased_by: None, packs: Vec::new() };
                    assert!(store.erase_story(&erasure).unwrap().is_some());
                }),
            ),
        ];
        for budget in [0, 1 << 20] {
            let dir = tempfile::tempdir().unwrap();
            let mut writer = Store::open(dir.path()).unwrap();
            let stories: Vec<Story> = ["one", "two", "three", "four"]
                .iter()
                .map(|name| story(name, &format!("The {name} story, about the bus to the clinic.")))
                .collect();
            writer.insert_stories(&stories, true).unwrap();
            let ids: Vec<StoryId> = stories.iter().map(|story| story.id).collect();
            let readers = Readers::new(dir.path());
            let reader = readers.get().unwrap();
            let cache = StoryCache::new(budget);
            for (what, change) in &changes {
                assert_eq!(cached(&cache, &reader, &ids), reader.stories(&ids).unwrap(), "before: {what}");
                change(&mut writer, &ids);
                assert_eq!(cached(&cache, &reader, &ids), reader.stories(&ids).unwrap(), "after: {what}");
                let state = cache.lock();
                assert_eq!(
                    state.bytes,
                    state.stories.iter().map(|(_, story)| estimated_size(story)).sum::<usize>()
                );
            }
            if budget == 0 {
                continue;
            }
            // Forgetting a story drops it at once.
            assert!(cache.lock().stories.contains(&ids[1]));
            cache.forget(ids[1]);
            assert!(!cache.lock().stories.contains(&ids[1]));
            // After more changes than it follows one by one, it starts again.
            let mut cache = StoryCache::new(budget);
            cache.most_changes_followed = 1;
            assert_eq!(cached(&cache, &reader, &ids[1..]).len(), 3);
            let mut changed = details(&writer, ids[2]);
            changed.title = Title::parse("Changed twice").unwrap();
            assert!(writer.update_details(ids[2], &changed, "details").unwrap());
            assert!(writer.set_status(ids[1], Status::Published).unwrap());
            assert_eq!(cached(&cache, &reader, &ids), reader.stories(&ids).unwrap(), "after many changes");
        }
    }

    type Between<'a> = Box<dyn Fn(&StoryCache, &mut Store, &[StoryId]) + 'a>;

    #[test]
    fn a_page_that_looked_before_cannot_put_back_what_was_dropped_since() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Store::open(dir.path()).unwrap();
        let stories: Vec<Story> =
            ["one", "two"].iter().map(|name| story(name, "A story about buses.")).collect();
        writer.insert_stories(&stories, true).unwrap();
        let ids: Vec<StoryId> = stories.iter().map(|story| story.id).collect();
        let readers = Readers::new(dir.path());
        let reader = readers.get().unwrap();
        // (what happens between a page's look and the end of its read, whether it keeps what it read)
        let cases: Vec<(&str, Between<'_>, bool)> = vec![
            ("nothing", Box::new(|_, _, _| {}), true),
            ("the story forgotten (erased)", Box::new(|cache, _, ids| cache.forget(ids[0])), false),
            (
                "a change that a newer page saw",
                Box::new(|cache, writer, ids| {
                    assert!(writer.set_status(ids[1], Status::Reviewed).unwrap());
                    cache.stories(&reader, &ids[1..]).unwrap();
                }),
                false,
            ),
        ];
        for (what, between, kept) in cases {
            let cache = StoryCache::new(1 << 20);
            let page = cache.look_up(&reader, reader.last_change().unwrap(), &ids[..1]).unwrap();
            assert_eq!(page.missing, ids[..1], "{what}");
            between(&cache, &mut writer, &ids);
            let read = reader.stories(&page.missing).unwrap();
            assert_eq!(cache.finish(page, read).len(), 1, "served either way: {what}");
            assert_eq!(cache.lock().stories.contains(&ids[0]), kept, "{what}");
        }
        // A page that read the log before a newer page looked serves what is kept, keeps nothing
        // and drops nothing.
        let cache = StoryCache::new(1 << 20);
        let stale = reader.last_change().unwrap();
        assert!(writer.set_status(ids[1], Status::Published).unwrap());
        cache.stories(&reader, &ids[1..]).unwrap();
        let page = cache.look_up(&reader, stale, &ids).unwrap();
        assert_eq!(page.missing, ids[..1]);
        let read = reader.stories(&page.missing).unwrap();
        let served: Vec<StoryId> = cache.finish(page, read).iter().map(|story| story.id).collect();
        assert_eq!(served, ids);
        let state = cache.lock();
        assert!(state.stories.contains(&ids[1]) && !state.stories.contains(&ids[0]));
    }

    #[test]
    fn stories_come_in_the_order_asked_within_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Store::open(dir.path()).unwrap();
        let stories: Vec<Story> =
            (0..14).map(|n| story(&format!("s{n:02}"), &"Words of a story. ".repeat(20))).collect();
        writer.insert_stories(&stories, true).unwrap();
        let id = |n: usize| stories[n].id;
        let size = estimated_size(&stories[13]);
        assert!(stories.iter().all(|story| estimated_size(story) == size));
        // Room for ten stories and a half (none is too large to keep).
        let cache = StoryCache::new(10 * size + size / 2);
        let missing = StoryId::new();
        // (ids asked, how many stories are kept after)
        for (asked, kept) in [
            (vec![id(0), id(1), id(2)], 3),
            (vec![id(2), id(1), id(0)], 3),
            (vec![id(3), missing, id(3), id(4)], 5),
            ((0..14).rev().map(id).collect(), 10),
            (vec![id(13), id(0), id(1)], 10),
            (vec![missing], 10),
            (vec![], 10),
        ] {
            let expected: Vec<StoryId> = {
                let mut seen = std::collections::HashSet::new();
                asked.iter().copied().filter(|asked| *asked != missing && seen.insert(*asked)).collect()
            };
            let got: Vec<StoryId> =
                cache.stories(&writer, &asked).unwrap().iter().map(|story| story.id).collect();
            assert_eq!(got, expected, "{asked:?}");
            let state = cache.lock();
            assert!(state.bytes <= cache.budget, "{} bytes kept", state.bytes);
            assert_eq!(
                state.bytes,
                state.stories.iter().map(|(_, story)| estimated_size(story)).sum::<usize>()
            );
            assert_eq!(state.stories.len(), kept, "{asked:?}");
            // What was just asked is kept, when it fits.
            if expected.len() <= 10 {
                assert!(expected.iter().all(|id| state.stories.contains(id)), "{asked:?}");
            }
        }
        // The story unused the longest goes first.
        let cache = StoryCache::new(10 * size + size / 2);
        for n in (0..10).chain([0, 10]) {
            cache.stories(&writer, &[id(n)]).unwrap();
        }
        let state = cache.lock();
        let mut kept: Vec<StoryId> = state.stories.iter().map(|(id, _)| *id).collect();
        kept.sort();
        let mut expected: Vec<StoryId> = [0, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(id).to_vec();
        expected.sort();
        assert_eq!(kept, expected);
    }
}
