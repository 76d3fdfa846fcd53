//! The consent matrix: every audience x every consent scope x every read path (the story page,
//! search, the API, and pack exports). What a storyteller allowed decides who sees their story,
//! wherever it is read from.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::dev::Service;
use actix_web::http::StatusCode;
use actix_web::{test, web};
use storybank_archive::{Archive, Config, NoProgress, SearchRequest};
use storybank_domain::{
    Audience, Consent, ConsentScope, Evidence, FindingKind, Form, IdentifyAs, Password, Role, Roles, Status,
    Story, StoryId, Title, User, UserName,
};
use storybank_export::{ExportInfo, Format};
use storybank_server::{AppState, build_app};

use crate::support::sample_dir;

/// The consent a story has when it is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Given {
    Internal,
    Commissioners,
    Public,
    Missing,
    /// Commissioners, but it ended yesterday.
    Expired,
}

const GIVEN: [Given; 5] =
    [Given::Internal, Given::Commissioners, Given::Public, Given::Missing, Given::Expired];

/// Who may see a story with this consent: (curator, commissioner, public).
fn visible(given: Given) -> (bool, bool, bool) {
    match given {
        Given::Internal | Given::Missing | Given::Expired => (true, false, false),
        Given::Commissioners => (true, true, false),
        Given::Public => (true, true, true),
    }
}

fn consent(given: Given) -> Option<Consent> {
    let today = chrono::Utc::now().date_naive();
    let since = "2020-01-01".parse().unwrap();
    let (scope, expires) = match given {
        Given::Internal => (ConsentScope::Internal, None),
        Given::Commissioners => (ConsentScope::Commissioners, None),
        Given::Public => (ConsentScope::Public, None),
        Given::Missing => return None,
        Given::Expired => (ConsentScope::Commissioners, Some(today - chrono::Days::new(1))),
    };
    Some(Consent::new(scope, IdentifyAs::FullName, since, expires).unwrap())
}

struct Person {
    user: User,
    cookie: String,
    token: String,
}

fn person(archive: &Archive, name: &str, role: Role) -> Person {
    let accounts = archive.accounts();
    let password = Password::parse("a long test password").unwrap();
    let user =
        accounts.add_user(UserName::parse(name).unwrap(), Roles::new([role]).unwrap(), &password).unwrap();
    let cookie = accounts.log_in(name, "a long test password").unwrap().unwrap().token;
    let token = accounts.create_token(&user.name, "matrix").unwrap().1;
    Person { user, cookie, token }
}

fn export_json(archive: &Archive, reader: &User, pack: storybank_domain::PackId) -> String {
    let (resolved, version) = archive.export_pack_for(reader, pack, None, "json").unwrap();
    let info = ExportInfo {
        archive: "Matrix".into(),
        pack_id: pack,
        version: version.version,
        published_at: version.published_at,
        generated_at: chrono::Utc::now(),
    };
    String::from_utf8(storybank_export::export(Format::Json, &resolved, &info, &|_| None).unwrap()).unwrap()
}

#[actix_web::test]
async fn what_a_storyteller_allowed_decides_every_read_path() {
    let dir = tempfile::tempdir().unwrap();
    let archive = Arc::new(Archive::open(Config::new(dir.path())).unwrap());
    archive.ingest_paths(&[sample_dir()], &NoProgress).unwrap();
    let people: HashMap<&str, Person> = [
        ("carl", Role::Curator),
        ("cora", Role::Commissioner),
        ("rosa", Role::Reporter),
        ("adam", Role::Admin),
    ]
    .into_iter()
    .map(|(name, role)| (name, person(&archive, name, role)))
    .collect();
    let curator = &people["carl"].user;

    // Five text stories, each published with public consent, cited by a pack for commissioners
    // and a pack for the public; then each story's consent becomes one of the five cases.
    let stories: Vec<Story> = archive
        .story_summaries()
        .unwrap()
        .into_iter()
        .filter(|summary| summary.form == Form::Text)
        .take(GIVEN.len())
        .map(|summary| archive.story(summary.id).unwrap())
        .collect();
    for story in &stories {
        archive.set_consent(curator, story.id, consent(Given::Public)).unwrap();
        for status in [Status::Reviewed, Status::Published] {
            archive.change_status(curator, story.id, status).unwrap();
        }
    }
    let mut packs = HashMap::new();
    for audience in [Audience::Commissioner, Audience::Public] {
        let title = Title::parse(&format!("For {audience}")).unwrap();
        let pack = archive.create_pack(curator, title.clone(), title, audience).unwrap();
        let finding = archive
            .edit_pack(curator, pack, |pack| {
                pack.add_finding(FindingKind::Insight, Title::parse("All of them").unwrap(), None)
            })
            .unwrap();
        for story in &stories {
            archive.add_evidence(curator, pack, finding, Evidence::Story { story: story.id }).unwrap();
        }
        archive.publish_pack(curator, pack).unwrap();
        packs.insert(audience, pack);
    }
    let cases: Vec<(Given, &Story)> = GIVEN.iter().copied().zip(&stories).collect();
    for (given, story) in &cases {
        archive.set_consent(curator, story.id, consent(*given)).unwrap();
    }

    let app =
        test::init_service(build_app(web::Data::new(AppState::new(Arc::clone(&archive), false, "Matrix"))))
            .await;
    let today = chrono::Utc::now().date_naive();
    let found_by = |audience: Audience| -> Vec<StoryId> {
        let mut request = SearchRequest::new("", audience, today);
        request.limit = 1000;
        archive.search(&request).unwrap().hits.iter().map(|hit| hit.id).collect()
    };
    let (by_curator, by_commissioner, by_public) =
        (found_by(Audience::Curator), found_by(Audience::Commissioner), found_by(Audience::Public));
    let exports: HashMap<Audience, String> = packs
        .iter()
        .map(|(audience, pack)| (*audience, export_json(&archive, &people["cora"].user, *pack)))
        .collect();

    for (given, story) in &cases {
        let (curator_sees, commissioner_sees, public_sees) = visible(*given);
        let id = story.id;
        let case = format!("{given:?} ({id})");
        // Search, by each audience.
        assert_eq!(by_curator.contains(&id), curator_sees, "search as curator: {case}");
        assert_eq!(by_commissioner.contains(&id), commissioner_sees, "search as commissioner: {case}");
        assert_eq!(by_public.contains(&id), public_sees, "search as the public: {case}");
        // The story page and the API, by each person.
        let page = |sees: bool| if sees { 200 } else { 404 };
        for (who, page_status, api_status) in [
            ("carl", page(curator_sees), page(curator_sees)),
            ("cora", page(commissioner_sees), page(commissioner_sees)),
            ("rosa", 404, 404),
            ("adam", 403, 404),
        ] {
            let request = test::TestRequest::get()
                .uri(&format!("/stories/{id}"))
                .cookie(actix_web::cookie::Cookie::new("sb_session", people[who].cookie.clone()))
                .to_request();
            let response = app.call(request).await.unwrap();
            assert_eq!(response.status().as_u16(), page_status, "page as {who}: {case}");
            if who == "cora" && response.status() == StatusCode::OK {
                let body: Result<_, Box<dyn std::error::Error>> =
                    actix_web::body::to_bytes(response.into_body()).await.map_err(Into::into);
                let html = String::from_utf8_lossy(&body.unwrap()).into_owned();
                let reporter =
                    story.details.reporter.as_ref().map(|r| r.as_str().to_owned()).unwrap_or_default();
                assert!(
                    reporter.is_empty() || !html.contains(&reporter),
                    "the reporter shown to {who}: {case}"
                );
            }
            let request = test::TestRequest::get()
                .uri(&format!("/api/v1/stories/{id}"))
                .insert_header(("Authorization", format!("Bearer {}", people[who].token)))
                .to_request();
            let response = app.call(request).await.unwrap();
            assert_eq!(response.status().as_u16(), api_status, "API as {who}: {case}");
        }
        // Exports of the packs that cite it, as each pack's audience reads them.
        let title = story.details.title.as_str();
        assert_eq!(
            exports[&Audience::Commissioner].contains(title),
            commissioner_sees,
            "commissioners' export: {case}"
        );
        assert_eq!(exports[&Audience::Public].contains(title), public_sees, "public export: {case}");
    }
}
