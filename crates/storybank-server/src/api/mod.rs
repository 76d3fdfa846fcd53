//! The JSON API under `/api/v1`: stories, search, themes, quotes and packs, for programs.
//!
//! Callers send `Authorization: Bearer TOKEN` (made with `storybank token create USER`); a token
//! carries its user's roles, and every endpoint applies the same use cases, role and object checks
//! as the pages (a story a caller may not see is 404). Errors are `{"error": {"code", "message"}}`
//! with the matching status. The OpenAPI 3.1 document is generated from the handlers and types
//! (utoipa) and served at `/api/v1/openapi.json`; `/api/v1` lists the endpoints.

mod dto;
mod handlers;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use storybank_archive::{Archive, ArchiveError, ErrorKind};
use storybank_domain::User;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::AppState;
use crate::error::PageError;
pub use dto::ErrorBody;

/// An API failure, answered as JSON.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a live API token as `Authorization: Bearer TOKEN` (make one with `storybank token create USER`)",
        )
    }

    pub fn invalid(message: impl ToString) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message.to_string())
    }
}

impl From<ArchiveError> for ApiError {
    fn from(err: ArchiveError) -> Self {
        match err.kind() {
            ErrorKind::Invalid => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", err.to_string()),
            ErrorKind::NotFound => Self::new(StatusCode::NOT_FOUND, "not_found", err.to_string()),
            ErrorKind::Conflict => Self::new(StatusCode::CONFLICT, "conflict", err.to_string()),
            ErrorKind::Forbidden => Self::new(StatusCode::FORBIDDEN, "forbidden", err.to_string()),
            ErrorKind::Internal => {
                tracing::error!(error = %err, "internal error in the API");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; try again",
                )
            }
        }
    }
}

impl From<PageError> for ApiError {
    fn from(err: PageError) -> Self {
        match err {
            PageError::BadRequest(message) => Self::new(StatusCode::BAD_REQUEST, "bad_request", message),
            PageError::Invalid(message) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message),
            PageError::NotFound => Self::new(StatusCode::NOT_FOUND, "not_found", "there is nothing here"),
            PageError::Forbidden(message) => Self::new(StatusCode::FORBIDDEN, "forbidden", message),
            PageError::Conflict(message) => Self::new(StatusCode::CONFLICT, "conflict", message),
            PageError::LogIn { .. } => Self::unauthorized(),
            PageError::TooMany(seconds) => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many", format!("wait {seconds} seconds"))
            }
            PageError::Internal => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on our side; try again",
            ),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        tracing::error!(error = %err, "a blocking task failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; try again",
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"storybank\""));
        }
        response.insert_header((header::CACHE_CONTROL, "no-store")).json(ErrorBody {
            error: dto::ErrorDetail { code: self.code.to_owned(), message: self.message.clone() },
        })
    }
}

/// The caller of an API request, from its bearer token.
#[derive(Debug)]
pub struct ApiUser(pub User);

impl FromRequest for ApiUser {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim().to_owned());
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else {
                return Err(ApiError::unauthorized().into());
            };
            let accounts = state.accounts.clone();
            let user = web::block(move || accounts.token_user(&token))
                .await
                .map_err(ApiError::from)?
                .map_err(ApiError::from)?;
            user.map(ApiUser).ok_or_else(|| ApiError::unauthorized().into())
        })
    }
}

/// Runs an archive call off the async workers.
pub async fn blocking<T, F>(state: &web::Data<AppState>, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Archive) -> Result<T, ApiError> + Send + 'static,
{
    let archive = std::sync::Arc::clone(&state.archive);
    web::block(move || work(&archive)).await?
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document, generated from the handlers and the types they read and write.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Storybank API",
        description = "Stories, search, themes, quotes and insight packs of a Storybank archive. \
            Every answer shows only what the caller's roles and the storytellers' consent allow."
    ),
    paths(
        handlers::search,
        handlers::create_story,
        handlers::get_story,
        handlers::patch_story,
        handlers::add_tag,
        handlers::remove_tag,
        handlers::add_theme,
        handlers::remove_theme,
        handlers::withdraw,
        handlers::list_quotes,
        handlers::add_quote,
        handlers::list_themes,
        handlers::list_packs,
        handlers::get_pack,
        handlers::create_pack,
        handlers::add_finding,
        handlers::add_evidence,
        handlers::publish_pack,
        handlers::export_pack,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "stories", description = "Create, read and curate stories"),
        (name = "search", description = "Search the stories the caller may see"),
        (name = "themes", description = "The theme taxonomy"),
        (name = "packs", description = "Insight packs"),
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// `GET /api/v1`: a page listing the endpoints, from the OpenAPI document.
async fn index(state: web::Data<AppState>) -> HttpResponse {
    let doc = ApiDoc::openapi();
    let escape = storybank_export::markdown::escape;
    let mut rows = String::new();
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                let summary = operation.summary.clone().unwrap_or_default();
                rows.push_str(&format!(
                    "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td></tr>\n",
                    escape(path),
                    escape(&summary)
                ));
            }
        }
    }
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>API · {name}</title>\
         <link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main id=\"main\">\
         <h1>{name} API, version 1</h1><p>Send <code>Authorization: Bearer TOKEN</code> with every \
         request; an admin makes tokens with <code>storybank token create USER</code>. Errors are \
         <code>{{\"error\": {{\"code\", \"message\"}}}}</code>. The full description is the \
         <a href=\"/api/v1/openapi.json\">OpenAPI document</a>.</p>\
         <table class=\"list\"><caption>Endpoints</caption><thead><tr><th scope=\"col\">Method</th>\
         <th scope=\"col\">Path</th><th scope=\"col\">What it does</th></tr></thead><tbody>\n{rows}</tbody></table>\
         </main></body></html>",
        name = escape(&state.name)
    );
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body)
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is no such endpoint: see /api/v1"))
}

/// The largest `POST /stories` body: the largest photo ingestion accepts (40 MiB), in base64
/// (4/3 of it), with room for the manifest.
pub const STORY_BODY_LIMIT: usize = 40 * 1024 * 1024 / 3 * 4 + 1024 * 1024;

fn json_error(err: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the body is larger than the archive accepts (a photo may be at most 40 MiB)",
        )
        .into(),
        other => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", other.to_string()).into(),
    }
}

/// The API's routes, under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // Small bodies everywhere but story creation, which carries a photo in base64.
    let json = web::JsonConfig::default().limit(64 * 1024).error_handler(json_error);
    let story_json = web::JsonConfig::default().limit(STORY_BODY_LIMIT).error_handler(json_error);
    let path = web::PathConfig::default()
        .error_handler(|err, _| ApiError::new(StatusCode::NOT_FOUND, "not_found", err.to_string()).into());
    let query = web::QueryConfig::default().error_handler(|err, _| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", err.to_string()).into()
    });
    cfg.service(
        web::scope("/api/v1")
            .app_data(json)
            .app_data(path)
            .app_data(query)
            .route("", web::get().to(index))
            .route("/openapi.json", web::get().to(openapi))
            .route("/search", web::get().to(handlers::search))
            .service(
                web::resource("/stories").app_data(story_json).route(web::post().to(handlers::create_story)),
            )
            .route("/stories/{id}", web::get().to(handlers::get_story))
            .route("/stories/{id}", web::patch().to(handlers::patch_story))
            .route("/stories/{id}/tags", web::post().to(handlers::add_tag))
            .route("/stories/{id}/tags/{tag}", web::delete().to(handlers::remove_tag))
            .route("/stories/{id}/themes", web::post().to(handlers::add_theme))
            .route("/stories/{id}/themes/{theme:.+}", web::delete().to(handlers::remove_theme))
            .route("/stories/{id}/withdraw", web::post().to(handlers::withdraw))
            .route("/stories/{id}/quotes", web::get().to(handlers::list_quotes))
            .route("/stories/{id}/quotes", web::post().to(handlers::add_quote))
            .route("/themes", web::get().to(handlers::list_themes))
            .route("/packs", web::get().to(handlers::list_packs))
            .route("/packs", web::post().to(handlers::create_pack))
            .route("/packs/{id}", web::get().to(handlers::get_pack))
            .route("/packs/{id}/findings", web::post().to(handlers::add_finding))
            .route("/packs/{id}/findings/{finding}/evidence", web::post().to(handlers::add_evidence))
            .route("/packs/{id}/publish", web::post().to(handlers::publish_pack))
            .route("/packs/{id}/export/{format}", web::get().to(handlers::export_pack))
            .default_service(web::to(not_found)),
    );
}
