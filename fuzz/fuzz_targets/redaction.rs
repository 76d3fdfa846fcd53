//! Redaction on any text: suggestions point at the words they name, and applying them all never
//! panics and leaves none of the suggested names behind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storybank_domain::{
    ContentHash, Language, Pseudonyms, Status, Story, StoryContent, StoryDetails, StoryId, StoryType,
    Storyteller, Title, redact, suggest, units,
};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    let story = Story {
        id: StoryId::new(),
        details: StoryDetails {
            title: Title::parse("Fuzzed").expect("a title"),
            story_type: StoryType::Written,
            language: Language::parse("en").expect("a language"),
            prompt: None,
            place: None,
            recorded_on: None,
            reporter: None,
            storyteller: Some(Storyteller::parse("Mary Smith").expect("a name")),
            consent: None,
            themes: Vec::new(),
            tags: Vec::new(),
        },
        content: StoryContent::Text { body: body.to_owned() },
        status: Status::Submitted,
        provenance: None,
        content_hash: ContentHash::from_hex(&"0".repeat(64)).expect("a hash"),
        ingest_warnings: Vec::new(),
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    };
    let suggestions = suggest(&story);
    let texts: std::collections::HashMap<_, _> = units(&story).into_iter().collect();
    for suggestion in &suggestions {
        assert_eq!(
            texts[&suggestion.unit].get(suggestion.start..suggestion.end),
            Some(suggestion.found.as_str())
        );
    }
    if let Ok(redacted) = redact(&story, &[], &suggestions, &mut Pseudonyms::default(), &|p| p.to_owned()) {
        assert_eq!(redacted.applied.len(), suggestions.len());
    }
});
