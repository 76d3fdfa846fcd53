//! Transcript parsers: WebVTT, SRT and plain `Speaker: words` transcripts.
//!
//! Each keeps every cue's start and end time (where the format has them), its speaker and its
//! text. A malformed timing line is an error naming its line, never a silently dropped cue.

use storybank_domain::{Cue, Speaker, Timestamp};

use crate::error::{IngestError, IngestErrorKind};

/// The transcript formats Storybank reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TranscriptFormat {
    /// WebVTT: `WEBVTT` header, `hh:mm:ss.mmm --> hh:mm:ss.mmm`, `<v Speaker>` voice tags.
    WebVtt,
    /// SubRip: numbered cues, `hh:mm:ss,mmm --> hh:mm:ss,mmm`, `Speaker:` prefixes.
    Srt,
    /// One `Speaker: words` line per cue, optionally starting with `[hh:mm:ss]`.
    Plain,
}

impl TranscriptFormat {
    /// Decides the format from the text, using the file's extension when the text alone cannot tell.
    pub fn detect(text: &str, extension: Option<&str>) -> Self {
        let first_line = text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("");
        let extension = extension.map(str::to_ascii_lowercase);
        if first_line.starts_with("WEBVTT") || extension.as_deref() == Some("vtt") {
            return TranscriptFormat::WebVtt;
        }
        if extension.as_deref() == Some("srt") {
            return TranscriptFormat::Srt;
        }
        let mut lines = text.lines().map(str::trim).skip_while(|line| line.is_empty());
        let looks_like_srt =
            lines.next().is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
                && lines.next().is_some_and(|l| l.contains("-->"));
        if looks_like_srt { TranscriptFormat::Srt } else { TranscriptFormat::Plain }
    }
}

/// Reads a transcript in the given format into its cues.
pub fn parse_transcript(text: &str, format: TranscriptFormat) -> Result<Vec<Cue>, IngestError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let cues = match format {
        TranscriptFormat::WebVtt => parse_webvtt(text)?,
        TranscriptFormat::Srt => parse_srt(text)?,
        TranscriptFormat::Plain => parse_plain(text)?,
    };
    if cues.is_empty() {
        return Err(IngestError::new(IngestErrorKind::Transcript(
            "the transcript has no cues; check that it is not empty and that cues are separated by blank lines"
                .into(),
        )));
    }
    Ok(cues)
}

/// A block of consecutive non-blank lines, with the 1-based number of its first line.
struct Block<'a> {
    first_line: usize,
    lines: Vec<&'a str>,
}

fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut current: Option<Block<'_>> = None;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blocks.extend(current.take());
        } else {
            current
                .get_or_insert_with(|| Block { first_line: index + 1, lines: Vec::new() })
                .lines
                .push(line);
        }
    }
    blocks.extend(current);
    blocks
}

fn transcript_error(line: usize, message: String) -> IngestError {
    IngestError::at(line, IngestErrorKind::Transcript(message))
}

fn parse_webvtt(text: &str) -> Result<Vec<Cue>, IngestError> {
    let blocks = blocks(text);
    let Some(header) = blocks.first() else {
        return Ok(Vec::new());
    };
    let signature = header.lines[0];
    let valid_signature = signature == "WEBVTT"
        || signature.strip_prefix("WEBVTT").is_some_and(|rest| rest.starts_with([' ', '\t']));
    if !valid_signature || header.first_line != 1 {
        return Err(transcript_error(
            header.first_line,
            "a WebVTT file must start with the line WEBVTT; add it as the first line".into(),
        ));
    }
    let mut cues = Vec::new();
    for block in &blocks[1..] {
        let first = block.lines[0];
        if ["NOTE", "STYLE", "REGION"]
            .iter()
            .any(|kind| first == *kind || first.starts_with(&format!("{kind} ")))
        {
            continue;
        }
        // An optional cue identifier comes before the timing line.
        let timing_index = usize::from(!first.contains("-->"));
        let Some(timing) = block.lines.get(timing_index).filter(|line| line.contains("-->")) else {
            return Err(transcript_error(
                block.first_line,
                format!(
                    "expected a cue timing line like \"00:00:01.000 --> 00:00:04.000\", found {:?}",
                    block.lines.get(timing_index).unwrap_or(&first)
                ),
            ));
        };
        let timing_line = block.first_line + timing_index;
        let (start, end) = parse_timing(timing, timing_line, TimestampStyle::WebVtt)?;
        let payload: Vec<&str> = block.lines[timing_index + 1..].to_vec();
        let (speaker, words) = webvtt_payload(&payload);
        push_cue(&mut cues, Some(start), Some(end), speaker, words, timing_line)?;
    }
    Ok(cues)
}

fn parse_srt(text: &str) -> Result<Vec<Cue>, IngestError> {
    let mut cues = Vec::new();
    for block in blocks(text) {
        let first = block.lines[0].trim();
        let timing_index = usize::from(!first.contains("-->"));
        if timing_index == 1 && !first.bytes().all(|b| b.is_ascii_digit()) {
            return Err(transcript_error(
                block.first_line,
                format!(
                    "expected a cue number or a timing line like \"00:00:01,000 --> 00:00:04,000\", found {first:?}"
                ),
            ));
        }
        let Some(timing) = block.lines.get(timing_index).filter(|line| line.contains("-->")) else {
            return Err(transcript_error(
                block.first_line + timing_index,
                "expected a timing line like \"00:00:01,000 --> 00:00:04,000\" after the cue number".into(),
            ));
        };
        let timing_line = block.first_line + timing_index;
        let (start, end) = parse_timing(timing, timing_line, TimestampStyle::Srt)?;
        let payload = block.lines[timing_index + 1..].iter().map(|line| strip_tags(line)).collect::<Vec<_>>();
        let joined = payload.join(" ");
        let (speaker, words) = split_speaker(&joined);
        push_cue(&mut cues, Some(start), Some(end), speaker, words.to_owned(), timing_line)?;
    }
    Ok(cues)
}

fn parse_plain(text: &str) -> Result<Vec<Cue>, IngestError> {
    let mut cues: Vec<(Option<Timestamp>, Option<Speaker>, String, usize)> = Vec::new();
    for (index, raw_line) in text.lines().enumerate() {
        let line = raw_line.trim();
        if line.is_empty() {
            continue;
        }
        let (start, rest) = leading_time(line);
        let (speaker, words) = split_speaker(rest);
        match (speaker, start, cues.last_mut()) {
            // A line without a speaker or a time continues the cue before it.
            (None, None, Some((_, _, text, _))) => {
                text.push(' ');
                text.push_str(words);
            }
            (speaker, start, _) => cues.push((start, speaker, words.to_owned(), index + 1)),
        }
    }
    let mut out = Vec::with_capacity(cues.len());
    for (start, speaker, words, line) in cues {
        push_cue(&mut out, start, None, speaker, words, line)?;
    }
    Ok(out)
}

fn push_cue(
    cues: &mut Vec<Cue>,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
    speaker: Option<Speaker>,
    words: String,
    line: usize,
) -> Result<(), IngestError> {
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.is_empty() {
        return Ok(());
    }
    let cue = Cue::new(start, end, speaker, words).map_err(|err| transcript_error(line, err.to_string()))?;
    cues.push(cue);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TimestampStyle {
    WebVtt,
    Srt,
}

fn parse_timing(
    line: &str,
    line_number: usize,
    style: TimestampStyle,
) -> Result<(Timestamp, Timestamp), IngestError> {
    let (start, rest) = line.split_once("-->").unwrap_or((line, ""));
    // WebVTT allows cue settings after the end time.
    let end = rest.split_whitespace().next().unwrap_or("");
    let parse = |raw: &str| {
        parse_timestamp(raw.trim(), style).ok_or_else(|| {
            let example = match style {
                TimestampStyle::WebVtt => "hh:mm:ss.mmm or mm:ss.mmm, e.g. 00:01:02.500",
                TimestampStyle::Srt => "hh:mm:ss,mmm, e.g. 00:01:02,500",
            };
            transcript_error(
                line_number,
                format!("{:?} is not a valid timestamp: write {example}", raw.trim()),
            )
        })
    };
    let start = parse(start)?;
    let end = parse(end)?;
    if end < start {
        return Err(transcript_error(
            line_number,
            format!("the cue ends ({end}) before it starts ({start})"),
        ));
    }
    Ok((start, end))
}

/// `hh:mm:ss.mmm` (hours optional in WebVTT) or `hh:mm:ss,mmm` (SRT; `.` is accepted too).
fn parse_timestamp(raw: &str, style: TimestampStyle) -> Option<Timestamp> {
    let (clock, millis) = match style {
        TimestampStyle::WebVtt => raw.split_once('.')?,
        TimestampStyle::Srt => raw.split_once([',', '.'])?,
    };
    let digits = |part: &str, len: usize| {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u64>().ok())
            .flatten()
    };
    let millis = digits(millis, 3)?;
    let parts: Vec<&str> = clock.split(':').collect();
    let (hours, minutes, seconds) = match (style, parts.as_slice()) {
        (_, [hours, minutes, seconds]) if hours.len() >= 2 && hours.len() <= 4 => (
            hours.parse::<u64>().ok().filter(|_| hours.bytes().all(|b| b.is_ascii_digit()))?,
            *minutes,
            *seconds,
        ),
        (TimestampStyle::WebVtt, [minutes, seconds]) => (0, *minutes, *seconds),
        _ => return None,
    };
    let minutes = digits(minutes, 2).filter(|m| *m < 60)?;
    let seconds = digits(seconds, 2).filter(|s| *s < 60)?;
    Some(Timestamp::from_millis(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis))
}

/// `[hh:mm:ss]`, `[mm:ss]` or `(mm:ss)` at the start of a plain transcript line.
fn leading_time(line: &str) -> (Option<Timestamp>, &str) {
    let Some(close) = (match line.chars().next() {
        Some('[') => line.find(']'),
        Some('(') => line.find(')'),
        _ => None,
    }) else {
        return (None, line);
    };
    let inner = &line[1..close];
    let parts: Vec<&str> = inner.split(':').collect();
    let numbers: Option<Vec<u64>> = parts
        .iter()
        .map(|part| {
            (!part.is_empty() && part.len() <= 2 && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse().ok())
                .flatten()
        })
        .collect();
    let seconds = match numbers.as_deref() {
        Some([h, m, s]) if *m < 60 && *s < 60 => (h * 60 + m) * 60 + s,
        Some([m, s]) if *s < 60 => m * 60 + s,
        _ => return (None, line),
    };
    (Some(Timestamp::from_millis(seconds * 1000)), line[close + 1..].trim_start())
}

/// Splits `Name: words` into a speaker and the words. A speaker is one to four words, at most 40
/// characters, starting with a letter; anything else stays part of the text.
fn split_speaker(line: &str) -> (Option<Speaker>, &str) {
    let Some((name, words)) = line.split_once(':') else {
        return (None, line);
    };
    let name = name.trim();
    let plausible = !name.is_empty()
        && name.chars().count() <= 40
        && name.split_whitespace().count() <= 4
        && name.chars().next().is_some_and(char::is_alphabetic)
        && name.chars().all(|c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '.' || c == '\'')
        && (words.is_empty() || words.starts_with(' '));
    match plausible.then(|| Speaker::parse(name).ok()).flatten() {
        Some(speaker) => (Some(speaker), words.trim()),
        None => (None, line),
    }
}

/// A WebVTT cue payload: a leading `<v Name>` (or `<v.class Name>`) voice tag names the speaker;
/// otherwise a `Name:` prefix does. Other tags are dropped and entities decoded.
fn webvtt_payload(lines: &[&str]) -> (Option<Speaker>, String) {
    let joined = lines.join(" ");
    let trimmed = joined.trim_start();
    if let Some(rest) = trimmed.strip_prefix("<v")
        && rest.starts_with([' ', '.', '\t'])
        && let Some(close) = rest.find('>')
    {
        let annotation = rest[..close].trim_start_matches(|c: char| c != ' ' && c != '\t').trim();
        let speaker = Speaker::parse(&decode_entities(annotation)).ok();
        return (speaker, decode_entities(&strip_tags(&rest[close + 1..])));
    }
    let text = decode_entities(&strip_tags(trimmed));
    let (speaker, words) = split_speaker(&text);
    (speaker, words.to_owned())
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match (c, in_tag) {
            ('<', false) => in_tag = true,
            ('>', true) => in_tag = false,
            (c, false) => out.push(c),
            _ => {}
        }
    }
    out
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&lrm;", "\u{200e}")
        .replace("&rlm;", "\u{200f}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cue as (start ms, end ms, speaker, text), to compare in tables.
    type CueRow = (Option<u64>, Option<u64>, Option<String>, String);

    fn summary(cues: &[Cue]) -> Vec<CueRow> {
        cues.iter()
            .map(|cue| {
                (
                    cue.start().map(Timestamp::as_millis),
                    cue.end().map(Timestamp::as_millis),
                    cue.speaker().map(|s| s.to_string()),
                    cue.text().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn webvtt_cues_keep_times_speakers_and_text() {
        let vtt = "WEBVTT - interview\n\nNOTE recorded in Turku\n\n1\n00:00:01.000 --> 00:00:04.500 align:start\n<v Reporter>What matters to you?</v>\n\n00:05.000 --> 00:09.250\n<v.loud Aino Virtanen>The bus &amp; the\nclinic.\n\n00:00:10.000 --> 00:00:12.000\nMaria: <i>Yes.</i>\n";
        let cues = parse_transcript(vtt, TranscriptFormat::WebVtt).unwrap();
        assert_eq!(
            summary(&cues),
            [
                (Some(1000), Some(4500), Some("Reporter".into()), "What matters to you?".into()),
                (Some(5000), Some(9250), Some("Aino Virtanen".into()), "The bus & the clinic.".into()),
                (Some(10000), Some(12000), Some("Maria".into()), "Yes.".into()),
            ]
        );
    }

    #[test]
    fn srt_cues_keep_times_speakers_and_text() {
        let srt = "1\r\n00:00:01,000 --> 00:00:03,000\r\nReporter: How was it?\r\n\r\n2\r\n00:00:03,500 --> 00:01:02,250\r\nPiotr: Trudno.\r\nBardzo trudno.\r\n";
        let cues = parse_transcript(srt, TranscriptFormat::Srt).unwrap();
        assert_eq!(
            summary(&cues),
            [
                (Some(1000), Some(3000), Some("Reporter".into()), "How was it?".into()),
                (Some(3500), Some(62250), Some("Piotr".into()), "Trudno. Bardzo trudno.".into()),
            ]
        );
    }

    #[test]
    fn plain_transcripts_join_continuation_lines() {
        let text = "Reporter: What helped?\nSam: The drop-in.\nIt was open late.\n[01:30] Sam: And the staff.\nA note: not a speaker line because it is long enough to be prose, really";
        let cues = parse_transcript(text, TranscriptFormat::Plain).unwrap();
        let summary = summary(&cues);
        assert_eq!(summary[0], (None, None, Some("Reporter".into()), "What helped?".into()));
        assert_eq!(summary[1].3, "The drop-in. It was open late.");
        assert_eq!(summary[2], (Some(90_000), None, Some("Sam".into()), "And the staff.".into()));
        assert_eq!(summary[3].2.as_deref(), Some("A note"));
    }

    #[test]
    fn malformed_timings_name_their_line() {
        for (text, format, expected) in [
            (
                "WEBVTT\n\n00:00:1.000 --> 00:00:02.000\nhi\n",
                TranscriptFormat::WebVtt,
                "line 3: \"00:00:1.000\" is not a valid timestamp",
            ),
            (
                "WEBVTT\n\n00:00:01.000 --> 00:00:62.000\nhi\n",
                TranscriptFormat::WebVtt,
                "line 3: \"00:00:62.000\" is not a valid timestamp",
            ),
            (
                "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nhi\n",
                TranscriptFormat::WebVtt,
                "line 3: the cue ends",
            ),
            ("WEBVTT\n\njust some words\n", TranscriptFormat::WebVtt, "line 3: expected a cue timing line"),
            (
                "Hello\n\n00:00:01.000 --> 00:00:02.000\nhi\n",
                TranscriptFormat::WebVtt,
                "line 1: a WebVTT file must start with the line WEBVTT",
            ),
            (
                "1\n00:00:01.000 --> 00:00:02,000\nhi\n\n2\n00:00:03;000 --> 00:00:04,000\nho\n",
                TranscriptFormat::Srt,
                "line 6: \"00:00:03;000\" is not a valid timestamp",
            ),
            ("1\nno timing here\n", TranscriptFormat::Srt, "line 2: expected a timing line"),
            ("", TranscriptFormat::Plain, "the transcript has no cues"),
        ] {
            let err = parse_transcript(text, format).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{text:?}: got {err:?}, expected it to start with {expected:?}"
            );
        }
    }

    #[test]
    fn detects_formats() {
        for (text, extension, expected) in [
            ("WEBVTT\n\n", None, TranscriptFormat::WebVtt),
            ("  \nWEBVTT\n", Some("txt"), TranscriptFormat::WebVtt),
            ("1\n00:00:01,000 --> 00:00:02,000\nhi", None, TranscriptFormat::Srt),
            ("anything", Some("SRT"), TranscriptFormat::Srt),
            ("anything", Some("vtt"), TranscriptFormat::WebVtt),
            ("Reporter: hi", Some("txt"), TranscriptFormat::Plain),
        ] {
            assert_eq!(TranscriptFormat::detect(text, extension), expected, "{text:?} {extension:?}");
        }
    }
}
