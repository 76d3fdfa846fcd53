//! Storybank's web app: the only crate that knows HTTP.
//!
//! Server-rendered pages (askama templates in `web/templates`, checked at compile time and
//! HTML-escaped by default) that work without JavaScript; `web/static/app.js` only improves them.
//! Every route checks the person's role, and the archive checks the story (a reporter sees only
//! their own submissions). Sessions are server-side (in the store), in an `HttpOnly`,
//! `SameSite=Strict` cookie; every state-changing form carries a CSRF token; log-in failures are
//! rate-limited; every response carries strict security headers.
//!
//! [`build_app`] makes the application (tests drive it in-process); [`serve`] runs it.

mod api;
mod auth;
mod charts;
mod error;
mod forms;
mod limiter;
mod middleware;
mod pages;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer, web};
use storybank_archive::{Accounts, Archive};

pub use crate::limiter::LoginLimiter;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Mark cookies `Secure` (set when served over TLS, e.g. behind a proxy that terminates it).
    pub secure_cookies: bool,
    /// The archive's name, shown in page titles.
    pub name: String,
}

/// What every request handler can reach.
#[derive(Debug)]
pub struct AppState {
    /// The archive.
    pub archive: Arc<Archive>,
    /// Accounts and sessions, over the archive's store.
    pub accounts: Accounts,
    /// Log-in attempt limits.
    pub limiter: LoginLimiter,
    /// Whether cookies are `Secure`.
    pub secure_cookies: bool,
    /// The archive's name.
    pub name: String,
}

impl AppState {
    /// The state for `archive`.
    pub fn new(archive: Arc<Archive>, secure_cookies: bool, name: impl Into<String>) -> Self {
        let accounts = archive.accounts();
        Self { archive, accounts, limiter: LoginLimiter::default(), secure_cookies, name: name.into() }
    }
}

/// Libraries that log the text they handle at debug level or finer (the HTML parser behind the
/// sanitiser logs every run of characters it parses, so story text). They are held at `warn`
/// whatever the operator asks for, so that no log level ever writes story text.
const TALKATIVE: [&str; 4] = ["html5ever", "markup5ever", "ammonia", "pulldown_cmark"];

/// The log filter for `spec` (e.g. `info`, or `STORYBANK_LOG`'s value): as asked for Storybank's
/// own crates, and never finer than `warn` for libraries that would log story text.
pub fn log_filter(spec: &str) -> tracing_subscriber::EnvFilter {
    // Directives naming those libraries (or their modules, which would be more specific than
    // ours and win) are dropped.
    let kept: Vec<&str> = spec
        .split(',')
        .filter(|directive| {
            // Span filters (`[span]=trace`) would reach the libraries inside those spans: dropped.
            if directive.trim().starts_with('[') {
                return false;
            }
            let target = directive.trim().split(['=', '[']).next().unwrap_or("");
            !TALKATIVE
                .iter()
                .any(|talkative| target == *talkative || target.starts_with(&format!("{talkative}::")))
        })
        .collect();
    let mut filter = tracing_subscriber::EnvFilter::try_new(kept.join(","))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    for target in TALKATIVE {
        if let Ok(directive) = format!("{target}=warn").parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// The application: routes, security headers, request logs.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .app_data(forms::form_config())
        .app_data(web::QueryConfig::default().error_handler(|err, _| error::bad_request(err.to_string())))
        .wrap(actix_web::middleware::from_fn(middleware::cross_site_guard))
        .wrap(middleware::security_headers())
        .wrap(actix_web::middleware::from_fn(middleware::request_log))
        .configure(api::routes)
        .configure(pages::routes)
        .default_service(web::to(error::not_found_page))
}

/// How many requests may run at once on threads that may block (every page that reads the store
/// or the index runs on one), shared out among the workers; more wait their turn in a queue.
/// actix's default is 512 in all: each running request holds one or two store readers, so a burst
/// could open hundreds of SQLite connections, each with its file handles, and run out of them.
/// 64 (32 per worker on two cores) keeps both cores busy under the HTTP load run (32
/// connections). The queue is shared by reads, log-ins (Argon2) and writes (which take turns on
/// the one writer): a burst of slow uploads on a worker makes its reads wait behind them.
const BLOCKING_THREADS: usize = 64;

/// Each worker's share of [`BLOCKING_THREADS`], at least 4.
fn blocking_threads_per_worker(workers: usize) -> usize {
    (BLOCKING_THREADS / workers.max(1)).max(4)
}

/// Serves the archive until Ctrl-C or SIGTERM; then finishes requests in flight (up to 30 s) and
/// commits the search index.
pub async fn serve(archive: Arc<Archive>, config: ServerConfig) -> std::io::Result<()> {
    let state = web::Data::new(AppState::new(Arc::clone(&archive), config.secure_cookies, config.name));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    tracing::info!(addr = %config.addr, workers, "serving");
    HttpServer::new(move || build_app(state.clone()))
        .workers(workers)
        .worker_max_blocking_threads(blocking_threads_per_worker(workers))
        .shutdown_timeout(30)
        .bind(config.addr)?
        .run()
        .await?;
    tracing::info!("stopped; committing the search index");
    archive.commit_index().map_err(std::io::Error::other)
}

/// Runs [`serve`] on its own async runtime, blocking until the server stops.
pub fn run(archive: Arc<Archive>, config: ServerConfig) -> std::io::Result<()> {
    actix_web::rt::System::new().block_on(serve(archive, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_threads_are_shared_out_among_workers() {
        // workers -> blocking threads each (and so at most 64 in all, but for many cores)
        for (workers, each) in [(0, 64), (1, 64), (2, 32), (3, 21), (16, 4), (64, 4)] {
            assert_eq!(blocking_threads_per_worker(workers), each, "{workers} workers");
        }
    }

    #[test]
    fn no_log_spec_lets_the_html_parser_log_story_text() {
        for spec in
            ["trace", "html5ever=trace", "storybank=debug,html5ever::tokenizer=trace", "ammonia[x]=debug"]
        {
            let filter = log_filter(spec).to_string();
            assert!(filter.contains("html5ever=warn"), "{spec}: {filter}");
            assert!(!filter.contains("html5ever::"), "{spec}: {filter}");
            assert!(!filter.contains("html5ever=trace"), "{spec}: {filter}");
            assert!(!filter.contains("ammonia[x]"), "{spec}: {filter}");
            assert!(!filter.contains("[span]"), "{spec}: {filter}");
        }
        assert!(log_filter("storybank=debug").to_string().contains("storybank=debug"));
    }
}
