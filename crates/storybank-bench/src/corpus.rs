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

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len())]
    }
}

/// Words of each language and the theme paths, read from `stories-sample/`.
pub struct Vocabulary {
    pub words: BTreeMap<String, Vec<String>>,
    pub themes: Vec<String>,
}

impl Vocabulary {
    pub fn from_sample(sample: &Path) -> Result<Self> {
        let mut words: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for language in fs::read_dir(sample.join("stories"))? {
            let language = language?.path();
            let code = language.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if code.len() != 2 {
                continue;
            }
            let pool = words.entry(code).or_default();
            for file in fs::read_dir(&language)? {
                let path = file?.path();
                let Ok(text) = fs::read_to_string(&path) else { continue };
                let text = match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(manifest) => manifest["body"].as_str().unwrap_or_default().to_owned(),
                    Err(_) => text,
                };
                pool.extend(
                    text.split_whitespace()
                        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
                        .filter(|word| word.chars().count() > 1 && !word.chars().any(|c| c.is_ascii_digit())),
                );
            }
        }
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
        let pool = &self.words[language];
        let mut text = String::with_capacity(count * 8);
        let mut sentence_length = 0;
        for index in 0..count {
            let word = rng.pick(pool);
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

/// Writes `count` text-story manifests (inline bodies of `min_words..max_words` words, mixed
/// languages, themes, tags and consent) into `dir`.
pub fn write_text_corpus(
    dir: &Path,
    vocabulary: &Vocabulary,
    count: usize,
    min_words: usize,
    max_words: usize,
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
        let words = rng.range(min_words, max_words + 1);
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
