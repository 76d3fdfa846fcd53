//! The theme taxonomy page: every theme with its story count; create, rename or move, merge,
//! retire and restore. A rename or merge re-themes the stories in the same transaction.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use storybank_domain::{Role, Theme, ThemePath};

use super::{Done, blocking, chrome, see_other};
use crate::AppState;
use crate::auth::LoggedIn;
use crate::error::PageError;
use crate::forms::filled;
use crate::views::{Choice, ThemeRow, ThemesPage};

async fn themes_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &LoggedIn,
    status: StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let counts = blocking(state, |archive| archive.theme_counts()).await?;
    let themes: Vec<Theme> = counts.iter().map(|count| count.theme.clone()).collect();
    let page = ThemesPage {
        page: chrome(state, &user.0, "Themes", req, done),
        csrf: user.0.csrf.clone(),
        themes: counts
            .into_iter()
            .map(|count| ThemeRow {
                path: count.theme.path.to_string(),
                depth: count.theme.path.depth(),
                label: count.theme.label,
                description: count.theme.description,
                stories: count.stories,
                retired: count.retired,
            })
            .collect(),
        choices: Choice::themes(&themes, &[]),
        error,
    };
    crate::views::page(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    user.require(Role::Curator)?;
    themes_page(&req, &state, &user, StatusCode::OK, done.done.as_deref(), None).await
}

/// Runs a taxonomy change; a refused one shows the page again with the reason.
async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    csrf: &str,
    done: &str,
    work: impl FnOnce(
        &storybank_archive::Archive,
        &storybank_domain::User,
    ) -> Result<(), storybank_archive::ArchiveError>
    + Send
    + 'static,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(csrf)?;
    user.require(Role::Curator)?;
    let who = user.0.user.clone();
    match blocking(&state, move |archive| work(archive, &who)).await {
        Ok(()) => Ok(see_other(&format!("/themes?done={done}"))),
        Err(PageError::Invalid(message) | PageError::Conflict(message)) => {
            themes_page(&req, &state, &user, StatusCode::UNPROCESSABLE_ENTITY, None, Some(message)).await
        }
        Err(PageError::NotFound) => {
            themes_page(
                &req,
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some("Choose a theme from the list.".into()),
            )
            .await
        }
        Err(other) => Err(other),
    }
}

fn theme(raw: &str) -> Result<ThemePath, storybank_archive::ArchiveError> {
    ThemePath::parse(raw).map_err(|err| {
        storybank_archive::ArchiveError::new(storybank_archive::ErrorKind::Invalid, err.to_string())
    })
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    csrf: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    description: String,
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, PageError> {
    let CreateForm { csrf, parent, name, label, description } = form.into_inner();
    change(req, state, user, &csrf, "theme-created", move |archive, who| {
        let path = match filled(&parent) {
            Some(parent) => format!("{parent}/{}", name.trim()),
            None => name.trim().to_owned(),
        };
        let label = filled(&label).ok_or_else(|| {
            storybank_archive::ArchiveError::new(
                storybank_archive::ErrorKind::Invalid,
                "give the theme a label",
            )
        })?;
        archive.create_theme(
            who,
            Theme {
                path: theme(&path)?,
                label: label.to_owned(),
                description: description.trim().to_owned(),
            },
        )
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct RenameForm {
    csrf: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    new_label: String,
}

pub async fn rename(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    form: web::Form<RenameForm>,
) -> Result<HttpResponse, PageError> {
    let RenameForm { csrf, from, to, new_label } = form.into_inner();
    change(req, state, user, &csrf, "theme-renamed", move |archive, who| {
        archive.rename_theme(who, &theme(&from)?, &theme(&to)?, &new_label).map(|_| ())
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct MergeForm {
    csrf: String,
    #[serde(default)]
    merge_from: String,
    #[serde(default)]
    merge_into: String,
}

pub async fn merge(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    form: web::Form<MergeForm>,
) -> Result<HttpResponse, PageError> {
    let MergeForm { csrf, merge_from, merge_into } = form.into_inner();
    change(req, state, user, &csrf, "theme-merged", move |archive, who| {
        archive.merge_theme(who, &theme(&merge_from)?, &theme(&merge_into)?).map(|_| ())
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct RetireForm {
    csrf: String,
    #[serde(default)]
    retire: String,
    #[serde(default)]
    retired: String,
}

pub async fn retire(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    form: web::Form<RetireForm>,
) -> Result<HttpResponse, PageError> {
    let RetireForm { csrf, retire, retired } = form.into_inner();
    let retired = retired != "false";
    change(
        req,
        state,
        user,
        &csrf,
        if retired { "theme-retired" } else { "theme-restored" },
        move |archive, who| archive.retire_theme(who, &theme(&retire)?, retired),
    )
    .await
}
