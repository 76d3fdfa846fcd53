//! The API's handlers: each reads its input, calls the archive's use case as the token's user,
//! and answers one of the types in `dto`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use storybank_archive::{ContentInput, Manifest, ManifestContent, QuoteSelection, StoryView, Submission};
use storybank_domain::{
    Audience, Evidence, Language, Place, Prompt, Quote, QuoteSpan, Reporter, ResolvedEvidence, Role, Status,
    StoryContent, StoryId, StoryType, Storyteller, Tag, ThemePath, Title, User,
};

use super::dto::{
    BackingAnswer, ConsentAnswer, Created, CueAnswer, DetailsPatch, ErrorBody, EvidenceAnswer, FacetCount,
    Facets, FindingAnswer, Hit, NewQuote, NewStory, PackAnswer, PackSummaryAnswer, QuoteAnswer, SearchAnswer,
    SearchParams, StoryAnswer, TagBody, ThemeAnswer, ThemeBody, VersionParam,
};
use super::dto::{ExportParams, NewEvidence, NewFinding, NewPack, Published};
use super::{ApiError, ApiUser, blocking};
use crate::AppState;
use crate::pages::review::{Params, request_from};

/// The most hits one search answer holds.
const MAX_LIMIT: usize = 100;

fn story_id(raw: &str) -> Result<StoryId, ApiError> {
    StoryId::parse(raw)
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("there is no story {raw}")))
}

fn audience_of(user: &User) -> Audience {
    if user.has(Role::Curator) { Audience::Curator } else { Audience::Commissioner }
}

fn require_any(user: &User, roles: &[Role]) -> Result<(), ApiError> {
    if roles.iter().any(|role| user.has(*role)) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your roles do not allow this"))
    }
}

fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status).insert_header(("Cache-Control", "no-store")).json(body)
}

/// Searches the stories the caller may see.
#[utoipa::path(
    get, path = "/api/v1/search", tag = "search",
    summary = "Search the stories the caller may see",
    params(SearchParams),
    responses(
        (status = 200, description = "Hits, total and facets", body = SearchAnswer),
        (status = 400, description = "A query that cannot be read", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a curator or commissioner", body = ErrorBody),
        (status = 422, description = "A filter with an unknown value", body = ErrorBody),
    )
)]
pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, ApiError> {
    require_any(&user.0, &[Role::Curator, Role::Commissioner])?;
    let params = Params::of(&req)?;
    let mut request = request_from(&params, audience_of(&user.0))?;
    let number = |key: &str, default: usize| -> Result<usize, ApiError> {
        params.one(key).map_or(Ok(default), |raw| {
            raw.parse().map_err(|_| ApiError::invalid(format!("{key} {raw:?} is not a whole number")))
        })
    };
    request.limit = number("limit", 20)?.clamp(1, MAX_LIMIT);
    request.offset = number("offset", 0)?;
    if request.offset.saturating_add(request.limit) > storybank_archive::MAX_SEARCH_DEPTH {
        return Err(ApiError::invalid(format!(
            "offset + limit may be at most {}: narrow the search instead",
            storybank_archive::MAX_SEARCH_DEPTH
        )));
    }
    let response = blocking(&state, move |archive| Ok(archive.search(&request)?)).await?;
    let facet = |counts: &[storybank_archive::FacetCount]| -> Vec<FacetCount> {
        counts.iter().map(|count| FacetCount { value: count.value.clone(), count: count.count }).collect()
    };
    let answer = SearchAnswer {
        total: response.total,
        hits: response
            .hits
            .iter()
            .map(|hit| Hit {
                id: hit.id.to_string(),
                title: hit.title.to_string(),
                form: hit.form.to_string(),
                story_type: hit.story_type.to_string(),
                language: hit.language.as_str().to_owned(),
                status: hit.status.to_string(),
                place: hit.place.clone(),
                recorded_on: hit.recorded_on,
                themes: hit.themes.iter().map(ToString::to_string).collect(),
                tags: hit.tags.iter().map(ToString::to_string).collect(),
                score: hit.score,
                snippet: hit.snippet.as_ref().map(|snippet| snippet.text.clone()),
            })
            .collect(),
        facets: Facets {
            themes: facet(&response.facets.themes),
            forms: facet(&response.facets.forms),
            languages: facet(&response.facets.languages),
            story_types: facet(&response.facets.story_types),
            places: facet(&response.facets.places),
        },
    };
    Ok(json(StatusCode::OK, &answer))
}

/// A story as `user` may see it.
fn story_answer(user: &User, view: &StoryView) -> StoryAnswer {
    let StoryView { story, curation, .. } = view;
    let curator = user.has(Role::Curator);
    let details = &story.details;
    let reading = view.reading(user);
    let (text, cues, alt_text) = match &story.content {
        StoryContent::Text { body } => (body.clone(), Vec::new(), None),
        StoryContent::Transcript { cues } => {
            let answers = cues
                .iter()
                .map(|cue| CueAnswer {
                    start: cue.start().map(|t| t.to_string()),
                    speaker: cue.speaker().map(|s| reading.speaker(s.as_str()).to_owned()),
                    text: cue.text().to_owned(),
                })
                .collect();
            (reading.words(story, &story.content.full_text()), answers, None)
        }
        StoryContent::Image { caption, alt_text, .. } => {
            (caption.clone(), Vec::new(), alt_text.as_ref().map(ToString::to_string))
        }
    };
    StoryAnswer {
        id: story.id.to_string(),
        title: details.title.to_string(),
        form: story.form().to_string(),
        story_type: details.story_type.to_string(),
        language: details.language.as_str().to_owned(),
        status: story.status.to_string(),
        place: reading.disclosed.place.clone(),
        recorded_on: details.recorded_on,
        prompt: details.prompt.as_ref().map(ToString::to_string),
        storyteller: reading.disclosed.storyteller.clone(),
        reporter: reading.disclosed.reporter.clone(),
        themes: details.themes.iter().map(ToString::to_string).collect(),
        tags: details.tags.iter().map(ToString::to_string).collect(),
        consent: details.consent.as_ref().map(|consent| ConsentAnswer {
            scope: consent.scope().to_string(),
            identify_as: consent.identify_as().to_string(),
            given_on: consent.given_on(),
            expires_on: consent.expires_on(),
        }),
        text,
        cues,
        alt_text,
        key_message: curation.notes.key_message.as_ref().filter(|_| curator).map(ToString::to_string),
        key_learning: curation.notes.key_learning.as_ref().filter(|_| curator).map(ToString::to_string),
    }
}

/// Creates a story through the same ingestion as the command line.
#[utoipa::path(
    post, path = "/api/v1/stories", tag = "stories",
    summary = "Create a story (reporters) from a manifest and, for a file, its bytes",
    request_body = NewStory,
    responses(
        (status = 201, description = "Stored; curators will review it", body = Created),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 413, description = "The body is larger than the archive accepts", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a reporter", body = ErrorBody),
        (status = 409, description = "The same story is already in the archive", body = ErrorBody),
        (status = 422, description = "The manifest or the file was refused; the message says why", body = ErrorBody),
    )
)]
pub async fn create_story(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewStory>,
) -> Result<HttpResponse, ApiError> {
    require_any(&user.0, &[Role::Reporter])?;
    let NewStory { manifest, file_base64 } = body.into_inner();
    let raw = serde_json::to_vec(&manifest).map_err(ApiError::invalid)?;
    let manifest = Manifest::parse(&raw).map_err(|err| ApiError::invalid(format!("manifest: {err}")))?;
    let bytes = match (&manifest.content, file_base64) {
        (ManifestContent::File(_), Some(encoded)) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|err| ApiError::invalid(format!("file_base64 is not base64: {err}")))?,
        ),
        (ManifestContent::File(file), None) => {
            return Err(ApiError::invalid(format!(
                "the manifest names the file {}: send its bytes in file_base64",
                file.as_str()
            )));
        }
        (ManifestContent::Body(_), Some(_)) => {
            return Err(ApiError::invalid("give either a body in the manifest or a file, not both"));
        }
        (ManifestContent::Body(_), None) => None,
    };
    let who = user.0.clone();
    let id = blocking(&state, move |archive| {
        let Manifest { mut metadata, content } = manifest;
        // A reporter's themes are suggestions for curators to confirm, as on the upload form.
        let suggested_themes = std::mem::take(&mut metadata.themes);
        let content = match (&content, &bytes) {
            (ManifestContent::Body(body), _) => ContentInput::Body(body),
            (ManifestContent::File(file), Some(bytes)) => ContentInput::File { name: file.as_str(), bytes },
            (ManifestContent::File(_), None) => unreachable!("checked above"),
        };
        let source = "upload: API".to_owned();
        Ok(archive.submit(&who, Submission { metadata, content, suggested_themes, source })?)
    })
    .await?;
    Ok(json(StatusCode::CREATED, &Created { id: id.to_string() }))
}

/// Reads a story.
#[utoipa::path(
    get, path = "/api/v1/stories/{id}", tag = "stories",
    summary = "Read a story as the caller may see it",
    params(("id" = String, Path, description = "The story's id")),
    responses(
        (status = 200, description = "The story", body = StoryAnswer),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 404, description = "No such story, or not one the caller may see", body = ErrorBody),
    )
)]
pub async fn get_story(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = story_id(&path)?;
    let who = user.0.clone();
    let view = blocking(&state, move |archive| Ok(archive.story_for(&who, id)?)).await?;
    Ok(json(StatusCode::OK, &story_answer(&user.0, &view)))
}

/// A field that can be cleared: absent is `None` (unchanged), empty is `Some(None)` (cleared).
fn clearable<T>(
    raw: Option<&str>,
    parse: impl Fn(&str) -> Result<T, storybank_domain::DomainError>,
) -> Result<Option<Option<T>>, ApiError> {
    match raw {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(Some(None)),
        Some(text) => parse(text).map(|value| Some(Some(value))).map_err(ApiError::invalid),
    }
}

/// Changes a story's details.
#[utoipa::path(
    patch, path = "/api/v1/stories/{id}", tag = "stories",
    summary = "Change a story's details (curators)",
    params(("id" = String, Path, description = "The story's id")),
    request_body = DetailsPatch,
    responses(
        (status = 200, description = "The story as changed", body = StoryAnswer),
        (status = 400, description = "Unknown fields or not JSON", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a curator", body = ErrorBody),
        (status = 404, description = "No such story", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody),
    )
)]
pub async fn patch_story(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<DetailsPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = story_id(&path)?;
    let patch = body.into_inner();
    // Parsed before anything changes; applied inside the store's lock to the details as they are
    // then, so only the fields sent change and a concurrent edit of another field is kept.
    let title = patch.title.as_deref().map(Title::parse).transpose().map_err(ApiError::invalid)?;
    let story_type =
        patch.story_type.as_deref().map(StoryType::parse).transpose().map_err(ApiError::invalid)?;
    let language = patch.language.as_deref().map(Language::parse).transpose().map_err(ApiError::invalid)?;
    let place = clearable(patch.place.as_deref(), Place::parse)?;
    let prompt = clearable(patch.prompt.as_deref(), Prompt::parse)?;
    let reporter = clearable(patch.reporter.as_deref(), Reporter::parse)?;
    let storyteller = clearable(patch.storyteller.as_deref(), Storyteller::parse)?;
    let recorded_on = match patch.recorded_on.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(raw) => Some(Some(
            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid(format!("recorded_on {raw:?} is not a date (YYYY-MM-DD)")))?,
        )),
    };
    let who = user.0.clone();
    let view = blocking(&state, move |archive| {
        archive.update_details(&who, id, move |details| {
            if let Some(title) = title {
                details.title = title;
            }
            if let Some(story_type) = story_type {
                details.story_type = story_type;
            }
            if let Some(language) = language {
                details.language = language;
            }
            if let Some(place) = place {
                details.place = place;
            }
            if let Some(prompt) = prompt {
                details.prompt = prompt;
            }
            if let Some(reporter) = reporter {
                details.reporter = reporter;
            }
            if let Some(storyteller) = storyteller {
                details.storyteller = storyteller;
            }
            if let Some(recorded_on) = recorded_on {
                details.recorded_on = recorded_on;
            }
        })?;
        Ok(archive.story_for(&who, id)?)
    })
    .await?;
    Ok(json(StatusCode::OK, &story_answer(&user.0, &view)))
}

/// Runs a change to a story and answers the story as changed.
async fn change_story(
    state: web::Data<AppState>,
    user: ApiUser,
    raw_id: &str,
    change: impl FnOnce(&storybank_archive::Archive, &User, StoryId) -> Result<(), ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let id = story_id(raw_id)?;
    let who = user.0.clone();
    let view = blocking(&state, move |archive| {
        change(archive, &who, id)?;
        Ok(archive.story_for(&who, id)?)
    })
    .await?;
    Ok(json(StatusCode::OK, &story_answer(&user.0, &view)))
}

/// Tags a story.
#[utoipa::path(
    post, path = "/api/v1/stories/{id}/tags", tag = "stories",
    summary = "Add a tag (curators, and the reporter who submitted the story)",
    params(("id" = String, Path, description = "The story's id")),
    request_body = TagBody,
    responses(
        (status = 200, description = "The story as changed", body = StoryAnswer),
        (status = 400, description = "The body or the query could not be read", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not allowed to tag it", body = ErrorBody),
        (status = 404, description = "No such story", body = ErrorBody),
        (status = 422, description = "Not a tag", body = ErrorBody),
    )
)]
pub async fn add_tag(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<TagBody>,
) -> Result<HttpResponse, ApiError> {
    let tag = Tag::parse(&body.tag).map_err(ApiError::invalid)?;
    change_story(state, user, &path, move |archive, who, id| Ok(archive.add_tag(who, id, tag).map(|_| ())?))
        .await
}

/// Removes a tag.
#[utoipa::path(
    delete, path = "/api/v1/stories/{id}/tags/{tag}", tag = "stories",
    summary = "Remove a tag",
    params(("id" = String, Path, description = "The story's id"), ("tag" = String, Path, description = "The tag")),
    responses(
        (status = 200, description = "The story as changed", body = StoryAnswer),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not allowed to tag it", body = ErrorBody),
        (status = 404, description = "No such story", body = ErrorBody),
        (status = 422, description = "Not a tag", body = ErrorBody),
    )
)]
pub async fn remove_tag(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (raw_id, raw_tag) = path.into_inner();
    let tag = Tag::parse(&raw_tag).map_err(ApiError::invalid)?;
    change_story(state, user, &raw_id, move |archive, who, id| {
        Ok(archive.remove_tag(who, id, &tag).map(|_| ())?)
    })
    .await
}

/// Themes a story.
#[utoipa::path(
    post, path = "/api/v1/stories/{id}/themes", tag = "stories",
    summary = "Assign a theme of the taxonomy (curators)",
    params(("id" = String, Path, description = "The story's id")),
    request_body = ThemeBody,
    responses(
        (status = 200, description = "The story as changed", body = StoryAnswer),
        (status = 400, description = "The body or the query could not be read", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a curator", body = ErrorBody),
        (status = 404, description = "No such story", body = ErrorBody),
        (status = 422, description = "Not a theme of the taxonomy", body = ErrorBody),
    )
)]
pub async fn add_theme(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<ThemeBody>,
) -> Result<HttpResponse, ApiError> {
    let theme = ThemePath::parse(&body.theme).map_err(ApiError::invalid)?;
    change_story(state, user, &path, move |archive, who, id| {
        Ok(archive.add_theme(who, id, theme).map(|_| ())?)
    })
    .await
}

/// Removes a theme.
#[utoipa::path(
    delete, path = "/api/v1/stories/{id}/themes/{theme}", tag = "stories",
    summary = "Remove a theme (curators)",
    params(
        ("id" = String, Path, description = "The story's id"),
        ("theme" = String, Path, description = "The theme path, e.g. health/mental-health"),
    ),
    responses(
        (status = 200, description = "The story as changed", body = StoryAnswer),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a curator", body = ErrorBody),
        (status = 404, description = "No such story", body = ErrorBody),
        (status = 422, description = "Not a theme path", body = ErrorBody),
    )
)]
pub async fn remove_theme(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (raw_id, raw_theme) = path.into_inner();
    let theme = ThemePath::parse(&raw_theme).map_err(ApiError::invalid)?;
    change_story(state, user, &raw_id, move |archive, who, id| {
        Ok(archive.remove_theme(who, id, &theme).map(|_| ())?)
    })
    .await
}

/// Withdraws a story.
#[utoipa::path(
    post, path = "/api/v1/stories/{id}/withdraw", tag = "stories",
    summary = "Withdraw a story: nobody sees it any more (curators)",
    params(("id" = String, Path, description = "The story's id")),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a curator", body = ErrorBody),
        (status = 404, description = "No such story (or already withdrawn)", body = ErrorBody),
    )
)]
pub async fn withdraw(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = story_id(&path)?;
    let who = user.0.clone();
    blocking(&state, move |archive| Ok(archive.change_status(&who, id, Status::Withdrawn).map(|_| ())?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn quote_answer(quote: &Quote, text: String) -> QuoteAnswer {
    let (kind, start, end) = match quote.span {
        QuoteSpan::Text { start, end } => ("text", start, end),
        QuoteSpan::Cues { first, last } => ("cues", first, last),
    };
    QuoteAnswer {
        id: quote.id.to_string(),
        story_id: quote.story_id.to_string(),
        text,
        kind: kind.to_owned(),
        start,
        end,
        themes: quote.themes.iter().map(ToString::to_string).collect(),
    }
}

/// A story's quotes.
#[utoipa::path(
    get, path = "/api/v1/stories/{id}/quotes", tag = "stories",
    summary = "List a story's quotes",
    params(("id" = String, Path, description = "The story's id")),
    responses(
        (status = 200, description = "Its quotes, oldest first", body = Vec<QuoteAnswer>),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 404, description = "No such story, or not one the caller may see", body = ErrorBody),
    )
)]
pub async fn list_quotes(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = story_id(&path)?;
    let who = user.0.clone();
    let view = blocking(&state, move |archive| Ok(archive.story_for(&who, id)?)).await?;
    let reading = view.reading(&user.0);
    let quotes: Vec<QuoteAnswer> = view
        .curation
        .quotes
        .iter()
        .map(|quote| quote_answer(quote, reading.words(&view.story, &quote.text)))
        .collect();
    Ok(json(StatusCode::OK, &quotes))
}

/// Marks a quote.
#[utoipa::path(
    post, path = "/api/v1/stories/{id}/quotes", tag = "stories",
    summary = "Mark a quote: a passage copied exactly, or a range of transcript cues (curators)",
    params(("id" = String, Path, description = "The story's id")),
    request_body = NewQuote,
    responses(
        (status = 201, description = "The quote", body = QuoteAnswer),
        (status = 400, description = "The body or the query could not be read", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a curator", body = ErrorBody),
        (status = 404, description = "No such story", body = ErrorBody),
        (status = 422, description = "The passage is not in the story, or the cues do not fit", body = ErrorBody),
    )
)]
pub async fn add_quote(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<NewQuote>,
) -> Result<HttpResponse, ApiError> {
    let id = story_id(&path)?;
    let NewQuote { passage, occurrence, first_cue, last_cue, themes } = body.into_inner();
    let themes: Vec<ThemePath> = themes
        .iter()
        .map(|raw| ThemePath::parse(raw))
        .collect::<Result<_, _>>()
        .map_err(ApiError::invalid)?;
    let who = user.0.clone();
    let quote = blocking(&state, move |archive| {
        let selection = match (passage.as_deref(), first_cue, last_cue) {
            (Some(passage), None, None) => QuoteSelection::Passage { text: passage, occurrence },
            (None, Some(first), Some(last)) => QuoteSelection::Cues { first, last },
            _ => return Err(ApiError::invalid("give either passage, or first_cue and last_cue")),
        };
        Ok(archive.add_quote(&who, id, selection, themes)?)
    })
    .await?;
    let text = quote.text.clone();
    Ok(json(StatusCode::CREATED, &quote_answer(&quote, text)))
}

/// The taxonomy.
#[utoipa::path(
    get, path = "/api/v1/themes", tag = "themes",
    summary = "List the theme taxonomy",
    responses(
        (status = 200, description = "Every theme in path order", body = Vec<ThemeAnswer>),
        (status = 401, description = "No live token", body = ErrorBody),
    )
)]
pub async fn list_themes(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    let curator = user.0.has(Role::Curator);
    let counts = blocking(&state, |archive| Ok(archive.theme_counts()?)).await?;
    let themes: Vec<ThemeAnswer> = counts
        .into_iter()
        .map(|count| ThemeAnswer {
            path: count.theme.path.to_string(),
            label: count.theme.label,
            description: count.theme.description,
            retired: count.retired,
            stories: curator.then_some(count.stories),
        })
        .collect();
    Ok(json(StatusCode::OK, &themes))
}

/// The packs the caller may read.
#[utoipa::path(
    get, path = "/api/v1/packs", tag = "packs",
    summary = "List insight packs (every pack for curators; published ones meant for them for commissioners)",
    responses(
        (status = 200, description = "The packs", body = Vec<PackSummaryAnswer>),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a curator or commissioner", body = ErrorBody),
    )
)]
pub async fn list_packs(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    let who = user.0.clone();
    let packs = blocking(&state, move |archive| Ok(archive.packs_for(&who)?)).await?;
    let answer: Vec<PackSummaryAnswer> = packs
        .iter()
        .map(|pack| PackSummaryAnswer {
            id: pack.id.to_string(),
            title: pack.title.to_string(),
            question: pack.question.to_string(),
            audience: pack.audience.to_string(),
            findings: pack.findings,
            latest_version: pack.latest.as_ref().map(|v| v.version),
        })
        .collect();
    Ok(json(StatusCode::OK, &answer))
}

fn backing(backing: &storybank_domain::Backing) -> BackingAnswer {
    BackingAnswer {
        stories: backing.stories,
        storytellers: backing.storytellers,
        places: backing.places,
        languages: backing.languages,
        forms: backing.forms,
    }
}

fn evidence_answer(item: &ResolvedEvidence, curator: bool) -> EvidenceAnswer {
    let ids = |evidence: &Evidence| match *evidence {
        Evidence::Quote { story, quote } => ("quote", story.to_string(), Some(quote.to_string())),
        Evidence::Story { story } => ("story", story.to_string(), None),
    };
    match item {
        ResolvedEvidence::Shown { evidence, story, quote, .. } => {
            let (kind, story_id, quote_id) = ids(evidence);
            EvidenceAnswer {
                state: "shown".into(),
                kind: kind.into(),
                story_id: Some(story_id),
                quote_id,
                quote: quote.clone(),
                story_title: Some(story.title.to_string()),
                storyteller: story.disclosed.storyteller.clone(),
                place: story.disclosed.place.clone(),
                language: Some(story.language.as_str().to_owned()),
                form: Some(story.form.to_string()),
                recorded_on: story.recorded_on,
                reason: None,
            }
        }
        ResolvedEvidence::Unavailable { evidence, reason } => {
            let (kind, _, _) = ids(evidence);
            EvidenceAnswer {
                state: "unavailable".into(),
                kind: kind.into(),
                story_id: None,
                quote_id: None,
                quote: None,
                story_title: None,
                storyteller: None,
                place: None,
                language: None,
                form: None,
                recorded_on: None,
                reason: Some(if curator { reason.code() } else { reason.reader_code() }.to_owned()),
            }
        }
    }
}

/// One pack.
#[utoipa::path(
    get, path = "/api/v1/packs/{id}", tag = "packs",
    summary = "Read a pack: the working copy (curators) or a published version",
    params(("id" = String, Path, description = "The pack's id"), VersionParam),
    responses(
        (status = 200, description = "The pack, its evidence resolved for the caller", body = PackAnswer),
        (status = 400, description = "The body or the query could not be read", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 404, description = "No such pack or version, or not one the caller may read", body = ErrorBody),
    )
)]
pub async fn get_pack(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<VersionParam>,
) -> Result<HttpResponse, ApiError> {
    let id = storybank_domain::PackId::parse(&path)
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("there is no pack {path}")))?;
    let who = user.0.clone();
    let version = query.version;
    let page = blocking(&state, move |archive| Ok(archive.pack_page(&who, id, version)?)).await?;
    let curator = user.0.has(Role::Curator);
    let pack = &page.pack;
    let answer = PackAnswer {
        id: page.id.to_string(),
        version: page.version,
        title: pack.title.to_string(),
        question: pack.question.to_string(),
        audience: pack.audience.to_string(),
        summary: pack.summary.as_ref().map(|s| s.as_str().to_owned()),
        backing: backing(&pack.backing),
        findings: pack
            .findings
            .iter()
            .map(|finding| FindingAnswer {
                id: finding.id.to_string(),
                kind: finding.kind.to_string(),
                statement: finding.statement.to_string(),
                explanation: finding.explanation.as_ref().map(|e| e.as_str().to_owned()),
                backing: backing(&finding.backing),
                lost: if curator { finding.lost } else { 0 },
                evidence: finding.evidence.iter().map(|item| evidence_answer(item, curator)).collect(),
            })
            .collect(),
        versions: page.versions.iter().map(|v| v.version).collect(),
    };
    Ok(json(StatusCode::OK, &answer))
}

fn pack_id(raw: &str) -> Result<storybank_domain::PackId, ApiError> {
    storybank_domain::PackId::parse(raw)
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("there is no pack {raw}")))
}

/// Starts a pack.
#[utoipa::path(
    post, path = "/api/v1/packs", tag = "packs",
    summary = "Start an insight pack (curators)",
    request_body = NewPack,
    responses(
        (status = 201, description = "Started", body = Created),
        (status = 400, description = "The body could not be read", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a curator", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody),
    )
)]
pub async fn create_pack(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewPack>,
) -> Result<HttpResponse, ApiError> {
    let NewPack { title, question, audience, summary } = body.into_inner();
    let title = Title::parse(&title).map_err(ApiError::invalid)?;
    let question = Title::parse(&question)
        .map_err(|err| ApiError::invalid(err.to_string().replacen("title", "question", 1)))?;
    let audience = Audience::parse(&audience).map_err(ApiError::invalid)?;
    let summary = storybank_domain::Markdown::parse("summary", summary.as_deref().unwrap_or_default())
        .map_err(ApiError::invalid)?;
    let who = user.0.clone();
    let id = blocking(&state, move |archive| {
        let id = archive.create_pack(&who, title.clone(), question.clone(), audience)?;
        if summary.is_some() {
            archive.update_pack_details(&who, id, title, question, audience, summary)?;
        }
        Ok(id)
    })
    .await?;
    Ok(json(StatusCode::CREATED, &Created { id: id.to_string() }))
}

/// Adds a finding.
#[utoipa::path(
    post, path = "/api/v1/packs/{id}/findings", tag = "packs",
    summary = "Add a finding to a pack's working copy (curators)",
    params(("id" = String, Path, description = "The pack's id")),
    request_body = NewFinding,
    responses(
        (status = 201, description = "Added", body = Created),
        (status = 400, description = "The body could not be read", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a curator", body = ErrorBody),
        (status = 404, description = "No such pack", body = ErrorBody),
        (status = 422, description = "A value was refused", body = ErrorBody),
    )
)]
pub async fn add_finding(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<NewFinding>,
) -> Result<HttpResponse, ApiError> {
    let id = pack_id(&path)?;
    let NewFinding { kind, statement, explanation } = body.into_inner();
    let kind = storybank_domain::FindingKind::parse(&kind).map_err(ApiError::invalid)?;
    let statement = Title::parse(&statement)
        .map_err(|err| ApiError::invalid(err.to_string().replacen("title", "statement", 1)))?;
    let explanation =
        storybank_domain::Markdown::parse("explanation", explanation.as_deref().unwrap_or_default())
            .map_err(ApiError::invalid)?;
    let who = user.0.clone();
    let finding = blocking(&state, move |archive| {
        Ok(archive.edit_pack(&who, id, |pack| pack.add_finding(kind, statement, explanation))?)
    })
    .await?;
    Ok(json(StatusCode::CREATED, &Created { id: finding.to_string() }))
}

/// Adds evidence to a finding.
#[utoipa::path(
    post, path = "/api/v1/packs/{id}/findings/{finding}/evidence", tag = "packs",
    summary = "Add a story or one of its quotes to a finding (curators)",
    params(("id" = String, Path, description = "The pack's id"), ("finding" = String, Path, description = "The finding's id")),
    request_body = NewEvidence,
    responses(
        (status = 204, description = "Added"),
        (status = 400, description = "The body could not be read", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a curator", body = ErrorBody),
        (status = 404, description = "No such pack, finding, story or quote", body = ErrorBody),
        (status = 422, description = "Already evidence of this finding, or a malformed id", body = ErrorBody),
    )
)]
pub async fn add_evidence(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, String)>,
    body: web::Json<NewEvidence>,
) -> Result<HttpResponse, ApiError> {
    let (raw_pack, raw_finding) = path.into_inner();
    let id = pack_id(&raw_pack)?;
    let finding = storybank_domain::FindingId::parse(&raw_finding).map_err(|_| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("there is no finding {raw_finding}"))
    })?;
    let NewEvidence { story_id: raw_story, quote_id } = body.into_inner();
    let story = StoryId::parse(&raw_story).map_err(ApiError::invalid)?;
    let evidence = match quote_id {
        Some(raw) => Evidence::Quote {
            story,
            quote: storybank_domain::QuoteId::parse(&raw).map_err(ApiError::invalid)?,
        },
        None => Evidence::Story { story },
    };
    let who = user.0.clone();
    blocking(&state, move |archive| Ok(archive.add_evidence(&who, id, finding, evidence)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publishes a pack.
#[utoipa::path(
    post, path = "/api/v1/packs/{id}/publish", tag = "packs",
    summary = "Publish a pack's working copy as its next version (curators)",
    params(("id" = String, Path, description = "The pack's id")),
    responses(
        (status = 200, description = "Published", body = Published),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Not a curator", body = ErrorBody),
        (status = 404, description = "No such pack", body = ErrorBody),
        (status = 409, description = "Nothing to publish, a finding without evidence, or evidence its audience may not see", body = ErrorBody),
    )
)]
pub async fn publish_pack(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = pack_id(&path)?;
    let who = user.0.clone();
    let version = blocking(&state, move |archive| Ok(archive.publish_pack(&who, id)?)).await?;
    Ok(json(StatusCode::OK, &Published { version }))
}

/// Exports a published version.
#[utoipa::path(
    get, path = "/api/v1/packs/{id}/export/{format}", tag = "packs",
    summary = "Download a published version as html, md, json or csv (with only what its audience may see)",
    params(
        ("id" = String, Path, description = "The pack's id"),
        ("format" = String, Path, description = "html, md, json or csv"),
        ExportParams,
    ),
    responses(
        (status = 200, description = "The export (see docs/pack-export.md)", content(
            (String = "text/html"), (String = "text/markdown"), (String = "application/json"), (String = "text/csv")
        )),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 404, description = "No such pack, version or format, or not one the caller may read", body = ErrorBody),
        (status = 409, description = "Not published yet", body = ErrorBody),
    )
)]
pub async fn export_pack(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, String)>,
    query: web::Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let (raw_id, raw_format) = path.into_inner();
    let id = pack_id(&raw_id)?;
    let format = storybank_export::Format::parse(&raw_format)
        .map_err(|err| ApiError::new(StatusCode::NOT_FOUND, "not_found", err.to_string()))?;
    let who = user.0.clone();
    let name = state.name.clone();
    let version = query.version;
    let (bytes, file_name) = blocking(&state, move |archive| {
        let (pack, published) = archive.export_pack_for(&who, id, version, format.extension())?;
        let info = storybank_export::ExportInfo {
            archive: name,
            pack_id: id,
            version: published.version,
            published_at: published.published_at,
            generated_at: chrono::Utc::now(),
        };
        let bytes = storybank_export::export(format, &pack, &info, &|media| archive.media(media).ok())
            .map_err(|err| {
                tracing::error!(error = %err, "an export failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the export could not be made")
            })?;
        Ok((bytes, info.file_name(&pack, format)))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(format.mime())
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{file_name}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}
