//! Who is asking: the session cookie, the logged-in extractor, role checks and CSRF tokens.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use storybank_archive::Session;
use storybank_domain::Role;

use crate::AppState;
use crate::error::PageError;

/// The session cookie: an opaque random token; the session itself lives in the store.
pub const SESSION_COOKIE: &str = "sb_session";
/// The log-in form's anti-forgery cookie (there is no session yet to hold its token).
pub const LOGIN_CSRF_COOKIE: &str = "sb_login";

/// A cookie as Storybank sets them: `HttpOnly`, `SameSite=Strict`, path `/`, `Secure` over TLS.
pub fn cookie(state: &AppState, name: &'static str, value: String, max_age_seconds: i64) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.secure_cookies)
        .max_age(CookieDuration::seconds(max_age_seconds))
        .finish()
}

/// A cookie that removes `name`.
pub fn removal(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut gone = cookie(state, name, String::new(), 0);
    gone.make_removal();
    gone
}

/// The session of the request, if its cookie names a live one.
#[derive(Debug)]
pub struct MaybeLoggedIn(pub Option<Session>);

impl FromRequest for MaybeLoggedIn {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(SESSION_COOKIE).map(|cookie| cookie.value().to_owned());
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else {
                return Ok(MaybeLoggedIn(None));
            };
            let accounts = state.accounts.clone();
            let session = web::block(move || accounts.session(&token))
                .await
                .map_err(PageError::internal)?
                .map_err(PageError::from)?;
            Ok(MaybeLoggedIn(session))
        })
    }
}

/// A request from a logged-in person. Without a session, a page asks them to log in (a
/// redirect to `/login`); a form post is refused.
#[derive(Debug)]
pub struct LoggedIn(pub Session);

impl FromRequest for LoggedIn {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let maybe = MaybeLoggedIn::from_request(req, payload);
        let reading =
            req.method() == actix_web::http::Method::GET || req.method() == actix_web::http::Method::HEAD;
        let path = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
        Box::pin(async move {
            match maybe.await?.0 {
                Some(session) => Ok(LoggedIn(session)),
                None if reading => Err(PageError::LogIn { next: path }.into()),
                None => Err(PageError::Forbidden("your session has ended; log in again".into()).into()),
            }
        })
    }
}

impl LoggedIn {
    /// Refuses (403) unless the person holds `role`.
    pub fn require(&self, role: Role) -> Result<(), PageError> {
        if self.0.user.has(role) {
            Ok(())
        } else {
            Err(PageError::Forbidden(format!("this page is for people with the {role} role")))
        }
    }

    /// Refuses (403) unless the person holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), PageError> {
        if roles.iter().any(|role| self.0.user.has(*role)) {
            Ok(())
        } else {
            Err(PageError::Forbidden("you do not have a role that may see this page".into()))
        }
    }

    /// Refuses (403) a form whose anti-forgery token is not this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), PageError> {
        if same(token, &self.0.csrf) {
            Ok(())
        } else {
            Err(PageError::Forbidden(
                "the form has expired or did not come from Storybank; reload the page and try again".into(),
            ))
        }
    }
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
