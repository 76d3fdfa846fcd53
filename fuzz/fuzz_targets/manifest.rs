//! The story manifest parser on any bytes: a manifest or an error naming a line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storybank_ingest::Manifest;

fuzz_target!(|data: &[u8]| {
    if let Err(err) = Manifest::parse(data) {
        assert!(!err.to_string().is_empty());
    }
});
