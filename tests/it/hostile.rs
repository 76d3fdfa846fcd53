//! Hostile input, as a specification: every file of `tests/data/hostile/` (and the cases too big
//! to commit, made at run time) with what Storybank must do with it. `tests/data/hostile/README.md`
//! explains each attack; this file is the same table, checked.
//!
//! Two outcomes only: a file is *stored* (its payload is legitimate text, shown escaped; or an
//! image that is decoded and re-encoded so no foreign bytes survive), or it is *refused* with an
//! error that says why and nothing of it is stored.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{test as actix_test, web};
use storybank_archive::{Archive, Config, IngestReport, NoProgress, StoryOutcome};
use storybank_domain::{MediaRef, Password, Role, Roles, Status, Story, StoryContent, StoryId, UserName};
use storybank_server::{AppState, build_app};

use crate::support::{TestArchive, data_dir};

/// What must happen to one hostile input.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Stored as a new story.
    Stored,
    /// Refused: the error contains every fragment, and the archive's story count does not change.
    Refused(&'static [&'static str]),
}

use Expect::{Refused, Stored};

/// The committed corpus: file in `tests/data/hostile/`, the attack, and what must happen.
const CORPUS: &[(&str, &str, Expect)] = &[
    // Cross-site scripting: legitimate text, stored, rendered inert (see `xss_renders_inert`).
    ("xss-text.story.json", "XSS in every text field and the Markdown body", Stored),
    ("xss-photo.story.json", "XSS in a photo's caption, alt text and fields", Stored),
    ("xss-transcript.story.json", "XSS in transcript speakers and cues", Stored),
    (
        "xss-tag.story.json",
        "a tag that is a script",
        Refused(&[r#"line 5: "tags": tag "<script>alert(1)</script>" is not a tag"#]),
    ),
    // Path traversal: the manifest's `file` may not leave the manifest's folder.
    (
        "traversal-dotdot.story.json",
        "../ out of the folder",
        Refused(&[r#"line 4: "file": "../../../../etc/passwd" points outside the manifest's folder"#]),
    ),
    (
        "traversal-absolute.story.json",
        "an absolute path",
        Refused(&[r#"line 4: "file": "/etc/passwd" points outside the manifest's folder"#]),
    ),
    (
        "traversal-inner-dotdot.story.json",
        "down one folder, up two",
        Refused(&[r#"line 4: "file": "sub/../../outside.md" points outside the manifest's folder"#]),
    ),
    (
        "traversal-backslash.story.json",
        "Windows separators",
        Refused(&[r#"line 4: "file": "..\\..\\windows\\win.ini" points outside the manifest's folder"#]),
    ),
    (
        "traversal-percent-encoded.story.json",
        "percent-encoded dots are a plain (missing) name, not decoded",
        Refused(&[r#""file": %2e%2e/%2e%2e/etc/passwd: "#, "check the file name"]),
    ),
    // Decompression bombs: refused from the header, before any pixel is decoded.
    (
        "bomb-60000x60000.png",
        "PNG declaring 60000x60000",
        Refused(&[
            "the image is 60000x60000 pixels, over the limit of 12000 pixels a side and 60 megapixels",
        ]),
    ),
    (
        "bomb-12000x5001.png",
        "PNG within the side limit, over the pixel count",
        Refused(&["the image is 12000x5001 pixels, over the limit of 12000 pixels a side and 60 megapixels"]),
    ),
    (
        "bomb-65000x65000.jpg",
        "JPEG declaring 65000x65000",
        Refused(&[
            "the image is 65000x65000 pixels, over the limit of 12000 pixels a side and 60 megapixels",
        ]),
    ),
    // Polyglots and disguised files.
    ("polyglot.jpg", "JPEG with a script in a COM segment, a script and a ZIP after EOI", Stored),
    (
        "html-as-photo.jpg",
        "an HTML page named .jpg",
        Refused(&["the file is an HTML or XML document, not a JPEG, PNG or WebP image"]),
    ),
    (
        "png-with-html-idat.png",
        "PNG header with an HTML page as image data",
        Refused(&["the image cannot be decoded ("]),
    ),
    // Invalid text.
    (
        "invalid-utf8.md",
        "overlong UTF-8 in a written story",
        Refused(&["line 4: the text is not valid UTF-8; save the file as UTF-8 and ingest it again"]),
    ),
    (
        "invalid-utf8.vtt",
        "Latin-1 in a WebVTT transcript",
        Refused(&["line 4: the text is not valid UTF-8; save the file as UTF-8 and ingest it again"]),
    ),
    (
        "invalid-utf8.story.json",
        "a UTF-8-encoded surrogate in a manifest",
        Refused(&["line 2: the text is not valid UTF-8; save the file as UTF-8 and ingest it again"]),
    ),
    (
        "lone-surrogate.story.json",
        "a lone surrogate JSON escape",
        Refused(&["line 2: invalid JSON: lone leading surrogate in hex escape"]),
    ),
    (
        "deep-nesting.story.json",
        "10,000 nested arrays",
        Refused(&["line 5: invalid JSON: recursion limit exceeded"]),
    ),
    (
        "too-many-tags.story.json",
        "5,000 tags",
        Refused(&[r#""tags": a story may have at most 50 tags, this one has 5000"#]),
    ),
];

/// Files in the folder that are not cases of their own: the content files manifests name, and the
/// corpus's description and generator (kept out of folder walks by `.storybankignore`).
const NOT_CASES: [&str; 5] =
    ["xss-photo.png", "xss-transcript.vtt", "README.md", "make.py", ".storybankignore"];

fn hostile(name: &str) -> PathBuf {
    data_dir("hostile").join(name)
}

/// Ingests one file on a fresh archive and checks it against `expect`; a mismatch is returned as
/// text so that one run reports every case that is wrong.
fn check(name: &str, path: &Path, expect: Expect) -> Result<(), String> {
    let test = TestArchive::new();
    let before = test.archive.count_stories().unwrap();
    let report = test.ingest(path);
    let after = test.archive.count_stories().unwrap();
    let [item] = report.items.as_slice() else {
        return Err(format!("{name}: expected one item, got {:?}", report.items));
    };
    match (expect, &item.outcome) {
        (Stored, StoryOutcome::Ingested { .. }) if after == before + 1 => Ok(()),
        (Refused(fragments), StoryOutcome::Failed { error }) => {
            let missing: Vec<_> = fragments.iter().filter(|fragment| !error.contains(*fragment)).collect();
            if !missing.is_empty() {
                return Err(format!("{name}: error {error:?} lacks {missing:?}"));
            }
            if after != before || report.ingested() != 0 {
                return Err(format!("{name}: refused, but the story count went {before} -> {after}"));
            }
            Ok(())
        }
        (expect, outcome) => {
            Err(format!("{name}: expected {expect:?}, got {outcome:?} ({before} -> {after})"))
        }
    }
}

#[test]
fn every_hostile_file_meets_its_expectation() {
    let mismatches: Vec<String> = CORPUS
        .iter()
        .filter_map(|(name, _attack, expect)| check(name, &hostile(name), *expect).err())
        .collect();
    assert!(mismatches.is_empty(), "\n{}", mismatches.join("\n"));
}

#[test]
fn every_file_of_the_corpus_has_an_expectation() {
    let mut on_disk: Vec<String> = fs::read_dir(data_dir("hostile"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !NOT_CASES.contains(&name.as_str()))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CORPUS.iter().map(|(name, ..)| (*name).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "add new files to CORPUS (and README.md), or remove stale entries");
    for (name, ..) in CORPUS {
        let size = fs::metadata(hostile(name)).unwrap().len();
        assert!(size < 200 * 1024, "{name} is {size} bytes: generate big cases at run time instead");
    }
}

/// The whole folder in one batch: the same outcomes, and one hostile file never stops the others.
#[test]
fn the_whole_corpus_in_one_batch() {
    let test = TestArchive::new();
    let report = test.ingest(&data_dir("hostile"));
    let got: BTreeMap<String, &StoryOutcome> = report
        .items
        .iter()
        .map(|item| {
            (Path::new(&item.source).file_name().unwrap().to_string_lossy().into_owned(), &item.outcome)
        })
        .collect();
    assert_eq!(
        got.keys().cloned().collect::<Vec<_>>(),
        {
            let mut names: Vec<String> = CORPUS.iter().map(|(name, ..)| (*name).to_owned()).collect();
            names.sort();
            names
        },
        "one item per case; README.md and make.py are ignored, content files are not stories"
    );
    for (name, _attack, expect) in CORPUS {
        match (expect, got[*name]) {
            (Stored, StoryOutcome::Ingested { .. }) => {}
            (Refused(fragments), StoryOutcome::Failed { error }) => {
                for fragment in *fragments {
                    assert!(error.contains(fragment), "{name}: {error:?} lacks {fragment:?}");
                }
            }
            (expect, outcome) => panic!("{name}: expected {expect:?}, got {outcome:?}"),
        }
    }
    let stored = CORPUS.iter().filter(|(.., expect)| matches!(expect, Stored)).count();
    assert_eq!(report.ingested(), stored);
    assert_eq!(report.failed(), CORPUS.len() - stored);
    assert_eq!(test.archive.count_stories().unwrap(), stored as u64);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
}

/// Cases too big to commit, or that need a symlink, made in a temporary folder.
#[test]
fn generated_cases_meet_their_expectations() {
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    // Outlives the checks: the symlink case points into it.
    #[cfg(unix)]
    let outside = tempfile::tempdir().unwrap();
    let mut cases: Vec<(&str, PathBuf, Expect)> = Vec::new();

    // A 10 MiB transcript on a single line. `max_text_bytes` is 4 MiB, and the file is refused
    // by its size before it is read (there is no separate cue-length limit).
    let huge = dir.join("huge-single-line.vtt");
    fs::write(&huge, single_line("WEBVTT ", 10 * 1024 * 1024)).unwrap();
    cases.push((
        "huge-single-line.vtt",
        huge,
        Refused(&["the file is 10485760 bytes, over the limit of 4194304 bytes for this kind of file"]),
    ));

    // Just under the limit, one line is one (very long) cue: stored. The limit is what refuses
    // the 10 MiB file, not the shape of its line.
    let long = dir.join("long-line");
    fs::create_dir(&long).unwrap();
    fs::write(long.join("long-line.txt"), single_line("Ana: ", 4_000_000)).unwrap();
    fs::write(
        long.join("long-line.story.json"),
        r#"{"title": "One long line", "form": "transcript", "file": "long-line.txt", "language": "en"}"#,
    )
    .unwrap();
    cases.push(("long-line.story.json", long.join("long-line.story.json"), Stored));

    // A symlink out of the manifest's folder: the name is innocent, the canonical target is not.
    #[cfg(unix)]
    {
        let secret = outside.path().join("secret.md");
        fs::write(&secret, "# Secret\n\nNot for the archive.").unwrap();
        let inside = dir.join("symlink");
        fs::create_dir(&inside).unwrap();
        std::os::unix::fs::symlink(&secret, inside.join("innocent.md")).unwrap();
        fs::write(
            inside.join("escape-by-symlink.story.json"),
            r#"{"title": "Innocent", "form": "text", "file": "innocent.md"}"#,
        )
        .unwrap();
        cases.push((
            "escape-by-symlink.story.json",
            inside.join("escape-by-symlink.story.json"),
            Refused(&[r#""file": "innocent.md" points outside the manifest's folder"#]),
        ));
    }

    let mismatches: Vec<String> =
        cases.iter().filter_map(|(name, path, expect)| check(name, path, *expect).err()).collect();
    assert!(mismatches.is_empty(), "\n{}", mismatches.join("\n"));
}

/// `prefix` then words, to exactly `len` bytes, without a newline.
fn single_line(prefix: &str, len: usize) -> Vec<u8> {
    let mut line = prefix.as_bytes().to_vec();
    let words = b"waiting for the bus in the rain ";
    while line.len() < len {
        line.extend_from_slice(words);
    }
    line.truncate(len);
    assert!(!line.contains(&b'\n'));
    line
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn stored_id(report: &IngestReport, source_suffix: &str) -> StoryId {
    let item = report.items.iter().find(|item| item.source.ends_with(source_suffix)).expect(source_suffix);
    match &item.outcome {
        StoryOutcome::Ingested { id, .. } => *id,
        other => panic!("{source_suffix}: {other:?}"),
    }
}

/// A stored rendition is a fresh JPEG: nothing of the upload's extra bytes survives.
fn assert_clean_rendition(archive: &Archive, rendition: &MediaRef, context: &str) {
    let bytes = fs::read(archive.media_path(rendition).unwrap()).unwrap();
    assert!(
        bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9]),
        "{context}: a JPEG, ending at EOI"
    );
    for needle in [&b"<script"[..], b"alert(", b"PK\x03\x04", b"evil.html"] {
        assert!(
            !contains(&bytes, needle),
            "{context}: stored rendition holds {:?}",
            String::from_utf8_lossy(needle)
        );
    }
}

#[test]
fn images_are_re_encoded_so_no_payload_survives() {
    let original = fs::read(hostile("polyglot.jpg")).unwrap();
    assert!(
        contains(&original, b"<script") && contains(&original, b"PK\x03\x04"),
        "the fixture is a polyglot"
    );

    for name in ["polyglot.jpg", "xss-photo.story.json"] {
        let test = TestArchive::new();
        let report = test.ingest(&hostile(name));
        let story = test.archive.story(stored_id(&report, name)).unwrap();
        let StoryContent::Image { display, thumbnail, .. } = &story.content else {
            panic!("{name}: a photo")
        };
        assert_clean_rendition(&test.archive, display, name);
        assert_clean_rendition(&test.archive, thumbnail, name);
    }
}

// --- Pages: stored payloads render inert --------------------------------------------------------

const PASSWORD: &str = "a long test password";

/// The app's own script tag, the only `<script` a page may have (see `web/templates/base.html`).
const APP_SCRIPT: &str = "<script src=\"/static/app.js\" defer>";

#[derive(Clone, Debug)]
struct Login {
    token: String,
    csrf: String,
}

/// An archive in a temporary folder served in process, with one account per role used here.
struct Site {
    _dir: tempfile::TempDir,
    state: web::Data<AppState>,
    logins: BTreeMap<&'static str, Login>,
}

fn serve(ingest: &[PathBuf]) -> (Site, IngestReport) {
    let dir = tempfile::tempdir().unwrap();
    let archive = Arc::new(Archive::open(Config::new(dir.path())).unwrap());
    let report = if ingest.is_empty() {
        IngestReport::default()
    } else {
        archive.ingest_paths(ingest, &NoProgress).unwrap()
    };
    let accounts = archive.accounts();
    let password = Password::parse(PASSWORD).unwrap();
    let mut logins = BTreeMap::new();
    for (name, role) in [("rita", Role::Reporter), ("carl", Role::Curator), ("cora", Role::Commissioner)] {
        accounts.add_user(UserName::parse(name).unwrap(), Roles::new([role]).unwrap(), &password).unwrap();
        let started = accounts.log_in(name, PASSWORD).unwrap().unwrap();
        logins.insert(name, Login { token: started.token, csrf: started.session.csrf });
    }
    let state = web::Data::new(AppState::new(archive, false, "Storybank test"));
    (Site { _dir: dir, state, logins }, report)
}

fn get(site: &Site, who: &str, path: &str) -> actix_http::Request {
    actix_test::TestRequest::get()
        .uri(path)
        .peer_addr("10.1.2.3:4567".parse().unwrap())
        .cookie(actix_web::cookie::Cookie::new("sb_session", site.logins[who].token.clone()))
        .to_request()
}

async fn body_text<B: MessageBody>(response: ServiceResponse<B>) -> String {
    let bytes = actix_web::body::to_bytes(response.into_body()).await.map_err(Into::into);
    let bytes: Result<_, Box<dyn std::error::Error>> = bytes;
    String::from_utf8(bytes.unwrap().to_vec()).unwrap()
}

/// No live markup from story text: the only `<script` is the app's own, and inside real tags
/// (outside quoted attribute values, where escaped text is harmless) there is no event handler,
/// `javascript:` or `data:` URL, `<svg>` or `<iframe>`.
///
/// A plain `!page.contains("onerror=")` would be wrong: the escaped payload
/// `&lt;img src=x onerror=alert(1)&gt;` is shown as text, and must be, so "onerror=" and
/// "javascript:" do appear in a safe page. What matters is that they never appear inside a tag.
fn assert_inert(page: &str, context: &str) {
    let lower = page.to_lowercase();
    for (at, _) in lower.match_indices("<script") {
        assert!(
            lower[at..].starts_with(APP_SCRIPT),
            "{context}: a script that is not the app's: {:.80}",
            &lower[at..]
        );
    }
    let app_script_tag = &APP_SCRIPT[1..APP_SCRIPT.len() - 1];
    for tag in lower.split('<').skip(1).map(|rest| rest.split('>').next().unwrap_or_default()) {
        if tag == app_script_tag || tag == "/script" {
            continue;
        }
        let unquoted: String = tag.split('"').step_by(2).collect();
        for bad in ["script", "onerror", "onload", "onmouseover", "javascript:", "svg", "iframe"] {
            assert!(!unquoted.contains(bad), "{context}: <{tag}>");
        }
        // A URL attribute may not start with a script or data scheme (a form field's value may
        // hold the words "javascript:" as text: it is not a URL).
        for attribute in ["href", "src", "action", "formaction", "xlink:href"] {
            for scheme in ["javascript:", "data:"] {
                for quote in ['"', '\''] {
                    let bad = format!(" {attribute}={quote}{scheme}");
                    assert!(!tag.contains(&bad), "{context}: <{tag}>");
                }
            }
        }
    }
}

#[actix_web::test]
async fn xss_is_stored_verbatim_and_renders_inert() {
    let manifests = ["xss-text.story.json", "xss-photo.story.json", "xss-transcript.story.json"];
    let (site, report) = serve(&manifests.map(hostile));
    assert_eq!(report.ingested(), 3, "{:?}", report.items);
    let archive = Arc::clone(&site.state.archive);
    let ids = manifests.map(|name| stored_id(&report, name));

    // Stored as given: the payloads are the storyteller's words, not something to clean up.
    let text: Story = archive.story(ids[0]).unwrap();
    assert_eq!(text.details.title.as_str(), "<script>alert(1)</script> Hostile title");
    assert_eq!(text.details.place.as_ref().unwrap().as_str(), "<img src=x onerror=alert(1)>");
    assert_eq!(text.details.reporter.as_ref().unwrap().as_str(), "\"><script>alert(1)</script>");
    assert_eq!(text.details.storyteller.as_ref().unwrap().as_str(), "<svg onload=alert(1)>");
    assert!(text.details.prompt.as_ref().unwrap().as_str().contains("[link](javascript:alert(1))"));
    assert_eq!(text.details.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>(), ["hostile-input", "xss"]);
    let StoryContent::Text { body } = &text.content else { panic!("a written story") };
    assert!(
        body.contains("<img src=x onerror=alert(1)>") && body.contains("[click me](javascript:alert(1))")
    );

    let photo = archive.story(ids[1]).unwrap();
    let StoryContent::Image { caption, alt_text, .. } = &photo.content else { panic!("a photo story") };
    assert!(caption.contains("<script>alert(1)</script>"));
    assert!(alt_text.as_ref().unwrap().as_str().starts_with("\" onerror=\"alert(1)\""));

    let transcript = archive.story(ids[2]).unwrap();
    let StoryContent::Transcript { cues } = &transcript.content else { panic!("a transcript") };
    let rows: Vec<(Option<&str>, &str)> =
        cues.iter().map(|cue| (cue.speaker().map(|s| s.as_str()), cue.text())).collect();
    assert_eq!(
        rows,
        [
            // WebVTT entities are decoded: the stored text holds real angle brackets.
            (Some("<img src=x onerror=alert(1)>"), "I said <script>alert(1)</script> out loud in the rain."),
            // Real WebVTT tags are dropped at ingest.
            (Some("Ana"), "The rain came in; alert(2) was just a word to me."),
            (Some("Bob"), "<svg onload=alert(1)> and javascript:alert(1) are only text here."),
        ]
    );

    // Every page that shows them, for a curator; then published, for a commissioner.
    let app = actix_test::init_service(build_app(site.state.clone())).await;
    let mut pages: Vec<(&str, String)> = vec![("carl", "/review".into()), ("carl", "/search?q=rain".into())];
    pages.extend(ids.iter().map(|id| ("carl", format!("/stories/{id}"))));
    for (who, path) in &pages {
        let response = app.call(get(&site, who, path)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{who} {path}");
        let page = body_text(response).await;
        assert_inert(&page, &format!("{who} {path}"));
    }
    // The payload is shown (escaped), not dropped: the title as text.
    let story_page =
        body_text(app.call(get(&site, "carl", &format!("/stories/{}", ids[0]))).await.unwrap()).await;
    assert!(story_page.contains("&lt;script&gt;alert(1)"), "the title is shown escaped");

    for id in ids {
        archive.set_status(id, Status::Reviewed).unwrap();
        archive.set_status(id, Status::Published).unwrap();
    }
    let mut published: Vec<String> = ids.iter().map(|id| format!("/stories/{id}")).collect();
    published.push("/search?q=rain".into());
    for path in &published {
        let response = app.call(get(&site, "cora", path)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "cora {path}");
        assert_inert(&body_text(response).await, &format!("cora {path}"));
    }

    // The photo itself is served as a JPEG that browsers may not sniff as anything else.
    let response = app.call(get(&site, "carl", &format!("/media/{}/display", ids[1]))).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("content-type").unwrap(), "image/jpeg");
    assert_eq!(response.headers().get("x-content-type-options").unwrap(), "nosniff");
}

// --- The web upload form: the same files, the same refusals -------------------------------------

fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "----storybank-hostile-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    let (name, filename, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload(
    site: &Site,
    kind: &str,
    fields: &[(&str, &str)],
    file: (&str, &str, &[u8]),
) -> actix_http::Request {
    let login = &site.logins["rita"];
    let mut all = fields.to_vec();
    all.push(("csrf", &login.csrf));
    let (content_type, body) = multipart(&all, file);
    actix_test::TestRequest::post()
        .uri(&format!("/submit/{kind}"))
        .peer_addr("10.1.2.3:4567".parse().unwrap())
        .cookie(actix_web::cookie::Cookie::new("sb_session", login.token.clone()))
        .insert_header(("content-type", content_type))
        .set_payload(body)
        .to_request()
}

#[actix_web::test]
async fn uploads_refuse_the_same_hostile_files() {
    let (site, _) = serve(&[]);
    let app = actix_test::init_service(build_app(site.state.clone())).await;
    let archive = Arc::clone(&site.state.archive);

    // Form, its file field, the corpus file, and the words of the error shown next to the field
    // (the ingest message, capitalised).
    let refused = [
        ("photo", "photo", "bomb-60000x60000.png", "The image is 60000x60000 pixels, over the limit"),
        ("photo", "photo", "html-as-photo.jpg", "The file is an HTML or XML document, not a JPEG"),
        ("transcript", "transcript", "invalid-utf8.vtt", "not valid UTF-8"),
    ];
    for (kind, field, name, message) in refused {
        let bytes = fs::read(hostile(name)).unwrap();
        let fields = [("title", "Hostile upload"), ("caption", "Words of the storyteller.")];
        let fields = if kind == "photo" { &fields[..] } else { &fields[..1] };
        let response = app.call(upload(&site, kind, fields, (field, name, &bytes))).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let page = body_text(response).await;
        let error = page
            .split(&format!("id=\"{field}-error\">"))
            .nth(1)
            .unwrap_or_else(|| panic!("{name}: the error is shown by {field}: {page:.400}"));
        assert!(error.split("</p>").next().unwrap().contains(message), "{name}: {message}: {error:.300}");
        assert_inert(&page, name);
        assert_eq!(archive.count_stories().unwrap(), 0, "{name}: nothing stored");
    }

    // The polyglot is a real photo: stored, and what is stored is a fresh JPEG.
    let bytes = fs::read(hostile("polyglot.jpg")).unwrap();
    let fields = [("title", "A polyglot"), ("caption", "Shelves at the food bank.")];
    let response =
        app.call(upload(&site, "photo", &fields, ("photo", "polyglot.jpg", &bytes))).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers().get("location").unwrap().to_str().unwrap().to_owned();
    let id = StoryId::parse(location.trim_start_matches("/my/stories/").split('?').next().unwrap()).unwrap();
    let story = archive.story(id).unwrap();
    let StoryContent::Image { display, thumbnail, .. } = &story.content else { panic!("a photo story") };
    assert_clean_rendition(&archive, display, "uploaded polyglot display");
    assert_clean_rendition(&archive, thumbnail, "uploaded polyglot thumbnail");
    assert_eq!(archive.count_stories().unwrap(), 1);
}
