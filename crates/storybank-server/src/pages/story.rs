//! The story page and the changes made from it: tags, themes, suggestions, notes, quotes, status,
//! consent and alt text. Each change is a plain form post that redirects back (303) with a
//! message; an invalid one shows the page again with the error next to its field (422).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use storybank_archive::{QuoteSelection, StoryView};
use storybank_domain::{
    AltText, CurationNotes, Language, Note, Place, Prompt, QuoteId, Reporter, Role, SUPPORTED_LANGUAGES,
    Status, StoryContent, StoryType, Storyteller, Tag, ThemePath, Title,
};

use super::{Done, blocking, chrome, see_other, story_id};
use crate::AppState;
use crate::auth::LoggedIn;
use crate::error::PageError;
use crate::forms::CsrfForm;
use crate::forms::{ConsentFields, filled};
use crate::views::{
    AddToPack, Choice, CueLine, DetailsForm, FieldErrors, QuoteLine, RedactionSection, StoryFormValues,
    StoryPage, SuggestionLine, language_name,
};
use storybank_export::markdown;

fn next_statuses(status: Status) -> Vec<(&'static str, &'static str)> {
    match status {
        Status::Submitted => vec![("reviewed", "Mark reviewed"), ("withdrawn", "Withdraw")],
        Status::Reviewed => {
            vec![("published", "Publish"), ("submitted", "Back to submitted"), ("withdrawn", "Withdraw")]
        }
        Status::Published => vec![("reviewed", "Unpublish"), ("withdrawn", "Withdraw")],
        Status::Withdrawn => Vec::new(),
    }
}

/// Builds the story page for what `view` lets this person see.
fn story_page(
    state: &AppState,
    user: &LoggedIn,
    req: &HttpRequest,
    view: StoryView,
    themes: Vec<storybank_domain::Theme>,
    feedback: Feedback<'_>,
) -> StoryPage {
    let Feedback { done, errors, values } = feedback;
    let curator = user.0.user.has(Role::Curator);
    // A commissioner reads the story through the consent function: storyteller as allowed,
    // place coarsened, no reporter, transcript speakers as "Speaker N".
    let reading = view.reading(&user.0.user);
    let StoryView { story, curation, may_curate, may_tag } = view;
    let details = &story.details;
    let mut facts = vec![
        ("Story type", details.story_type.to_string()),
        ("Language", language_name(details.language.as_str())),
    ];
    let shown_place = reading.disclosed.place.clone();
    if let Some(place) = &shown_place {
        facts.push(("Place", place.clone()));
    }
    if let Some(day) = details.recorded_on {
        facts.push(("Recorded on", day.to_string()));
    }
    if let Some(prompt) = &details.prompt {
        facts.push(("Question asked", prompt.to_string()));
    }
    if let Some(reporter) = &reading.disclosed.reporter {
        facts.push(("Reporter", reporter.clone()));
    }
    if let Some(storyteller) = &reading.disclosed.storyteller {
        facts.push(("Storyteller", storyteller.clone()));
    }
    if curator && let Some(source) = &story.provenance {
        facts.push(("Source", source.clone()));
    }
    facts.push(("Submitted", story.created_at.format("%Y-%m-%d").to_string()));
    let consent = details.consent.as_ref().map_or_else(Vec::new, |consent| {
        let mut lines = vec![
            ("Who may see it", consent.scope().to_string()),
            ("Storyteller identified as", consent.identify_as().to_string().replace('_', " ")),
            ("Given on", consent.given_on().to_string()),
        ];
        if let Some(end) = consent.expires_on() {
            lines.push(("Ends on", end.to_string()));
        }
        lines
    });
    let id = story.id.to_string();
    let (mut body_html, mut cues, mut image, mut caption, mut alt_text) =
        (None, Vec::new(), None, String::new(), String::new());
    match &story.content {
        StoryContent::Text { body } => body_html = Some(markdown::render(body)),
        StoryContent::Transcript { cues: story_cues } => {
            cues = story_cues
                .iter()
                .enumerate()
                .map(|(position, cue)| CueLine {
                    position,
                    time: cue.start().map(|t| t.to_string()).unwrap_or_default(),
                    speaker: cue
                        .speaker()
                        .map(|s| reading.speaker(s.as_str()).to_owned())
                        .unwrap_or_default(),
                    text: cue.text().to_owned(),
                })
                .collect();
        }
        StoryContent::Image { caption: text, alt_text: alt, display, .. } => {
            let description = alt
                .as_ref()
                .map_or_else(|| format!("Photo (no description yet): {text}"), |alt| alt.to_string());
            image = Some((format!("/media/{id}/display"), description, display.width, display.height));
            caption = text.clone();
            alt_text = alt.as_ref().map(|a| a.to_string()).unwrap_or_default();
        }
    }
    let place = shown_place.unwrap_or_default();
    let quotes = curation
        .quotes
        .iter()
        .map(|quote| QuoteLine {
            id: quote.id.to_string(),
            text: reading.words(&story, &quote.text),
            place: place.clone(),
            themes: quote.themes.iter().map(ToString::to_string).collect(),
        })
        .collect();
    let selected_suggestions: Vec<&str> = curation.suggested_themes.iter().map(ThemePath::as_str).collect();
    let theme_choices = if may_curate {
        Choice::themes(&themes, &[])
    } else {
        Choice::themes(&themes, &selected_suggestions)
    };
    let consent_values = ConsentFields {
        consent_scope: details.consent.as_ref().map(|c| c.scope().to_string()).unwrap_or_default(),
        consent_identify_as: details
            .consent
            .as_ref()
            .map(|c| c.identify_as().to_string())
            .unwrap_or_default(),
        ..ConsentFields::default()
    };
    let (scopes, identities) = consent_values.choices();
    let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
    let details_form = DetailsForm {
        title: details.title.to_string(),
        story_types: Choice::list(
            StoryType::ALL.iter().map(|t| (t.as_str(), t.as_str())),
            &[details.story_type.as_str()],
        ),
        languages: Choice::list(SUPPORTED_LANGUAGES.iter().copied(), &[details.language.as_str()]),
        place: text(details.place.as_ref().map(|v| v.as_str())),
        recorded_on: details.recorded_on.map(|d| d.to_string()).unwrap_or_default(),
        reporter: text(details.reporter.as_ref().map(|v| v.as_str())),
        storyteller: text(details.storyteller.as_ref().map(|v| v.as_str())),
        prompt: text(details.prompt.as_ref().map(|v| v.as_str())),
    };
    let values = StoryFormValues {
        consent_given_on: if values.consent_given_on.is_empty() {
            details.consent.as_ref().map(|c| c.given_on().to_string()).unwrap_or_default()
        } else {
            values.consent_given_on
        },
        consent_expires_on: if values.consent_expires_on.is_empty() {
            details.consent.as_ref().and_then(|c| c.expires_on()).map(|d| d.to_string()).unwrap_or_default()
        } else {
            values.consent_expires_on
        },
        ..values
    };
    StoryPage {
        page: chrome(state, &user.0, details.title.as_str(), req, done),
        csrf: user.0.csrf.clone(),
        title: details.title.to_string(),
        status: story.status.to_string(),
        form: story.form().to_string(),
        facts,
        consent,
        consent_missing: details.consent.is_none(),
        body_html,
        cues,
        image,
        caption,
        alt_text,
        tags: details.tags.iter().map(ToString::to_string).collect(),
        themes: details.themes.iter().map(ToString::to_string).collect(),
        suggested: curation.suggested_themes.iter().map(ToString::to_string).collect(),
        warnings: if curator { story.ingest_warnings.clone() } else { Vec::new() },
        key_message: curation.notes.key_message.map(|n| n.to_string()).unwrap_or_default(),
        key_learning: curation.notes.key_learning.map(|n| n.to_string()).unwrap_or_default(),
        quotes,
        may_curate,
        may_tag,
        theme_choices,
        next_statuses: if may_curate { next_statuses(story.status) } else { Vec::new() },
        errors,
        values,
        scopes,
        identities,
        details: details_form,
        id,
        add_to_pack: None,
        cited_in: Vec::new(),
        redaction: None,
    }
}

/// What the story page shows after a change: the message, or the errors with what was typed.
#[derive(Debug, Default)]
struct Feedback<'a> {
    done: Option<&'a str>,
    errors: FieldErrors,
    values: StoryFormValues,
}

async fn render_story(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &LoggedIn,
    raw_id: &str,
    status: StatusCode,
    feedback: Feedback<'_>,
) -> Result<HttpResponse, PageError> {
    let id = story_id(raw_id)?;
    let who = user.0.user.clone();
    let (view, themes, targets, cited_in, redaction) = blocking(state, move |archive| {
        let view = archive.story_for(&who, id)?;
        let (targets, cited_in, redaction) = if view.may_curate {
            (
                super::packs::add_to_pack_choices(archive, &who)?,
                archive.packs_citing(&who, id)?,
                // The suggestions come from the very story shown, so their offsets fit its text.
                Some(redaction_section(
                    &view.story,
                    storybank_domain::suggest(&view.story),
                    archive.redactions(&who, id)?,
                )),
            )
        } else {
            (Vec::new(), Vec::new(), None)
        };
        Ok((view, archive.assignable_themes()?, targets, cited_in, redaction))
    })
    .await?;
    let mut page = story_page(state, user, req, view, themes, feedback);
    page.redaction = redaction;
    page.add_to_pack = (!targets.is_empty()).then(|| AddToPack {
        csrf: user.0.csrf.clone(),
        back: format!("/stories/{id}"),
        targets,
    });
    page.cited_in = cited_in
        .into_iter()
        .map(|used| {
            let mut where_ = Vec::new();
            if !used.versions.is_empty() {
                let list: Vec<String> = used.versions.iter().map(ToString::to_string).collect();
                where_.push(format!("published version {}", list.join(", ")));
            }
            if used.in_draft {
                where_.push("the working copy".to_owned());
            }
            (format!("/packs/{}", used.pack), format!("{} ({})", used.title, where_.join("; ")))
        })
        .collect();
    crate::views::page(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    user.require_any(&[Role::Curator, Role::Reporter, Role::Commissioner])?;
    let feedback = Feedback { done: done.done.as_deref(), ..Feedback::default() };
    render_story(&req, &state, &user, &id, StatusCode::OK, feedback).await
}

/// Where to go back to after a change made from the story page.
fn back(req: &HttpRequest, id: &str, done: &str) -> HttpResponse {
    let from_my = req
        .headers()
        .get("referer")
        .and_then(|r| r.to_str().ok())
        .is_some_and(|r| r.contains("/my/stories/"));
    let base = if from_my { "/my/stories" } else { "/stories" };
    see_other(&format!("{base}/{id}?done={done}"))
}

/// Shows the story page again with `message` next to `field` (422).
async fn invalid(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &LoggedIn,
    id: &str,
    field: &'static str,
    message: String,
    values: StoryFormValues,
) -> Result<HttpResponse, PageError> {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    let feedback = Feedback { done: None, errors, values };
    render_story(req, state, user, id, StatusCode::UNPROCESSABLE_ENTITY, feedback).await
}

#[derive(Debug, Deserialize)]
pub struct TagForm {
    csrf: String,
    #[serde(default)]
    tag: String,
}

pub async fn add_tag(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    form: web::Form<TagForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let story = story_id(&id)?;
    let tag = match Tag::parse(&form.tag) {
        Ok(tag) => tag,
        Err(err) => {
            let values = StoryFormValues { tag: form.tag.clone(), ..StoryFormValues::default() };
            return invalid(&req, &state, &user, &id, "tag", err.to_string(), values).await;
        }
    };
    let who = user.0.user.clone();
    match blocking(&state, move |archive| archive.add_tag(&who, story, tag)).await {
        Ok(_) => Ok(back(&req, &id, "tag-added")),
        Err(PageError::Invalid(message)) => {
            let values = StoryFormValues { tag: form.tag.clone(), ..StoryFormValues::default() };
            invalid(&req, &state, &user, &id, "tag", message, values).await
        }
        Err(other) => Err(other),
    }
}

pub async fn remove_tag(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    form: web::Form<TagForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let story = story_id(&id)?;
    let tag = Tag::parse(&form.tag).map_err(|err| PageError::Invalid(err.to_string()))?;
    let who = user.0.user.clone();
    blocking(&state, move |archive| archive.remove_tag(&who, story, &tag)).await?;
    Ok(back(&req, &id, "tag-removed"))
}

#[derive(Debug, Deserialize)]
pub struct ThemeForm {
    csrf: String,
    #[serde(default)]
    theme: String,
}

pub async fn add_theme(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    form: web::Form<ThemeForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    user.require(Role::Curator)?;
    let story = story_id(&id)?;
    let theme = match filled(&form.theme).map(ThemePath::parse) {
        Some(Ok(theme)) => theme,
        Some(Err(err)) => {
            return invalid(&req, &state, &user, &id, "theme", err.to_string(), Default::default()).await;
        }
        None => {
            return invalid(&req, &state, &user, &id, "theme", "Choose a theme".into(), Default::default())
                .await;
        }
    };
    let who = user.0.user.clone();
    match blocking(&state, move |archive| archive.add_theme(&who, story, theme)).await {
        Ok(_) => Ok(back(&req, &id, "theme-added")),
        Err(PageError::Invalid(message)) => {
            invalid(&req, &state, &user, &id, "theme", message, Default::default()).await
        }
        Err(other) => Err(other),
    }
}

pub async fn remove_theme(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    form: web::Form<ThemeForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    user.require(Role::Curator)?;
    let story = story_id(&id)?;
    let theme = ThemePath::parse(&form.theme).map_err(|err| PageError::Invalid(err.to_string()))?;
    let who = user.0.user.clone();
    blocking(&state, move |archive| archive.remove_theme(&who, story, &theme)).await?;
    Ok(back(&req, &id, "theme-removed"))
}

/// A form with a repeated field (`themes=a&themes=b`), which `web::Form` cannot read.
fn repeated(body: &[u8], name: &str) -> Vec<String> {
    form_pairs(body).into_iter().filter(|(key, _)| key == name).map(|(_, value)| value).collect()
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn single(body: &[u8], name: &str) -> String {
    repeated(body, name).into_iter().next().unwrap_or_default()
}

/// Reads a URL-encoded body with repeated fields, within the form size limit.
async fn read_body(body: web::Bytes) -> Result<web::Bytes, PageError> {
    if body.len() > crate::forms::FORM_LIMIT {
        return Err(PageError::BadRequest("the form is too large".into()));
    }
    Ok(body)
}

pub async fn suggest_themes(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let body = read_body(body).await?;
    user.check_csrf(&single(&body, "csrf"))?;
    let story = story_id(&id)?;
    let themes = repeated(&body, "themes")
        .iter()
        .map(|raw| ThemePath::parse(raw))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| PageError::Invalid(err.to_string()))?;
    let who = user.0.user.clone();
    blocking(&state, move |archive| archive.suggest_themes(&who, story, themes)).await?;
    Ok(back(&req, &id, "suggested"))
}

#[derive(Debug, Deserialize)]
pub struct NotesForm {
    csrf: String,
    #[serde(default)]
    key_message: String,
    #[serde(default)]
    key_learning: String,
}

pub async fn notes(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    form: web::Form<NotesForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    user.require(Role::Curator)?;
    let story = story_id(&id)?;
    let key_message = match Note::parse(&form.key_message) {
        Ok(note) => note,
        Err(err) => {
            return invalid(&req, &state, &user, &id, "key_message", err.to_string(), Default::default())
                .await;
        }
    };
    let key_learning = match Note::parse(&form.key_learning) {
        Ok(note) => note,
        Err(err) => {
            return invalid(&req, &state, &user, &id, "key_learning", err.to_string(), Default::default())
                .await;
        }
    };
    let who = user.0.user.clone();
    blocking(&state, move |archive| {
        archive.set_notes(&who, story, CurationNotes { key_message, key_learning })
    })
    .await?;
    Ok(back(&req, &id, "notes"))
}

pub async fn add_quote(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let body = read_body(body).await?;
    user.check_csrf(&single(&body, "csrf"))?;
    user.require(Role::Curator)?;
    let story = story_id(&id)?;
    let passage = single(&body, "passage");
    // Filled in by the page's script when words are selected in the story: which appearance of
    // them (a passage typed or pasted has none, and must then appear once).
    let occurrence = single(&body, "occurrence").parse::<usize>().ok();
    let (first, last) = (single(&body, "first_cue"), single(&body, "last_cue"));
    let themes = repeated(&body, "quote_themes")
        .iter()
        .map(|raw| ThemePath::parse(raw))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| PageError::Invalid(err.to_string()))?;
    let cues = match (first.parse::<usize>(), last.parse::<usize>()) {
        (Ok(first), Ok(last)) => Some((first, last)),
        _ => None,
    };
    let field = if cues.is_some() { "first_cue" } else { "passage" };
    let who = user.0.user.clone();
    let text = passage.clone();
    let result = blocking(&state, move |archive| {
        let selection = match cues {
            Some((first, last)) => QuoteSelection::Cues { first, last },
            None => QuoteSelection::Passage { text: &text, occurrence },
        };
        archive.add_quote(&who, story, selection, themes)
    })
    .await;
    match result {
        Ok(_) => Ok(back(&req, &id, "quote")),
        Err(PageError::Invalid(message)) => {
            let values = StoryFormValues { passage, ..StoryFormValues::default() };
            invalid(&req, &state, &user, &id, field, message, values).await
        }
        Err(other) => Err(other),
    }
}

pub async fn remove_quote(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    user.require(Role::Curator)?;
    let (id, quote) = path.into_inner();
    let story = story_id(&id)?;
    let quote = QuoteId::parse(&quote).map_err(|_| PageError::NotFound)?;
    let who = user.0.user.clone();
    blocking(&state, move |archive| archive.remove_quote(&who, story, quote)).await?;
    Ok(back(&req, &id, "quote-removed"))
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    csrf: String,
    status: String,
}

pub async fn status(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    user.require(Role::Curator)?;
    let story = story_id(&id)?;
    let status = Status::parse(&form.status).map_err(|err| PageError::Invalid(err.to_string()))?;
    let who = user.0.user.clone();
    blocking(&state, move |archive| archive.change_status(&who, story, status)).await?;
    if status == Status::Withdrawn {
        return Ok(see_other("/review?done=withdrawn"));
    }
    Ok(back(&req, &id, "status"))
}

#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    csrf: String,
    #[serde(flatten)]
    consent: ConsentFields,
}

pub async fn consent(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    user.require(Role::Curator)?;
    let story = story_id(&id)?;
    let mut errors = FieldErrors::default();
    let consent = form.consent.parse(&mut errors);
    if consent.is_none() && errors.is_empty() {
        errors.add("consent_scope", "Choose who may see the story");
    }
    if let Some((field, message)) = errors.list().first().map(|(f, m)| (*f, m.to_string())) {
        let values = StoryFormValues {
            consent_given_on: form.consent.consent_given_on.clone(),
            consent_expires_on: form.consent.consent_expires_on.clone(),
            ..StoryFormValues::default()
        };
        return invalid(&req, &state, &user, &id, field, message, values).await;
    }
    let who = user.0.user.clone();
    blocking(&state, move |archive| archive.set_consent(&who, story, consent)).await?;
    Ok(back(&req, &id, "consent"))
}

#[derive(Debug, Deserialize)]
pub struct AltTextForm {
    csrf: String,
    #[serde(default)]
    alt_text: String,
}

pub async fn alt_text(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    form: web::Form<AltTextForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    user.require(Role::Curator)?;
    let story = story_id(&id)?;
    let alt = match filled(&form.alt_text).map(AltText::parse).transpose() {
        Ok(alt) => alt,
        Err(err) => {
            return invalid(&req, &state, &user, &id, "alt_text", err.to_string(), Default::default()).await;
        }
    };
    let who = user.0.user.clone();
    blocking(&state, move |archive| archive.set_alt_text(&who, story, alt)).await?;
    Ok(back(&req, &id, "alt-text"))
}

#[derive(Debug, Deserialize)]
pub struct DetailsFields {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    story_type: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    recorded_on: String,
    #[serde(default)]
    reporter: String,
    #[serde(default)]
    storyteller: String,
    #[serde(default)]
    prompt: String,
}

/// Parses an optional short text; blank clears it.
fn optional<T>(
    raw: &str,
    field: &'static str,
    errors: &mut FieldErrors,
    parse: impl Fn(&str) -> Result<T, storybank_domain::DomainError>,
) -> Option<T> {
    filled(raw).and_then(|value| parse(value).map_err(|err| errors.add(field, err.to_string())).ok())
}

pub async fn details(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    form: web::Form<DetailsFields>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    user.require(Role::Curator)?;
    let story = story_id(&id)?;
    let mut errors = FieldErrors::default();
    let title = Title::parse(&form.title).map_err(|err| errors.add("title", err.to_string())).ok();
    let story_type =
        StoryType::parse(&form.story_type).map_err(|err| errors.add("story_type", err.to_string())).ok();
    let language =
        Language::parse(&form.language).map_err(|err| errors.add("language", err.to_string())).ok();
    let place = optional(&form.place, "place", &mut errors, Place::parse);
    let recorded_on =
        filled(&form.recorded_on).and_then(|raw| crate::forms::parse_date(raw, "recorded_on", &mut errors));
    let reporter = optional(&form.reporter, "reporter", &mut errors, Reporter::parse);
    let storyteller = optional(&form.storyteller, "storyteller", &mut errors, Storyteller::parse);
    let prompt = optional(&form.prompt, "prompt", &mut errors, Prompt::parse);
    if let (Some(title), Some(story_type), Some(language), true) =
        (title, story_type, language, errors.is_empty())
    {
        let who = user.0.user.clone();
        blocking(&state, move |archive| {
            archive.update_details(&who, story, |details| {
                details.title = title;
                details.story_type = story_type;
                details.language = language;
                details.place = place;
                details.recorded_on = recorded_on;
                details.reporter = reporter;
                details.storyteller = storyteller;
                details.prompt = prompt;
            })
        })
        .await?;
        return Ok(back(&req, &id, "details"));
    }
    let feedback = Feedback { done: None, errors, values: StoryFormValues::default() };
    render_story(&req, &state, &user, &id, StatusCode::UNPROCESSABLE_ENTITY, feedback).await
}

/// The suggestions with a little of the text around each, and the redactions made.
fn redaction_section(
    story: &storybank_domain::Story,
    suggestions: Vec<storybank_domain::Suggestion>,
    done: Vec<storybank_archive::RedactionRecord>,
) -> RedactionSection {
    let units: std::collections::HashMap<storybank_domain::Unit, &str> =
        storybank_domain::units(story).into_iter().collect();
    let around = |text: &str, start: usize, end: usize| -> (String, String) {
        let before: String =
            text[..start].chars().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
        let after: String = text[end..].chars().take(40).collect();
        (before, after)
    };
    RedactionSection {
        suggestions: suggestions
            .into_iter()
            .map(|suggestion| {
                let text = units.get(&suggestion.unit).copied().unwrap_or("");
                let (before, after) = around(text, suggestion.start, suggestion.end);
                SuggestionLine {
                    key: suggestion.key(),
                    unit: suggestion.unit.label(),
                    kind: suggestion.kind.as_str(),
                    before,
                    found: suggestion.found,
                    after,
                }
            })
            .collect(),
        done: done
            .into_iter()
            .map(|record| {
                (
                    record.unit.label(),
                    record.kind.as_str().to_owned(),
                    record.replacement,
                    record.original,
                    record.by.unwrap_or_else(|| "the command line".into()),
                    record.at.format("%Y-%m-%d %H:%M").to_string(),
                )
            })
            .collect(),
        kinds: storybank_domain::RedactionKind::ALL
            .iter()
            .map(|kind| (kind.as_str(), kind.label()))
            .collect(),
    }
}

pub async fn redact(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    // Repeated `s` fields: one per accepted suggestion.
    let body = read_body(body).await?;
    user.check_csrf(&single(&body, "csrf"))?;
    user.require(Role::Curator)?;
    let story = story_id(&id)?;
    let phrase = single(&body, "phrase");
    let choice = storybank_archive::RedactionChoice {
        accepted: repeated(&body, "s"),
        phrase: if phrase.trim().is_empty() {
            None
        } else {
            let kind = storybank_domain::RedactionKind::parse(&single(&body, "phrase_kind"))
                .map_err(|err| PageError::Invalid(err.to_string()))?;
            Some((phrase.trim().to_owned(), kind))
        },
    };
    let who = user.0.user.clone();
    blocking(&state, move |archive| archive.redact(&who, story, &choice)).await?;
    Ok(back(&req, &id, "redacted"))
}
