//! The consent function: what an audience may see of a story, and of which fields.
//!
//! Every read path that shows a story outside the curation team (pack pages, exports, the
//! commissioner's story page) goes through [`disclose`]. It returns nothing when the audience may
//! not see the story at all, and otherwise the story's identifying fields as the storyteller
//! allowed: the storyteller named per `identify_as`, the place coarsened, the reporter hidden.

use chrono::NaiveDate;
use serde::Serialize;

use crate::{Audience, Cue, IdentifyAs, Story, StoryContent};

/// The identifying details of a story as one audience may see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disclosed {
    /// The storyteller as they allowed themselves to be named: `None` for `anonymous` (and for
    /// missing consent, which is never disclosed outside the curation team).
    pub storyteller: Option<String>,
    /// The place, coarsened outside the curation team (see [`coarsen_place`]).
    pub place: Option<String>,
    /// The community reporter: shown to the curation team only.
    pub reporter: Option<String>,
}

/// What `audience` may see of `story` on `today`: `None` if nothing at all (withdrawn, not
/// published, or consent that does not cover this audience or has expired).
pub fn disclose(story: &Story, audience: Audience, today: NaiveDate) -> Option<Disclosed> {
    if !audience.may_see(story, today) {
        return None;
    }
    let details = &story.details;
    if audience == Audience::Curator {
        return Some(Disclosed {
            storyteller: details.storyteller.as_ref().map(ToString::to_string),
            place: details.place.as_ref().map(ToString::to_string),
            reporter: details.reporter.as_ref().map(ToString::to_string),
        });
    }
    // Outside the curation team the story is published with consent in force (may_see).
    let identify_as = details.consent.as_ref().map_or(IdentifyAs::Anonymous, |consent| consent.identify_as());
    let storyteller =
        details.storyteller.as_ref().and_then(|name| name_as_allowed(name.as_str(), identify_as));
    Some(Disclosed {
        storyteller,
        place: details.place.as_ref().and_then(|place| coarsen_place(place.as_str())),
        reporter: None,
    })
}

/// How one reader sees a story: in full (the curation team, or the reporter who gathered it), or
/// through the consent function. Pages and the API build what they show of a story from this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Storyteller, place and reporter as this reader may see them.
    pub disclosed: Disclosed,
    /// Transcript speakers and their neutral labels; empty when read in full.
    speakers: Vec<(String, String)>,
    audience: Audience,
}

impl Reading {
    /// The story in full, for the curation team or the reporter who gathered it.
    pub fn in_full(story: &Story) -> Self {
        let details = &story.details;
        Self {
            disclosed: Disclosed {
                storyteller: details.storyteller.as_ref().map(ToString::to_string),
                place: details.place.as_ref().map(ToString::to_string),
                reporter: details.reporter.as_ref().map(ToString::to_string),
            },
            speakers: Vec::new(),
            audience: Audience::Curator,
        }
    }

    /// The story as `audience` may read it on `today`; `None` if they may not see it at all.
    pub fn as_audience(story: &Story, audience: Audience, today: NaiveDate) -> Option<Self> {
        let disclosed = disclose(story, audience, today)?;
        let speakers = match (&story.content, audience) {
            (_, Audience::Curator) => Vec::new(),
            (StoryContent::Transcript { cues }, _) => speaker_labels(cues),
            _ => Vec::new(),
        };
        Some(Self { disclosed, speakers, audience })
    }

    /// The story with nothing that identifies anyone: no storyteller, place or reporter, and
    /// neutral speaker labels.
    pub fn nothing_identifying(story: &Story) -> Self {
        let speakers = match &story.content {
            StoryContent::Transcript { cues } => speaker_labels(cues),
            _ => Vec::new(),
        };
        Self {
            disclosed: Disclosed { storyteller: None, place: None, reporter: None },
            speakers,
            audience: Audience::Public,
        }
    }

    /// A transcript speaker as this reader sees them: the name, or "Speaker N".
    pub fn speaker<'a>(&'a self, name: &'a str) -> &'a str {
        self.speakers.iter().find(|(speaker, _)| speaker == name).map_or(name, |(_, label)| label.as_str())
    }

    /// Words taken from the story (its text, a quote, a snippet) as this reader sees them.
    pub fn words(&self, story: &Story, text: &str) -> String {
        disclosed_words(story, self.audience, text)
    }
}

/// Titles that come before a first name and are not one.
const HONORIFICS: &[&str] = &["dr", "mr", "mrs", "ms", "mx", "miss", "prof", "sir", "dame", "rev"];

/// A storyteller's name as `identify_as` allows: nothing, the first name, or the name in full.
/// The first name of "Marsden, Eileen" is "Eileen", and of "Dr. Eileen Marsden" "Eileen".
pub fn name_as_allowed(name: &str, identify_as: IdentifyAs) -> Option<String> {
    match identify_as {
        IdentifyAs::Anonymous => None,
        IdentifyAs::FirstName => {
            let given = match name.split_once(',') {
                Some((_, given)) if !given.trim().is_empty() => given,
                _ => name,
            };
            given
                .split_whitespace()
                .find(|word| !HONORIFICS.contains(&word.trim_end_matches('.').to_lowercase().as_str()))
                .map(str::to_owned)
        }
        IdentifyAs::FullName => Some(name.trim().to_owned()).filter(|name| !name.is_empty()),
    }
}

/// A transcript's speakers as shown outside the curation team: (name, "Speaker N"), numbered in
/// the order they first speak. Speaker labels often are names (the storyteller's, the
/// reporter's), so they never leave the curation team.
pub fn speaker_labels(cues: &[Cue]) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = Vec::new();
    for cue in cues {
        if let Some(speaker) = cue.speaker()
            && !labels.iter().any(|(name, _)| name == speaker.as_str())
        {
            let label = format!("Speaker {}", labels.len() + 1);
            labels.push((speaker.as_str().to_owned(), label));
        }
    }
    labels
}

/// Text taken from a story (its full text, a quote, a snippet) as `audience` may read it: for a
/// transcript outside the curation team, each line's speaker prefix ("Name: ") becomes its
/// neutral label ("Speaker 1: ").
pub fn disclosed_words(story: &Story, audience: Audience, text: &str) -> String {
    let StoryContent::Transcript { cues } = &story.content else {
        return text.to_owned();
    };
    if audience == Audience::Curator {
        return text.to_owned();
    }
    let mut labels = speaker_labels(cues);
    // Longest names first, so "Ann Lee" is not taken for "Ann".
    labels.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    text.split('\n')
        .map(|line| {
            labels
                .iter()
                .find_map(|(name, label)| {
                    line.strip_prefix(name.as_str())
                        .and_then(|rest| rest.strip_prefix(": "))
                        .map(|rest| format!("{label}: {rest}"))
                })
                .unwrap_or_else(|| line.to_owned())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A place as shown outside the curation team: only its widest part (places are written from
/// the most to the least specific, "Harehills, Leeds" becomes "Leeds"), without any word holding
/// a digit (house numbers, postcodes). `None` when nothing is left.
pub fn coarsen_place(place: &str) -> Option<String> {
    let widest = place.rsplit(',').map(str::trim).find(|part| !part.is_empty())?;
    let words: Vec<&str> =
        widest.split_whitespace().filter(|word| !word.chars().any(|c| c.is_ascii_digit())).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_the_storyteller_allowed() {
        for (name, identify_as, expected) in [
            ("Chiara Bertolini", IdentifyAs::Anonymous, None),
            ("Chiara Bertolini", IdentifyAs::FirstName, Some("Chiara")),
            ("Chiara Bertolini", IdentifyAs::FullName, Some("Chiara Bertolini")),
            ("A.", IdentifyAs::FirstName, Some("A.")),
            ("Marsden, Eileen", IdentifyAs::FirstName, Some("Eileen")),
            ("Dr. Eileen Marsden", IdentifyAs::FirstName, Some("Eileen")),
        ] {
            assert_eq!(name_as_allowed(name, identify_as).as_deref(), expected, "{name} / {identify_as}");
        }
    }

    #[test]
    fn transcript_speakers_are_relabelled_outside_the_curation_team() {
        let cue = |speaker: &str, text: &str| {
            Cue::new(None, None, Some(crate::Speaker::parse(speaker).unwrap()), text.to_owned()).unwrap()
        };
        let cues = vec![cue("Ann", "Hello."), cue("Ann Lee", "Hi Ann."), cue("Ann", "Bye.")];
        let text = crate::transcript_text(&cues);
        let story =
            Story { content: StoryContent::Transcript { cues }, ..crate::pack::tests_support::story() };
        assert_eq!(
            disclosed_words(&story, Audience::Commissioner, &text),
            "Speaker 1: Hello.\nSpeaker 2: Hi Ann.\nSpeaker 1: Bye."
        );
        assert_eq!(disclosed_words(&story, Audience::Curator, &text), text);
    }

    #[test]
    fn a_reading_shows_the_curation_team_everything_and_others_what_consent_allows() {
        let story = crate::pack::tests_support::story(); // Eileen Marsden, Harehills, Leeds, rita
        let full = Reading::in_full(&story);
        assert_eq!(
            (
                full.disclosed.storyteller.as_deref(),
                full.disclosed.place.as_deref(),
                full.disclosed.reporter.as_deref()
            ),
            (Some("Eileen Marsden"), Some("Harehills, Leeds"), Some("rita"))
        );
        let commissioner =
            Reading::as_audience(&story, Audience::Commissioner, story.details.recorded_on.unwrap()).unwrap();
        assert_eq!(
            (
                commissioner.disclosed.storyteller.as_deref(),
                commissioner.disclosed.place.as_deref(),
                commissioner.disclosed.reporter.as_deref()
            ),
            (Some("Eileen"), Some("Leeds"), None)
        );
        assert!(Reading::as_audience(&story, Audience::Public, story.details.recorded_on.unwrap()).is_none());
        let nothing = Reading::nothing_identifying(&story);
        assert_eq!(nothing.disclosed, Disclosed { storyteller: None, place: None, reporter: None });
    }

    #[test]
    fn places_are_coarsened() {
        for (place, expected) in [
            ("Leeds", Some("Leeds")),
            ("Harehills, Leeds", Some("Leeds")),
            ("12 Mill Street, Hebden Bridge", Some("Hebden Bridge")),
            ("Manchester M13 9PL", Some("Manchester")),
            ("Varissuo, Turku, ", Some("Turku")),
            ("20100", None),
            (" , ", None),
        ] {
            assert_eq!(coarsen_place(place).as_deref(), expected, "{place:?}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::pack::tests_support::story_with;
        use crate::{ConsentScope, Place, Reporter, Status, Storyteller};

        const STATUSES: [Status; 4] =
            [Status::Submitted, Status::Reviewed, Status::Published, Status::Withdrawn];
        const SCOPES: [ConsentScope; 3] =
            [ConsentScope::Internal, ConsentScope::Commissioners, ConsentScope::Public];
        const IDENTITIES: [IdentifyAs; 3] =
            [IdentifyAs::Anonymous, IdentifyAs::FirstName, IdentifyAs::FullName];
        const AUDIENCES: [Audience; 3] = [Audience::Public, Audience::Commissioner, Audience::Curator];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            /// For any story, consent and audience: the story is shown exactly when the rules say
            /// (worked out here independently of `Audience::may_see`), wider audiences never see
            /// less, and outside the curation team no reporter, no street or number, and no more
            /// of the name than the storyteller allowed.
            #[test]
            fn the_consent_function_never_shows_more_than_was_allowed(
                status in 0..STATUSES.len(),
                scope in 0..=SCOPES.len(), // SCOPES.len(): no consent recorded
                identity in 0..IDENTITIES.len(),
                ends_in in proptest::option::of(-3i64..3),
                audience in 0..AUDIENCES.len(),
                given in "[A-Z][a-z]{1,8}",
                family in "[A-Z][a-z]{1,10}",
                street in "[A-Z][a-z]{2,8} (Street|Road|tie)",
                number in 1u32..300,
                town in "[A-Z][a-z]{2,10}",
            ) {
                let today: NaiveDate = "2025-06-01".parse().unwrap();
                let ends = ends_in.map(|days| (today + chrono::Duration::days(days)).to_string());
                let consent = SCOPES.get(scope).map(|scope| (*scope, IDENTITIES[identity], ends.as_deref()));
                let mut story = story_with(STATUSES[status], consent);
                story.details.storyteller = Some(Storyteller::parse(&format!("{given} {family}")).unwrap());
                story.details.place = Some(Place::parse(&format!("{number} {street}, {town}")).unwrap());
                story.details.reporter = Some(Reporter::parse("rita.reporter").unwrap());
                let audience = AUDIENCES[audience];

                let in_force = scope < SCOPES.len() && ends_in.is_none_or(|days| days >= 0);
                let effective = if in_force { SCOPES[scope] } else { ConsentScope::Internal };
                let published = STATUSES[status] == Status::Published;
                let expected = match audience {
                    _ if STATUSES[status] == Status::Withdrawn => false,
                    Audience::Curator => true,
                    Audience::Commissioner => published && effective != ConsentScope::Internal,
                    Audience::Public => published && effective == ConsentScope::Public,
                };
                let shown = disclose(&story, audience, today);
                prop_assert_eq!(shown.is_some(), expected);
                for (narrow, wide) in [(Audience::Public, Audience::Commissioner), (Audience::Commissioner, Audience::Curator)] {
                    if disclose(&story, narrow, today).is_some() {
                        prop_assert!(disclose(&story, wide, today).is_some());
                    }
                }
                if let Some(shown) = shown && audience != Audience::Curator {
                    prop_assert_eq!(shown.reporter, None);
                    prop_assert_eq!(shown.place.as_deref(), Some(town.as_str()));
                    let name = match IDENTITIES[identity] {
                        IdentifyAs::Anonymous => None,
                        // An honorific ("Dr", "Mr") is not a first name: the next word is.
                        IdentifyAs::FirstName if HONORIFICS.contains(&given.to_lowercase().as_str()) => Some(family.clone()),
                        IdentifyAs::FirstName => Some(given.clone()),
                        IdentifyAs::FullName => Some(format!("{given} {family}")),
                    };
                    prop_assert_eq!(shown.storyteller, name);
                }
            }
        }
    }
}
