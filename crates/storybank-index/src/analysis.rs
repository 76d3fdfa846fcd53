//! Text analysis: one analyzer per language (lowercase + Snowball stemmer), a folded analyzer
//! (lowercase + ASCII folding, no stemming) so that "hameenlinna" finds "Hämeenlinna", and a
//! keyword analyzer for places.

use std::borrow::Cow;
use std::mem;

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
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

pub(crate) fn stemmed_analyzer_name(language: &str) -> String {
    format!("sb_stem_{language}")
}

/// Registers every analyzer with the index (analyzers are not stored in the index itself).
pub(crate) fn register(index: &Index) {
    let tokenizers = index.tokenizers();
    for (code, algorithm) in STEMMED_LANGUAGES {
        let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(SnowballStemmer(algorithm))
            .build();
        tokenizers.register(&stemmed_analyzer_name(code), analyzer);
    }
    tokenizers.register(
        FOLDED,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    tokenizers.register(
        PLAIN,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .build(),
    );
    tokenizers.register(
        KEYWORD,
        TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).filter(AsciiFoldingFilter).build(),
    );
}

/// A token filter that stems with a Snowball algorithm from `frostem` (the crate tantivy's own
/// stemmer uses; tantivy's `Language` enum lacks Estonian and Polish).
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
            Cow::Owned(stemmed) => token.text = stemmed,
            Cow::Borrowed(stemmed) => {
                self.buffer.clear();
                self.buffer.push_str(stemmed);
                mem::swap(&mut token.text, &mut self.buffer);
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
}
