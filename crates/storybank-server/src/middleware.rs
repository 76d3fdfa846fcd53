//! What wraps every request: security headers, refusing cross-site form posts, and request logs
//! that never contain story text, passwords, tokens or query strings.

use std::time::Instant;

use actix_web::ResponseError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{DefaultHeaders, Next};

use crate::error::PageError;

/// The Content-Security-Policy: only our own scripts, styles, images and forms; no framing, no
/// plugins, no inline script.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; form-action 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Headers on every response.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"))
}

/// Refuses (403) a state-changing request that the browser says came from another site, or whose
/// `Origin` is not this server. The CSRF token in every form is the main defence; this is a
/// second one that needs no state.
pub async fn cross_site_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // The API authenticates with bearer tokens, which a foreign page cannot send on a
    // visitor's behalf; only cookie-authenticated forms need this guard.
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && !req.path().starts_with("/api/")
    {
        let headers = req.headers();
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let cross_site = matches!(fetch_site, Some("cross-site" | "same-site"));
        let origin = headers.get("origin").and_then(|v| v.to_str().ok());
        let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let foreign_origin = origin.is_some_and(|origin| {
            origin != "null" && origin.split_once("://").is_none_or(|(_, authority)| authority != host)
        }) || origin == Some("null");
        if cross_site || foreign_origin {
            tracing::warn!(path = req.path(), "refused a cross-site form post");
            let refusal = PageError::Forbidden(
                "this form was sent from another site; open Storybank and send it from there".into(),
            );
            return Ok(req.into_response(refusal.error_response()).map_into_right_body());
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

/// Logs each request: method, path (without the query), status and time taken.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let response = next.call(req).await?;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(%method, path, status, elapsed_ms, "request");
    } else {
        tracing::info!(%method, path, status, elapsed_ms, "request");
    }
    Ok(response)
}
