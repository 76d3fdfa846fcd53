//! Logging in and out.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use storybank_archive::{SESSION_HOURS, random_token};

use super::see_other;
use crate::AppState;
use crate::auth::{self, LOGIN_CSRF_COOKIE, LoggedIn, MaybeLoggedIn, SESSION_COOKIE};
use crate::error::PageError;
use crate::forms::CsrfForm;
use crate::views::{Chrome, LoginPage};

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path on this site is a place to go back to after logging in.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        // A path on this site only: not `//host` or `/\\host`, and no control characters (a
        // browser drops a tab from `/\t/host`, which would make it `//host`).
        Some(next)
            if next.starts_with('/')
                && !matches!(next.as_bytes().get(1), Some(b'/' | b'\\'))
                && !next.bytes().any(|b| b < 0x20 || b == 0x7f || b == b'\\') =>
        {
            next.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    next: String,
    username: String,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let csrf = random_token().map_err(PageError::from)?;
    let page = LoginPage { page: Chrome::bare("Log in"), csrf: csrf.clone(), next, username, error };
    let mut response = crate::views::page(status, &page)?;
    response.add_cookie(&auth::cookie(state, LOGIN_CSRF_COOKIE, csrf, 3600)).map_err(PageError::internal)?;
    Ok(response)
}

pub async fn form(
    state: web::Data<AppState>,
    who: MaybeLoggedIn,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(query.next.as_deref());
    if who.0.is_some() {
        return Ok(see_other(&next));
    }
    login_page(&state, StatusCode::OK, next, String::new(), None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm").field("username", &self.username).finish_non_exhaustive()
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let LoginForm { csrf, username, password, next } = form.into_inner();
    let expected = req.cookie(LOGIN_CSRF_COOKIE).map(|cookie| cookie.value().to_owned()).unwrap_or_default();
    if expected.is_empty() || !auth::same(&csrf, &expected) {
        return Err(PageError::Forbidden(
            "the log-in form has expired or did not come from Storybank; open the log-in page again".into(),
        ));
    }
    let address = req.peer_addr().map(|addr| addr.ip().to_string()).unwrap_or_default();
    if let Err(wait) = state.limiter.check(&username, &address) {
        tracing::warn!(address, "log-in refused: too many failures");
        return Err(PageError::TooMany(wait.as_secs().max(1)));
    }
    // Counted as a failure before the (slow) check, so parallel guesses cannot slip past the limit.
    state.limiter.failed(&username, &address);
    let accounts = state.accounts.clone();
    let name = username.clone();
    let started = web::block(move || accounts.log_in(&name, &password)).await?.map_err(PageError::from)?;
    let next = safe_next(Some(&next));
    let Some(started) = started else {
        tracing::info!(address, "log-in failed");
        return login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            next,
            username,
            Some("That user name and password do not match an account. Check them and try again.".into()),
        );
    };
    state.limiter.succeeded(&username, &address);
    tracing::info!(user = %started.session.user.name, "logged in");
    let mut response = see_other(&next);
    response
        .add_cookie(&auth::cookie(&state, SESSION_COOKIE, started.token, SESSION_HOURS * 3600))
        .map_err(PageError::internal)?;
    response.add_removal_cookie(&auth::removal(&state, LOGIN_CSRF_COOKIE)).map_err(PageError::internal)?;
    Ok(response)
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    if let Some(token) = req.cookie(SESSION_COOKIE).map(|cookie| cookie.value().to_owned()) {
        let accounts = state.accounts.clone();
        web::block(move || accounts.log_out(&token)).await?.map_err(PageError::from)?;
    }
    tracing::info!(user = %user.0.user.name, "logged out");
    let mut response = see_other("/login");
    response.add_removal_cookie(&auth::removal(&state, SESSION_COOKIE)).map_err(PageError::internal)?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_places_to_return_to() {
        for (next, expected) in [
            (Some("/review?queue=new"), "/review?queue=new"),
            (Some("/stories/abc"), "/stories/abc"),
            (None, "/"),
            (Some("https://evil.example/"), "/"),
            (Some("//evil.example/"), "/"),
            (Some("/\\evil.example/"), "/"),
            (Some("/\t/evil.example/"), "/"),
            (Some("/\n"), "/"),
            (Some("review"), "/"),
        ] {
            assert_eq!(safe_next(next), expected, "{next:?}");
        }
    }
}
