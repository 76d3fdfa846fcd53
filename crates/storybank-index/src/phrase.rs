//! Exact phrases: words one right after the other. Matched and scored as tantivy's `PhraseQuery`
//! without slop does (BM25 of how often the phrase occurs in a document, weighted by the
//! statistics of all its words), with the words' positions intersected without branches.
//!
//! A phrase of two common words holds nearly every story of their language, and each of those
//! stories' positions of both words must be read and intersected: `perf` put 35 % of such a
//! search in tantivy's intersection, a merge whose every step waits on the one before. Here one
//! word's positions are marked in a bit set and the other's looked up in it.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

/// The words `terms` (of one field with positions, at least two), one right after the other.
#[derive(Clone, Debug)]
pub(crate) struct ExactPhrase {
    terms: Vec<Term>,
}

impl ExactPhrase {
    /// A phrase of `terms`, in order; they must be of one field, which keeps positions.
    pub(crate) fn new(terms: Vec<Term>) -> Self {
        debug_assert!(terms.len() >= 2, "a phrase has two words or more");
        Self { terms }
    }
}

impl Query for ExactPhrase {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let similarity = match enable_scoring {
            EnableScoring::Enabled { statistics_provider, .. } => {
                Some(Bm25Weight::for_terms(statistics_provider, &self.terms)?)
            }
            EnableScoring::Disabled { .. } => None,
        };
        Ok(Box::new(ExactPhraseWeight { terms: self.terms.clone(), similarity }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for term in &self.terms {
            visitor(term, true);
        }
    }
}

struct ExactPhraseWeight {
    terms: Vec<Term>,
    similarity: Option<Bm25Weight>,
}

impl ExactPhraseWeight {
    /// The phrase's scorer in `reader`; `None` when a word is not in the segment at all.
    fn phrase_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Option<PhraseScorer>> {
        let field = self.terms[0].field();
        let inverted = reader.inverted_index(field)?;
        let mut postings = Vec::with_capacity(self.terms.len());
        for term in &self.terms {
            match inverted.read_postings(term, IndexRecordOption::WithFreqsAndPositions)? {
                Some(found) => postings.push(found),
                None => return Ok(None),
            }
        }
        let fieldnorms = match self.similarity {
            Some(_) => reader.fieldnorms_readers().get_field(field)?,
            None => None,
        }
        .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
        // The doc lists are walked rarest first.
        let mut order: Vec<usize> = (0..postings.len()).collect();
        order.sort_by_key(|&index| postings[index].doc_freq());
        let mut scorer = PhraseScorer {
            postings,
            order,
            similarity: self.similarity.as_ref().map(|similarity| similarity.boost_by(boost)),
            fieldnorms,
            doc: TERMINATED,
            count: 0,
            matches: Vec::new(),
            next: Vec::new(),
            bits: Vec::new(),
        };
        scorer.next_match();
        Ok(Some(scorer))
    }
}

impl Weight for ExactPhraseWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.phrase_scorer(reader, boost)? {
            Some(scorer) => Box::new(scorer),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let missing = || tantivy::TantivyError::InvalidArgument(format!("Document #({doc}) does not match"));
        let mut scorer = self.phrase_scorer(reader, 1.0)?.ok_or_else(missing)?;
        if scorer.seek(doc) != doc {
            return Err(missing());
        }
        let fieldnorm_id = scorer.fieldnorms.fieldnorm_id(doc);
        Ok(match &self.similarity {
            Some(similarity) => similarity.explain(fieldnorm_id, scorer.count),
            None => Explanation::new("exact phrase (not scored)", 1.0),
        })
    }
}

struct PhraseScorer {
    /// Each word's postings, in the phrase's order.
    postings: Vec<SegmentPostings>,
    /// Indexes into `postings`, rarest word first.
    order: Vec<usize>,
    similarity: Option<Bm25Weight>,
    fieldnorms: FieldNormReader,
    doc: DocId,
    /// How often the phrase occurs in `doc`.
    count: u32,
    /// Where the phrase may end, word by word; then where it does.
    matches: Vec<u32>,
    next: Vec<u32>,
    /// A bit per position, for intersecting; clear between uses.
    bits: Vec<u64>,
}

impl PhraseScorer {
    /// The first document, from where the postings are, that holds every word (`TERMINATED`
    /// when none does).
    fn align(&mut self) -> DocId {
        let mut candidate = self.postings[self.order[0]].doc();
        'candidates: loop {
            if candidate == TERMINATED {
                return TERMINATED;
            }
            for &index in &self.order {
                let postings = &mut self.postings[index];
                let doc = if postings.doc() < candidate { postings.seek(candidate) } else { postings.doc() };
                if doc != candidate {
                    candidate = doc;
                    continue 'candidates;
                }
            }
            return candidate;
        }
    }

    /// How often the phrase occurs in the document every postings list is on: each word's
    /// positions, shifted to where the phrase would end, intersected in turn.
    fn phrase_count(&mut self) -> u32 {
        let last = (self.postings.len() - 1) as u32;
        self.postings[0].positions_with_offset(last, &mut self.matches);
        for (index, postings) in self.postings.iter_mut().enumerate().skip(1) {
            postings.positions_with_offset(last - index as u32, &mut self.next);
            if intersect(&mut self.matches, &self.next, &mut self.bits) == 0 {
                return 0;
            }
        }
        self.matches.len() as u32
    }

    /// Moves to the first document, from where the postings are, where the phrase occurs.
    fn next_match(&mut self) -> DocId {
        loop {
            let doc = self.align();
            if doc == TERMINATED {
                self.doc = TERMINATED;
                self.count = 0;
                return TERMINATED;
            }
            let count = self.phrase_count();
            if count > 0 {
                self.doc = doc;
                self.count = count;
                return doc;
            }
            self.postings[self.order[0]].advance();
        }
    }
}

/// Lists this many times longer than the other are searched, not walked or marked.
const SEARCH_RATIO: usize = 16;

/// Keeps in `left` the values also in `right` (both sorted, without repeats); returns how many.
///
/// When one list is far shorter (a rare word beside a common one), each of its values is
/// searched for in the other. Otherwise `right` is marked in the bit set `bits` (all clear before
/// and after) and each value of `left` looked up there: unlike a merge's, no step depends on
/// the outcome of the one before.
fn intersect(left: &mut Vec<u32>, right: &[u32], bits: &mut Vec<u64>) -> usize {
    let (Some(&left_last), Some(&right_last)) = (left.last(), right.last()) else {
        left.clear();
        return 0;
    };
    let mut kept = 0;
    if left.len() * SEARCH_RATIO <= right.len() {
        let mut from = 0;
        for index in 0..left.len() {
            let value = left[index];
            from += right[from..].partition_point(|&other| other < value);
            if right.get(from) == Some(&value) {
                left[kept] = value;
                kept += 1;
            }
        }
    } else if right.len() * SEARCH_RATIO <= left.len() {
        // Found values are written at or before where they were found, behind the search.
        let mut from = 0;
        for &value in right {
            from += left[from..].partition_point(|&other| other < value);
            if left.get(from) == Some(&value) {
                left[kept] = value;
                kept += 1;
                from += 1;
            }
        }
    } else {
        let words = (left_last.max(right_last) as usize >> 6) + 1;
        if bits.len() < words {
            bits.resize(words, 0);
        }
        for &value in right {
            bits[(value >> 6) as usize] |= 1 << (value & 63);
        }
        for index in 0..left.len() {
            let value = left[index];
            left[kept] = value;
            kept += ((bits[(value >> 6) as usize] >> (value & 63)) & 1) as usize;
        }
        for &value in right {
            bits[(value >> 6) as usize] = 0;
        }
    }
    left.truncate(kept);
    kept
}

impl DocSet for PhraseScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.postings[self.order[0]].advance();
        self.next_match()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let lead = &mut self.postings[self.order[0]];
        if lead.doc() < target {
            lead.seek(target);
        }
        self.next_match()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    /// As tantivy estimates a phrase's matches: a tenth per word of the documents holding the
    /// rarest word.
    fn size_hint(&self) -> u32 {
        let rarest = self.postings[self.order[0]].size_hint();
        rarest / (10 * self.postings.len() as u32)
    }

    /// As tantivy costs a phrase: ten per word for each document holding the rarest word.
    fn cost(&self) -> u64 {
        let rarest = u64::from(self.postings[self.order[0]].size_hint());
        rarest * 10 * self.postings.len() as u64
    }
}

impl Scorer for PhraseScorer {
    fn score(&mut self) -> Score {
        match &self.similarity {
            Some(similarity) => similarity.score(self.fieldnorms.fieldnorm_id(self.doc), self.count),
            None => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::PhraseQuery;
    use tantivy::schema::{Schema, TextFieldIndexing, TextOptions};
    use tantivy::{Index, TantivyDocument};

    use super::*;

    #[test]
    fn intersection_keeps_the_common_values() {
        // (left, right) -> kept
        for (left, right, kept) in [
            (vec![], vec![1, 2], vec![]),
            (vec![1, 2, 3], vec![], vec![]),
            (vec![1, 3, 5, 7], vec![2, 3, 4, 7, 9], vec![3, 7]),
            (vec![5], vec![5], vec![5]),
            (vec![1, 2, 3], vec![4, 5], vec![]),
            (vec![10, 20, 30], vec![1, 10, 11, 30, 31], vec![10, 30]),
            // One list far shorter than the other, on either side.
            (vec![64, 200], (0..300).collect(), vec![64, 200]),
            (vec![5, 301], (0..300).collect(), vec![5]),
            ((0..300).map(|n| n * 3).collect(), vec![0, 4, 6, 897, 900], vec![0, 6, 897]),
            ((0..300).collect(), vec![299, 300], vec![299]),
        ] {
            let mut left = left;
            let mut bits = Vec::new();
            let count = intersect(&mut left, &right, &mut bits);
            assert!(bits.iter().all(|&word| word == 0), "bits left set");
            assert_eq!((count, &left), (kept.len(), &kept), "{right:?}");
        }
        // Against a plain set intersection, over lists of every proportion.
        let mut bits = Vec::new();
        for (step_left, step_right, len_left, len_right) in
            [(1, 1, 50, 50), (3, 7, 40, 900), (7, 3, 900, 40), (2, 5, 10, 2_000), (5, 2, 2_000, 3)]
        {
            let left: Vec<u32> = (0..len_left).map(|n| n * step_left + n % 3).collect();
            let right: Vec<u32> = (0..len_right).map(|n| n * step_right + n % 2).collect();
            let expected: Vec<u32> = left.iter().copied().filter(|value| right.contains(value)).collect();
            let mut kept = left.clone();
            intersect(&mut kept, &right, &mut bits);
            assert_eq!(kept, expected, "{step_left} {step_right} {len_left} {len_right}");
            assert!(bits.iter().all(|&word| word == 0), "bits left set");
        }
    }

    /// Over every sample story, phrases taken from the stories (and some that occur nowhere)
    /// match the same documents with the same scores as tantivy's `PhraseQuery`, counted and
    /// ranked alike, in several segments and with a deleted document.
    #[test]
    fn matches_and_scores_as_tantivys_phrase_query() {
        let mut builder = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(crate::analysis::FOLDED)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let field = builder.add_text_field("text", TextOptions::default().set_indexing_options(indexing));
        let index = Index::create_in_ram(builder.build());
        crate::analysis::register(&index);
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stories-sample/stories");
        let mut texts = Vec::new();
        for language in std::fs::read_dir(sample).unwrap().flatten() {
            for file in std::fs::read_dir(language.path()).unwrap().flatten() {
                if let Ok(text) = std::fs::read_to_string(file.path()) {
                    texts.push(text);
                }
            }
        }
        // Each text twice, in two segments, with a sentence repeated so counts exceed one.
        for (round, text) in texts.iter().chain(&texts).enumerate() {
            let mut document = TantivyDocument::default();
            document.add_text(field, format!("{text} {}", text.lines().next().unwrap_or_default()));
            writer.add_document(document).unwrap();
            if round + 1 == texts.len() {
                writer.commit().unwrap();
            }
        }
        writer.delete_term(Term::from_field_text(field, "the"));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let mut analyzer = index.tokenizers().get(crate::analysis::FOLDED).unwrap();
        let mut phrases: Vec<Vec<String>> = Vec::new();
        for text in &texts {
            let mut stream = analyzer.token_stream(text);
            let mut tokens = Vec::new();
            while stream.advance() {
                tokens.push(stream.token().text.clone());
            }
            for (start, width) in [(0, 2), (3, 2), (7, 3), (20, 2), (40, 4)] {
                if let Some(words) = tokens.get(start..start + width) {
                    phrases.push(words.to_vec());
                }
            }
            if let (Some(first), Some(last)) = (tokens.first(), tokens.last()) {
                phrases.push(vec![last.clone(), first.clone()]);
            }
        }
        phrases.push(vec!["night".into(), "night".into()]);
        phrases.push(vec!["qqqq".into(), "the".into()]);
        assert!(phrases.len() > 100, "{} phrases", phrases.len());
        let mut matched = 0;
        for words in &phrases {
            let terms: Vec<Term> = words.iter().map(|word| Term::from_field_text(field, word)).collect();
            let collector = (Count, TopDocs::with_limit(1_000).order_by_score());
            let expected = searcher.search(&PhraseQuery::new(terms.clone()), &collector).unwrap();
            let found = searcher.search(&ExactPhrase::new(terms), &collector).unwrap();
            assert_eq!(found, expected, "{words:?}");
            matched += usize::from(expected.0 > 0);
        }
        assert!(matched > phrases.len() / 2, "only {matched} of {} phrases match", phrases.len());
    }
}
