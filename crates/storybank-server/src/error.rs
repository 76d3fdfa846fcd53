//! Errors as people see them: a page that says what was wrong and what to do, with the right
//! status. Internal details are logged, never shown.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use storybank_archive::{ArchiveError, ErrorKind};

use crate::views::{Chrome, ErrorPage, render};

/// What went wrong with a request.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Not logged in on a page that needs it: go to the log-in page, then come back.
    #[error("log in to see this page")]
    LogIn {
        /// Where to come back to.
        next: String,
    },
    /// The request was malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Nothing here (or nothing this person may know about).
    #[error("there is nothing here")]
    NotFound,
    /// Not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Clashes with the current state.
    #[error("{0}")]
    Conflict(String),
    /// Input that cannot be accepted.
    #[error("{0}")]
    Invalid(String),
    /// Too many attempts; try again after this many seconds.
    #[error("too many failed log-ins; wait {0} seconds and try again")]
    TooMany(u64),
    /// Something broke inside (logged).
    #[error(
        "something went wrong on our side; please try again, and tell the archive's admin if it keeps happening"
    )]
    Internal,
}

impl PageError {
    /// Logs `err` and answers 500.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        PageError::Internal
    }
}

impl From<ArchiveError> for PageError {
    fn from(err: ArchiveError) -> Self {
        match err.kind() {
            ErrorKind::Invalid => PageError::Invalid(err.to_string()),
            ErrorKind::NotFound => PageError::NotFound,
            ErrorKind::Conflict => PageError::Conflict(err.to_string()),
            ErrorKind::Forbidden => PageError::Forbidden(err.to_string()),
            ErrorKind::Internal => PageError::internal(err),
        }
    }
}

impl From<actix_web::error::BlockingError> for PageError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        PageError::internal(err)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::LogIn { .. } => StatusCode::SEE_OTHER,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::Conflict(_) => StatusCode::CONFLICT,
            PageError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            PageError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::LogIn { next } = self {
            let target = if next.starts_with('/') && !next.starts_with("//") && next != "/" {
                format!("/login?next={}", crate::forms::url_encode(next))
            } else {
                "/login".to_owned()
            };
            return HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish();
        }
        let status = self.status_code();
        let heading = match self {
            PageError::NotFound => "Not found",
            PageError::Forbidden(_) => "Not allowed",
            PageError::Conflict(_) => "That cannot be done now",
            PageError::Invalid(_) | PageError::BadRequest(_) => "That did not work",
            PageError::TooMany(_) => "Too many attempts",
            PageError::Internal | PageError::LogIn { .. } => "Something went wrong",
        };
        let page = ErrorPage { page: Chrome::bare(heading), message: self.to_string() };
        let mut response =
            HttpResponse::build(status).content_type("text/html; charset=utf-8").body(render(&page));
        if let PageError::TooMany(seconds) = self
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// The answer to a URL that matches no route.
pub async fn not_found_page() -> Result<HttpResponse, PageError> {
    Err(PageError::NotFound)
}

/// A malformed query string or form, as an actix error.
pub fn bad_request(message: String) -> actix_web::Error {
    PageError::BadRequest(format!("the request could not be read: {message}")).into()
}
