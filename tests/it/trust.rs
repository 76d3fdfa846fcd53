//! Trust: backups and restores that keep erasures, an erasure cut short and finished on the next
//! start, and the audit trail.

use std::path::Path;

use storybank_archive::{Archive, AuditFilter, Config, ErrorKind, NoProgress};
use storybank_domain::{
    AuditAction, Consent, ConsentScope, Erasure, Form, IdentifyAs, Password, Role, Roles, Status, StoryId,
    User, UserName,
};
use storybank_store::Store;

use crate::support::{TestArchive, sample_dir, stdout, storybank};

fn person(archive: &Archive, name: &str, roles: &[Role]) -> User {
    archive
        .accounts()
        .add_user(
            UserName::parse(name).unwrap(),
            Roles::new(roles.iter().copied()).unwrap(),
            &Password::parse("a long test password").unwrap(),
        )
        .unwrap()
}

fn ids_of(archive: &Archive) -> Vec<StoryId> {
    archive.story_summaries().unwrap().iter().map(|summary| summary.id).collect()
}

fn found_by_search(archive: &Archive, id: StoryId) -> bool {
    let mut request = storybank_archive::SearchRequest::new(
        "",
        storybank_domain::Audience::Curator,
        chrono::Utc::now().date_naive(),
    );
    request.limit = 1000;
    archive.search(&request).unwrap().hits.iter().any(|hit| hit.id == id)
}

#[test]
fn a_restored_backup_erases_again_what_was_erased_after_it() {
    let test = TestArchive::new();
    test.ingest(&sample_dir());
    let archive = &test.archive;
    let curator = person(archive, "carl", &[Role::Curator]);
    let backups = tempfile::tempdir().unwrap();
    let (first, second) = (backups.path().join("monday"), backups.path().join("tuesday"));
    let all = ids_of(archive);
    let photo = archive
        .story_summaries()
        .unwrap()
        .into_iter()
        .find(|summary| summary.form == Form::Image)
        .unwrap()
        .id;
    let text = all.iter().copied().find(|id| *id != photo).unwrap();
    let third = all.iter().copied().find(|id| *id != photo && *id != text).unwrap();

    let monday = archive.backup(None, &first).unwrap();
    assert_eq!(monday.stories, all.len() as u64);
    assert!(monday.media_files >= 2, "{monday:?}");
    // Erased after Monday's backup: Tuesday's backup knows it.
    archive.erase(Some(&curator), photo).unwrap();
    archive.backup(None, &second).unwrap();
    // Erased after every backup: only the live archive's erasure list knows it.
    archive.erase(Some(&curator), text).unwrap();
    let list = backups.path().join("erasures-now.json");
    std::fs::write(&list, serde_json::to_vec(&archive.erasures().unwrap()).unwrap()).unwrap();

    // Monday's backup restored: Tuesday's sibling backup and the list are re-applied.
    let restored_dir = tempfile::tempdir().unwrap();
    let report = storybank_archive::restore(&first, Config::new(restored_dir.path()), &[list]).unwrap();
    assert_eq!(report.erasures_reapplied, 2);
    assert_eq!(report.stories, all.len() as u64 - 2);
    let restored = Archive::open(Config::new(restored_dir.path())).unwrap();
    for erased in [photo, text] {
        assert_eq!(restored.story(erased).unwrap_err().kind(), ErrorKind::NotFound);
        assert!(!found_by_search(&restored, erased));
    }
    assert!(found_by_search(&restored, third));
    let records = restored.erasures().unwrap();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|record| record.erased_by.as_deref() == Some("carl")));
    // The photo's media files did not come back.
    assert_eq!(walk(&restored_dir.path().join("media")).len(), report.media_files - 2);
    let restores = restored
        .audit_trail(None, &AuditFilter { action: Some(AuditAction::Restore), ..AuditFilter::default() })
        .unwrap();
    assert_eq!(restores.len(), 1);
    assert!(restores[0].detail.contains("2 erasure(s) re-applied"), "{:?}", restores[0]);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|name| name != "tmp") {
                    stack.push(path);
                }
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn backups_and_restores_refuse_what_they_cannot_do_safely() {
    let test = TestArchive::new();
    test.ingest(&sample_dir());
    let backups = tempfile::tempdir().unwrap();
    let busy = backups.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("keep.txt"), "mine").unwrap();
    let cases: Vec<(Result<(), storybank_archive::ArchiveError>, &str)> = vec![
        (test.archive.backup(None, &busy).map(|_| ()), "has files in it"),
        (
            storybank_archive::restore(&busy, Config::new(backups.path().join("new")), &[]).map(|_| ()),
            "not a complete Storybank backup",
        ),
    ];
    for (result, message) in cases {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid);
        assert!(err.to_string().contains(message), "{err}");
    }
    assert_eq!(std::fs::read_to_string(busy.join("keep.txt")).unwrap(), "mine");
    // A restore into a data directory that holds an archive is refused and changes nothing.
    let good = backups.path().join("good");
    test.archive.backup(None, &good).unwrap();
    let err = storybank_archive::restore(&good, Config::new(test.archive_dir()), &[]).unwrap_err();
    assert!(err.to_string().contains("has files in it"), "{err}");
    assert_eq!(ids_of(&test.archive).len(), test.archive.count_stories().unwrap() as usize);
    // A damaged media file is caught.
    let media = walk(&good.join("media"));
    std::fs::write(&media[0], b"not the photo").unwrap();
    let err = storybank_archive::restore(&good, Config::new(backups.path().join("fresh")), &[]).unwrap_err();
    assert!(err.to_string().contains("does not match its name"), "{err}");
    // ... and the data directory is left empty, so the restore can be retried.
    assert!(std::fs::read_dir(backups.path().join("fresh")).unwrap().next().is_none());
}

#[test]
fn the_command_line_backs_up_while_the_archive_is_open_and_restores() {
    let test = TestArchive::new();
    test.ingest(&sample_dir());
    let stories = test.archive.count_stories().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let target = backups.path().join("copy");
    // The archive stays open (as a running server keeps it): the backup needs only the store.
    let output = storybank(&test.archive_dir(), &["backup", target.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout(&output).contains(&format!("Backed up {stories} stories")), "{}", stdout(&output));
    let restored = backups.path().join("restored");
    let output = storybank(&restored, &["restore", target.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let output = storybank(&restored, &["stories", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len() as u64, stories);
    // The erasure list and the audit trail read while the archive is open.
    let output = storybank(&test.archive_dir(), &["erasure", "list", "--json"]);
    assert_eq!(serde_json::from_slice::<Vec<Erasure>>(&output.stdout).unwrap(), vec![]);
    let output = storybank(&test.archive_dir(), &["audit", "--action", "backup", "--csv"]);
    let csv = stdout(&output);
    assert!(csv.starts_with("seq,at,actor,action,object,detail\n"), "{csv}");
    assert!(csv.contains(",(command line),backup,"), "{csv}");
}

#[test]
fn an_erasure_cut_short_is_finished_on_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let photo = {
        let archive = Archive::open(Config::new(dir.path())).unwrap();
        archive.ingest_paths(&[sample_dir()], &NoProgress).unwrap();
        archive.story_summaries().unwrap().into_iter().find(|summary| summary.form == Form::Image).unwrap().id
    };
    let media_before = walk(&dir.path().join("media")).len();
    // The store's transaction commits, then the process dies before media and index are purged.
    let erasure = Erasure { story: photo, erased_at: chrono::Utc::now(), erased_by: None, packs: vec![] };
    let pending = Store::open(dir.path()).unwrap().erase_story(&erasure).unwrap().unwrap();
    assert_eq!(pending.len(), 2, "the display and thumbnail renditions");
    assert_eq!(walk(&dir.path().join("media")).len(), media_before);
    let archive = Archive::open(Config::new(dir.path())).unwrap();
    assert_eq!(walk(&dir.path().join("media")).len(), media_before - 2);
    let trace = archive.index_trace("unlikely-word", photo).unwrap();
    assert!(!trace.holds_story);
    assert_eq!(trace.deleted_documents, 0);
    assert!(Store::open(dir.path()).unwrap().pending_erasures().unwrap().is_empty());
}

#[test]
fn only_curators_erase_and_a_story_is_erased_once() {
    let test = TestArchive::new();
    test.ingest(&sample_dir());
    let archive = &test.archive;
    let id = ids_of(archive)[0];
    for (roles, expected) in [
        (&[Role::Reporter][..], Some(ErrorKind::Forbidden)),
        (&[Role::Commissioner], Some(ErrorKind::Forbidden)),
        (&[Role::Admin], Some(ErrorKind::Forbidden)),
        (&[Role::Curator], None),
    ] {
        let user = person(archive, &format!("user{}", roles[0]), roles);
        let result = archive.erase(Some(&user), id);
        assert_eq!(result.as_ref().err().map(|err| err.kind()), expected, "{roles:?}");
    }
    let err = archive.erase(None, id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("was erased already"), "{err}");
}

#[test]
fn the_audit_trail_records_who_did_what_and_never_story_text() {
    let test = TestArchive::new();
    test.ingest(&sample_dir());
    let archive = &test.archive;
    let curator = person(archive, "carl", &[Role::Curator]);
    let admin = person(archive, "adam", &[Role::Admin]);
    let accounts = archive.accounts();
    assert!(accounts.log_in("carl", "a long test password").unwrap().is_some());
    assert!(accounts.log_in("carl", "wrong password!").unwrap().is_none());
    assert!(accounts.log_in("nobody", "wrong password!").unwrap().is_none());
    accounts
        .acting_as(&admin)
        .set_roles(&curator.name, Roles::new([Role::Curator, Role::Reporter]).unwrap())
        .unwrap();
    accounts.create_token(&curator.name, "laptop").unwrap();
    // An internal story (consent kept inside the team), read, given consent, and moved on.
    let story = archive
        .story_summaries()
        .unwrap()
        .into_iter()
        .map(|summary| archive.story(summary.id).unwrap())
        .find(|story| {
            story.details.consent.as_ref().is_some_and(|consent| consent.scope() == ConsentScope::Internal)
        })
        .unwrap();
    archive.story_for(&curator, story.id).unwrap();
    let consent =
        Consent::new(ConsentScope::Commissioners, IdentifyAs::Anonymous, "2025-01-01".parse().unwrap(), None)
            .unwrap();
    archive.set_consent(&curator, story.id, Some(consent)).unwrap();
    archive.change_status(&curator, story.id, Status::Reviewed).unwrap();
    archive.change_status(&curator, story.id, Status::Withdrawn).unwrap();

    let old = story.details.consent.as_ref().unwrap();
    let consent_change = format!(
        "internal/{}/{}/{} -> commissioners/anonymous/2025-01-01/no expiry",
        old.identify_as(),
        old.given_on(),
        old.expires_on().map_or("no expiry".to_owned(), |day| format!("until {day}"))
    );
    let entries = archive.audit_trail(Some(&admin), &AuditFilter::default()).unwrap();
    let seen: Vec<(AuditAction, Option<&str>, &str)> =
        entries.iter().rev().map(|e| (e.action, e.actor.as_deref(), e.detail.as_str())).collect();
    let expected = [
        (AuditAction::UserAdded, None, "curator"),
        (AuditAction::UserAdded, None, "admin"),
        (AuditAction::LogIn, Some("carl"), ""),
        (AuditAction::LogInFailed, None, "wrong password"),
        (AuditAction::LogInFailed, None, "unknown account"),
        (AuditAction::RolesChanged, Some("adam"), "reporter,curator"),
        (AuditAction::ViewInternal, Some("carl"), ""),
        (AuditAction::ConsentChanged, Some("carl"), consent_change.as_str()),
        (AuditAction::StatusChanged, Some("carl"), "submitted -> reviewed"),
        (AuditAction::Withdrawn, Some("carl"), "reviewed -> withdrawn"),
    ];
    let without_token: Vec<_> =
        seen.iter().filter(|(action, ..)| *action != AuditAction::TokenCreated).collect();
    assert_eq!(without_token.len(), expected.len(), "{seen:#?}");
    for (got, want) in without_token.iter().zip(expected.iter()) {
        assert_eq!(*got, want, "{seen:#?}");
    }
    assert_eq!(seen.iter().filter(|(action, ..)| *action == AuditAction::TokenCreated).count(), 1);
    // Nothing of the story is in the trail.
    let trail = serde_json::to_string(&entries).unwrap();
    for text in [story.details.title.as_str(), story.content.full_text().as_str()] {
        for word in text.split_whitespace().filter(|word| word.len() > 6) {
            assert!(!trail.contains(word), "the trail holds {word:?}");
        }
    }
    // Only admins read it.
    assert_eq!(
        archive.audit_trail(Some(&curator), &AuditFilter::default()).unwrap_err().kind(),
        ErrorKind::Forbidden
    );
}

/// A text story full of identifying details, ingested from a manifest.
fn identifying_story(archive: &Archive) -> StoryId {
    let staging = tempfile::tempdir().unwrap();
    std::fs::write(
        staging.path().join("call.story.json"),
        r#"{"title": "Nobody called Mary Smith back", "form": "text", "language": "en", "story_type": "written",
            "storyteller": "Mary Smith", "reporter": "dave.o", "place": "Leeds",
            "consent": {"scope": "public", "identify_as": "anonymous", "given_on": "2025-05-01"},
            "body": "I am Mary Smith. Ring me on 0113 496 0000 or write to mary.smith@example.org. Mary waited at 12 Canal Street, LS1 4AB, and Smith is a common name."}"#,
    )
    .unwrap();
    archive.ingest_paths(&[staging.path().to_owned()], &NoProgress).unwrap();
    archive.story_summaries().unwrap().into_iter().find(|s| s.title.as_str().contains("Mary")).unwrap().id
}

#[test]
fn accepted_redactions_replace_the_text_everywhere_and_keep_one_pseudonym_per_person() {
    let test = TestArchive::new();
    let archive = &test.archive;
    let curator = person(archive, "carl", &[Role::Curator]);
    let id = identifying_story(archive);
    let quote = archive
        .add_quote(
            &curator,
            id,
            storybank_archive::QuoteSelection::Passage {
                text: "Mary waited at 12 Canal Street",
                occurrence: None,
            },
            vec![],
        )
        .unwrap();
    let suggestions = archive.redaction_suggestions(&curator, id).unwrap();
    let kinds: Vec<(&str, &str)> = suggestions.iter().map(|s| (s.kind.as_str(), s.found.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("name", "Mary Smith"),
            ("name", "Mary Smith"),
            ("phone", "0113 496 0000"),
            ("email", "mary.smith@example.org"),
            ("name", "Mary"),
            ("address", "12 Canal Street"),
            ("postcode", "LS1 4AB"),
            ("name", "Smith"),
        ]
    );
    let accepted = suggestions.iter().map(|s| s.key()).collect();
    let choice = storybank_archive::RedactionChoice { accepted, phrase: None };
    assert_eq!(archive.redact(&curator, id, &choice).unwrap(), 8);
    let story = archive.story(id).unwrap();
    assert_eq!(story.details.title.as_str(), "Nobody called [Person A] back");
    assert_eq!(
        story.content.full_text(),
        "I am [Person A]. Ring me on [phone] or write to [email]. [Person A] waited at [address], [postcode], \
         and [Person A] is a common name."
    );
    let view = archive.story_for(&curator, id).unwrap();
    assert_eq!(view.curation.quotes[0].id, quote.id);
    assert_eq!(view.curation.quotes[0].text, "[Person A] waited at [address]");
    // The old words are gone from the index, physically.
    for word in ["smith", "0113", "canal"] {
        assert_eq!(archive.index_trace(word, id).unwrap().terms, Vec::<String>::new(), "{word}");
    }
    // Curators see what was replaced; a phrase redacts what no pattern found.
    let records = archive.redactions(&curator, id).unwrap();
    assert_eq!(records.len(), 8);
    assert_eq!(records[0].original.as_deref(), Some("Mary Smith"));
    let phrase = storybank_archive::RedactionChoice {
        accepted: vec![],
        phrase: Some(("common name".into(), storybank_domain::RedactionKind::Other)),
    };
    assert_eq!(archive.redact(&curator, id, &phrase).unwrap(), 1);
    assert!(archive.story(id).unwrap().content.full_text().ends_with("is a [redacted]."));
    // Nothing chosen is refused; and only curators redact.
    let nothing = storybank_archive::RedactionChoice::default();
    assert_eq!(archive.redact(&curator, id, &nothing).unwrap_err().kind(), ErrorKind::Invalid);
    let commissioner = person(archive, "cora", &[Role::Commissioner]);
    assert_ne!(archive.redact(&commissioner, id, &phrase).unwrap_err().kind(), ErrorKind::Invalid);
    let redactions = archive
        .audit_trail(None, &AuditFilter { action: Some(AuditAction::Redaction), ..AuditFilter::default() })
        .unwrap();
    assert_eq!(redactions.len(), 2);
    assert!(!serde_json::to_string(&redactions).unwrap().contains("Smith"));
}

#[test]
fn an_archive_that_keeps_no_originals_leaves_no_trace_of_the_redacted_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.keep_redacted_originals = false;
    let archive = Archive::open(config).unwrap();
    let curator = person(&archive, "carl", &[Role::Curator]);
    let id = identifying_story(&archive);
    let accepted = archive.redaction_suggestions(&curator, id).unwrap().iter().map(|s| s.key()).collect();
    archive.redact(&curator, id, &storybank_archive::RedactionChoice { accepted, phrase: None }).unwrap();
    assert!(archive.redactions(&curator, id).unwrap().iter().all(|record| record.original.is_none()));
    // The phone number and e-mail address are in no file under the data directory.
    for file in walk(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        for secret in ["0113 496 0000", "mary.smith@example.org", "Canal Street"] {
            assert!(
                !bytes.windows(secret.len()).any(|window| window == secret.as_bytes()),
                "{} holds {secret}",
                file.display()
            );
        }
    }
}

#[test]
fn curators_see_consent_that_is_about_to_end_and_that_has_ended() {
    let test = TestArchive::new();
    test.ingest(&sample_dir());
    let archive = &test.archive;
    let curator = person(archive, "carl", &[Role::Curator]);
    let today = chrono::Utc::now().date_naive();
    // Text stories (a photo needs alt text before it is published).
    let ids: Vec<StoryId> = archive
        .story_summaries()
        .unwrap()
        .into_iter()
        .filter(|s| s.form == Form::Text)
        .map(|s| s.id)
        .collect();
    let consent = |expires: Option<chrono::NaiveDate>| {
        Consent::new(ConsentScope::Public, IdentifyAs::Anonymous, "2020-01-01".parse().unwrap(), expires)
            .unwrap()
    };
    // (story, consent's last day)
    let cases = [
        (ids[0], Some(today)),
        (ids[1], Some(today + chrono::Days::new(30))),
        (ids[2], Some(today + chrono::Days::new(31))),
        (ids[3], Some(today - chrono::Days::new(1))),
        (ids[4], None),
    ];
    for (id, expires) in cases {
        archive.set_consent(&curator, id, Some(consent(expires))).unwrap();
        for status in [Status::Reviewed, Status::Published] {
            archive.change_status(&curator, id, status).unwrap();
        }
    }
    let queue = |first: chrono::NaiveDate, last: chrono::NaiveDate| {
        let mut request =
            storybank_archive::SearchRequest::new("", storybank_domain::Audience::Curator, today);
        request.consent_ends = Some((first, last));
        request.limit = 100;
        // Sample stories have consent of their own; only the five above are looked at.
        let mut found: Vec<StoryId> = archive
            .search(&request)
            .unwrap()
            .hits
            .iter()
            .map(|hit| hit.id)
            .filter(|id| cases.iter().any(|(case, _)| case == id))
            .collect();
        found.sort();
        found
    };
    let mut soon = vec![ids[0], ids[1]];
    soon.sort();
    assert_eq!(queue(today, today + chrono::Days::new(30)), soon);
    assert_eq!(queue("1971-01-01".parse().unwrap(), today - chrono::Days::new(1)), vec![ids[3]]);
    // Consent that ended stops applying without anyone acting: commissioners no longer find it.
    let mut request =
        storybank_archive::SearchRequest::new("", storybank_domain::Audience::Commissioner, today);
    request.limit = 1000;
    let visible: Vec<StoryId> = archive.search(&request).unwrap().hits.iter().map(|hit| hit.id).collect();
    for (id, shown) in [(ids[0], true), (ids[2], true), (ids[3], false), (ids[4], true)] {
        assert_eq!(visible.contains(&id), shown, "{id}");
    }
}
