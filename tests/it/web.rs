//! The web app, in process (actix `test::init_service`): every route for every role, log-in,
//! sessions, CSRF, rate limiting, security headers, uploads and hostile input.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{test, web};
use storybank_archive::{Archive, Config, ContentInput, Metadata, NoProgress, Submission};
use storybank_domain::{Form, Password, Role, Roles, StoryContent, StoryId, Title, UserName};
use storybank_server::{AppState, build_app};

use crate::support::sample_dir;

const PASSWORD: &str = "a long test password";

/// A logged-in person: their session cookie and CSRF token.
#[derive(Clone, Debug)]
struct Login {
    token: String,
    csrf: String,
}

/// An archive with the sample, one account per role (two reporters), and a story submitted by rita.
struct Fixture {
    _dir: tempfile::TempDir,
    state: web::Data<AppState>,
    logins: HashMap<&'static str, Login>,
    /// Submitted through the web use case by rita.
    rita_story: StoryId,
    /// A sample story (ingested from the folder).
    sample_story: StoryId,
    /// A sample photo story.
    photo_story: StoryId,
}

const PEOPLE: [(&str, Role); 5] = [
    ("rita", Role::Reporter),
    ("rosa", Role::Reporter),
    ("carl", Role::Curator),
    ("cora", Role::Commissioner),
    ("adam", Role::Admin),
];

fn fixture_with(config: impl FnOnce(&mut Config)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Config::new(dir.path());
    config(&mut settings);
    let archive = Arc::new(Archive::open(settings).unwrap());
    archive.ingest_paths(&[sample_dir()], &NoProgress).unwrap();
    let accounts = archive.accounts();
    let password = Password::parse(PASSWORD).unwrap();
    let mut logins = HashMap::new();
    let mut rita = None;
    for (name, role) in PEOPLE {
        let user = accounts
            .add_user(UserName::parse(name).unwrap(), Roles::new([role]).unwrap(), &password)
            .unwrap();
        if name == "rita" {
            rita = Some(user);
        }
        let started = accounts.log_in(name, PASSWORD).unwrap().unwrap();
        logins.insert(name, Login { token: started.token, csrf: started.session.csrf });
    }
    let metadata = Metadata {
        title: Some(Title::parse("Rita's story about the bus").unwrap()),
        form: Some(Form::Text),
        ..Metadata::default()
    };
    let rita_story = archive
        .submit(
            &rita.unwrap(),
            Submission {
                metadata,
                content: ContentInput::Body("The night bus never came, so I walked home in the rain."),
                suggested_themes: Vec::new(),
                source: "upload: web form".into(),
            },
        )
        .unwrap();
    let summaries = archive.story_summaries().unwrap();
    let sample_story = summaries.iter().find(|s| s.form == Form::Text && s.id != rita_story).unwrap().id;
    let photo_story = summaries.iter().find(|s| s.form == Form::Image).unwrap().id;
    let state = web::Data::new(AppState::new(archive, false, "Storybank test"));
    Fixture { _dir: dir, state, logins, rita_story, sample_story, photo_story }
}

fn fixture() -> Fixture {
    fixture_with(|_| {})
}

/// A request as `who` (None: logged out). A POST body gets the person's CSRF token added.
fn request(
    fixture: &Fixture,
    who: Option<&str>,
    method: &str,
    path: &str,
    form: &[(&str, &str)],
) -> test::TestRequest {
    let mut request = match method {
        "GET" => test::TestRequest::get(),
        _ => test::TestRequest::post(),
    }
    .uri(path)
    .peer_addr("10.1.2.3:4567".parse().unwrap());
    let login = who.map(|name| fixture.logins[name].clone());
    if let Some(login) = &login {
        request = request.cookie(actix_web::cookie::Cookie::new("sb_session", login.token.clone()));
    }
    if method == "POST" {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let csrf = login.as_ref().map(|l| l.csrf.clone()).unwrap_or_default();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            fields.push(("csrf", &csrf));
            request = request.set_form(fields);
        } else {
            request = request.set_form(fields);
        }
    }
    request
}

async fn body_text<B: MessageBody>(response: ServiceResponse<B>) -> String {
    let bytes = actix_web::body::to_bytes(response.into_body()).await.map_err(Into::into);
    let bytes: Result<_, Box<dyn std::error::Error>> = bytes;
    String::from_utf8(bytes.unwrap().to_vec()).unwrap()
}

/// A row of the permission matrix: method, path, form fields, and the status for each person.
type Cell = (&'static str, String, Vec<(&'static str, &'static str)>, [u16; 6]);

#[actix_web::test]
async fn every_route_checks_the_role_and_the_story() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    let (rita, sample, photo) =
        (f.rita_story.to_string(), f.sample_story.to_string(), f.photo_story.to_string());
    let packs = packs_fixture(&f);
    let (published, draft, finding) =
        (packs.published.to_string(), packs.draft.to_string(), packs.finding.to_string());
    // Form values must be 'static in the matrix; a test may leak them.
    let target: &'static str = format!("{draft}/{finding}").leak();
    let sample_id: &'static str = sample.clone().leak();
    // Who asks: logged out, reporter (owner of rita's story), another reporter, curator,
    // commissioner, admin. 303 is "log in first" for pages (or the role's home page for `/`).
    let who = [None, Some("rita"), Some("rosa"), Some("carl"), Some("cora"), Some("adam")];
    let matrix: Vec<Cell> = vec![
        ("GET", "/healthz".into(), vec![], [200, 200, 200, 200, 200, 200]),
        ("GET", "/static/app.css".into(), vec![], [200, 200, 200, 200, 200, 200]),
        ("GET", "/login".into(), vec![], [200, 303, 303, 303, 303, 303]),
        ("GET", "/".into(), vec![], [303, 303, 303, 303, 303, 303]),
        ("GET", "/submit".into(), vec![], [303, 200, 200, 403, 403, 403]),
        ("GET", "/submit/photo".into(), vec![], [303, 200, 200, 403, 403, 403]),
        ("GET", "/submit/video".into(), vec![], [303, 404, 404, 403, 403, 403]),
        ("GET", "/my/stories".into(), vec![], [303, 200, 200, 403, 403, 403]),
        ("GET", format!("/my/stories/{rita}"), vec![], [303, 200, 404, 200, 404, 403]),
        ("GET", format!("/stories/{rita}"), vec![], [303, 200, 404, 200, 404, 403]),
        ("GET", format!("/stories/{sample}"), vec![], [303, 404, 404, 200, 404, 403]),
        ("GET", "/stories/not-an-id".into(), vec![], [303, 404, 404, 404, 404, 403]),
        ("GET", format!("/media/{photo}/display"), vec![], [303, 404, 404, 200, 404, 403]),
        ("GET", format!("/media/{photo}/thumbnail"), vec![], [303, 404, 404, 200, 404, 403]),
        ("GET", format!("/media/{photo}/original"), vec![], [303, 404, 404, 404, 404, 403]),
        ("GET", "/review".into(), vec![], [303, 403, 403, 200, 403, 403]),
        ("GET", "/review?queue=consent".into(), vec![], [303, 403, 403, 200, 403, 403]),
        ("GET", "/review?queue=expiring".into(), vec![], [303, 403, 403, 200, 403, 403]),
        ("GET", "/review?queue=expired".into(), vec![], [303, 403, 403, 200, 403, 403]),
        ("GET", "/search?q=bus&theme=housing".into(), vec![], [303, 403, 403, 200, 200, 403]),
        ("GET", "/themes".into(), vec![], [303, 403, 403, 200, 403, 403]),
        ("GET", "/admin/users".into(), vec![], [303, 403, 403, 403, 403, 200]),
        ("GET", format!("/stories/{sample}/erase"), vec![], [303, 403, 403, 200, 403, 403]),
        ("GET", "/stories/not-an-id/erase".into(), vec![], [303, 403, 403, 404, 403, 403]),
        // Without the confirmation box ticked nothing is erased (the rows after still see it).
        ("POST", format!("/stories/{sample}/erase"), vec![], [403, 403, 403, 422, 403, 403]),
        ("GET", "/erasures".into(), vec![], [303, 403, 403, 200, 403, 403]),
        // Nothing chosen: refused, nothing changes.
        ("POST", format!("/stories/{sample}/redactions"), vec![], [403, 403, 403, 422, 403, 403]),
        ("GET", "/admin/audit?until=%2B262142-12-31".into(), vec![], [303, 403, 403, 403, 403, 422]),
        ("GET", "/admin/audit".into(), vec![], [303, 403, 403, 403, 403, 200]),
        (
            "GET",
            "/admin/audit?action=log_in&user=carl&since=2020-01-01".into(),
            vec![],
            [303, 403, 403, 403, 403, 200],
        ),
        ("GET", "/admin/audit?action=drop-table".into(), vec![], [303, 403, 403, 403, 403, 422]),
        ("GET", "/admin/audit.csv".into(), vec![], [303, 403, 403, 403, 403, 200]),
        ("GET", "/no/such/page".into(), vec![], [404, 404, 404, 404, 404, 404]),
        ("POST", format!("/stories/{rita}/tags"), vec![("tag", "night-bus")], [403, 303, 404, 303, 404, 404]),
        (
            "POST",
            format!("/stories/{rita}/tags/remove"),
            vec![("tag", "night-bus")],
            [403, 303, 404, 303, 404, 404],
        ),
        (
            "POST",
            format!("/stories/{rita}/suggestions"),
            vec![("themes", "transport")],
            [403, 303, 404, 303, 404, 404],
        ),
        (
            "POST",
            format!("/stories/{rita}/themes"),
            vec![("theme", "transport")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/stories/{rita}/themes/remove"),
            vec![("theme", "transport")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/stories/{rita}/notes"),
            vec![("key_message", "Buses")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/stories/{rita}/quotes"),
            vec![("passage", "walked home")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/stories/{rita}/alt-text"),
            vec![("alt_text", "x")],
            [403, 403, 403, 422, 403, 403],
        ),
        (
            "POST",
            format!("/stories/{rita}/consent"),
            vec![
                ("consent_scope", "public"),
                ("consent_identify_as", "anonymous"),
                ("consent_given_on", "2026-11-01"),
            ],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/stories/{rita}/status"),
            vec![("status", "reviewed")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/stories/{rita}/details"),
            vec![
                ("title", "The night bus"),
                ("story_type", "written"),
                ("language", "en"),
                ("place", "Leeds"),
            ],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/stories/{rita}/details"),
            vec![("title", ""), ("story_type", "written"), ("language", "en")],
            [403, 403, 403, 422, 403, 403],
        ),
        ("POST", format!("/stories/{sample}/tags"), vec![("tag", "x")], [403, 404, 404, 303, 404, 404]),
        (
            "POST",
            "/themes".into(),
            vec![("parent", "transport"), ("name", "night-buses"), ("label", "Night buses")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            "/themes/retire".into(),
            vec![("retire", "transport/night-buses"), ("retired", "true")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            "/admin/users/rosa/roles".into(),
            vec![("roles", "reporter")],
            [403, 403, 403, 403, 403, 303],
        ),
        ("POST", "/admin/users/rosa/enable".into(), vec![], [403, 403, 403, 403, 403, 303]),
        // Insight packs: curators build them; commissioners read what is published for them.
        ("GET", "/overview".into(), vec![], [303, 403, 403, 200, 200, 403]),
        ("GET", "/packs".into(), vec![], [303, 403, 403, 200, 200, 403]),
        ("GET", format!("/packs/{published}"), vec![], [303, 403, 403, 200, 200, 403]),
        ("GET", format!("/packs/{published}?version=1"), vec![], [303, 403, 403, 200, 200, 403]),
        ("GET", format!("/packs/{published}?version=9"), vec![], [303, 403, 403, 404, 404, 403]),
        ("GET", format!("/packs/{draft}"), vec![], [303, 403, 403, 200, 404, 403]),
        ("GET", "/packs/not-an-id".into(), vec![], [303, 403, 403, 404, 404, 403]),
        ("GET", format!("/packs/{published}/export/html"), vec![], [303, 403, 403, 200, 200, 403]),
        ("GET", format!("/packs/{published}/export/md"), vec![], [303, 403, 403, 200, 200, 403]),
        ("GET", format!("/packs/{published}/export/json"), vec![], [303, 403, 403, 200, 200, 403]),
        ("GET", format!("/packs/{published}/export/csv"), vec![], [303, 403, 403, 200, 200, 403]),
        ("GET", format!("/packs/{published}/export/pdf"), vec![], [303, 403, 403, 404, 404, 403]),
        ("GET", format!("/packs/{draft}/export/json"), vec![], [303, 403, 403, 409, 404, 403]),
        (
            "POST",
            "/packs".into(),
            vec![("title", "Housing"), ("question", "Why do people leave?"), ("audience", "commissioner")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            "/packs".into(),
            vec![("title", ""), ("question", "Why?"), ("audience", "commissioner")],
            [403, 403, 403, 422, 403, 403],
        ),
        (
            "POST",
            format!("/packs/{draft}/details"),
            vec![
                ("title", "Transport"),
                ("question", "How?"),
                ("audience", "public"),
                ("summary", "**Short**"),
            ],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/packs/{draft}/findings"),
            vec![("kind", "enabler"), ("statement", "Neighbours give lifts")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/packs/{draft}/findings"),
            vec![("kind", "rumour"), ("statement", "x")],
            [403, 403, 403, 422, 403, 403],
        ),
        (
            "POST",
            "/packs/evidence".into(),
            vec![("target", target), ("story", sample_id), ("back", "/search?q=bus")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/packs/{draft}/findings/{finding}/evidence/move"),
            vec![("story", sample_id), ("direction", "up")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/packs/{draft}/findings/{finding}/evidence/remove"),
            vec![("story", sample_id)],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/packs/{draft}/findings/{finding}"),
            vec![("kind", "barrier"), ("statement", "Buses stop at six"), ("explanation", "")],
            [403, 403, 403, 303, 403, 403],
        ),
        (
            "POST",
            format!("/packs/{draft}/findings/{finding}/move"),
            vec![("direction", "down")],
            [403, 403, 403, 303, 403, 403],
        ),
        ("POST", format!("/packs/{draft}/publish"), vec![], [403, 403, 403, 422, 403, 403]),
        // Nothing changed since version 1: refused, with the reason on the page.
        ("POST", format!("/packs/{published}/publish"), vec![], [403, 403, 403, 422, 403, 403]),
        ("POST", format!("/packs/{draft}/findings/{finding}/remove"), vec![], [403, 403, 403, 303, 403, 403]),
        // An upload must be a multipart form: this one is not, and stores nothing.
        ("POST", "/submit/text".into(), vec![("title", "x")], [403, 400, 400, 403, 403, 403]),
        (
            "POST",
            format!("/stories/{rita}/quotes/{}/remove", StoryId::new()),
            vec![],
            [403, 403, 403, 404, 403, 403],
        ),
        (
            "POST",
            "/themes/rename".into(),
            vec![("from", "no-such-theme"), ("to", "other"), ("new_label", "Other")],
            [403, 403, 403, 422, 403, 403],
        ),
        (
            "POST",
            "/themes/merge".into(),
            vec![("merge_from", "no-such-theme"), ("merge_into", "housing")],
            [403, 403, 403, 422, 403, 403],
        ),
        // A name that is not free: refused by the admin, with the reason on the page.
        (
            "POST",
            "/admin/users".into(),
            vec![("name", "rita"), ("roles", "reporter")],
            [403, 403, 403, 403, 403, 422],
        ),
        ("POST", "/admin/users/no-such-person/disable".into(), vec![], [403, 403, 403, 403, 403, 404]),
        // Without the log-in form's own cookie (a cross-site post, or an expired form): refused
        // before the password is looked at (the log-in test below posts it with the cookie).
        (
            "POST",
            "/login".into(),
            vec![("username", "rita"), ("password", "x")],
            [403, 403, 403, 403, 403, 403],
        ),
        // Last: it ends each person's session.
        ("POST", "/logout".into(), vec![], [403, 303, 303, 303, 303, 303]),
    ];
    let mut failures = Vec::new();
    for (method, path, form, expected) in &matrix {
        for (person, status) in who.iter().zip(expected) {
            let response = app.call(request(&f, *person, method, path, form).to_request()).await.unwrap();
            if response.status().as_u16() != *status {
                failures.push(format!(
                    "{method} {path} as {}: expected {status}, got {}",
                    person.unwrap_or("nobody"),
                    response.status()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cells differ:\n{}",
        failures.len(),
        matrix.len() * 6,
        failures.join("\n")
    );
    // The curator's edit of the details took effect; the refused ones changed nothing else.
    let details = f.state.archive.story(f.rita_story).unwrap().details;
    assert_eq!(
        (details.title.as_str(), details.place.as_ref().map(|p| p.as_str())),
        ("The night bus", Some("Leeds"))
    );
}

#[actix_web::test]
async fn logging_in_sets_a_strict_cookie_and_failures_are_limited() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    let form = app.call(test::TestRequest::get().uri("/login").to_request()).await.unwrap();
    let login_cookie = form.response().cookies().find(|c| c.name() == "sb_login").unwrap().into_owned();
    let html = body_text(form).await;
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();

    let attempt = |password: &str, csrf: &str| {
        test::TestRequest::post()
            .uri("/login")
            .peer_addr("10.9.9.9:1000".parse().unwrap())
            .cookie(login_cookie.clone())
            .set_form([("csrf", csrf), ("username", "carl"), ("password", password), ("next", "/themes")])
            .to_request()
    };
    // Without the form's token (a forged cross-site post), nothing happens.
    let forged = app.call(attempt(PASSWORD, "forged")).await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let ok = app.call(attempt(PASSWORD, &csrf)).await.unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers().get("location").unwrap(), "/themes");
    let session = ok.response().cookies().find(|c| c.name() == "sb_session").unwrap().into_owned();
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.same_site(), Some(actix_web::cookie::SameSite::Strict));
    assert_eq!(session.path(), Some("/"));

    for attempt_number in 1..=5 {
        let wrong = app.call(attempt("not the password", &csrf)).await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "attempt {attempt_number}");
        let page = body_text(wrong).await;
        assert!(page.contains("do not match an account"));
        assert!(!page.contains("not the password"), "the password is never shown back");
    }
    let limited = app.call(attempt(PASSWORD, &csrf)).await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "Retry-After {wait}");

    // An open redirect is not possible through `next`.
    let other = test::TestRequest::post()
        .uri("/login")
        .peer_addr("10.9.9.8:1000".parse().unwrap())
        .cookie(login_cookie.clone())
        .set_form([
            ("csrf", csrf.as_str()),
            ("username", "cora"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .to_request();
    let response = app.call(other).await.unwrap();
    assert_eq!(response.headers().get("location").unwrap(), "/");

    // From one address, failures across many accounts add up: guessing one password for every
    // name is stopped too, and other addresses are not.
    let from = |address: &str, username: &str, password: &str| {
        test::TestRequest::post()
            .uri("/login")
            .peer_addr(format!("{address}:1000").parse().unwrap())
            .cookie(login_cookie.clone())
            .set_form([("csrf", csrf.as_str()), ("username", username), ("password", password)])
            .to_request()
    };
    // 20 failures per address in 15 minutes (docs/security.md).
    for n in 0..20 {
        let wrong = app.call(from("10.7.7.7", &format!("guess{n}"), "password1")).await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let limited = app.call(from("10.7.7.7", "rosa", PASSWORD)).await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().get("retry-after").is_some());
    let elsewhere = app.call(from("10.7.7.6", "rosa", PASSWORD)).await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn cookies_are_secure_when_served_over_https() {
    // `serve --secure-cookies`, for an HTTPS proxy in front: both cookies say Secure.
    let f = fixture();
    let state = web::Data::new(AppState::new(f.state.archive.clone(), true, "Storybank test"));
    let app = test::init_service(build_app(state)).await;
    let form = app.call(test::TestRequest::get().uri("/login").to_request()).await.unwrap();
    let login_cookie = form.response().cookies().find(|c| c.name() == "sb_login").unwrap().into_owned();
    assert_eq!(login_cookie.secure(), Some(true));
    let html = body_text(form).await;
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let logged_in = test::TestRequest::post()
        .uri("/login")
        .peer_addr("10.9.9.5:1000".parse().unwrap())
        .cookie(login_cookie)
        .set_form([("csrf", csrf.as_str()), ("username", "carl"), ("password", PASSWORD)])
        .to_request();
    let response = app.call(logged_in).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let session = response.response().cookies().find(|c| c.name() == "sb_session").unwrap().into_owned();
    assert_eq!((session.secure(), session.http_only()), (Some(true), Some(true)));
}

#[actix_web::test]
async fn logging_out_and_disabling_end_sessions_at_once() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    let review = |who| request(&f, Some(who), "GET", "/review", &[]).to_request();
    assert_eq!(app.call(review("carl")).await.unwrap().status(), StatusCode::OK);
    let out = app.call(request(&f, Some("carl"), "POST", "/logout", &[]).to_request()).await.unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.call(review("carl")).await.unwrap().status(), StatusCode::SEE_OTHER, "logged out");

    let searched = |who| request(&f, Some(who), "GET", "/search", &[]).to_request();
    assert_eq!(app.call(searched("cora")).await.unwrap().status(), StatusCode::OK);
    let disable = request(&f, Some("adam"), "POST", "/admin/users/cora/disable", &[]).to_request();
    assert_eq!(app.call(disable).await.unwrap().status(), StatusCode::SEE_OTHER);
    assert_eq!(app.call(searched("cora")).await.unwrap().status(), StatusCode::SEE_OTHER, "disabled");
    // An admin cannot lock themselves out.
    let own = request(&f, Some("adam"), "POST", "/admin/users/adam/disable", &[]).to_request();
    assert_eq!(app.call(own).await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn forged_and_cross_site_posts_are_refused() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    let path = format!("/stories/{}/tags", f.rita_story);
    let wrong_token =
        request(&f, Some("carl"), "POST", &path, &[("tag", "x"), ("csrf", "guess")]).to_request();
    assert_eq!(app.call(wrong_token).await.unwrap().status(), StatusCode::FORBIDDEN);
    let cross_site = request(&f, Some("carl"), "POST", &path, &[("tag", "x")])
        .insert_header(("origin", "https://evil.example"))
        .insert_header(("host", "localhost:8080"))
        .to_request();
    assert_eq!(app.call(cross_site).await.unwrap().status(), StatusCode::FORBIDDEN);
    let fetch_site = request(&f, Some("carl"), "POST", &path, &[("tag", "x")])
        .insert_header(("sec-fetch-site", "cross-site"))
        .to_request();
    assert_eq!(app.call(fetch_site).await.unwrap().status(), StatusCode::FORBIDDEN);
    let story = f.state.archive.story(f.rita_story).unwrap();
    assert!(story.details.tags.is_empty(), "no refused post changed anything");
    let same_origin = request(&f, Some("carl"), "POST", &path, &[("tag", "x")])
        .insert_header(("origin", "http://localhost:8080"))
        .insert_header(("host", "localhost:8080"))
        .to_request();
    assert_eq!(app.call(same_origin).await.unwrap().status(), StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn the_review_queue_filters_by_reporter() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    let page = |path: &'static str| request(&f, Some("carl"), "GET", path, &[]).to_request();
    let all = body_text(app.call(page("/review")).await.unwrap()).await;
    assert!(all.contains("href=\"/review?queue=new&#38;reporter=rita\""), "rita is offered as a filter");
    let rita = body_text(app.call(page("/review?queue=new&reporter=rita")).await.unwrap()).await;
    assert!(rita.contains("New <span class=\"count\">(1)</span>"), "one story by rita");
    assert!(rita.contains(&format!("/stories/{}", f.rita_story)));
}

#[actix_web::test]
async fn the_search_page_offers_every_filter_as_a_link_or_a_field() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    let page = |who: &'static str, path: &str| request(&f, Some(who), "GET", path, &[]).to_request();
    // Themes are a tree: each theme with sub-themes has a collapsible list of them, open when one
    // of them is a filter.
    let tree_of = |page: &str| -> String {
        let tree = page.split("<ul class=\"facets tree\">").nth(1).unwrap_or_default();
        tree.split("<details open><summary>Form").next().unwrap_or_default().to_owned()
    };
    let all = body_text(app.call(page("carl", "/search")).await.unwrap()).await;
    let tree = tree_of(&all);
    assert!(tree.contains("<summary>Sub-themes<span class=\"visually-hidden\"> of "), "{tree}");
    assert!(!tree.contains("<details open>"), "closed while no sub-theme is a filter: {tree}");
    assert_eq!(tree.matches("<ul>").count(), tree.matches("</ul>").count() - 1, "balanced: {tree}");
    let themed =
        body_text(app.call(page("carl", "/search?theme=transport/rural-transport")).await.unwrap()).await;
    let tree = tree_of(&themed);
    assert!(tree.contains("<details open><summary>Sub-themes"), "open around the filter: {tree}");
    let filtered = body_text(
        app.call(page(
            "carl",
            "/search?theme=transport/rural-transport&tag=bus&from=2024-01-01&status=published",
        ))
        .await
        .unwrap(),
    )
    .await;
    // (the field, as the curator sees it filled in)
    for field in [
        "<input id=\"filter-tag\" name=\"tag\" value=\"bus\">",
        "<input id=\"filter-place\" name=\"place\" value=\"\">",
        "<input id=\"filter-reporter\" name=\"reporter\" value=\"\">",
        "<option value=\"published\" selected>",
        "<input id=\"filter-from\" name=\"from\" type=\"date\" value=\"2024-01-01\">",
        "<input id=\"filter-to\" name=\"to\" type=\"date\" value=\"\">",
        "<details class=\"more-filters\" open>",
    ] {
        assert!(filtered.contains(field), "{field}");
    }
    // What is in a field is not sent twice; the theme, picked by a link, rides along hidden.
    assert!(filtered.contains("<input type=\"hidden\" name=\"theme\" value=\"transport/rural-transport\">"));
    for key in ["tag", "from", "status"] {
        assert!(!filtered.contains(&format!("<input type=\"hidden\" name=\"{key}\"")), "{key}");
    }
    // Commissioners filter by tag and dates; place, reporter and status are the curators'.
    let commissioner = body_text(app.call(page("cora", "/search?tag=bus")).await.unwrap()).await;
    assert!(commissioner.contains("name=\"tag\" value=\"bus\""));
    for key in ["place", "reporter", "status"] {
        assert!(!commissioner.contains(&format!("id=\"filter-{key}\"")), "{key}");
    }
}

#[actix_web::test]
async fn pages_carry_strict_security_headers_and_are_not_cached() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    for path in ["/login", "/healthz"] {
        let response = app.call(test::TestRequest::get().uri(path).to_request()).await.unwrap();
        let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        let csp = header("content-security-policy").unwrap();
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("script-src 'self'")
                && csp.contains("frame-ancestors 'none'")
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
        assert_eq!(header("referrer-policy").as_deref(), Some("same-origin"));
    }
    let page = app.call(request(&f, Some("carl"), "GET", "/review", &[]).to_request()).await.unwrap();
    assert_eq!(page.headers().get("cache-control").unwrap(), "no-store");
}

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----storybank-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, filename, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload(
    f: &Fixture,
    who: &str,
    kind: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> actix_http::Request {
    let csrf = f.logins[who].csrf.clone();
    let mut all = fields.to_vec();
    all.push(("csrf", &csrf));
    let (content_type, body) = multipart(&all, file);
    request(f, Some(who), "GET", &format!("/submit/{kind}"), &[])
        .method(actix_web::http::Method::POST)
        .insert_header(("content-type", content_type))
        .set_payload(body)
        .to_request()
}

#[actix_web::test]
async fn a_forged_upload_is_refused_before_its_file_is_read() {
    let f = fixture_with(|config| {
        config.limits.max_image_bytes = 4 * 1024 * 1024;
        config.limits.max_text_bytes = 1024 * 1024;
    });
    let app = test::init_service(build_app(f.state.clone())).await;
    // The token comes first, as the forms send it; the file after it is beyond every limit (it
    // would be answered 422 "too large" if it were read).
    let huge = vec![0u8; 8 * 1024 * 1024];
    for (token, status) in [
        ("forged", StatusCode::FORBIDDEN),
        (f.logins["rita"].csrf.as_str(), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (content_type, body) =
            multipart(&[("csrf", token), ("title", "A photo")], Some(("photo", "p.jpg", &huge)));
        let request = request(&f, Some("rita"), "GET", "/submit/photo", &[])
            .method(actix_web::http::Method::POST)
            .insert_header(("content-type", content_type))
            .set_payload(body)
            .to_request();
        assert_eq!(app.call(request).await.unwrap().status(), status, "{token}");
    }
}

#[actix_web::test]
async fn reporters_upload_through_the_same_ingestion_and_errors_sit_by_their_fields() {
    let f = fixture_with(|config| config.limits.max_image_bytes = 200 * 1024);
    let app = test::init_service(build_app(f.state.clone())).await;
    let before = f.state.archive.count_stories().unwrap();

    // A written story with consent.
    let ok = upload(
        &f,
        "rosa",
        "text",
        &[
            ("title", "Waiting for the repair"),
            ("story_type", "written"),
            ("language", "en"),
            ("body", "The damp came back every winter and nobody came to fix it."),
            ("tags", "damp, Repairs"),
            ("themes", "housing/repairs"),
            ("consent_scope", "commissioners"),
            ("consent_identify_as", "first_name"),
            ("consent_given_on", "2026-11-20"),
        ],
        None,
    );
    let response = app.call(ok).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers().get("location").unwrap().to_str().unwrap().to_owned();
    let id = StoryId::parse(location.trim_start_matches("/my/stories/").split('?').next().unwrap()).unwrap();
    let view = f.state.archive.story_for(&user(&f, "rosa"), id).unwrap();
    assert_eq!(view.story.details.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>(), ["damp", "repairs"]);
    assert!(view.story.details.themes.is_empty(), "suggested themes wait for a curator");
    assert_eq!(view.curation.suggested_themes.len(), 1);
    assert!(view.story.details.consent.is_some());

    // Each bad input: 422, the message next to its field, nothing stored.
    let photo = std::fs::read(sample_dir().join("stories/fi/bus-stop-rain-gps.jpg")).unwrap();
    let big = vec![0u8; 300 * 1024];
    let cases: Vec<BadUpload<'_>> = vec![
        ("text", vec![("title", ""), ("body", "words")], None, "title", "Enter a title"),
        ("text", vec![("title", "No words"), ("body", "  ")], None, "body", "Write or paste the story"),
        (
            "text",
            vec![("title", "Bad tag"), ("body", "words"), ("tags", "<b>")],
            None,
            "tags",
            "is not a tag",
        ),
        (
            "text",
            vec![("title", "Half consent"), ("body", "words"), ("consent_scope", "public")],
            None,
            "consent_identify_as",
            "Choose how the storyteller wants to be identified",
        ),
        (
            "text",
            vec![
                ("title", "Backwards consent"),
                ("body", "words"),
                ("consent_scope", "public"),
                ("consent_identify_as", "anonymous"),
                ("consent_given_on", "2026-11-20"),
                ("consent_expires_on", "2026-01-01"),
            ],
            None,
            "consent_expires_on",
            "before given_on",
        ),
        (
            "photo",
            vec![("title", "Too big"), ("caption", "c")],
            Some(("photo", "big.jpg", &big)),
            "photo",
            "too large",
        ),
        (
            "photo",
            vec![("title", "Not a photo"), ("caption", "c")],
            Some(("photo", "x.jpg", b"hello")),
            "photo",
            "not a JPEG",
        ),
        (
            "photo",
            vec![("title", "No caption"), ("caption", "")],
            Some(("photo", "p.jpg", &photo[..1000])),
            "caption",
            "caption",
        ),
        (
            "transcript",
            vec![
                ("title", "Broken"),
                ("transcript_text", "WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nA: hi\n"),
            ],
            None,
            "transcript_text",
            "before it starts",
        ),
    ];
    for (kind, fields, file, field, message) in cases {
        let response = app.call(upload(&f, "rosa", kind, &fields, file)).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind} {fields:?}");
        let page = body_text(response).await;
        let error = page
            .split(&format!("id=\"{field}-error\">"))
            .nth(1)
            .unwrap_or_else(|| panic!("{field} error shown: {page}"));
        assert!(error.split("</p>").next().unwrap().contains(message), "{field}: {message}: {error:.200}");
        assert!(
            page.contains(&format!("{field}-error\"")) && page.contains("aria-describedby"),
            "{field} points at its error"
        );
    }
    assert_eq!(f.state.archive.count_stories().unwrap(), before + 1, "only the good upload was stored");

    // A curator cannot upload (reporters do), and a form without the session's token is refused.
    assert_eq!(
        app.call(upload(&f, "carl", "text", &[("title", "x")], None)).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

/// A bad upload: form, fields, file, the field the error shows by, and words of the message.
type BadUpload<'a> = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    Option<(&'static str, &'static str, &'a [u8])>,
    &'static str,
    &'static str,
);

/// Two packs made by carl: one published for commissioners (a finding resting on a published
/// story whose consent reaches them) and one draft with an empty finding.
struct PackFixture {
    published: storybank_domain::PackId,
    draft: storybank_domain::PackId,
    finding: storybank_domain::FindingId,
    /// The story the published pack rests on.
    story: StoryId,
}

fn packs_fixture(f: &Fixture) -> PackFixture {
    use storybank_domain::{Audience, ConsentScope, Evidence, FindingKind};
    let archive = &f.state.archive;
    let carl = user(f, "carl");
    let today = chrono::Utc::now().date_naive();
    let story = archive
        .story_summaries()
        .unwrap()
        .iter()
        .map(|s| archive.story(s.id).unwrap())
        .find(|s| s.form() == Form::Text && s.effective_scope(today) == ConsentScope::Commissioners)
        .unwrap();
    archive.set_status(story.id, storybank_domain::Status::Reviewed).unwrap();
    archive.set_status(story.id, storybank_domain::Status::Published).unwrap();
    let title = |raw: &str| Title::parse(raw).unwrap();
    let published = archive
        .create_pack(
            &carl,
            title("Getting to care"),
            title("How do people reach the clinic?"),
            Audience::Commissioner,
        )
        .unwrap();
    let first = archive
        .edit_pack(&carl, published, |pack| {
            pack.add_finding(FindingKind::Barrier, title("The last bus leaves early"), None)
        })
        .unwrap();
    archive.add_evidence(&carl, published, first, Evidence::Story { story: story.id }).unwrap();
    archive.publish_pack(&carl, published).unwrap();
    let draft = archive
        .create_pack(&carl, title("Draft pack"), title("Still thinking"), Audience::Commissioner)
        .unwrap();
    let finding = archive
        .edit_pack(&carl, draft, |pack| pack.add_finding(FindingKind::Insight, title("Not sure yet"), None))
        .unwrap();
    PackFixture { published, draft, finding, story: story.id }
}

#[actix_web::test]
async fn commissioners_read_a_pack_follow_its_evidence_and_download_it() {
    let f = fixture();
    let packs = packs_fixture(&f);
    let app = test::init_service(build_app(f.state.clone())).await;
    let story = f.state.archive.story(packs.story).unwrap();
    // The home page of a commissioner is the list of packs published for them.
    let home = app.call(request(&f, Some("cora"), "GET", "/", &[]).to_request()).await.unwrap();
    assert_eq!(home.headers().get("location").unwrap(), "/packs");
    let list =
        body_text(app.call(request(&f, Some("cora"), "GET", "/packs", &[]).to_request()).await.unwrap())
            .await;
    assert!(list.contains("Getting to care") && !list.contains("Draft pack"), "{list}");
    let page = body_text(
        app.call(request(&f, Some("cora"), "GET", &format!("/packs/{}", packs.published), &[]).to_request())
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("The last bus leaves early"));
    assert!(page.contains(&format!("href=\"/stories/{}\"", packs.story)), "evidence links to its story");
    if let Some(reporter) = &story.details.reporter {
        assert!(!page.contains(&format!("gathered by {reporter}")), "no reporter names for commissioners");
    }
    for format in ["html", "md", "json", "csv"] {
        let response = app
            .call(
                request(&f, Some("cora"), "GET", &format!("/packs/{}/export/{format}", packs.published), &[])
                    .to_request(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{format}");
        let disposition = response.headers().get("content-disposition").unwrap().to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename=\"getting-to-care-v1."), "{disposition}");
        let body = body_text(response).await;
        assert!(body.contains("The last bus leaves early"), "{format}");
        assert!(body.contains("Storybank test"), "{format} names the archive");
    }
    // The story page shows a commissioner the story as the storyteller allowed.
    let story_page = body_text(
        app.call(request(&f, Some("cora"), "GET", &format!("/stories/{}", packs.story), &[]).to_request())
            .await
            .unwrap(),
    )
    .await;
    if let Some(reporter) = &story.details.reporter {
        assert!(!story_page.contains(reporter.as_str()), "the reporter is hidden");
    }
    // A curator adds a search result to a finding and comes back to the search.
    let added = app
        .call(
            request(
                &f,
                Some("carl"),
                "POST",
                "/packs/evidence",
                &[
                    ("target", &format!("{}/{}", packs.draft, packs.finding)),
                    ("story", &packs.story.to_string()),
                    ("back", "/search?q=bus&done=moved"),
                ],
            )
            .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(added.headers().get("location").unwrap(), "/search?q=bus&done=evidence-added");
    let search = body_text(
        app.call(request(&f, Some("carl"), "GET", "/search?q=bus", &[]).to_request()).await.unwrap(),
    )
    .await;
    assert!(search.contains("Add to pack"), "search results offer the packs' findings");
    let offsite = app
        .call(
            request(
                &f,
                Some("carl"),
                "POST",
                "/packs/evidence",
                &[
                    ("target", &format!("{}/{}", packs.draft, packs.finding)),
                    ("story", &f.sample_story.to_string()),
                    ("back", "//evil.example/"),
                ],
            )
            .to_request(),
        )
        .await
        .unwrap();
    assert!(offsite.headers().get("location").unwrap().to_str().unwrap().starts_with('/'));
    assert!(!offsite.headers().get("location").unwrap().to_str().unwrap().starts_with("//"));
}

fn user(f: &Fixture, name: &str) -> storybank_domain::User {
    f.state.accounts.user_named(&UserName::parse(name).unwrap()).unwrap()
}

/// Payloads that must render as text wherever a story's words appear.
const XSS: [&str; 6] = [
    "<script>alert('t')</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(1)>",
    "[link](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "' onmouseover='alert(1)",
];

#[actix_web::test]
async fn hostile_text_renders_inert_on_every_page() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    for payload in XSS {
        let upload = upload(
            &f,
            "rita",
            "text",
            &[
                ("title", payload),
                ("body", &format!("{payload}\n\nrain {payload}")),
                ("place", payload),
                ("storyteller", payload),
            ],
            None,
        );
        let response = app.call(upload).await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{payload}");
        let location = response
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let id = location.trim_start_matches("/my/stories/").to_owned();
        for (who, path) in [
            ("rita", location.clone()),
            ("rita", "/my/stories".to_owned()),
            ("carl", format!("/stories/{id}")),
            ("carl", "/review".to_owned()),
            ("carl", "/search?q=rain".to_owned()),
        ] {
            let page =
                body_text(app.call(request(&f, Some(who), "GET", &path, &[]).to_request()).await.unwrap())
                    .await;
            // Inside each real tag, outside its quoted attribute values (where escaped text is
            // harmless), no payload may appear: no script, handler, javascript: URL or SVG.
            for tag in
                page.split('<').skip(1).map(|rest| rest.split('>').next().unwrap_or_default().to_lowercase())
            {
                if tag == "script src=\"/static/app.js\" defer" || tag == "/script" {
                    continue; // the app's own script, the only one a page has
                }
                let unquoted: String = tag.split('"').step_by(2).collect();
                for bad in ["script", "onerror", "onload", "onmouseover", "javascript:", "svg"] {
                    assert!(!unquoted.contains(bad), "{payload:?} on {path} as {who}: <{tag}>");
                }
                assert!(!tag.contains("href=\"javascript:"), "{payload:?} on {path}: <{tag}>");
            }
            assert!(!page.contains("<script>alert"), "{path}");
            assert_eq!(page.matches("<script").count(), 1, "{path}: only the app's own script");
        }
    }
}

#[actix_web::test]
async fn curators_theme_quote_and_publish_and_the_taxonomy_keeps_assignments() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    let id = f.rita_story;
    let post = |path: String, form: Vec<(&'static str, &'static str)>| {
        request(&f, Some("carl"), "POST", &path, &form).to_request()
    };
    for (path, form) in [
        (format!("/stories/{id}/themes"), vec![("theme", "transport/rural-transport")]),
        (
            format!("/stories/{id}/quotes"),
            vec![("passage", "walked home in the rain"), ("quote_themes", "transport/rural-transport")],
        ),
        (
            format!("/stories/{id}/notes"),
            vec![("key_message", "No night bus"), ("key_learning", "Run a late service")],
        ),
        (
            format!("/stories/{id}/consent"),
            vec![
                ("consent_scope", "public"),
                ("consent_identify_as", "anonymous"),
                ("consent_given_on", "2026-11-01"),
            ],
        ),
        (format!("/stories/{id}/status"), vec![("status", "reviewed")]),
        (format!("/stories/{id}/status"), vec![("status", "published")]),
    ] {
        let response = app.call(post(path.clone(), form)).await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
    }
    let view = f.state.archive.story_for(&user(&f, "carl"), id).unwrap();
    assert_eq!(view.story.status, storybank_domain::Status::Published);
    let quote = &view.curation.quotes[0];
    let text = view.story.content.full_text();
    let storybank_domain::QuoteSpan::Text { start, end } = quote.span else { panic!("a text quote") };
    assert_eq!(&text[start..end], "walked home in the rain", "the quote keeps exact offsets");
    assert_eq!(quote.themes[0].as_str(), "transport/rural-transport");
    assert_eq!(view.curation.notes.key_message.as_ref().unwrap().as_str(), "No night bus");

    // Published with public consent: the commissioner now finds and reads it.
    let search = request(&f, Some("cora"), "GET", "/search?q=night+bus", &[]).to_request();
    let results = body_text(app.call(search).await.unwrap()).await;
    assert!(results.contains("s story about the bus"), "the commissioner finds the published story");
    let page = app
        .call(request(&f, Some("cora"), "GET", &format!("/stories/{id}"), &[]).to_request())
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    // Changing only a theme's label keeps every assignment.
    let relabel = post(
        "/themes/rename".into(),
        vec![
            ("from", "transport/rural-transport"),
            ("to", "transport/rural-transport"),
            ("new_label", "Rural"),
        ],
    );
    assert_eq!(app.call(relabel).await.unwrap().status(), StatusCode::SEE_OTHER);
    assert_eq!(f.state.archive.story(id).unwrap().details.themes[0].as_str(), "transport/rural-transport");
    // A move that would nest sub-themes past the depth limit is refused.
    let too_deep = post(
        "/themes/rename".into(),
        vec![("from", "health"), ("to", "a/b/c/health"), ("new_label", "Health")],
    );
    assert_eq!(app.call(too_deep).await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Renaming a theme moves its stories and quotes; merging re-themes them.
    let rename = post(
        "/themes/rename".into(),
        vec![
            ("from", "transport/rural-transport"),
            ("to", "transport/country-buses"),
            ("new_label", "Country buses"),
        ],
    );
    assert_eq!(app.call(rename).await.unwrap().status(), StatusCode::SEE_OTHER);
    let themes = |f: &Fixture| {
        f.state.archive.story(id).unwrap().details.themes.iter().map(|t| t.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(themes(&f), ["transport/country-buses"]);
    let found = f
        .state
        .archive
        .search_hits(&{
            let mut r = storybank_archive::SearchRequest::new(
                "",
                storybank_domain::Audience::Curator,
                chrono::Utc::now().date_naive(),
            );
            r.themes = vec![storybank_domain::ThemePath::parse("transport/country-buses").unwrap()];
            r
        })
        .unwrap();
    assert!(found.hits.iter().any(|hit| hit.id == id), "the index follows a rename");
    let merge = post(
        "/themes/merge".into(),
        vec![("merge_from", "transport/country-buses"), ("merge_into", "transport/accessibility")],
    );
    assert_eq!(app.call(merge).await.unwrap().status(), StatusCode::SEE_OTHER);
    assert_eq!(themes(&f), ["transport/accessibility"]);
    let view = f.state.archive.story_for(&user(&f, "carl"), id).unwrap();
    assert_eq!(
        view.curation.quotes[0].themes[0].as_str(),
        "transport/accessibility",
        "quotes are re-themed too"
    );
    // The taxonomy page shows each theme's count of stories, as the store counts them.
    let page =
        body_text(app.call(request(&f, Some("carl"), "GET", "/themes", &[]).to_request()).await.unwrap())
            .await;
    let counts = f.state.archive.theme_counts().unwrap();
    assert!(
        counts
            .iter()
            .any(|count| count.theme.path.as_str() == "transport/accessibility" && count.stories >= 2)
    );
    for count in counts {
        let row = page.split(&format!("<code>{}</code></td>", count.theme.path)).nth(1).unwrap_or_default();
        let shown = row.split("<td>").nth(1).and_then(|cell| cell.split("</td>").next()).unwrap_or_default();
        assert_eq!(shown, count.stories.to_string(), "{}", count.theme.path);
    }

    // Withdrawing hides it from everyone at once, curators included.
    let withdraw = post(format!("/stories/{id}/status"), vec![("status", "withdrawn")]);
    assert_eq!(app.call(withdraw).await.unwrap().status(), StatusCode::SEE_OTHER);
    for who in ["rita", "carl", "cora"] {
        let page = app
            .call(request(&f, Some(who), "GET", &format!("/stories/{id}"), &[]).to_request())
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{who}");
    }
}

#[actix_web::test]
async fn a_quote_keeps_the_place_it_was_selected_from() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    let id = f.rita_story;
    // "The night bus never came, so I walked home in the rain.": "n" is there six times.
    let text = f.state.archive.story(id).unwrap().content.full_text();
    let mut expected = Vec::new();
    // (the passage, the occurrence the page's script sent) -> the status, and the quote's start
    for (passage, occurrence, status, start) in [
        ("n", "", 422, None),
        ("n", "2", 303, Some(text.match_indices('n').nth(1).unwrap().0)),
        ("never came", "", 303, Some(text.find("never came").unwrap())),
        ("never came", "2", 422, None),
    ] {
        let form = vec![("passage", passage), ("occurrence", occurrence)];
        let response = app
            .call(request(&f, Some("carl"), "POST", &format!("/stories/{id}/quotes"), &form).to_request())
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{passage:?} {occurrence:?}");
        let page = body_text(response).await;
        if status == 422 {
            assert!(page.contains("id=\"passage-error\""), "the reason sits by the field: {passage:?}");
        }
        let quotes = f.state.archive.story_for(&user(&f, "carl"), id).unwrap().curation.quotes;
        if let Some(start) = start {
            expected.push(storybank_domain::QuoteSpan::Text { start, end: start + passage.len() });
        }
        // A refused quote stores nothing.
        assert_eq!(quotes.iter().map(|quote| quote.span).collect::<Vec<_>>(), expected, "{passage:?}");
    }
}

#[actix_web::test]
async fn publishing_needs_consent_and_alt_text() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    let carl = |path: String, form: Vec<(&'static str, &'static str)>| {
        request(&f, Some("carl"), "POST", &path, &form).to_request()
    };
    let app = &app;
    let carl = &carl;
    let publish = |id: StoryId| async move {
        for status in ["reviewed", "published"] {
            let response =
                app.call(carl(format!("/stories/{id}/status"), vec![("status", status)])).await.unwrap();
            if response.status() != StatusCode::SEE_OTHER {
                return (response.status(), body_text(response).await);
            }
        }
        (StatusCode::SEE_OTHER, String::new())
    };
    let (status, page) = publish(f.rita_story).await;
    assert_eq!(status, StatusCode::CONFLICT, "rita's story has no consent yet");
    assert!(page.contains("record the storyteller"));

    let archive = &f.state.archive;
    let photo_without_alt = archive
        .story_summaries()
        .unwrap()
        .into_iter()
        .map(|summary| archive.story(summary.id).unwrap())
        .find(|story| story.content.lacks_alt_text() && !story.consent_missing())
        .expect("the sample has a photo story with consent and no alt text");
    let (status, page) = publish(photo_without_alt.id).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("add alt text"));
    let alt =
        carl(format!("/stories/{}/alt-text", photo_without_alt.id), vec![("alt_text", "Tins on a shelf")]);
    assert_eq!(app.call(alt).await.unwrap().status(), StatusCode::SEE_OTHER);
    let publish_again =
        carl(format!("/stories/{}/status", photo_without_alt.id), vec![("status", "published")]);
    assert_eq!(app.call(publish_again).await.unwrap().status(), StatusCode::SEE_OTHER);
    assert!(matches!(
        archive.story(photo_without_alt.id).unwrap().content,
        StoryContent::Image { alt_text: Some(_), .. }
    ));
}

#[actix_web::test]
async fn curators_accept_suggested_redactions_from_the_story_page() {
    let f = fixture();
    let app = test::init_service(build_app(f.state.clone())).await;
    let archive = &f.state.archive;
    let carl = f.state.accounts.user_named(&UserName::parse("carl").unwrap()).unwrap();
    // "Learning English, finding work": the reporter calls Maria, who tells it, by her name.
    let id = archive
        .story_summaries()
        .unwrap()
        .into_iter()
        .find(|s| s.title.as_str() == "Learning English, finding work")
        .unwrap()
        .id;
    let path = format!("/stories/{id}");
    let page =
        body_text(app.call(request(&f, Some("carl"), "GET", &path, &[]).to_request()).await.unwrap()).await;
    assert!(page.contains("Suggested redactions"), "the story page lists suggestions: {page}");
    let keys: Vec<String> = archive
        .redaction_suggestions(&carl, id)
        .unwrap()
        .into_iter()
        .filter(|s| s.found == "Maria")
        .map(|s| s.key())
        .collect();
    assert!(!keys.is_empty());
    let fields: Vec<(&str, &str)> = keys.iter().map(|key| ("s", key.as_str())).collect();
    let response = app
        .call(request(&f, Some("carl"), "POST", &format!("{path}/redactions"), &fields).to_request())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let text = archive.story(id).unwrap().content.full_text();
    assert!(text.contains("Reporter: [Person A], how long") && !text.contains("Thank you, Maria"), "{text}");
    // A phrase of an unknown kind is refused and changes nothing.
    let before = archive.story(id).unwrap();
    let bad = [("phrase", "the bus"), ("phrase_kind", "weather")];
    let response = app
        .call(request(&f, Some("carl"), "POST", &format!("{path}/redactions"), &bad).to_request())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(archive.story(id).unwrap().content, before.content);
}
