//! Facet counts at every level of a hierarchy, in one pass over the matches.
//!
//! tantivy's `FacetCollector` counts the children of the facets it is given, one level per
//! collector, and reads every counted facet's text back from the dictionary of every segment on
//! every search. Here each segment is read once (and cached, as segments never change) into, for
//! each document, the combination of paths it counts towards: its facets and their ancestors,
//! each once (a story with two sub-themes of one theme counts once for it). Collecting a match is
//! then one array increment, for its combination; the combinations become paths once per search.
//! The cache costs four bytes per document, and each distinct combination's paths.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::fastfield::FacetReader;
use tantivy::index::SegmentId;
use tantivy::schema::Facet;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::segment_cache::SegmentCache;

/// What a path's parts are joined with in [`LevelCounts`]' answer (a facet's parts never hold it).
pub(crate) const SEPARATOR: char = '\u{0}';

/// For each facet ordinal, the paths (indexes) it counts towards.
type OrdinalPaths = Vec<Vec<u32>>;

/// One segment's facets: every path at every level, and each document's combination of paths.
///
/// Stories share combinations (the same form, language, type and place; the same themes), so a
/// search counts combinations, one increment per match, and turns them into paths once at the
/// end: each match costs one lookup and one increment instead of one per path.
#[derive(Debug)]
struct Levels {
    paths: Vec<Arc<str>>,
    /// Each combination's paths (indexes into `paths`, each once), one after the other: those of
    /// combination `c` are `combined[starts[c]..starts[c + 1]]`. (One array rather than a vector
    /// per combination: a search counts thousands of combinations, and reading each through its
    /// own allocation was a cache miss each, most of a facet count's time.)
    combined: Vec<u32>,
    starts: Vec<u32>,
    /// Each document's combination.
    of_doc: Vec<u32>,
}

impl Levels {
    fn read(facets: &FacetReader, max_doc: DocId) -> tantivy::Result<Self> {
        let (paths, of_ord) = Self::paths_of_ordinals(facets)?;
        let mut combined: Vec<u32> = Vec::new();
        let mut starts: Vec<u32> = vec![0];
        let mut known: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut of_doc = Vec::with_capacity(max_doc as usize);
        let mut scratch: Vec<u32> = Vec::new();
        for doc in 0..max_doc {
            scratch.clear();
            for ord in facets.facet_ords(doc) {
                if let Some(levels) = usize::try_from(ord).ok().and_then(|ord| of_ord.get(ord)) {
                    scratch.extend_from_slice(levels);
                }
            }
            scratch.sort_unstable();
            scratch.dedup();
            let combination = match known.get(&scratch) {
                Some(&combination) => combination,
                None => {
                    let next = u32::try_from(starts.len() - 1).unwrap_or(u32::MAX);
                    combined.extend_from_slice(&scratch);
                    starts.push(u32::try_from(combined.len()).unwrap_or(u32::MAX));
                    known.insert(scratch.clone(), next);
                    next
                }
            };
            of_doc.push(combination);
        }
        Ok(Self { paths, combined, starts, of_doc })
    }

    /// The paths of every level, and for each facet ordinal those it counts towards.
    fn paths_of_ordinals(facets: &FacetReader) -> tantivy::Result<(Vec<Arc<str>>, OrdinalPaths)> {
        let mut paths: Vec<Arc<str>> = Vec::new();
        let mut known: HashMap<String, u32> = HashMap::new();
        let mut of_ord = Vec::with_capacity(facets.num_facets());
        let mut facet = Facet::root();
        for ord in 0..facets.num_facets() as u64 {
            facets.facet_from_ord(ord, &mut facet)?;
            let parts = facet.to_path();
            let mut levels = Vec::with_capacity(parts.len());
            for depth in 1..=parts.len() {
                let path = parts[..depth].join(&SEPARATOR.to_string());
                let next = u32::try_from(paths.len()).unwrap_or(u32::MAX);
                let at = *known.entry(path).or_insert_with_key(|path| {
                    paths.push(Arc::from(path.as_str()));
                    next
                });
                levels.push(at);
            }
            of_ord.push(levels);
        }
        Ok((paths, of_ord))
    }
}

/// The [`Levels`] of each live segment of one facet field.
#[derive(Debug)]
pub(crate) struct LevelCache {
    field: &'static str,
    segments: SegmentCache<Arc<Levels>>,
}

impl LevelCache {
    pub(crate) fn new(field: &'static str) -> Self {
        Self { field, segments: SegmentCache::default() }
    }

    fn levels(&self, segment: &SegmentReader) -> tantivy::Result<Arc<Levels>> {
        self.segments.get_or_build(segment.segment_id(), || {
            let facets = segment.facet_reader(self.field)?;
            Ok(Arc::new(Levels::read(&facets, segment.max_doc())?))
        })
    }

    /// Forgets segments that are no longer searched (merged away).
    pub(crate) fn keep_only(&self, live: &[SegmentId]) {
        self.segments.keep_only(live);
    }
}

/// Counts, for the matching stories, every path of a facet field at every level: for a story
/// themed `health/waiting-times`, both `health` and `health/waiting-times`. Each story counts
/// once per path. The answer's paths have their parts joined with [`SEPARATOR`].
pub(crate) struct LevelCounts {
    pub(crate) cache: Arc<LevelCache>,
}

/// Paths with their counts (only those counted), in order of their text.
pub(crate) type PathCounts = Vec<(Arc<str>, u64)>;

impl Collector for LevelCounts {
    type Fruit = PathCounts;
    type Child = SegmentLevelCounts;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentLevelCounts> {
        let levels = self.cache.levels(segment)?;
        let counts = vec![0; levels.starts.len() - 1];
        Ok(SegmentLevelCounts { levels, counts, counted: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, mut fruits: Vec<PathCounts>) -> tantivy::Result<Self::Fruit> {
        if fruits.len() == 1 {
            return Ok(fruits.pop().unwrap_or_default());
        }
        let mut merged: HashMap<Arc<str>, u64> = HashMap::new();
        for fruit in fruits {
            for (path, count) in fruit {
                *merged.entry(path).or_insert(0) += count;
            }
        }
        let mut merged: PathCounts = merged.into_iter().collect();
        merged.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(merged)
    }
}

/// [`LevelCounts`] in one segment: matches per combination of paths.
pub(crate) struct SegmentLevelCounts {
    levels: Arc<Levels>,
    counts: Vec<u32>,
    /// The combinations counted, each once: a segment has thousands of combinations (themes,
    /// and form x language x type x place), and a search matches far fewer.
    counted: Vec<u32>,
}

impl SegmentCollector for SegmentLevelCounts {
    type Fruit = PathCounts;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(&combination) = self.levels.of_doc.get(doc as usize) {
            let count = &mut self.counts[combination as usize];
            if *count == 0 {
                self.counted.push(combination);
            }
            *count += 1;
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut by_path = vec![0u64; self.levels.paths.len()];
        for &combination in &self.counted {
            let combination = combination as usize;
            let count = u64::from(self.counts[combination]);
            let (start, end) = (self.levels.starts[combination], self.levels.starts[combination + 1]);
            for &path in &self.levels.combined[start as usize..end as usize] {
                by_path[path as usize] += count;
            }
        }
        let mut counted: PathCounts = by_path
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(path, count)| (Arc::clone(&self.levels.paths[path]), *count))
            .collect();
        counted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        counted
    }
}
