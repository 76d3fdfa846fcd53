//! Insight packs: building, versioning, the evidence chain from finding to consent, withdrawal
//! reaching every page and export at once, and the exports themselves.

use chrono::Utc;
use storybank_archive::{Archive, ErrorKind, PackExports, QuoteSelection};
use storybank_domain::{
    Audience, ConsentScope, Evidence, FindingKind, Form, Password, Role, Roles, Status, Story, StoryContent,
    StoryId, Title, User, UserName,
};
use storybank_domain::{PackId, ResolvedEvidence, Unavailable};
use storybank_export::{ExportInfo, Format, JSON_SCHEMA, JSON_SCHEMA_VERSION};

use crate::support::{TestArchive, sample_dir, stdout, storybank};

fn title(raw: &str) -> Title {
    Title::parse(raw).unwrap()
}

struct Packs {
    test: TestArchive,
    curator: User,
    commissioner: User,
    /// A published text story whose consent reaches commissioners, with a quote marked.
    quoted: Story,
    quote_text: String,
    /// A second published, commissioner-visible story.
    whole: Story,
}

fn person(archive: &Archive, name: &str, role: Role) -> User {
    archive
        .accounts()
        .add_user(
            UserName::parse(name).unwrap(),
            Roles::new([role]).unwrap(),
            &Password::parse("a long test password").unwrap(),
        )
        .unwrap()
}

fn publish(archive: &Archive, id: StoryId) -> Story {
    archive.set_status(id, Status::Reviewed).unwrap();
    archive.set_status(id, Status::Published).unwrap()
}

fn setup() -> Packs {
    let test = TestArchive::new();
    test.ingest(&sample_dir());
    let archive = &test.archive;
    let curator = person(archive, "carl", Role::Curator);
    let commissioner = person(archive, "cora", Role::Commissioner);
    let today = Utc::now().date_naive();
    let mut candidates: Vec<Story> = archive
        .story_summaries()
        .unwrap()
        .iter()
        .map(|summary| archive.story(summary.id).unwrap())
        .filter(|story| {
            story.form() == Form::Text && story.effective_scope(today) >= ConsentScope::Commissioners
        })
        .collect();
    candidates.sort_by_key(|story| story.id);
    let quoted = publish(archive, candidates[0].id);
    let whole = publish(archive, candidates[1].id);
    let StoryContent::Text { body } = &quoted.content else { unreachable!("a text story") };
    // Words copied exactly from the story: the start of its first line of prose.
    let line = body.lines().map(str::trim).find(|line| line.len() > 40 && !line.starts_with('#')).unwrap();
    let passage: String = line.chars().take(50).collect();
    let quote = archive
        .add_quote(
            &curator,
            quoted.id,
            QuoteSelection::Passage { text: &passage, occurrence: None },
            Vec::new(),
        )
        .unwrap();
    Packs { test, curator, commissioner, quote_text: quote.text.clone(), quoted, whole }
}

impl Packs {
    fn archive(&self) -> &Archive {
        &self.test.archive
    }

    /// A pack for commissioners with one finding resting on the quote and the whole second story.
    fn pack(&self) -> PackId {
        let archive = self.archive();
        let id = archive
            .create_pack(
                &self.curator,
                title("Getting to the clinic"),
                title("How do people without a car reach care?"),
                Audience::Commissioner,
            )
            .unwrap();
        let finding = archive
            .edit_pack(&self.curator, id, |pack| {
                pack.add_finding(FindingKind::Barrier, title("Buses do not run when people need them"), None)
            })
            .unwrap();
        let quote = archive.story_for(&self.curator, self.quoted.id).unwrap().curation.quotes[0].id;
        archive
            .add_evidence(&self.curator, id, finding, Evidence::Quote { story: self.quoted.id, quote })
            .unwrap();
        archive.add_evidence(&self.curator, id, finding, Evidence::Story { story: self.whole.id }).unwrap();
        id
    }

    fn exports(&self, id: PackId) -> Vec<(Format, String)> {
        let archive = self.archive();
        let (pack, version) = archive.pack_for_export(id, None).unwrap();
        let info = ExportInfo {
            archive: "Test archive".into(),
            pack_id: id,
            version: version.version,
            published_at: version.published_at,
            generated_at: Utc::now(),
        };
        Format::ALL
            .iter()
            .map(|format| {
                let bytes =
                    storybank_export::export(*format, &pack, &info, &|media| archive.media(media).ok())
                        .unwrap();
                (*format, String::from_utf8(bytes).unwrap())
            })
            .collect()
    }
}

#[test]
fn every_piece_of_evidence_walks_to_its_story_and_consent() {
    let f = setup();
    let id = f.pack();
    assert_eq!(f.archive().publish_pack(&f.curator, id).unwrap(), 1);

    let page = f.archive().pack_page(&f.commissioner, id, None).unwrap();
    assert_eq!(page.version, Some(1));
    let finding = &page.pack.findings[0];
    assert_eq!((finding.backing.stories, finding.lost), (2, 0));
    let today = Utc::now().date_naive();
    for item in &finding.evidence {
        let ResolvedEvidence::Shown { evidence, story, quote, .. } = item else {
            panic!("every piece is shown to commissioners: {item:?}")
        };
        // Evidence -> story -> consent, through the store of record.
        let stored = f.archive().story(evidence.story()).unwrap();
        assert_eq!(stored.id, story.id);
        assert_eq!(stored.status, Status::Published);
        assert!(stored.effective_scope(today) >= ConsentScope::Commissioners);
        assert!(Audience::Commissioner.may_see(&stored, today));
        assert_eq!(story.disclosed.reporter, None, "no reporter names for commissioners");
        match evidence {
            Evidence::Quote { quote: quote_id, .. } => {
                let quotes = f.archive().story_for(&f.curator, stored.id).unwrap().curation.quotes;
                let marked = quotes.iter().find(|q| q.id == *quote_id).expect("the quote is on its story");
                assert_eq!(quote.as_deref(), Some(marked.text.as_str()));
                assert!(stored.content.full_text().contains(&marked.text));
            }
            Evidence::Story { .. } => assert_eq!(quote, &None),
        }
    }
}

#[test]
fn publishing_makes_versions_and_old_versions_stay_readable() {
    let f = setup();
    let archive = f.archive();
    let id = f.pack();
    // Commissioners see nothing until a version is published.
    assert_eq!(archive.pack_page(&f.commissioner, id, None).unwrap_err().kind(), ErrorKind::NotFound);
    assert!(archive.packs_for(&f.commissioner).unwrap().is_empty());
    assert_eq!(archive.publish_pack(&f.curator, id).unwrap(), 1);
    let unchanged = archive.publish_pack(&f.curator, id).unwrap_err();
    assert_eq!(unchanged.kind(), ErrorKind::Conflict, "publishing nothing new is refused");
    // An edit that changes nothing (the only finding moved up) is not an unpublished change.
    let finding = archive.pack_page(&f.curator, id, None).unwrap().pack.findings[0].id;
    archive.edit_pack(&f.curator, id, |pack| pack.move_finding(finding, storybank_domain::Move::Up)).unwrap();
    assert!(!archive.pack_page(&f.curator, id, None).unwrap().changed_since_publication);
    archive
        .edit_pack(&f.curator, id, |pack| {
            pack.update_finding(finding, FindingKind::Barrier, title("Evening buses stop at six"), None)
        })
        .unwrap();
    let draft = archive.pack_page(&f.curator, id, None).unwrap();
    assert!(draft.changed_since_publication);
    // Until the edit is published, commissioners still read version 1.
    let read = archive.pack_page(&f.commissioner, id, None).unwrap();
    assert_eq!(read.pack.findings[0].statement.as_str(), "Buses do not run when people need them");

    assert_eq!(archive.publish_pack(&f.curator, id).unwrap(), 2);
    let latest = archive.pack_page(&f.commissioner, id, None).unwrap();
    assert_eq!(
        (latest.version, latest.pack.findings[0].statement.as_str()),
        (Some(2), "Evening buses stop at six")
    );
    let old = archive.pack_page(&f.commissioner, id, Some(1)).unwrap();
    assert_eq!(old.pack.findings[0].statement.as_str(), "Buses do not run when people need them");
    assert_eq!(archive.packs_for(&f.commissioner).unwrap().len(), 1);

    // A pack for the curation team only never reaches commissioners, published or not.
    archive
        .update_pack_details(&f.curator, id, title("Internal"), title("Q"), Audience::Curator, None)
        .unwrap();
    archive.publish_pack(&f.curator, id).unwrap();
    assert_eq!(archive.pack_page(&f.commissioner, id, None).unwrap_err().kind(), ErrorKind::NotFound);
    assert!(archive.packs_for(&f.commissioner).unwrap().is_empty());
    // Narrowing a pack withdraws its earlier versions from commissioners too.
    for version in [1, 2] {
        assert_eq!(
            archive.pack_page(&f.commissioner, id, Some(version)).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            archive.export_pack_for(&f.commissioner, id, Some(version), "csv").unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
    assert_eq!(
        archive.pack_page(&f.curator, id, Some(2)).unwrap().version,
        Some(2),
        "curators still read it"
    );
}

#[test]
fn packs_are_built_only_by_curators_and_only_from_real_evidence() {
    let f = setup();
    let archive = f.archive();
    let forbidden = archive.create_pack(&f.commissioner, title("x"), title("y"), Audience::Commissioner);
    assert_eq!(forbidden.unwrap_err().kind(), ErrorKind::Forbidden);
    let id = archive.create_pack(&f.curator, title("Empty"), title("Q"), Audience::Commissioner).unwrap();
    assert_eq!(archive.publish_pack(&f.curator, id).unwrap_err().kind(), ErrorKind::Conflict, "no findings");
    let finding = archive
        .edit_pack(&f.curator, id, |pack| pack.add_finding(FindingKind::Insight, title("A finding"), None))
        .unwrap();
    assert_eq!(archive.publish_pack(&f.curator, id).unwrap_err().kind(), ErrorKind::Conflict, "no evidence");
    for (evidence, kind) in [
        (Evidence::Story { story: StoryId::new() }, ErrorKind::NotFound),
        (Evidence::Quote { story: f.whole.id, quote: storybank_domain::QuoteId::new() }, ErrorKind::NotFound),
    ] {
        assert_eq!(
            archive.add_evidence(&f.curator, id, finding, evidence).unwrap_err().kind(),
            kind,
            "{evidence:?}"
        );
    }
    archive.add_evidence(&f.curator, id, finding, Evidence::Story { story: f.whole.id }).unwrap();
    let twice = archive.add_evidence(&f.curator, id, finding, Evidence::Story { story: f.whole.id });
    assert_eq!(twice.unwrap_err().kind(), ErrorKind::Invalid);
    // A story whose consent does not reach the pack's audience cannot be published in it.
    let internal = archive
        .story_summaries()
        .unwrap()
        .iter()
        .map(|s| archive.story(s.id).unwrap())
        .find(|s| s.details.consent.as_ref().is_some_and(|c| c.scope() == ConsentScope::Internal))
        .unwrap();
    archive.add_evidence(&f.curator, id, finding, Evidence::Story { story: internal.id }).unwrap();
    let refused = archive.publish_pack(&f.curator, id).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Conflict);
    assert!(refused.to_string().contains("cannot be shown to this pack's audience"), "{refused}");
    // A quote that is evidence cannot be removed from under the pack.
    let pack = f.pack();
    let quote = archive.story_for(&f.curator, f.quoted.id).unwrap().curation.quotes[0].id;
    assert_eq!(archive.remove_quote(&f.curator, f.quoted.id, quote).unwrap_err().kind(), ErrorKind::Conflict);
    assert_eq!(archive.packs_citing(&f.curator, f.quoted.id).unwrap()[0].pack, pack);
}

#[test]
fn a_withdrawn_story_leaves_every_page_and_export_at_once_and_curators_see_the_loss() {
    let f = setup();
    let archive = f.archive();
    let id = f.pack();
    archive.publish_pack(&f.curator, id).unwrap();
    let quoted_title = f.quoted.details.title.to_string();
    for (format, text) in f.exports(id) {
        assert!(
            text.contains(&f.quote_text)
                || format == Format::Csv && text.contains(&f.quote_text.replace('"', "\"\"")),
            "{format:?} has the quote"
        );
        assert!(text.contains(&quoted_title), "{format:?} names the story");
    }

    archive.set_status(f.quoted.id, Status::Withdrawn).unwrap();

    // Every published version, for commissioners: the evidence is gone, with the reason only.
    let page = archive.pack_page(&f.commissioner, id, Some(1)).unwrap();
    let states: Vec<Option<Unavailable>> = page.pack.findings[0]
        .evidence
        .iter()
        .map(|item| match item {
            ResolvedEvidence::Unavailable { reason, .. } => Some(*reason),
            ResolvedEvidence::Shown { .. } => None,
        })
        .collect();
    assert_eq!(states, vec![Some(Unavailable::Withdrawn), None]);
    assert_eq!(page.pack.findings[0].backing.stories, 1);
    // Every export: neither the quote nor the story's title, and the withdrawal said plainly.
    for (format, text) in f.exports(id) {
        assert!(!text.contains(&f.quote_text), "{format:?} still has the withdrawn quote");
        assert!(!text.contains(&quoted_title), "{format:?} still names the withdrawn story");
        assert!(!text.contains(&f.quoted.id.to_string()), "{format:?} still has the withdrawn story's id");
        assert!(text.to_lowercase().contains("withdrawn"), "{format:?} says evidence was withdrawn");
    }
    // Curators see which finding lost evidence, and cannot republish it as it is.
    let draft = archive.pack_page(&f.curator, id, None).unwrap();
    assert_eq!(draft.pack.findings[0].lost, 1);
    assert_eq!(archive.publish_pack(&f.curator, id).unwrap_err().kind(), ErrorKind::Conflict);
}

#[test]
fn exports_carry_their_date_and_archive_and_the_json_has_its_schema() {
    let f = setup();
    let id = f.pack();
    f.archive().publish_pack(&f.curator, id).unwrap();
    for (format, text) in f.exports(id) {
        assert!(text.contains("Test archive"), "{format:?} names the archive");
        assert!(text.contains(&Utc::now().format("%Y-%m-%d").to_string()), "{format:?} carries its date");
        // The reporter is never in an export for commissioners.
        if let Some(reporter) = &f.quoted.details.reporter {
            assert!(!text.contains(&format!("gathered by {reporter}")), "{format:?}");
        }
        match format {
            Format::Json => {
                let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(json["schema"], JSON_SCHEMA);
                assert_eq!(json["schema_version"], JSON_SCHEMA_VERSION);
                assert_eq!(json["pack"]["version"], 1);
                let evidence = &json["findings"][0]["evidence"];
                assert_eq!(evidence[0]["kind"], "quote");
                assert_eq!(evidence[0]["story"]["id"], f.quoted.id.to_string());
                assert!(evidence[1]["story"]["text"].as_str().is_some(), "whole stories carry their text");
                assert!(evidence[0]["story"].get("reporter").is_none());
            }
            Format::Csv => {
                let lines: Vec<&str> = text.lines().collect();
                assert!(lines[0].starts_with("archive,generated_at,pack_id"));
                assert_eq!(lines.len(), 3, "a header and one row per piece of evidence");
            }
            Format::Html => {
                assert!(text.contains("<style>") && !text.contains("<link"), "self-contained");
                assert!(!text.contains("<script"), "no script");
            }
            Format::Markdown => assert!(text.starts_with("# Getting to the clinic")),
        }
    }
}

#[test]
fn the_command_line_lists_and_exports_packs_while_the_archive_is_open_elsewhere() {
    // The archive stays open (as a running server would hold it) while the CLI exports.
    let f = setup();
    let id = f.pack();
    f.archive().publish_pack(&f.curator, id).unwrap();
    let dir = f.test.archive_dir();
    let output = storybank(&dir, &["pack", "export", &id.to_string(), "--format", "json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["schema"], JSON_SCHEMA);
    let out_file = dir.join("pack.md");
    let output = storybank(
        &dir,
        &["pack", "export", &id.to_string(), "--format", "md", "-o", out_file.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(std::fs::read_to_string(&out_file).unwrap().contains(&f.quote_text));
    let listed = stdout(&storybank(&dir, &["pack", "list"]));
    assert!(listed.contains(&id.to_string()) && listed.contains("v1"), "{listed}");
    let unknown = storybank(&dir, &["pack", "export", &id.to_string(), "--format", "pdf"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("html, md, json, csv"));
    assert_eq!(PackExports::open(&dir).unwrap().packs().unwrap().len(), 1);
}

#[test]
fn a_quote_leaves_a_published_version_when_it_is_removed_from_its_story() {
    let f = setup();
    let archive = f.archive();
    let id = f.pack();
    archive.publish_pack(&f.curator, id).unwrap();
    let quote = archive.story_for(&f.curator, f.quoted.id).unwrap().curation.quotes[0].id;
    let finding = archive.pack_page(&f.curator, id, None).unwrap().pack.findings[0].id;
    let evidence = Evidence::Quote { story: f.quoted.id, quote };
    archive.edit_pack(&f.curator, id, |pack| pack.remove_evidence(finding, &evidence)).unwrap();
    // No working copy cites it now; version 1 does, and shows it as no longer available.
    archive.remove_quote(&f.curator, f.quoted.id, quote).unwrap();
    let page = archive.pack_page(&f.commissioner, id, Some(1)).unwrap();
    assert!(matches!(
        page.pack.findings[0].evidence[0],
        ResolvedEvidence::Unavailable { reason: Unavailable::QuoteRemoved, .. }
    ));
    for (format, text) in f.exports(id) {
        assert!(!text.contains(&f.quote_text), "{format:?} still has the removed quote");
    }
}

#[test]
fn transcript_speakers_never_reach_commissioners_by_name() {
    let f = setup();
    let archive = f.archive();
    let today = Utc::now().date_naive();
    let transcript = archive
        .story_summaries()
        .unwrap()
        .iter()
        .map(|s| archive.story(s.id).unwrap())
        .find(|s| {
            s.form() == Form::Transcript
                && s.effective_scope(today) >= ConsentScope::Commissioners
                && matches!(&s.content, StoryContent::Transcript { cues } if cues.iter().any(|c| c.speaker().is_some()))
        })
        .expect("a sample transcript with speakers that commissioners may see");
    let transcript = publish(archive, transcript.id);
    let StoryContent::Transcript { cues } = &transcript.content else { unreachable!() };
    let speakers: Vec<String> = cues.iter().filter_map(|c| c.speaker().map(|s| format!("{s}:"))).collect();
    let id = archive.create_pack(&f.curator, title("Voices"), title("Q"), Audience::Commissioner).unwrap();
    let finding = archive
        .edit_pack(&f.curator, id, |pack| pack.add_finding(FindingKind::Insight, title("Heard"), None))
        .unwrap();
    archive.add_evidence(&f.curator, id, finding, Evidence::Story { story: transcript.id }).unwrap();
    let last = cues.len().min(2) - 1;
    let quote = archive
        .add_quote(&f.curator, transcript.id, QuoteSelection::Cues { first: 0, last }, Vec::new())
        .unwrap();
    archive
        .add_evidence(&f.curator, id, finding, Evidence::Quote { story: transcript.id, quote: quote.id })
        .unwrap();
    archive.publish_pack(&f.curator, id).unwrap();

    let page = archive.pack_page(&f.commissioner, id, None).unwrap();
    let mut seen = String::new();
    for item in &page.pack.findings[0].evidence {
        let ResolvedEvidence::Shown { story, quote, .. } = item else { panic!("shown: {item:?}") };
        seen.push_str(&story.text);
        seen.push_str(quote.as_deref().unwrap_or_default());
    }
    assert!(seen.contains("Speaker 1: "), "{seen}");
    let mut texts = f.exports(id);
    texts.push((Format::Json, seen));
    for (format, text) in texts {
        for speaker in &speakers {
            assert!(!text.contains(speaker.as_str()), "{format:?} names the speaker {speaker}");
        }
    }
    // Search snippets for commissioners relabel speakers too, and hide file names.
    let word = cues[0]
        .text()
        .split_whitespace()
        .find(|w| w.len() > 4 && w.chars().all(char::is_alphabetic))
        .unwrap();
    let mut request = storybank_archive::SearchRequest::new(word, Audience::Commissioner, today);
    request.limit = 100;
    let response = archive.search(&request).unwrap();
    let hit = response.hits.iter().find(|hit| hit.id == transcript.id).expect("the transcript is found");
    let snippet = hit.snippet.as_ref().map(|s| s.text.clone()).unwrap_or_default();
    for speaker in &speakers {
        assert!(!snippet.contains(speaker.as_str()), "the snippet {snippet:?} names {speaker}");
    }
    assert_eq!(hit.source, None, "commissioners do not see file names");
}
