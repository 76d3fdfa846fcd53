//! The transcript parsers (WebVTT, SRT, plain) on any text: an error or cues, never a panic, and
//! every cue's times in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storybank_ingest::{TranscriptFormat, parse_transcript};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in [TranscriptFormat::WebVtt, TranscriptFormat::Srt, TranscriptFormat::Plain] {
        if let Ok(cues) = parse_transcript(text, format) {
            for cue in &cues {
                if let (Some(start), Some(end)) = (cue.start(), cue.end()) {
                    assert!(start <= end, "a cue ends before it starts");
                }
            }
        }
    }
    let _ = parse_transcript(text, TranscriptFormat::detect(text, None));
});
