//! De-identification as a use case: curators see suggested redactions for a story, accept some
//! (or type a phrase), and the story's text is rewritten with them, in the store and the index.
//!
//! The replaced words are kept for curators in the redaction records, or not at all when the
//! archive is set to keep no originals ([`Config::keep_redacted_originals`](crate::Config)). After a
//! redaction the index merges away the story's old text, and the WAL is checkpointed, so with
//! originals discarded the words are gone from disk.

use chrono::Utc;
use storybank_domain::{Pseudonyms, RedactionKind, StoryId, Suggestion, User, find_phrase, redact, suggest};
use storybank_store::RedactionRecord;

use crate::curation::{Action, allowed, load};
use crate::search::index_error;
use crate::{Archive, ArchiveError, ErrorKind};

/// What a curator chose to redact.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RedactionChoice {
    /// Keys of accepted suggestions ([`Suggestion::key`]).
    pub accepted: Vec<String>,
    /// A phrase to replace everywhere in the story, and as what kind of detail.
    pub phrase: Option<(String, RedactionKind)>,
}

impl Archive {
    /// What could identify someone in a story, for a curator to review.
    pub fn redaction_suggestions(&self, user: &User, id: StoryId) -> Result<Vec<Suggestion>, ArchiveError> {
        let story = {
            let store = self.store()?;
            let (story, curation) = load(&store, id)?;
            allowed(user, &story, &curation, Action::Curate)?;
            story
        };
        // Worked out without holding the store: a long transcript takes a while.
        Ok(suggest(&story))
    }

    /// The redactions made in a story, oldest first (curators; originals only if kept).
    pub fn redactions(&self, user: &User, id: StoryId) -> Result<Vec<RedactionRecord>, ArchiveError> {
        let store = self.store()?;
        let (story, curation) = load(&store, id)?;
        allowed(user, &story, &curation, Action::Curate)?;
        Ok(store.redactions(id)?)
    }

    /// Applies a curator's choice: the accepted suggestions (those still in the story) and the
    /// phrase. Returns how many replacements were made.
    pub fn redact(&self, user: &User, id: StoryId, choice: &RedactionChoice) -> Result<usize, ArchiveError> {
        let invalid = |message: String| ArchiveError::new(ErrorKind::Invalid, message);
        let applied = {
            let mut store = self.store()?;
            let (story, curation) = load(&store, id)?;
            allowed(user, &story, &curation, Action::Curate)?;
            let mut chosen: Vec<Suggestion> =
                suggest(&story).into_iter().filter(|s| choice.accepted.contains(&s.key())).collect();
            if let Some((phrase, kind)) = &choice.phrase {
                chosen.extend(find_phrase(&story, phrase, *kind).map_err(|err| invalid(err.to_string()))?);
            }
            if chosen.is_empty() {
                return Err(invalid(
                    "choose at least one suggestion, or type a phrase from the story to redact".into(),
                ));
            }
            let earlier = store.redactions(id)?;
            let keep = self.keep_redacted_originals;
            // Earlier pseudonyms stay taken; with originals kept, a person found again gets theirs.
            let mut pseudonyms = Pseudonyms::new(
                earlier.iter().enumerate().filter(|(_, record)| record.kind == RedactionKind::Name).map(
                    |(at, record)| {
                        let key = record.person_key.clone().unwrap_or_else(|| format!("#earlier-{at}"));
                        (key, record.replacement.clone())
                    },
                ),
            );
            let redacted =
                redact(&story, &curation.quotes, &chosen, &mut pseudonyms, &|person| person.to_owned())
                    .map_err(|err| invalid(format!("the redacted text is not valid: {err}")))?;
            let now = Utc::now();
            let records: Vec<RedactionRecord> = redacted
                .applied
                .iter()
                .map(|applied| RedactionRecord {
                    unit: applied.unit,
                    kind: applied.kind,
                    replacement: applied.replacement.clone(),
                    original: keep.then(|| applied.original.clone()),
                    person_key: if keep { applied.person.clone() } else { None },
                    by: Some(user.name.to_string()),
                    at: now,
                })
                .collect();
            store.save_redaction(&redacted.story, &redacted.quotes, &records)?;
            // Its text as it was leaves memory now, not at the next search.
            self.story_cache.forget(id);
            let updated = store.story(id)?.ok_or_else(|| {
                ArchiveError::new(ErrorKind::Internal, "the story vanished while redacting it")
            })?;
            let index = self.index()?;
            index.upsert(std::slice::from_ref(&updated)).map_err(index_error)?;
            index.commit(store.last_change()?).map_err(index_error)?;
            records.len()
        };
        // The story's old text is merged out of the index, and the WAL emptied (outside the
        // store lock: merging takes a while).
        self.index()?.purge_deleted().map_err(index_error)?;
        if !self.store()?.checkpoint()? {
            tracing::warn!("a reader kept the database's write-ahead log busy after a redaction");
        }
        tracing::info!(story = %id, user = %user.name, replacements = applied, "story redacted");
        Ok(applied)
    }
}
