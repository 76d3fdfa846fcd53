//! Erasure: a story's content removed from everywhere it lives, and a content-free record kept.
//!
//! Order matters. The store transaction deletes the rows (with `secure_delete`, so the freed pages
//! are zeroed) and records the erasure with the media files still to delete; then the media files
//! go, the index deletes the story, commits, merges the segments that held it and deletes their
//! files; last, the WAL is checkpointed and truncated. If the process dies part way, the record
//! says what is left, and [`Archive::open`](crate::Archive::open) finishes it.

use chrono::Utc;
use storybank_domain::{
    AuditAction, CitingVersion, ErasedFromPack, Erasure, PastExport, Role, StoryId, User,
};
use storybank_store::{AuditFilter, Store};

use crate::{Archive, ArchiveError, ErrorKind, search::index_error};

/// What an erasure did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasureReport {
    /// The record kept.
    pub erasure: Erasure,
    /// Whether the WAL was emptied (false: another reader kept it busy; the next erasure or start
    /// finishes it).
    pub wal_emptied: bool,
}

/// Who erases: a curator (who may see every story and handles storytellers' requests), or the
/// command line (`None`). Admins manage accounts, not stories: they do not see story content.
fn check_may_erase(by: Option<&User>) -> Result<Option<String>, ArchiveError> {
    match by {
        None => Ok(None),
        Some(user) if user.has(Role::Curator) => Ok(Some(user.name.to_string())),
        Some(_) => Err(ArchiveError::new(ErrorKind::Forbidden, "erasing a story needs the curator role")),
    }
}

/// The packs that cite `story`, their published versions that do, and the exports of those
/// versions that the audit trail recorded.
fn citing_packs(store: &Store, story: StoryId) -> Result<Vec<ErasedFromPack>, ArchiveError> {
    let mut packs = Vec::new();
    for used in store.packs_citing(story)? {
        let Some(record) = store.pack(used.pack)? else { continue };
        let versions: Vec<CitingVersion> = record
            .versions
            .iter()
            .filter(|v| used.versions.contains(&v.version))
            .map(|v| CitingVersion { version: v.version, audience: v.audience, published_at: v.published_at })
            .collect();
        let filter = AuditFilter {
            action: Some(AuditAction::PackExported),
            object: Some(used.pack.to_string()),
            ..AuditFilter::default()
        };
        let exports = store
            .audit_entries(&filter)?
            .into_iter()
            .filter(|entry| {
                versions.iter().any(|v| entry.detail.starts_with(&export_detail_prefix(v.version)))
            })
            .map(|entry| PastExport { at: entry.at, by: entry.actor, detail: entry.detail })
            .collect();
        packs.push(ErasedFromPack { pack: used.pack, in_draft: used.in_draft, versions, exports });
    }
    Ok(packs)
}

/// How an export's audit detail begins, e.g. `version 2 `.
pub(crate) fn export_detail_prefix(version: u32) -> String {
    format!("version {version} ")
}

impl Archive {
    /// Erases a story: its text, transcript, photo, curation notes, quotes, tags and themes go from
    /// the store, the media folder and the search index, physically. Packs that cited it show the
    /// evidence as withdrawn by the storyteller. `by` is the curator (`None`: the command
    /// line). The report lists the packs, published versions and exports that had cited it.
    pub fn erase(&self, by: Option<&User>, id: StoryId) -> Result<ErasureReport, ArchiveError> {
        let erased_by = check_may_erase(by)?;
        let mut store = self.store()?;
        if store.story(id)?.is_none() {
            let message = if store.is_erased(id)? {
                format!("story {id} was erased already")
            } else {
                format!("there is no story {id}")
            };
            return Err(ArchiveError::new(ErrorKind::NotFound, message));
        }
        let erasure =
            Erasure { story: id, erased_at: Utc::now(), erased_by, packs: citing_packs(&store, id)? };
        store.erase_story(&erasure)?;
        drop(store);
        let wal_emptied = self.finish_erasures()?;
        tracing::info!(story = %id, packs = erasure.packs.len(), "story erased");
        Ok(ErasureReport { erasure, wal_emptied })
    }

    /// What erasing a story would reach: the story itself, and the packs, published versions and
    /// exports that cite it (for the confirmation a curator sees first).
    pub fn erasure_preview(
        &self,
        by: Option<&User>,
        id: StoryId,
    ) -> Result<(storybank_domain::Story, Vec<ErasedFromPack>), ArchiveError> {
        check_may_erase(by)?;
        let store = self.store()?;
        let story = store
            .story(id)?
            .ok_or_else(|| ArchiveError::new(ErrorKind::NotFound, format!("there is no story {id}")))?;
        let packs = citing_packs(&store, id)?;
        Ok((story, packs))
    }

    /// Every erasure, newest first.
    pub fn erasures(&self) -> Result<Vec<Erasure>, ArchiveError> {
        Ok(self.store()?.erasures()?)
    }

    /// Erases, again, stories that a newer copy of this archive erased (after a restore): each
    /// story still here is erased with its original record's date and eraser; a story already
    /// absent just gets the record. Returns how many stories were erased here.
    pub fn reapply_erasures(&self, erasures: &[Erasure]) -> Result<usize, ArchiveError> {
        let mut store = self.store()?;
        let mut erased = 0;
        for original in erasures {
            if store.is_erased(original.story)? {
                continue;
            }
            if store.story(original.story)?.is_some() {
                let mut packs = citing_packs(&store, original.story)?;
                for pack in &original.packs {
                    if !packs.iter().any(|p| p.pack == pack.pack) {
                        packs.push(pack.clone());
                    }
                }
                store.erase_story(&Erasure { packs, ..original.clone() })?;
                erased += 1;
            } else {
                store.record_erasure(original)?;
            }
        }
        drop(store);
        self.finish_erasures()?;
        Ok(erased)
    }

    /// Finishes what erasures left: deletes their media files, drops them physically from the
    /// index (and deletes any index generation but the live one), and empties the WAL. Returns
    /// whether the WAL was emptied. The slow part, merging index segments, runs without holding
    /// the store, so other requests go on meanwhile; a crash before it is finished is finished
    /// at the next start.
    pub(crate) fn finish_erasures(&self) -> Result<bool, ArchiveError> {
        let unpurged = {
            let store = self.store()?;
            let pending = store.pending_erasures()?;
            for erasure in &pending {
                // Its text leaves memory now, not at the next search.
                self.story_cache.forget(erasure.story);
                for hash in &erasure.media {
                    store.media().remove(hash)?;
                }
                if !erasure.media.is_empty() {
                    store.erasure_media_deleted(erasure.story)?;
                }
            }
            let unpurged: Vec<StoryId> =
                pending.iter().filter(|e| !e.index_purged).map(|e| e.story).collect();
            if !unpurged.is_empty() {
                let index = self.index()?;
                for id in &unpurged {
                    index.delete(*id).map_err(index_error)?;
                }
                index.commit(store.last_change()?).map_err(index_error)?;
            }
            unpurged
        };
        if !unpurged.is_empty() {
            let index = self.index()?;
            index.purge_deleted().map_err(index_error)?;
            index.remove_other_generations().map_err(index_error)?;
            drop(index);
            self.store()?.erasures_purged_from_index(&unpurged)?;
        }
        // Always: an earlier checkpoint that a reader kept busy is retried here.
        let emptied = self.store()?.checkpoint()?;
        if !emptied {
            tracing::warn!(
                "a reader kept the database's write-ahead log busy; it is emptied at the next erasure or start"
            );
        }
        Ok(emptied)
    }

    /// What the search index physically holds of `needle` and of story `id` (for erasure checks).
    pub fn index_trace(&self, needle: &str, id: StoryId) -> Result<storybank_index::Trace, ArchiveError> {
        self.index()?.trace(needle, id).map_err(index_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_curators_and_the_command_line_erase() {
        let user = |roles: &[Role]| User {
            id: storybank_domain::UserId::new(),
            name: storybank_domain::UserName::parse("someone").unwrap(),
            roles: storybank_domain::Roles::new(roles.iter().copied()).unwrap(),
            disabled: false,
        };
        assert_eq!(check_may_erase(None).unwrap(), None);
        assert!(check_may_erase(Some(&user(&[Role::Curator]))).is_ok());
        for roles in [&[Role::Reporter][..], &[Role::Commissioner], &[Role::Admin]] {
            assert_eq!(check_may_erase(Some(&user(roles))).unwrap_err().kind(), ErrorKind::Forbidden);
        }
    }
}
