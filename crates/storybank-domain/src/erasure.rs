//! What stays of an erased story: a content-free record that says which story (by id), when, by
//! whom, and where it had gone (the insight packs that cited it, their published versions and the
//! exports made of them), so curators can tell the people who received it, and a restored backup
//! can erase it again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Audience, PackId, StoryId};

/// An erased story's record. Holds ids, dates, codes and numbers only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    /// The story that was erased.
    pub story: StoryId,
    /// When.
    pub erased_at: DateTime<Utc>,
    /// The account that erased it (`None`: the command line).
    pub erased_by: Option<String>,
    /// The packs that cited it when it was erased.
    pub packs: Vec<ErasedFromPack>,
}

/// A pack that cited an erased story.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedFromPack {
    /// The pack.
    pub pack: PackId,
    /// Whether its working copy cited the story.
    pub in_draft: bool,
    /// Its published versions that cited the story.
    pub versions: Vec<CitingVersion>,
    /// Exports of the pack made before the erasure (from the audit trail).
    pub exports: Vec<PastExport>,
}

/// A published pack version that cited an erased story.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitingVersion {
    /// Its number.
    pub version: u32,
    /// Who it was published for.
    pub audience: Audience,
    /// When.
    pub published_at: DateTime<Utc>,
}

/// An export of a pack, as the audit trail recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastExport {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`None`: the command line).
    pub by: Option<String>,
    /// What the audit trail says of it (version and format).
    pub detail: String,
}

impl Erasure {
    /// The published versions meant for commissioners or the public that cited the story: these
    /// went beyond the curation team before it was erased.
    pub fn reached_beyond_curators(&self) -> impl Iterator<Item = (&ErasedFromPack, &CitingVersion)> {
        self.packs.iter().flat_map(|pack| {
            pack.versions.iter().filter(|v| v.audience < Audience::Curator).map(move |v| (pack, v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_versions_published_beyond_curators_count_as_gone_out() {
        let at = "2026-01-02T03:04:05Z".parse().unwrap();
        let version = |version, audience| CitingVersion { version, audience, published_at: at };
        let erasure = Erasure {
            story: StoryId::new(),
            erased_at: at,
            erased_by: Some("cara".into()),
            packs: vec![ErasedFromPack {
                pack: PackId::new(),
                in_draft: true,
                versions: vec![
                    version(1, Audience::Curator),
                    version(2, Audience::Commissioner),
                    version(3, Audience::Public),
                ],
                exports: vec![],
            }],
        };
        let gone: Vec<u32> = erasure.reached_beyond_curators().map(|(_, v)| v.version).collect();
        assert_eq!(gone, [2, 3]);
        let json = serde_json::to_string(&erasure).unwrap();
        assert_eq!(serde_json::from_str::<Erasure>(&json).unwrap(), erasure);
    }
}
