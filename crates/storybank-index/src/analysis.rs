//! Text analysis: words lowercased (the text), lowercased and folded to ASCII (titles, and the
//! spellings without diacritics a query word also stands for: "hameenlinna" finds "Hämeenlinna"),
//! a keyword analyzer for places, and each language's Snowball stemmer for query words (see
//! `word_map`: stemming happens at query time).

use std::sync::OnceLock;

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, TextAnalyzer, Token, TokenStream, Tokenizer,
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

/// Registers every analyzer with the index (analyzers are not stored in the index itself).
pub(crate) fn register(index: &Index) {
    let tokenizers = index.tokenizers();
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

/// A lowercased word's stem in the language `code`; `None` for a language without a stemmer
/// (for tests: queries stem with `word_map::stems_of`).
#[cfg(test)]
pub(crate) fn stem<'a>(code: &str, word: &'a str) -> Option<std::borrow::Cow<'a, str>> {
    let (_, algorithm) = STEMMED_LANGUAGES.iter().find(|(known, _)| *known == code)?;
    Some(frostem::Stemmer::new(*algorithm).stem(word))
}

/// A lowercased word without its diacritics ("hämeenlinna" -> "hameenlinna"), as tantivy's
/// `AsciiFoldingFilter` makes it.
pub(crate) fn fold(word: &str) -> String {
    Folder::new().fold(word)
}

/// Folds many words with one tokenizer (making one allocates tantivy's fallback filters).
pub(crate) struct Folder(WordTokenizer);

impl Folder {
    pub(crate) fn new() -> Self {
        Self(WordTokenizer::new(true))
    }

    /// As [`fold`].
    pub(crate) fn fold(&mut self, word: &str) -> String {
        let mut stream = self.0.token_stream(word);
        if stream.advance() { stream.token().text.clone() } else { word.to_owned() }
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
            assert_eq!(stem(language, a), stem(language, b), "{language}: {a} / {b}");
            assert!(stem(language, a).is_some(), "{language}");
        }
        assert_eq!(stem("xx", "words"), None);
        assert_eq!(fold("hämeenlinna"), "hameenlinna");
        assert_eq!(fold("straße"), "strasse");
        assert_eq!(fold("kaupunki"), "kaupunki");
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
        let tantivy_chain = |fold: bool| {
            let builder = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
                .filter(LowerCaser)
                .dynamic();
            let builder = if fold { builder.filter_dynamic(AsciiFoldingFilter) } else { builder };
            builder.build()
        };
        let mut pairs = vec![
            (index.tokenizers().get(FOLDED).unwrap(), tantivy_chain(true)),
            (index.tokenizers().get(PLAIN).unwrap(), tantivy_chain(false)),
        ];
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
        assert!(checked > 25_000, "{checked} tokens checked");
    }
}
