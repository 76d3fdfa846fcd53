//! Evidence exports: an insight pack as a self-contained HTML file, Markdown, JSON and CSV; and the
//! sanitising Markdown renderer that the web pages share.
//!
//! An export is made from a [`ResolvedPack`]: a pack already resolved through the consent function
//! for its audience, where evidence the audience may not see has no story data left to leak. So
//! every format includes only what the pack's audience may see, by construction. Every export
//! carries its generation date and the archive's name. The JSON layout is a documented, versioned
//! schema ([`JSON_SCHEMA`], [`JSON_SCHEMA_VERSION`]; `docs/pack-export.md`).

pub mod markdown;

use askama::Template;
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use storybank_domain::{
    Audience, Backing, Evidence, EvidenceStory, MediaRef, PackId, ResolvedEvidence, ResolvedFinding,
    ResolvedPack,
};
use thiserror::Error;

/// The name of the JSON export's schema.
pub const JSON_SCHEMA: &str = "storybank.pack-export";
/// The JSON export's schema version; it changes whenever a field changes meaning or goes away.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// What went wrong making an export.
#[derive(Debug, Error)]
pub enum ExportError {
    /// A format name that is not one of ours.
    #[error("export format {0:?} is not one of: html, md, json, csv")]
    UnknownFormat(String),
    /// The HTML template failed.
    #[error("the HTML export could not be made: {0}")]
    Template(#[from] askama::Error),
    /// The JSON could not be written.
    #[error("the JSON export could not be made: {0}")]
    Json(#[from] serde_json::Error),
    /// The CSV could not be written.
    #[error("the CSV export could not be made: {0}")]
    Csv(#[from] csv::Error),
}

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One HTML file with its CSS and images inside; works offline and prints to PDF.
    Html,
    /// Markdown.
    Markdown,
    /// JSON, in the documented schema.
    Json,
    /// CSV, one row per piece of evidence.
    Csv,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Html, Format::Markdown, Format::Json, Format::Csv];

    /// Reads `html`, `md` (or `markdown`), `json` or `csv`.
    pub fn parse(raw: &str) -> Result<Self, ExportError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "html" => Ok(Format::Html),
            "md" | "markdown" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            _ => Err(ExportError::UnknownFormat(raw.to_owned())),
        }
    }

    /// The file name extension (and the name used in URLs and the CLI).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Markdown => "md",
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Format::Html => "HTML (prints to PDF)",
            Format::Markdown => "Markdown",
            Format::Json => "JSON",
            Format::Csv => "CSV (spreadsheet)",
        }
    }
}

/// Where an export comes from and when it was made.
#[derive(Clone, Debug)]
pub struct ExportInfo {
    /// The archive's name (the organisation running it).
    pub archive: String,
    /// The pack.
    pub pack_id: PackId,
    /// The published version exported.
    pub version: u32,
    /// When that version was published.
    pub published_at: DateTime<Utc>,
    /// When the export was made.
    pub generated_at: DateTime<Utc>,
}

impl ExportInfo {
    /// A file name for this export: the title made safe, the version, the extension.
    pub fn file_name(&self, pack: &ResolvedPack, format: Format) -> String {
        // ASCII only, so the name survives every browser and file system; other letters become '-'.
        let mut slug: String = pack
            .title
            .as_str()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
            .collect();
        while slug.contains("--") {
            slug = slug.replace("--", "-");
        }
        let slug: String = slug.trim_matches('-').chars().take(60).collect();
        let slug = slug.trim_end_matches('-');
        let slug = if slug.is_empty() { "insight-pack" } else { slug };
        format!("{slug}-v{}.{}", self.version, format.extension())
    }
}

/// Makes an export of `pack` in `format`. `media` reads a photo's bytes (for the HTML file's
/// embedded images); a photo it cannot read is left out, with its description kept.
pub fn export(
    format: Format,
    pack: &ResolvedPack,
    info: &ExportInfo,
    media: &dyn Fn(&MediaRef) -> Option<Vec<u8>>,
) -> Result<Vec<u8>, ExportError> {
    match format {
        Format::Html => html(pack, info, media).map(String::into_bytes),
        Format::Markdown => Ok(markdown_export(pack, info).into_bytes()),
        Format::Json => Ok(serde_json::to_vec_pretty(&JsonExport::new(pack, info))?),
        Format::Csv => csv_export(pack, info),
    }
}

fn audience_label(audience: Audience) -> &'static str {
    match audience {
        Audience::Public => "the public",
        Audience::Commissioner => "service commissioners",
        Audience::Curator => "the curation team",
    }
}

/// What stands behind a finding or pack, in words: "2 stories, 1 storyteller, ...".
pub fn backing_line(backing: &Backing) -> String {
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    [
        plural(backing.stories, "story", "stories"),
        plural(backing.storytellers, "storyteller", "storytellers"),
        plural(backing.places, "place", "places"),
        plural(backing.languages, "language", "languages"),
        plural(backing.forms, "form", "forms"),
    ]
    .join(", ")
}

/// Who told a story and where, as a short line ("Eileen, Leeds, 2024-03-01"); empty parts left out.
fn attribution(story: &EvidenceStory) -> String {
    let mut parts =
        vec![story.disclosed.storyteller.clone().unwrap_or_else(|| "Anonymous storyteller".to_owned())];
    parts.extend(story.disclosed.place.clone());
    parts.extend(story.recorded_on.map(|day| day.to_string()));
    parts.join(", ")
}

fn language_label(story: &EvidenceStory) -> String {
    story.language.name().map_or_else(|| story.language.as_str().to_owned(), str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// JSON

#[derive(Serialize)]
struct JsonExport<'a> {
    schema: &'static str,
    schema_version: u32,
    archive: &'a str,
    generated_at: DateTime<Utc>,
    pack: JsonPack<'a>,
    backing: &'a Backing,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonPack<'a> {
    id: PackId,
    version: u32,
    published_at: DateTime<Utc>,
    title: &'a str,
    question: &'a str,
    audience: Audience,
    summary: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    number: usize,
    #[serde(rename = "type")]
    kind: &'static str,
    statement: &'a str,
    explanation: Option<&'a str>,
    backing: &'a Backing,
    evidence: Vec<JsonEvidence<'a>>,
}

#[derive(Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum JsonEvidence<'a> {
    Shown { kind: &'static str, quote_id: Option<String>, quote: Option<&'a str>, story: Box<JsonStory<'a>> },
    Unavailable { kind: &'static str, reason: &'static str, note: &'static str },
}

#[derive(Serialize)]
struct JsonStory<'a> {
    id: String,
    title: &'a str,
    form: &'static str,
    story_type: &'static str,
    language: &'a str,
    recorded_on: Option<NaiveDate>,
    themes: Vec<&'a str>,
    storyteller: Option<&'a str>,
    place: Option<&'a str>,
    consent_scope: &'static str,
    /// The story's words, for whole-story evidence.
    text: Option<&'a str>,
    alt_text: Option<&'a str>,
}

fn kind_of(evidence: &Evidence) -> &'static str {
    match evidence {
        Evidence::Quote { .. } => "quote",
        Evidence::Story { .. } => "story",
    }
}

impl<'a> JsonExport<'a> {
    fn new(pack: &'a ResolvedPack, info: &'a ExportInfo) -> Self {
        Self {
            schema: JSON_SCHEMA,
            schema_version: JSON_SCHEMA_VERSION,
            archive: &info.archive,
            generated_at: info.generated_at,
            pack: JsonPack {
                id: info.pack_id,
                version: info.version,
                published_at: info.published_at,
                title: pack.title.as_str(),
                question: pack.question.as_str(),
                audience: pack.audience,
                summary: pack.summary.as_ref().map(|summary| summary.as_str()),
            },
            backing: &pack.backing,
            findings: pack
                .findings
                .iter()
                .enumerate()
                .map(|(at, finding)| JsonFinding {
                    number: at + 1,
                    kind: finding.kind.as_str(),
                    statement: finding.statement.as_str(),
                    explanation: finding.explanation.as_ref().map(|text| text.as_str()),
                    backing: &finding.backing,
                    evidence: finding
                        .evidence
                        .iter()
                        .map(|item| json_evidence(item, pack.audience))
                        .collect(),
                })
                .collect(),
        }
    }
}

fn json_evidence(item: &ResolvedEvidence, audience: Audience) -> JsonEvidence<'_> {
    match item {
        ResolvedEvidence::Shown { evidence, story, quote, .. } => JsonEvidence::Shown {
            kind: kind_of(evidence),
            quote_id: match evidence {
                Evidence::Quote { quote, .. } => Some(quote.to_string()),
                Evidence::Story { .. } => None,
            },
            quote: quote.as_deref(),
            story: Box::new(JsonStory {
                id: story.id.to_string(),
                title: story.title.as_str(),
                form: story.form.as_str(),
                story_type: story.story_type.as_str(),
                language: story.language.as_str(),
                recorded_on: story.recorded_on,
                themes: story.themes.iter().map(|theme| theme.as_str()).collect(),
                storyteller: story.disclosed.storyteller.as_deref(),
                place: story.disclosed.place.as_deref(),
                consent_scope: story.consent_scope.as_str(),
                text: quote.is_none().then_some(story.text.as_str()),
                alt_text: story.alt_text.as_deref(),
            }),
        },
        ResolvedEvidence::Unavailable { evidence, reason } => {
            let code = if audience == Audience::Curator { reason.code() } else { reason.reader_code() };
            JsonEvidence::Unavailable { kind: kind_of(evidence), reason: code, note: reason.for_readers() }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first)
/// gets a leading apostrophe, so opening an export never runs what a story says.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

const CSV_HEADER: [&str; 20] = [
    "archive",
    "generated_at",
    "pack_id",
    "pack_version",
    "pack_title",
    "finding_number",
    "finding_type",
    "finding_statement",
    "evidence_number",
    "evidence_kind",
    "state",
    "story_id",
    "story_title",
    "storyteller",
    "place",
    "language",
    "form",
    "recorded_on",
    "themes",
    "quote_or_note",
];

fn csv_export(pack: &ResolvedPack, info: &ExportInfo) -> Result<Vec<u8>, ExportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_HEADER)?;
    for (finding_at, finding) in pack.findings.iter().enumerate() {
        for (evidence_at, item) in finding.evidence.iter().enumerate() {
            let common = [
                cell(&info.archive),
                info.generated_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                info.pack_id.to_string(),
                info.version.to_string(),
                cell(pack.title.as_str()),
                (finding_at + 1).to_string(),
                finding.kind.as_str().to_owned(),
                cell(finding.statement.as_str()),
                (evidence_at + 1).to_string(),
            ];
            let rest: [String; 11] = match item {
                ResolvedEvidence::Shown { evidence, story, quote, .. } => [
                    kind_of(evidence).to_owned(),
                    "shown".to_owned(),
                    story.id.to_string(),
                    cell(story.title.as_str()),
                    cell(story.disclosed.storyteller.as_deref().unwrap_or("")),
                    cell(story.disclosed.place.as_deref().unwrap_or("")),
                    story.language.as_str().to_owned(),
                    story.form.as_str().to_owned(),
                    story.recorded_on.map(|day| day.to_string()).unwrap_or_default(),
                    story.themes.iter().map(|theme| theme.as_str()).collect::<Vec<_>>().join("; "),
                    cell(quote.as_deref().unwrap_or("(the whole story)")),
                ],
                ResolvedEvidence::Unavailable { evidence, reason } => [
                    kind_of(evidence).to_owned(),
                    "unavailable".to_owned(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    reason.for_readers().to_owned(),
                ],
            };
            writer.write_record(common.iter().chain(rest.iter()))?;
        }
    }
    writer.into_inner().map_err(|err| ExportError::Csv(err.into_error().into()))
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// Quotes `text` as a Markdown block quote, line by line.
fn block_quote(text: &str) -> String {
    text.lines()
        .map(|line| if line.is_empty() { ">".to_owned() } else { format!("> {line}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text for the Markdown export with `&`, `<` and `>` escaped, so raw HTML in a story or a note
/// stays text in whatever renders the file (Markdown formatting itself is kept).
fn inert(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn markdown_export(pack: &ResolvedPack, info: &ExportInfo) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("# {}\n", inert(pack.title.as_str())));
    line(format!("**Question:** {}  ", inert(pack.question.as_str())));
    line(format!("**For:** {}  ", audience_label(pack.audience)));
    line(format!("**Version:** {}, published {}  ", info.version, info.published_at.format("%Y-%m-%d")));
    line(format!("**Evidence:** {}\n", backing_line(&pack.backing)));
    if let Some(summary) = &pack.summary {
        line(format!("## Summary\n\n{}\n", inert(summary.as_str())));
    }
    for (at, finding) in pack.findings.iter().enumerate() {
        line(format!("## {}. {} ({})\n", at + 1, inert(finding.statement.as_str()), finding.kind));
        line(format!("*Resting on {}.*\n", backing_line(&finding.backing)));
        if let Some(explanation) = &finding.explanation {
            line(format!("{}\n", inert(explanation.as_str())));
        }
        for item in &finding.evidence {
            match item {
                ResolvedEvidence::Shown { story, quote, .. } => {
                    let words = quote.as_deref().unwrap_or(&story.text);
                    line(format!("{}\n", block_quote(&inert(words))));
                    line(format!(
                        "— {}; from \"{}\" ({} {}, {}; story {})\n",
                        inert(&attribution(story)),
                        inert(story.title.as_str()),
                        story.story_type,
                        story.form,
                        language_label(story),
                        story.id
                    ));
                }
                ResolvedEvidence::Unavailable { reason, .. } => line(format!("*{}*\n", reason.for_readers())),
            }
        }
    }
    line(format!(
        "---\n\nExported from {} on {}. Only what the storytellers allowed for {} is included. \
         Stories withdrawn after this date must not be used.",
        info.archive,
        info.generated_at.format("%Y-%m-%d %H:%M UTC"),
        audience_label(pack.audience)
    ));
    out
}

// ---------------------------------------------------------------------------------------------
// HTML

struct HtmlEvidence {
    shown: bool,
    quote: Option<String>,
    /// Sanitised HTML of a whole story's text.
    story_html: Option<String>,
    title: String,
    attribution: String,
    details: String,
    story_id: String,
    image: Option<String>,
    alt_text: Option<String>,
    note: &'static str,
}

struct HtmlFinding {
    number: usize,
    kind: &'static str,
    statement: String,
    explanation_html: Option<String>,
    backing: String,
    evidence: Vec<HtmlEvidence>,
}

#[derive(Template)]
#[template(path = "export/pack.html")]
struct HtmlExport<'a> {
    css: &'static str,
    archive: &'a str,
    generated: String,
    published: String,
    version: u32,
    title: &'a str,
    question: &'a str,
    audience: &'static str,
    summary_html: Option<String>,
    backing: String,
    findings: Vec<HtmlFinding>,
}

const EXPORT_CSS: &str = include_str!("../../../web/static/export.css");

fn html_finding(
    number: usize,
    finding: &ResolvedFinding,
    media: &dyn Fn(&MediaRef) -> Option<Vec<u8>>,
) -> HtmlFinding {
    HtmlFinding {
        number,
        kind: finding.kind.as_str(),
        statement: finding.statement.to_string(),
        explanation_html: finding.explanation.as_ref().map(|text| markdown::render(text.as_str())),
        backing: backing_line(&finding.backing),
        evidence: finding
            .evidence
            .iter()
            .map(|item| match item {
                ResolvedEvidence::Shown { story, quote, .. } => HtmlEvidence {
                    shown: true,
                    quote: quote.clone(),
                    story_html: quote.is_none().then(|| match story.form {
                        storybank_domain::Form::Text => markdown::render(&story.text),
                        _ => markdown::render_plain(&story.text),
                    }),
                    title: story.title.to_string(),
                    attribution: attribution(story),
                    details: format!("{} {} story, {}", story.story_type, story.form, language_label(story)),
                    story_id: story.id.to_string(),
                    image: story.image.as_ref().and_then(|image| {
                        media(image).map(|bytes| {
                            format!(
                                "data:{};base64,{}",
                                image.mime,
                                base64::engine::general_purpose::STANDARD.encode(bytes)
                            )
                        })
                    }),
                    alt_text: story.alt_text.clone(),
                    note: "",
                },
                ResolvedEvidence::Unavailable { reason, .. } => HtmlEvidence {
                    shown: false,
                    quote: None,
                    story_html: None,
                    title: String::new(),
                    attribution: String::new(),
                    details: String::new(),
                    story_id: String::new(),
                    image: None,
                    alt_text: None,
                    note: reason.for_readers(),
                },
            })
            .collect(),
    }
}

fn html(
    pack: &ResolvedPack,
    info: &ExportInfo,
    media: &dyn Fn(&MediaRef) -> Option<Vec<u8>>,
) -> Result<String, ExportError> {
    let page = HtmlExport {
        css: EXPORT_CSS,
        archive: &info.archive,
        generated: info.generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        published: info.published_at.format("%Y-%m-%d").to_string(),
        version: info.version,
        title: pack.title.as_str(),
        question: pack.question.as_str(),
        audience: audience_label(pack.audience),
        summary_html: pack.summary.as_ref().map(|summary| markdown::render(summary.as_str())),
        backing: backing_line(&pack.backing),
        findings: pack
            .findings
            .iter()
            .enumerate()
            .map(|(at, finding)| html_finding(at + 1, finding, media))
            .collect(),
    };
    Ok(page.render()?)
}

// ---------------------------------------------------------------------------------------------
// The audit trail

/// The audit trail as CSV (one row per entry, newest first as given), with formula-like cells
/// defused. The same file for the admin page's download and `storybank audit --csv`.
pub fn audit_csv(entries: &[storybank_domain::AuditEntry]) -> Result<Vec<u8>, ExportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["seq", "at", "actor", "action", "object", "detail"])?;
    for entry in entries {
        writer.write_record([
            entry.seq.to_string(),
            entry.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            cell(&storybank_domain::AuditEvent::actor_label(entry.action, entry.actor.as_deref())),
            entry.action.as_str().to_owned(),
            cell(entry.object.as_deref().unwrap_or("")),
            cell(&entry.detail),
        ])?;
    }
    writer.into_inner().map_err(|err| ExportError::Csv(err.into_error().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_read_their_names() {
        for (raw, expected) in [
            ("html", Some(Format::Html)),
            ("MD", Some(Format::Markdown)),
            ("markdown", Some(Format::Markdown)),
            ("json", Some(Format::Json)),
            ("csv", Some(Format::Csv)),
            ("pdf", None),
        ] {
            assert_eq!(Format::parse(raw).ok(), expected, "{raw}");
        }
    }

    #[test]
    fn spreadsheet_formulas_are_defused() {
        for (raw, expected) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("plain words", "plain words"),
        ] {
            assert_eq!(cell(raw), expected);
        }
    }

    #[test]
    fn file_names_are_ascii_and_tidy() {
        let info = ExportInfo {
            archive: "A".into(),
            pack_id: PackId::new(),
            version: 3,
            published_at: Utc::now(),
            generated_at: Utc::now(),
        };
        let title = |raw: &str| storybank_domain::Title::parse(raw).unwrap();
        for (raw, expected) in [
            ("Getting to the clinic", "getting-to-the-clinic-v3.json"),
            ("Kävijät & palvelut", "k-vij-t-palvelut-v3.json"),
            ("¿¿??", "insight-pack-v3.json"),
        ] {
            let pack = ResolvedPack {
                title: title(raw),
                question: title("Q"),
                audience: Audience::Commissioner,
                summary: None,
                findings: Vec::new(),
                backing: Backing::default(),
            };
            assert_eq!(info.file_name(&pack, Format::Json), expected, "{raw}");
        }
    }

    #[test]
    fn markdown_export_keeps_raw_html_inert() {
        assert_eq!(
            inert("<img src=x onerror=alert(1)> & **bold**"),
            "&lt;img src=x onerror=alert(1)&gt; &amp; **bold**"
        );
    }

    #[test]
    fn block_quotes_keep_every_line() {
        assert_eq!(block_quote("one\n\ntwo"), "> one\n>\n> two");
    }

    #[test]
    fn the_audit_csv_names_the_command_line_and_defuses_formulas() {
        let entry = storybank_domain::AuditEntry {
            seq: 7,
            at: "2026-01-02T03:04:05Z".parse().unwrap(),
            actor: None,
            action: storybank_domain::AuditAction::PackExported,
            object: Some("=HYPERLINK(1)".into()),
            detail: "version 1 as csv".into(),
        };
        let text = String::from_utf8(audit_csv(&[entry]).unwrap()).unwrap();
        assert_eq!(
            text,
            "seq,at,actor,action,object,detail\n7,2026-01-02T03:04:05Z,(command line),pack_exported,'=HYPERLINK(1),version 1 as csv\n"
        );
    }
}
