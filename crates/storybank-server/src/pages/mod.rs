//! The routes and their handlers.

mod admin;
mod login;
mod media;
mod overview;
mod packs;
pub(crate) mod review;
mod story;
mod submit;
mod themes;
mod trust;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use storybank_archive::{Archive, ArchiveError, Session};
use storybank_domain::{Role, StoryId};

use crate::AppState;
use crate::auth::LoggedIn;
use crate::error::PageError;
use crate::views::Chrome;

/// Every route of the web app.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/static/{file}", web::get().to(static_file))
        .route("/", web::get().to(home))
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route("/logout", web::post().to(login::logout))
        .route("/submit", web::get().to(submit::choose))
        .route("/submit/{kind}", web::get().to(submit::form))
        .route("/submit/{kind}", web::post().to(submit::upload))
        .route("/my/stories", web::get().to(submit::my_stories))
        .route("/my/stories/{id}", web::get().to(story::page))
        .route("/stories/{id}", web::get().to(story::page))
        .route("/stories/{id}/tags", web::post().to(story::add_tag))
        .route("/stories/{id}/tags/remove", web::post().to(story::remove_tag))
        .route("/stories/{id}/themes", web::post().to(story::add_theme))
        .route("/stories/{id}/themes/remove", web::post().to(story::remove_theme))
        .route("/stories/{id}/suggestions", web::post().to(story::suggest_themes))
        .route("/stories/{id}/notes", web::post().to(story::notes))
        .route("/stories/{id}/quotes", web::post().to(story::add_quote))
        .route("/stories/{id}/quotes/{quote}/remove", web::post().to(story::remove_quote))
        .route("/stories/{id}/status", web::post().to(story::status))
        .route("/stories/{id}/consent", web::post().to(story::consent))
        .route("/stories/{id}/alt-text", web::post().to(story::alt_text))
        .route("/stories/{id}/details", web::post().to(story::details))
        .route("/stories/{id}/redactions", web::post().to(story::redact))
        .route("/stories/{id}/erase", web::get().to(trust::confirm_erase))
        .route("/stories/{id}/erase", web::post().to(trust::erase))
        .route("/erasures", web::get().to(trust::erasures))
        .route("/admin/audit", web::get().to(trust::audit))
        .route("/admin/audit.csv", web::get().to(trust::audit_csv))
        .route("/media/{id}/{rendition}", web::get().to(media::image))
        .route("/review", web::get().to(review::queue))
        .route("/search", web::get().to(review::search))
        .route("/themes", web::get().to(themes::page))
        .route("/themes", web::post().to(themes::create))
        .route("/themes/rename", web::post().to(themes::rename))
        .route("/themes/merge", web::post().to(themes::merge))
        .route("/themes/retire", web::post().to(themes::retire))
        .route("/overview", web::get().to(overview::page))
        .route("/packs", web::get().to(packs::list))
        .route("/packs", web::post().to(packs::create))
        .route("/packs/evidence", web::post().to(packs::add_evidence))
        .route("/packs/{id}", web::get().to(packs::page))
        .route("/packs/{id}/details", web::post().to(packs::details))
        .route("/packs/{id}/publish", web::post().to(packs::publish))
        .route("/packs/{id}/findings", web::post().to(packs::add_finding))
        .route("/packs/{id}/findings/{finding}", web::post().to(packs::update_finding))
        .route("/packs/{id}/findings/{finding}/move", web::post().to(packs::move_finding))
        .route("/packs/{id}/findings/{finding}/remove", web::post().to(packs::remove_finding))
        .route("/packs/{id}/findings/{finding}/evidence/move", web::post().to(packs::move_evidence))
        .route("/packs/{id}/findings/{finding}/evidence/remove", web::post().to(packs::remove_evidence))
        .route("/packs/{id}/export/{format}", web::get().to(packs::export))
        .route("/admin/users", web::get().to(admin::page))
        .route("/admin/users", web::post().to(admin::create))
        .route("/admin/users/{name}/roles", web::post().to(admin::roles))
        .route("/admin/users/{name}/disable", web::post().to(admin::disable))
        .route("/admin/users/{name}/enable", web::post().to(admin::enable));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok")
}

const APP_CSS: &str = include_str!("../../../../web/static/app.css");
const APP_JS: &str = include_str!("../../../../web/static/app.js");

async fn static_file(file: web::Path<String>) -> Result<HttpResponse, PageError> {
    let (body, content_type) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        _ => return Err(PageError::NotFound),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body))
}

/// The start page sends each person to the page of their main role.
async fn home(user: LoggedIn) -> HttpResponse {
    let user = &user.0.user;
    let target = if user.has(Role::Curator) {
        "/review"
    } else if user.has(Role::Reporter) {
        "/my/stories"
    } else if user.has(Role::Commissioner) {
        "/packs"
    } else if user.has(Role::Admin) {
        "/admin/users"
    } else {
        "/login"
    };
    see_other(target)
}

/// A 303 redirect (after a form post: the browser then GETs the page).
pub fn see_other(target: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, target.to_owned())).finish()
}

/// The message shown after a change, by the code a redirect carries in `?done=`.
pub fn flash(code: Option<&str>) -> Option<String> {
    let message = match code? {
        "submitted" => "Thank you: the story was submitted. A curator will review it.",
        "tag-added" => "Tag added.",
        "tag-removed" => "Tag removed.",
        "theme-added" => "Theme added.",
        "theme-removed" => "Theme removed.",
        "suggested" => "Your theme suggestions were saved.",
        "notes" => "Notes saved.",
        "quote" => "Quote marked.",
        "quote-removed" => "Quote removed.",
        "status" => "Status changed.",
        "withdrawn" => "The story was withdrawn: nobody can see it any more.",
        "redacted" => "Redacted: the story's text now carries the replacements everywhere it is shown.",
        "erased" => {
            "The story was erased: its content is gone from the archive, its search index and its media."
        }
        "consent" => "Consent saved.",
        "alt-text" => "Alt text saved.",
        "details" => "Details saved.",
        "theme-created" => "Theme added to the taxonomy.",
        "theme-renamed" => "Theme renamed; its stories moved with it.",
        "theme-merged" => "Themes merged; their stories now carry the theme merged into.",
        "theme-retired" => "Theme retired.",
        "theme-restored" => "Theme restored.",
        "pack-created" => "Pack started. Add findings, then add quotes and stories to them.",
        "pack-details" => "Pack details saved.",
        "pack-published" => "Published: commissioners now see this version.",
        "finding-added" => "Finding added.",
        "finding-saved" => "Finding saved.",
        "finding-removed" => "Finding removed.",
        "moved" => "Moved.",
        "evidence-added" => "Added to the pack.",
        "evidence-removed" => "Evidence removed from the finding.",
        "roles" => "Roles saved.",
        "disabled" => "Account disabled; its sessions have ended.",
        "enabled" => "Account enabled.",
        _ => return None,
    };
    Some(message.to_owned())
}

/// The `?done=` parameter of a page.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

/// Runs an archive call off the async workers (SQLite and tantivy block).
pub async fn blocking<T, F>(state: &web::Data<AppState>, work: F) -> Result<T, PageError>
where
    T: Send + 'static,
    F: FnOnce(&Archive) -> Result<T, ArchiveError> + Send + 'static,
{
    let archive = std::sync::Arc::clone(&state.archive);
    web::block(move || work(&archive)).await?.map_err(PageError::from)
}

/// Reads a story id from the path; a malformed one is simply not found.
pub fn story_id(raw: &str) -> Result<StoryId, PageError> {
    StoryId::parse(raw).map_err(|_| PageError::NotFound)
}

/// The chrome of a page for this session.
pub fn chrome(
    state: &AppState,
    session: &Session,
    title: &str,
    req: &HttpRequest,
    done: Option<&str>,
) -> Chrome {
    Chrome::for_session(&state.name, session, title, req.path(), flash(done))
}

/// A page with status 200.
pub fn ok(template: &impl askama::Template) -> Result<HttpResponse, PageError> {
    crate::views::page(StatusCode::OK, template)
}
