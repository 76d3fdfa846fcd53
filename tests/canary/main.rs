//! The canary test: a story erased is gone from everywhere it lived.
//!
//! Three stories carry a unique word (the canary) in a text, a transcript and a photo caption.
//! They are searched, quoted, put in a published pack and exported; then erased. Afterwards the
//! canary must be in no byte of any file under the data directory (SQLite database and WAL, media,
//! index), in no term of any index segment (read through tantivy: compressed term blocks hide
//! terms from a byte search), in no segment as a deleted document, and in no search result, page,
//! API answer, log line or new export. It is its own test binary so that it can capture every log
//! line of the process.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{test, web};
use storybank_archive::{Archive, Config, NoProgress, QuoteSelection, SearchRequest};
use storybank_domain::{
    Audience, Consent, ConsentScope, CurationNotes, Evidence, FindingKind, IdentifyAs, Note, Password, Role,
    Roles, Status, StoryId, Title, User, UserName,
};
use storybank_export::{ExportInfo, Format};
use storybank_server::{AppState, build_app};

/// The canary, as written in the stories (mixed case: the index lowercases it).
const CANARY: &str = "Zqxcanary4417";
/// What to look for: lowercase, and short enough to also catch stemmed or folded forms.
const NEEDLE: &str = "zqxcanary";

/// Every log line the process writes.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("the log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn request(query: &str, audience: Audience) -> SearchRequest {
    let mut request = SearchRequest::new(query, audience, chrono::Utc::now().date_naive());
    request.limit = 1000;
    request
}

fn contains_canary(bytes: &[u8]) -> bool {
    let lower = bytes.to_ascii_lowercase();
    lower.windows(NEEDLE.len()).any(|window| window == NEEDLE.as_bytes())
}

/// Files under `dir` (recursively) whose bytes hold the canary.
fn files_with_canary(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("a readable folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if contains_canary(&std::fs::read(&path).expect("a readable file")) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("a writable staging folder");
}

/// A photo nobody else has (so its media file is the canary story's own).
fn unique_png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 201]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).expect("a PNG");
    bytes.into_inner()
}

/// Three canary stories in a staging folder.
fn stage(folder: &Path) {
    let common = r#""language": "en", "story_type": "written", "place": "12 Canal Street, Leeds",
        "storyteller": "Mary Smith", "recorded_on": "2025-05-01",
        "consent": {"scope": "public", "identify_as": "full_name", "given_on": "2025-05-01"},
        "themes": ["health"], "tags": ["canary"]"#;
    write(
        &folder.join("text.story.json"),
        &format!(
            r#"{{"title": "The {CANARY} letter", "form": "text", {common},
            "body": "I told them about {CANARY} and the waiting room.\n\nNobody called back."}}"#
        ),
    );
    write(
        &folder.join("talk.vtt"),
        &format!(
            "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Mary>We waited for {CANARY} all day.\n\n\
             00:00:05.000 --> 00:00:07.000\n<v Reporter>What happened then?\n"
        ),
    );
    write(
        &folder.join("talk.story.json"),
        &format!(r#"{{"title": "Waiting all day", "form": "transcript", "file": "talk.vtt", {common}}}"#)
            .replace(r#""story_type": "written""#, r#""story_type": "dialogue""#),
    );
    std::fs::write(folder.join("door.png"), unique_png()).expect("a writable staging folder");
    write(
        &folder.join("door.story.json"),
        &format!(
            r#"{{"title": "The door", "form": "image", "file": "door.png", {common},
            "caption": "The door of {CANARY} house.", "alt_text": "A door with a {CANARY} sign."}}"#
        )
        .replace(r#""story_type": "written""#, r#""story_type": "photo""#),
    );
}

async fn body<B: MessageBody>(response: ServiceResponse<B>) -> (StatusCode, String) {
    let status = response.status();
    let bytes = actix_web::body::to_bytes(response.into_body()).await.map_err(Into::into);
    let bytes: Result<_, Box<dyn std::error::Error>> = bytes;
    (status, String::from_utf8_lossy(&bytes.expect("a body")).into_owned())
}

struct People {
    curator: User,
    commissioner: User,
    curator_cookie: String,
    commissioner_cookie: String,
    token: String,
}

fn people(archive: &Archive) -> People {
    let accounts = archive.accounts();
    let password = Password::parse("a long test password").unwrap();
    let add = |name: &str, role: Role| {
        accounts.add_user(UserName::parse(name).unwrap(), Roles::new([role]).unwrap(), &password).unwrap()
    };
    let curator = add("cara", Role::Curator);
    let commissioner = add("cole", Role::Commissioner);
    let curator_cookie = accounts.log_in("cara", "a long test password").unwrap().unwrap().token;
    let commissioner_cookie = accounts.log_in("cole", "a long test password").unwrap().unwrap().token;
    let (_, token) = accounts.create_token(&curator.name, "canary").unwrap();
    People { curator, commissioner, curator_cookie, commissioner_cookie, token }
}

fn exports(archive: &Archive, who: &User, pack: storybank_domain::PackId) -> Vec<(Format, Vec<u8>)> {
    Format::ALL
        .into_iter()
        .map(|format| {
            let (resolved, version) = archive.export_pack_for(who, pack, None, format.extension()).unwrap();
            let info = ExportInfo {
                archive: "Canary archive".into(),
                generated_at: chrono::Utc::now(),
                pack_id: pack,
                version: version.version,
                published_at: version.published_at,
            };
            let bytes =
                storybank_export::export(format, &resolved, &info, &|media| archive.media(media).ok())
                    .unwrap();
            (format, bytes)
        })
        .collect()
}

#[actix_web::test]
async fn an_erased_story_is_gone_from_everywhere() {
    let logs = Logs::default();
    let writer = logs.clone();
    // The finest level an operator could ask for, through the binary's own filter.
    tracing_subscriber::fmt()
        .with_env_filter(storybank_server::log_filter("trace"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let data = tempfile::tempdir().unwrap();
    let staging = tempfile::tempdir().unwrap();
    stage(staging.path());
    let archive = Arc::new(Archive::open(Config::new(data.path())).unwrap());
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stories-sample");
    archive.ingest_paths(&[sample], &NoProgress).unwrap();
    let report = archive.ingest_paths(&[staging.path().to_owned()], &NoProgress).unwrap();
    assert_eq!(report.ingested(), 3, "{report:?}");
    let people = people(&archive);
    let curator = &people.curator;

    // Find them, curate them, publish them, quote them and put them in a published pack.
    let found = archive.search(&request(CANARY, Audience::Curator)).unwrap();
    assert_eq!(found.total, 3);
    let ids: Vec<StoryId> = found.hits.iter().map(|hit| hit.id).collect();
    let pack = archive
        .create_pack(
            curator,
            Title::parse("Waiting").unwrap(),
            Title::parse("Why wait?").unwrap(),
            Audience::Commissioner,
        )
        .unwrap();
    let finding = archive
        .edit_pack(curator, pack, |pack| {
            pack.add_finding(FindingKind::Barrier, Title::parse("Nobody calls back").unwrap(), None)
        })
        .unwrap();
    for &id in &ids {
        let story = archive.story(id).unwrap();
        let consent =
            Consent::new(ConsentScope::Public, IdentifyAs::FullName, "2025-05-01".parse().unwrap(), None)
                .unwrap();
        archive.set_consent(curator, id, Some(consent)).unwrap();
        archive
            .set_notes(
                curator,
                id,
                CurationNotes {
                    key_message: Note::parse(&format!("Key message about {CANARY}")).unwrap(),
                    key_learning: None,
                },
            )
            .unwrap();
        for status in [Status::Reviewed, Status::Published] {
            archive.change_status(curator, id, status).unwrap();
        }
        let evidence = match story.content {
            storybank_domain::StoryContent::Text { .. } => {
                let quote = archive
                    .add_quote(
                        curator,
                        id,
                        QuoteSelection::Passage { text: &format!("about {CANARY}"), occurrence: None },
                        vec![],
                    )
                    .unwrap();
                Evidence::Quote { story: id, quote: quote.id }
            }
            storybank_domain::StoryContent::Transcript { .. } => {
                let quote = archive
                    .add_quote(curator, id, QuoteSelection::Cues { first: 0, last: 0 }, vec![])
                    .unwrap();
                Evidence::Quote { story: id, quote: quote.id }
            }
            storybank_domain::StoryContent::Image { .. } => Evidence::Story { story: id },
        };
        archive.add_evidence(curator, pack, finding, evidence).unwrap();
    }
    archive.publish_pack(curator, pack).unwrap();
    // The checks below can fail: before erasure the canary is in exports, pages, files and terms.
    let before = exports(&archive, &people.commissioner, pack);
    assert!(
        before.iter().all(|(_, bytes)| contains_canary(bytes)),
        "every export shows the canary before erasure"
    );
    assert!(!files_with_canary(data.path()).is_empty());
    assert!(!archive.index_trace(NEEDLE, ids[0]).unwrap().terms.is_empty());

    let app =
        test::init_service(build_app(web::Data::new(AppState::new(Arc::clone(&archive), false, "Canary"))))
            .await;
    let get = |path: String, cookie: Option<&str>, bearer: Option<&str>| {
        let mut request = test::TestRequest::get().uri(&path).peer_addr("10.9.8.7:1234".parse().unwrap());
        if let Some(cookie) = cookie {
            request = request.cookie(actix_web::cookie::Cookie::new("sb_session", cookie.to_owned()));
        }
        if let Some(token) = bearer {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        request.to_request()
    };
    let (status, page) = body(
        app.call(get(format!("/stories/{}", ids[0]), Some(&people.curator_cookie), None)).await.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(contains_canary(page.as_bytes()));

    // Log in through the log-in page, once with a wrong password: none of the passwords, the
    // session token or the form's tokens may reach a log line (checked at the end).
    let form = app.call(test::TestRequest::get().uri("/login").to_request()).await.unwrap();
    let login_cookie = form.response().cookies().find(|c| c.name() == "sb_login").unwrap().into_owned();
    let (_, login_page) = body(form).await;
    let login_csrf =
        login_page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let mut secrets = vec![login_csrf.clone(), login_cookie.value().to_owned(), WRONG_PASSWORD.to_owned()];
    for (password, status) in
        [(WRONG_PASSWORD, StatusCode::UNAUTHORIZED), ("a long test password", StatusCode::SEE_OTHER)]
    {
        let attempt = test::TestRequest::post()
            .uri("/login")
            .peer_addr("10.9.8.6:1234".parse().unwrap())
            .cookie(login_cookie.clone())
            .set_form([("csrf", login_csrf.as_str()), ("username", "cara"), ("password", password)])
            .to_request();
        let response = app.call(attempt).await.unwrap();
        assert_eq!(response.status(), status);
        if let Some(session) = response.response().cookies().find(|c| c.name() == "sb_session") {
            secrets.push(session.value().to_owned());
        }
    }
    assert_eq!(secrets.len(), 4, "a session was started");
    secrets.extend([people.curator_cookie.clone(), people.token.clone()]);

    // Erase them: one through the web page, the others through the archive.
    let csrf = archive.accounts().session(&people.curator_cookie).unwrap().unwrap().csrf;
    let erase = test::TestRequest::post()
        .uri(&format!("/stories/{}/erase", ids[0]))
        .peer_addr("10.9.8.7:1234".parse().unwrap())
        .cookie(actix_web::cookie::Cookie::new("sb_session", people.curator_cookie.clone()))
        .set_form([("csrf", csrf.as_str()), ("confirm", "erase")])
        .to_request();
    let response = app.call(erase).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    for &id in &ids[1..] {
        let report = archive.erase(Some(curator), id).unwrap();
        assert!(report.wal_emptied);
    }

    // Every byte of every file under the data directory.
    assert_eq!(files_with_canary(data.path()), Vec::<String>::new());
    // Every term of every segment, read through tantivy; no segment holds the stories.
    for &id in &ids {
        let trace = archive.index_trace(NEEDLE, id).unwrap();
        assert_eq!(trace.terms, Vec::<String>::new());
        assert!(!trace.holds_story, "a segment still holds {id}");
        assert_eq!(trace.deleted_documents, 0, "segments still carry deleted documents");
    }
    // Search, for every audience, by word and by browsing.
    for audience in [Audience::Curator, Audience::Commissioner, Audience::Public] {
        let by_word = archive.search(&request(CANARY, audience)).unwrap();
        assert_eq!(by_word.total, 0, "{audience}");
        let browse = archive.search(&request("", audience)).unwrap();
        assert!(browse.hits.iter().all(|hit| !ids.contains(&hit.id)), "{audience}");
    }
    // Pages and API answers.
    let mut answers = Vec::new();
    for &id in &ids {
        for (path, cookie, bearer) in [
            (format!("/stories/{id}"), Some(people.curator_cookie.as_str()), None),
            (format!("/stories/{id}"), Some(people.commissioner_cookie.as_str()), None),
            (format!("/api/v1/stories/{id}"), None, Some(people.token.as_str())),
            (format!("/api/v1/stories/{id}/quotes"), None, Some(people.token.as_str())),
        ] {
            let (status, text) = body(app.call(get(path.clone(), cookie, bearer)).await.unwrap()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            answers.push((path, text));
        }
    }
    for (path, cookie, bearer) in [
        (format!("/packs/{pack}"), Some(people.curator_cookie.as_str()), None),
        (format!("/packs/{pack}"), Some(people.commissioner_cookie.as_str()), None),
        ("/search?tag=canary&limit=100".to_owned(), Some(people.curator_cookie.as_str()), None),
        ("/review".to_owned(), Some(people.curator_cookie.as_str()), None),
        ("/erasures".to_owned(), Some(people.curator_cookie.as_str()), None),
        ("/api/v1/search?tag=canary".to_owned(), None, Some(people.token.as_str())),
        (format!("/api/v1/packs/{pack}"), None, Some(people.token.as_str())),
    ] {
        let (status, text) = body(app.call(get(path.clone(), cookie, bearer)).await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        answers.push((path, text));
    }
    for (path, text) in &answers {
        assert!(!contains_canary(text.as_bytes()), "{path} shows the canary");
    }
    for (path, page) in answers.iter().filter(|(path, _)| path == &format!("/packs/{pack}")) {
        assert!(page.to_lowercase().contains("withdrawn by the storyteller"), "{path}: {page}");
    }
    // New exports, in every format.
    for (format, bytes) in exports(&archive, &people.commissioner, pack) {
        assert!(!contains_canary(&bytes), "the {format:?} export shows the canary");
    }
    // The records say where the stories had gone, without their content.
    let erasures = archive.erasures().unwrap();
    assert_eq!(erasures.len(), 3);
    for erasure in &erasures {
        let json = serde_json::to_string(erasure).unwrap();
        assert!(!contains_canary(json.as_bytes()));
        assert_eq!(erasure.reached_beyond_curators().count(), 1, "{json}");
        assert_eq!(erasure.packs[0].exports.len(), 4, "the four exports before erasure: {json}");
    }
    // And no log line.
    let logged = logs.0.lock().unwrap().clone();
    assert!(!logged.is_empty(), "the logs were captured");
    let lines: Vec<&str> = std::str::from_utf8(&logged)
        .unwrap_or("")
        .lines()
        .filter(|line| contains_canary(line.as_bytes()))
        .collect();
    assert!(lines.is_empty(), "log lines hold the canary: {lines:#?}");
    let text = String::from_utf8_lossy(&logged);
    assert!(text.contains("logged in") && text.contains("log-in failed"), "the log-ins were logged");
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "a log line holds a password or token");
    }
}

/// A wrong password tried at the log-in page (it must not be logged either).
const WRONG_PASSWORD: &str = "wrong-password-7731-canary";
