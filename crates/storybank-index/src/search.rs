//! Searching: the query tree becomes tantivy queries over the text (each word expanded through
//! the segments' word maps into its inflections and spellings) and the title, filters and the
//! audience's consent rules are added to every query, and hits come back with facet counts.

use std::cell::Cell;
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;

use storybank_domain::{Audience, ConsentScope, Status, Story, StoryId};
use tantivy::collector::sort_key::SortByStaticFastValue;
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::postings::Postings;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, EnableScoring, FuzzyTermQuery,
    MoreLikeThisQuery, Occur, Query, RangeQuery, Scorer, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, DocId, DocSet, Order, Score, Searcher, SearcherGeneration, SegmentReader, TERMINATED, Term,
    Warmer,
};

use crate::analysis::{STEMMED_LANGUAGES, fold};
use crate::any_term::{AnyTerm, TermInfos};
use crate::facets::{FacetCounts, SEPARATOR};
use crate::filters::Filtered;
use crate::phrase::ExactPhrase;
use crate::query::{Node, parse};
use crate::request::Found;
use crate::schema::{date, theme_facet};
use crate::segment_cache::SegmentCache;
use crate::word_map::{WordMap, language_bit, stems_of};
use crate::{FacetCount, Facets, Hit, IndexError, SearchRequest, SearchResults, Snippet, Sort, StoryIndex};

/// Words this long or longer also match with one typo...
const FUZZY_MIN_CHARS: usize = 5;
/// ...when they match fewer stories than this as typed.
const FUZZY_BELOW_MATCHES: u64 = 10;
const TITLE_BOOST: f32 = 1.5;
const FOLDED_BOOST: f32 = 0.6;
const FUZZY_BOOST: f32 = 0.2;

/// How deep a search may page (offset + limit).
pub const MAX_DEPTH: usize = 10_000;

impl StoryIndex {
    /// Runs a search. The audience's rules (status and consent) are part of the query.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, IndexError> {
        if request.limit == 0 {
            return Err(IndexError::Invalid("the limit must be at least 1".into()));
        }
        // The collector holds offset + limit hits per segment: deep pages are refused, not
        // allowed to exhaust memory.
        if request.offset.saturating_add(request.limit) > MAX_DEPTH {
            return Err(IndexError::Invalid(format!(
                "a search reaches at most {MAX_DEPTH} hits deep (offset + limit); narrow the search instead"
            )));
        }
        let (searcher, maps) = self.searcher()?;
        let live: Vec<tantivy::index::SegmentId> =
            searcher.segment_readers().iter().map(|segment| segment.segment_id()).collect();
        self.filters.keep_only(&live);
        self.id_columns.keep_only(&live);
        let words = self.words_query(&searcher, maps, request)?;
        let browsing = words.is_none();
        // Phrases check positions in every document holding their words: a long one is split.
        let split = words.as_ref().is_some_and(|words| words.positional);
        let query = self.filtered(words.map(|words| words.query), request);
        let top = TopDocs::with_limit(request.limit).and_offset(request.offset);
        let (total, hits, facets) = if request.sort == Sort::Date || browsing {
            // Newest first; stories of the same day by when they were stored (their id's time).
            let newest = top.order_by((
                (SortByStaticFastValue::<tantivy::DateTime>::for_field("sort_date"), Order::Desc),
                (SortByStaticFastValue::<u64>::for_field("id_high"), Order::Desc),
                (SortByStaticFastValue::<u64>::for_field("id_low"), Order::Desc),
            ));
            let (total, top, facets) = self.collect(&searcher, &query, newest, request.facets, split)?;
            (total, top.into_iter().map(|(_, address)| (0.0, address)).collect::<Vec<_>>(), facets)
        } else {
            self.collect(&searcher, &query, top.order_by_score(), request.facets, split)?
        };
        let mut results = SearchResults { total, hits: Vec::with_capacity(hits.len()), facets };
        let generation = searcher.generation().generation_id();
        for (score, address) in hits {
            let found = Some(Found { generation, address });
            results.hits.push(Hit { id: self.id_columns.read(&searcher, address)?, score, found });
        }
        Ok(results)
    }

    /// Counts the matches, collects the page with `top`, and counts the facets when asked to.
    /// With `split`, a segment with many candidates is searched in two halves at once (see
    /// [`search_split`]).
    fn collect<C: Collector>(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        top: C,
        facets: bool,
        split: bool,
    ) -> Result<(usize, C::Fruit, Facets), IndexError> {
        if !facets {
            let (total, top) = search_with(searcher, query, &(Count, top), split)?;
            return Ok((total, top, Facets::default()));
        }
        let live: Vec<tantivy::index::SegmentId> =
            searcher.segment_readers().iter().map(|segment| segment.segment_id()).collect();
        self.facets.keep_only(&live);
        let counts = FacetCounts { cache: Arc::clone(&self.facets) };
        let (total, top, (theme_counts, meta_counts)) =
            search_with(searcher, query, &(Count, top, counts), split)?;

        let mut themes: Vec<FacetCount> = theme_counts
            .into_iter()
            .map(|(path, count)| FacetCount { value: path.replace(SEPARATOR, "/"), count })
            .collect();
        themes.sort_by(|a, b| a.value.cmp(&b.value));
        // Forms, languages, story types and places: `group/value` paths of the meta facet.
        let mut groups: HashMap<&str, Vec<FacetCount>> = HashMap::new();
        for (path, count) in &meta_counts {
            let mut parts = path.split(SEPARATOR);
            if let (Some(group), Some(value), None) = (parts.next(), parts.next(), parts.next()) {
                groups.entry(group).or_default().push(FacetCount { value: value.to_owned(), count: *count });
            }
        }
        let mut group = |name: &str| -> Vec<FacetCount> {
            let mut counts = groups.remove(name).unwrap_or_default();
            counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            counts
        };
        let facets = Facets {
            themes,
            forms: group("form"),
            languages: group("language"),
            story_types: group("type"),
            places: group("place"),
        };
        Ok((total, top, facets))
    }

    /// A snippet maker for `request`'s words (`None` when it has none): the query is built once,
    /// and each field's snippet generator the first time a story needs it.
    pub fn snippets(
        &self,
        request: &SearchRequest,
        max_chars: usize,
    ) -> Result<Option<Snippets<'_>>, IndexError> {
        let (searcher, maps) = self.searcher()?;
        let Some(Words { query, .. }) = self.words_query(&searcher, maps, request)? else {
            return Ok(None);
        };
        Ok(Some(Snippets {
            index: self,
            searcher,
            query,
            max_chars,
            generators: std::collections::HashMap::new(),
        }))
    }

    /// Stories like `story` (by its distinctive words), that `audience` may see, best first.
    pub fn more_like_this(
        &self,
        story: &Story,
        audience: Audience,
        today: chrono::NaiveDate,
        limit: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let field = self.fields.text;
        let text = story.content.full_text();
        let like: Box<dyn Query> = Box::new(
            MoreLikeThisQuery::builder()
                .with_min_doc_frequency(1)
                .with_min_term_frequency(1)
                .with_min_word_length(3)
                .with_max_query_terms(25)
                .with_document_fields(vec![(field, vec![tantivy::schema::OwnedValue::Str(text)])]),
        );
        let mut request = SearchRequest::new("", audience, today);
        request.limit = limit + 1;
        let query = self.filtered(Some(like), &request);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit + 1).order_by_score())?;
        let mut hits = Vec::new();
        for (score, address) in top {
            let id = self.id_columns.read(&searcher, address)?;
            if id != story.id && hits.len() < limit {
                hits.push(Hit { id, score, found: None });
            }
        }
        Ok(hits)
    }

    /// The current searcher, with its segments' word maps. Should a map be gone (see
    /// [`WordMaps`]), the reader moves on to the segments that replaced its segment.
    pub(crate) fn searcher(&self) -> Result<(Searcher, Vec<Arc<WordMap>>), IndexError> {
        let mut reloads = 0;
        loop {
            let searcher = self.reader.searcher();
            match self.word_maps.of(&searcher) {
                Ok(maps) => return Ok((searcher, maps)),
                Err(MapError::Gone) if reloads < 3 => {
                    reloads += 1;
                    self.reader.reload()?;
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// The query for the request's words (each expanded through `maps`, those of `searcher`'s
    /// segments), or `None` when there are none.
    fn words_query(
        &self,
        searcher: &Searcher,
        maps: Vec<Arc<WordMap>>,
        request: &SearchRequest,
    ) -> Result<Option<Words>, IndexError> {
        let Some(node) = parse(&request.query) else {
            return Ok(None);
        };
        let asked: Vec<&str> = request.languages.iter().map(|language| language.as_str()).collect();
        let languages = STEMMED_LANGUAGES
            .iter()
            .filter(|(code, _)| asked.is_empty() || asked.contains(code))
            .filter_map(|(code, _)| language_bit(code))
            .fold(0, |languages, bit| languages | bit);
        let builder = QueryBuilder { index: self, searcher, languages, maps, positional: Cell::new(false) };
        let query = builder.build(&node)?;
        Ok(query.map(|query| Words { query, positional: builder.positional.get() }))
    }

    /// Adds the request's filters and the audience's rules to `words` (or to everything).
    fn filtered(&self, words: Option<Box<dyn Query>>, request: &SearchRequest) -> Box<dyn Query> {
        let fields = &self.fields;
        let term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        let any_of = |queries: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(queries.into_iter().map(|q| (Occur::Should, q)).collect()))
        };
        // Filters on few values (the audience's rules, themes, forms...) are kept as bit sets
        // per segment, under a key that names what they match; the others (tags, places, dates)
        // are read from their postings each time.
        let mut cached: Vec<(String, Box<dyn Query>)> = Vec::new();
        let mut filters: Vec<Box<dyn Query>> = Vec::new();
        let mut exclusions: Vec<Box<dyn Query>> = vec![term(fields.status, Status::Withdrawn.as_str())];

        // The audience's rules: what it may see at all.
        match request.audience {
            Audience::Curator => {}
            Audience::Commissioner | Audience::Public => {
                let published = Status::Published.as_str();
                cached.push((format!("status:{published}"), term(fields.status, published)));
                let scopes: &[ConsentScope] = if request.audience == Audience::Public {
                    &[ConsentScope::Public]
                } else {
                    &[ConsentScope::Commissioners, ConsentScope::Public]
                };
                let names: Vec<&str> = scopes.iter().map(|scope| scope.as_str()).collect();
                cached.push((
                    format!("scope:{}", names.join(",")),
                    any_of(names.iter().map(|scope| term(fields.scope, scope)).collect()),
                ));
                cached.push((
                    format!("consent_until>={}", request.today),
                    Box::new(RangeQuery::new(
                        Bound::Included(Term::from_field_date_for_search(
                            fields.consent_until,
                            date(request.today),
                        )),
                        Bound::Unbounded,
                    )),
                ));
            }
        }
        if let Some((first, last)) = request.consent_ends {
            filters.push(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_date_for_search(fields.consent_until, date(first))),
                Bound::Included(Term::from_field_date_for_search(fields.consent_until, date(last))),
            )));
        }
        if !request.themes.is_empty() {
            let names: Vec<&str> = request.themes.iter().map(|theme| theme.as_str()).collect();
            cached.push((
                format!("themes:{}", names.join("\u{0}")),
                any_of(
                    request
                        .themes
                        .iter()
                        .map(|theme| {
                            Box::new(TermQuery::new(
                                Term::from_facet(fields.themes, &theme_facet(theme)),
                                IndexRecordOption::Basic,
                            )) as Box<dyn Query>
                        })
                        .collect(),
                ),
            ));
        }
        let mut any_terms = |field: Field, values: Vec<&str>, cache: bool| {
            if values.is_empty() {
                return;
            }
            let query = any_of(values.iter().map(|value| term(field, value)).collect());
            if cache {
                let name = fields.schema.get_field_name(field);
                cached.push((format!("{name}:{}", values.join("\u{0}")), query));
            } else {
                filters.push(query);
            }
        };
        any_terms(fields.tags, request.tags.iter().map(|tag| tag.as_str()).collect(), false);
        any_terms(fields.form, request.forms.iter().map(|form| form.as_str()).collect(), true);
        any_terms(fields.story_type, request.story_types.iter().map(|t| t.as_str()).collect(), true);
        any_terms(
            fields.language,
            request.languages.iter().map(|language| language.as_str()).collect(),
            true,
        );
        any_terms(fields.status, request.statuses.iter().map(|status| status.as_str()).collect(), true);
        any_terms(fields.flags, request.flags.iter().map(String::as_str).collect(), true);
        any_terms(fields.reporter, request.reporters.iter().map(String::as_str).collect(), false);
        if let Some(place) = &request.place {
            let folded = self.analyze(fields.place, place).into_iter().next().unwrap_or_default();
            filters.push(term(fields.place, &folded));
        }
        if request.from.is_some() || request.to.is_some() {
            let bound = |day: Option<chrono::NaiveDate>| match day {
                Some(day) => Bound::Included(Term::from_field_date_for_search(fields.recorded_on, date(day))),
                None => Bound::Unbounded,
            };
            filters.push(Box::new(RangeQuery::new(bound(request.from), bound(request.to))));
        }

        // One word under cached filters only (the usual search): withdrawn stories are left out
        // by a cached filter too, so the word's matches are walked with every filter at once.
        let words = match words {
            Some(word) if filters.is_empty() && word.is::<AnyTerm>() => {
                let withdrawn = Status::Withdrawn.as_str();
                let not_withdrawn = BooleanQuery::new(vec![
                    (Occur::Must, Box::new(AllQuery)),
                    (Occur::MustNot, term(fields.status, withdrawn)),
                ]);
                cached.push((format!("status!={withdrawn}"), Box::new(not_withdrawn)));
                return Box::new(Filtered::new(word, cached, &self.filters));
            }
            words => words,
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, words.unwrap_or_else(|| Box::new(AllQuery)))];
        clauses.extend(
            filters
                .into_iter()
                .map(|filter| (Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0)) as Box<dyn Query>)),
        );
        clauses.extend(exclusions.drain(..).map(|exclusion| (Occur::MustNot, exclusion)));
        let query = Box::new(BooleanQuery::new(clauses));
        if cached.is_empty() { query } else { Box::new(Filtered::new(query, cached, &self.filters)) }
    }

    /// The analyzer `field` is indexed with.
    pub(crate) fn reading_analyzer(&self, field: Field) -> Result<TextAnalyzer, IndexError> {
        Ok(self.index.tokenizer_for_field(field)?)
    }

    /// The tokens `field`'s analyzer makes of `text`, in order.
    fn analyze(&self, field: Field, text: &str) -> Vec<String> {
        let Ok(mut analyzer) = self.reading_analyzer(field) else {
            return Vec::new();
        };
        let mut stream = analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            tokens.push(stream.token().text.clone());
        }
        tokens
    }
}

/// How many candidates (as tantivy estimates a scorer's cost; a phrase's counts ten per word and
/// document holding its words) make a segment worth searching on several threads at once: a
/// phrase of two common words reads positions in nearly every story of their language.
const SPLIT_COST: u64 = 20_000;
/// At most this many threads search one segment.
const MAX_SPLIT_THREADS: usize = 4;

/// `Searcher::search`, or [`search_split`] when `split` and the machine has several cores.
fn search_with<C: Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    collector: &C,
    split: bool,
) -> tantivy::Result<C::Fruit> {
    // Asked once: the answer reads the process's CPU quota from /proc and /sys each time, which
    // took a third of a cheap search's time when asked for each.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let threads = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if split && threads > 1 {
        search_split(searcher, query, collector, SPLIT_COST, threads.min(MAX_SPLIT_THREADS))
    } else {
        searcher.search(query, collector)
    }
}

/// Runs `collector` over `query`'s matches like `Searcher::search`, except that a segment whose
/// scorer costs `split_cost` or more is cut into `threads` parts of consecutive document ids,
/// searched at once on as many threads, each with a scorer and a segment collector of its own;
/// the parts' fruits are merged like segments'. The results are the same: every match is
/// collected once, with the same score. (Cutting into more parts than threads, taken in turn,
/// was measured slower.)
fn search_split<C: Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    collector: &C,
    split_cost: u64,
    threads: usize,
) -> tantivy::Result<C::Fruit> {
    let scoring = if collector.requires_scoring() {
        EnableScoring::enabled_from_searcher(searcher)
    } else {
        EnableScoring::disabled_from_searcher(searcher)
    };
    let weight = query.weight(scoring)?;
    let mut fruits = Vec::with_capacity(searcher.segment_readers().len());
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let ord = ord as u32;
        let mut scorer = weight.scorer(reader, 1.0)?;
        let parts = (threads as u32).min(reader.max_doc());
        if scorer.cost() < split_cost || parts < 2 {
            fruits.push(collect_range(collector, ord, reader, scorer.as_mut(), 0, TERMINATED)?);
            continue;
        }
        let bound = |part: u32| -> DocId {
            if part >= parts {
                TERMINATED
            } else {
                (u64::from(reader.max_doc()) * u64::from(part) / u64::from(parts)) as DocId
            }
        };
        let results = std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..parts)
                .map(|part| {
                    let weight = &weight;
                    scope.spawn(move || {
                        let mut scorer = weight.scorer(reader, 1.0)?;
                        collect_range(collector, ord, reader, scorer.as_mut(), bound(part), bound(part + 1))
                    })
                })
                .collect();
            let mut results = vec![collect_range(collector, ord, reader, scorer.as_mut(), 0, bound(1))];
            results.extend(helpers.into_iter().map(|helper| {
                helper.join().unwrap_or_else(|_| {
                    Err(tantivy::TantivyError::InternalError("a search thread panicked".into()))
                })
            }));
            results
        });
        for result in results {
            fruits.push(result?);
        }
    }
    collector.merge_fruits(fruits)
}

/// Collects the live matches of `scorer` in `reader` with document ids in `from..to`.
fn collect_range<C: Collector>(
    collector: &C,
    ord: u32,
    reader: &SegmentReader,
    scorer: &mut dyn Scorer,
    from: DocId,
    to: DocId,
) -> tantivy::Result<<C::Child as SegmentCollector>::Fruit> {
    let mut segment = collector.for_segment(ord, reader)?;
    let scoring = collector.requires_scoring();
    let alive = reader.alive_bitset();
    let mut doc = if scorer.doc() < from { scorer.seek(from) } else { scorer.doc() };
    while doc < to {
        if alive.is_none_or(|alive| alive.is_alive(doc)) {
            let score = if scoring { scorer.score() } else { 0.0 };
            segment.collect(doc, score);
        }
        doc = scorer.advance();
    }
    Ok(segment.harvest())
}

/// Makes snippets for one search's hits, building each field's generator once.
pub struct Snippets<'a> {
    index: &'a StoryIndex,
    searcher: Searcher,
    query: Box<dyn Query>,
    max_chars: usize,
    /// Each field's generator, with the query's words that the field holds (and their
    /// entries in the dictionary of each segment a hit was in).
    generators: std::collections::HashMap<Field, (SnippetGenerator, Vec<Term>, SegmentTerms)>,
}

impl std::fmt::Debug for Snippets<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snippets").field("max_chars", &self.max_chars).finish_non_exhaustive()
    }
}

impl Snippets<'_> {
    /// The fragment of `text` (the words of `story`, a hit of this search, as its reader may see
    /// them) that best shows the words searched, marked; `None` when it shows none of them (the
    /// story matched by its title, say).
    ///
    /// The words marked are those the search looked for in the text: the words as typed and, from
    /// each segment's word map, their inflections and other spellings.
    ///
    /// When `text` is the text indexed, the text field's positions say where the words are: the
    /// snippet is cut around their densest run, and only that part of the text is analysed.
    /// Otherwise (a transcript with its speakers' names withheld, or a story changed since it was
    /// indexed), the text is read in windows of [`SNIPPET_WINDOW`] bytes, and the first window
    /// that shows every word searched gives the snippet (failing that, the window that shows the
    /// most), so a long story is not tokenized to its end when its first paragraphs already
    /// match. A story that holds none of the words searched in its text is not read at all.
    /// Windows overlap a little, so a phrase across a border is still found.
    pub fn of_hit(&mut self, hit: &Hit, story: &Story, text: &str) -> Result<Option<Snippet>, IndexError> {
        let found = hit.found.filter(|found| found.generation == self.searcher.generation().generation_id());
        self.make(story, text, found)
    }

    fn make(
        &mut self,
        story: &Story,
        text: &str,
        found: Option<Found>,
    ) -> Result<Option<Snippet>, IndexError> {
        let field = self.index.fields.text;
        // Where the index says the words are: only for a hit, only when the text is the one
        // indexed (not a transcript with its speakers' names withheld, say), and only when the
        // text is longer than the part a located snippet would analyse (a short text is
        // analysed whole at once, for less than reading the words' positions costs).
        let located =
            found.filter(|_| text.len() > LEAD_BYTES + LOCATED_WINDOW && is_indexed_text(story, text));
        {
            let (generator, terms, in_segments) = match self.generators.entry(field) {
                std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::hash_map::Entry::Vacant(entry) => {
                    let (terms, weights) = words_in_index(&self.searcher, self.query.as_ref(), field)?;
                    let analyzer = self.index.reading_analyzer(field)?;
                    let generator = SnippetGenerator::new(weights, analyzer, field, self.max_chars);
                    entry.insert((generator, terms, SegmentTerms::default()))
                }
            };
            let terms = match found {
                Some(found) => in_segments.of(&self.searcher, terms, found.address.segment_ord)?,
                None => LookedUp { terms, infos: None },
            };
            // The snippet is cut around the densest run of the words searched, and only that part
            // of the text is analysed.
            if let Some(found) = located {
                let positions = positions_in_document(&self.searcher, field, &terms, found)?;
                let Some(run) = densest_run(&positions, RUN_TOKENS) else {
                    // None of the words searched is in the text.
                    return Ok(None);
                };
                if let Some(window) = window_at_token(text, run.first_position) {
                    let snippet = generator.snippet(window);
                    // Any word searched shows: the positions were right. (Not necessarily every
                    // word of the run: a word's inflections count apart in the run, and the
                    // generator may fit only some of them in its fragment; asking for all sent
                    // such hits on to read their whole text.)
                    if distinct_words(&snippet) > 0 {
                        return Ok(Some(to_snippet(&snippet)));
                    }
                }
                // The text changed since it was indexed: read it window by window below.
            }
            // How many words a window must show to be taken at once: those this story holds in
            // this field when the index says (it does for a hit), else all the field holds.
            let wanted = match found {
                Some(found) => words_in_document(&self.searcher, field, &terms, found)?,
                None => terms.terms.len(),
            };
            // None of the words searched is here: nothing to mark.
            if wanted == 0 {
                return Ok(None);
            }
            let mut best: Option<(usize, tantivy::snippet::Snippet)> = None;
            for window in windows(text) {
                let snippet = generator.snippet(window);
                let shown = distinct_words(&snippet);
                if shown >= wanted {
                    return Ok(Some(to_snippet(&snippet)));
                }
                if shown > best.as_ref().map_or(0, |(count, _)| *count) {
                    best = Some((shown, snippet));
                }
            }
            // No window shows every word (a phrase's words far apart, a prefix with many
            // completions): the one that shows the most.
            if let Some((_, snippet)) = best {
                return Ok(Some(to_snippet(&snippet)));
            }
        }
        // Nothing to mark in the text (the story matched by its title, say).
        Ok(None)
    }
}

/// How much of a story's text a snippet is looked for in at a time (bytes).
pub const SNIPPET_WINDOW: usize = 2_000;
/// How much consecutive windows share, so that words across a border are in one of them.
const WINDOW_OVERLAP: usize = 200;

/// `text` in windows of about [`SNIPPET_WINDOW`] bytes, each starting and ending at whitespace
/// (or the text's ends), overlapping by about [`WINDOW_OVERLAP`] bytes.
fn windows(text: &str) -> impl Iterator<Item = &str> {
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let from = start?;
        if text.len() - from <= SNIPPET_WINDOW {
            start = None;
            return Some(&text[from..]);
        }
        let end = word_border(text, from + SNIPPET_WINDOW);
        if end >= text.len() {
            start = None;
            return Some(&text[from..]);
        }
        // The next window starts after a space a little before this one's end.
        let space = word_border(text, end.saturating_sub(WINDOW_OVERLAP).max(from + 1));
        start = Some(space + text[space..].chars().next().map_or(1, char::len_utf8));
        Some(&text[from..end])
    })
}

/// The first whitespace at or after byte `at` (or the text's end), on a char boundary.
fn word_border(text: &str, mut at: usize) -> usize {
    while at < text.len() && !text.is_char_boundary(at) {
        at += 1;
    }
    if at >= text.len() {
        return text.len();
    }
    text[at..].find(char::is_whitespace).map_or(text.len(), |offset| at + offset)
}

/// `query`'s terms on `field` that occur in the index (those a snippet can mark), and each one's
/// text weighed as `SnippetGenerator::create` weighs it (the rarer, the more it counts).
fn words_in_index(
    searcher: &Searcher,
    query: &dyn Query,
    field: Field,
) -> Result<(Vec<Term>, std::collections::BTreeMap<String, Score>), IndexError> {
    let mut terms = std::collections::BTreeSet::new();
    query.query_terms(&mut |term, _| {
        if term.field() == field {
            terms.insert(term.clone());
        }
    });
    let mut present = Vec::with_capacity(terms.len());
    let mut weights = std::collections::BTreeMap::new();
    for term in terms {
        let Some(text) = term.value().as_str().map(str::to_owned) else { continue };
        let documents = searcher.doc_freq(&term)?;
        if documents > 0 {
            weights.insert(text, 1.0 / (1.0 + documents as Score));
            present.push(term);
        }
    }
    Ok((present, weights))
}

/// Each of `terms` (all on `field`) that the document `found` holds: its index in `terms`, and
/// its postings (read with `option`) standing on that document.
fn postings_in_document(
    searcher: &Searcher,
    field: Field,
    terms: &LookedUp<'_>,
    found: Found,
    option: IndexRecordOption,
) -> Result<Vec<(usize, tantivy::postings::SegmentPostings)>, IndexError> {
    let mut held = Vec::new();
    if terms.terms.is_empty() {
        return Ok(held);
    }
    let segment = searcher.segment_reader(found.address.segment_ord);
    let inverted = segment.inverted_index(field)?;
    let target = found.address.doc_id;
    for (which, term) in terms.terms.iter().enumerate() {
        let postings = match terms.infos.and_then(|infos| infos.get(which)) {
            Some(Some(info)) => Some(
                inverted.read_postings_from_terminfo(info, option).map_err(tantivy::TantivyError::from)?,
            ),
            Some(None) => None,
            None => inverted.read_postings(term, option).map_err(tantivy::TantivyError::from)?,
        };
        // A postings list starts on its first document; `seek` only moves forward.
        if let Some(mut postings) = postings
            && (postings.doc() == target || (postings.doc() < target && postings.seek(target) == target))
        {
            held.push((which, postings));
        }
    }
    Ok(held)
}

/// The words searched, with their entries in one segment's dictionary when known.
struct LookedUp<'a> {
    terms: &'a [Term],
    infos: Option<&'a [Option<tantivy::postings::TermInfo>]>,
}

/// The words searched as each segment's dictionary has them, looked up the first time a hit of
/// the segment needs them (twenty hits would otherwise look each word up twenty times).
#[derive(Default)]
struct SegmentTerms {
    segments: HashMap<u32, Vec<Option<tantivy::postings::TermInfo>>>,
}

impl SegmentTerms {
    fn of<'a>(
        &'a mut self,
        searcher: &Searcher,
        terms: &'a [Term],
        segment_ord: u32,
    ) -> Result<LookedUp<'a>, IndexError> {
        let infos = match self.segments.entry(segment_ord) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let segment = searcher.segment_reader(segment_ord);
                let mut infos = Vec::with_capacity(terms.len());
                for term in terms {
                    infos.push(
                        segment
                            .inverted_index(term.field())?
                            .get_term_info(term)
                            .map_err(tantivy::TantivyError::from)?,
                    );
                }
                entry.insert(infos)
            }
        };
        Ok(LookedUp { terms, infos: Some(infos) })
    }
}

/// How many of `terms` (all on `field`) the document `found` holds.
fn words_in_document(
    searcher: &Searcher,
    field: Field,
    terms: &LookedUp<'_>,
    found: Found,
) -> Result<usize, IndexError> {
    Ok(postings_in_document(searcher, field, terms, found, IndexRecordOption::Basic)?.len())
}

/// Whether `text` is the text the index holds for `story` (so its positions point into it).
fn is_indexed_text(story: &Story, text: &str) -> bool {
    match &story.content {
        storybank_domain::StoryContent::Text { body } => body == text,
        content => content.full_text() == text,
    }
}

/// How many tokens a snippet's run of matched words may span (a snippet of 180 characters shows
/// about 25 words).
const RUN_TOKENS: u32 = 16;
/// How much text a snippet cut at a known place is looked for in: a little before the run's first
/// word, for context, and enough after it for the longest snippet.
const LEAD_BYTES: usize = 40;
const LOCATED_WINDOW: usize = 480;

/// Where `terms` (all on `field`, which keeps positions) occur in the document `found`: each
/// occurrence's token position, with the index of its term in `terms`, in text order.
fn positions_in_document(
    searcher: &Searcher,
    field: Field,
    terms: &LookedUp<'_>,
    found: Found,
) -> Result<Vec<(u32, usize)>, IndexError> {
    let mut all = Vec::new();
    let mut positions = Vec::new();
    let option = IndexRecordOption::WithFreqsAndPositions;
    for (which, mut postings) in postings_in_document(searcher, field, terms, found, option)? {
        postings.positions(&mut positions);
        all.extend(positions.iter().map(|&position| (position, which)));
    }
    all.sort_unstable();
    Ok(all)
}

/// The best run of matched words for a snippet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    /// The token position of its first word.
    first_position: u32,
    /// How many different words it holds.
    words: usize,
}

/// Among `positions` (token position, which word; in text order), the earliest run spanning
/// fewer than `span` tokens that holds the most different words. `None` when there are none.
fn densest_run(positions: &[(u32, usize)], span: u32) -> Option<Run> {
    let mut best: Option<Run> = None;
    let mut counts: HashMap<usize, usize> = HashMap::new();
    let mut start = 0;
    for &(position, word) in positions {
        *counts.entry(word).or_default() += 1;
        while positions[start].0 + span <= position {
            let left = positions[start].1;
            if let Some(count) = counts.get_mut(&left) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(&left);
                }
            }
            start += 1;
        }
        if best.is_none_or(|best| counts.len() > best.words) {
            best = Some(Run { first_position: positions[start].0, words: counts.len() });
        }
    }
    best
}

/// The part of `text` to cut a snippet from when its matched words start at token `position`
/// (as the index counts tokens: runs of letters and digits, from 0): from a few words before
/// that token to some hundreds of bytes after it, at word borders. `None` when `text` has fewer
/// tokens than that.
fn window_at_token(text: &str, position: u32) -> Option<&str> {
    let at = token_offset(text, position)?;
    let mut from = at.saturating_sub(LEAD_BYTES);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    // Start after whitespace, so the window does not open on half a word.
    if from > 0 {
        from = text[from..at].find(char::is_whitespace).map_or(at, |space| from + space + 1);
    }
    Some(&text[from..word_border(text, at + LOCATED_WINDOW)])
}

/// The byte offset of the token at `position`, counting tokens as tantivy's `SimpleTokenizer`
/// does (maximal runs of alphanumeric characters, numbered from 0).
///
/// A search page looks for 20 hits' runs of words, often thousands of bytes into each text, and
/// reading it a character at a time took 6 % of the page. So eight ASCII bytes at a time become a
/// mask of which are alphanumeric, whose token starts are counted at once; the two-byte Latin
/// letters of the archive's languages (U+00C0 to U+017F, all letters but `×` and `÷`) are
/// classified from their bytes, and any other character is decoded.
fn token_offset(text: &str, position: u32) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut count = 0u32;
    let mut in_token = false;
    let mut at = 0;
    while at < bytes.len() {
        if let Some(chunk) = bytes.get(at..at + 8)
            && chunk.is_ascii()
        {
            let mask =
                chunk.iter().rev().fold(0u8, |mask, byte| mask << 1 | u8::from(byte.is_ascii_alphanumeric()));
            let starts = mask & !(mask << 1 | u8::from(in_token));
            let counted = count + starts.count_ones();
            if counted > position {
                // The start wanted is the (position - count)th set bit of `starts`.
                let mut starts = starts;
                for _ in count..position {
                    starts &= starts - 1;
                }
                return Some(at + starts.trailing_zeros() as usize);
            }
            count = counted;
            in_token = mask & 0x80 != 0;
            at += 8;
            continue;
        }
        let byte = bytes[at];
        let (alphanumeric, width) = match byte {
            0..0x80 => (byte.is_ascii_alphanumeric(), 1),
            // U+00C0 to U+00FF: letters, but for U+00D7 `×` and U+00F7 `÷`.
            0xC3 => (!matches!(bytes.get(at + 1), Some(0x97 | 0xB7)), 2),
            // U+0100 to U+017F (Latin Extended-A): letters.
            0xC4 | 0xC5 => (true, 2),
            _ => {
                let c = text[at..].chars().next()?;
                (c.is_alphanumeric(), c.len_utf8())
            }
        };
        // Counted without a branch per word start (they come every few bytes, unpredictably).
        count += u32::from(alphanumeric & !in_token);
        if count > position {
            return Some(at);
        }
        in_token = alphanumeric;
        at += width;
    }
    None
}

/// How many different words `snippet` marks (ignoring case).
fn distinct_words(snippet: &tantivy::snippet::Snippet) -> usize {
    let fragment = snippet.fragment();
    let mut words: Vec<String> = snippet
        .highlighted()
        .iter()
        .filter_map(|range| fragment.get(range.clone()))
        .map(str::to_lowercase)
        .collect();
    words.sort_unstable();
    words.dedup();
    words.len()
}

fn to_snippet(snippet: &tantivy::snippet::Snippet) -> Snippet {
    Snippet {
        text: snippet.fragment().to_owned(),
        highlights: snippet.highlighted().iter().map(|range| (range.start, range.end)).collect(),
        html: snippet.to_html(),
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;

    #[test]
    fn windows_cover_the_text_at_word_borders_and_overlap() {
        let words: Vec<String> = (0..2_000).map(|i| format!("wörd{i}")).collect();
        let text = words.join(" ");
        let parts: Vec<&str> = windows(&text).collect();
        assert!(parts.len() > 5, "{} windows", parts.len());
        for part in &parts {
            assert!(part.len() <= SNIPPET_WINDOW + 20);
            // Whole words only: each window's first and last words are words of the text.
            let (first, last) = (part.split(' ').next().unwrap(), part.rsplit(' ').next().unwrap());
            assert!(words.iter().any(|w| w == first) && words.iter().any(|w| w == last), "{first} {last}");
        }
        // Every word is in some window, and consecutive windows share words.
        for word in &words {
            assert!(parts.iter().any(|part| part.split(' ').any(|w| w == word)), "{word} missing");
        }
        for pair in parts.windows(2) {
            let shared = pair[1].split(' ').next().unwrap();
            assert!(pair[0].split(' ').any(|w| w == shared), "no overlap");
        }
    }

    #[test]
    fn tokens_are_counted_as_the_index_counts_them() {
        // (text, token position) -> its byte offset
        for (text, position, expected) in [
            ("one two three", 0, Some(0)),
            ("one two three", 2, Some(8)),
            ("  -- one, two", 1, Some(10)),
            ("Hämeenlinna's öö x", 1, Some(13)),
            ("Hämeenlinna's öö x", 2, Some(15)),
            ("a1b2 c", 1, Some(5)),
            ("2×3 ÷ x", 1, Some(3)),
            ("2×3 ÷ x", 2, Some(8)),
            ("ŁÓDŹ żółć ß", 2, Some(17)),
            ("Ωμέγα — 東京 ٣ 🙂 z", 1, Some(15)),
            ("Ωμέγα — 東京 ٣ 🙂 z", 2, Some(22)),
            ("Ωμέγα — 東京 ٣ 🙂 z", 3, Some(30)),
            ("one two", 2, None),
            ("", 0, None),
        ] {
            assert_eq!(token_offset(text, position), expected, "{text:?} @ {position}");
        }
        // The same count as tantivy's tokenizer, on every sample story.
        let mut tokenizer = tantivy::tokenizer::SimpleTokenizer::default();
        let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stories-sample/stories");
        let mut checked = 0;
        let mut check = |text: &str| {
            let mut stream = tantivy::tokenizer::Tokenizer::token_stream(&mut tokenizer, text);
            while let Some(token) = tantivy::tokenizer::TokenStream::next(&mut stream) {
                assert_eq!(token_offset(text, token.position as u32), Some(token.offset_from), "{text:?}");
                checked += 1;
            }
        };
        // Every character from U+0080 to U+07FF, and some beyond, between ASCII words.
        let chars: String = (0x80..0x800u32)
            .chain([0x2014, 0x3000, 0x6771, 0xFF10, 0x1F642, 0x1D7CE])
            .filter_map(char::from_u32)
            .flat_map(|c| [c, 'a', ' ', c, c, '.', '1'])
            .collect();
        check(&chars);
        // Runs of 0 to 17 ASCII bytes between other characters, so that words start at every
        // place in an eight-byte chunk, across chunks, and just after the slow path.
        for other in ["é", "×", "—", "🙂", " ", "ß"] {
            let text: String = (0..18)
                .map(|run| format!("{}{other}", "ab c1d.ef gh".chars().cycle().take(run).collect::<String>()))
                .collect();
            check(&text);
        }
        for language in std::fs::read_dir(sample).unwrap().flatten() {
            for file in std::fs::read_dir(language.path()).unwrap().flatten() {
                let Ok(text) = std::fs::read_to_string(file.path()) else { continue };
                check(&text);
            }
        }
        assert!(checked > 10_000, "{checked} tokens checked");
    }

    #[test]
    fn the_densest_run_holds_the_most_words_and_comes_first() {
        // (positions as (position, word), span) -> (first position, words)
        for (positions, span, expected) in [
            (vec![], 16, None),
            (vec![(7, 0)], 16, Some((7, 1))),
            (vec![(3, 0), (40, 0), (41, 1)], 16, Some((40, 2))),
            (vec![(3, 0), (10, 1), (40, 0), (41, 1)], 16, Some((3, 2))),
            (vec![(3, 0), (19, 1)], 16, Some((3, 1))),
            (vec![(3, 0), (18, 1)], 16, Some((3, 2))),
            (vec![(1, 0), (2, 0), (30, 1), (31, 2), (32, 0)], 16, Some((30, 3))),
        ] {
            let run = densest_run(&positions, span).map(|run| (run.first_position, run.words));
            assert_eq!(run, expected, "{positions:?}");
        }
    }

    #[test]
    fn a_located_window_starts_a_few_words_before_the_token() {
        let text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu";
        let window = window_at_token(text, 9).unwrap();
        assert!(window.ends_with("mu") && window.contains("kappa"));
        assert!(window.len() < text.len() && !window.starts_with(' '), "{window:?}");
        assert!(text.split(' ').any(|word| window.starts_with(word)), "{window:?}");
        assert_eq!(window_at_token(text, 0), Some(text));
        assert_eq!(window_at_token(text, 12), None);
    }

    /// The snippet of a hit is cut where the index says its words are; a text changed since it
    /// was indexed (positions pointing elsewhere) is still searched to the end.
    #[test]
    fn snippets_are_cut_where_the_index_located_the_words_or_looked_for() {
        let root = tempfile::tempdir().unwrap();
        let index = StoryIndex::create_generation(root.path()).unwrap();
        let filler: String = (0..400).map(|i| format!("lorem{} ", i % 37)).collect();
        let story =
            crate::test_story("Shelter", &format!("Night fell. {filler}The night shelter closed. {filler}"));
        index.upsert(std::slice::from_ref(&story)).unwrap();
        index.commit(1).unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let marked = |story: &Story, query: &str| {
            let request = SearchRequest::new(query, Audience::Curator, today);
            let results = index.search(&request).unwrap();
            let mut snippets = index.snippets(&request, 180).unwrap().unwrap();
            let text = story.content.full_text();
            let snippet = snippets.of_hit(&results.hits[0], story, &text).unwrap().unwrap();
            let words: Vec<String> =
                snippet.highlights.iter().map(|(from, to)| snippet.text[*from..*to].to_lowercase()).collect();
            (words, snippet.text)
        };
        // The densest run, deep in the text: not the first "night".
        let (words, text) = marked(&story, "night shelter");
        assert_eq!(words, ["night", "shelter"], "{text}");
        assert!(text.contains("The night shelter closed"), "{text}");
        // Changed since: the word moved to the start (its old position now holds another word),
        // or the text became shorter than its old position.
        for body in [format!("The shelter opened. {filler}{filler}"), "Our shelter.".to_owned()] {
            let mut changed = story.clone();
            changed.content = storybank_domain::StoryContent::Text { body };
            let (words, text) = marked(&changed, "shelter");
            assert_eq!(words, ["shelter"], "{text}");
        }
    }

    #[test]
    fn short_and_odd_texts_are_one_window() {
        for text in ["", "one", "ääää ", &"x".repeat(5_000)] {
            assert_eq!(windows(text).collect::<Vec<_>>(), [text]);
        }
    }
}

/// Each live segment's `id_high` and `id_low` number columns, opened once (opening a column
/// reads its codec's header; a search reads ten ids or so), pruned when segments are merged away.
#[derive(Debug, Default)]
pub(crate) struct IdColumns {
    segments: SegmentCache<(Column<u64>, Column<u64>)>,
}

impl IdColumns {
    pub(crate) fn keep_only(&self, live: &[SegmentId]) {
        self.segments.keep_only(live);
    }

    /// The id of the story at `address`: a bit-packed lookup in each of the two columns, where
    /// the `id` text column would decode a block of its dictionary per hit and the document
    /// store a block of documents.
    fn read(&self, searcher: &Searcher, address: DocAddress) -> Result<StoryId, IndexError> {
        let segment = searcher.segment_reader(address.segment_ord);
        let (high, low) = self.segments.get_or_build(segment.segment_id(), || {
            let fast = segment.fast_fields();
            Ok::<_, IndexError>((fast.u64("id_high")?, fast.u64("id_low")?))
        })?;
        match (high.first(address.doc_id), low.first(address.doc_id)) {
            (Some(high), Some(low)) => Ok(StoryId::from_u64_pair(high, low)),
            _ => Err(IndexError::Invalid(format!("the index has a document without an id: {address:?}"))),
        }
    }
}

/// Builds tantivy queries from the parsed query tree.
struct QueryBuilder<'a> {
    index: &'a StoryIndex,
    searcher: &'a Searcher,
    /// The stemmed languages searched (a bit each, as the word maps have them): all of them
    /// when the request names none.
    languages: u64,
    /// Each segment's word map.
    maps: Vec<Arc<WordMap>>,
    /// Whether the query built matches positions (a phrase, or a word the analyzer splits).
    positional: Cell<bool>,
}

/// The query of a search's words.
struct Words {
    query: Box<dyn Query>,
    /// Whether it matches positions (see [`QueryBuilder::positional`]).
    positional: bool,
}

impl QueryBuilder<'_> {
    fn build(&self, node: &Node) -> Result<Option<Box<dyn Query>>, IndexError> {
        Ok(match node {
            Node::Word { text, prefix } => self.word(text, *prefix)?,
            Node::Phrase(text) => self.phrase(text),
            Node::And(parts) => {
                let mut clauses = Vec::new();
                for part in parts {
                    match part {
                        Node::Not(inner) => {
                            if let Some(query) = self.build(inner)? {
                                clauses.push((Occur::MustNot, query));
                            }
                        }
                        other => {
                            if let Some(query) = self.build(other)? {
                                clauses.push((Occur::Must, query));
                            }
                        }
                    }
                }
                if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Some(Box::new(BooleanQuery::new(clauses)))
            }
            Node::Or(parts) => {
                let mut clauses = Vec::new();
                for part in parts {
                    if let Some(query) = self.build(part)? {
                        clauses.push((Occur::Should, query));
                    }
                }
                (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
            }
            Node::Not(inner) => self.build(inner)?.map(|query| {
                Box::new(BooleanQuery::new(vec![(Occur::Must, Box::new(AllQuery)), (Occur::MustNot, query)]))
                    as Box<dyn Query>
            }),
        })
    }

    fn word(&self, text: &str, prefix: bool) -> Result<Option<Box<dyn Query>>, IndexError> {
        let fields = &self.index.fields;
        let words = self.index.analyze(fields.text, text);
        let word = match words.as_slice() {
            [] => return Ok(None),
            [word] => word.as_str(),
            // Several words in one ("e-mail"): they are searched next to each other.
            _ if prefix => return Ok(None),
            _ => return Ok(self.phrase(text)),
        };
        let folded = fold(word);
        if prefix {
            return Ok(Some(self.prefix(&folded)));
        }
        // The words of the index it stands for: those that share one of its stems in a language
        // searched (the word itself among them, if a story holds it), weighed 1, and its
        // spellings with or without diacritics, weighed FOLDED_BOOST (both, for a word that is
        // both: exact spellings rank first).
        let stems = stems_of(word, self.languages);
        let mut stemmed: Vec<String> = Vec::new();
        let mut spellings: Vec<String> = Vec::new();
        for map in &self.maps {
            for (stem, languages) in &stems {
                map.by_stem(stem, *languages, &mut stemmed);
            }
            map.by_spelling(&folded, &mut spellings);
        }
        let mut terms: Vec<(Term, f32)> = Vec::with_capacity(stemmed.len() + spellings.len() + 3);
        let mut add = |word: &str, field: Field, boost: f32| {
            let term = Term::from_field_text(field, word);
            match terms.iter_mut().find(|(known, _)| *known == term) {
                Some(entry) => entry.1 += boost,
                None => terms.push((term, boost)),
            }
        };
        for word in &stemmed {
            add(word, fields.text, 1.0);
        }
        // The word as typed, in no language with a stemmer.
        if stems.is_empty() {
            add(word, fields.text, 1.0);
        }
        for spelling in &spellings {
            add(spelling, fields.text, FOLDED_BOOST);
        }
        add(&folded, fields.text, FOLDED_BOOST);
        // The title's analyzer folds: its word is `folded`.
        add(&folded, fields.title, TITLE_BOOST);
        // Each term looked up once per segment, for what it counts, whether to keep it (a term no
        // story holds costs every search a lookup per segment), and its postings.
        let just_terms: Vec<Term> = terms.iter().map(|(term, _)| term.clone()).collect();
        let found = TermInfos::look_up(self.searcher, &just_terms)?;
        let counts: Vec<u64> = (0..terms.len()).map(|at| found.doc_freq(at)).collect();
        let held: Vec<bool> = counts.iter().map(|count| *count > 0).collect();
        let exact_matches: u64 = counts.iter().sum();
        let mut found = found.keep(&held);
        let terms: Vec<(Term, f32)> =
            terms.into_iter().zip(&held).filter(|(_, held)| **held).map(|(term, _)| term).collect();
        // Typo tolerance, for words of 5+ letters that match few stories as typed (as search
        // engines with typo tolerance do): a word that matches many stories needs no guessing.
        // The words one edit away are found up front and searched with the word's own terms,
        // each scoring FUZZY_BOOST in a story holding it: one walk under the filters, where a
        // boolean query of tantivy's fuzzy query (a bit set of its matches per segment) and a
        // term set was a fifth of the time of a search for a rare word.
        let mut near: Vec<Term> = Vec::new();
        if text.chars().count() >= FUZZY_MIN_CHARS && exact_matches < FUZZY_BELOW_MATCHES {
            near = self.near(word, &folded, &stems)?;
            near.retain(|term| !terms.iter().any(|(known, _)| known == term));
            found.append(TermInfos::look_up(self.searcher, &near)?);
        }
        if terms.is_empty() && near.is_empty() {
            // A word that no story holds matches nothing (it is not dropped from the query: in
            // `housing xyzzy`, it leaves nothing to find).
            return Ok(Some(Box::new(EmptyQuery)));
        }
        // The same matches and scores as a boolean query of the boosted terms, and filtered
        // searches can score only what their filters let through.
        let near = near.into_iter().map(|term| (term, FUZZY_BOOST)).collect();
        Ok(Some(Box::new(AnyTerm::with_constant_terms(terms, near, found))))
    }

    /// The words of the text one edit (a transposition counting as one) from `word` as typed,
    /// without diacritics (`folded`): those without diacritics from the segments' term
    /// dictionaries, those with them from the maps; and the words whose stem is one edit from
    /// one of its `stems` that the stemmer changed (Finnish "asunnot" -> "asuno", one edit from
    /// "asunto", an inflection the stemmer leaves apart). Each once, in order.
    fn near(
        &self,
        word: &str,
        folded: &str,
        stems: &[(std::borrow::Cow<'_, str>, u64)],
    ) -> Result<Vec<Term>, IndexError> {
        let field = self.index.fields.text;
        let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, folded), 1, true);
        let mut near: Vec<String> = Vec::new();
        for segment in self.searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted
                .terms()
                .search(fuzzy.automaton()?)
                .into_stream()
                .map_err(tantivy::TantivyError::from)?;
            while stream.advance() {
                if let Ok(word) = std::str::from_utf8(stream.key()) {
                    near.push(word.to_owned());
                }
            }
        }
        for map in &self.maps {
            map.by_spelling_within_one_edit(folded, &mut near);
            for (stem, languages) in stems.iter().filter(|(stem, _)| stem != word) {
                map.by_stem_within_one_edit(stem, *languages, &mut near);
            }
        }
        near.sort_unstable();
        near.dedup();
        Ok(near.iter().map(|word| Term::from_field_text(field, word)).collect())
    }

    /// The words that start with `folded` (ignoring diacritics), in the text or the title, all
    /// scored alike (as tantivy scores a prefix).
    fn prefix(&self, folded: &str) -> Box<dyn Query> {
        let fields = &self.index.fields;
        // Words without diacritics from the term dictionary, those with them from the maps.
        let mut text: Box<dyn Query> =
            Box::new(FuzzyTermQuery::new_prefix(Term::from_field_text(fields.text, folded), 0, false));
        let mut accented = Vec::new();
        for map in &self.maps {
            map.by_spelling_prefix(folded, &mut accented);
        }
        if !accented.is_empty() {
            let terms = accented.iter().map(|word| Term::from_field_text(fields.text, word));
            let either = BooleanQuery::new(vec![
                (Occur::Should, text),
                (Occur::Should, Box::new(TermSetQuery::new(terms)) as Box<dyn Query>),
            ]);
            text = Box::new(ConstScoreQuery::new(Box::new(either), 1.0));
        }
        let title = FuzzyTermQuery::new_prefix(Term::from_field_text(fields.title, folded), 0, false);
        Box::new(BooleanQuery::new(vec![
            (Occur::Should, text),
            (Occur::Should, boosted(Box::new(title), TITLE_BOOST)),
        ]))
    }

    /// A phrase matches the words as written, ignoring case and diacritics, in the text or the
    /// title: not their stems, which would also make it far slower.
    fn phrase(&self, text: &str) -> Option<Box<dyn Query>> {
        let fields = &self.index.fields;
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let words = self.index.analyze(fields.text, text);
        if !words.is_empty() {
            // Each word's spellings that some story holds, the word as typed first.
            let spellings: Vec<Vec<Term>> = words.iter().map(|word| self.spellings(word)).collect();
            for phrase in spelled_phrases(spellings) {
                let query: Box<dyn Query> = match <[Term; 1]>::try_from(phrase) {
                    Ok([term]) => Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                    Err(phrase) => {
                        self.positional.set(true);
                        Box::new(ExactPhrase::new(phrase))
                    }
                };
                alternatives.push((Occur::Should, query));
            }
        }
        let title = self.index.analyze(fields.title, text);
        if let Some(query) = self.tokens_query(fields.title, &title) {
            alternatives.push((Occur::Should, boosted(query, TITLE_BOOST)));
        }
        (!alternatives.is_empty()).then(|| Box::new(BooleanQuery::new(alternatives)) as Box<dyn Query>)
    }

    /// The spellings of `word` (lowercased) that some story holds in its text: the word itself,
    /// without diacritics, and with any others that fold the same.
    fn spellings(&self, word: &str) -> Vec<Term> {
        let folded = fold(word);
        let mut words = vec![word.to_owned(), folded.clone()];
        let mut accented = Vec::new();
        for map in &self.maps {
            map.by_spelling(&folded, &mut accented);
        }
        accented.sort();
        for spelling in accented {
            if !words.contains(&spelling) {
                words.push(spelling);
            }
        }
        words.dedup();
        words
            .iter()
            .map(|word| Term::from_field_text(self.index.fields.text, word))
            .filter(|term| self.searcher.doc_freq(term).is_ok_and(|matches| matches > 0))
            .collect()
    }

    /// A term query for one token, a phrase query for several, nothing for none. (Only the
    /// title is searched this way, and it is indexed with positions.)
    fn tokens_query(&self, field: Field, tokens: &[String]) -> Option<Box<dyn Query>> {
        match tokens {
            [] => None,
            [single] => Some(Box::new(TermQuery::new(
                Term::from_field_text(field, single),
                IndexRecordOption::WithFreqs,
            ))),
            several => {
                self.positional.set(true);
                let terms = several.iter().map(|token| Term::from_field_text(field, token)).collect();
                Some(Box::new(ExactPhrase::new(terms)))
            }
        }
    }
}

/// At most this many spellings of a phrase are searched.
const MAX_SPELLED_PHRASES: usize = 16;

/// The phrases that the words' spellings make (one spelling of each word in each), the first
/// spellings first; none when a word has no spelling. Past [`MAX_SPELLED_PHRASES`], the last
/// spellings of the word with the most are left out until the phrases are few enough.
fn spelled_phrases(mut spellings: Vec<Vec<Term>>) -> Vec<Vec<Term>> {
    if spellings.iter().any(Vec::is_empty) {
        return Vec::new();
    }
    while spellings.iter().map(Vec::len).product::<usize>() > MAX_SPELLED_PHRASES {
        if let Some(most) = spellings.iter_mut().max_by_key(|word| word.len()) {
            most.pop();
        }
    }
    let mut phrases: Vec<Vec<Term>> = vec![Vec::new()];
    for word in &spellings {
        phrases = phrases
            .into_iter()
            .flat_map(|phrase| {
                word.iter().map(move |spelling| {
                    let mut longer = phrase.clone();
                    longer.push(spelling.clone());
                    longer
                })
            })
            .collect();
    }
    phrases
}

/// Each segment's word map, opened as soon as tantivy opens the segment for a new searcher (this
/// is the reader's [`Warmer`]), and kept while any searcher still in use holds the segment.
///
/// A map is not one of the files tantivy opens with a segment, and a background merge deletes
/// the files of the segments it replaced as soon as it ends, even while an older searcher still
/// holds them: a map opened later than its segment could be gone. So maps are opened when the
/// searcher is made, not when it is first searched; should one still be missing (a merge ended in
/// the moment between the two), [`StoryIndex::searcher`] moves on to a fresh searcher.
#[derive(Default)]
pub(crate) struct WordMaps {
    segments: SegmentCache<Arc<WordMap>>,
}

/// Why a segment's word map could not be had.
enum MapError {
    /// Its file is gone: a merge replaced the segment after the searcher was made.
    Gone,
    Other(tantivy::TantivyError),
}

impl From<MapError> for IndexError {
    fn from(err: MapError) -> Self {
        match err {
            MapError::Gone => IndexError::Tantivy(tantivy::TantivyError::InternalError(
                "a segment's word map is gone: its segment was merged away, again and again".into(),
            )),
            MapError::Other(err) => IndexError::Tantivy(err),
        }
    }
}

impl WordMaps {
    /// The map of each segment `searcher` searches.
    fn of(&self, searcher: &Searcher) -> Result<Vec<Arc<WordMap>>, MapError> {
        searcher.segment_readers().iter().map(|segment| self.open(segment)).collect()
    }

    fn open(&self, segment: &SegmentReader) -> Result<Arc<WordMap>, MapError> {
        self.segments.get_or_build(segment.segment_id(), || match WordMap::open(segment) {
            Ok(map) => Ok(Arc::new(map)),
            Err(tantivy::TantivyError::OpenReadError(
                tantivy::directory::error::OpenReadError::FileDoesNotExist(_),
            )) => Err(MapError::Gone),
            Err(err) => Err(MapError::Other(err)),
        })
    }

    /// Forgets every map (tests: as if the warmer had missed them).
    #[cfg(test)]
    pub(crate) fn forget_all(&self) {
        self.segments.keep_only(&[]);
    }
}

impl Warmer for WordMaps {
    /// Opens the searcher's maps. A map that cannot be opened is left to the first search, which
    /// tries again and says what is wrong ([`StoryIndex::searcher`]): failing here would fail the
    /// commit that asked for this searcher, after the commit itself succeeded.
    fn warm(&self, searcher: &Searcher) -> tantivy::Result<()> {
        for segment in searcher.segment_readers() {
            let _ = self.open(segment);
        }
        Ok(())
    }

    fn garbage_collect(&self, live_generations: &[&SearcherGeneration]) {
        let live: Vec<SegmentId> =
            live_generations.iter().flat_map(|generation| generation.segments().keys().copied()).collect();
        self.segments.keep_only(&live);
    }
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON { query } else { Box::new(BoostQuery::new(query, boost)) }
}

#[cfg(test)]
mod split_tests {
    use super::*;

    /// A segment searched in parts at once (two or three) gives what one pass over it gives:
    /// the same count, the same hits with the same scores in the same order, and the same facet
    /// counts, with deleted stories.
    #[test]
    fn a_split_search_finds_what_a_whole_search_finds() {
        let root = tempfile::tempdir().unwrap();
        let index = StoryIndex::create_generation(root.path()).unwrap();
        let themes = ["health/mental-health", "housing", "work"];
        let mut stories = Vec::new();
        for n in 0..400 {
            let body = match n % 4 {
                0 => format!("The night shelter closed early on day {n}."),
                1 => format!("A night without a shelter, day {n}; the night shelter was full."),
                2 => format!("Shelter at night, day {n}."),
                _ => format!("Nothing about it on day {n}."),
            };
            let mut story = crate::test_story(&format!("Story {n}"), &body);
            story.details.themes = vec![storybank_domain::ThemePath::parse(themes[n % 3]).unwrap()];
            stories.push(story);
        }
        index.upsert(&stories).unwrap();
        index.commit(1).unwrap();
        // Two deleted stories, one near each end.
        index.delete(stories[4].id).unwrap();
        index.delete(stories[397].id).unwrap();
        index.commit(2).unwrap();
        let (searcher, maps) = index.searcher().unwrap();
        assert!(searcher.segment_readers().iter().any(|segment| segment.num_deleted_docs() > 0));
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        for text in ["\"night shelter\"", "night", "shelter -\"night shelter\"", ""] {
            let request = SearchRequest::new(text, Audience::Curator, today);
            let words =
                index.words_query(&searcher, maps.clone(), &request).unwrap().map(|words| words.query);
            let query = index.filtered(words, &request);
            let counts = FacetCounts { cache: Arc::clone(&index.facets) };
            let collector = (Count, TopDocs::with_limit(500).order_by_score(), counts);
            let whole = searcher.search(query.as_ref(), &collector).unwrap();
            let split = search_split(&searcher, query.as_ref(), &collector, 0, 2).unwrap();
            let three = search_split(&searcher, query.as_ref(), &collector, 0, 3).unwrap();
            assert_eq!(three, split, "{text}: three threads");
            assert!(whole.0 > 0, "{text}: matches nothing");
            assert_eq!(split.0, whole.0, "{text}: count");
            assert_eq!(split.1, whole.1, "{text}: hits");
            assert_eq!(split.2, whole.2, "{text}: facet counts");
            // Above the cost, nothing is split: the same again.
            let unsplit = search_split(&searcher, query.as_ref(), &collector, u64::MAX, 2).unwrap();
            assert_eq!((unsplit.0, &unsplit.1), (whole.0, &whole.1), "{text}");
        }
    }
}

#[cfg(test)]
mod word_map_lifetime_tests {
    use super::*;

    /// The word map files in the generation's folder.
    fn map_files(index: &StoryIndex) -> usize {
        std::fs::read_dir(index.path())
            .unwrap()
            .flatten()
            .filter(|entry| entry.path().extension().is_some_and(|extension| extension == "words"))
            .count()
    }

    /// Merges every segment and deletes the files of those it replaced, as a background merge
    /// does, without moving the reader to the merged segment.
    fn merge_behind_the_readers_back(index: &StoryIndex) {
        let segments = index.index.searchable_segment_ids().unwrap();
        index.writer().unwrap().merge(&segments).wait().unwrap();
        index.writer().unwrap().garbage_collect_files().wait().unwrap();
    }

    /// A background merge deletes the files of the segments it replaced as soon as it ends, while
    /// the searcher made at the last commit still searches them: their word maps are already open
    /// (the warmer opened them with the searcher), and a map missed anyway moves the search to a
    /// fresh searcher instead of failing it.
    #[test]
    fn searches_outlive_a_merge_that_deletes_their_segments_files() {
        let root = tempfile::tempdir().unwrap();
        let index = StoryIndex::create_generation(root.path()).unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let found =
            |text: &str| index.search(&SearchRequest::new(text, Audience::Curator, today)).unwrap().total;
        let bodies = ["The housing office was closed.", "She waited for housing.", "Houses by the station."];
        for (n, body) in bodies.iter().enumerate() {
            index.upsert(&[crate::test_story(&format!("Story {n}"), body)]).unwrap();
            index.commit(n as i64 + 1).unwrap();
        }
        assert_eq!(map_files(&index), 3);

        // Nothing searched since the last commit, and its three segments' files are gone.
        merge_behind_the_readers_back(&index);
        assert_eq!(map_files(&index), 1);
        assert_eq!(found("housing"), 3, "\"houses\" too, by its stem");
        assert_eq!(found("\"housing office\""), 1);
        assert_eq!(
            index.reader.searcher().segment_readers().len(),
            3,
            "the maps were open already: the searcher of the last commit searched the deleted segments"
        );

        // A map the warmer did not open (as when a merge ends between tantivy opening a segment
        // and the warmer opening its map): the search moves on to the merged segment.
        index.upsert(&[crate::test_story("Story 3", "Housing, again.")]).unwrap();
        index.commit(4).unwrap();
        merge_behind_the_readers_back(&index);
        index.word_maps.forget_all();
        assert_eq!(found("housing"), 4);
        assert_eq!(index.reader.searcher().segment_readers().len(), 1, "moved to the merged segment");
        assert!(
            index.snippets(&SearchRequest::new("housing", Audience::Curator, today), 80).unwrap().is_some()
        );
    }
}
