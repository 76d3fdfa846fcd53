//! One word looked up as several terms (the words of the text that share its stems or its
//! spelling without diacritics, and the title's word): a document holding any of the terms
//! matches, scored with the sum of each term's BM25, boosted per term. That is exactly what a
//! `BooleanQuery` of boosted `TermQuery`s matches and scores, and its weight answers every
//! search that way.
//!
//! What it adds is [`AnyTermWeight::term_scorers`]: the terms' own scorers, so that a search
//! under cached filters (a theme, the audience's rules) can walk them window by window and score
//! only the matches the filters let through (see `filters.rs`), instead of scoring every match of
//! the word and throwing most away.

use std::cell::RefCell;
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, Term};

/// A word's terms, each with its boost.
#[derive(Clone, Debug)]
pub(crate) struct AnyTerm {
    /// The terms scored with BM25, each boosted by its boost; after them, from `constant_from`
    /// on, the terms that score their boost in a document holding them, however often (a
    /// word's spellings one typo away).
    terms: Vec<(Term, Score)>,
    constant_from: usize,
    /// The terms as found in a searcher's segments, when looked up already.
    found: Option<Arc<TermInfos>>,
}

/// Terms as found in each segment of a searcher: a term's statistics and its postings come from
/// one dictionary lookup per segment instead of one for its count and another for its postings.
#[derive(Debug)]
pub(crate) struct TermInfos {
    /// For each segment, each term's entry in its dictionary (in the terms' order).
    segments: Vec<(SegmentId, Vec<Option<TermInfo>>)>,
}

impl TermInfos {
    /// Looks `terms` up in every segment `searcher` searches.
    pub(crate) fn look_up(searcher: &Searcher, terms: &[Term]) -> tantivy::Result<Self> {
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        for reader in searcher.segment_readers() {
            let mut infos = Vec::with_capacity(terms.len());
            for term in terms {
                infos.push(reader.inverted_index(term.field())?.get_term_info(term)?);
            }
            segments.push((reader.segment_id(), infos));
        }
        Ok(Self { segments })
    }

    /// How many documents hold the term at `at`, deleted ones included (as a searcher counts).
    pub(crate) fn doc_freq(&self, at: usize) -> u64 {
        self.segments
            .iter()
            .filter_map(|(_, infos)| infos.get(at).and_then(Option::as_ref))
            .map(|info| u64::from(info.doc_freq))
            .sum()
    }

    /// These terms', then `more`'s (looked up in the same searcher).
    pub(crate) fn append(&mut self, more: TermInfos) {
        for ((_, infos), (_, more)) in self.segments.iter_mut().zip(more.segments) {
            infos.extend(more);
        }
    }

    /// Only the terms at the places `keep` says.
    pub(crate) fn keep(self, keep: &[bool]) -> Self {
        let segments = self
            .segments
            .into_iter()
            .map(|(id, infos)| {
                let kept =
                    infos.into_iter().zip(keep).filter(|(_, keep)| **keep).map(|(info, _)| info).collect();
                (id, kept)
            })
            .collect();
        Self { segments }
    }

    fn of_segment(&self, id: SegmentId) -> Option<&[Option<TermInfo>]> {
        self.segments.iter().find(|(known, _)| *known == id).map(|(_, infos)| infos.as_slice())
    }
}

impl AnyTerm {
    /// Looked up in each segment when searched (for tests: searches use [`AnyTerm::with_infos`]).
    #[cfg(test)]
    pub(crate) fn new(terms: Vec<(Term, Score)>) -> Self {
        Self { constant_from: terms.len(), terms, found: None }
    }

    /// With the terms as `found` (looked up for these terms, in this order) in the searcher's
    /// segments; a segment it does not know looks them up again. (For tests: searches use
    /// [`AnyTerm::with_constant_terms`].)
    #[cfg(test)]
    pub(crate) fn with_infos(terms: Vec<(Term, Score)>, found: TermInfos) -> Self {
        Self { constant_from: terms.len(), terms, found: Some(Arc::new(found)) }
    }

    /// As [`AnyTerm::with_infos`], and the `constant` terms too, each scoring its boost in a
    /// document holding it (`found` has the BM25 terms' entries, then the constant ones').
    pub(crate) fn with_constant_terms(
        mut terms: Vec<(Term, Score)>,
        constant: Vec<(Term, Score)>,
        found: TermInfos,
    ) -> Self {
        let constant_from = terms.len();
        terms.extend(constant);
        Self { terms, constant_from, found: Some(Arc::new(found)) }
    }

    /// The weight, as its concrete type (for the filtered walk).
    pub(crate) fn any_term_weight(
        &self,
        enable_scoring: EnableScoring<'_>,
    ) -> tantivy::Result<AnyTermWeight> {
        let mut terms = Vec::with_capacity(self.terms.len());
        for (at, (term, boost)) in self.terms.iter().enumerate() {
            // As `TermQuery` weighs a term.
            let similarity = match enable_scoring {
                EnableScoring::Enabled { .. } if at >= self.constant_from => None,
                EnableScoring::Enabled { statistics_provider, .. } => {
                    let doc_freq = match &self.found {
                        Some(found) => found.doc_freq(at),
                        None => statistics_provider.doc_freq(term)?,
                    };
                    Some(Bm25::with_doc_freq(statistics_provider, term.field(), doc_freq)?)
                }
                EnableScoring::Disabled { .. } => None,
            };
            terms.push((term.clone(), *boost, similarity));
        }
        Ok(AnyTermWeight { terms, found: self.found.clone(), scoring: enable_scoring.is_scoring_enabled() })
    }
}

impl Query for AnyTerm {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.any_term_weight(enable_scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (term, _) in &self.terms {
            visitor(term, false);
        }
    }
}

pub(crate) struct AnyTermWeight {
    /// Each term, its boost, and its BM25 weight when scoring (none for a term that scores its
    /// boost).
    terms: Vec<(Term, Score, Option<Bm25>)>,
    found: Option<Arc<TermInfos>>,
    scoring: bool,
}

impl AnyTermWeight {
    /// Whether its scorers compute scores.
    pub(crate) fn scoring(&self) -> bool {
        self.scoring
    }

    /// Each term's postings in `reader`, in the query's order (the order tantivy's union sums
    /// their scores in), boosted by `boost` as well as by its field; a term the segment lacks
    /// has none.
    pub(crate) fn term_scorers(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Vec<TermPostings>> {
        let mut scorers = Vec::with_capacity(self.terms.len());
        let found = self.found.as_ref().and_then(|found| found.of_segment(reader.segment_id()));
        for (at, (term, field_boost, similarity)) in self.terms.iter().enumerate() {
            let record =
                if similarity.is_some() { IndexRecordOption::WithFreqs } else { IndexRecordOption::Basic };
            let inverted = reader.inverted_index(term.field())?;
            let postings = match found.and_then(|found| found.get(at)) {
                Some(Some(info)) => Some(inverted.read_postings_from_terminfo(info, record)?),
                Some(None) => None,
                None => inverted.read_postings(term, record)?,
            };
            let Some(postings) = postings else {
                continue;
            };
            let fieldnorms = match similarity {
                Some(_) => reader.fieldnorms_readers().get_field(term.field())?,
                None => None,
            }
            .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
            if postings.doc() != TERMINATED {
                // As `BoostWeight` passes its boost on to `TermWeight`.
                let similarity =
                    similarity.as_ref().map(|similarity| similarity.boost_by(boost * field_boost));
                let constant = if self.scoring { boost * field_boost } else { 1.0 };
                scorers.push(TermPostings { postings, fieldnorms, similarity, constant });
            }
        }
        Ok(scorers)
    }
}

impl Weight for AnyTermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorer = AnyTermScorer { terms: self.term_scorers(reader, boost)?, doc: TERMINATED };
        scorer.settle();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("Document #({doc}) does not match")));
        }
        Ok(Explanation::new("sum of the word's terms' BM25", scorer.score()))
    }
}

/// BM25 as tantivy's `Bm25Weight` computes it for one term (the same constants and float
/// operations, so the same scores: the tests compare them with tantivy's), but for the table of
/// length norms. That table depends only on the field's average length, yet `Bm25Weight` computes
/// it (256 divisions) and an explanation (several strings) for every term of every search: a word
/// looked up in a dozen fields paid for a dozen. Here each thread keeps the last table of each
/// field and reuses it while the field's average length stays the same.
#[derive(Clone)]
pub(crate) struct Bm25 {
    weight: Score,
    norms: Norms,
}

const K1: Score = 1.2;
const B: Score = 0.75;

impl Bm25 {
    #[cfg(test)]
    pub(crate) fn for_term(statistics: &dyn Bm25StatisticsProvider, term: &Term) -> tantivy::Result<Self> {
        Self::with_doc_freq(statistics, term.field(), statistics.doc_freq(term)?)
    }

    /// For a term of `field` that `doc_freq` documents hold.
    pub(crate) fn with_doc_freq(
        statistics: &dyn Bm25StatisticsProvider,
        field: Field,
        doc_freq: u64,
    ) -> tantivy::Result<Self> {
        let total_num_tokens = statistics.total_num_tokens(field)?;
        let total_num_docs = statistics.total_num_docs()?;
        let average = total_num_tokens as Score / total_num_docs as Score;
        // tantivy asserts instead (a searcher's counts both include deleted documents, so a term
        // is never in more documents than there are); here it would score, not panic.
        let x = (total_num_docs.saturating_sub(doc_freq) as Score + 0.5) / (doc_freq as Score + 0.5);
        let idf = (1.0 + x).ln();
        Ok(Self { weight: idf * (1.0 + K1), norms: norms(field, average) })
    }

    /// As `Bm25Weight::boost_by`.
    pub(crate) fn boost_by(&self, boost: Score) -> Self {
        let weight = if boost == 1.0 { self.weight } else { self.weight * boost };
        Self { weight, norms: Arc::clone(&self.norms) }
    }

    #[inline]
    pub(crate) fn score(&self, fieldnorm_id: u8, term_freq: u32) -> Score {
        let term_freq = term_freq as Score;
        self.weight * (term_freq / (term_freq + self.norms[usize::from(fieldnorm_id)]))
    }
}

/// `K1 * (1 - B + B * length / average)` for each of the 256 encoded lengths.
type Norms = Arc<[Score; 256]>;

/// The [`Norms`] of `field` for its `average` length: this thread's last, or computed afresh.
fn norms(field: Field, average: Score) -> Norms {
    thread_local! {
        /// Each field's last table, with the bits of the average it was computed for.
        static TABLES: RefCell<Vec<(Field, u32, Norms)>> = const { RefCell::new(Vec::new()) };
    }
    TABLES.with_borrow_mut(|tables| {
        let bits = average.to_bits();
        match tables.iter_mut().find(|(f, _, _)| *f == field) {
            Some((_, cached, table)) => {
                if *cached != bits {
                    *cached = bits;
                    *table = compute_norms(average);
                }
                Arc::clone(table)
            }
            None => {
                let table = compute_norms(average);
                tables.push((field, bits, Arc::clone(&table)));
                table
            }
        }
    })
}

fn compute_norms(average: Score) -> Norms {
    let mut norms = [0.0; 256];
    for (id, norm) in (0..=u8::MAX).zip(norms.iter_mut()) {
        let length = FieldNormReader::id_to_fieldnorm(id) as Score;
        *norm = K1 * (1.0 - B + B * length / average);
    }
    Arc::new(norms)
}

/// One term's postings in a segment, scored as tantivy's `TermScorer` scores them.
pub(crate) struct TermPostings {
    postings: SegmentPostings,
    fieldnorms: FieldNormReader,
    similarity: Option<Bm25>,
    /// The score without a similarity: its boost, for a term scored so; 1 when not scoring.
    constant: Score,
}

impl TermPostings {
    #[inline]
    pub(crate) fn score(&self) -> Score {
        match &self.similarity {
            Some(similarity) => {
                similarity.score(self.fieldnorms.fieldnorm_id(self.postings.doc()), self.postings.term_freq())
            }
            None => self.constant,
        }
    }

    #[inline]
    pub(crate) fn doc(&self) -> DocId {
        self.postings.doc()
    }

    #[inline]
    pub(crate) fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    pub(crate) fn seek(&mut self, target: DocId) -> DocId {
        if self.postings.doc() < target { self.postings.seek(target) } else { self.postings.doc() }
    }

    pub(crate) fn cost(&self) -> u64 {
        u64::from(self.postings.size_hint())
    }
}

/// The union of a word's terms: each document holding any, scored with the sum of the scores of
/// the terms it holds (summed in the query's order, as tantivy's union does).
struct AnyTermScorer {
    terms: Vec<TermPostings>,
    doc: DocId,
}

impl AnyTermScorer {
    fn settle(&mut self) -> DocId {
        self.doc = self.terms.iter().map(TermPostings::doc).min().unwrap_or(TERMINATED);
        self.doc
    }
}

impl DocSet for AnyTermScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let current = self.doc;
        for term in &mut self.terms {
            if term.doc() == current {
                term.advance();
            }
        }
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for term in &mut self.terms {
            term.seek(target);
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.terms.iter().map(|term| term.postings.size_hint()).max().unwrap_or(0)
    }

    fn cost(&self) -> u64 {
        self.terms.iter().map(TermPostings::cost).sum()
    }
}

impl Scorer for AnyTermScorer {
    fn score(&mut self) -> Score {
        let mut score = 0.0;
        for term in &self.terms {
            if term.doc() == self.doc {
                score += term.score();
            }
        }
        score
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::{STRING, Schema, TextFieldIndexing, TextOptions};
    use tantivy::{Index, TantivyDocument};

    use super::*;

    #[test]
    fn bm25_scores_as_tantivy_scores_whichever_averages_come_in_turn() {
        struct Statistics {
            tokens: u64,
            docs: u64,
            doc_freq: u64,
        }
        impl Bm25StatisticsProvider for Statistics {
            fn total_num_tokens(&self, _: Field) -> tantivy::Result<u64> {
                Ok(self.tokens)
            }
            fn total_num_docs(&self) -> tantivy::Result<u64> {
                Ok(self.docs)
            }
            fn doc_freq(&self, _: &Term) -> tantivy::Result<u64> {
                Ok(self.doc_freq)
            }
        }
        let (a, b) = (
            Term::from_field_text(Field::from_field_id(0), "a"),
            Term::from_field_text(Field::from_field_id(1), "b"),
        );
        // (term, tokens, documents, documents with the term): the same field's average changes
        // and changes back, as it does from one commit's searcher to the next.
        for (term, tokens, docs, doc_freq) in [
            (&a, 3_000, 1_000, 10),
            (&b, 3_000, 1_000, 10),
            (&a, 250_500, 1_000, 999),
            (&a, 3_000, 1_000, 1),
            (&a, 1_000_000_000, 100_000, 50_000),
            (&b, 7, 1, 1),
        ] {
            let statistics = Statistics { tokens, docs, doc_freq };
            let ours = Bm25::for_term(&statistics, term).unwrap();
            let theirs =
                tantivy::query::Bm25Weight::for_terms(&statistics, std::slice::from_ref(term)).unwrap();
            for boost in [1.0, 2.5, 0.3] {
                let (ours, theirs) = (ours.boost_by(boost), theirs.boost_by(boost));
                for fieldnorm_id in 0..=u8::MAX {
                    for term_freq in [1, 2, 7, 100, 40_000] {
                        assert_eq!(
                            ours.score(fieldnorm_id, term_freq).to_bits(),
                            theirs.score(fieldnorm_id, term_freq).to_bits(),
                            "{tokens}/{docs} df {doc_freq} x{boost} norm {fieldnorm_id} tf {term_freq}"
                        );
                    }
                }
            }
        }
    }
    use crate::filters::{FilterCache, Filtered};

    fn text_field(
        builder: &mut tantivy::schema::SchemaBuilder,
        name: &str,
        analyzer: &str,
    ) -> tantivy::schema::Field {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        builder.add_text_field(name, TextOptions::default().set_indexing_options(indexing))
    }

    /// Over 12,000 documents made of the sample stories' lines (so that a search spans several
    /// windows of the filtered walk), in two segments with deletions, words looked up in three
    /// fields with three boosts match and score exactly as tantivy's boolean query of boosted
    /// term queries does: alone, and under filters dense, sparse (the filter leads) and
    /// clustered in one stretch of documents (windows without any are skipped), counted with and
    /// without scores; and two words together, where each word's union is skipped through.
    #[test]
    fn matches_and_scores_as_a_boolean_query_of_terms_alone_and_under_filters() {
        let mut builder = Schema::builder();
        let plain = text_field(&mut builder, "plain", crate::analysis::PLAIN);
        let folded = text_field(&mut builder, "folded", crate::analysis::FOLDED);
        let title = text_field(&mut builder, "title", crate::analysis::FOLDED);
        let group = builder.add_text_field("group", STRING);
        let index = Index::create_in_ram(builder.build());
        crate::analysis::register(&index);
        let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stories-sample/stories");
        let mut lines = Vec::new();
        for language in std::fs::read_dir(sample).unwrap().flatten() {
            for file in std::fs::read_dir(language.path()).unwrap().flatten() {
                if let Ok(text) = std::fs::read_to_string(file.path()) {
                    lines.extend(text.lines().filter(|line| line.len() > 20).map(str::to_owned));
                }
            }
        }
        assert!(lines.len() > 200, "{} lines", lines.len());
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        const DOCUMENTS: usize = 12_000;
        for n in 0..DOCUMENTS {
            let mut document = TantivyDocument::default();
            let line = &lines[n % lines.len()];
            document.add_text(plain, line);
            document.add_text(folded, line);
            let heading: String = lines[(n * 7) % lines.len()].chars().take(20).collect();
            document.add_text(title, heading);
            for (name, holds) in [
                ("third", n % 3 == 0),
                ("sparse", n % 397 == 0),
                ("stretch", (10_000..10_300).contains(&n)),
                ("gone", n % 11 == 0),
            ] {
                if holds {
                    document.add_text(group, name);
                }
            }
            writer.add_document(document).unwrap();
            if n == DOCUMENTS / 3 {
                writer.commit().unwrap();
            }
        }
        writer.delete_term(Term::from_field_text(group, "gone"));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);

        let analyze = |analyzer: &str, text: &str| crate::analysis::tokens(&index, analyzer, text);
        let mut words: Vec<String> = Vec::new();
        for line in lines.iter().step_by(lines.len() / 40) {
            words.extend(analyze(crate::analysis::PLAIN, line).into_iter().take(3));
        }
        words.extend(["the".into(), "qqqq".into()]);
        let cache = Arc::new(FilterCache::default());
        let group_term = |name: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(group, name), IndexRecordOption::Basic))
        };
        let mut compared = 0;
        let mut every_word = Vec::new();
        for word in &words {
            let mut terms = Vec::new();
            for (field, analyzer, boost) in [
                (plain, crate::analysis::PLAIN, 1.0),
                (title, crate::analysis::FOLDED, 2.0),
                (folded, crate::analysis::FOLDED, 0.5),
            ] {
                if let [token] = analyze(analyzer, word).as_slice() {
                    terms.push((Term::from_field_text(field, token), boost));
                }
            }
            // Several terms of one field, as a word's inflections are: its English stem too (a
            // word of its own, or of no document), where it differs.
            if let Some(stem) = crate::analysis::stem("en", word).filter(|stem| stem != word) {
                terms.push((Term::from_field_text(plain, &stem), 0.7));
            }
            let boolean = || boolean_of(&terms);
            let any = || -> Box<dyn Query> { Box::new(AnyTerm::new(terms.clone())) };
            let ranked = (Count, TopDocs::with_limit(20_000).order_by_score());
            let expected = searcher.search(boolean().as_ref(), &ranked).unwrap();
            assert_eq!(searcher.search(any().as_ref(), &ranked).unwrap(), expected, "{word}");
            // The same with the terms looked up beforehand, in every segment.
            let just_terms: Vec<Term> = terms.iter().map(|(term, _)| term.clone()).collect();
            let found = TermInfos::look_up(&searcher, &just_terms).unwrap();
            let looked_up = AnyTerm::with_infos(terms.clone(), found);
            assert_eq!(searcher.search(&looked_up, &ranked).unwrap(), expected, "{word}, looked up");
            for filters in [vec!["third"], vec!["sparse"], vec!["stretch"], vec!["third", "stretch"]] {
                let mut plain: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, boolean())];
                for name in &filters {
                    plain.push((Occur::Must, Box::new(ConstScoreQuery::new(group_term(name), 0.0))));
                }
                let plain = BooleanQuery::new(plain);
                let cached =
                    || filters.iter().map(|name| (format!("group:{name}"), group_term(name))).collect();
                let filtered = Filtered::new(any(), cached(), &cache);
                let expected = searcher.search(&plain, &ranked).unwrap();
                assert_eq!(searcher.search(&filtered, &ranked).unwrap(), expected, "{word} {filters:?}");
                let found = TermInfos::look_up(&searcher, &just_terms).unwrap();
                let looked_up =
                    Filtered::new(Box::new(AnyTerm::with_infos(terms.clone(), found)), cached(), &cache);
                assert_eq!(
                    searcher.search(&looked_up, &ranked).unwrap(),
                    expected,
                    "{word} {filters:?}, looked up"
                );
                // Counted without scores.
                assert_eq!(searcher.search(&filtered, &Count).unwrap(), expected.0, "{word} {filters:?}");
                compared += usize::from(expected.0 > 0);
            }
            every_word.push(terms);
        }
        assert!(compared > 100, "only {compared} searches matched anything");
        // Two words together: the union is skipped through by the other word (`seek`).
        let mut together = 0;
        for pair in every_word.windows(2) {
            let both = |first: Box<dyn Query>, second: Box<dyn Query>| {
                BooleanQuery::new(vec![(Occur::Must, first), (Occur::Must, second)])
            };
            let ranked = (Count, TopDocs::with_limit(20_000).order_by_score());
            let expected =
                searcher.search(&both(boolean_of(&pair[0]), boolean_of(&pair[1])), &ranked).unwrap();
            let any = |terms: &[(Term, Score)]| -> Box<dyn Query> { Box::new(AnyTerm::new(terms.to_vec())) };
            let found = searcher.search(&both(any(&pair[0]), any(&pair[1])), &ranked).unwrap();
            assert_eq!(found, expected, "{pair:?}");
            together += usize::from(expected.0 > 0);
        }
        assert!(together > 20, "only {together} pairs matched anything");
    }

    /// tantivy's boolean query of the boosted term queries.
    fn boolean_of(terms: &[(Term, Score)]) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            terms
                .iter()
                .map(|(term, boost)| {
                    let query: Box<dyn Query> =
                        Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs));
                    let query: Box<dyn Query> =
                        if *boost == 1.0 { query } else { Box::new(BoostQuery::new(query, *boost)) };
                    (Occur::Should, query)
                })
                .collect(),
        ))
    }
}
