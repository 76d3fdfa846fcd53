//! Each segment's map of the words its text field holds, by their stem in every stemmed language
//! and by their spelling without diacritics: what a query word is expanded into.
//!
//! Story text is indexed once, as lowercased words with positions (the `text` field). Stemming
//! and folding happen at query time: a query word becomes the segment's words that share its
//! stem in a language searched, or its spelling without diacritics. Indexing one field instead of
//! a stemmed field per language and a folded field halved the time a reindex spends indexing
//! (`docs/benchmarks.md`, fourteenth session).
//!
//! The map is an FST (`tantivy_fst`) of keys `s stem \0 word`, one per distinct stem of a word
//! among the languages, whose value says in which languages (a bit each, in `STEMMED_LANGUAGES`
//! order) the word has that stem; and `~ folded \0 word` for each word that folding changes.
//! (A key per language and word was three times as many keys, and building them took a sixth of
//! an ingest.) It is made when a segment is written,
//! from the segment's own term dictionary (its distinct words, each stemmed in every language:
//! a map does not depend on which language a story was told in, so "asunto" in an English story
//! is found by the Finnish "asunnot" too), and made again the same way for a merged segment.
//!
//! The map is a tantivy `SegmentPlugin`: it lives and dies with its segment, and tantivy refuses
//! to open an index made with it without it (see `StoryIndex::open_generation`). Tantivy does
//! not open it with the segment's other files, so the reader's warmer (`search::WordMaps`) does,
//! before a merge can delete it.

use std::any::Any;
use std::borrow::Cow;
use std::io::Write;

use tantivy::directory::{CompositeFile, OwnedBytes, TerminatingWrite};
use tantivy::index::SegmentComponent;
use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::termdict::TermDictionary;
use tantivy::{
    PluginMergeContext, PluginWriter, PluginWriterContext, Segment, SegmentPlugin, SegmentReader,
    TantivyError, Term,
};
use tantivy_fst::{Automaton, IntoStreamer, Map, MapBuilder, Streamer};

use crate::analysis::{Folder, STEMMED_LANGUAGES};

/// The extension of a segment's map file.
const EXTENSION: &str = "words";
/// Starts the keys that list the words of a stem.
const STEM: u8 = b's';
/// Starts the keys that list the spellings with diacritics of a spelling without them.
const SPELLING: u8 = b'~';
/// Ends a key's stem or folded spelling, before the word: lower than any byte of a word.
const END: u8 = 0;

/// Keeps each segment's map (see the module's documentation) of the words of `text`.
pub(crate) struct WordMapPlugin {
    pub(crate) text: Field,
}

impl SegmentPlugin for WordMapPlugin {
    fn extensions(&self) -> &[&str] {
        &[EXTENSION]
    }

    fn create_writer(&self, _ctx: &PluginWriterContext<'_>) -> tantivy::Result<Box<dyn PluginWriter>> {
        Ok(Box::new(WordMapWriter { text: self.text }))
    }

    /// The merged segment's map is made from its own term dictionary (written before any custom
    /// plugin's files), as a new segment's is: a word that only deleted stories held is gone
    /// from the dictionary, and so from the map (an erased story leaves no word behind).
    fn merge(&self, ctx: PluginMergeContext<'_>) -> tantivy::Result<()> {
        write_map_of_terms(ctx.target_segment, self.text)
    }
}

/// Does nothing while stories are added (their words are in the segment's term dictionary by
/// the time the map is written).
struct WordMapWriter {
    text: Field,
}

impl PluginWriter for WordMapWriter {
    fn serialize(
        self: Box<Self>,
        segment: &Segment,
        _doc_id_map: Option<&tantivy::indexer::DocIdMapping>,
    ) -> tantivy::Result<()> {
        write_map_of_terms(segment, self.text)
    }

    fn mem_usage(&self) -> usize {
        0
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Writes `segment`'s map, of the words its term dictionary holds in `text`. (Tantivy writes the
/// inverted index before any custom plugin's files, when writing a segment and when merging.)
fn write_map_of_terms(segment: &Segment, text: Field) -> tantivy::Result<()> {
    let terms = segment.open_read(SegmentComponent::Terms)?;
    let composite = CompositeFile::open(&terms)?;
    let mut words = Vec::new();
    if let Some(slice) = composite.open_read(text) {
        let dictionary = TermDictionary::open(slice)?;
        let mut stream = dictionary.stream()?;
        while stream.advance() {
            if let Ok(word) = std::str::from_utf8(stream.key()) {
                words.push(word.to_owned());
            }
        }
    }
    write_map(segment, |builder| insert_keys(&words, builder))
}

/// Inserts the keys of `words` (distinct, in byte order), in order: by stem then word, then by
/// spelling without diacritics then word.
fn insert_keys(words: &[String], builder: &mut MapBuilder<Vec<u8>>) -> tantivy_fst::Result<()> {
    let stemmers: Vec<frostem::Stemmer> =
        STEMMED_LANGUAGES.iter().map(|(_, algorithm)| frostem::Stemmer::new(*algorithm)).collect();
    // Each word's distinct stems, with the languages that give each: (stem, word, languages).
    let mut keyed: Vec<(String, usize, u64)> = Vec::with_capacity(words.len() * 3);
    for (at, word) in words.iter().enumerate() {
        let first = keyed.len();
        for (language, stemmer) in stemmers.iter().enumerate() {
            let stem = stemmer.stem(word);
            match keyed[first..].iter_mut().find(|(known, _, _)| *known == stem) {
                Some(entry) => entry.2 |= 1 << language,
                None => keyed.push((stem.into_owned(), at, 1 << language)),
            }
        }
    }
    // By stem, then by word (the words are in byte order: so are their places).
    keyed.sort_unstable();
    let mut key = Vec::new();
    for (stem, at, languages) in &keyed {
        make_key(&mut key, STEM, stem, &words[*at]);
        builder.insert(&key, *languages)?;
    }
    keyed.clear();
    let mut folder = Folder::new();
    keyed.extend(words.iter().enumerate().filter_map(|(at, word)| {
        let folded = folder.fold(word);
        (folded != *word).then_some((folded, at, 0))
    }));
    keyed.sort_unstable();
    for (folded, at, _) in &keyed {
        make_key(&mut key, SPELLING, folded, &words[*at]);
        builder.insert(&key, 0)?;
    }
    Ok(())
}

fn make_key(key: &mut Vec<u8>, kind: u8, stem: &str, word: &str) {
    key.clear();
    key.push(kind);
    key.extend_from_slice(stem.as_bytes());
    key.push(END);
    key.extend_from_slice(word.as_bytes());
}

/// The bit of the language `code` in a stem key's value; `None` for a language without a stemmer.
pub(crate) fn language_bit(code: &str) -> Option<u64> {
    STEMMED_LANGUAGES.iter().position(|(known, _)| *known == code).map(|at| 1 << at)
}

/// The distinct stems of a lowercased word in the languages `languages` (bits, as
/// [`language_bit`] gives them), each with the languages that give it.
pub(crate) fn stems_of(word: &str, languages: u64) -> Vec<(Cow<'_, str>, u64)> {
    let mut stems: Vec<(Cow<'_, str>, u64)> = Vec::new();
    for (at, (_, algorithm)) in STEMMED_LANGUAGES.iter().enumerate() {
        let bit = 1 << at;
        if languages & bit == 0 {
            continue;
        }
        let stem = frostem::Stemmer::new(*algorithm).stem(word);
        match stems.iter_mut().find(|(known, _)| *known == stem) {
            Some(entry) => entry.1 |= bit,
            None => stems.push((stem, bit)),
        }
    }
    stems
}

/// Builds a map in memory with `fill` and writes it as `segment`'s map file.
fn write_map(
    segment: &Segment,
    fill: impl FnOnce(&mut MapBuilder<Vec<u8>>) -> tantivy_fst::Result<()>,
) -> tantivy::Result<()> {
    let mut builder = MapBuilder::memory();
    fill(&mut builder).map_err(fst_error)?;
    let bytes = builder.into_inner().map_err(fst_error)?;
    let mut write = segment.open_write(SegmentComponent::Custom(EXTENSION.into()))?;
    write.write_all(&bytes)?;
    write.flush()?;
    write.terminate()?;
    Ok(())
}

fn fst_error(err: tantivy_fst::Error) -> TantivyError {
    TantivyError::InternalError(format!("the word map: {err}"))
}

/// A segment's map, opened (its file is read in place: memory-mapped).
pub(crate) struct WordMap {
    keys: Map<OwnedBytes>,
}

impl WordMap {
    /// The map of `reader`'s segment.
    pub(crate) fn open(reader: &SegmentReader) -> tantivy::Result<WordMap> {
        let bytes = reader.open_read(SegmentComponent::Custom(EXTENSION.into()))?.read_bytes()?;
        let fst = tantivy_fst::raw::Fst::new(bytes).map_err(|err| {
            TantivyError::DataCorruption(tantivy::error::DataCorruption::comment_only(format!(
                "the word map of segment {}: {err}",
                reader.segment_id().uuid_string()
            )))
        })?;
        Ok(WordMap { keys: Map::from(fst) })
    }

    /// Every word of the map, with what it is listed under (`stem:` or `spelling:`), for
    /// checking what the index holds (erasure).
    pub(crate) fn entries(&self) -> Vec<String> {
        let mut entries = Vec::new();
        let mut stream = self.keys.stream();
        while let Some((key, _)) = stream.next() {
            let Some(end) = key.iter().position(|byte| *byte == END) else { continue };
            let kind = if key.first() == Some(&SPELLING) { "spelling" } else { "stem" };
            let under = String::from_utf8_lossy(&key[1..end]);
            let word = String::from_utf8_lossy(&key[end + 1..]);
            entries.push(format!("{kind} {under}: {word}"));
        }
        entries
    }

    /// Adds to `words` the words whose stem is `stem` in one of `languages` (bits, as
    /// [`language_bit`] gives them).
    pub(crate) fn by_stem(&self, stem: &str, languages: u64, words: &mut Vec<String>) {
        self.exactly(STEM, stem, languages, words);
    }

    /// Adds to `words` the words (with diacritics) whose spelling without them is `folded`.
    pub(crate) fn by_spelling(&self, folded: &str, words: &mut Vec<String>) {
        self.exactly(SPELLING, folded, ANY, words);
    }

    /// Adds to `words` the words whose spelling without diacritics starts with `folded`, and
    /// differs from the word.
    pub(crate) fn by_spelling_prefix(&self, folded: &str, words: &mut Vec<String>) {
        let mut from = vec![SPELLING];
        from.extend_from_slice(folded.as_bytes());
        let mut to = from.clone();
        // Past every key that starts with `from`: one more than its last byte, carried.
        while let Some(last) = to.pop() {
            if last < u8::MAX {
                to.push(last + 1);
                break;
            }
        }
        collect(self.keys.range().ge(&from).lt(&to).into_stream(), ANY, words);
    }

    /// Adds to `words` the words whose stem in one of `languages` is at most one edit (a
    /// transposition counting as one) from `stem`.
    pub(crate) fn by_stem_within_one_edit(&self, stem: &str, languages: u64, words: &mut Vec<String>) {
        self.within_one_edit(STEM, stem, languages, words);
    }

    /// Adds to `words` the words (with diacritics) whose spelling without them is at most one
    /// edit from `folded`.
    pub(crate) fn by_spelling_within_one_edit(&self, folded: &str, words: &mut Vec<String>) {
        self.within_one_edit(SPELLING, folded, ANY, words);
    }

    fn exactly(&self, kind: u8, key: &str, languages: u64, words: &mut Vec<String>) {
        let mut from = Vec::new();
        make_key(&mut from, kind, key, "");
        let mut to = from.clone();
        if let Some(last) = to.last_mut() {
            *last = END + 1;
        }
        collect(self.keys.range().ge(&from).lt(&to).into_stream(), languages, words);
    }

    fn within_one_edit(&self, kind: u8, key: &str, languages: u64, words: &mut Vec<String>) {
        // Tantivy's own Levenshtein automaton, as its fuzzy term queries use (the field is not
        // read: only the text).
        let query = FuzzyTermQuery::new(Term::from_field_text(Field::from_field_id(0), key), 1, true);
        let Ok(inner) = query.automaton() else { return };
        let automaton = KeyAutomaton { kind, inner };
        collect(self.keys.search(automaton).into_stream(), languages, words);
    }
}

/// Any key's value (the spelling keys' is 0).
const ANY: u64 = u64::MAX;

/// Adds to `words` the word of each key `stream` gives (what follows the key's [`END`]) whose
/// value shares a bit with `languages` (or any, for [`ANY`]), once.
fn collect<S: for<'a> Streamer<'a, Item = (&'a [u8], u64)>>(
    mut stream: S,
    languages: u64,
    words: &mut Vec<String>,
) {
    while let Some((key, value)) = stream.next() {
        if languages != ANY && value & languages == 0 {
            continue;
        }
        let Some(end) = key.iter().position(|byte| *byte == END) else { continue };
        let Ok(word) = std::str::from_utf8(&key[end + 1..]) else { continue };
        if !words.iter().any(|known| known == word) {
            words.push(word.to_owned());
        }
    }
}

/// Matches the keys of a kind ([`STEM`], [`SPELLING`]) whose stem or spelling `inner` matches,
/// whatever their word.
struct KeyAutomaton<A> {
    kind: u8,
    inner: A,
}

#[derive(Clone)]
enum KeyState<S> {
    /// Nothing read yet.
    Kind,
    /// Reading the stem (or folded spelling).
    Inner(S),
    /// Past the [`END`] of a matching stem: any word matches.
    Word,
    Dead,
}

impl<A: Automaton> Automaton for KeyAutomaton<A>
where
    A::State: Clone,
{
    type State = KeyState<A::State>;

    fn start(&self) -> Self::State {
        KeyState::Kind
    }

    fn is_match(&self, state: &Self::State) -> bool {
        matches!(state, KeyState::Word)
    }

    fn can_match(&self, state: &Self::State) -> bool {
        match state {
            KeyState::Dead => false,
            KeyState::Inner(inner) => self.inner.can_match(inner),
            KeyState::Kind | KeyState::Word => true,
        }
    }

    fn will_always_match(&self, state: &Self::State) -> bool {
        matches!(state, KeyState::Word)
    }

    fn accept(&self, state: &Self::State, byte: u8) -> Self::State {
        match state {
            KeyState::Kind if byte == self.kind => KeyState::Inner(self.inner.start()),
            KeyState::Inner(inner) if byte == END => {
                if self.inner.is_match(inner) {
                    KeyState::Word
                } else {
                    KeyState::Dead
                }
            }
            KeyState::Inner(inner) => KeyState::Inner(self.inner.accept(inner, byte)),
            KeyState::Word => KeyState::Word,
            KeyState::Kind | KeyState::Dead => KeyState::Dead,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The map of a list of words, as a segment of them would have it.
    fn map_of(words: &[&str]) -> WordMap {
        let mut words: Vec<String> = words.iter().map(|word| (*word).to_owned()).collect();
        words.sort();
        words.dedup();
        let mut builder = MapBuilder::memory();
        insert_keys(&words, &mut builder).unwrap();
        let bytes = OwnedBytes::new(builder.into_inner().unwrap());
        WordMap { keys: Map::from(tantivy_fst::raw::Fst::new(bytes).unwrap()) }
    }

    fn sorted(mut words: Vec<String>) -> Vec<String> {
        words.sort();
        words
    }

    #[test]
    fn words_are_found_by_stem_spelling_prefix_and_one_edit() {
        let map = map_of(&[
            "asunto",
            "asunnot",
            "asuntoja",
            "asunnossa",
            "hämeenlinna",
            "hämeenlinnassa",
            "hameenlinna",
            "waiting",
            "waited",
            "waits",
            "wait",
            "łódź",
            "lodz",
            "kaupunki",
            "kaupungissa",
        ]);
        type Lookup = fn(&WordMap, &str, &mut Vec<String>);
        let cases: Vec<(&str, Lookup, &str, &[&str])> = vec![
            ("fi stem", |m, k, w| m.by_stem(k, bit("fi"), w), "asunto", &["asunto", "asuntoja"]),
            ("fi stem", |m, k, w| m.by_stem(k, bit("fi"), w), "asuno", &["asunnossa", "asunnot"]),
            (
                "en stem",
                |m, k, w| m.by_stem(k, bit("en"), w),
                "wait",
                &["wait", "waited", "waiting", "waits"],
            ),
            ("en stem", |m, k, w| m.by_stem(k, bit("en"), w), "unknown", &[]),
            // One edit from the stem: "asuno" (of "asunnot") -> "asunto".
            (
                "fi, one edit",
                |m, k, w| m.by_stem_within_one_edit(k, bit("fi"), w),
                "asuno",
                &["asunnossa", "asunnot", "asunto", "asuntoja"],
            ),
            ("fi, one edit", |m, k, w| m.by_stem_within_one_edit(k, bit("fi"), w), "asxyz", &[]),
            // Only the stems of the language asked for: in English, "asunto" is its own stem (one
            // edit from "asuno"), and "asunnot" too (two edits).
            ("en, one edit", |m, k, w| m.by_stem_within_one_edit(k, bit("en"), w), "asuno", &["asunto"]),
            ("en stem", |m, k, w| m.by_stem(k, bit("en"), w), "asuno", &[]),
            ("xx stem", |m, k, w| m.by_stem(k, bit("xx"), w), "asunto", &[]),
            ("spelling", |m, k, w| m.by_spelling(k, w), "hameenlinna", &["hämeenlinna"]),
            ("spelling", |m, k, w| m.by_spelling(k, w), "lodz", &["łódź"]),
            // A word without diacritics is not listed under its own spelling.
            ("spelling", |m, k, w| m.by_spelling(k, w), "kaupunki", &[]),
            (
                "spelling prefix",
                |m, k, w| m.by_spelling_prefix(k, w),
                "hameen",
                &["hämeenlinna", "hämeenlinnassa"],
            ),
            (
                "spelling prefix",
                |m, k, w| m.by_spelling_prefix(k, w),
                "",
                &["hämeenlinna", "hämeenlinnassa", "łódź"],
            ),
            (
                "spelling, one edit",
                |m, k, w| m.by_spelling_within_one_edit(k, w),
                "hameenlina",
                &["hämeenlinna"],
            ),
            ("spelling, one edit", |m, k, w| m.by_spelling_within_one_edit(k, w), "lodx", &["łódź"]),
        ];
        for (what, lookup, key, expected) in cases {
            let mut words = Vec::new();
            lookup(&map, key, &mut words);
            assert_eq!(sorted(words), *expected, "{what}: {key}");
        }
        // Every language stems every word, whatever language it was written in.
        let mut words = Vec::new();
        map.by_stem("wait", bit("sv"), &mut words);
        assert!(!words.is_empty());
        // A stem in several languages at once.
        let mut words = Vec::new();
        map.by_stem("asuno", bit("en") | bit("fi"), &mut words);
        assert_eq!(sorted(words), ["asunnossa", "asunnot"]);
    }

    fn bit(code: &str) -> u64 {
        language_bit(code).unwrap_or(0)
    }

    #[test]
    fn a_words_stems_are_grouped_by_the_languages_that_give_them() {
        let every = (1 << STEMMED_LANGUAGES.len()) - 1;
        let stems = stems_of("asunnot", every);
        let finnish: Vec<_> = stems.iter().filter(|(_, languages)| languages & bit("fi") != 0).collect();
        assert_eq!(finnish.len(), 1);
        assert_eq!(finnish[0].0, "asuno");
        // Every language once, and no stem twice.
        assert_eq!(stems.iter().fold(0, |all, (_, languages)| all | languages), every);
        assert_eq!(stems.iter().map(|(_, languages)| languages.count_ones()).sum::<u32>(), 9);
        for (at, (stem, _)) in stems.iter().enumerate() {
            assert!(!stems[..at].iter().any(|(known, _)| known == stem), "{stem}");
        }
        assert_eq!(stems_of("asunnot", bit("en")), [(Cow::Borrowed("asunnot"), bit("en"))]);
        assert!(stems_of("asunnot", 0).is_empty());
    }

    /// Each segment's words, by English stem (the segments in the order of their words).
    fn english_words(index: &crate::StoryIndex, stem: &str) -> Vec<Vec<String>> {
        let searcher = index.reader.searcher();
        let mut all = Vec::new();
        for segment in searcher.segment_readers() {
            let mut words = Vec::new();
            WordMap::open(segment).unwrap().by_stem(stem, bit("en"), &mut words);
            all.push(sorted(words));
        }
        all.sort();
        all
    }

    /// Written with each segment, made again for a merged one: a word only deleted stories held
    /// leaves the map when its segment is merged (an erased story's words are gone).
    #[test]
    fn each_segment_has_its_map_and_a_merge_keeps_only_the_words_still_held() {
        use storybank_domain::Audience;
        let root = tempfile::tempdir().unwrap();
        let index = crate::StoryIndex::create_generation(root.path()).unwrap();
        let waiting = crate::test_story("Queue", "We were waiting for the housing office.");
        let waited = crate::test_story("Station", "She waited at Hämeenlinna station, Kowalczyk said.");
        index.upsert(std::slice::from_ref(&waiting)).unwrap();
        index.commit(1).unwrap();
        index.upsert(std::slice::from_ref(&waited)).unwrap();
        index.commit(2).unwrap();
        assert_eq!(english_words(&index, "wait"), [vec!["waited"], vec!["waiting"]]);
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let found = |text: &str| {
            index.search(&crate::SearchRequest::new(text, Audience::Curator, today)).unwrap().total
        };
        // Across segments: "waits" finds both through its stem; a spelling without diacritics.
        assert_eq!(found("waits"), 2);
        assert_eq!(found("hameenlinna"), 1);
        assert!(
            index
                .trace("kowalczyk", waited.id)
                .unwrap()
                .terms
                .iter()
                .any(|term| term.starts_with("word map:"))
        );

        index.delete(waited.id).unwrap();
        index.commit(3).unwrap();
        index.purge_deleted().unwrap();
        assert_eq!(found("waits"), 1);
        for needle in ["kowalczyk", "hämeenlinna", "waited"] {
            let trace = index.trace(needle, waited.id).unwrap();
            assert_eq!(trace.terms, Vec::<String>::new(), "{needle}");
        }
        // Two segments merged into one: the words of both.
        let other = crate::test_story("Office", "They wait and wait.");
        index.upsert(std::slice::from_ref(&other)).unwrap();
        index.commit(4).unwrap();
        assert_eq!(english_words(&index, "wait").len(), 2);
        index.merge_segments(|_| true, 2).unwrap();
        assert_eq!(english_words(&index, "wait"), [vec!["wait", "waiting"]]);
        assert_eq!(found("waited"), 2);
    }
}
