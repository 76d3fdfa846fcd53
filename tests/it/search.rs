//! Search over the sample: stemming in nine languages, folding, typos, phrases, filters, facets,
//! snippets, the audience matrix, and the index following the store.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{NaiveDate, Utc};
use storybank_archive::{Archive, Config, Facets, NoProgress, SearchRequest, SearchResponse, Sort};
use storybank_domain::{Audience, Form, Language, Status, StoryId, ThemePath};

use crate::support::{TestArchive, sample_dir};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn sample() -> TestArchive {
    let test = TestArchive::new();
    test.ingest(&sample_dir());
    test
}

fn run(archive: &Archive, build: impl FnOnce(&mut SearchRequest)) -> SearchResponse {
    let mut request = SearchRequest::new("", Audience::Curator, today());
    request.limit = 1000;
    build(&mut request);
    archive.search(&request).expect("search runs")
}

fn titles(response: &SearchResponse) -> Vec<String> {
    response.hits.iter().map(|hit| hit.title.to_string()).collect()
}

fn query(archive: &Archive, text: &str) -> Vec<String> {
    titles(&run(archive, |request| request.query = text.into()))
}

#[test]
fn every_language_finds_inflected_forms() {
    let test = sample();
    for (query_text, expected) in [
        ("waited", "Waiting for a call that never came"),
        ("asunnot", "Ensimmäinen oma asunto"),
        ("kaupungissa", "Ensimmäinen oma asunto"),
        ("kommunens", "Att hitta en bostad i Malmö"),
        ("huisartsen", "Drie weken wachten op de huisarts"),
        ("tervisekeskuse", "Tervisekeskus on kaugel"),
        ("case", "Una casa per ricominciare"),
        ("viviendas", "Buscar vivienda con tres hijos"),
        ("mieszkania", "Pierwsze własne mieszkanie"),
        ("lakhatást", "A lakhatás nem luxus"),
        // The stories hold only "account" and "accent", words that are their own stems.
        ("accounted", "Probation, week one"),
        ("accented", "Learning English, finding work"),
    ] {
        let found = query(&test.archive, query_text);
        assert!(
            found.iter().any(|t| t == expected),
            "{query_text:?} should find {expected:?}, got {found:?}"
        );
    }
}

#[test]
fn words_without_diacritics_typos_and_phrases() {
    let test = sample();
    for (query_text, expected, should_find) in [
        ("hameenlinna", "Ensimmäinen oma asunto", true),
        ("HÄMEENLINNA", "Ensimmäinen oma asunto", true),
        ("housnig", "A bedsit is not a home", true),
        ("\"no one called me back\"", "Waiting for a call that never came", true),
        ("\"back me called one no\"", "Waiting for a call that never came", false),
        // Phrases ignore case and diacritics, typed with them or without.
        ("\"hameenlinna ei ole iso\"", "Ensimmäinen oma asunto", true),
        ("\"JÄLKIHUOLLON ohjaaja\"", "Ensimmäinen oma asunto", true),
        ("\"jalkihuollon ohjaaja\"", "Ensimmäinen oma asunto", true),
        ("\"jälkihuollon ohjaaja kävi\"", "Ensimmäinen oma asunto", true),
        ("\"hameenlinna iso\"", "Ensimmäinen oma asunto", false),
        ("hameen*", "Ensimmäinen oma asunto", true),
        ("HÄMEEN*", "Ensimmäinen oma asunto", true),
        ("hous*", "A bedsit is not a home", true),
        ("housing -bedsit", "A bedsit is not a home", false),
        ("(housing", "A bedsit is not a home", true),
        ("vivienda OR lakhatás", "A lakhatás nem luxus", true),
        ("vivienda AND lakhatás", "A lakhatás nem luxus", false),
        // A word no story holds is not dropped: ANDed, it leaves nothing.
        ("housing qqqq", "A bedsit is not a home", false),
        ("qqqq OR housing", "A bedsit is not a home", true),
        ("housing -qqqq", "A bedsit is not a home", true),
    ] {
        let found = query(&test.archive, query_text);
        assert_eq!(found.iter().any(|t| t == expected), should_find, "{query_text:?} -> {found:?}");
    }
}

#[test]
fn exact_spellings_rank_first() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("a.md"),
        "# Bus to Hämeenlinna\n\nThe bus to Hämeenlinna was late again.",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("b.md"),
        "# Bus to Hameenlinna\n\nThe bus to Hameenlinna was late again.",
    )
    .unwrap();
    let test = TestArchive::new();
    test.ingest(folder.path());
    assert_eq!(query(&test.archive, "hämeenlinna"), ["Bus to Hämeenlinna", "Bus to Hameenlinna"]);
    assert_eq!(query(&test.archive, "hameenlinna"), ["Bus to Hameenlinna", "Bus to Hämeenlinna"]);
}

#[test]
fn filters_narrow_and_facets_count_every_level() {
    let test = sample();
    let all = run(&test.archive, |_| {});
    assert_eq!(all.total, test.archive.count_stories().unwrap() as usize);

    let housing = ThemePath::parse("housing").unwrap();
    let stories: Vec<_> = test
        .archive
        .story_summaries()
        .unwrap()
        .iter()
        .map(|summary| test.archive.story(summary.id).unwrap())
        .collect();
    let with_housing =
        stories.iter().filter(|s| s.details.themes.iter().any(|t| housing.contains(t))).count();
    let filtered = run(&test.archive, |r| r.themes = vec![housing.clone()]);
    assert_eq!(filtered.total, with_housing, "a theme matches its sub-themes");
    let facet = |value: &str| all.facets.themes.iter().find(|f| f.value == value).map(|f| f.count);
    assert_eq!(facet("housing"), Some(with_housing as u64));
    assert!(
        facet("housing/affordability").is_some() && facet("health/mental-health/crisis-support").is_some()
    );
    // Every theme at every level counts the stories given it or one of its sub-themes, each story
    // once (however many of its sub-themes it has); every level of every theme given is listed.
    for count in &all.facets.themes {
        let path = ThemePath::parse(&count.value).unwrap();
        let expected = stories.iter().filter(|s| s.details.themes.iter().any(|t| path.contains(t))).count();
        assert_eq!(count.count, expected as u64, "{}", count.value);
    }
    for theme in stories.iter().flat_map(|s| &s.details.themes) {
        let parts: Vec<&str> = theme.as_str().split('/').collect();
        for depth in 1..=parts.len() {
            let level = parts[..depth].join("/");
            assert!(facet(&level).is_some(), "{level} is not counted");
        }
    }
    assert!(
        stories.iter().any(|s| {
            let tops: BTreeSet<&str> =
                s.details.themes.iter().map(|t| t.as_str().split('/').next().unwrap()).collect();
            tops.len() < s.details.themes.len()
        }),
        "the sample has a story with two themes under one parent"
    );
    for count in &all.facets.languages {
        let expected = stories.iter().filter(|s| s.details.language.as_str() == count.value).count();
        assert_eq!(count.count, expected as u64, "language {}", count.value);
    }

    for (name, build, expected) in [
        (
            "images",
            Box::new(|r: &mut SearchRequest| r.forms = vec![Form::Image]) as Box<dyn Fn(&mut SearchRequest)>,
            stories.iter().filter(|s| s.form() == Form::Image).count(),
        ),
        (
            "finnish",
            Box::new(|r: &mut SearchRequest| r.languages = vec![Language::parse("fi").unwrap()]),
            stories.iter().filter(|s| s.details.language.as_str() == "fi").count(),
        ),
        (
            "place",
            Box::new(|r: &mut SearchRequest| r.place = Some("hameenlinna".into())),
            stories
                .iter()
                .filter(|s| s.details.place.as_ref().is_some_and(|p| p.as_str() == "Hämeenlinna"))
                .count(),
        ),
        (
            "2024",
            Box::new(|r: &mut SearchRequest| {
                r.from = Some("2024-01-01".parse().unwrap());
                r.to = Some("2024-12-31".parse().unwrap());
            }),
            stories
                .iter()
                .filter(|s| s.details.recorded_on.is_some_and(|d| d.format("%Y").to_string() == "2024"))
                .count(),
        ),
        (
            "consent missing",
            Box::new(|r: &mut SearchRequest| r.flags = vec!["consent-missing".into()]),
            stories.iter().filter(|s| s.consent_missing()).count(),
        ),
    ] {
        assert!(expected > 0, "{name}: the sample has some");
        assert_eq!(run(&test.archive, |r| build(r)).total, expected, "{name}");
    }
    let forms: u64 = all.facets.forms.iter().map(|f| f.count).sum();
    assert_eq!(forms as usize, all.total);

    // A request that asks for no facets gets the same hits and total, and no counts.
    let without = run(&test.archive, |r| r.facets = false);
    assert_eq!((without.total, ids_of(&without)), (all.total, ids_of(&all)));
    assert_eq!(without.facets, Facets::default());
}

fn ids_of(response: &SearchResponse) -> Vec<StoryId> {
    response.hits.iter().map(|hit| hit.id).collect()
}

#[test]
fn sorting_by_date_is_newest_first_and_always_the_same() {
    let test = sample();
    let day = |id| test.archive.story(id).unwrap().details.recorded_on;
    let by_date = |offset: usize, limit: usize| {
        ids_of(&run(&test.archive, |r| {
            r.sort = Sort::Date;
            r.offset = offset;
            r.limit = limit;
        }))
    };
    let all = by_date(0, 100);
    assert_eq!(all.len(), test.archive.count_stories().unwrap() as usize);
    for pair in all.windows(2) {
        let (newer, older) = (day(pair[0]), day(pair[1]));
        assert!(newer.is_none() || newer >= older, "{newer:?} before {older:?}");
    }
    // Stories of the same day keep one order, so pages never overlap or skip a story.
    let pages: Vec<_> = (0..all.len()).step_by(7).flat_map(|offset| by_date(offset, 7)).collect();
    assert_eq!(pages, all);
    test.archive.reindex(&storybank_archive::NoProgress).unwrap();
    assert_eq!(by_date(0, 100), all, "the same order after a rebuild");
}

#[test]
fn snippets_mark_the_matched_words() {
    let test = sample();
    let response = run(&test.archive, |r| r.query = "vivienda".into());
    let snippet = response.hits[0].snippet.as_ref().expect("a snippet");
    assert!(!snippet.highlights.is_empty());
    for (start, end) in &snippet.highlights {
        assert_eq!(snippet.text[*start..*end].to_lowercase(), "vivienda");
    }
    assert!(
        snippet.html.contains("<b>vivienda</b>") || snippet.html.contains("<b>Vivienda</b>"),
        "{}",
        snippet.html
    );
}

/// Snippets are looked for window by window in long stories: the match is found wherever it is,
/// as typed or inflected, and across a window's border.
#[test]
fn snippets_find_matches_deep_in_long_stories() {
    let test = TestArchive::new();
    let staging = tempfile::tempdir().unwrap();
    // About 30 KB of words that match nothing, then the words searched for.
    let filler: String = (0..3_000).map(|i| format!("lorem{} ", i % 97)).collect();
    let stories = [
        ("deep", "en", format!("{filler}At last the caseworker phoned back.")),
        ("inflected", "fi", format!("{filler}Odotimme asuntoa kaksi vuotta.")),
        // The phrase straddles the first window's end: "night" ends at byte 2,000, where the
        // first window ends.
        ("border", "en", format!("{} night shelter closed {}", &filler[..1_994], &filler[1_994..])),
    ];
    for (name, language, body) in &stories {
        let manifest = serde_json::json!({
            "title": format!("Long story {name}"), "form": "text", "language": language,
            "story_type": "written", "body": body,
        });
        std::fs::write(staging.path().join(format!("{name}.story.json")), manifest.to_string()).unwrap();
    }
    test.archive.ingest_paths(&[staging.path().to_owned()], &storybank_archive::NoProgress).unwrap();
    for (query, lang, marked) in [
        ("caseworker", None, vec!["caseworker"]),
        ("asunto", Some("fi"), vec!["asuntoa"]),
        ("\"night shelter\"", None, vec!["night", "shelter"]),
    ] {
        let response = run(&test.archive, |r| {
            r.query = query.into();
            r.languages =
                lang.map(|l| vec![storybank_domain::Language::parse(l).unwrap()]).unwrap_or_default();
        });
        assert_eq!(response.hits.len(), 1, "{query}: {:?}", titles(&response));
        let snippet = response.hits[0].snippet.as_ref().unwrap_or_else(|| panic!("{query}: no snippet"));
        let found: Vec<String> =
            snippet.highlights.iter().map(|(start, end)| snippet.text[*start..*end].to_lowercase()).collect();
        assert_eq!(found, marked, "{query}: {}", snippet.text);
    }
}

/// Publishes and withdraws a spread of sample stories, then checks that for every audience the
/// index returns exactly the stories the domain's consent rule allows.
#[test]
fn every_audience_sees_exactly_what_consent_allows() {
    let test = sample();
    let summaries = test.archive.story_summaries().unwrap();
    for (position, summary) in summaries.iter().enumerate() {
        let steps: &[Status] = match position % 4 {
            0 | 1 => &[Status::Reviewed, Status::Published],
            2 => &[Status::Reviewed, Status::Published, Status::Withdrawn],
            _ => &[],
        };
        for status in steps {
            // A story without consent (or a photo without alt text) cannot be published: it
            // stays reviewed, which the matrix covers too.
            if let Err(err) = test.archive.set_status(summary.id, *status) {
                assert_eq!(err.kind(), storybank_archive::ErrorKind::Conflict, "{err}");
                break;
            }
        }
    }
    let mut checked = 0;
    for audience in [Audience::Public, Audience::Commissioner, Audience::Curator] {
        let expected: BTreeSet<StoryId> = summaries
            .iter()
            .map(|s| test.archive.story(s.id).unwrap())
            .filter(|story| audience.may_see(story, today()))
            .map(|story| story.id)
            .collect();
        let found: BTreeSet<StoryId> =
            run(&test.archive, |r| r.audience = audience).hits.iter().map(|hit| hit.id).collect();
        assert_eq!(found, expected, "{audience}");
        let with_words: BTreeSet<StoryId> = run(&test.archive, |r| {
            r.audience = audience;
            r.query = "the OR ja OR och OR de OR la OR és OR i OR a OR ei".into();
        })
        .hits
        .iter()
        .map(|hit| hit.id)
        .collect();
        assert!(with_words.is_subset(&expected), "{audience}: a query never widens what is seen");
        checked += expected.len();
    }
    assert!(checked > 0);
    // The already-expired consent story, published, is hidden from commissioners.
    let expired = summaries
        .iter()
        .find(|s| s.provenance.as_deref() == Some("stories/en/nobody-asked-what-i-wanted.story.json"))
        .unwrap();
    let story = test.archive.story(expired.id).unwrap();
    assert!(!Audience::Commissioner.may_see(&story, today()));
}

/// Equal scores may come back in another order after a rebuild; compare such lists as sets.
fn sorted(mut ids: Vec<StoryId>) -> Vec<StoryId> {
    ids.sort();
    ids
}

fn ids(archive: &Archive, text: &str) -> Vec<StoryId> {
    run(archive, |r| r.query = text.into()).hits.iter().map(|h| h.id).collect()
}

#[test]
fn the_index_follows_the_store() {
    let data = tempfile::tempdir().unwrap();
    let open = |dir: &Path| Archive::open(Config::new(dir)).unwrap();
    let before = {
        let archive = open(data.path());
        archive.ingest_paths(&[sample_dir()], &NoProgress).unwrap();
        (ids(&archive, "housing OR asunto"), ids(&archive, ""))
    };
    // Deleting the index loses nothing: it is rebuilt from the store on open.
    std::fs::remove_dir_all(data.path().join("index")).unwrap();
    let archive = open(data.path());
    assert_eq!(
        (sorted(ids(&archive, "housing OR asunto")), sorted(ids(&archive, ""))),
        (sorted(before.0.clone()), sorted(before.1.clone()))
    );
    // A rebuild into a new folder gives the same answers.
    assert_eq!(archive.reindex(&NoProgress).unwrap(), before.1.len() as u64);
    assert_eq!(
        (sorted(ids(&archive, "housing OR asunto")), sorted(ids(&archive, ""))),
        (sorted(before.0.clone()), sorted(before.1.clone()))
    );
    // A change reaches the hits shown at once (they were just read, and kept: see the archive's
    // story cache).
    let first = before.0[0];
    let status_of = |archive: &Archive| {
        let response = run(archive, |r| r.query = "housing OR asunto".into());
        response.hits.iter().find(|hit| hit.id == first).map(|hit| hit.status)
    };
    assert_eq!(status_of(&archive), Some(Status::Submitted));
    archive.set_status(first, Status::Reviewed).unwrap();
    assert_eq!(status_of(&archive), Some(Status::Reviewed));
    // A withdrawal reaches search at once.
    archive.set_status(first, Status::Withdrawn).unwrap();
    assert!(!ids(&archive, "housing OR asunto").contains(&first));
    drop(archive);

    // A story committed to the store but not to the index (a crash between the two) is caught up
    // on the next start.
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("late.md"), "# Late\n\nThe zebracrossing outside the clinic is gone.")
        .unwrap();
    let ingested = storybank_ingest::ingest_bare_file(
        "late.md",
        &std::fs::read(folder.path().join("late.md")).unwrap(),
        &storybank_ingest::Limits::default(),
    )
    .unwrap();
    let mut store = storybank_store::Store::open(data.path()).unwrap();
    let story = storybank_domain::Story {
        id: StoryId::new(),
        details: ingested.story.details,
        content: storybank_domain::StoryContent::Text {
            body: "The zebracrossing outside the clinic is gone.".into(),
        },
        status: Status::Submitted,
        provenance: Some("late.md".into()),
        content_hash: ingested.story.content_hash,
        ingest_warnings: Vec::new(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    store.insert_stories(std::slice::from_ref(&story), true).unwrap();
    drop(store);
    let archive = open(data.path());
    assert_eq!(ids(&archive, "zebracrossing"), [story.id]);
}

#[test]
fn more_like_this_finds_stories_on_the_same_subject() {
    let test = sample();
    let response = run(&test.archive, |r| r.query = "vivienda".into());
    let source = response.hits[0].id;
    let similar = test.archive.more_like_this(source, Audience::Curator, today(), 5).unwrap();
    assert!(!similar.is_empty());
    assert!(similar.iter().all(|hit| hit.id != source), "a story is not like itself");
    assert!(
        similar.iter().any(|hit| hit.language.as_str() == "es"),
        "{:?}",
        similar.iter().map(|h| &h.title).collect::<Vec<_>>()
    );
}

#[test]
fn the_cli_searches_as_json_and_as_an_audience() {
    let data = tempfile::tempdir().unwrap();
    let ingest = crate::support::storybank(data.path(), &["ingest", sample_dir().to_str().unwrap()]);
    assert_eq!(ingest.status.code(), Some(0));
    let output = crate::support::storybank(data.path(), &["search", "vivienda", "--json", "--lang", "es"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["total"], 1);
    let hit = &json["hits"][0];
    for key in [
        "id",
        "title",
        "source",
        "score",
        "snippet",
        "themes",
        "tags",
        "form",
        "story_type",
        "language",
        "place",
        "recorded_on",
    ] {
        assert!(hit.get(key).is_some(), "hits carry {key}: {hit}");
    }
    assert_eq!(hit["source"], "stories/es/buscar-vivienda-con-tres-hijos.story.json");
    assert!(json["facets"]["themes"].as_array().is_some_and(|themes| !themes.is_empty()));

    // Nothing is published yet: the public and commissioners see nothing, curators everything.
    for (audience, expected) in [("public", 0), ("commissioner", 0)] {
        let output = crate::support::storybank(data.path(), &["search", "", "--as", audience, "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["total"], expected, "{audience}");
    }
    // Curators' queues: flags and statuses.
    for (args, expected) in [
        (&["--flag", "consent-missing"][..], 10),
        (&["--flag", "alt-text-missing"][..], 3),
        (&["--status", "submitted"][..], 50),
        (&["--status", "published"][..], 0),
    ] {
        let output = crate::support::storybank(
            data.path(),
            &[&["search", "", "--json", "--limit", "100"][..], args].concat(),
        );
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["total"], expected, "{args:?}");
    }
    let bad = crate::support::storybank(data.path(), &["search", "", "--flag", "spicy"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("--flag \"spicy\" is not one of: consent-missing, alt-text-missing")
    );
    let bad = crate::support::storybank(data.path(), &["search", "x", "--as", "everyone"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("audience \"everyone\" is not one of: public, commissioner, curator")
    );
    let reindex = crate::support::storybank(data.path(), &["reindex"]);
    assert!(
        crate::support::stdout(&reindex).contains("search index rebuilt: 50 stories"),
        "{}",
        crate::support::stdout(&reindex)
    );
}

#[test]
fn a_second_process_is_refused_and_never_rebuilds_the_live_index() {
    let test = sample();
    let data = test.archive_dir();
    let generations = || {
        let mut names: Vec<String> = std::fs::read_dir(data.join("index"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = generations();
    let err = Archive::open(Config::new(&data)).expect_err("the index is in use");
    assert_eq!(err.kind(), storybank_archive::ErrorKind::Conflict);
    assert!(err.to_string().contains("another storybank process is using this data directory"), "{err}");
    assert_eq!(generations(), before, "nothing was rebuilt or deleted");
    assert!(
        query(&test.archive, "vivienda").contains(&"Buscar vivienda con tres hijos".to_owned()),
        "the first archive still searches"
    );
}

/// The overview's counts agree with the store, for each audience: stories per top-level theme by
/// year recorded, and by town.
#[test]
fn the_theme_overview_counts_what_each_audience_may_see() {
    use chrono::Datelike;
    use storybank_domain::{Password, Role, Roles, UserName};
    let test = sample();
    let archive = &test.archive;
    // Publish a few stories so commissioners see some.
    for summary in archive.story_summaries().unwrap().iter().take(12) {
        let story = archive.story(summary.id).unwrap();
        if story.details.consent.is_some() && !story.content.lacks_alt_text() {
            archive.set_status(story.id, Status::Reviewed).unwrap();
            archive.set_status(story.id, Status::Published).unwrap();
        }
    }
    let password = Password::parse("a long test password").unwrap();
    let stories: Vec<_> =
        archive.story_summaries().unwrap().iter().map(|s| archive.story(s.id).unwrap()).collect();
    for (name, role, audience) in
        [("carl", Role::Curator, Audience::Curator), ("cora", Role::Commissioner, Audience::Commissioner)]
    {
        let user = archive
            .accounts()
            .add_user(UserName::parse(name).unwrap(), Roles::new([role]).unwrap(), &password)
            .unwrap();
        let overview = archive.theme_overview(&user).unwrap();
        let visible: Vec<_> = stories.iter().filter(|s| audience.may_see(s, today())).collect();
        assert_eq!(overview.total, visible.len(), "{audience}");
        for (path, _, counts) in &overview.by_year.rows {
            for (year, count) in overview.by_year.columns.iter().zip(counts) {
                let expected = visible
                    .iter()
                    .filter(|s| s.details.themes.iter().any(|t| path.contains(t)))
                    .filter(|s| s.details.recorded_on.is_some_and(|d| d.year().to_string() == *year))
                    .count() as u64;
                assert_eq!(*count, expected, "{audience}: {path} in {year}");
            }
        }
        let (places, other) = overview.by_place.columns.split_at(overview.by_place.columns.len() - 1);
        assert_eq!(other, ["Other places"]);
        for (path, _, counts) in &overview.by_place.rows {
            for (place, count) in places.iter().zip(counts) {
                let expected = visible
                    .iter()
                    .filter(|s| s.details.themes.iter().any(|t| path.contains(t)))
                    .filter(|s| {
                        s.details
                            .place
                            .as_ref()
                            .and_then(|p| storybank_domain::coarsen_place(p.as_str()))
                            .as_deref()
                            == Some(place.as_str())
                    })
                    .count() as u64;
                assert_eq!(*count, expected, "{audience}: {path} in {place}");
            }
        }
    }
}
