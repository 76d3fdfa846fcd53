//! The Markdown renderer and sanitiser on any text: never a panic, and never live markup: no
//! script element, no event handler attribute, no script or data URL in a link or image (the
//! words "javascript:" as text are fine: they are escaped text, not a URL).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let html = storybank_export::markdown::render(text).to_lowercase();
    assert!(!html.contains("<script"), "a script element survived: {html}");
    for tag in html.split('<').skip(1).map(|rest| rest.split('>').next().unwrap_or_default()) {
        let unquoted: String = tag.split('"').step_by(2).collect();
        assert!(!unquoted.contains(" on"), "an event handler survived: <{tag}>");
        for attribute in ["href=\"", "src=\""] {
            for (at, _) in tag.match_indices(attribute) {
                let value = tag[at + attribute.len()..].trim_start();
                assert!(
                    !value.starts_with("javascript:")
                        && !value.starts_with("data:")
                        && !value.starts_with("vbscript:"),
                    "a script URL survived: <{tag}>"
                );
            }
        }
    }
    let _ = storybank_export::markdown::render_plain(text);
});
