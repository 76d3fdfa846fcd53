//! Generated corpora that read like the sample: words drawn from the sample stories of each
//! language, themes from the sample taxonomy, every consent scope.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// A small, fast, deterministic pseudo-random generator (SplitMix64): the same seed gives the same
/// corpus on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..high`.
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low) as u64) as usize
    }

    /// A number in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len())]
    }
}

/// How many distinct words each language's vocabulary has: the sample's own words, then made-up
/// words in the same spelling (a character model of the sample's words), so a large corpus has a
/// long tail of rare words as real text does.
const WORDS_PER_LANGUAGE: usize = 30_000;

/// One language's words, most frequent first, drawn with Zipf's law (frequency ~ 1 / rank).
pub struct LanguageWords {
    pub ranked: Vec<String>,
    cumulative: Vec<f64>,
}

impl LanguageWords {
    fn new(counts: &BTreeMap<String, usize>, rng: &mut Rng) -> Self {
        let mut ranked: Vec<(&String, &usize)> = counts.iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let mut ranked: Vec<String> = ranked.into_iter().map(|(word, _)| word.clone()).collect();
        let model = CharModel::train(&ranked);
        let mut seen: std::collections::HashSet<String> = ranked.iter().cloned().collect();
        let mut attempts = 0;
        while ranked.len() < WORDS_PER_LANGUAGE && attempts < WORDS_PER_LANGUAGE * 50 {
            attempts += 1;
            let word = model.word(rng);
            if word.chars().count() >= 3 && seen.insert(word.clone()) {
                ranked.push(word);
            }
        }
        let mut total = 0.0;
        let cumulative = (1..=ranked.len())
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Self { ranked, cumulative }
    }

    /// A word drawn by frequency.
    pub fn word(&self, rng: &mut Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let target = rng.unit() * total;
        let index = self.cumulative.partition_point(|&c| c < target).min(self.ranked.len() - 1);
        &self.ranked[index]
    }

    /// A word whose rank is spread evenly on a log scale between `low` and `high`: from common
    /// words to rare ones, as people search.
    pub fn word_by_rank(&self, rng: &mut Rng, low: usize, high: usize) -> &str {
        let high = high.min(self.ranked.len());
        let rank = (low as f64 * (high as f64 / low as f64).powf(rng.unit())) as usize;
        &self.ranked[rank.clamp(1, high) - 1]
    }
}

/// An order-2 character model of a language's words, to make up new words that look like them.
struct CharModel {
    next: std::collections::HashMap<(char, char), Vec<char>>,
}

const EDGE: char = '\u{0}';

impl CharModel {
    fn train(words: &[String]) -> Self {
        let mut next: std::collections::HashMap<(char, char), Vec<char>> = Default::default();
        for word in words {
            let mut state = (EDGE, EDGE);
            for c in word.chars().chain([EDGE]) {
                next.entry(state).or_default().push(c);
                state = (state.1, c);
            }
        }
        Self { next }
    }

    fn word(&self, rng: &mut Rng) -> String {
        let mut word = String::new();
        let mut state = (EDGE, EDGE);
        while let Some(choices) = self.next.get(&state) {
            let c = *rng.pick(choices);
            if c == EDGE || word.len() > 24 {
                break;
            }
            word.push(c);
            state = (state.1, c);
        }
        word
    }
}

/// Words of each language and the theme paths, read from `stories-sample/`.
pub struct Vocabulary {
    pub words: BTreeMap<String, LanguageWords>,
    pub themes: Vec<String>,
}

impl Vocabulary {
    pub fn from_sample(sample: &Path) -> Result<Self> {
        let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for language in fs::read_dir(sample.join("stories"))? {
            let language = language?.path();
            let code = language.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if code.len() != 2 {
                continue;
            }
            let pool = counts.entry(code).or_default();
            for file in fs::read_dir(&language)? {
                let path = file?.path();
                let Ok(text) = fs::read_to_string(&path) else { continue };
                let text = match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(manifest) => manifest["body"].as_str().unwrap_or_default().to_owned(),
                    Err(_) => text,
                };
                for word in sample_words(&text) {
                    *pool.entry(word).or_default() += 1;
                }
            }
        }
        let mut rng = Rng::new(7);
        let words = counts
            .iter()
            .map(|(code, counts)| (code.clone(), LanguageWords::new(counts, &mut rng)))
            .collect();
        let taxonomy: serde_json::Value =
            serde_json::from_slice(&fs::read(sample.join("themes.json")).context("reading themes.json")?)?;
        let themes = taxonomy["themes"]
            .as_array()
            .context("themes.json has a themes list")?
            .iter()
            .filter_map(|theme| theme["path"].as_str().map(str::to_owned))
            .collect();
        Ok(Self { words, themes })
    }

    /// A paragraph-broken text of `count` words in `language`.
    pub fn text(&self, rng: &mut Rng, language: &str, count: usize) -> String {
        let words = &self.words[language];
        let mut text = String::with_capacity(count * 8);
        let mut sentence_length = 0;
        for index in 0..count {
            let word = words.word(rng);
            if sentence_length == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    text.extend(first.to_uppercase());
                    text.push_str(chars.as_str());
                }
            } else {
                text.push_str(word);
            }
            sentence_length += 1;
            if sentence_length > 6 && rng.range(0, 10) == 0 || index + 1 == count {
                text.push('.');
                sentence_length = 0;
                text.push_str(if rng.range(0, 8) == 0 { "\n\n" } else { " " });
            } else {
                text.push(' ');
            }
        }
        text
    }
}

/// How story lengths are spread between the minimum and maximum.
#[derive(Clone, Copy, Debug)]
pub enum Lengths {
    Uniform,
    /// See [`story_length`].
    Realistic,
}

/// A story length in words: log-normal (median 600, mean about 770), kept within `min..=max`.
/// Community Reporting stories are mostly short snapshots and written pieces, with a tail of
/// long dialogue and monologue transcripts.
pub fn story_length(rng: &mut Rng, min: usize, max: usize) -> usize {
    let (u1, u2) = (rng.unit().max(f64::MIN_POSITIVE), rng.unit());
    let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    ((600.0 * (0.7 * normal).exp()) as usize).clamp(min, max)
}

/// Writes `count` text-story manifests (inline bodies of `min_words..max_words` words, mixed
/// languages, themes, tags and consent) into `dir`.
pub fn write_text_corpus(
    dir: &Path,
    vocabulary: &Vocabulary,
    count: usize,
    min_words: usize,
    max_words: usize,
    lengths: Lengths,
) -> Result<u64> {
    let languages: Vec<&String> = vocabulary.words.keys().collect();
    let places = [
        "Turku",
        "Hämeenlinna",
        "Manchester",
        "Leeds",
        "Tartu",
        "Gdańsk",
        "Utrecht",
        "Bologna",
        "Valencia",
        "Budapest",
        "Malmö",
    ];
    let scopes = ["internal", "commissioners", "public"];
    let identities = ["anonymous", "first_name", "full_name"];
    let types = ["written", "snapshot", "monologue"];
    let mut rng = Rng::new(20_261_126);
    let mut bytes = 0;
    for index in 0..count {
        let language = rng.pick(&languages).as_str();
        let words = match lengths {
            Lengths::Uniform => rng.range(min_words, max_words + 1),
            Lengths::Realistic => story_length(&mut rng, min_words, max_words),
        };
        let body = vocabulary.text(&mut rng, language, words);
        let themes: Vec<&String> = (0..rng.range(1, 4)).map(|_| rng.pick(&vocabulary.themes)).collect();
        let title_words = rng.range(3, 8);
        let title = vocabulary.text(&mut rng, language, title_words);
        let day = format!("202{}-{:02}-{:02}", rng.range(3, 6), rng.range(1, 13), rng.range(1, 29));
        let mut manifest = serde_json::json!({
            "title": title.trim().trim_end_matches('.'),
            "form": "text",
            "body": body,
            "story_type": rng.pick(&types),
            "language": language,
            "recorded_on": day,
            "place": rng.pick(&places),
            "reporter": format!("reporter-{}", rng.range(1, 60)),
            "storyteller": format!("Teller {index}"),
            "themes": themes,
            "tags": ["generated", format!("batch-{}", index / 1000)],
        });
        if rng.range(0, 10) != 0 {
            manifest["consent"] = serde_json::json!({
                "scope": rng.pick(&scopes),
                "identify_as": rng.pick(&identities),
                "given_on": day,
            });
        }
        let json = serde_json::to_vec(&manifest)?;
        bytes += json.len() as u64;
        let folder = dir.join(format!("{:03}", index / 1000));
        fs::create_dir_all(&folder)?;
        fs::File::create(folder.join(format!("story-{index:06}.story.json")))?.write_all(&json)?;
    }
    Ok(bytes)
}

/// The words of a sample file, lowercased: without the markup of a transcript (WebVTT's voice
/// tags, `<v Samira>So`, would otherwise give "samira>so"), the punctuation around a word, and
/// anything holding a digit (cue numbers, timestamps) or another sign inside it.
fn sample_words(text: &str) -> Vec<String> {
    let mut in_tag = false;
    let mut outside_tags = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                outside_tags.push(' ');
            }
            c if !in_tag => outside_tags.push(c),
            _ => {}
        }
    }
    outside_tags
        .split_whitespace()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .filter(|word| {
            word.chars().count() > 1
                && word.chars().all(|c| c.is_alphabetic() || matches!(c, '\'' | '\u{2019}' | '-'))
        })
        .collect()
}

#[cfg(test)]
mod sample_word_tests {
    use super::sample_words;

    #[test]
    fn transcript_markup_and_numbers_are_not_words() {
        let cases: &[(&str, &[&str])] = &[
            ("<v Amira>So Dani, you said</v>", &["so", "dani", "you", "said"]),
            ("1\n00:00:04.000 --> 00:00:09.500\nYeah.", &["yeah"]),
            ("neeno.</v> L'uscita e-mail", &["neeno", "l'uscita", "e-mail"]),
            ("a 42 x2 Hämeenlinna", &["hämeenlinna"]),
        ];
        for (text, expected) in cases {
            assert_eq!(&sample_words(text), expected, "{text}");
        }
    }
}
