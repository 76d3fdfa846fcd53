//! The web app's use cases on stories: submitting, reading as a given person, and curating.
//!
//! Every use case takes the [`User`] asking and checks both their role and the story: a reporter
//! sees and tags only their own submissions; curators see and curate every story; commissioners
//! see what consent lets them see. A story the person may not see is "not found", so guessing ids
//! reveals nothing.

use chrono::Utc;
use storybank_domain::{
    AltText, Audience, AuditAction, AuditEvent, Consent, ConsentScope, CurationNotes, Quote, QuoteId,
    QuoteSpan, Role, Status, Story, StoryContent, StoryDetails, StoryId, Tag, Theme, ThemePath, User,
};
use storybank_ingest::{ContentInput, Metadata};
use storybank_store::{Curation, InsertOutcome, Store, StorySummary, ThemeCount};

use crate::{Archive, ArchiveError, ErrorKind, search};

/// A story as a person may see it, with what curators added.
#[derive(Clone, Debug)]
pub struct StoryView {
    /// The story.
    pub story: Story,
    /// Notes, quotes, suggestions, submitter.
    pub curation: Curation,
    /// Whether the person asking may curate it (edit, theme, quote, move its status).
    pub may_curate: bool,
    /// Whether the person asking may tag it (curators, and the reporter who submitted it).
    pub may_tag: bool,
}

impl StoryView {
    /// How `user` reads this story: in full for the curation team and the reporter who submitted
    /// it; for anyone else (a commissioner), through the consent function.
    pub fn reading(&self, user: &User) -> storybank_domain::Reading {
        if user.has(Role::Curator) || self.may_tag {
            return storybank_domain::Reading::in_full(&self.story);
        }
        // `story_for` let them see it, so the consent function shows it; if consent ended in
        // between, they see nothing identifying.
        storybank_domain::Reading::as_audience(&self.story, Audience::Commissioner, Utc::now().date_naive())
            .unwrap_or_else(|| storybank_domain::Reading::nothing_identifying(&self.story))
    }
}

/// A story uploaded through the web app (or the API): its details as typed, its content, and the
/// themes its reporter suggests.
#[derive(Debug)]
pub struct Submission<'a> {
    /// Title, type, language, place, date, people, consent and tags.
    pub metadata: Metadata,
    /// The text, the transcript, or the photo's file name and bytes.
    pub content: ContentInput<'a>,
    /// Themes the reporter suggests (curators confirm them).
    pub suggested_themes: Vec<ThemePath>,
    /// What the upload was called (the file name, or "web form"), kept as its provenance.
    pub source: String,
}

/// What a change to a story is, for the rules on who may make it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    View,
    Tag,
    Curate,
}

fn not_found(id: StoryId) -> ArchiveError {
    ArchiveError::new(ErrorKind::NotFound, format!("there is no story {id}"))
}

fn invalid(message: impl Into<String>) -> ArchiveError {
    ArchiveError::new(ErrorKind::Invalid, message)
}

/// Whether `user` may see `story` at all (`submitted_by` is who uploaded it).
pub fn may_view(user: &User, story: &Story, submitted_by: Option<storybank_domain::UserId>) -> bool {
    // A withdrawn story is hidden from everyone, whoever gathered or curated it.
    if story.status == Status::Withdrawn {
        return false;
    }
    let today = Utc::now().date_naive();
    user.has(Role::Curator)
        || (user.has(Role::Reporter) && submitted_by == Some(user.id))
        || (user.has(Role::Commissioner) && Audience::Commissioner.may_see(story, today))
}

pub(crate) fn allowed(
    user: &User,
    story: &Story,
    curation: &Curation,
    action: Action,
) -> Result<(), ArchiveError> {
    if !may_view(user, story, curation.submitted_by) {
        return Err(not_found(story.id));
    }
    let owner = user.has(Role::Reporter) && curation.submitted_by == Some(user.id);
    let ok = match action {
        Action::View => true,
        Action::Tag => user.has(Role::Curator) || owner,
        Action::Curate => user.has(Role::Curator),
    };
    if ok { Ok(()) } else { Err(ArchiveError::new(ErrorKind::Forbidden, "you may not change this story")) }
}

fn role_required(user: &User, role: Role) -> Result<(), ArchiveError> {
    if user.has(role) {
        Ok(())
    } else {
        Err(ArchiveError::new(ErrorKind::Forbidden, format!("this needs the {role} role")))
    }
}

impl Archive {
    /// Stores a story uploaded by `user` (a reporter), through the same ingestion as the CLI.
    pub fn submit(&self, user: &User, submission: Submission<'_>) -> Result<StoryId, ArchiveError> {
        role_required(user, Role::Reporter)?;
        let known = self.theme_paths()?;
        for theme in &submission.suggested_themes {
            if !known.contains(theme) {
                return Err(invalid(format!(
                    "theme {theme} is not in the taxonomy; choose one from the list"
                )));
            }
        }
        // The reporter is the person submitting, unless they named the reporter who gathered it.
        let mut metadata = submission.metadata;
        if metadata.reporter.is_none() {
            metadata.reporter = storybank_domain::Reporter::parse(user.name.as_str()).ok();
        }
        // Decoding and re-encoding a photo takes a while: done before taking the store lock.
        let ingested =
            storybank_ingest::ingest(&submission.source, metadata, submission.content, &self.limits)
                .map_err(|err| invalid(err.to_string()))?;
        let mut store = self.store()?;
        let story = self.prepare_story(&store, ingested, &known, Utc::now())?;
        match store.insert_submission(&story, user.id, &submission.suggested_themes)? {
            InsertOutcome::Inserted(id) => {
                self.refresh_index(&store, &[story])?;
                tracing::info!(story = %id, user = %user.name, "story submitted");
                Ok(id)
            }
            InsertOutcome::AlreadyPresent(_) | InsertOutcome::Changed { .. } => Err(ArchiveError::new(
                ErrorKind::Conflict,
                "this story is already in the archive (the same words or the same photo)",
            )),
        }
    }

    /// The stories `user` submitted, newest first.
    pub fn my_stories(&self, user: &User) -> Result<Vec<StorySummary>, ArchiveError> {
        role_required(user, Role::Reporter)?;
        Ok(self.store()?.stories_submitted_by(user.id)?)
    }

    /// A story as `user` may see it; "not found" when they may not.
    pub fn story_for(&self, user: &User, id: StoryId) -> Result<StoryView, ArchiveError> {
        let store = self.store()?;
        let (story, curation) = load(&store, id)?;
        allowed(user, &story, &curation, Action::View)?;
        let may_curate = allowed(user, &story, &curation, Action::Curate).is_ok();
        let may_tag = allowed(user, &story, &curation, Action::Tag).is_ok();
        let today = Utc::now().date_naive();
        if storybank_domain::effective_scope(story.details.consent.as_ref(), today) == ConsentScope::Internal
        {
            let event = AuditEvent::new(AuditAction::ViewInternal, id, "");
            store.audit(Some(user.name.as_str()), &event)?;
        }
        Ok(StoryView { story, curation, may_curate, may_tag })
    }

    /// The reporters named in stories, with their story counts (curators' review filter).
    pub fn reporters(&self, user: &User) -> Result<Vec<(String, u64)>, ArchiveError> {
        role_required(user, Role::Curator)?;
        Ok(self.store()?.reporters()?)
    }

    /// The themes that may be given to stories (not retired), in path order.
    pub fn assignable_themes(&self) -> Result<Vec<Theme>, ArchiveError> {
        self.themes()
    }

    /// Adds a tag (curators, or the reporter who submitted the story).
    pub fn add_tag(&self, user: &User, id: StoryId, tag: Tag) -> Result<Story, ArchiveError> {
        self.edit(user, id, Action::Tag, "tags", |details| {
            if !details.tags.contains(&tag) {
                details.tags.push(tag);
                details.tags.sort();
            }
            if details.tags.len() > storybank_domain::MAX_TAGS_PER_STORY {
                return Err(invalid(
                    storybank_domain::DomainError::TooManyTags(details.tags.len()).to_string(),
                ));
            }
            Ok(())
        })
    }

    /// Removes a tag (curators, or the reporter who submitted the story).
    pub fn remove_tag(&self, user: &User, id: StoryId, tag: &Tag) -> Result<Story, ArchiveError> {
        self.edit(user, id, Action::Tag, "tags", |details| {
            details.tags.retain(|t| t != tag);
            Ok(())
        })
    }

    /// Assigns a theme of the taxonomy (curators).
    pub fn add_theme(&self, user: &User, id: StoryId, theme: ThemePath) -> Result<Story, ArchiveError> {
        if !self.theme_paths()?.contains(&theme) {
            return Err(invalid(format!(
                "theme {theme} is not in the taxonomy (or is retired); choose one from the list"
            )));
        }
        self.edit(user, id, Action::Curate, "themes", |details| {
            if !details.themes.contains(&theme) {
                details.themes.push(theme);
                details.themes.sort();
            }
            Ok(())
        })
    }

    /// Removes a theme from a story (curators).
    pub fn remove_theme(&self, user: &User, id: StoryId, theme: &ThemePath) -> Result<Story, ArchiveError> {
        self.edit(user, id, Action::Curate, "themes", |details| {
            details.themes.retain(|t| t != theme);
            Ok(())
        })
    }

    /// Replaces the themes the reporter suggests for their story.
    pub fn suggest_themes(
        &self,
        user: &User,
        id: StoryId,
        themes: Vec<ThemePath>,
    ) -> Result<(), ArchiveError> {
        let known = self.theme_paths()?;
        if let Some(unknown) = themes.iter().find(|theme| !known.contains(theme)) {
            return Err(invalid(format!("theme {unknown} is not in the taxonomy; choose one from the list")));
        }
        let mut store = self.store()?;
        let (story, curation) = load(&store, id)?;
        allowed(user, &story, &curation, Action::Tag)?;
        store.set_suggested_themes(id, &themes)?;
        Ok(())
    }

    /// Changes a story's details (curators): title, type, language, place, date, people.
    pub fn update_details(
        &self,
        user: &User,
        id: StoryId,
        change: impl FnOnce(&mut StoryDetails),
    ) -> Result<Story, ArchiveError> {
        self.edit(user, id, Action::Curate, "details", |details| {
            change(details);
            Ok(())
        })
    }

    /// Records, changes or removes a story's consent (curators).
    pub fn set_consent(
        &self,
        user: &User,
        id: StoryId,
        consent: Option<Consent>,
    ) -> Result<Story, ArchiveError> {
        // Codes and dates only, e.g. `internal/anonymous/2024-03-01/no expiry`.
        let scope = |consent: Option<&Consent>| {
            consent.map_or("none".to_owned(), |c| {
                format!(
                    "{}/{}/{}/{}",
                    c.scope(),
                    c.identify_as(),
                    c.given_on(),
                    c.expires_on().map_or("no expiry".to_owned(), |day| format!("until {day}"))
                )
            })
        };
        let mut before = "none".to_owned();
        let after = scope(consent.as_ref());
        let story = self.edit(user, id, Action::Curate, "consent", |details| {
            before = scope(details.consent.as_ref());
            details.consent = consent;
            Ok(())
        })?;
        let event = AuditEvent::new(AuditAction::ConsentChanged, id, format!("{before} -> {after}"));
        self.record(Some(user), event)?;
        Ok(story)
    }

    /// Sets or clears a photo story's alt text (curators).
    pub fn set_alt_text(
        &self,
        user: &User,
        id: StoryId,
        alt_text: Option<AltText>,
    ) -> Result<Story, ArchiveError> {
        let mut store = self.store()?;
        let (story, curation) = load(&store, id)?;
        allowed(user, &story, &curation, Action::Curate)?;
        if !store.set_alt_text(id, alt_text.as_ref())? {
            return Err(invalid("only a photo story has alt text"));
        }
        self.reload_and_index(&store, id)
    }

    /// Records the key message and key learning (curators).
    pub fn set_notes(&self, user: &User, id: StoryId, notes: CurationNotes) -> Result<(), ArchiveError> {
        let mut store = self.store()?;
        let (story, curation) = load(&store, id)?;
        allowed(user, &story, &curation, Action::Curate)?;
        store.set_notes(id, &notes)?;
        Ok(())
    }

    /// Marks a quote (curators): a passage of the text found exactly, or a range of transcript
    /// cues. It keeps the story's themes that the curator picked.
    pub fn add_quote(
        &self,
        user: &User,
        id: StoryId,
        span: QuoteSelection<'_>,
        themes: Vec<ThemePath>,
    ) -> Result<Quote, ArchiveError> {
        let mut store = self.store()?;
        let (story, curation) = load(&store, id)?;
        allowed(user, &story, &curation, Action::Curate)?;
        let full_text = story.content.full_text();
        let cues = match &story.content {
            StoryContent::Transcript { cues } => cues.as_slice(),
            _ => &[],
        };
        let span = match span {
            QuoteSelection::Passage { text, occurrence } => QuoteSpan::locate(&full_text, text, occurrence),
            QuoteSelection::Cues { first, last } => QuoteSpan::cues(first, last, cues.len()),
        }
        .map_err(|err| invalid(err.to_string()))?;
        let text =
            span.text_of(&full_text, cues).ok_or_else(|| invalid("the selection is not in the story"))?;
        let quote = Quote {
            id: QuoteId::new(),
            story_id: id,
            span,
            text,
            themes,
            created_by: Some(user.id),
            created_at: Utc::now(),
        };
        store.insert_quote(&quote)?;
        Ok(quote)
    }

    /// Removes a quote (curators).
    pub fn remove_quote(&self, user: &User, id: StoryId, quote: QuoteId) -> Result<(), ArchiveError> {
        let mut store = self.store()?;
        let (story, curation) = load(&store, id)?;
        allowed(user, &story, &curation, Action::Curate)?;
        if store.quote_in_a_draft(quote)? {
            return Err(ArchiveError::new(
                ErrorKind::Conflict,
                "this quote is evidence in an insight pack's working copy: remove it from the pack first \
                 (published versions that cite it will show it as no longer available)",
            ));
        }
        if store.delete_quote(id, quote)? {
            Ok(())
        } else {
            Err(ArchiveError::new(ErrorKind::NotFound, format!("story {id} has no quote {quote}")))
        }
    }

    /// Moves a story through curation (curators): submitted -> reviewed -> published, a step
    /// back, or withdrawn. Publishing needs recorded consent, and alt text on a photo.
    pub fn change_status(&self, user: &User, id: StoryId, status: Status) -> Result<Story, ArchiveError> {
        {
            let store = self.store()?;
            let (story, curation) = load(&store, id)?;
            allowed(user, &story, &curation, Action::Curate)?;
        }
        let before = self.story(id)?.status;
        let story = self.set_status(id, status)?;
        let event = if status == Status::Withdrawn {
            AuditEvent::new(AuditAction::Withdrawn, id, format!("{before} -> {status}"))
        } else {
            AuditEvent::new(AuditAction::StatusChanged, id, format!("{before} -> {status}"))
        };
        self.record(Some(user), event)?;
        tracing::info!(story = %id, user = %user.name, status = %status, "status changed");
        Ok(story)
    }

    /// The taxonomy with story counts, retired themes included.
    pub fn theme_counts(&self) -> Result<Vec<ThemeCount>, ArchiveError> {
        Ok(self.store()?.theme_counts()?)
    }

    /// Adds a theme to the taxonomy (curators). Its parent must exist.
    pub fn create_theme(&self, user: &User, theme: Theme) -> Result<(), ArchiveError> {
        role_required(user, Role::Curator)?;
        let mut store = self.store()?;
        if store.has_theme(&theme.path)? {
            return Err(ArchiveError::new(
                ErrorKind::Conflict,
                format!("theme {} already exists", theme.path),
            ));
        }
        if let Some(parent) = theme.path.parent()
            && !store.has_theme(&parent)?
        {
            return Err(invalid(format!("create the parent theme {parent} first")));
        }
        store.upsert_themes(std::slice::from_ref(&theme))?;
        Ok(())
    }

    /// Renames or moves a theme (and its sub-themes) to `to`, re-theming every story (curators).
    pub fn rename_theme(
        &self,
        user: &User,
        from: &ThemePath,
        to: &ThemePath,
        label: &str,
    ) -> Result<u64, ArchiveError> {
        role_required(user, Role::Curator)?;
        let label = label.trim();
        if label.is_empty() {
            return Err(invalid("give the theme a label"));
        }
        let mut store = self.store()?;
        if !store.has_theme(from)? {
            return Err(ArchiveError::new(ErrorKind::NotFound, format!("there is no theme {from}")));
        }
        if from != to {
            if from.contains(to) {
                return Err(invalid(format!("a theme cannot move inside itself ({to} is within {from})")));
            }
            if store.has_theme(to)? {
                return Err(ArchiveError::new(
                    ErrorKind::Conflict,
                    format!("theme {to} already exists; merge into it instead"),
                ));
            }
            if let Some(parent) = to.parent()
                && !store.has_theme(&parent)?
            {
                return Err(invalid(format!("there is no theme {parent} to move it under")));
            }
        }
        if from == to {
            // Only the label changes.
            store.set_theme_label(from, label)?;
            return Ok(0);
        }
        // Sub-themes move with the theme: the deepest must stay within the depth limit.
        let deepest = store
            .theme_counts()?
            .iter()
            .map(|count| &count.theme.path)
            .filter(|path| from.contains(path))
            .map(ThemePath::depth)
            .max()
            .unwrap_or(from.depth());
        if to.depth() + (deepest - from.depth()) > storybank_domain::MAX_THEME_DEPTH {
            return Err(invalid(format!(
                "moving {from} to {to} would nest its sub-themes deeper than {} levels",
                storybank_domain::MAX_THEME_DEPTH
            )));
        }
        let affected = store.rename_theme(from, to, label)?;
        drop(store);
        self.catch_up_index()?;
        Ok(affected)
    }

    /// Merges a theme (and its sub-themes) into another: their stories carry `into` instead.
    pub fn merge_theme(&self, user: &User, from: &ThemePath, into: &ThemePath) -> Result<u64, ArchiveError> {
        role_required(user, Role::Curator)?;
        if from.contains(into) {
            return Err(invalid(format!("a theme cannot merge into itself or its own sub-theme ({into})")));
        }
        let mut store = self.store()?;
        for theme in [from, into] {
            if !store.has_theme(theme)? {
                return Err(ArchiveError::new(ErrorKind::NotFound, format!("there is no theme {theme}")));
            }
        }
        let affected = store.merge_theme(from, into)?;
        drop(store);
        self.catch_up_index()?;
        Ok(affected)
    }

    /// Retires a theme (kept on its stories, no longer offered) or brings it back.
    pub fn retire_theme(&self, user: &User, theme: &ThemePath, retired: bool) -> Result<(), ArchiveError> {
        role_required(user, Role::Curator)?;
        if !self.store()?.set_theme_retired(theme, retired)? {
            return Err(ArchiveError::new(ErrorKind::NotFound, format!("there is no theme {theme}")));
        }
        Ok(())
    }

    /// Loads a story, checks `action` is allowed, applies `change` to its details, stores them
    /// (logging a change of `kind`) and updates the index.
    fn edit(
        &self,
        user: &User,
        id: StoryId,
        action: Action,
        kind: &str,
        change: impl FnOnce(&mut StoryDetails) -> Result<(), ArchiveError>,
    ) -> Result<Story, ArchiveError> {
        let mut store = self.store()?;
        let (story, curation) = load(&store, id)?;
        allowed(user, &story, &curation, action)?;
        let mut details = story.details.clone();
        change(&mut details)?;
        if details != story.details {
            store.update_details(id, &details, kind)?;
            return self.reload_and_index(&store, id);
        }
        Ok(story)
    }

    fn reload_and_index(&self, store: &Store, id: StoryId) -> Result<Story, ArchiveError> {
        let story = store.story(id)?.ok_or_else(|| not_found(id))?;
        self.refresh_index(store, std::slice::from_ref(&story))?;
        Ok(story)
    }

    /// Puts `stories` into the index and commits, recording the store's last change.
    pub(crate) fn refresh_index(&self, store: &Store, stories: &[Story]) -> Result<(), ArchiveError> {
        let index = self.index()?;
        index.upsert(stories).map_err(search::index_error)?;
        index.commit(store.last_change()?).map_err(search::index_error)
    }

    /// Brings the index up to date with changes logged in the store (after a taxonomy change,
    /// which re-themes many stories at once).
    fn catch_up_index(&self) -> Result<(), ArchiveError> {
        let store = self.store()?;
        let index = self.index()?;
        search::catch_up(&store, &index, index.last_change().map_err(search::index_error)?)
    }
}

/// What a curator selected to quote.
#[derive(Clone, Copy, Debug)]
pub enum QuoteSelection<'a> {
    /// Words copied (or selected) from the story's text.
    Passage {
        /// The words.
        text: &'a str,
        /// Which appearance of them was selected (1 for the first), when the page knows;
        /// without it, words that appear more than once are refused.
        occurrence: Option<usize>,
    },
    /// Transcript cues, by position, first to last.
    Cues {
        /// The first cue.
        first: usize,
        /// The last cue.
        last: usize,
    },
}

pub(crate) fn load(store: &Store, id: StoryId) -> Result<(Story, Curation), ArchiveError> {
    let story = store.story(id)?.ok_or_else(|| not_found(id))?;
    let curation = store.curation(id)?;
    Ok((story, curation))
}
