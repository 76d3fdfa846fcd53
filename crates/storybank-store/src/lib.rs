//! The store of record: the only crate that speaks SQL.
//!
//! A [`Store`] is a SQLite database in WAL mode (`storybank.sqlite3` in the data directory) plus a
//! content-addressed [`MediaFolder`] (`media/`). Versioned migrations run when it opens. Every write
//! is one transaction: a story is stored with all its cues, themes, tags and warnings, or not at
//! all. Every change to a story appends to a change log (`story_changes`) in the same transaction,
//! which the search index follows.
//!
//! ```no_run
//! let store = storybank_store::Store::open(std::path::Path::new("storybank-data"))?;
//! println!("{} stories", store.count_stories()?);
//! # Ok::<(), storybank_store::StoreError>(())
//! ```

mod accounts;
mod audit;
mod curation;
mod erasures;
mod error;
mod media;
mod migrate;
mod packs;
mod readers;
mod redactions;
mod rows;
mod stories;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use crate::accounts::{SessionRecord, TokenRecord};
pub use crate::audit::AuditFilter;
pub use crate::curation::{Curation, ThemeCount};
pub use crate::erasures::PendingErasure;
pub use crate::error::StoreError;
pub use crate::media::MediaFolder;
pub use crate::migrate::SCHEMA_VERSION;
pub use crate::packs::{PackRecord, PackUse, PackVersion};
pub use crate::readers::{Reader, Readers};
pub use crate::redactions::RedactionRecord;
pub use crate::stories::{InsertOutcome, StorySummary};

/// The name of the SQLite file in the data directory.
pub const DATABASE_FILE: &str = "storybank.sqlite3";

/// The store of record: one SQLite connection and the media folder.
#[derive(Debug)]
pub struct Store {
    connection: Connection,
    media: MediaFolder,
    data_dir: PathBuf,
}

/// The page size of a new database, in bytes.
const PAGE_SIZE: i64 = 16 * 1024;

/// What every connection gets, the writer's and the readers'.
fn configure(connection: &Connection) -> Result<(), StoreError> {
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    // Plans never depend on bound values. Without this, SQLite marks statements whose plan
    // looked at a parameter as "re-prepare on rebind", and the statement cache's `clear_bindings`
    // then re-prepares every cached statement on each use (measured: a sixth of the search page's
    // time went to re-parsing the story query).
    connection.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // Every query the store runs is cached; the default (16) is fewer than one page uses.
    connection.set_prepared_statement_cache_capacity(128);
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, and applies pending migrations.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|err| StoreError::io(data_dir, err))?;
        let mut connection = Connection::open(data_dir.join(DATABASE_FILE))?;
        configure(&connection)?;
        // Pages of 16 KB (SQLite's default is 4 KB), which only a new database takes (an existing
        // one keeps its size until a `VACUUM`): a story's text of a few thousand words then
        // fills one or two overflow pages instead of four to eight, and a search page reads 20
        // of them (measured on 100,000 stories: reading and snippeting a page of hits about a
        // fifth faster). Set before WAL, which fixes the page size.
        connection.pragma_update(None, "page_size", PAGE_SIZE)?;
        // WAL lets readers work while one writer commits; FULL makes every commit durable
        // (consent and withdrawals must survive a power cut); deleted content is overwritten.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.pragma_update(None, "secure_delete", "ON")?;
        migrate::migrate(&mut connection)?;
        let media = MediaFolder::open(data_dir.join("media"))?;
        Ok(Self { connection, media, data_dir: data_dir.to_owned() })
    }

    /// The media folder.
    pub fn media(&self) -> &MediaFolder {
        &self.media
    }

    /// The data directory this store lives in.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use storybank_domain::{
        Consent, ConsentScope, ContentHash, Cue, IdentifyAs, Language, Speaker, Status, Story, StoryContent,
        StoryDetails, StoryId, StoryType, Tag, ThemePath, Timestamp, Title,
    };

    use super::*;

    fn story(hash_digit: char, provenance: &str, content: StoryContent<storybank_domain::MediaRef>) -> Story {
        let now = Utc::now();
        Story {
            id: StoryId::new(),
            details: StoryDetails {
                title: Title::parse("Waiting").unwrap(),
                story_type: StoryType::Dialogue,
                language: Language::parse("fi").unwrap(),
                prompt: None,
                place: None,
                recorded_on: Some("2024-03-12".parse().unwrap()),
                reporter: None,
                storyteller: None,
                consent: Some(
                    Consent::new(
                        ConsentScope::Public,
                        IdentifyAs::Anonymous,
                        "2024-03-12".parse().unwrap(),
                        None,
                    )
                    .unwrap(),
                ),
                themes: vec![ThemePath::parse("health/waiting-times").unwrap()],
                tags: vec![Tag::parse("gp").unwrap()],
            },
            content,
            status: Status::Submitted,
            provenance: Some(provenance.to_owned()),
            content_hash: ContentHash::from_hex(&hash_digit.to_string().repeat(64)).unwrap(),
            ingest_warnings: vec!["language not given".into()],
            created_at: now,
            updated_at: now,
        }
    }

    fn transcript() -> StoryContent<storybank_domain::MediaRef> {
        let cue = Cue::new(
            Some(Timestamp::from_millis(1000)),
            Some(Timestamp::from_millis(2500)),
            Some(Speaker::parse("Aino").unwrap()),
            "Odotin kolme tuntia.".into(),
        )
        .unwrap();
        StoryContent::Transcript { cues: vec![cue] }
    }

    #[test]
    fn a_story_reads_back_as_it_was_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let original = story('a', "fi/odotus.vtt", transcript());
        assert_eq!(
            store.insert_stories(std::slice::from_ref(&original), true).unwrap(),
            [InsertOutcome::Inserted(original.id)]
        );
        let mut read = store.story(original.id).unwrap().unwrap();
        // Times are stored to the microsecond.
        read.created_at = original.created_at;
        read.updated_at = original.updated_at;
        assert_eq!(read, original);
        assert_eq!(store.last_change().unwrap(), 1);
        assert_eq!(store.story(StoryId::new()).unwrap(), None);
    }

    #[test]
    fn many_stories_read_back_in_the_order_asked_with_their_parts_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let cue = |text: &str, speaker: &str| {
            Cue::new(None, None, Some(Speaker::parse(speaker).unwrap()), text.into()).unwrap()
        };
        let mut originals = Vec::new();
        for (digit, themes, tags, warnings, cues) in [
            (
                'a',
                vec!["work", "health/waiting-times", "health"],
                vec!["gp", "bus", "sote"],
                vec!["z first", "a second"],
                3,
            ),
            ('b', vec![], vec![], vec![], 12),
            ('c', vec!["housing/affordability"], vec!["rent"], vec!["only"], 0),
        ] {
            let content = if cues == 0 {
                StoryContent::Text { body: "Vuokra nousi taas.".into() }
            } else {
                // Twelve cues: their positions sort differently as numbers and as text.
                let cues =
                    (0..cues).map(|n| cue(&format!("cue {n}"), if n % 2 == 0 { "Aino" } else { "Bo" }));
                StoryContent::Transcript { cues: cues.collect() }
            };
            let mut story = story(digit, &format!("{digit}.md"), content);
            let mut themes: Vec<_> = themes.into_iter().map(|t| ThemePath::parse(t).unwrap()).collect();
            themes.sort();
            story.details.themes = themes;
            let mut tags: Vec<_> = tags.into_iter().map(|t| Tag::parse(t).unwrap()).collect();
            tags.sort();
            story.details.tags = tags;
            story.ingest_warnings = warnings.into_iter().map(String::from).collect();
            originals.push(story);
        }
        store.insert_stories(&originals, true).unwrap();
        let [a, b, c] = [&originals[0], &originals[1], &originals[2]];
        // ids asked -> stories read, in that order
        for (asked, expected) in [
            (vec![c.id, a.id, b.id], vec![c, a, b]),
            (vec![b.id, StoryId::new(), b.id, a.id], vec![b, a]),
            (vec![StoryId::new()], vec![]),
            (vec![], vec![]),
        ] {
            let read: Vec<Story> = store
                .stories(&asked)
                .unwrap()
                .into_iter()
                .map(|mut story| {
                    // Times are stored to the microsecond.
                    let original = originals.iter().find(|o| o.id == story.id).unwrap();
                    story.created_at = original.created_at;
                    story.updated_at = original.updated_at;
                    story
                })
                .collect();
            assert_eq!(read, expected.into_iter().cloned().collect::<Vec<_>>(), "{asked:?}");
        }
    }

    #[test]
    fn duplicates_and_changed_sources_are_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let first = story('a', "a.md", StoryContent::Text { body: "one".into() });
        store.insert_stories(std::slice::from_ref(&first), true).unwrap();
        let outcomes = store
            .insert_stories(
                &[
                    story('a', "elsewhere.md", StoryContent::Text { body: "one".into() }),
                    story('b', "a.md", StoryContent::Text { body: "one, edited".into() }),
                    story('c', "c.md", StoryContent::Text { body: "three".into() }),
                ],
                true,
            )
            .unwrap();
        assert_eq!(outcomes[0], InsertOutcome::AlreadyPresent(first.id));
        assert_eq!(outcomes[1], InsertOutcome::Changed { existing: first.id });
        assert!(matches!(outcomes[2], InsertOutcome::Inserted(_)));
        assert_eq!(store.count_stories().unwrap(), 2);
    }

    #[test]
    fn a_failed_batch_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let good = story('a', "a.md", StoryContent::Text { body: "one".into() });
        let mut clash = story('b', "b.md", StoryContent::Text { body: "two".into() });
        clash.id = good.id; // the same primary key: the second insert fails
        assert!(store.insert_stories(&[good, clash], false).is_err());
        assert_eq!(store.count_stories().unwrap(), 0);
        assert_eq!(store.last_change().unwrap(), 0);
    }

    #[test]
    fn a_store_made_with_smaller_pages_keeps_them_and_works() {
        // A data directory from before 16 KB pages: SQLite cannot change a WAL database's page
        // size without a VACUUM, so opening it must neither fail nor try to.
        let dir = tempfile::tempdir().unwrap();
        {
            let old = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
            old.pragma_update(None, "page_size", 4096).unwrap();
            old.pragma_update(None, "journal_mode", "WAL").unwrap();
            old.execute_batch("CREATE TABLE before_upgrade (x INTEGER)").unwrap();
        }
        let original = story('a', "a.md", StoryContent::Text { body: "one ".repeat(5_000) });
        Store::open(dir.path()).unwrap().insert_stories(std::slice::from_ref(&original), true).unwrap();
        let store = Store::open(dir.path()).unwrap();
        let page_size: i64 = store.connection.query_row("PRAGMA page_size", [], |row| row.get(0)).unwrap();
        assert_eq!(page_size, 4096);
        let read = store.story(original.id).unwrap().expect("the story is stored");
        assert!(read.content == original.content, "its long text reads back as written");
    }

    #[test]
    fn a_body_must_be_text_to_be_read() {
        // (what the body column holds) -> read back as it was, or an error (never a panic)
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let original = story('a', "a.md", StoryContent::Text { body: "Hämeenlinnan asunnot. ".repeat(400) });
        store.insert_stories(std::slice::from_ref(&original), true).unwrap();
        assert!(store.story(original.id).unwrap().unwrap().content == original.content);
        let id = original.id.to_string();
        for (value, expected) in [
            ("'Łódź, żółć'", Some("Łódź, żółć")),
            ("CAST(x'48C3A46D' AS TEXT)", Some("Häm")),
            ("CAST(x'48C328' AS TEXT)", None),
            ("x'48C3A46D'", None),
        ] {
            store
                .connection
                .execute(&format!("UPDATE stories SET body = {value} WHERE id = ?1"), [&id])
                .unwrap();
            let read = store.story(original.id);
            let body = read.as_ref().ok().and_then(Option::as_ref).map(|story| match &story.content {
                StoryContent::Text { body } => body.clone(),
                other => panic!("a text story read back as {other:?}"),
            });
            assert_eq!(body.as_deref(), expected, "{value}: {read:?}");
            assert_eq!(store.stories(&[original.id]).is_ok(), expected.is_some(), "{value}");
        }
    }

    #[test]
    fn reopening_keeps_stories_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        let original = story('a', "a.md", StoryContent::Text { body: "one".into() });
        Store::open(dir.path()).unwrap().insert_stories(std::slice::from_ref(&original), true).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.count_stories().unwrap(), 1);
        let version: i64 = store.connection.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let mode: String = store.connection.query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let page_size: i64 = store.connection.query_row("PRAGMA page_size", [], |row| row.get(0)).unwrap();
        assert_eq!(page_size, PAGE_SIZE);
    }

    #[test]
    fn query_plans_do_not_depend_on_bound_values() {
        // Otherwise SQLite re-prepares cached statements on each use (see `configure`); measured
        // on the search page rather than here, as it depends on the plan SQLite picks.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let readers = Readers::new(dir.path());
        let qpsg = rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG;
        assert!(store.connection.db_config(qpsg).unwrap());
        assert!(readers.get().unwrap().connection.db_config(qpsg).unwrap());
    }

    #[test]
    fn media_is_content_addressed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let hash = store.media().put(b"pixels").unwrap();
        assert_eq!(store.media().put(b"pixels").unwrap(), hash);
        let path = store.media().path_of(&hash);
        assert!(path.starts_with(dir.path().join("media")));
        assert_eq!(path.file_name().unwrap().to_str().unwrap(), hash.as_str());
        assert_eq!(store.media().read(&hash).unwrap(), b"pixels");
    }
}
