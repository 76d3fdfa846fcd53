//! Story text as HTML: Markdown through pulldown-cmark, raw HTML turned into plain text, then
//! everything through the ammonia sanitiser (an allow-list of tags and attributes, safe URL
//! schemes only, `rel="noopener noreferrer nofollow"` on links). Whatever a story contains,
//! what comes out cannot run script.

use pulldown_cmark::{Event, Options, Parser, html};

/// Renders Markdown to sanitised HTML.
pub fn render(markdown: &str) -> String {
    let parser =
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES).map(|event| {
            match event {
                // Raw HTML in a story is shown as the text it is, never interpreted.
                Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
                other => other,
            }
        });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, parser);
    sanitise(&unsafe_html)
}

/// Plain text (a transcript, a caption) as HTML paragraphs, one per line, with every character
/// that means something in HTML escaped.
pub fn render_plain(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| format!("<p>{}</p>", escape(line)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn sanitise(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_markdown_renders_inert() {
        for payload in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "<svg onload=alert(1)><script>alert(1)</script></svg>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "![x](javascript:alert(1))",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<style>body{display:none}</style>",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        ] {
            let html = render(payload).to_lowercase();
            // Escaped text (`&lt;script&gt;`) is harmless; what matters is what is inside real tags.
            for tag in html.split('<').skip(1).map(|rest| rest.split('>').next().unwrap_or_default()) {
                for bad in ["script", "onerror", "onload", "javascript:", "iframe", "svg", "style", "data:"] {
                    assert!(!tag.contains(bad), "{payload:?} rendered as {html:?}");
                }
            }
        }
    }

    #[test]
    fn plain_text_is_escaped_line_by_line() {
        assert_eq!(
            render_plain("A: <b>hi</b>\n\nB: \"ok\" & 'so'"),
            "<p>A: &lt;b&gt;hi&lt;/b&gt;</p>\n<p>B: &quot;ok&quot; &amp; &#39;so&#39;</p>"
        );
    }

    #[test]
    fn ordinary_markdown_keeps_its_shape() {
        let html = render("# Waiting\n\nThe *bus* never came. [Timetable](https://example.org/t)");
        assert!(html.contains("<h1>Waiting</h1>"));
        assert!(html.contains("<em>bus</em>"));
        assert!(html.contains("href=\"https://example.org/t\""));
        assert!(html.contains("rel=\"noopener noreferrer nofollow\""));
    }
}
