//! Ingestion, end to end: the sample folder, bad input, metadata stripping, idempotency and crashes.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use image::ImageDecoder;
use storybank_archive::{IngestReport, Progress, StoryOutcome};
use storybank_domain::{Form, StoryContent, StoryId};

use crate::support::{TestArchive, data_dir, sample_dir, stdout, storybank};

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { walk(&path, out) } else { out.push(path) }
    }
}

/// The sample's stories: one per manifest, plus the bare files in `stories/unsorted/`.
fn sample_story_count() -> usize {
    let mut files = Vec::new();
    walk(&sample_dir().join("stories"), &mut files);
    let manifests = files.iter().filter(|p| p.to_string_lossy().ends_with(".story.json")).count();
    let bare = fs::read_dir(sample_dir().join("stories/unsorted")).unwrap().count();
    manifests + bare
}

fn failures(report: &IngestReport) -> BTreeMap<String, String> {
    report
        .items
        .iter()
        .filter_map(|item| match &item.outcome {
            StoryOutcome::Failed { error } => {
                let name = Path::new(&item.source).file_name().unwrap().to_string_lossy().into_owned();
                Some((name, error.clone()))
            }
            _ => None,
        })
        .collect()
}

fn story_id_for(report: &IngestReport, source_suffix: &str) -> StoryId {
    let item = report.items.iter().find(|item| item.source.ends_with(source_suffix)).expect(source_suffix);
    match &item.outcome {
        StoryOutcome::Ingested { id, .. } | StoryOutcome::AlreadyPresent { id } => *id,
        other => panic!("{source_suffix}: {other:?}"),
    }
}

#[test]
fn every_sample_story_is_ingested_once() {
    let test = TestArchive::new();
    let report = test.ingest(&sample_dir());
    assert_eq!(failures(&report), BTreeMap::new());
    assert!(sample_story_count() >= 40);
    assert_eq!(report.ingested(), sample_story_count());
    assert_eq!(report.themes_imported, test.archive.themes().unwrap().len());
    assert!(report.skipped.is_empty(), "README, tools/ and themes.json are ignored: {:?}", report.skipped);

    let again = test.ingest(&sample_dir());
    assert_eq!((again.ingested(), again.already_present(), again.failed()), (0, sample_story_count(), 0));
    assert_eq!(test.archive.count_stories().unwrap(), sample_story_count() as u64);

    let summaries = test.archive.story_summaries().unwrap();
    for form in [Form::Text, Form::Transcript, Form::Image] {
        assert!(summaries.iter().filter(|s| s.form == form).count() >= 8, "at least 8 {form} stories");
    }
}

/// Counts what an ingest says it will go through and what it went through.
#[derive(Default)]
struct Counted {
    total: AtomicUsize,
    done: AtomicUsize,
}

impl Progress for Counted {
    fn started(&self, total: usize) {
        self.total.fetch_add(total, Ordering::SeqCst);
    }
    fn advanced(&self, count: usize) {
        self.done.fetch_add(count, Ordering::SeqCst);
    }
}

#[test]
fn the_report_lists_stories_in_name_order_and_progress_reaches_its_total() {
    // Manifests are read and stored before bare files, yet the report follows name order; the
    // file a manifest names counts towards the progress total without being a story.
    let folder = tempfile::tempdir().unwrap();
    let manifest = |title: &str, content: (&str, &str)| {
        serde_json::json!({
            "title": title, "form": "text", "language": "en", "story_type": "written",
            content.0: content.1,
        })
        .to_string()
    };
    for (name, contents) in [
        ("a-notes.md", "# Notes\n\nThe drop-in moved to Tuesdays.".to_owned()),
        ("b-bus.story.json", manifest("Bus", ("body", "The bus came on time for once."))),
        ("c-rent.md", "The rent went up again this spring.".to_owned()),
        ("c-rent.story.json", manifest("Rent", ("file", "c-rent.md"))),
        ("d-queue.txt", "We queued for an hour at the clinic.".to_owned()),
    ] {
        fs::write(folder.path().join(name), contents).unwrap();
    }
    let test = TestArchive::new();
    let counted = Counted::default();
    let report = test.archive.ingest_paths(&[folder.path().to_owned()], &counted).unwrap();
    let names: Vec<String> = report
        .items
        .iter()
        .map(|item| Path::new(&item.source).file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["a-notes.md", "b-bus.story.json", "c-rent.story.json", "d-queue.txt"]);
    assert_eq!(report.ingested(), 4, "{:?}", report.items);
    assert_eq!((counted.total.load(Ordering::SeqCst), counted.done.load(Ordering::SeqCst)), (5, 5));
}

#[test]
fn sample_stories_keep_their_details() {
    let test = TestArchive::new();
    let report = test.ingest(&sample_dir());

    let transcript = test.archive.story(story_id_for(&report, "en/waiting-for-a-call.story.json")).unwrap();
    assert_eq!(transcript.provenance.as_deref(), Some("stories/en/waiting-for-a-call.story.json"));
    assert!(transcript.content.full_text().contains("no one called me back"));

    let vtt =
        test.archive.story(story_id_for(&report, "stories/unsorted/market-square-snapshot.vtt")).unwrap();
    let StoryContent::Transcript { cues } = &vtt.content else { panic!("a transcript") };
    assert!(cues.iter().all(|cue| cue.start().is_some() && cue.end().is_some()));
    assert!(cues.iter().any(|cue| cue.speaker().is_some()));
    assert!(vtt.consent_missing(), "a bare file has no consent record");
    assert_eq!(
        vtt.effective_scope(chrono::Utc::now().date_naive()),
        storybank_domain::ConsentScope::Internal
    );

    let finnish = test.archive.story(story_id_for(&report, "unsorted/kotihoito.txt")).unwrap();
    assert_eq!(finnish.details.language.as_str(), "fi", "detected");
    assert_eq!(finnish.details.title.as_str(), "Kotihoito");
}

#[test]
fn photos_lose_all_metadata_and_stand_upright() {
    let test = TestArchive::new();
    let report = test.ingest(&sample_dir());
    for (source, original_has_gps) in [
        ("stories/fi/bus-stop-rain-gps.story.json", true),
        ("stories/en/kitchen-table-letters-gps.story.json", true),
        ("stories/en/waiting-room-rotated-exif.story.json", false),
    ] {
        let story = test.archive.story(story_id_for(&report, source)).unwrap();
        let StoryContent::Image { display, thumbnail, .. } = &story.content else {
            panic!("{source}: an image")
        };
        let original = fs::read(sample_dir().join(source).with_extension("").with_extension("jpg")).unwrap();
        assert!(contains(&original, b"Exif\0\0"), "{source}: the fixture itself has EXIF");
        assert_eq!(
            contains(&original, &[0x88, 0x25]) || contains(&original, &[0x25, 0x88]),
            original_has_gps
        );
        for rendition in [display, thumbnail] {
            let bytes = fs::read(test.archive.media_path(rendition).unwrap()).unwrap();
            assert!(!contains(&bytes, b"Exif"), "{source}: no EXIF block in the stored file");
            assert!(!contains(&bytes, b"http://ns.adobe.com/xap"), "{source}: no XMP in the stored file");
            let mut decoder = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&bytes)).unwrap();
            assert_eq!(decoder.exif_metadata().unwrap(), None);
            assert_eq!(decoder.dimensions(), (rendition.width, rendition.height));
        }
        assert!(display.width.max(display.height) <= 1600 && thumbnail.width.max(thumbnail.height) <= 320);
    }
    // The rotated fixture stores 1200x1600 pixels with Orientation=6: upright it is landscape.
    let rotated = test.archive.story(story_id_for(&report, "waiting-room-rotated-exif.story.json")).unwrap();
    let StoryContent::Image { display, .. } = &rotated.content else { panic!("an image") };
    assert!(display.width > display.height, "{}x{}", display.width, display.height);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[test]
fn bad_input_fails_clearly_and_stores_nothing() {
    let test = TestArchive::new();
    let report = test.ingest(&data_dir("bad"));
    let expected: BTreeMap<&str, &str> = [
        ("bad-timestamp.srt", "line 6: expected a timing line like \"00:00:01,000 --> 00:00:04,000\""),
        ("bad-timestamp.vtt", "line 6: \"00:00:4.500\" is not a valid timestamp"),
        ("drawing-renamed.jpg", "the file is an SVG drawing, not a JPEG, PNG or WebP image"),
        (
            "escapes-folder.story.json",
            "line 4: \"file\": \"../../../etc/passwd\" points outside the manifest's folder",
        ),
        ("invalid-json.story.json", "line 4: invalid JSON: expected `,` or `}`"),
        ("invalid-utf8.txt", "line 2: the text is not valid UTF-8"),
        ("missing-title.story.json", "\"title\" is missing"),
        ("notes-renamed.png", "the file is a text file, not a JPEG, PNG or WebP image"),
        ("pixel-bomb.png", "the image is 30000x30000 pixels, over the limit"),
        ("truncated.jpg", "the image cannot be decoded (the JPEG ends before its end-of-image marker)"),
        (
            "unknown-form.story.json",
            "line 3: \"form\": form \"video\" is not one of: text, transcript, image",
        ),
    ]
    .into_iter()
    .collect();
    let got = failures(&report);
    assert_eq!(got.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (file, fragment) in expected {
        assert!(got[file].starts_with(fragment), "{file}:\n  got      {}\n  expected {fragment}", got[file]);
    }
    assert_eq!(report.ingested(), 0);
    assert_eq!(test.archive.count_stories().unwrap(), 0);
}

#[test]
fn bad_files_do_not_stop_the_batch() {
    let folder = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(data_dir("bad")).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, folder.path().join(path.file_name().unwrap())).unwrap();
    }
    fs::write(folder.path().join("good.md"), "# A good story\n\nThe bus came on time for once.").unwrap();
    // A file over the size limit, made sparse so it costs no disk.
    let huge = fs::File::create(folder.path().join("huge.txt")).unwrap();
    huge.set_len(storybank_ingest::Limits::default().max_text_bytes + 1).unwrap();

    let test = TestArchive::new();
    let report = test.ingest(folder.path());
    assert_eq!(report.ingested(), 1);
    assert_eq!(report.failed(), 12);
    assert!(
        failures(&report)["huge.txt"].contains("over the limit of 4194304 bytes"),
        "{:?}",
        failures(&report)
    );
}

#[test]
fn the_cli_summarises_and_exits_non_zero_on_failure() {
    let data = tempfile::tempdir().unwrap();
    let bad = storybank(data.path(), &["ingest", data_dir("bad").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    let text = stdout(&bad);
    assert!(text.contains("0 ingested, 0 already present, 11 failed"), "{text}");
    assert!(text.contains("pixel-bomb.png: the image is 30000x30000 pixels"), "{text}");

    let sample = sample_dir();
    let first = storybank(data.path(), &["ingest", sample.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(0), "{}", stdout(&first));
    let count = sample_story_count();
    assert!(stdout(&first).contains(&format!("{count} ingested, 0 already present, 0 failed")));
    let second = storybank(data.path(), &["ingest", sample.to_str().unwrap()]);
    assert!(stdout(&second).contains(&format!("0 ingested, {count} already present, 0 failed")));

    let list = storybank(data.path(), &["stories", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), count);
    let id = listed[0]["id"].as_str().unwrap();
    let show = storybank(data.path(), &["stories", "show", id, "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(shown["id"], listed[0]["id"]);
    let missing = storybank(data.path(), &["stories", "show", "0190f3b4-5f7c-7a53-9d0e-3c2a1b4d5e6f"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no story"));
}

#[test]
fn a_changed_file_is_reported_not_duplicated() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("visit.md");
    fs::write(&file, "# The visit\n\nThe nurse came on Tuesday and listened.").unwrap();
    let test = TestArchive::new();
    let first = story_id_for(&test.ingest(folder.path()), "visit.md");
    fs::write(&file, "# The visit\n\nThe nurse came on Wednesday and listened.").unwrap();
    let report = test.ingest(folder.path());
    assert_eq!(report.changed(), 1);
    assert_eq!(report.items[0].outcome, StoryOutcome::Changed { existing: first });
    assert_eq!(test.archive.count_stories().unwrap(), 1);
}

#[test]
fn killing_a_bulk_ingest_leaves_every_story_once_after_a_rerun() {
    const STORIES: usize = 8_000;
    let folder = tempfile::tempdir().unwrap();
    for index in 0..STORIES {
        let body =
            format!("# Story {index}\n\nI waited {index} days for the housing office to call me back.");
        fs::write(folder.path().join(format!("story-{index:05}.md")), body).unwrap();
    }
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(crate::support::storybank_bin())
        .arg("--data-dir")
        .arg(data.path())
        .arg("ingest")
        .arg(folder.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) as soon as some batches are committed, while it is still running.
    let started = Instant::now();
    while count_in(data.path()) == 0 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let stored_before_kill = count_in(data.path());
    assert!(
        stored_before_kill > 0 && stored_before_kill < STORIES as u64,
        "killed mid-way: {stored_before_kill}"
    );
    assert_eq!(stored_before_kill % storybank_archive::BATCH_SIZE as u64, 0, "whole batches only");
    // The process may have died between a store commit and the index commit: on the next start
    // the index catches up, and search agrees with the store.
    {
        let archive = storybank_archive::Archive::open(storybank_archive::Config::new(data.path())).unwrap();
        let mut browse = storybank_archive::SearchRequest::new(
            "",
            storybank_domain::Audience::Curator,
            chrono::Utc::now().date_naive(),
        );
        browse.limit = 1;
        assert_eq!(archive.search(&browse).unwrap().total as u64, stored_before_kill);
    }

    let rerun = storybank(data.path(), &["ingest", folder.path().to_str().unwrap()]);
    assert_eq!(rerun.status.code(), Some(0), "{}", stdout(&rerun));
    let expected = format!(
        "{} ingested, {stored_before_kill} already present, 0 failed",
        STORIES as u64 - stored_before_kill
    );
    assert!(stdout(&rerun).contains(&expected), "{}", stdout(&rerun));
    let test = storybank_archive::Archive::open(storybank_archive::Config::new(data.path())).unwrap();
    let summaries = test.story_summaries().unwrap();
    let mut sources: Vec<_> = summaries.iter().map(|s| s.provenance.clone().unwrap()).collect();
    sources.sort();
    sources.dedup();
    assert_eq!((summaries.len(), sources.len()), (STORIES, STORIES), "every story exactly once");
    let mut browse = storybank_archive::SearchRequest::new(
        "",
        storybank_domain::Audience::Curator,
        chrono::Utc::now().date_naive(),
    );
    browse.limit = 1;
    assert_eq!(test.search(&browse).unwrap().total, STORIES, "search agrees with the store");
}

/// Stories in the store, read beside the running process (the store allows concurrent readers).
fn count_in(data: &Path) -> u64 {
    if !data.join(storybank_store::DATABASE_FILE).exists() {
        return 0;
    }
    storybank_store::Store::open(data).and_then(|store| store.count_stories()).unwrap_or(0)
}
