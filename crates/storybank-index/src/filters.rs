//! Filters (themes, forms, the audience's consent rules...) kept as bit sets, one per segment and
//! filter, built the first time a search uses them and reused after, as Lucene's query cache does
//! for filter clauses.
//!
//! A filter is part of every search, and most searches use the same few (a theme, "published",
//! "consent for commissioners"). Intersected as postings, a filter is skipped through block by
//! block for each match of the words; as a bit set, checking a match is one memory read. Segments
//! never change (a changed story is a new document in a new segment, and deletions are applied
//! by the search itself), so a segment's bit set stays right for as long as the segment lives.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::Schema;
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED};

use crate::any_term::{AnyTerm, AnyTermWeight, TermPostings};
use crate::segment_cache::SegmentCache;

/// How many filters a segment keeps; past this, its cache starts again (each costs one bit per
/// story in the segment: 12.5 KB for 100,000 stories).
const MAX_FILTERS_PER_SEGMENT: usize = 256;

/// The documents of one segment that a filter lets through.
#[derive(Debug)]
struct Bits {
    words: Vec<u64>,
    /// How many documents are set.
    len: u32,
}

impl Bits {
    fn with_max_doc(max_doc: DocId) -> Self {
        Self { words: vec![0; (max_doc as usize).div_ceil(64)], len: 0 }
    }

    fn insert(&mut self, doc: DocId) {
        let (word, bit) = ((doc / 64) as usize, doc % 64);
        if let Some(word) = self.words.get_mut(word)
            && *word & (1 << bit) == 0
        {
            *word |= 1 << bit;
            self.len += 1;
        }
    }

    fn contains(&self, doc: DocId) -> bool {
        self.words.get((doc / 64) as usize).is_some_and(|word| word & (1 << (doc % 64)) != 0)
    }

    /// The first document set after `doc` within its word of 64, else the next word's first
    /// document: a lower bound of the next document set, found with one read.
    fn next_in_word(&self, doc: DocId) -> DocId {
        let index = (doc / 64) as usize;
        let rest = match doc % 64 {
            63 => 0,
            bit => self.words.get(index).map_or(0, |word| word & (u64::MAX << (bit + 1))),
        };
        if rest != 0 {
            index as DocId * 64 + rest.trailing_zeros()
        } else {
            ((doc / 64 + 1) * 64).min(TERMINATED)
        }
    }

    /// The first document set at or after `from`, or `TERMINATED`.
    fn next_from(&self, from: DocId) -> DocId {
        let mut index = (from / 64) as usize;
        let Some(&first) = self.words.get(index) else {
            return TERMINATED;
        };
        let mut word = first & (u64::MAX << (from % 64));
        loop {
            if word != 0 {
                return index as DocId * 64 + word.trailing_zeros();
            }
            index += 1;
            match self.words.get(index) {
                Some(&next) => word = next,
                None => return TERMINATED,
            }
        }
    }
}

/// Each live segment's filters, by key.
#[derive(Debug, Default)]
pub(crate) struct FilterCache {
    segments: SegmentCache<HashMap<String, Arc<Bits>>>,
}

impl FilterCache {
    /// Forgets segments that are no longer searched (merged away).
    pub(crate) fn keep_only(&self, live: &[SegmentId]) {
        self.segments.keep_only(live);
    }

    fn get(&self, segment: SegmentId, key: &str) -> Option<Arc<Bits>> {
        self.segments.with(segment, |filters| filters.get(key).cloned()).flatten()
    }

    fn put(&self, segment: SegmentId, key: &str, bits: Arc<Bits>) {
        self.segments.with(segment, |filters| {
            if filters.len() >= MAX_FILTERS_PER_SEGMENT {
                filters.clear();
            }
            filters.insert(key.to_owned(), bits);
        });
    }
}

/// A query whose matches are let through only where every filter matches too. Each filter's
/// matches are cached per segment under its key, which must name exactly what it matches (two
/// filters with one key share their bits).
///
/// In each segment, the cheaper side leads: usually the words, read in order with one bit read
/// per filter and match (the words' union of fields is never made to skip ahead, which costs it
/// a buffer refill); when a filter holds far fewer stories than the words match (browsing a
/// theme, the few stories missing alt text), the filter's bits lead and the words follow.
#[derive(Debug)]
pub(crate) struct Filtered {
    inner: Box<dyn Query>,
    filters: Arc<[(String, Box<dyn Query>)]>,
    cache: Arc<FilterCache>,
}

impl Clone for Filtered {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.box_clone(),
            filters: Arc::clone(&self.filters),
            cache: Arc::clone(&self.cache),
        }
    }
}

impl Filtered {
    pub(crate) fn new(
        inner: Box<dyn Query>,
        filters: Vec<(String, Box<dyn Query>)>,
        cache: &Arc<FilterCache>,
    ) -> Self {
        Self { inner, filters: filters.into(), cache: Arc::clone(cache) }
    }
}

impl Query for Filtered {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        // One word alone is walked with the filters (see `FilteredWeight::for_each`).
        let inner = match self.inner.downcast_ref::<AnyTerm>() {
            Some(word) => Inner::Word(word.any_term_weight(enable_scoring)?),
            None => Inner::Other(self.inner.weight(enable_scoring)?),
        };
        Ok(Box::new(FilteredWeight {
            inner,
            filters: Arc::clone(&self.filters),
            schema: enable_scoring.schema().clone(),
            cache: Arc::clone(&self.cache),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.inner.query_terms(visitor);
        for (_, filter) in self.filters.iter() {
            filter.query_terms(visitor);
        }
    }
}

/// A filter leads when it holds fewer than this fraction of what the words may match.
const FILTER_LEADS_BELOW: u64 = 8;

struct FilteredWeight {
    inner: Inner,
    /// The filters' queries: weighed only for a segment whose bits are not cached yet (most
    /// searches weigh none, which spares a dictionary lookup and an allocation per filter).
    filters: Arc<[(String, Box<dyn Query>)]>,
    schema: Schema,
    cache: Arc<FilterCache>,
}

/// What the filters apply to.
enum Inner {
    /// One word's terms, whose matches are scored only where the filters let them through.
    Word(AnyTermWeight),
    Other(Box<dyn Weight>),
}

impl Inner {
    fn weight(&self) -> &dyn Weight {
        match self {
            Inner::Word(word) => word,
            Inner::Other(weight) => weight.as_ref(),
        }
    }
}

impl FilteredWeight {
    /// Whether the filter with the fewest documents should lead, intersected as a doc set: when
    /// it holds far fewer documents than the words may match.
    fn filter_leads(bits: &[Arc<Bits>], words_cost: u64) -> bool {
        bits.iter()
            .map(|bits| u64::from(bits.len))
            .min()
            .is_some_and(|fewest| fewest.saturating_mul(FILTER_LEADS_BELOW) < words_cost)
    }

    /// Hands on one word's matches that the filters let through, when the words lead; `false`
    /// (and nothing handed on) for other queries, or when a filter leads (the scorer intersects).
    fn walk_word(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<bool> {
        let Inner::Word(word) = &self.inner else {
            return Ok(false);
        };
        let bits = self.bits(reader)?;
        let terms = word.term_scorers(reader, 1.0)?;
        if bits.is_empty() || Self::filter_leads(&bits, terms.iter().map(TermPostings::cost).sum()) {
            return Ok(false);
        }
        walk_in_windows(terms, &bits, word.scoring(), callback);
        Ok(true)
    }

    fn bits(&self, reader: &SegmentReader) -> tantivy::Result<Vec<Arc<Bits>>> {
        let segment = reader.segment_id();
        let mut all = Vec::with_capacity(self.filters.len());
        for (key, query) in self.filters.iter() {
            if let Some(bits) = self.cache.get(segment, key) {
                all.push(bits);
                continue;
            }
            let mut bits = Bits::with_max_doc(reader.max_doc());
            let weight = query.weight(EnableScoring::disabled_from_schema(&self.schema))?;
            let mut scorer = weight.scorer(reader, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                bits.insert(doc);
                doc = scorer.advance();
            }
            let bits = Arc::new(bits);
            self.cache.put(segment, key, Arc::clone(&bits));
            all.push(bits);
        }
        Ok(all)
    }
}

impl Weight for FilteredWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inner = self.inner.weight().scorer(reader, boost)?;
        let bits = self.bits(reader)?;
        if bits.is_empty() {
            return Ok(inner);
        }
        if Self::filter_leads(&bits, inner.cost()) {
            let mut scorers: Vec<Box<dyn Scorer>> = vec![inner];
            for bits in bits {
                let doc = bits.next_from(0);
                scorers.push(Box::new(BitsScorer { bits, doc }));
            }
            return Ok(tantivy::query::intersect_scorers(scorers, reader.num_docs()));
        }
        Ok(Box::new(FilteredScorer::new(inner, bits)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.bits(reader)?.iter().all(|bits| bits.contains(doc)) {
            self.inner.weight().explain(reader, doc)
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not pass the filters")))
        }
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        if self.walk_word(reader, callback)? {
            return Ok(());
        }
        let mut scorer = self.scorer(reader, 1.0)?;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            callback(doc, scorer.score());
            doc = scorer.advance();
        }
        Ok(())
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        let mut buffer = Vec::with_capacity(BUFFER);
        let mut push = |doc: DocId| {
            buffer.push(doc);
            if buffer.len() == BUFFER {
                callback(&buffer);
                buffer.clear();
            }
        };
        if !self.walk_word(reader, &mut |doc, _| push(doc))? {
            let mut scorer = self.scorer(reader, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                push(doc);
                doc = scorer.advance();
            }
        }
        if !buffer.is_empty() {
            callback(&buffer);
        }
        Ok(())
    }
}

/// Documents handed on at once by `for_each_no_score`.
const BUFFER: usize = 64;

/// Documents in a window of [`walk_in_windows`] (a multiple of 64).
const WINDOW: u32 = 4096;

/// Walks one word's terms under filters, a window of documents at a time, and hands on each
/// document that holds a term and passes every filter, with the sum of its terms' scores, in
/// document order.
///
/// Per window (aligned on 64 documents), the filters' bits are and-ed once; then each term's
/// matches in the window are checked against them with one bit read, and only those let through
/// are scored and marked. Matches the filters turn away cost a postings step and a bit read, not a
/// score (tantivy's union scores every match before a filter sees it). A window no document of
/// which passes is skipped: the terms seek past it. Scores are summed in the terms' order, as
/// tantivy's union sums them, so the scores are the same.
fn walk_in_windows(
    mut terms: Vec<TermPostings>,
    bits: &[Arc<Bits>],
    scoring: bool,
    callback: &mut dyn FnMut(DocId, Score),
) {
    const WORDS: usize = (WINDOW / 64) as usize;
    let mut passing = [0u64; WORDS];
    let mut found = [0u64; WORDS];
    // On the stack: a 16 KB allocation per search made glibc consolidate its free lists each
    // time (`malloc_consolidate` was 3 % of the search page's time).
    let mut scores = [0.0 as Score; WINDOW as usize];
    while let Some(first) = terms.iter().map(TermPostings::doc).min() {
        if first == TERMINATED {
            break;
        }
        let start = first - first % 64;
        let base = (start / 64) as usize;
        let mut any = 0;
        for (offset, word) in passing.iter_mut().enumerate() {
            *word = bits
                .iter()
                .fold(u64::MAX, |all, bits| all & bits.words.get(base + offset).copied().unwrap_or(0));
            any |= *word;
        }
        let end = start + WINDOW;
        if any == 0 {
            // Nothing here passes: on to the first document every filter may let through.
            let next = bits.iter().map(|bits| bits.next_from(end)).max().unwrap_or(TERMINATED);
            if next == TERMINATED {
                break;
            }
            for term in &mut terms {
                term.seek(next);
            }
            continue;
        }
        for term in &mut terms {
            let mut doc = term.doc();
            while doc < end {
                let offset = (doc - start) as usize;
                let bit = 1u64 << (offset % 64);
                if passing[offset / 64] & bit != 0 {
                    found[offset / 64] |= bit;
                    if scoring {
                        scores[offset] += term.score();
                    }
                }
                doc = term.advance();
            }
        }
        for (index, word) in found.iter_mut().enumerate() {
            let mut rest = std::mem::take(word);
            while rest != 0 {
                let offset = index * 64 + rest.trailing_zeros() as usize;
                rest &= rest - 1;
                callback(start + offset as DocId, std::mem::take(&mut scores[offset]));
            }
        }
    }
}

/// The words' matches that every filter lets through, read in the words' order.
struct FilteredScorer {
    inner: Box<dyn Scorer>,
    bits: Vec<Arc<Bits>>,
}

impl FilteredScorer {
    fn new(inner: Box<dyn Scorer>, bits: Vec<Arc<Bits>>) -> Self {
        let mut scorer = Self { inner, bits };
        let doc = scorer.inner.doc();
        if doc != TERMINATED && !scorer.passes(doc) {
            scorer.advance();
        }
        scorer
    }

    fn passes(&self, doc: DocId) -> bool {
        self.bits.iter().all(|bits| bits.contains(doc))
    }
}

impl DocSet for FilteredScorer {
    fn advance(&mut self) -> DocId {
        loop {
            let doc = self.inner.advance();
            if doc == TERMINATED || self.passes(doc) {
                return doc;
            }
        }
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.inner.seek(target);
        if doc == TERMINATED || self.passes(doc) { doc } else { self.advance() }
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for FilteredScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

/// Walks a segment's bits; every document scores 0 (a filter adds nothing to relevance).
struct BitsScorer {
    bits: Arc<Bits>,
    doc: DocId,
}

impl DocSet for BitsScorer {
    fn advance(&mut self) -> DocId {
        self.doc = if self.doc == TERMINATED { TERMINATED } else { self.bits.next_from(self.doc + 1) };
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.doc = if target == TERMINATED { TERMINATED } else { self.bits.next_from(target) };
        }
        self.doc
    }

    /// One read: `Found`, or the next document set in the same 64 (a lower bound of the next
    /// match) without looking further.
    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        if target == TERMINATED {
            return SeekDangerResult::SeekLowerBound(TERMINATED);
        }
        if self.bits.contains(target) {
            self.doc = target;
            return SeekDangerResult::Found;
        }
        SeekDangerResult::SeekLowerBound(self.bits.next_in_word(target))
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.bits.len
    }

    fn cost(&self) -> u64 {
        u64::from(self.bits.len)
    }
}

impl Scorer for BitsScorer {
    fn score(&mut self) -> Score {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{Index, TantivyDocument, Term};

    use super::*;

    /// 1,000 documents: every third holds "common", every 100th "rare"; `group` is `even` or
    /// `odd`, and `tenth` marks every 100th document from the 5th.
    fn index() -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let group = builder.add_text_field("group", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for n in 0..1_000u32 {
            let mut doc = TantivyDocument::default();
            let mut words = vec!["filler"];
            if n % 3 == 0 {
                words.push("common");
            }
            if n % 100 == 0 {
                words.push("rare");
            }
            doc.add_text(text, words.join(" "));
            doc.add_text(group, if n % 2 == 0 { "even" } else { "odd" });
            if n % 100 == 5 {
                doc.add_text(group, "tenth");
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        (index, text, group)
    }

    fn term(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::WithFreqs))
    }

    #[test]
    fn filtered_queries_match_and_score_as_the_plain_intersection_whichever_side_leads() {
        let (index, text, group) = index();
        let searcher = index.reader().unwrap().searcher();
        let cache = Arc::new(FilterCache::default());
        let everything = || -> Box<dyn Query> { Box::new(AllQuery) };
        // (words, filters): dense filters let the words lead; "tenth" (10 documents) leads.
        let cases: Vec<(&str, Box<dyn Query>, Vec<&str>)> = vec![
            ("common, even", term(text, "common"), vec!["even"]),
            ("rare, even", term(text, "rare"), vec!["even"]),
            ("everything, tenth", everything(), vec!["tenth"]),
            ("common, tenth and odd", term(text, "common"), vec!["tenth", "odd"]),
            ("everything, even", everything(), vec!["even"]),
        ];
        for (name, words, groups) in cases {
            let mut plain: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, words.box_clone())];
            for value in &groups {
                plain.push((Occur::Must, Box::new(ConstScoreQuery::new(term(group, value), 0.0))));
            }
            let plain = BooleanQuery::new(plain);
            let filters = groups.iter().map(|value| (format!("group:{value}"), term(group, value))).collect();
            let filtered = Filtered::new(words, filters, &cache);
            let top = TopDocs::with_limit(1_000).order_by_score();
            let expected = searcher.search(&plain, &top).unwrap();
            // Twice: building the bits, then from the cache. The same documents, and with words,
            // the same scores (browsing, tantivy drops the "everything" clause's constant score).
            for round in 0..2 {
                let found = searcher.search(&filtered, &top).unwrap();
                if name.starts_with("everything") {
                    let docs = |hits: &[(f32, tantivy::DocAddress)]| {
                        hits.iter().map(|(_, doc)| *doc).collect::<Vec<_>>()
                    };
                    assert_eq!(docs(&found), docs(&expected), "{name}, round {round}");
                } else {
                    assert_eq!(found, expected, "{name}, round {round}");
                }
            }
            assert!(!expected.is_empty(), "{name} matches something");
        }
    }

    #[test]
    fn bits_find_the_next_document_across_words() {
        let mut bits = Bits::with_max_doc(300);
        for doc in [0, 5, 63, 64, 200, 299] {
            bits.insert(doc);
        }
        bits.insert(5);
        assert_eq!(bits.len, 6);
        for (from, next) in [
            (0, 0),
            (1, 5),
            (6, 63),
            (63, 63),
            (64, 64),
            (65, 200),
            (201, 299),
            (299, 299),
            (300, TERMINATED),
        ] {
            assert_eq!(bits.next_from(from), next, "from {from}");
        }
        assert!(bits.contains(200) && !bits.contains(201) && !bits.contains(5_000));
    }

    #[test]
    fn the_scorer_walks_seeks_and_answers_seek_danger_with_a_lower_bound() {
        let mut bits = Bits::with_max_doc(300);
        for doc in [3, 70, 140, 141] {
            bits.insert(doc);
        }
        let bits = Arc::new(bits);
        let mut walked = Vec::new();
        let mut scorer = BitsScorer { doc: bits.next_from(0), bits: Arc::clone(&bits) };
        while scorer.doc() != TERMINATED {
            walked.push(scorer.doc());
            scorer.advance();
        }
        assert_eq!(walked, [3, 70, 140, 141]);

        let mut scorer = BitsScorer { doc: bits.next_from(0), bits: Arc::clone(&bits) };
        assert_eq!(scorer.seek(71), 140);
        assert_eq!(scorer.seek(141), 141);
        assert_eq!(scorer.seek(142), TERMINATED);

        let mut scorer = BitsScorer { doc: bits.next_from(0), bits };
        assert_eq!(scorer.seek_danger(70), SeekDangerResult::Found);
        // Not set: the next set document if it is in the same 64, else the next 64's start.
        assert_eq!(scorer.seek_danger(71), SeekDangerResult::SeekLowerBound(128));
        assert_eq!(scorer.seek_danger(129), SeekDangerResult::SeekLowerBound(140));
        assert_eq!(scorer.seek_danger(142), SeekDangerResult::SeekLowerBound(192));
        assert_eq!(scorer.seek_danger(TERMINATED), SeekDangerResult::SeekLowerBound(TERMINATED));
    }
}
