//! Insight packs: working copies, published versions, and the index of the stories and quotes
//! they rest on.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use storybank_domain::{Evidence, Pack, PackId, QuoteId, StoryId, UserId};

use crate::rows::Columns;
use crate::stories::timestamp;
use crate::{Store, StoreError};

/// One published version of a pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackVersion {
    /// 1, 2, ...
    pub version: u32,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// Who published it (their user name), if the account still exists.
    pub published_by: Option<String>,
    /// Who it was published for.
    pub audience: storybank_domain::Audience,
}

/// A pack as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackRecord {
    /// Its id.
    pub id: PackId,
    /// The working copy curators edit.
    pub draft: Pack,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When the working copy last changed.
    pub updated_at: DateTime<Utc>,
    /// Whether the working copy differs from the latest version (always true before the first).
    pub changed_since_publication: bool,
    /// Its published versions, oldest first.
    pub versions: Vec<PackVersion>,
}

impl PackRecord {
    /// The latest published version, if any.
    pub fn latest(&self) -> Option<&PackVersion> {
        self.versions.last()
    }
}

/// Where a story is used as evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackUse {
    /// The pack.
    pub pack: PackId,
    /// Its title (of the working copy).
    pub title: String,
    /// The published versions that cite the story.
    pub versions: Vec<u32>,
    /// Whether the working copy cites it.
    pub in_draft: bool,
}

fn to_json(pack: &Pack) -> Result<String, StoreError> {
    serde_json::to_string(pack).map_err(|err| StoreError::Corrupt {
        id: "pack".into(),
        field: "content",
        detail: err.to_string(),
    })
}

fn from_json(id: &str, field: &'static str, raw: &str) -> Result<Pack, StoreError> {
    serde_json::from_str(raw).map_err(|err| Columns { id }.corrupt(field, err))
}

fn write_evidence(
    transaction: &Transaction<'_>,
    id: PackId,
    version: u32,
    pack: &Pack,
) -> Result<(), StoreError> {
    transaction
        .prepare_cached("DELETE FROM pack_evidence WHERE pack_id = ?1 AND version = ?2")?
        .execute(params![id.to_string(), version])?;
    let mut insert = transaction.prepare_cached(
        "INSERT INTO pack_evidence (pack_id, version, story_id, quote_id) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for evidence in pack.evidence() {
        let quote = match evidence {
            Evidence::Quote { quote, .. } => Some(quote.to_string()),
            Evidence::Story { .. } => None,
        };
        insert.execute(params![id.to_string(), version, evidence.story().to_string(), quote])?;
    }
    Ok(())
}

impl Store {
    /// Stores a new pack.
    pub fn insert_pack(&mut self, id: PackId, pack: &Pack, created_by: UserId) -> Result<(), StoreError> {
        let now = timestamp(Utc::now());
        let transaction = self.connection.transaction()?;
        transaction
            .prepare_cached(
                "INSERT INTO packs (id, draft, created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            )?
            .execute(params![id.to_string(), to_json(pack)?, created_by.to_string(), now])?;
        write_evidence(&transaction, id, 0, pack)?;
        transaction.commit()?;
        Ok(())
    }

    /// Replaces a pack's working copy. Returns false when there is no such pack.
    pub fn save_pack_draft(&mut self, id: PackId, pack: &Pack) -> Result<bool, StoreError> {
        let transaction = self.connection.transaction()?;
        let updated = transaction
            .prepare_cached(
                "UPDATE packs SET draft = ?2, updated_at = ?3, changed_since_publication = 1 WHERE id = ?1",
            )?
            .execute(params![id.to_string(), to_json(pack)?, timestamp(Utc::now())])?;
        if updated == 1 {
            write_evidence(&transaction, id, 0, pack)?;
        }
        transaction.commit()?;
        Ok(updated == 1)
    }

    /// Publishes a pack's working copy as its next version and returns the version's number.
    pub fn publish_pack(&mut self, id: PackId, by: UserId) -> Result<Option<u32>, StoreError> {
        let transaction = self.connection.transaction()?;
        let id_text = id.to_string();
        let Some(draft) = transaction
            .prepare_cached("SELECT draft FROM packs WHERE id = ?1")?
            .query_row([&id_text], |row| row.get::<_, String>(0))
            .optional()?
        else {
            return Ok(None);
        };
        let pack = from_json(&id_text, "draft", &draft)?;
        let version: u32 = transaction
            .prepare_cached("SELECT coalesce(max(version), 0) + 1 FROM pack_versions WHERE pack_id = ?1")?
            .query_row([&id_text], |row| row.get(0))?;
        transaction
            .prepare_cached(
                "INSERT INTO pack_versions (pack_id, version, content, audience, published_at, published_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                id_text,
                version,
                draft,
                pack.audience.as_str(),
                timestamp(Utc::now()),
                by.to_string()
            ])?;
        transaction
            .prepare_cached("UPDATE packs SET changed_since_publication = 0 WHERE id = ?1")?
            .execute([&id_text])?;
        write_evidence(&transaction, id, version, &pack)?;
        transaction.commit()?;
        Ok(Some(version))
    }

    /// One pack, with its versions.
    pub fn pack(&self, id: PackId) -> Result<Option<PackRecord>, StoreError> {
        Ok(self.pack_records("WHERE id = ?1", &[&id.to_string()])?.pop())
    }

    /// Every pack, most recently changed first.
    pub fn packs(&self) -> Result<Vec<PackRecord>, StoreError> {
        self.pack_records("ORDER BY updated_at DESC, id DESC", &[])
    }

    fn pack_records(&self, tail: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<PackRecord>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT id, draft, created_by, created_at, updated_at, changed_since_publication FROM packs {tail}"
        ))?;
        let rows = statement.query_map(args, |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, bool>(5)?,
            ))
        })?;
        let mut records = Vec::new();
        for row in rows {
            let (id, draft, created_by, created_at, updated_at, changed) = row?;
            let columns = Columns { id: &id };
            records.push(PackRecord {
                id: columns.parse("id", &id, PackId::parse)?,
                draft: from_json(&id, "draft", &draft)?,
                created_by: columns.optional("created_by", created_by.as_deref(), UserId::parse)?,
                created_at: columns.time("created_at", &created_at)?,
                updated_at: columns.time("updated_at", &updated_at)?,
                changed_since_publication: changed,
                versions: self.pack_versions(&id)?,
            });
        }
        Ok(records)
    }

    fn pack_versions(&self, id: &str) -> Result<Vec<PackVersion>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT v.version, v.published_at, u.name, v.audience FROM pack_versions v \
             LEFT JOIN users u ON u.id = v.published_by WHERE v.pack_id = ?1 ORDER BY v.version",
        )?;
        let rows = statement.query_map([id], |row| {
            Ok((
                row.get::<_, u32>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        let columns = Columns { id };
        let mut versions = Vec::new();
        for row in rows {
            let (version, published_at, published_by, audience) = row?;
            versions.push(PackVersion {
                version,
                published_at: columns.time("published_at", &published_at)?,
                published_by,
                audience: columns.parse("audience", &audience, storybank_domain::Audience::parse)?,
            });
        }
        Ok(versions)
    }

    /// A published version of a pack, as it was published.
    pub fn pack_version(&self, id: PackId, version: u32) -> Result<Option<Pack>, StoreError> {
        let id_text = id.to_string();
        let content = self
            .connection
            .prepare_cached("SELECT content FROM pack_versions WHERE pack_id = ?1 AND version = ?2")?
            .query_row(params![id_text, version], |row| row.get::<_, String>(0))
            .optional()?;
        content.map(|raw| from_json(&id_text, "content", &raw)).transpose()
    }

    /// The packs (working copies and published versions) that cite a story.
    pub fn packs_citing(&self, story: StoryId) -> Result<Vec<PackUse>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT DISTINCT e.pack_id, e.version, p.draft FROM pack_evidence e JOIN packs p ON p.id = e.pack_id \
             WHERE e.story_id = ?1 ORDER BY e.pack_id, e.version",
        )?;
        let rows = statement.query_map([story.to_string()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, u32>(1)?, row.get::<_, String>(2)?))
        })?;
        let mut uses: Vec<PackUse> = Vec::new();
        for row in rows {
            let (id, version, draft) = row?;
            let pack = Columns { id: &id }.parse("id", &id, PackId::parse)?;
            if uses.last().is_none_or(|last| last.pack != pack) {
                let title = from_json(&id, "draft", &draft)?.title.to_string();
                uses.push(PackUse { pack, title, versions: Vec::new(), in_draft: false });
            }
            if let Some(last) = uses.last_mut() {
                if version == 0 {
                    last.in_draft = true;
                } else {
                    last.versions.push(version);
                }
            }
        }
        Ok(uses)
    }

    /// Whether a pack's working copy cites this quote (published versions that cite a removed
    /// quote show it as no longer available).
    pub fn quote_in_a_draft(&self, quote: QuoteId) -> Result<bool, StoreError> {
        Ok(self
            .connection
            .prepare_cached("SELECT 1 FROM pack_evidence WHERE quote_id = ?1 AND version = 0 LIMIT 1")?
            .query_row([quote.to_string()], |_| Ok(()))
            .optional()?
            .is_some())
    }
}
