//! Text analysis: one analyzer per language (lowercase + Snowball stemmer), a folded analyzer
//! (lowercase + ASCII folding, no stemming) so that "hameenlinna" finds "Hämeenlinna", and a
//! keyword analyzer for places.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// The languages with a stemmer: ISO 639-1 code and Snowball algorithm.
pub(crate) const STEMMED_LANGUAGES: [(&str, frostem::Algorithm); 9] = [
    ("en", frostem::Algorithm::English),
    ("fi", frostem::Algorithm::Finnish),
    ("sv", frostem::Algorithm::Swedish),
    ("nl", frostem::Algorithm::Dutch),
    ("et", frostem::Algorithm::Estonian),
    ("it", frostem::Algorithm::Italian),
    ("es", frostem::Algorithm::Spanish),
    ("pl", frostem::Algorithm::Polish),
    ("hu", frostem::Algorithm::Hungarian),
];

/// Tokens longer than this are dropped (base64 blobs, long URLs).
const MAX_TOKEN_BYTES: usize = 60;

pub(crate) const FOLDED: &str = "sb_folded";
pub(crate) const PLAIN: &str = "sb_plain";
pub(crate) const KEYWORD: &str = "sb_keyword";

/// The analyzer a language's field is indexed with (its stems grouped by word: see
/// [`StemsTokenizer`]).
pub(crate) fn stemmed_analyzer_name(language: &str) -> String {
    format!("sb_stem_{language}")
}

/// The same stems in text order, with their places in the text: for reading a text (snippets).
pub(crate) fn stemmed_in_order_analyzer_name(language: &str) -> String {
    format!("sb_stem_{language}_in_order")
}

/// Registers every analyzer with the index (analyzers are not stored in the index itself).
pub(crate) fn register(index: &Index) {
    let tokenizers = index.tokenizers();
    for (code, algorithm) in STEMMED_LANGUAGES {
        tokenizers.register(&stemmed_analyzer_name(code), TextAnalyzer::from(StemsTokenizer::new(algorithm)));
        let in_order =
            TextAnalyzer::builder(WordTokenizer::new(false)).filter(SnowballStemmer(algorithm)).build();
        tokenizers.register(&stemmed_in_order_analyzer_name(code), in_order);
    }
    tokenizers.register(FOLDED, TextAnalyzer::from(WordTokenizer::new(true)));
    tokenizers.register(PLAIN, TextAnalyzer::from(WordTokenizer::new(false)));
    tokenizers.register(
        KEYWORD,
        TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).filter(AsciiFoldingFilter).build(),
    );
}

/// Words, lowercased, and folded to ASCII when `fold`: exactly the tokens of tantivy's
/// `SimpleTokenizer` (runs of alphanumeric characters) through `RemoveLongFilter` (words of
/// [`MAX_TOKEN_BYTES`] or more dropped, their positions skipped), `LowerCaser` and, when folding,
/// `AsciiFoldingFilter`; a test compares the two on every sample story and every character up to
/// U+07FF.
///
/// Why not chain tantivy's: every word went through four streams, was copied into the token and
/// then read again by each filter, and a word with a letter beyond ASCII (most words of Finnish,
/// Hungarian or Polish) was lowercased and folded a character at a time through `char`
/// iterators. Analysis was a quarter of a reindex and, through the snippets, a tenth of a search
/// page. Here ASCII is classified byte by byte, and each two-byte character (U+0080 to U+07FF:
/// the Latin, Greek and Cyrillic letters) is looked up in a table of what it becomes, made once
/// from tantivy's own filters. A word with a longer character goes through tantivy's filters.
#[derive(Clone)]
pub(crate) struct WordTokenizer {
    fold: bool,
    token: Token,
    /// Lowercasing and folding as tantivy does them, for words the table does not cover.
    slow: TextAnalyzer,
}

impl WordTokenizer {
    pub(crate) fn new(fold: bool) -> Self {
        let slow = if fold {
            TextAnalyzer::builder(RawTokenizer::default())
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build()
        } else {
            TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build()
        };
        Self { fold, token: Token::default(), slow }
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        self.token.reset();
        let table = two_byte_chars();
        WordTokenStream {
            text,
            at: 0,
            replacements: if self.fold { &table.folded } else { &table.lowered },
            alphanumeric: &table.alphanumeric,
            token: &mut self.token,
            slow: &mut self.slow,
        }
    }
}

pub(crate) struct WordTokenStream<'a> {
    text: &'a str,
    /// Where the next word is looked for (a byte offset, on a character boundary).
    at: usize,
    /// What each two-byte character becomes (lowercased, and folded when folding).
    replacements: &'a [Box<str>],
    alphanumeric: &'a [bool],
    token: &'a mut Token,
    slow: &'a mut TextAnalyzer,
}

/// The code point of a two-byte UTF-8 sequence.
fn two_byte_code(lead: u8, next: u8) -> usize {
    usize::from(lead & 0x1F) << 6 | usize::from(next & 0x3F)
}

impl WordTokenStream<'_> {
    /// Whether the character at byte `at` (which starts with `byte`) is alphanumeric, and its width.
    fn classify(&self, at: usize, byte: u8) -> (bool, usize) {
        let bytes = self.text.as_bytes();
        match byte {
            0..0x80 => (byte.is_ascii_alphanumeric(), 1),
            0xC2..0xE0 => (self.alphanumeric[two_byte_code(byte, bytes[at + 1])], 2),
            _ => match self.text[at..].chars().next() {
                Some(c) => (c.is_alphanumeric(), c.len_utf8()),
                None => (false, 1),
            },
        }
    }

    /// Writes `word` (which has a character beyond ASCII) lowercased, and folded, into the token.
    fn write_non_ascii(&mut self, word: &str) {
        let bytes = word.as_bytes();
        if bytes.iter().any(|byte| *byte >= 0xE0) {
            // A character of three bytes or more: as tantivy's filters write it.
            let mut stream = self.slow.token_stream(word);
            if stream.advance() {
                std::mem::swap(&mut self.token.text, &mut stream.token_mut().text);
            }
            return;
        }
        let out = &mut self.token.text;
        let mut at = 0;
        while let Some(&byte) = bytes.get(at) {
            if byte < 0x80 {
                out.push(char::from(byte.to_ascii_lowercase()));
                at += 1;
            } else {
                out.push_str(&self.replacements[two_byte_code(byte, bytes[at + 1])]);
                at += 2;
            }
        }
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        loop {
            let start = loop {
                let Some(&byte) = bytes.get(self.at) else { return false };
                let (alphanumeric, width) = self.classify(self.at, byte);
                if alphanumeric {
                    break self.at;
                }
                self.at += width;
            };
            let mut end = start;
            let mut ascii = true;
            while let Some(&byte) = bytes.get(end) {
                if byte < 0x80 {
                    if !byte.is_ascii_alphanumeric() {
                        break;
                    }
                    end += 1;
                } else {
                    let (alphanumeric, width) = self.classify(end, byte);
                    if !alphanumeric {
                        break;
                    }
                    ascii = false;
                    end += width;
                }
            }
            self.at = end;
            // A word too long to index still takes its position, as with `RemoveLongFilter`.
            self.token.position = self.token.position.wrapping_add(1);
            if end - start >= MAX_TOKEN_BYTES {
                continue;
            }
            self.token.offset_from = start;
            self.token.offset_to = end;
            self.token.text.clear();
            let word = &self.text[start..end];
            if ascii {
                self.token.text.push_str(word);
                self.token.text.make_ascii_lowercase();
            } else {
                self.write_non_ascii(word);
            }
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// For each character of two UTF-8 bytes (U+0080 to U+07FF; indexed by code point, the first 128
/// unused): whether it is alphanumeric, and what tantivy's `LowerCaser` makes of it, and then its
/// `AsciiFoldingFilter`.
struct TwoByteChars {
    alphanumeric: Vec<bool>,
    lowered: Vec<Box<str>>,
    folded: Vec<Box<str>>,
}

fn two_byte_chars() -> &'static TwoByteChars {
    static TABLE: OnceLock<TwoByteChars> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut lowercase = TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build();
        let mut fold = TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build();
        let analyzed = |analyzer: &mut TextAnalyzer, c: &str| -> Box<str> {
            let mut stream = analyzer.token_stream(c);
            if stream.advance() { stream.token().text.clone().into_boxed_str() } else { c.into() }
        };
        let mut table = TwoByteChars { alphanumeric: Vec::new(), lowered: Vec::new(), folded: Vec::new() };
        // No surrogates below U+0800: every code is a character.
        for c in (0..0x800u32).filter_map(char::from_u32) {
            let text = String::from(c);
            table.alphanumeric.push(c.is_alphanumeric());
            table.lowered.push(analyzed(&mut lowercase, &text));
            table.folded.push(analyzed(&mut fold, &text));
        }
        table
    })
}

/// The stems of a text as a language's field indexes them: each distinct word is stemmed once,
/// and its stem given as many times as the word occurs, one word's copies after another (in the
/// order the words first occur).
///
/// The same tokens as [`WordTokenizer`] then [`SnowballStemmer`] give (a test compares them on
/// every sample story), in another order, which is sound only because the stemmed fields keep no
/// positions: a term's postings there are its documents and its count in each, and a document's
/// length is its number of tokens, neither of which depends on the order. (A schema test checks
/// that the fields have no positions.) Positions count the tokens as given, so that even a field
/// with positions would get each term's in increasing order; offsets mean nothing. What reads a
/// text (snippets) uses [`stemmed_in_order_analyzer_name`]'s analyzer, and queries look up one
/// word at a time or, for a word the analyzer splits ("e-mail"), all its parts in any order.
///
/// Why: stemming was a sixth of a reindex, and a third of a story's words are repeats (the
/// articles and conjunctions above all).
#[derive(Clone)]
pub(crate) struct StemsTokenizer {
    algorithm: frostem::Algorithm,
    words: WordTokenizer,
    distinct: DistinctWords,
    token: Token,
}

impl StemsTokenizer {
    pub(crate) fn new(algorithm: frostem::Algorithm) -> Self {
        Self {
            algorithm,
            words: WordTokenizer::new(false),
            distinct: DistinctWords::default(),
            token: Token::default(),
        }
    }
}

impl Tokenizer for StemsTokenizer {
    type TokenStream<'a> = StemsTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> StemsTokenStream<'a> {
        self.distinct.clear();
        let mut words = self.words.token_stream(text);
        while words.advance() {
            self.distinct.add(&words.token().text);
        }
        self.token.reset();
        StemsTokenStream {
            distinct: &self.distinct,
            stemmer: frostem::Stemmer::new(self.algorithm),
            next: 0,
            copies_left: 0,
            token: &mut self.token,
        }
    }
}

pub(crate) struct StemsTokenStream<'a> {
    distinct: &'a DistinctWords,
    stemmer: frostem::Stemmer,
    /// The next distinct word to stem.
    next: usize,
    /// How many more times the current stem is given.
    copies_left: u32,
    token: &'a mut Token,
}

impl TokenStream for StemsTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.copies_left == 0 {
            let Some(word) = self.distinct.words.get(self.next) else { return false };
            self.next += 1;
            self.copies_left = word.count;
            let text = self.distinct.text(word);
            self.token.text.clear();
            self.token.text.push_str(&self.stemmer.stem(text));
        }
        self.copies_left -= 1;
        self.token.position = self.token.position.wrapping_add(1);
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// The distinct words of a text and how often each occurs, in the order they first occur: the
/// words are kept end to end in one string, and a table finds a word's entry by its hash. Kept by
/// each analyzer and cleared for each text, so a text costs no allocation once the buffers have
/// grown.
#[derive(Clone, Default)]
struct DistinctWords {
    letters: String,
    words: Vec<DistinctWord>,
    table: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
}

#[derive(Clone, Copy)]
struct DistinctWord {
    start: u32,
    end: u32,
    count: u32,
    hash: u64,
}

impl DistinctWords {
    fn clear(&mut self) {
        self.letters.clear();
        self.words.clear();
        self.table.clear();
    }

    fn text(&self, word: &DistinctWord) -> &str {
        &self.letters[word.start as usize..word.end as usize]
    }

    fn add(&mut self, word: &str) {
        let hash = self.hasher.hash_one(word);
        let Self { letters, words, table, .. } = self;
        let same = |index: &u32| {
            let known = &words[*index as usize];
            &letters[known.start as usize..known.end as usize] == word
        };
        if let Some(&index) = table.find(hash, same) {
            words[index as usize].count += 1;
            return;
        }
        // Texts are at most a few megabytes: every offset fits a `u32` (a word that would not
        // is not indexed).
        let (Ok(start), Ok(end), Ok(index)) = (
            u32::try_from(letters.len()),
            u32::try_from(letters.len() + word.len()),
            u32::try_from(words.len()),
        ) else {
            return;
        };
        letters.push_str(word);
        words.push(DistinctWord { start, end, count: 1, hash });
        table.insert_unique(hash, index, |index| words[*index as usize].hash);
    }
}

/// A token filter that stems with a Snowball algorithm from `frostem` (the crate tantivy's own
/// stemmer uses; tantivy's `Language` enum lacks Estonian and Polish), word by word in text order:
/// for reading a text (snippets mark where the stems of the words searched are).
#[derive(Clone, Copy)]
pub(crate) struct SnowballStemmer(frostem::Algorithm);

impl TokenFilter for SnowballStemmer {
    type Tokenizer<T: Tokenizer> = StemmingTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemmingTokenizer<T> {
        StemmingTokenizer { algorithm: self.0, inner: tokenizer }
    }
}

#[derive(Clone)]
pub(crate) struct StemmingTokenizer<T> {
    algorithm: frostem::Algorithm,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for StemmingTokenizer<T> {
    type TokenStream<'a> = StemmingTokenStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemmingTokenStream {
            tail: self.inner.token_stream(text),
            stemmer: frostem::Stemmer::new(self.algorithm),
            buffer: String::new(),
        }
    }
}

pub(crate) struct StemmingTokenStream<T> {
    tail: T,
    stemmer: frostem::Stemmer,
    buffer: String,
}

impl<T: TokenStream> TokenStream for StemmingTokenStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match self.stemmer.stem(&token.text) {
            // Copied into the token, whose buffer has room for the next word (taking the stem's
            // own, just large enough, grew it again for longer words).
            Cow::Owned(stemmed) => {
                token.text.clear();
                token.text.push_str(&stemmed);
            }
            // The word as it is (frostem borrows only its input unchanged).
            Cow::Borrowed(stemmed) if stemmed.as_ptr() == token.text.as_ptr() => {
                let length = stemmed.len();
                token.text.truncate(length);
            }
            // Any other borrowed text (not made by frostem today): copied.
            Cow::Borrowed(stemmed) => {
                self.buffer.clear();
                self.buffer.push_str(stemmed);
                std::mem::swap(&mut token.text, &mut self.buffer);
            }
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// The tokens the analyzer `analyzer` of `index` makes of `text` (for tests).
#[cfg(test)]
pub(crate) fn tokens(index: &Index, analyzer: &str, text: &str) -> Vec<String> {
    let mut analyzer = index.tokenizers().get(analyzer).expect("a registered analyzer");
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_stems_its_inflections_together() {
        let index = Index::create_in_ram(tantivy::schema::Schema::builder().build());
        register(&index);
        for (language, a, b) in [
            ("en", "waiting", "waited"),
            ("fi", "kaupungissa", "kaupungista"),
            ("sv", "väntade", "väntar"),
            ("nl", "huisartsen", "huisarts"),
            ("et", "linnas", "linnast"),
            ("it", "case", "casa"),
            ("es", "viviendas", "vivienda"),
            ("pl", "mieszkania", "mieszkanie"),
            ("hu", "lakhatást", "lakhatás"),
        ] {
            let name = stemmed_analyzer_name(language);
            assert_eq!(tokens(&index, &name, a), tokens(&index, &name, b), "{language}: {a} / {b}");
        }
        assert_eq!(tokens(&index, FOLDED, "Hämeenlinna Łódź"), ["hameenlinna", "lodz"]);
        assert_eq!(tokens(&index, KEYWORD, "Hämeenlinna"), ["hameenlinna"]);
    }

    /// Every token of `analyzer` on `text`: its text, position and byte offsets.
    fn stream(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push((token.text.clone(), token.position, token.offset_from, token.offset_to));
        }
        out
    }

    #[test]
    fn words_are_the_tokens_of_tantivys_own_filters() {
        use tantivy::tokenizer::{RemoveLongFilter, SimpleTokenizer};
        let index = Index::create_in_ram(tantivy::schema::Schema::builder().build());
        register(&index);
        let tantivy_chain = |fold: bool, stem: Option<frostem::Algorithm>| {
            let builder = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
                .filter(LowerCaser)
                .dynamic();
            let builder = if fold { builder.filter_dynamic(AsciiFoldingFilter) } else { builder };
            match stem {
                Some(algorithm) => builder.filter_dynamic(SnowballStemmer(algorithm)).build(),
                None => builder.build(),
            }
        };
        let mut pairs = vec![
            (index.tokenizers().get(FOLDED).unwrap(), tantivy_chain(true, None)),
            (index.tokenizers().get(PLAIN).unwrap(), tantivy_chain(false, None)),
        ];
        let mut stemmed = Vec::new();
        for (code, algorithm) in STEMMED_LANGUAGES {
            pairs.push((
                index.tokenizers().get(&stemmed_in_order_analyzer_name(code)).unwrap(),
                tantivy_chain(false, Some(algorithm)),
            ));
            stemmed.push((
                index.tokenizers().get(&stemmed_analyzer_name(code)).unwrap(),
                tantivy_chain(false, Some(algorithm)),
            ));
        }
        let mut texts: Vec<String> = vec![
            String::new(),
            "  ,. ".into(),
            "Hello, happy TAX payer!".into(),
            "HÄMEENLINNA Łódź żółć STRASSE Straße ÆSIR œuvre Ωμέγα ΣΊΣΥΦΟΣ İstanbul".into(),
            // Letters beyond U+07FF: the Kelvin and Ohm signs lowercase to other letters; the
            // Roman numeral folds; fullwidth letters fold to ASCII.
            "\u{212A}elvin \u{2126}hm \u{2160}\u{2161} ＡＢＣ１ 東京タワー ﬁne a\u{0301}b".into(),
            "2×3 ÷ 4 ½ ² ٣ ۳ 🙂 x\u{200B}y snake_case e-mail o'clock".into(),
        ];
        // Words around the length limit, in ASCII and in two-byte letters (the limit is in bytes,
        // of the word as written).
        for length in 57..63 {
            texts.push(format!("a {} b {} c", "x".repeat(length), "é".repeat(length / 2)));
            texts.push(format!("{}Ä", "y".repeat(length)));
        }
        // Every character up to U+07FF, and a few beyond, alone and inside words.
        texts.push(
            (0x80..0x800u32)
                .chain([0x1E9E, 0x2014, 0x3000, 0xFB01, 0xFF21, 0x1F642, 0x1D7CE])
                .filter_map(char::from_u32)
                .flat_map(|c| [c, ' ', 'A', c, 'b', ' ', c, c, '.', '1', c])
                .collect(),
        );
        let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stories-sample/stories");
        for language in std::fs::read_dir(sample).unwrap().flatten() {
            for file in std::fs::read_dir(language.path()).unwrap().flatten() {
                if let Ok(text) = std::fs::read_to_string(file.path()) {
                    texts.push(text);
                }
            }
        }
        let mut checked = 0;
        for (ours, theirs) in &mut pairs {
            for text in &texts {
                let expected = stream(theirs, text);
                assert_eq!(stream(ours, text), expected, "{text:?}");
                checked += expected.len();
            }
        }
        assert!(checked > 150_000, "{checked} tokens checked");
        // The stemmed fields' analyzers give the same stems, as many times each, grouped: one
        // run of copies per distinct word (not per occurrence).
        let mut grouped_runs = 0;
        for (ours, theirs) in &mut stemmed {
            for text in &texts {
                let mut expected: Vec<String> =
                    stream(theirs, text).into_iter().map(|token| token.0).collect();
                let ours: Vec<String> = stream(ours, text).into_iter().map(|token| token.0).collect();
                let mut words = stream(&mut tantivy_chain(false, None), text);
                words.sort();
                words.dedup_by(|a, b| a.0 == b.0);
                let runs = ours.chunk_by(|a, b| a == b).count();
                assert!(runs <= words.len(), "{runs} runs for {} distinct words in {text:?}", words.len());
                grouped_runs += runs;
                let mut sorted = ours;
                sorted.sort();
                expected.sort();
                assert_eq!(sorted, expected, "{text:?}");
                checked += expected.len();
            }
        }
        assert!(checked > 300_000, "{checked} tokens checked");
        assert!(grouped_runs > 1_000, "{grouped_runs}");
    }
}
