//! De-identification: finding what could identify someone in a story (e-mail addresses, phone
//! numbers, postcodes, street addresses, links, and the names given in the story's details), and
//! replacing what a curator accepts, consistently within the story: the same person always
//! becomes the same pseudonym (`[Person A]`), the same kind of detail the same label (`[email]`).
//!
//! Suggestions point into a story's text *units* (title, body, caption, alt text, each cue's
//! text) by byte offsets. [`redact`] applies the accepted ones and returns the new story with its
//! quotes' spans moved to match, so a quote still quotes the same words (now redacted).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::{AltText, Cue, DomainError, Quote, QuoteSpan, Story, StoryContent, Title, vocab::vocabulary};

vocabulary!(
    /// What a redaction hides.
    RedactionKind, "redaction kind", {
        /// A person's name.
        Name => "name",
        /// An e-mail address.
        Email => "email",
        /// A phone number.
        Phone => "phone",
        /// A postcode.
        Postcode => "postcode",
        /// A street address.
        Address => "address",
        /// A web address.
        Link => "link",
        /// Anything else a curator marks.
        Other => "other",
    }
);

impl RedactionKind {
    /// The label that replaces what is hidden (names get a pseudonym instead).
    pub fn label(self) -> &'static str {
        match self {
            RedactionKind::Name => "[person]",
            RedactionKind::Email => "[email]",
            RedactionKind::Phone => "[phone]",
            RedactionKind::Postcode => "[postcode]",
            RedactionKind::Address => "[address]",
            RedactionKind::Link => "[link]",
            RedactionKind::Other => "[redacted]",
        }
    }
}

/// A part of a story's text that redaction works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "unit", content = "cue")]
pub enum Unit {
    /// The title.
    Title,
    /// A text story's body.
    Body,
    /// A photo's caption.
    Caption,
    /// A photo's alt text.
    AltText,
    /// The text of one transcript cue (by position).
    Cue(usize),
}

impl Unit {
    /// A short name, e.g. `body` or `cue-3`.
    pub fn code(self) -> String {
        match self {
            Unit::Title => "title".into(),
            Unit::Body => "body".into(),
            Unit::Caption => "caption".into(),
            Unit::AltText => "alt-text".into(),
            Unit::Cue(at) => format!("cue-{at}"),
        }
    }

    /// Reads [`Unit::code`].
    pub fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "title" => Unit::Title,
            "body" => Unit::Body,
            "caption" => Unit::Caption,
            "alt-text" => Unit::AltText,
            other => Unit::Cue(other.strip_prefix("cue-")?.parse().ok()?),
        })
    }

    /// What a person reads, e.g. "cue 4".
    pub fn label(self) -> String {
        match self {
            Unit::Title => "title".into(),
            Unit::Body => "text".into(),
            Unit::Caption => "caption".into(),
            Unit::AltText => "alt text".into(),
            Unit::Cue(at) => format!("cue {}", at + 1),
        }
    }
}

/// Something that could identify a person, found in a story.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// Where.
    pub unit: Unit,
    /// Byte offsets in the unit's text.
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
    /// What it looks like.
    pub kind: RedactionKind,
    /// The words found.
    pub found: String,
    /// For names: whose (the name as given in the story's details), so all parts of one
    /// person's name get one pseudonym.
    pub person: Option<String>,
}

impl Suggestion {
    /// A key that names this suggestion in a form: `unit:start:end:fingerprint`. The fingerprint
    /// (of the words found) keeps a key from a page read before the text changed from naming
    /// other words that moved into the same place.
    pub fn key(&self) -> String {
        // FNV-1a: a stable, dependency-free fingerprint (not a secret: the words are on the page).
        let fingerprint = self.found.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("{}:{}:{}:{:08x}", self.unit.code(), self.start, self.end, fingerprint as u32)
    }
}

/// The text units of a story, in order.
pub fn units(story: &Story) -> Vec<(Unit, &str)> {
    let mut units = vec![(Unit::Title, story.details.title.as_str())];
    match &story.content {
        StoryContent::Text { body } => units.push((Unit::Body, body)),
        StoryContent::Image { caption, alt_text, .. } => {
            units.push((Unit::Caption, caption));
            if let Some(alt) = alt_text {
                units.push((Unit::AltText, alt.as_str()));
            }
        }
        StoryContent::Transcript { cues } => {
            units.extend(cues.iter().enumerate().map(|(at, cue)| (Unit::Cue(at), cue.text())));
        }
    }
    units
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the redaction patterns are valid")
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| regex(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"));
static LINK: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\b(?:https?://|www\.)[^\s<>()]+[^\s<>().,;:!?]"));
// A run of digits with spaces, dots, dashes or brackets, optionally starting with +; checked
// below for 7 to 15 digits so years, amounts and times are not taken for phone numbers.
static PHONE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?:\+|\b)\d[\d ().-]{5,20}\d\b"));
static POSTCODE: LazyLock<Regex> = LazyLock::new(|| {
    regex(concat!(
        // UK: LS1 4AB, SW1A 1AA
        r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b",
        // Netherlands: 1234 AB
        r"|\b\d{4} ?[A-Z]{2}\b",
        // Poland: 00-950
        r"|\b\d{2}-\d{3}\b",
        // Sweden: 123 45 followed by a town
        r"|\b\d{3} \d{2}\b(?: [A-ZÅÄÖ][a-zåäö]+)",
        // Five digits before a capitalised town (Finland, Estonia, Italy, Spain): 00100 Helsinki
        r"|\b\d{5}\b(?: \p{Lu}\p{Ll}+)",
        // Four digits before a capitalised town (Hungary): 1051 Budapest
        r"|\b\d{4} \p{Lu}\p{Ll}+\b",
    ))
});
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    regex(concat!(
        // 12 Canal Street, 4b Mill Lane
        r"\b\d{1,4}[A-Za-z]? (?:\p{Lu}[\p{L}'-]+ ){1,3}",
        r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Court|Ct|Place|Pl|Gardens|Terrace|Crescent|Square|Grove|Row|Walk|Hill)\b\.?",
        // Mannerheimintie 5, Drottninggatan 12 B, Kalverstraat 92, Tartu mnt 10
        r"|\b\p{Lu}\p{Ll}+(?:katu|tie|kuja|polku|gatan|gata|vägen|väg|straat|weg|laan|gracht|plein|utca|tér|tänav|maantee|mnt)\.? \d{1,4}(?: ?[A-Za-z]\b)?",
        // ul. Długa 5, via Roma 10, calle Mayor 3, Plaza Mayor 3
        r"|\b(?:ul\.|ulica|al\.|via|viale|piazza|calle|avenida|plaza|paseo) (?:\p{Lu}[\p{L}'-]+ ?){1,3} ?\d{1,4}[a-zA-Z]?\b",
    ))
});

/// Titles and honorifics that are not part of a name to look for on their own.
const NOT_NAMES: &[&str] =
    &["dr", "mr", "mrs", "ms", "mx", "miss", "prof", "sir", "dame", "rev", "the", "and"];

/// The names a story's details give: the storyteller's and the reporter's in full, each part of
/// them (3 letters or more, not an honorific), and the transcript's speakers. Each maps to the
/// person it belongs to (the name as given, lowercased).
fn names(story: &Story) -> Vec<(String, String)> {
    let mut people: Vec<String> = Vec::new();
    people.extend(story.details.storyteller.as_ref().map(|name| name.as_str().to_owned()));
    people.extend(story.details.reporter.as_ref().map(|name| name.as_str().to_owned()));
    if let StoryContent::Transcript { cues } = &story.content {
        for cue in cues {
            people.extend(cue.speaker().map(|speaker| speaker.as_str().to_owned()));
        }
    }
    let mut names = Vec::new();
    let mut seen = BTreeSet::new();
    for person in people {
        // "Marsden, Eileen" is Eileen Marsden.
        let whole = match person.split_once(',') {
            Some((surname, given)) => format!("{} {}", given.trim(), surname.trim()),
            None => person.trim().to_owned(),
        };
        let key = whole.to_lowercase();
        let mut candidates = vec![whole.clone(), person.trim().to_owned()];
        candidates.extend(
            whole
                .split(|c: char| c.is_whitespace() || c == ',')
                .map(|part| part.trim_matches(|c: char| !c.is_alphanumeric() && c != '-' && c != '\''))
                .filter(|part| {
                    part.chars().count() >= 3 && !NOT_NAMES.contains(&part.to_lowercase().as_str())
                })
                .map(str::to_owned),
        );
        for candidate in candidates {
            // A name belongs to the first person who has it.
            if !candidate.is_empty() && seen.insert(candidate.to_lowercase()) {
                names.push((candidate, key.clone()));
            }
        }
    }
    // Longest first, so "Mary Smith" is found before "Mary".
    names.sort_by_key(|(name, _)| std::cmp::Reverse(name.chars().count()));
    names
}

fn is_word_boundary(text: &str, at: usize) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at..].chars().next();
    !before.is_some_and(char::is_alphanumeric) || !after.is_some_and(char::is_alphanumeric)
}

/// A pattern for `needle` as a whole word (or words); a name part is matched with its capital (so
/// "Hope" is not suggested for "hope"), a typed phrase in any case.
fn word_pattern(needle: &str, any_case: bool) -> Option<Regex> {
    let flags = if any_case { "(?i)" } else { "" };
    Regex::new(&format!(r"{flags}(?:^|\b){}(?:\b|$)", regex::escape(needle))).ok()
}

/// Every occurrence of `pattern` in `text` that starts and ends at a word boundary.
fn find_words(text: &str, pattern: &Regex) -> Vec<(usize, usize)> {
    pattern
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .filter(|&(start, end)| {
            is_word_boundary(text, start) && (end == text.len() || is_word_boundary(text, end))
        })
        .collect()
}

fn priority(kind: RedactionKind) -> u8 {
    match kind {
        RedactionKind::Email => 0,
        RedactionKind::Link => 1,
        RedactionKind::Name => 2,
        RedactionKind::Address => 3,
        RedactionKind::Phone => 4,
        RedactionKind::Postcode => 5,
        RedactionKind::Other => 6,
    }
}

/// Suggests what to redact in `story`, in reading order, without overlaps.
pub fn suggest(story: &Story) -> Vec<Suggestion> {
    // Each name's pattern is built once per story, not once per cue.
    let names: Vec<(Regex, String)> = names(story)
        .into_iter()
        .filter_map(|(name, person)| Some((word_pattern(&name, false)?, person)))
        .collect();
    let mut all = Vec::new();
    for (unit, text) in units(story) {
        let mut found: Vec<Suggestion> = Vec::new();
        let mut push = |start: usize, end: usize, kind: RedactionKind, person: Option<String>| {
            found.push(Suggestion { unit, start, end, kind, found: text[start..end].to_owned(), person });
        };
        for m in EMAIL.find_iter(text) {
            push(m.start(), m.end(), RedactionKind::Email, None);
        }
        for m in LINK.find_iter(text) {
            push(m.start(), m.end(), RedactionKind::Link, None);
        }
        for m in ADDRESS.find_iter(text) {
            push(m.start(), m.end(), RedactionKind::Address, None);
        }
        for m in POSTCODE.find_iter(text) {
            push(m.start(), m.end(), RedactionKind::Postcode, None);
        }
        for m in PHONE.find_iter(text) {
            let digits = m.as_str().chars().filter(char::is_ascii_digit).count();
            if (7..=15).contains(&digits) {
                push(m.start(), m.end(), RedactionKind::Phone, None);
            }
        }
        for (pattern, person) in &names {
            for (start, end) in find_words(text, pattern) {
                push(start, end, RedactionKind::Name, Some(person.clone()));
            }
        }
        // Where two overlap, the stronger kind wins (an e-mail address holds a name, a name
        // beats the town a postcode pattern took along), then the earlier, then the longer.
        found.sort_by_key(|s| (priority(s.kind), s.start, std::cmp::Reverse(s.end)));
        let mut kept: Vec<Suggestion> = Vec::new();
        for suggestion in found {
            if kept.iter().all(|k| suggestion.end <= k.start || suggestion.start >= k.end) {
                kept.push(suggestion);
            }
        }
        kept.sort_by_key(|s| s.start);
        all.extend(kept);
    }
    all
}

/// Finds every whole-word occurrence of a phrase a curator typed, as suggestions of `kind`.
pub fn find_phrase(story: &Story, phrase: &str, kind: RedactionKind) -> Result<Vec<Suggestion>, DomainError> {
    let phrase = phrase.trim();
    if phrase.chars().count() < 2 || phrase.chars().count() > 200 {
        return Err(DomainError::Field { field: "phrase", problem: "must be 2 to 200 characters" });
    }
    let person = (kind == RedactionKind::Name).then(|| phrase.to_lowercase());
    let Some(pattern) = word_pattern(phrase, true) else {
        return Err(DomainError::Field { field: "phrase", problem: "cannot be searched for" });
    };
    let found: Vec<Suggestion> = units(story)
        .into_iter()
        .flat_map(|(unit, text)| {
            let person = person.clone();
            find_words(text, &pattern).into_iter().map(move |(start, end)| Suggestion {
                unit,
                start,
                end,
                kind,
                found: text[start..end].to_owned(),
                person: person.clone(),
            })
        })
        .collect();
    if found.is_empty() {
        return Err(DomainError::Field { field: "phrase", problem: "is not in the story as a whole word" });
    }
    Ok(found)
}

/// Pseudonyms already given in a story, by a key per person (kept by the caller, e.g. a hash of
/// the name, so the name itself need not be kept): `[Person A]`, `[Person B]`, ...
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pseudonyms {
    by_key: BTreeMap<String, String>,
}

impl Pseudonyms {
    /// The pseudonyms given before.
    pub fn new(given: impl IntoIterator<Item = (String, String)>) -> Self {
        Self { by_key: given.into_iter().collect() }
    }

    /// The pseudonym of the person with `key`, giving the next free one if they have none.
    pub fn of(&mut self, key: &str) -> String {
        if let Some(label) = self.by_key.get(key) {
            return label.clone();
        }
        let taken: BTreeSet<&String> = self.by_key.values().collect();
        let label = (0..)
            .map(person_label)
            .find(|label| !taken.contains(label))
            .expect("there is always a free label");
        self.by_key.insert(key.to_owned(), label.clone());
        label
    }

    /// Every (key, pseudonym).
    pub fn given(&self) -> impl Iterator<Item = (&String, &String)> {
        self.by_key.iter()
    }
}

/// `[Person A]` .. `[Person Z]`, then `[Person AA]`, ...
fn person_label(n: usize) -> String {
    let mut letters = Vec::new();
    let mut n = n + 1;
    while n > 0 {
        n -= 1;
        letters.push(char::from(b'A' + (n % 26) as u8));
        n /= 26;
    }
    format!("[Person {}]", letters.iter().rev().collect::<String>())
}

/// One replacement made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Where.
    pub unit: Unit,
    /// What kind of detail.
    pub kind: RedactionKind,
    /// The words replaced.
    pub original: String,
    /// What replaced them.
    pub replacement: String,
    /// For names: the person's key (as given to [`Pseudonyms::of`]).
    pub person: Option<String>,
}

/// A story after redaction, its quotes moved to match, and what was replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redacted {
    /// The story with the chosen words replaced.
    pub story: Story,
    /// Its quotes, spans and text updated.
    pub quotes: Vec<Quote>,
    /// The replacements, in order.
    pub applied: Vec<Applied>,
}

/// Replaces `chosen` suggestions in `story` (names by `person_key(person)`'s pseudonym, other
/// details by their label) and moves `quotes` to match. Suggestions that no longer match the
/// story's text, or overlap one applied before them, are skipped.
pub fn redact(
    story: &Story,
    quotes: &[Quote],
    chosen: &[Suggestion],
    pseudonyms: &mut Pseudonyms,
    person_key: &dyn Fn(&str) -> String,
) -> Result<Redacted, DomainError> {
    let units_before = units(story);
    let mut by_unit: BTreeMap<Unit, Vec<&Suggestion>> = BTreeMap::new();
    for suggestion in chosen {
        by_unit.entry(suggestion.unit).or_default().push(suggestion);
    }
    let mut new_texts: BTreeMap<Unit, String> = BTreeMap::new();
    let mut applied = Vec::new();
    // (start, end, new length) in the old full text, for moving quote spans.
    let mut moves: Vec<(usize, usize, usize)> = Vec::new();
    let bases = unit_bases(story);
    for (unit, text) in &units_before {
        let Some(list) = by_unit.get_mut(unit) else { continue };
        list.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
        // Those that no longer match the text are dropped; overlapping ones become one span
        // covering both (a name's kind and person win, so the person keeps one pseudonym).
        let mut spans: Vec<Suggestion> = Vec::new();
        for suggestion in list.iter() {
            if text.get(suggestion.start..suggestion.end) != Some(suggestion.found.as_str()) {
                continue;
            }
            match spans.last_mut() {
                Some(last) if suggestion.start < last.end => {
                    last.end = last.end.max(suggestion.end);
                    last.found = text[last.start..last.end].to_owned();
                    if last.kind != RedactionKind::Name && suggestion.kind == RedactionKind::Name {
                        last.kind = RedactionKind::Name;
                        last.person.clone_from(&suggestion.person);
                    }
                }
                _ => spans.push((*suggestion).clone()),
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for suggestion in &spans {
            let (start, end) = (suggestion.start, suggestion.end);
            let (replacement, person) = match (&suggestion.kind, &suggestion.person) {
                (RedactionKind::Name, Some(person)) => {
                    let key = person_key(person);
                    (pseudonyms.of(&key), Some(key))
                }
                (kind, _) => (kind.label().to_owned(), None),
            };
            out.push_str(&text[at..start]);
            out.push_str(&replacement);
            at = end;
            if let Some(base) = bases.get(unit) {
                moves.push((base + start, base + end, replacement.len()));
            }
            applied.push(Applied {
                unit: *unit,
                kind: suggestion.kind,
                original: suggestion.found.clone(),
                replacement,
                person,
            });
        }
        out.push_str(&text[at..]);
        new_texts.insert(*unit, out);
    }
    let mut redacted = story.clone();
    for (unit, text) in new_texts {
        set_unit(&mut redacted, unit, text)?;
    }
    let new_full = redacted.content.full_text();
    let cues: &[Cue] = match &redacted.content {
        StoryContent::Transcript { cues } => cues,
        _ => &[],
    };
    let moved = |offset: usize| -> usize {
        let mut shift: isize = 0;
        for &(start, end, length) in &moves {
            if end <= offset {
                shift += length as isize - (end - start) as isize;
            } else if start < offset {
                // Inside a replaced span: to its end.
                return (start as isize + shift + length as isize) as usize;
            }
        }
        (offset as isize + shift) as usize
    };
    let quotes = quotes
        .iter()
        .map(|quote| {
            let span = match quote.span {
                QuoteSpan::Text { start, end } => QuoteSpan::Text { start: moved(start), end: moved(end) },
                cues @ QuoteSpan::Cues { .. } => cues,
            };
            // A quote whose span no longer fits the text gets the same replacements in its words.
            let text = span.text_of(&new_full, cues).unwrap_or_else(|| {
                applied
                    .iter()
                    .fold(quote.text.clone(), |text, done| text.replace(&done.original, &done.replacement))
            });
            Quote { span, text, ..quote.clone() }
        })
        .collect();
    Ok(Redacted { story: redacted, quotes, applied })
}

/// Where each unit starts in [`StoryContent::full_text`] (title and units outside it are absent).
fn unit_bases(story: &Story) -> BTreeMap<Unit, usize> {
    let mut bases = BTreeMap::new();
    match &story.content {
        StoryContent::Text { .. } => {
            bases.insert(Unit::Body, 0);
        }
        StoryContent::Image { caption, alt_text, .. } => {
            bases.insert(Unit::Caption, 0);
            if alt_text.is_some() {
                bases.insert(Unit::AltText, caption.len() + 1);
            }
        }
        StoryContent::Transcript { cues } => {
            let mut at = 0;
            for (index, cue) in cues.iter().enumerate() {
                if index > 0 {
                    at += 1; // the newline between cues
                }
                if let Some(speaker) = cue.speaker() {
                    at += speaker.as_str().len() + 2; // "Name: "
                }
                bases.insert(Unit::Cue(index), at);
                at += cue.text().len();
            }
        }
    }
    bases
}

fn set_unit(story: &mut Story, unit: Unit, text: String) -> Result<(), DomainError> {
    match (unit, &mut story.content) {
        (Unit::Title, _) => story.details.title = Title::parse(&text)?,
        (Unit::Body, StoryContent::Text { body }) => *body = text,
        (Unit::Caption, StoryContent::Image { caption, .. }) => *caption = text,
        (Unit::AltText, StoryContent::Image { alt_text, .. }) => *alt_text = Some(AltText::parse(&text)?),
        (Unit::Cue(at), StoryContent::Transcript { cues }) => {
            let Some(cue) = cues.get_mut(at) else { return Ok(()) };
            *cue = Cue::new(cue.start(), cue.end(), cue.speaker().cloned(), text)?;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::pack::tests_support::story;
    use crate::{QuoteId, Speaker, Storyteller, Timestamp};

    fn text_story(body: &str) -> Story {
        let mut story = story(); // storyteller Eileen Marsden, reporter rita
        story.content = StoryContent::Text { body: body.into() };
        story
    }

    fn found(body: &str) -> Vec<(RedactionKind, String)> {
        suggest(&text_story(body))
            .into_iter()
            .filter(|s| s.unit == Unit::Body)
            .map(|s| (s.kind, s.found))
            .collect()
    }

    #[test]
    fn what_is_suggested() {
        use RedactionKind::*;
        let cases: Vec<(&str, Vec<(RedactionKind, &str)>)> = vec![
            ("Write to eileen.m@example.org today.", vec![(Email, "eileen.m@example.org")]),
            (
                "Call 0113 496 0000 or +358 40 123 4567.",
                vec![(Phone, "0113 496 0000"), (Phone, "+358 40 123 4567")],
            ),
            ("It cost 1500 euros in 2024, at 10.30.", vec![]),
            (
                "I live at 12 Canal Street, LS1 4AB.",
                vec![(Address, "12 Canal Street"), (Postcode, "LS1 4AB")],
            ),
            (
                "Asun Mannerheimintie 5 B, 00100 Helsinki.",
                vec![(Address, "Mannerheimintie 5 B"), (Postcode, "00100 Helsinki")],
            ),
            (
                "Mieszkam przy ul. Długa 5, 00-950 Warszawa.",
                vec![(Address, "ul. Długa 5"), (Postcode, "00-950")],
            ),
            (
                "See https://example.org/me. Or www.example.com!",
                vec![(Link, "https://example.org/me"), (Link, "www.example.com")],
            ),
            (
                "Eileen Marsden said Eileen would come; Marsden did.",
                vec![(Name, "Eileen Marsden"), (Name, "Eileen"), (Name, "Marsden")],
            ),
            // A name beats the town a postcode pattern would take along.
            ("Code 123 45 Eileen Marsden", vec![(Name, "Eileen Marsden")]),
            // A name part is matched with its capital, as a whole word.
            ("eileen's cat; Eileenville; rita came", vec![(Name, "rita")]),
        ];
        for (body, expected) in cases {
            let expected: Vec<(RedactionKind, String)> =
                expected.into_iter().map(|(kind, text)| (kind, text.to_owned())).collect();
            assert_eq!(found(body), expected, "{body}");
        }
    }

    #[test]
    fn a_person_keeps_one_pseudonym_and_quotes_move_with_the_text() {
        let body = "Eileen Marsden told me: call Eileen at 0113 496 0000. Eileen waited.";
        let story = text_story(body);
        let passage = "Eileen waited.";
        let quote = Quote {
            id: QuoteId::new(),
            story_id: story.id,
            span: QuoteSpan::find(body, passage).unwrap(),
            text: passage.into(),
            themes: vec![],
            created_by: None,
            created_at: chrono::Utc::now(),
        };
        let chosen = suggest(&story);
        let mut pseudonyms = Pseudonyms::default();
        let key = |person: &str| format!("key-{person}");
        let redacted = redact(&story, &[quote], &chosen, &mut pseudonyms, &key).unwrap();
        assert_eq!(
            redacted.story.content.full_text(),
            "[Person A] told me: call [Person A] at [phone]. [Person A] waited."
        );
        assert_eq!(redacted.quotes[0].text, "[Person A] waited.");
        assert_eq!(redacted.applied.len(), 4);
        // A second round keeps the pseudonym; another person gets the next one.
        let mut again = redacted.story.clone();
        again.content = StoryContent::Text { body: "rita met Eileen.".into() };
        let more = redact(&again, &[], &suggest(&again), &mut pseudonyms, &key).unwrap();
        assert_eq!(more.story.content.full_text(), "[Person B] met [Person A].");
    }

    #[test]
    fn transcript_cues_and_captions_are_redacted_in_place() {
        let mut story = story();
        let cue = |speaker: &str, text: &str| {
            Cue::new(
                Some(Timestamp::from_millis(0)),
                None,
                Some(Speaker::parse(speaker).unwrap()),
                text.into(),
            )
            .unwrap()
        };
        story.details.storyteller = Some(Storyteller::parse("Marsden, Eileen").unwrap());
        story.content = StoryContent::Transcript {
            cues: vec![cue("rita", "Hello Eileen."), cue("Eileen", "Mail me: e@x.fi")],
        };
        let quote = Quote {
            id: QuoteId::new(),
            story_id: story.id,
            span: QuoteSpan::find(&story.content.full_text(), "Mail me: e@x.fi").unwrap(),
            text: "Mail me: e@x.fi".into(),
            themes: vec![],
            created_by: None,
            created_at: chrono::Utc::now(),
        };
        let redacted =
            redact(&story, &[quote], &suggest(&story), &mut Pseudonyms::default(), &|p| p.to_owned())
                .unwrap();
        assert_eq!(redacted.story.content.full_text(), "rita: Hello [Person A].\nEileen: Mail me: [email]");
        assert_eq!(redacted.quotes[0].text, "Mail me: [email]");
        assert_eq!(person_label(25), "[Person Z]");
        assert_eq!(person_label(26), "[Person AA]");
    }

    #[test]
    fn a_phrase_overlapping_a_name_is_redacted_whole_and_stale_keys_match_nothing() {
        let story = text_story("Ask Eileen Marsden family of Leeds.");
        let mut chosen = suggest(&story);
        chosen.extend(find_phrase(&story, "Marsden family of Leeds", RedactionKind::Other).unwrap());
        let redacted = redact(&story, &[], &chosen, &mut Pseudonyms::default(), &|p| p.to_owned()).unwrap();
        assert_eq!(redacted.story.content.full_text(), "Ask [Person A].");
        // The same offsets over other words make another key.
        let other = text_story("Ask Eileen Harsden family of Leeds.");
        let moved = Suggestion { found: "Eileen Harsden".into(), ..suggest(&story)[0].clone() };
        assert_ne!(moved.key(), suggest(&story)[0].key());
        assert!(suggest(&other).iter().all(|s| s.key() != suggest(&story)[0].key()));
    }

    #[test]
    fn a_phrase_is_found_in_any_case_and_a_missing_one_is_refused() {
        let story = text_story("The Green Door cafe; the green door.");
        assert_eq!(find_phrase(&story, "green door", RedactionKind::Other).unwrap().len(), 2);
        assert!(find_phrase(&story, "purple", RedactionKind::Other).is_err());
        assert!(find_phrase(&story, "x", RedactionKind::Other).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever surrounds them, every accepted name is gone from the redacted text, the text
        /// is otherwise kept, and every quote still points at valid text.
        #[test]
        fn accepted_names_are_gone_and_quotes_stay_valid(
            words in proptest::collection::vec("[a-zäö]{1,8}|[0-9]{1,3}|[.,;!?]", 0..40),
            places in proptest::collection::vec(0usize..40, 1..5),
            quote_at in 0usize..40,
        ) {
            let mut parts: Vec<String> = words.clone();
            for (n, at) in places.iter().enumerate() {
                let name = if n % 2 == 0 { "Eileen Marsden" } else { "Marsden" };
                parts.insert((*at).min(parts.len()), name.to_owned());
            }
            let body = parts.join(" ");
            let story = text_story(&body);
            let passage_words: Vec<&str> = body.split(' ').skip(quote_at.min(parts.len().saturating_sub(1))).take(3).collect();
            let passage = passage_words.join(" ");
            let quotes: Vec<Quote> = QuoteSpan::find(&body, &passage).ok().map(|span| Quote {
                id: QuoteId::new(),
                story_id: story.id,
                span,
                text: passage.trim().to_owned(),
                themes: vec![],
                created_by: None,
                created_at: chrono::Utc::now(),
            }).into_iter().collect();
            let names: Vec<Suggestion> = suggest(&story).into_iter().filter(|s| s.kind == RedactionKind::Name).collect();
            let redacted = redact(&story, &quotes, &names, &mut Pseudonyms::default(), &|p| p.to_owned()).unwrap();
            let text = redacted.story.content.full_text();
            prop_assert!(!text.contains("Marsden"), "{text}");
            prop_assert!(!text.contains("Eileen"), "{text}");
            let without: String = text.replace("[Person A]", "");
            for word in &words {
                prop_assert!(without.contains(word.as_str()));
            }
            for quote in &redacted.quotes {
                if let QuoteSpan::Text { start, end } = quote.span {
                    prop_assert!(start <= end && end <= text.len());
                    prop_assert_eq!(&text[start..end], quote.text.as_str());
                }
            }
        }
    }
}
