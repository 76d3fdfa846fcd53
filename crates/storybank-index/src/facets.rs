//! Facet counts at every level of a hierarchy, in one pass over the matches.
//!
//! tantivy's `FacetCollector` counts the children of the facets it is given, one level per
//! collector, and reads every counted facet's text back from the dictionary of every segment on
//! every search. Here each segment is read once (and cached, as segments never change) into, for
//! each document, the combination of paths it counts towards: its facets and their ancestors,
//! each once (a story with two sub-themes of one theme counts once for it). Collecting a match is
//! then one array increment, for its combination; the combinations become paths once per search.
//! The theme facet and the meta facet (forms, languages, story types and places) are counted
//! together. The cache costs four bytes per document (eight in a segment with more than 65,536
//! combinations of one facet), and each distinct combination's paths.

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

/// One segment's facets of one field: every path at every level, and each combination's paths.
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
}

impl Levels {
    /// The field's levels, and each document's combination.
    fn read(facets: &FacetReader, max_doc: DocId) -> tantivy::Result<(Self, Vec<u32>)> {
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
        Ok((Self { paths, combined, starts }, of_doc))
    }

    fn combinations(&self) -> usize {
        self.starts.len() - 1
    }

    /// The paths of every level, and for each facet ordinal those it counts towards. Paths are
    /// numbered in the order of their text, so counts by path number are in that order too.
    fn paths_of_ordinals(facets: &FacetReader) -> tantivy::Result<(Vec<Arc<str>>, OrdinalPaths)> {
        let mut texts: Vec<String> = Vec::new();
        let mut known: HashMap<String, u32> = HashMap::new();
        let mut of_ord = Vec::with_capacity(facets.num_facets());
        let mut facet = Facet::root();
        for ord in 0..facets.num_facets() as u64 {
            facets.facet_from_ord(ord, &mut facet)?;
            let parts = facet.to_path();
            let mut levels = Vec::with_capacity(parts.len());
            for depth in 1..=parts.len() {
                let path = parts[..depth].join(&SEPARATOR.to_string());
                let next = u32::try_from(texts.len()).unwrap_or(u32::MAX);
                let at = *known.entry(path).or_insert_with_key(|path| {
                    texts.push(path.clone());
                    next
                });
                levels.push(at);
            }
            of_ord.push(levels);
        }
        // Renumbered in the order of their text.
        let mut order: Vec<u32> = (0..u32::try_from(texts.len()).unwrap_or(u32::MAX)).collect();
        order.sort_by(|a, b| texts[*a as usize].cmp(&texts[*b as usize]));
        let mut renumbered = vec![0u32; texts.len()];
        for (new, old) in order.iter().enumerate() {
            renumbered[*old as usize] = u32::try_from(new).unwrap_or(u32::MAX);
        }
        for levels in &mut of_ord {
            for path in levels.iter_mut() {
                *path = renumbered[*path as usize];
            }
        }
        let paths = order.iter().map(|old| Arc::from(texts[*old as usize].as_str())).collect();
        Ok((paths, of_ord))
    }
}

/// One segment's theme and meta (form, language, type, place) facets, with each document's two
/// combinations side by side: a match costs one memory read for both (two arrays were two cache
/// misses per match, the larger part of a facet count's time on a 100,000-story segment), in
/// two bytes each while the segment has fewer than 65,536 combinations of either.
#[derive(Debug)]
struct SegmentFacets {
    themes: Levels,
    meta: Levels,
    of_doc: Combinations,
}

#[derive(Debug)]
enum Combinations {
    Narrow(Vec<[u16; 2]>),
    Wide(Vec<[u32; 2]>),
}

impl SegmentFacets {
    fn read(segment: &SegmentReader) -> tantivy::Result<Self> {
        let max_doc = segment.max_doc();
        let (themes, theme_of_doc) = Levels::read(&segment.facet_reader(THEMES)?, max_doc)?;
        let (meta, meta_of_doc) = Levels::read(&segment.facet_reader(META)?, max_doc)?;
        let pairs = theme_of_doc.into_iter().zip(meta_of_doc);
        let narrow = |count: usize| count <= usize::from(u16::MAX) + 1;
        let of_doc = if narrow(themes.combinations()) && narrow(meta.combinations()) {
            let narrowed = |combination: u32| u16::try_from(combination).unwrap_or(u16::MAX);
            Combinations::Narrow(pairs.map(|(theme, meta)| [narrowed(theme), narrowed(meta)]).collect())
        } else {
            Combinations::Wide(pairs.map(|(theme, meta)| [theme, meta]).collect())
        };
        Ok(Self { themes, meta, of_doc })
    }
}

/// The theme facet field.
const THEMES: &str = "themes";
/// The facet field of forms, languages, story types and places (`group/value`).
const META: &str = "meta";

/// The [`SegmentFacets`] of each live segment.
#[derive(Debug, Default)]
pub(crate) struct FacetCache {
    segments: SegmentCache<Arc<SegmentFacets>>,
}

impl FacetCache {
    fn of(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentFacets>> {
        self.segments.get_or_build(segment.segment_id(), || Ok(Arc::new(SegmentFacets::read(segment)?)))
    }

    /// Forgets segments that are no longer searched (merged away).
    pub(crate) fn keep_only(&self, live: &[SegmentId]) {
        self.segments.keep_only(live);
    }
}

/// Counts, for the matching stories, every path of the theme and meta facets at every level: for
/// a story themed `health/waiting-times`, both `health` and `health/waiting-times`. Each story
/// counts once per path. The answer's paths have their parts joined with [`SEPARATOR`].
pub(crate) struct FacetCounts {
    pub(crate) cache: Arc<FacetCache>,
}

/// Paths with their counts (only those counted), in order of their text.
pub(crate) type PathCounts = Vec<(Arc<str>, u64)>;

/// The themes' counts, then the meta facet's.
pub(crate) type BothCounts = (PathCounts, PathCounts);

impl Collector for FacetCounts {
    type Fruit = BothCounts;
    type Child = SegmentFacetCounts;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentFacetCounts> {
        let facets = self.cache.of(segment)?;
        let themes = Counter::new(facets.themes.combinations());
        let meta = Counter::new(facets.meta.combinations());
        Ok(SegmentFacetCounts { facets, themes, meta })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, mut fruits: Vec<BothCounts>) -> tantivy::Result<Self::Fruit> {
        if fruits.len() == 1 {
            return Ok(fruits.pop().unwrap_or_default());
        }
        let (themes, meta): (Vec<PathCounts>, Vec<PathCounts>) = fruits.into_iter().unzip();
        Ok((merge_counts(themes), merge_counts(meta)))
    }
}

fn merge_counts(fruits: Vec<PathCounts>) -> PathCounts {
    let mut merged: HashMap<Arc<str>, u64> = HashMap::new();
    for fruit in fruits {
        for (path, count) in fruit {
            *merged.entry(path).or_insert(0) += count;
        }
    }
    let mut merged: PathCounts = merged.into_iter().collect();
    merged.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    merged
}

/// Matches per combination of one field.
struct Counter {
    counts: Vec<u32>,
}

impl Counter {
    fn new(combinations: usize) -> Self {
        Self { counts: vec![0; combinations] }
    }

    #[inline]
    fn add(&mut self, combination: u32) {
        if let Some(count) = self.counts.get_mut(combination as usize) {
            *count += 1;
        }
    }

    /// The counts by path, in the order of the paths' text. (The counts of every combination
    /// are read, counted or not: a segment's few thousand, a few microseconds, where keeping a
    /// list of those counted cost a branch per match.)
    fn by_path(&self, levels: &Levels) -> PathCounts {
        let mut by_path = vec![0u64; levels.paths.len()];
        for (combination, count) in self.counts.iter().enumerate().filter(|(_, count)| **count > 0) {
            let count = u64::from(*count);
            let (start, end) = (levels.starts[combination], levels.starts[combination + 1]);
            for &path in &levels.combined[start as usize..end as usize] {
                by_path[path as usize] += count;
            }
        }
        by_path
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(path, count)| (Arc::clone(&levels.paths[path]), *count))
            .collect()
    }
}

/// [`FacetCounts`] in one segment.
pub(crate) struct SegmentFacetCounts {
    facets: Arc<SegmentFacets>,
    themes: Counter,
    meta: Counter,
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = BothCounts;

    #[inline]
    fn collect(&mut self, doc: DocId, _: Score) {
        let pair = match &self.facets.of_doc {
            Combinations::Narrow(pairs) => {
                pairs.get(doc as usize).map(|[theme, meta]| [(*theme).into(), (*meta).into()])
            }
            Combinations::Wide(pairs) => pairs.get(doc as usize).copied(),
        };
        if let Some([theme, meta]) = pair {
            self.themes.add(theme);
            self.meta.add(meta);
        }
    }

    fn harvest(self) -> Self::Fruit {
        (self.themes.by_path(&self.facets.themes), self.meta.by_path(&self.facets.meta))
    }
}
