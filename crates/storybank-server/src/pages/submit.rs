//! Reporters: choosing what to submit, the upload form (streamed, with limits enforced while
//! reading), and the list of their own submissions.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use storybank_archive::{ContentInput, Metadata, Submission};
use storybank_domain::{
    AltText, Form, Language, Place, Prompt, Role, SUPPORTED_LANGUAGES, StoryType, Storyteller, Tag,
    ThemePath, Title, normalise_tags,
};

use super::{Done, blocking, chrome, ok, see_other};
use crate::AppState;
use crate::auth::LoggedIn;
use crate::error::PageError;
use crate::forms::{ConsentFields, filled};
use crate::views::{Choice, FieldErrors, MyStoriesPage, SubmitChoosePage, SubmitPage, SubmitValues};

/// The most parts an upload may have (the form has about 20, plus chosen themes).
const MAX_PARTS: usize = 200;
/// The longest ordinary form field (everything but the story's own text and files).
const MAX_FIELD_BYTES: usize = 64 * 1024;

/// The three upload forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Transcript,
    Photo,
}

impl Kind {
    fn parse(raw: &str) -> Result<Self, PageError> {
        match raw {
            "text" => Ok(Kind::Text),
            "transcript" => Ok(Kind::Transcript),
            "photo" => Ok(Kind::Photo),
            _ => Err(PageError::NotFound),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Transcript => "transcript",
            Kind::Photo => "photo",
        }
    }
    fn heading(self) -> &'static str {
        match self {
            Kind::Text => "Submit a written story",
            Kind::Transcript => "Submit a transcript",
            Kind::Photo => "Submit a photo story",
        }
    }
    fn form(self) -> Form {
        match self {
            Kind::Text => Form::Text,
            Kind::Transcript => Form::Transcript,
            Kind::Photo => Form::Image,
        }
    }
    /// The field that holds an uploaded file, if the form has one.
    fn file_field(self) -> Option<&'static str> {
        match self {
            Kind::Text => None,
            Kind::Transcript => Some("transcript"),
            Kind::Photo => Some("photo"),
        }
    }
}

pub async fn choose(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
) -> Result<HttpResponse, PageError> {
    user.require(Role::Reporter)?;
    ok(&SubmitChoosePage { page: chrome(&state, &user.0, "Submit a story", &req, None) })
}

fn submit_page(
    state: &AppState,
    user: &LoggedIn,
    req: &HttpRequest,
    kind: Kind,
    values: SubmitValues,
    errors: FieldErrors,
) -> Result<SubmitPage, PageError> {
    let themes = state.archive.assignable_themes().map_err(PageError::from)?;
    let selected: Vec<&str> = values.themes.iter().map(String::as_str).collect();
    let types: Vec<(&str, &str)> =
        StoryType::ALL.iter().filter(|t| **t != StoryType::Photo).map(|t| (t.as_str(), t.as_str())).collect();
    let default_type = if kind == Kind::Text { "written" } else { "snapshot" };
    let story_type = if values.story_type.is_empty() { default_type } else { values.story_type.as_str() };
    let consent = ConsentFields {
        consent_scope: values.consent_scope.clone(),
        consent_identify_as: values.consent_identify_as.clone(),
        ..ConsentFields::default()
    };
    let (scopes, identities) = consent.choices();
    let max_bytes = match kind {
        Kind::Photo => state.archive.limits().max_image_bytes,
        _ => state.archive.limits().max_text_bytes,
    };
    Ok(SubmitPage {
        page: chrome(state, &user.0, kind.heading(), req, None),
        csrf: user.0.csrf.clone(),
        kind: kind.name(),
        heading: kind.heading(),
        languages: Choice::list(SUPPORTED_LANGUAGES.iter().copied(), &[values.language.as_str()]),
        story_types: Choice::list(types, &[story_type]),
        themes: Choice::themes(&themes, &selected),
        scopes,
        identities,
        max_file_mb: max_bytes / (1024 * 1024),
        values,
        errors,
    })
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    kind: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    user.require(Role::Reporter)?;
    let kind = Kind::parse(&kind)?;
    let values = SubmitValues { language: "en".into(), ..SubmitValues::default() };
    ok(&submit_page(&state, &user, &req, kind, values, FieldErrors::default())?)
}

/// What the multipart body held.
#[derive(Default)]
struct Parts {
    fields: HashMap<String, Vec<String>>,
    file: Option<(String, Vec<u8>)>,
}

impl Parts {
    fn text(&self, name: &str) -> String {
        self.fields.get(name).and_then(|values| values.first()).cloned().unwrap_or_default()
    }
}

/// Reads the multipart body, enforcing the limits while streaming: a file over its limit, or a
/// field over [`MAX_FIELD_BYTES`], is refused before it is all read.
/// Reads the upload's parts within the limits. `check_csrf` judges the form's token as soon as
/// its part arrives (the forms send it first), so a forged upload is refused before its file is
/// read; the caller checks it again once all is read, for a form that sent it later or not at all.
async fn read_parts(
    mut multipart: Multipart,
    kind: Kind,
    max_file: u64,
    max_text: u64,
    errors: &mut FieldErrors,
    check_csrf: impl Fn(&str) -> Result<(), PageError>,
) -> Result<Parts, PageError> {
    let mut parts = Parts::default();
    // The whole body: one file, the story's text twice over (body or pasted transcript) and the
    // small fields. Beyond it, or beyond MAX_PARTS parts, reading stops at once.
    let max_total = max_file + 2 * max_text + 1024 * 1024;
    let mut total: u64 = 0;
    let mut count = 0;
    let too_big = || {
        PageError::Invalid(format!(
            "the upload is too large: at most {} MB in all; make the file smaller and try again",
            max_total.div_ceil(1024 * 1024)
        ))
    };
    while let Some(field) = multipart.next().await {
        count += 1;
        if count > MAX_PARTS {
            return Err(PageError::Invalid("the form has too many fields".into()));
        }
        let mut field =
            field.map_err(|err| PageError::BadRequest(format!("the upload could not be read: {err}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
        let is_file = Some(name.as_str()) == kind.file_field();
        let limit = if is_file {
            max_file
        } else if matches!(name.as_str(), "body" | "transcript_text") {
            max_text
        } else {
            MAX_FIELD_BYTES as u64
        };
        let mut bytes = Vec::new();
        let mut too_large = false;
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|err| PageError::BadRequest(format!("the upload was cut short: {err}")))?;
            total += chunk.len() as u64;
            if total > max_total {
                return Err(too_big());
            }
            if too_large {
                continue;
            }
            if bytes.len() as u64 + chunk.len() as u64 > limit {
                too_large = true;
                bytes = Vec::new();
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        let Some(field_name) = known_field(&name, kind) else { continue };
        if too_large {
            errors.add(
                field_name,
                format!(
                    "This is too large: at most {} MB. Make it smaller and try again.",
                    limit.div_ceil(1024 * 1024)
                ),
            );
            continue;
        }
        if is_file {
            if !bytes.is_empty() {
                parts.file = Some((filename.unwrap_or_else(|| "upload".into()), bytes));
            }
        } else {
            match String::from_utf8(bytes) {
                Ok(text) => {
                    if name == "csrf" {
                        check_csrf(&text)?;
                    }
                    parts.fields.entry(name).or_default().push(text);
                }
                Err(_) => errors.add(field_name, "This is not valid text (UTF-8)."),
            }
        }
    }
    Ok(parts)
}

/// The fields each form knows, as `'static` names for errors; unknown parts are ignored.
fn known_field(name: &str, kind: Kind) -> Option<&'static str> {
    const COMMON: [&str; 16] = [
        "csrf",
        "title",
        "story_type",
        "language",
        "place",
        "recorded_on",
        "storyteller",
        "prompt",
        "tags",
        "themes",
        "consent_scope",
        "consent_identify_as",
        "consent_given_on",
        "consent_expires_on",
        "body",
        "transcript_text",
    ];
    const PHOTO: [&str; 3] = ["photo", "caption", "alt_text"];
    COMMON
        .iter()
        .chain(PHOTO.iter())
        .chain(["transcript"].iter())
        .copied()
        .find(|known| *known == name)
        .filter(|known| match *known {
            "body" => kind == Kind::Text,
            "transcript" | "transcript_text" => kind == Kind::Transcript,
            "photo" | "caption" | "alt_text" => kind == Kind::Photo,
            _ => true,
        })
}

fn parse_field<T>(
    raw: &str,
    field: &'static str,
    errors: &mut FieldErrors,
    parse: impl Fn(&str) -> Result<T, storybank_domain::DomainError>,
) -> Option<T> {
    filled(raw)
        .and_then(|value| parse(value).map_err(|err| errors.add(field, capitalise(&err.to_string()))).ok())
}

fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    kind: web::Path<String>,
    multipart: Multipart,
) -> Result<HttpResponse, PageError> {
    user.require(Role::Reporter)?;
    let kind = Kind::parse(&kind)?;
    let limits = state.archive.limits().clone();
    let max_file = if kind == Kind::Photo { limits.max_image_bytes } else { limits.max_text_bytes };
    let mut errors = FieldErrors::default();
    let parts = read_parts(multipart, kind, max_file, limits.max_text_bytes, &mut errors, |token| {
        user.check_csrf(token)
    })
    .await?;
    user.check_csrf(&parts.text("csrf"))?;

    let values = SubmitValues {
        title: parts.text("title"),
        story_type: parts.text("story_type"),
        language: parts.text("language"),
        place: parts.text("place"),
        recorded_on: parts.text("recorded_on"),
        storyteller: parts.text("storyteller"),
        prompt: parts.text("prompt"),
        body: parts.text("body"),
        transcript_text: parts.text("transcript_text"),
        caption: parts.text("caption"),
        alt_text: parts.text("alt_text"),
        tags: parts.text("tags"),
        themes: parts.fields.get("themes").cloned().unwrap_or_default(),
        consent_scope: parts.text("consent_scope"),
        consent_identify_as: parts.text("consent_identify_as"),
        consent_given_on: parts.text("consent_given_on"),
        consent_expires_on: parts.text("consent_expires_on"),
    };

    let title = parse_field(&values.title, "title", &mut errors, Title::parse);
    if title.is_none() && errors.get("title").is_none() {
        errors.add("title", "Enter a title");
    }
    let story_type = if kind == Kind::Photo {
        Some(StoryType::Photo)
    } else {
        parse_field(&values.story_type, "story_type", &mut errors, StoryType::parse)
    };
    let language = parse_field(&values.language, "language", &mut errors, Language::parse);
    let tags: Vec<Tag> =
        values.tags.split(',').filter_map(|tag| parse_field(tag, "tags", &mut errors, Tag::parse)).collect();
    let tags = normalise_tags(tags)
        .map_err(|err| errors.add("tags", capitalise(&err.to_string())))
        .unwrap_or_default();
    let suggested: Vec<ThemePath> = values
        .themes
        .iter()
        .filter_map(|theme| parse_field(theme, "themes", &mut errors, ThemePath::parse))
        .collect();
    let consent_fields = ConsentFields {
        consent_scope: values.consent_scope.clone(),
        consent_identify_as: values.consent_identify_as.clone(),
        consent_given_on: values.consent_given_on.clone(),
        consent_expires_on: values.consent_expires_on.clone(),
    };
    let consent = consent_fields.parse(&mut errors);
    let metadata = Metadata {
        title,
        form: Some(kind.form()),
        story_type,
        language,
        recorded_on: filled(&values.recorded_on)
            .and_then(|raw| crate::forms::parse_date(raw, "recorded_on", &mut errors)),
        place: parse_field(&values.place, "place", &mut errors, Place::parse),
        reporter: storybank_domain::Reporter::parse(user.0.user.name.as_str()).ok(),
        storyteller: parse_field(&values.storyteller, "storyteller", &mut errors, Storyteller::parse),
        prompt: parse_field(&values.prompt, "prompt", &mut errors, Prompt::parse),
        consent,
        themes: Vec::new(),
        tags,
        caption: (kind == Kind::Photo).then(|| values.caption.trim().to_owned()),
        alt_text: parse_field(&values.alt_text, "alt_text", &mut errors, AltText::parse),
    };
    let content_field = match kind {
        Kind::Text => "body",
        Kind::Transcript => {
            if parts.file.is_some() {
                "transcript"
            } else {
                "transcript_text"
            }
        }
        Kind::Photo => "photo",
    };
    match kind {
        Kind::Text if values.body.trim().is_empty() => errors.add("body", "Write or paste the story"),
        Kind::Transcript if parts.file.is_none() && values.transcript_text.trim().is_empty() => {
            errors.add("transcript", "Choose a transcript file, or paste the transcript")
        }
        Kind::Photo if parts.file.is_none() && errors.get("photo").is_none() => {
            errors.add("photo", "Choose a photo")
        }
        Kind::Photo if values.caption.trim().is_empty() => {
            errors.add("caption", "Write the storyteller's caption")
        }
        _ => {}
    }
    if !errors.is_empty() {
        let page = submit_page(&state, &user, &req, kind, values, errors)?;
        return crate::views::page(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }

    let session = user.0.clone();
    let file = parts.file;
    let body = match kind {
        Kind::Text => values.body.clone(),
        Kind::Transcript => values.transcript_text.clone(),
        Kind::Photo => String::new(),
    };
    let result = blocking(&state, move |archive| {
        let (content, source) = match &file {
            Some((name, bytes)) => (ContentInput::File { name, bytes }, format!("upload: {name}")),
            None => (ContentInput::Body(&body), "upload: web form".to_owned()),
        };
        archive.submit(&session.user, Submission { metadata, content, suggested_themes: suggested, source })
    })
    .await;
    match result {
        Ok(id) => Ok(see_other(&format!("/my/stories/{id}?done=submitted"))),
        Err(PageError::Invalid(message) | PageError::Conflict(message)) => {
            let mut errors = FieldErrors::default();
            errors.add(content_field, capitalise(&message));
            let page = submit_page(&state, &user, &req, kind, values, errors)?;
            crate::views::page(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(other),
    }
}

pub async fn my_stories(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    user.require(Role::Reporter)?;
    let who = user.0.user.clone();
    let stories = blocking(&state, move |archive| archive.my_stories(&who)).await?;
    ok(&MyStoriesPage { page: chrome(&state, &user.0, "My stories", &req, done.done.as_deref()), stories })
}
