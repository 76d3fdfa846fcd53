//! Insight packs: curators build them from quotes and stories and publish them as versions;
//! commissioners read the published versions. Every read resolves the pack's evidence through the
//! consent function at that moment, so a withdrawn story leaves every page, version and export at
//! once, and curators see which findings lost evidence.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use storybank_domain::{
    Audience, AuditAction, AuditEvent, DomainError, Evidence, FindingId, Markdown, Pack, PackId, Quote,
    ResolvedEvidence, ResolvedPack, Role, Source, Status, Story, StoryId, Title, User, resolve,
};
use storybank_store::{PackRecord, PackUse, PackVersion, Store};

use crate::erasure::export_detail_prefix;
use crate::{Archive, ArchiveError, ErrorKind};

/// A pack as one person may read it: which version, and its resolved content.
#[derive(Clone, Debug)]
pub struct PackPage {
    /// The pack's id.
    pub id: PackId,
    /// The version shown (`None`: the working copy, for curators).
    pub version: Option<u32>,
    /// Every published version.
    pub versions: Vec<PackVersion>,
    /// Whether the working copy has changes not yet published (curators).
    pub changed_since_publication: bool,
    /// The pack, resolved for the reader.
    pub pack: ResolvedPack,
    /// When the version shown was published, or the working copy last changed.
    pub as_of: chrono::DateTime<Utc>,
}

/// A line of a list of packs.
#[derive(Clone, Debug)]
pub struct PackSummary {
    /// Its id.
    pub id: PackId,
    /// Its title (of the version the reader sees).
    pub title: Title,
    /// The question it addresses.
    pub question: Title,
    /// Who it is for.
    pub audience: Audience,
    /// How many findings.
    pub findings: usize,
    /// The latest published version.
    pub latest: Option<PackVersion>,
    /// Whether the working copy has unpublished changes.
    pub changed_since_publication: bool,
}

/// A pack a curator can add evidence to: its id, title, and findings (id, statement).
pub type PackTarget = (PackId, Title, Vec<(FindingId, Title)>);

fn pack_not_found(id: PackId) -> ArchiveError {
    ArchiveError::new(ErrorKind::NotFound, format!("there is no pack {id}"))
}

fn invalid(err: DomainError) -> ArchiveError {
    ArchiveError::new(ErrorKind::Invalid, err.to_string())
}

fn curator(user: &User) -> Result<(), ArchiveError> {
    if user.has(Role::Curator) {
        Ok(())
    } else {
        Err(ArchiveError::new(ErrorKind::Forbidden, "building insight packs needs the curator role"))
    }
}

/// The audience a person reads packs as: the curation team, or commissioners.
fn reader(user: &User) -> Option<Audience> {
    if user.has(Role::Curator) {
        Some(Audience::Curator)
    } else if user.has(Role::Commissioner) {
        Some(Audience::Commissioner)
    } else {
        None
    }
}

/// Whether a reader of `audience` may read a published version meant for `pack_audience`.
fn may_read(reader: Audience, pack_audience: Audience) -> bool {
    reader == Audience::Curator || pack_audience <= reader
}

/// The published versions a reader may read: all of them for the curation team; for others, none
/// if the latest version is not meant for them (a pack narrowed to the curation team disappears
/// for commissioners, old versions included), else the versions meant for them.
fn versions_for(record: &PackRecord, reader: Audience) -> Option<Vec<PackVersion>> {
    if reader == Audience::Curator {
        return Some(record.versions.clone());
    }
    let latest = record.latest()?;
    if !may_read(reader, latest.audience) {
        return None;
    }
    Some(record.versions.iter().filter(|v| may_read(reader, v.audience)).cloned().collect())
}

/// Resolves a pack for `reader`, reading the stories and quotes it cites from the store.
pub(crate) fn resolve_pack(
    store: &Store,
    pack: &Pack,
    reader: Audience,
    today: NaiveDate,
) -> Result<ResolvedPack, ArchiveError> {
    let mut sources: HashMap<StoryId, (Story, Vec<Quote>)> = HashMap::new();
    for id in pack.story_ids() {
        if let Some(story) = store.story(id)? {
            let quotes = store.quotes(id)?;
            sources.insert(id, (story, quotes));
        }
    }
    Ok(resolve(pack, reader, today, |id| sources.get(&id).map(|(story, quotes)| Source { story, quotes })))
}

fn export_view(
    store: &Store,
    id: PackId,
    version: Option<u32>,
) -> Result<(ResolvedPack, PackVersion), ArchiveError> {
    let record = store.pack(id)?.ok_or_else(|| pack_not_found(id))?;
    let chosen = match version {
        Some(number) => record.versions.iter().find(|v| v.version == number),
        None => record.latest(),
    }
    .cloned()
    .ok_or_else(|| {
        ArchiveError::new(
            ErrorKind::Conflict,
            match version {
                Some(number) => format!("pack {id} has no published version {number}"),
                None => format!("pack {id} is not published yet: publish it before exporting it"),
            },
        )
    })?;
    let pack = store
        .pack_version(id, chosen.version)?
        .ok_or_else(|| ArchiveError::new(ErrorKind::Internal, "a listed pack version could not be read"))?;
    let resolved = resolve_pack(store, &pack, pack.audience, Utc::now().date_naive())?;
    Ok((resolved, chosen))
}

/// Reads packs for export straight from the store, without the search index, so the command
/// line can export while the web server runs.
#[derive(Debug)]
pub struct PackExports {
    store: Store,
}

impl PackExports {
    /// Opens the store of `data_dir`.
    pub fn open(data_dir: &std::path::Path) -> Result<Self, ArchiveError> {
        Ok(Self { store: Store::open(data_dir)? })
    }

    /// Every pack's record (working copy and versions), most recently changed first.
    pub fn packs(&self) -> Result<Vec<PackRecord>, ArchiveError> {
        Ok(self.store.packs()?)
    }

    /// A published version resolved for the pack's audience (`None`: the latest), to export as
    /// `format` (recorded in the audit trail as done from the command line).
    pub fn pack_for_export(
        &self,
        id: PackId,
        version: Option<u32>,
        format: &str,
    ) -> Result<(ResolvedPack, PackVersion), ArchiveError> {
        let (pack, chosen) = export_view(&self.store, id, version)?;
        self.store.audit(None, &export_event(id, chosen.version, format))?;
        Ok((pack, chosen))
    }

    /// A stored photo's bytes.
    pub fn media(&self, media: &storybank_domain::MediaRef) -> Result<Vec<u8>, ArchiveError> {
        Ok(self.store.media().read(&media.hash)?)
    }
}

/// The audit entry of an export; its detail starts with [`export_detail_prefix`], which erasure
/// reports look for.
fn export_event(id: PackId, version: u32, format: &str) -> AuditEvent {
    let format: String = format.chars().filter(char::is_ascii_alphanumeric).take(10).collect();
    AuditEvent::new(AuditAction::PackExported, id, format!("{}as {format}", export_detail_prefix(version)))
}

/// Applies `edit` to a pack's working copy while the caller holds the store, and saves it only
/// if it changed (so a no-op, like moving the first finding up, is not an unpublished change).
fn edit_locked<T>(
    store: &mut Store,
    id: PackId,
    edit: impl FnOnce(&Store, &mut Pack) -> Result<T, ArchiveError>,
) -> Result<T, ArchiveError> {
    let record: PackRecord = store.pack(id)?.ok_or_else(|| pack_not_found(id))?;
    let mut draft = record.draft.clone();
    let value = edit(store, &mut draft)?;
    if draft != record.draft {
        store.save_pack_draft(id, &draft)?;
    }
    Ok(value)
}

impl Archive {
    /// Starts a pack (curators).
    pub fn create_pack(
        &self,
        user: &User,
        title: Title,
        question: Title,
        audience: Audience,
    ) -> Result<PackId, ArchiveError> {
        curator(user)?;
        let id = PackId::new();
        self.store()?.insert_pack(id, &Pack::new(title, question, audience), user.id)?;
        tracing::info!(pack = %id, user = %user.name, "pack created");
        Ok(id)
    }

    /// The packs a person may read: every pack for curators; for commissioners, the packs with a
    /// published version meant for them (as of that version).
    pub fn packs_for(&self, user: &User) -> Result<Vec<PackSummary>, ArchiveError> {
        let Some(reader) = reader(user) else {
            return Err(ArchiveError::new(
                ErrorKind::Forbidden,
                "insight packs are for curators and commissioners",
            ));
        };
        let store = self.store()?;
        let mut summaries = Vec::new();
        for record in store.packs()? {
            let Some(versions) = versions_for(&record, reader) else { continue };
            let latest = versions.last().cloned();
            let shown = match (reader, &latest) {
                (Audience::Curator, _) => record.draft.clone(),
                (_, Some(version)) => match store.pack_version(record.id, version.version)? {
                    Some(pack) => pack,
                    None => continue,
                },
                (_, None) => continue,
            };
            summaries.push(PackSummary {
                id: record.id,
                title: shown.title,
                question: shown.question,
                audience: shown.audience,
                findings: shown.findings.len(),
                latest,
                changed_since_publication: record.changed_since_publication,
            });
        }
        Ok(summaries)
    }

    /// A pack as `user` may read it: a published `version`, or (with `None`) the working copy
    /// for curators and the latest published version for commissioners.
    pub fn pack_page(&self, user: &User, id: PackId, version: Option<u32>) -> Result<PackPage, ArchiveError> {
        let reader = reader(user).ok_or_else(|| pack_not_found(id))?;
        let store = self.store()?;
        let record = store.pack(id)?.ok_or_else(|| pack_not_found(id))?;
        let versions = versions_for(&record, reader).ok_or_else(|| pack_not_found(id))?;
        let version = match (reader, version) {
            (Audience::Curator, None) => None,
            (_, Some(number)) => Some(number),
            (_, None) => Some(versions.last().ok_or_else(|| pack_not_found(id))?.version),
        };
        let (pack, as_of) = match version {
            None => (record.draft.clone(), record.updated_at),
            Some(number) => {
                let listed = versions.iter().find(|v| v.version == number).ok_or_else(|| {
                    ArchiveError::new(ErrorKind::NotFound, format!("pack {id} has no version {number}"))
                })?;
                let pack = store.pack_version(id, number)?.ok_or_else(|| {
                    ArchiveError::new(ErrorKind::Internal, "a listed pack version could not be read")
                })?;
                (pack, listed.published_at)
            }
        };
        let resolved = resolve_pack(&store, &pack, reader, Utc::now().date_naive())?;
        Ok(PackPage {
            id,
            version,
            versions,
            changed_since_publication: record.changed_since_publication,
            pack: resolved,
            as_of,
        })
    }

    /// A published version of a pack resolved for the pack's own audience: what an export holds.
    /// `None` takes the latest version.
    pub fn pack_for_export(
        &self,
        id: PackId,
        version: Option<u32>,
    ) -> Result<(ResolvedPack, PackVersion), ArchiveError> {
        let store = self.store()?;
        export_view(&store, id, version)
    }

    /// Exports a published version as `user` (a curator, or a commissioner the pack is meant for)
    /// in `format` (for the audit trail).
    pub fn export_pack_for(
        &self,
        user: &User,
        id: PackId,
        version: Option<u32>,
        format: &str,
    ) -> Result<(ResolvedPack, PackVersion), ArchiveError> {
        // Whether this person may read that version comes first: a commissioner learns nothing
        // about a pack or a version that is not published for them.
        let store = self.store()?;
        let record = store.pack(id)?.ok_or_else(|| pack_not_found(id))?;
        let versions = reader(user).and_then(|reader| versions_for(&record, reader)).unwrap_or_default();
        let wanted = version.or(record.latest().map(|v| v.version));
        let readable = match reader(user) {
            Some(Audience::Curator) => true,
            Some(_) => wanted.is_some_and(|number| versions.iter().any(|v| v.version == number)),
            None => false,
        };
        if !readable {
            return Err(pack_not_found(id));
        }
        let (pack, chosen) = export_view(&store, id, version)?;
        store.audit(Some(user.name.as_str()), &export_event(id, chosen.version, format))?;
        tracing::info!(pack = %id, version = chosen.version, user = %user.name, "pack exported");
        Ok((pack, chosen))
    }

    /// Changes a pack's working copy with `edit` (curators), under the store lock so that
    /// concurrent edits never lose one another.
    pub fn edit_pack<T>(
        &self,
        user: &User,
        id: PackId,
        edit: impl FnOnce(&mut Pack) -> Result<T, DomainError>,
    ) -> Result<T, ArchiveError> {
        curator(user)?;
        let mut store = self.store()?;
        edit_locked(&mut store, id, |_, pack| edit(pack).map_err(invalid))
    }

    /// Changes a pack's title, question, audience and summary (curators).
    pub fn update_pack_details(
        &self,
        user: &User,
        id: PackId,
        title: Title,
        question: Title,
        audience: Audience,
        summary: Option<Markdown>,
    ) -> Result<(), ArchiveError> {
        self.edit_pack(user, id, |pack| {
            pack.title = title;
            pack.question = question;
            pack.audience = audience;
            pack.summary = summary;
            Ok(())
        })
    }

    /// Adds a quote or a story to a finding (curators). The story must exist and not be
    /// withdrawn, and a quote must belong to it.
    pub fn add_evidence(
        &self,
        user: &User,
        id: PackId,
        finding: FindingId,
        evidence: Evidence,
    ) -> Result<(), ArchiveError> {
        curator(user)?;
        // Checked under the same lock as the edit, so the story cannot be withdrawn, or the
        // quote removed, in between.
        let mut store = self.store()?;
        edit_locked(&mut store, id, |store, pack| {
            let story_id = evidence.story();
            let story = store.story(story_id)?.filter(|story| story.status != Status::Withdrawn).ok_or_else(
                || ArchiveError::new(ErrorKind::NotFound, format!("there is no story {story_id}")),
            )?;
            if let Evidence::Quote { quote, .. } = evidence
                && !store.quotes(story.id)?.iter().any(|q| q.id == quote)
            {
                return Err(ArchiveError::new(
                    ErrorKind::NotFound,
                    format!("story {story_id} has no quote {quote}"),
                ));
            }
            pack.add_evidence(finding, evidence).map_err(invalid)
        })
    }

    /// Publishes the working copy as the next version (curators). A pack needs a finding, and
    /// every piece of its evidence must be one its audience may see: publishing evidence that the
    /// storyteller did not allow for that audience is refused, not hidden.
    pub fn publish_pack(&self, user: &User, id: PackId) -> Result<u32, ArchiveError> {
        curator(user)?;
        let mut store = self.store()?;
        let record = store.pack(id)?.ok_or_else(|| pack_not_found(id))?;
        if let Some(latest) = record.latest()
            && !record.changed_since_publication
        {
            return Err(ArchiveError::new(
                ErrorKind::Conflict,
                format!("nothing has changed since version {} was published", latest.version),
            ));
        }
        if record.draft.findings.is_empty() {
            return Err(ArchiveError::new(
                ErrorKind::Conflict,
                "add at least one finding before publishing the pack",
            ));
        }
        if record.draft.findings.iter().any(|finding| finding.evidence.is_empty()) {
            return Err(ArchiveError::new(
                ErrorKind::Conflict,
                "every finding needs evidence: add a quote or a story to each, or remove the finding",
            ));
        }
        let resolved = resolve_pack(&store, &record.draft, Audience::Curator, Utc::now().date_naive())?;
        let lost: usize = resolved.findings.iter().map(|finding| finding.lost).sum();
        if lost > 0 {
            let example = resolved
                .findings
                .iter()
                .flat_map(|finding| &finding.evidence)
                .find_map(|item| match item {
                    ResolvedEvidence::Shown { lost_for_audience: Some(reason), .. }
                    | ResolvedEvidence::Unavailable { reason, .. } => Some(reason.for_curators()),
                    ResolvedEvidence::Shown { .. } => None,
                })
                .unwrap_or_default();
            return Err(ArchiveError::new(
                ErrorKind::Conflict,
                format!(
                    "{lost} piece(s) of evidence cannot be shown to this pack's audience (for example, {example}): \
                     remove them or change the pack's audience before publishing"
                ),
            ));
        }
        let version = store.publish_pack(id, user.id)?.ok_or_else(|| pack_not_found(id))?;
        let audience = record.draft.audience;
        store.audit(
            Some(user.name.as_str()),
            &AuditEvent::new(AuditAction::PackPublished, id, format!("version {version} for {audience}")),
        )?;
        tracing::info!(pack = %id, version, user = %user.name, "pack published");
        Ok(version)
    }

    /// Where a curator can add evidence: every finding of every pack's working copy, as
    /// (pack, pack title, [(finding, statement)]).
    pub fn pack_targets(&self, user: &User) -> Result<Vec<PackTarget>, ArchiveError> {
        curator(user)?;
        Ok(self
            .reader()?
            .packs()?
            .into_iter()
            .map(|record| {
                let findings = record
                    .draft
                    .findings
                    .iter()
                    .map(|finding| (finding.id, finding.statement.clone()))
                    .collect();
                (record.id, record.draft.title, findings)
            })
            .collect())
    }

    /// The packs that cite a story (curators), so they can see what a withdrawal affects.
    pub fn packs_citing(&self, user: &User, story: StoryId) -> Result<Vec<PackUse>, ArchiveError> {
        curator(user)?;
        Ok(self.store()?.packs_citing(story)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_reads_which_pack() {
        use Audience::*;
        // (reader, pack audience) -> may read
        for (reader, pack, expected) in [
            (Curator, Curator, true),
            (Curator, Commissioner, true),
            (Commissioner, Curator, false),
            (Commissioner, Commissioner, true),
            (Commissioner, Public, true),
        ] {
            assert_eq!(may_read(reader, pack), expected, "{reader} reading a pack for {pack}");
        }
    }
}
