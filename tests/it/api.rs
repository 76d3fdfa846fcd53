//! The JSON API, in process: every endpoint by every role, with bearer tokens; errors as
//! `{"error": {"code", "message"}}`; and every JSON answer checked against the OpenAPI document
//! the server publishes.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::dev::Service;
use actix_web::{test, web};
use base64::Engine as _;
use serde_json::{Value, json};
use storybank_archive::{Archive, Config, NoProgress, QuoteSelection};
use storybank_domain::{
    Audience, ConsentScope, Evidence, FindingKind, Form, Password, Role, Roles, Status, StoryContent, Title,
    UserName,
};
use storybank_server::{AppState, build_app};

use crate::support::sample_dir;

struct Api {
    _dir: tempfile::TempDir,
    state: web::Data<AppState>,
    tokens: HashMap<&'static str, String>,
}

const PEOPLE: [(&str, Role); 5] = [
    ("rita", Role::Reporter),
    ("rosa", Role::Reporter),
    ("carl", Role::Curator),
    ("cora", Role::Commissioner),
    ("adam", Role::Admin),
];

fn api() -> Api {
    let dir = tempfile::tempdir().unwrap();
    let archive = Arc::new(Archive::open(Config::new(dir.path())).unwrap());
    archive.ingest_paths(&[sample_dir()], &NoProgress).unwrap();
    let accounts = archive.accounts();
    let password = Password::parse("a long test password").unwrap();
    let mut tokens = HashMap::new();
    for (name, role) in PEOPLE {
        let name_parsed = UserName::parse(name).unwrap();
        accounts.add_user(name_parsed.clone(), Roles::new([role]).unwrap(), &password).unwrap();
        tokens.insert(name, accounts.create_token(&name_parsed, "tests").unwrap().1);
    }
    let state = web::Data::new(AppState::new(archive, false, "Storybank API test"));
    Api { _dir: dir, state, tokens }
}

/// Checks `value` against an OpenAPI 3.1 schema (the subset utoipa writes: `$ref`, `type` (one or
/// a list, with "null"), `properties`, `required`, `items`, `oneOf`/`anyOf`/`allOf`, `enum`).
/// Returns what does not fit, with JSON paths.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/components/schemas/");
        match doc["components"]["schemas"].get(name) {
            Some(target) => check(doc, target, value, at, problems),
            None => problems.push(format!("{at}: unknown schema {reference}")),
        }
        return;
    }
    for (key, any) in [("oneOf", true), ("anyOf", true), ("allOf", false)] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let fits: Vec<bool> = options
                .iter()
                .map(|option| {
                    let mut inner = Vec::new();
                    check(doc, option, value, at, &mut inner);
                    inner.is_empty()
                })
                .collect();
            let ok = if any { fits.iter().any(|f| *f) } else { fits.iter().all(|f| *f) };
            if !ok {
                problems.push(format!("{at}: {value} fits no {key} option"));
            }
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        problems.push(format!("{at}: {value} is not one of {options:?}"));
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
        if !fits {
            problems.push(format!("{at}: expected {types:?}, got {actual} {value}"));
            return;
        }
    }
    if let (Some(properties), Value::Object(object)) =
        (schema.get("properties").and_then(Value::as_object), value)
    {
        for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let name = required.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                problems.push(format!("{at}: missing required {name}"));
            }
        }
        for (name, field) in object {
            match properties.get(name) {
                Some(property) => check(doc, property, field, &format!("{at}.{name}"), problems),
                None => problems.push(format!("{at}: {name} is not in the schema")),
            }
        }
    }
    if let (Some(items), Value::Array(array)) = (schema.get("items"), value) {
        for (index, item) in array.iter().enumerate() {
            check(doc, items, item, &format!("{at}[{index}]"), problems);
        }
    }
}

/// One call: who, method, the path template (as in the OpenAPI document), the path, a JSON body,
/// and the expected status.
struct Call {
    who: Option<&'static str>,
    method: &'static str,
    template: &'static str,
    path: String,
    body: Option<Value>,
    status: u16,
}

fn call(
    who: Option<&'static str>,
    method: &'static str,
    template: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    status: u16,
) -> Call {
    Call { who, method, template, path: path.into(), body, status }
}

#[actix_web::test]
async fn every_endpoint_answers_every_role_and_every_answer_fits_the_openapi_document() {
    let f = api();
    let app = test::init_service(build_app(f.state.clone())).await;
    let archive = &f.state.archive;
    let carl = f.state.accounts.user_named(&UserName::parse("carl").unwrap()).unwrap();

    // A published story whose consent reaches commissioners, with a quote, in a published pack.
    let today = chrono::Utc::now().date_naive();
    let shared = archive
        .story_summaries()
        .unwrap()
        .iter()
        .map(|s| archive.story(s.id).unwrap())
        .find(|s| s.form() == Form::Text && s.effective_scope(today) == ConsentScope::Commissioners)
        .unwrap();
    archive.set_status(shared.id, Status::Reviewed).unwrap();
    archive.set_status(shared.id, Status::Published).unwrap();
    let StoryContent::Text { body } = &shared.content else { unreachable!() };
    let line = body.lines().map(str::trim).find(|l| l.len() > 40 && !l.starts_with('#')).unwrap();
    let passage: String = line.chars().take(40).collect();
    let quote = archive
        .add_quote(&carl, shared.id, QuoteSelection::Passage { text: &passage, occurrence: None }, Vec::new())
        .unwrap();
    let title = |raw: &str| Title::parse(raw).unwrap();
    let pack = archive.create_pack(&carl, title("Transport"), title("How?"), Audience::Commissioner).unwrap();
    let finding = archive
        .edit_pack(&carl, pack, |p| p.add_finding(FindingKind::Barrier, title("Buses stop early"), None))
        .unwrap();
    archive
        .add_evidence(&carl, pack, finding, Evidence::Quote { story: shared.id, quote: quote.id })
        .unwrap();
    archive.publish_pack(&carl, pack).unwrap();
    // An internal story commissioners may not see.
    let internal = archive
        .story_summaries()
        .unwrap()
        .iter()
        .map(|s| archive.story(s.id).unwrap())
        .find(|s| s.effective_scope(today) == ConsentScope::Internal)
        .unwrap();

    let (shared, internal, pack) = (shared.id.to_string(), internal.id.to_string(), pack.to_string());
    let manifest = |title: &str| {
        json!({"manifest": {
            "title": title, "form": "text", "body": "We waited two hours for the bus to the clinic.",
            "language": "en", "themes": ["transport"], "tags": ["buses"],
            "consent": {"scope": "commissioners", "identify_as": "first_name", "given_on": "2026-11-01"}
        }})
    };
    let photo = std::fs::read(sample_dir().join("stories/fi/bus-stop-rain-gps.jpg")).unwrap();
    let photo_story = json!({
        "manifest": {"title": "Rain at the stop", "form": "image", "file": "stop.jpg", "caption": "Waiting in the rain.",
                     "alt_text": "A bus shelter in the rain", "language": "en"},
        "file_base64": base64::engine::general_purpose::STANDARD.encode(&photo),
    });

    let mut calls = vec![
        // Who may search: curators and commissioners; a token is needed.
        call(None, "GET", "/api/v1/search", "/api/v1/search?q=bus", None, 401),
        call(Some("rita"), "GET", "/api/v1/search", "/api/v1/search?q=bus", None, 403),
        call(
            Some("carl"),
            "GET",
            "/api/v1/search",
            "/api/v1/search?q=bus&theme=transport&limit=5",
            None,
            200,
        ),
        call(Some("cora"), "GET", "/api/v1/search", "/api/v1/search", None, 200),
        call(Some("carl"), "GET", "/api/v1/search", "/api/v1/search?form=video", None, 422),
        // Deep paging is refused (a collector of that size would exhaust memory), far dates are fine.
        call(Some("cora"), "GET", "/api/v1/search", "/api/v1/search?offset=1000000000000", None, 422),
        call(Some("cora"), "GET", "/api/v1/search", "/api/v1/search?offset=18446744073709551615", None, 422),
        call(
            Some("carl"),
            "GET",
            "/api/v1/search",
            "/api/v1/search?from=9999-01-01&to=9999-12-31",
            None,
            200,
        ),
        call(Some("adam"), "GET", "/api/v1/search", "/api/v1/search", None, 403),
        // Creating stories: reporters, through ingestion.
        call(
            Some("rita"),
            "POST",
            "/api/v1/stories",
            "/api/v1/stories",
            Some(manifest("The clinic bus")),
            201,
        ),
        call(
            Some("rita"),
            "POST",
            "/api/v1/stories",
            "/api/v1/stories",
            Some(manifest("The clinic bus")),
            409,
        ),
        call(Some("rita"), "POST", "/api/v1/stories", "/api/v1/stories", Some(photo_story), 201),
        call(
            Some("rita"),
            "POST",
            "/api/v1/stories",
            "/api/v1/stories",
            Some(json!({"manifest": {"form": "text", "body": "x"}})),
            422,
        ),
        call(Some("rita"), "POST", "/api/v1/stories", "/api/v1/stories", Some(json!({"nope": 1})), 400),
        call(
            Some("carl"),
            "POST",
            "/api/v1/stories",
            "/api/v1/stories",
            Some(manifest("Curators do not submit")),
            403,
        ),
        call(None, "POST", "/api/v1/stories", "/api/v1/stories", Some(manifest("Nobody")), 401),
        // Reading stories: as each may see them.
        call(Some("carl"), "GET", "/api/v1/stories/{id}", format!("/api/v1/stories/{shared}"), None, 200),
        call(Some("cora"), "GET", "/api/v1/stories/{id}", format!("/api/v1/stories/{shared}"), None, 200),
        call(Some("cora"), "GET", "/api/v1/stories/{id}", format!("/api/v1/stories/{internal}"), None, 404),
        call(Some("rosa"), "GET", "/api/v1/stories/{id}", format!("/api/v1/stories/{shared}"), None, 404),
        call(Some("carl"), "GET", "/api/v1/stories/{id}", "/api/v1/stories/not-an-id", None, 404),
        // Curating.
        call(
            Some("carl"),
            "PATCH",
            "/api/v1/stories/{id}",
            format!("/api/v1/stories/{internal}"),
            Some(json!({"place": "Leeds", "prompt": ""})),
            200,
        ),
        call(
            Some("carl"),
            "PATCH",
            "/api/v1/stories/{id}",
            format!("/api/v1/stories/{internal}"),
            Some(json!({"title": ""})),
            422,
        ),
        call(
            Some("carl"),
            "PATCH",
            "/api/v1/stories/{id}",
            format!("/api/v1/stories/{internal}"),
            Some(json!({"colour": "red"})),
            400,
        ),
        call(
            Some("cora"),
            "PATCH",
            "/api/v1/stories/{id}",
            format!("/api/v1/stories/{shared}"),
            Some(json!({"place": "x"})),
            403,
        ),
        call(
            Some("carl"),
            "POST",
            "/api/v1/stories/{id}/tags",
            format!("/api/v1/stories/{internal}/tags"),
            Some(json!({"tag": "night-bus"})),
            200,
        ),
        call(
            Some("carl"),
            "POST",
            "/api/v1/stories/{id}/tags",
            format!("/api/v1/stories/{internal}/tags"),
            Some(json!({"tag": "<b>"})),
            422,
        ),
        call(
            Some("cora"),
            "POST",
            "/api/v1/stories/{id}/tags",
            format!("/api/v1/stories/{shared}/tags"),
            Some(json!({"tag": "x"})),
            403,
        ),
        call(
            Some("carl"),
            "DELETE",
            "/api/v1/stories/{id}/tags/{tag}",
            format!("/api/v1/stories/{internal}/tags/night-bus"),
            None,
            200,
        ),
        call(
            Some("carl"),
            "POST",
            "/api/v1/stories/{id}/themes",
            format!("/api/v1/stories/{internal}/themes"),
            Some(json!({"theme": "transport"})),
            200,
        ),
        call(
            Some("carl"),
            "POST",
            "/api/v1/stories/{id}/themes",
            format!("/api/v1/stories/{internal}/themes"),
            Some(json!({"theme": "no-such-theme"})),
            422,
        ),
        call(
            Some("carl"),
            "DELETE",
            "/api/v1/stories/{id}/themes/{theme}",
            format!("/api/v1/stories/{internal}/themes/transport"),
            None,
            200,
        ),
        call(
            Some("cora"),
            "POST",
            "/api/v1/stories/{id}/themes",
            format!("/api/v1/stories/{shared}/themes"),
            Some(json!({"theme": "transport"})),
            403,
        ),
        call(
            Some("carl"),
            "GET",
            "/api/v1/stories/{id}/quotes",
            format!("/api/v1/stories/{shared}/quotes"),
            None,
            200,
        ),
        call(
            Some("cora"),
            "GET",
            "/api/v1/stories/{id}/quotes",
            format!("/api/v1/stories/{shared}/quotes"),
            None,
            200,
        ),
        call(
            Some("carl"),
            "POST",
            "/api/v1/stories/{id}/quotes",
            format!("/api/v1/stories/{shared}/quotes"),
            Some(json!({"passage": "words that are not in the story at all"})),
            422,
        ),
        call(
            Some("cora"),
            "POST",
            "/api/v1/stories/{id}/quotes",
            format!("/api/v1/stories/{shared}/quotes"),
            Some(json!({"passage": passage})),
            403,
        ),
        // Themes and packs.
        call(Some("rita"), "GET", "/api/v1/themes", "/api/v1/themes", None, 200),
        call(Some("carl"), "GET", "/api/v1/themes", "/api/v1/themes", None, 200),
        call(Some("carl"), "GET", "/api/v1/packs", "/api/v1/packs", None, 200),
        call(Some("cora"), "GET", "/api/v1/packs", "/api/v1/packs", None, 200),
        call(Some("rita"), "GET", "/api/v1/packs", "/api/v1/packs", None, 403),
        call(Some("carl"), "GET", "/api/v1/packs/{id}", format!("/api/v1/packs/{pack}"), None, 200),
        call(Some("cora"), "GET", "/api/v1/packs/{id}", format!("/api/v1/packs/{pack}?version=1"), None, 200),
        call(Some("cora"), "GET", "/api/v1/packs/{id}", format!("/api/v1/packs/{pack}?version=7"), None, 404),
        call(Some("rita"), "GET", "/api/v1/packs/{id}", format!("/api/v1/packs/{pack}"), None, 404),
        // Withdrawal: then the story is gone for everyone, and the pack shows it withdrawn.
        call(
            Some("cora"),
            "POST",
            "/api/v1/stories/{id}/withdraw",
            format!("/api/v1/stories/{shared}/withdraw"),
            None,
            403,
        ),
        call(
            Some("carl"),
            "POST",
            "/api/v1/stories/{id}/withdraw",
            format!("/api/v1/stories/{shared}/withdraw"),
            None,
            204,
        ),
        call(Some("cora"), "GET", "/api/v1/stories/{id}", format!("/api/v1/stories/{shared}"), None, 404),
        call(Some("carl"), "GET", "/api/v1/stories/{id}", format!("/api/v1/stories/{shared}"), None, 404),
        call(Some("cora"), "GET", "/api/v1/packs/{id}", format!("/api/v1/packs/{pack}"), None, 200),
    ];
    // An unknown endpoint, and an oversized body (small bodies everywhere but story creation).
    calls.push(call(Some("carl"), "GET", "", "/api/v1/no-such-thing", None, 404));
    calls.push(call(
        Some("carl"),
        "POST",
        "",
        format!("/api/v1/stories/{internal}/tags"),
        Some(json!({"tag": "x".repeat(70_000)})),
        413,
    ));

    let doc = test::call_and_read_body_json::<_, _, Value>(
        &app,
        test::TestRequest::get().uri("/api/v1/openapi.json").to_request(),
    )
    .await;
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."), "an OpenAPI 3 document");
    let mut failures = Vec::new();
    let mut bodies: HashMap<String, Value> = HashMap::new();
    for call in &calls {
        let mut request = match call.method {
            "GET" => test::TestRequest::get(),
            "POST" => test::TestRequest::post(),
            "PATCH" => test::TestRequest::patch(),
            _ => test::TestRequest::delete(),
        }
        .uri(&call.path);
        if let Some(who) = call.who {
            request = request.insert_header(("Authorization", format!("Bearer {}", f.tokens[who])));
        }
        if let Some(body) = &call.body {
            request = request.set_json(body);
        }
        let response = app.call(request.to_request()).await.unwrap();
        let status = response.status().as_u16();
        let label = format!("{} {} as {}", call.method, call.path, call.who.unwrap_or("nobody"));
        if status != call.status {
            let body = test::read_body(response).await;
            failures.push(format!(
                "{label}: expected {}, got {status}: {}",
                call.status,
                String::from_utf8_lossy(&body)
            ));
            continue;
        }
        let body = test::read_body(response).await;
        if status == 204 {
            continue;
        }
        let value: Value = match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(err) => {
                failures.push(format!("{label}: not JSON ({err})"));
                continue;
            }
        };
        if status >= 400 {
            let error = &value["error"];
            if !error["code"].is_string() || error["message"].as_str().is_none_or(str::is_empty) {
                failures.push(format!("{label}: not an error body: {value}"));
            }
        }
        if call.template.is_empty() {
            continue;
        }
        let operation = &doc["paths"][call.template][call.method.to_lowercase()];
        let schema = &operation["responses"][status.to_string()]["content"]["application/json"]["schema"];
        if schema.is_null() {
            failures.push(format!(
                "{label}: status {status} is not documented for {} {}",
                call.method, call.template
            ));
            continue;
        }
        let mut problems = Vec::new();
        check(&doc, schema, &value, "$", &mut problems);
        for problem in problems {
            failures.push(format!("{label}: {problem}"));
        }
        bodies.insert(label, value);
    }
    assert!(
        failures.is_empty(),
        "{} of {} calls failed:\n{}",
        failures.len(),
        calls.len(),
        failures.join("\n")
    );

    // What commissioners saw of the shared story: no reporter, place coarsened.
    let seen = &bodies[&format!("GET /api/v1/stories/{shared} as cora")];
    assert_eq!(seen["reporter"], Value::Null);
    assert_eq!(seen["key_message"], Value::Null);
    // After the withdrawal the pack's evidence is withdrawn, with no story data.
    let after = &bodies[&format!("GET /api/v1/packs/{pack} as cora")];
    let evidence = &after["findings"][0]["evidence"][0];
    assert_eq!(
        (evidence["state"].as_str(), evidence["reason"].as_str()),
        (Some("unavailable"), Some("withdrawn"))
    );
    assert_eq!(evidence["story_id"], Value::Null);
    // Commissioners' search never filters by reporter or exact place, and shows no source.
    let search = &bodies["GET /api/v1/search as cora"];
    assert!(search["total"].as_u64().unwrap() >= 1);
}

#[actix_web::test]
async fn tokens_are_refused_when_revoked_malformed_or_their_user_is_disabled() {
    let f = api();
    let app = test::init_service(build_app(f.state.clone())).await;
    let get = |token: String| {
        test::TestRequest::get().uri("/api/v1/themes").insert_header(("Authorization", token)).to_request()
    };
    let ok = app.call(get(format!("Bearer {}", f.tokens["carl"]))).await.unwrap();
    assert_eq!(ok.status(), 200);
    let lower = app.call(get(format!("bearer {}", f.tokens["carl"]))).await.unwrap();
    assert_eq!(lower.status(), 200, "the scheme is case-insensitive");
    // A bearer-token request is not a cookie form: a foreign Origin does not matter to it.
    let foreign = test::TestRequest::post()
        .uri("/api/v1/stories/not-an-id/tags")
        .insert_header(("Authorization", format!("Bearer {}", f.tokens["carl"])))
        .insert_header(("Origin", "https://elsewhere.example"))
        .set_json(json!({"tag": "x"}))
        .to_request();
    let foreign = app.call(foreign).await.unwrap();
    assert_eq!(foreign.status(), 404);
    let body: Value = test::read_body_json(foreign).await;
    assert_eq!(body["error"]["code"], "not_found");
    for header in ["Bearer ", "Bearer sbk_forged", "Basic Y2FybDpwYXNz", &f.tokens["carl"]] {
        let refused = app.call(get(header.to_owned())).await.unwrap();
        assert_eq!(refused.status(), 401, "{header}");
        assert!(refused.headers().get("www-authenticate").is_some());
        let body: Value = test::read_body_json(refused).await;
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let accounts = &f.state.accounts;
    let cora = UserName::parse("cora").unwrap();
    accounts.set_disabled(&cora, true).unwrap();
    assert_eq!(app.call(get(format!("Bearer {}", f.tokens["cora"]))).await.unwrap().status(), 401);
    accounts.set_disabled(&cora, false).unwrap();
    let id = accounts.tokens().unwrap().into_iter().find(|t| t.user_name == "cora").unwrap().id;
    accounts.revoke_token(&id.to_string()).unwrap();
    assert_eq!(app.call(get(format!("Bearer {}", f.tokens["cora"]))).await.unwrap().status(), 401);
    // The endpoint list page names every path of the document.
    let page = test::call_and_read_body(&app, test::TestRequest::get().uri("/api/v1").to_request()).await;
    let page = String::from_utf8(page.to_vec()).unwrap();
    for path in ["/api/v1/search", "/api/v1/stories/{id}", "/api/v1/packs/{id}"] {
        assert!(page.contains(path), "{path} is listed");
    }
}

#[actix_web::test]
async fn the_schema_check_catches_answers_that_do_not_fit() {
    let f = api();
    let app = test::init_service(build_app(f.state.clone())).await;
    let doc = test::call_and_read_body_json::<_, _, Value>(
        &app,
        test::TestRequest::get().uri("/api/v1/openapi.json").to_request(),
    )
    .await;
    let schema =
        &doc["paths"]["/api/v1/search"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(!schema.is_null());
    let facets = json!({"themes": [], "forms": [], "languages": [], "story_types": [], "places": []});
    for (value, fits) in [
        (json!({"total": 0, "hits": [], "facets": facets}), true),
        (json!({"total": "0", "hits": [], "facets": facets}), false),
        (json!({"total": 0, "hits": [{"id": 1}], "facets": facets}), false),
        (json!({"total": 0, "hits": []}), false),
        (json!({"total": 0, "hits": [], "facets": facets, "extra": true}), false),
    ] {
        let mut problems = Vec::new();
        check(&doc, schema, &value, "$", &mut problems);
        assert_eq!(problems.is_empty(), fits, "{value}: {problems:?}");
    }
}

/// Sends one call, checks its status, and checks a JSON answer against the document.
async fn send<S, B>(app: &S, doc: &Value, token: Option<&str>, c: Call) -> Value
where
    S: Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let mut request = match c.method {
        "GET" => test::TestRequest::get(),
        "POST" => test::TestRequest::post(),
        "PATCH" => test::TestRequest::patch(),
        _ => test::TestRequest::delete(),
    }
    .uri(&c.path);
    if let Some(token) = token {
        request = request.insert_header(("Authorization", format!("Bearer {token}")));
    }
    if let Some(body) = &c.body {
        request = request.set_json(body);
    }
    let response = app.call(request.to_request()).await.unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = test::read_body(response).await;
    let label = format!("{} {} as {}", c.method, c.path, c.who.unwrap_or("nobody"));
    assert_eq!(status, c.status, "{label}: {}", String::from_utf8_lossy(&body));
    if status == 204 || !content_type.starts_with("application/json") {
        return Value::Null;
    }
    let value: Value = serde_json::from_slice(&body).unwrap();
    let schema = &doc["paths"][c.template][c.method.to_lowercase()]["responses"][status.to_string()]["content"]
        ["application/json"]["schema"];
    assert!(!schema.is_null(), "{label}: status {status} is not documented");
    let mut problems = Vec::new();
    check(doc, schema, &value, "$", &mut problems);
    assert!(problems.is_empty(), "{label}: {problems:?}");
    value
}

#[actix_web::test]
async fn curators_build_publish_and_export_a_pack_through_the_api() {
    let f = api();
    let app = test::init_service(build_app(f.state.clone())).await;
    let doc = test::call_and_read_body_json::<_, _, Value>(
        &app,
        test::TestRequest::get().uri("/api/v1/openapi.json").to_request(),
    )
    .await;
    let archive = &f.state.archive;
    let today = chrono::Utc::now().date_naive();
    let story = archive
        .story_summaries()
        .unwrap()
        .iter()
        .map(|s| archive.story(s.id).unwrap())
        .find(|s| s.form() == Form::Text && s.effective_scope(today) >= ConsentScope::Commissioners)
        .unwrap();
    archive.set_status(story.id, Status::Reviewed).unwrap();
    archive.set_status(story.id, Status::Published).unwrap();
    let token = |who: &str| Some(f.tokens[who].clone());
    let new_pack = json!({"title": "Getting to care", "question": "How do people reach the clinic?", "audience": "commissioner"});

    send(
        &app,
        &doc,
        token("cora").as_deref(),
        call(Some("cora"), "POST", "/api/v1/packs", "/api/v1/packs", Some(new_pack.clone()), 403),
    )
    .await;
    send(
        &app,
        &doc,
        token("carl").as_deref(),
        call(
            Some("carl"),
            "POST",
            "/api/v1/packs",
            "/api/v1/packs",
            Some(json!({"title": "x", "question": "y", "audience": "everyone"})),
            422,
        ),
    )
    .await;
    let created = send(
        &app,
        &doc,
        token("carl").as_deref(),
        call(Some("carl"), "POST", "/api/v1/packs", "/api/v1/packs", Some(new_pack), 201),
    )
    .await;
    let pack = created["id"].as_str().unwrap().to_owned();
    let finding = send(
        &app,
        &doc,
        token("carl").as_deref(),
        call(
            Some("carl"),
            "POST",
            "/api/v1/packs/{id}/findings",
            format!("/api/v1/packs/{pack}/findings"),
            Some(json!({"type": "barrier", "statement": "The last bus leaves early"})),
            201,
        ),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Nothing to publish without evidence.
    send(
        &app,
        &doc,
        token("carl").as_deref(),
        call(
            Some("carl"),
            "POST",
            "/api/v1/packs/{id}/publish",
            format!("/api/v1/packs/{pack}/publish"),
            None,
            409,
        ),
    )
    .await;
    let evidence = format!("/api/v1/packs/{pack}/findings/{finding}/evidence");
    let story_body = json!({"story_id": story.id.to_string()});
    send(
        &app,
        &doc,
        token("carl").as_deref(),
        call(
            Some("carl"),
            "POST",
            "/api/v1/packs/{id}/findings/{finding}/evidence",
            evidence.clone(),
            Some(story_body.clone()),
            204,
        ),
    )
    .await;
    send(
        &app,
        &doc,
        token("carl").as_deref(),
        call(
            Some("carl"),
            "POST",
            "/api/v1/packs/{id}/findings/{finding}/evidence",
            evidence.clone(),
            Some(story_body),
            422,
        ),
    )
    .await;
    send(
        &app,
        &doc,
        token("carl").as_deref(),
        call(
            Some("carl"),
            "POST",
            "/api/v1/packs/{id}/findings/{finding}/evidence",
            evidence,
            Some(json!({"story_id": storybank_domain::StoryId::new().to_string()})),
            404,
        ),
    )
    .await;
    // Commissioners see nothing until it is published.
    send(
        &app,
        &doc,
        token("cora").as_deref(),
        call(Some("cora"), "GET", "/api/v1/packs/{id}", format!("/api/v1/packs/{pack}"), None, 404),
    )
    .await;
    send(
        &app,
        &doc,
        token("cora").as_deref(),
        call(
            Some("cora"),
            "GET",
            "/api/v1/packs/{id}/export/{format}",
            format!("/api/v1/packs/{pack}/export/json"),
            None,
            404,
        ),
    )
    .await;
    let published = send(
        &app,
        &doc,
        token("carl").as_deref(),
        call(
            Some("carl"),
            "POST",
            "/api/v1/packs/{id}/publish",
            format!("/api/v1/packs/{pack}/publish"),
            None,
            200,
        ),
    )
    .await;
    assert_eq!(published["version"], 1);
    let read = send(
        &app,
        &doc,
        token("cora").as_deref(),
        call(Some("cora"), "GET", "/api/v1/packs/{id}", format!("/api/v1/packs/{pack}"), None, 200),
    )
    .await;
    assert_eq!(read["findings"][0]["evidence"][0]["story_id"], story.id.to_string());
    // Each export format, as the commissioner.
    for format in ["html", "md", "json", "csv"] {
        let response = app
            .call(
                test::TestRequest::get()
                    .uri(&format!("/api/v1/packs/{pack}/export/{format}"))
                    .insert_header(("Authorization", format!("Bearer {}", f.tokens["cora"])))
                    .to_request(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{format}");
        let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        assert!(body.contains("The last bus leaves early"), "{format}");
    }
    send(
        &app,
        &doc,
        token("cora").as_deref(),
        call(
            Some("cora"),
            "GET",
            "/api/v1/packs/{id}/export/{format}",
            format!("/api/v1/packs/{pack}/export/pdf"),
            None,
            404,
        ),
    )
    .await;
}

/// The API's permission matrix: every endpoint by nobody, the reporter who submitted the story,
/// another reporter, a curator, a commissioner and an admin. A story someone may not see is
/// 404; an action their role does not allow on a story they see is 403.
#[actix_web::test]
async fn the_permission_matrix_of_the_api() {
    let f = api();
    let app = test::init_service(build_app(f.state.clone())).await;
    let doc = test::call_and_read_body_json::<_, _, Value>(
        &app,
        test::TestRequest::get().uri("/api/v1/openapi.json").to_request(),
    )
    .await;
    let archive = &f.state.archive;
    let carl = f.state.accounts.user_named(&UserName::parse("carl").unwrap()).unwrap();
    let today = chrono::Utc::now().date_naive();
    let stories: Vec<_> =
        archive.story_summaries().unwrap().iter().map(|s| archive.story(s.id).unwrap()).collect();
    let shared = stories
        .iter()
        .find(|s| s.form() == Form::Text && s.effective_scope(today) == ConsentScope::Commissioners)
        .unwrap()
        .id;
    archive.set_status(shared, Status::Reviewed).unwrap();
    archive.set_status(shared, Status::Published).unwrap();
    let internal = stories.iter().find(|s| s.effective_scope(today) == ConsentScope::Internal).unwrap().id;
    let title = |raw: &str| Title::parse(raw).unwrap();
    let pack = archive.create_pack(&carl, title("Transport"), title("How?"), Audience::Commissioner).unwrap();
    let finding = archive
        .edit_pack(&carl, pack, |p| p.add_finding(FindingKind::Barrier, title("Late buses"), None))
        .unwrap();
    archive.add_evidence(&carl, pack, finding, Evidence::Story { story: shared }).unwrap();
    archive.publish_pack(&carl, pack).unwrap();
    // rita's own submission, through the API.
    let own = send(
        &app,
        &doc,
        Some(&f.tokens["rita"]),
        call(
            Some("rita"),
            "POST",
            "/api/v1/stories",
            "/api/v1/stories",
            Some(json!({"manifest": {"title": "Rita's bus", "form": "text", "language": "en",
                "body": "We waited two hours for the bus to the clinic."}})),
            201,
        ),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let who: [Option<&'static str>; 6] =
        [None, Some("rita"), Some("rosa"), Some("carl"), Some("cora"), Some("adam")];
    type Row = (&'static str, &'static str, String, Option<Value>, [u16; 6]);
    let rows: Vec<Row> = vec![
        ("GET", "/api/v1/search", "/api/v1/search?q=bus".into(), None, [401, 403, 403, 200, 200, 403]),
        (
            "GET",
            "/api/v1/stories/{id}",
            format!("/api/v1/stories/{own}"),
            None,
            [401, 200, 404, 200, 404, 404],
        ),
        (
            "GET",
            "/api/v1/stories/{id}",
            format!("/api/v1/stories/{shared}"),
            None,
            [401, 404, 404, 200, 200, 404],
        ),
        (
            "GET",
            "/api/v1/stories/{id}",
            format!("/api/v1/stories/{internal}"),
            None,
            [401, 404, 404, 200, 404, 404],
        ),
        (
            "GET",
            "/api/v1/stories/{id}/quotes",
            format!("/api/v1/stories/{shared}/quotes"),
            None,
            [401, 404, 404, 200, 200, 404],
        ),
        (
            "POST",
            "/api/v1/stories/{id}/tags",
            format!("/api/v1/stories/{own}/tags"),
            Some(json!({"tag": "buses"})),
            [401, 200, 404, 200, 404, 404],
        ),
        (
            "DELETE",
            "/api/v1/stories/{id}/tags/{tag}",
            format!("/api/v1/stories/{own}/tags/buses"),
            None,
            [401, 200, 404, 200, 404, 404],
        ),
        (
            "POST",
            "/api/v1/stories/{id}/themes",
            format!("/api/v1/stories/{own}/themes"),
            Some(json!({"theme": "transport"})),
            [401, 403, 404, 200, 404, 404],
        ),
        (
            "DELETE",
            "/api/v1/stories/{id}/themes/{theme}",
            format!("/api/v1/stories/{own}/themes/transport"),
            None,
            [401, 403, 404, 200, 404, 404],
        ),
        (
            "PATCH",
            "/api/v1/stories/{id}",
            format!("/api/v1/stories/{own}"),
            Some(json!({"place": "Leeds"})),
            [401, 403, 404, 200, 404, 404],
        ),
        (
            "POST",
            "/api/v1/stories/{id}/quotes",
            format!("/api/v1/stories/{own}/quotes"),
            Some(json!({"passage": "two hours"})),
            [401, 403, 404, 201, 404, 404],
        ),
        ("GET", "/api/v1/themes", "/api/v1/themes".into(), None, [401, 200, 200, 200, 200, 200]),
        ("GET", "/api/v1/packs", "/api/v1/packs".into(), None, [401, 403, 403, 200, 200, 403]),
        ("GET", "/api/v1/packs/{id}", format!("/api/v1/packs/{pack}"), None, [401, 404, 404, 200, 200, 404]),
        (
            "POST",
            "/api/v1/packs",
            "/api/v1/packs".into(),
            Some(json!({"title": "T", "question": "Q", "audience": "curator"})),
            [401, 403, 403, 201, 403, 403],
        ),
        (
            "POST",
            "/api/v1/packs/{id}/findings",
            format!("/api/v1/packs/{pack}/findings"),
            Some(json!({"type": "insight", "statement": "S"})),
            [401, 403, 403, 201, 403, 403],
        ),
        (
            "POST",
            "/api/v1/stories/{id}/withdraw",
            format!("/api/v1/stories/{own}/withdraw"),
            None,
            [401, 403, 404, 204, 404, 404],
        ),
    ];
    for (method, template, path, body, expected) in rows {
        for (person, status) in who.iter().zip(expected) {
            let token = person.map(|name| f.tokens[name].clone());
            send(
                &app,
                &doc,
                token.as_deref(),
                call(*person, method, template, path.clone(), body.clone(), status),
            )
            .await;
        }
    }
}
