//! Text helpers: UTF-8 with line numbers, titles from headings and file names, language detection.

use storybank_domain::Language;

use crate::error::{IngestError, IngestErrorKind};

/// Reads UTF-8 (a leading byte-order mark is dropped); an error names the line of the first bad byte.
pub(crate) fn decode_utf8(bytes: &[u8]) -> Result<&str, IngestError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|err| {
        let line = bytes[..err.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        IngestError::at(line, IngestErrorKind::InvalidUtf8)
    })
}

/// The text of the first Markdown ATX heading (`# Title`), if the text has one near its start.
pub(crate) fn first_heading(markdown: &str) -> Option<String> {
    markdown
        .lines()
        .take(20)
        .map(str::trim)
        .find_map(|line| {
            let level = line.bytes().take_while(|b| *b == b'#').count();
            let rest = line[level..].strip_prefix(' ')?;
            (1..=6).contains(&level).then(|| rest.trim().trim_end_matches('#').trim())
        })
        .filter(|heading| !heading.is_empty())
        .map(str::to_owned)
}

/// A title made from a file name: `waiting-for-a-call.md` becomes "Waiting for a call".
pub(crate) fn title_from_file_name(name: &str) -> String {
    let file_name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = file_name.split('.').next().unwrap_or(file_name);
    let words = stem.replace(['-', '_'], " ");
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Untitled story".to_owned(),
    }
}

/// Guesses the language among the nine Storybank analyses. `None` when the text is too short or
/// the guess is not reliable.
pub(crate) fn detect_language(text: &str) -> Option<Language> {
    use whatlang::Lang;
    const CANDIDATES: [(Lang, &str); 9] = [
        (Lang::Eng, "en"),
        (Lang::Fin, "fi"),
        (Lang::Swe, "sv"),
        (Lang::Nld, "nl"),
        (Lang::Est, "et"),
        (Lang::Ita, "it"),
        (Lang::Spa, "es"),
        (Lang::Pol, "pl"),
        (Lang::Hun, "hu"),
    ];
    if text.split_whitespace().count() < 3 {
        return None;
    }
    // Long texts are detected from their first part: enough for a reliable guess, and bounded.
    let sample = match text.char_indices().nth(4000) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    let detector = whatlang::Detector::with_allowlist(CANDIDATES.iter().map(|(lang, _)| *lang).collect());
    let info = detector.detect(sample)?;
    if info.confidence() < 0.3 {
        return None;
    }
    let code = CANDIDATES.iter().find(|(lang, _)| *lang == info.lang()).map(|(_, code)| *code)?;
    Language::parse(code).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_errors_name_the_line() {
        let err = decode_utf8(b"one\ntwo\nth\xffree").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: the text is not valid UTF-8; save the file as UTF-8 and ingest it again"
        );
        assert_eq!(decode_utf8(b"\xEF\xBB\xBFhi").unwrap(), "hi");
    }

    #[test]
    fn titles_from_headings_and_names() {
        assert_eq!(first_heading("\n## The long wait ##\ntext").as_deref(), Some("The long wait"));
        assert_eq!(first_heading("no heading"), None);
        assert_eq!(first_heading("#hashtag\n# Real"), Some("Real".into()));
        assert_eq!(title_from_file_name("unsorted/waiting-for_a-call.md"), "Waiting for a call");
        assert_eq!(title_from_file_name("älä.txt"), "Älä");
        assert_eq!(title_from_file_name(".md"), "Untitled story");
    }

    #[test]
    fn detects_the_nine_languages() {
        for (text, code) in [
            ("I waited three months for the mental health team and no one called me back.", "en"),
            ("Odotin terveyskeskuksessa kolme tuntia, eikä kukaan kertonut mitään.", "fi"),
            ("Jag har väntat på en bostad i nästan två år och ingen svarar.", "sv"),
            ("Ik moest drie weken wachten voordat de huisarts tijd voor mij had.", "nl"),
            ("Ma ootasin tervisekeskuses kolm tundi ja keegi ei öelnud midagi.", "et"),
            ("Ho aspettato tre mesi per una casa popolare e nessuno mi ha risposto.", "it"),
            ("Esperé tres meses para una vivienda social y nadie me respondió.", "es"),
            ("Czekałem trzy miesiące na wizytę u lekarza i nikt nie oddzwonił.", "pl"),
            ("Három hónapig vártam, hogy valaki segítsen a lakhatás ügyében.", "hu"),
        ] {
            assert_eq!(detect_language(text).map(|l| l.to_string()).as_deref(), Some(code), "{text}");
        }
        assert_eq!(detect_language("ok"), None);
    }
}
