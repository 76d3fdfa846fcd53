//! Erasure and the audit trail: the erase confirmation and its action (curators), the
//! list of erasures with where each story had gone, and the audit trail with its CSV (admins).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use storybank_archive::AuditFilter;
use storybank_domain::{AuditAction, ErasedFromPack, Erasure, Role, Status};

use super::{blocking, chrome, ok, see_other, story_id};
use crate::AppState;
use crate::auth::LoggedIn;
use crate::error::PageError;
use crate::views::Chrome;

const ERASERS: &[Role] = &[Role::Curator];
/// Entries per page of the audit trail.
const AUDIT_PAGE: usize = 100;

/// One pack an erased (or to-be-erased) story was in, as lines to show.
struct PackLines {
    pack: String,
    in_draft: bool,
    versions: Vec<String>,
    exports: Vec<String>,
}

fn pack_lines(packs: &[ErasedFromPack]) -> Vec<PackLines> {
    packs
        .iter()
        .map(|pack| PackLines {
            pack: pack.pack.to_string(),
            in_draft: pack.in_draft,
            versions: pack
                .versions
                .iter()
                .map(|v| {
                    format!(
                        "version {} for {}, published {}",
                        v.version,
                        v.audience,
                        v.published_at.format("%Y-%m-%d")
                    )
                })
                .collect(),
            exports: pack
                .exports
                .iter()
                .map(|e| {
                    format!(
                        "{} by {} on {}",
                        e.detail,
                        e.by.as_deref().unwrap_or("the command line"),
                        e.at.format("%Y-%m-%d %H:%M")
                    )
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "erase.html")]
struct ErasePage {
    page: Chrome,
    csrf: String,
    id: String,
    title: String,
    withdrawn: bool,
    packs: Vec<PackLines>,
}

pub async fn confirm_erase(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    user.require_any(ERASERS)?;
    let story = story_id(&id)?;
    let who = user.0.user.clone();
    let (found, packs) = blocking(&state, move |archive| archive.erasure_preview(Some(&who), story)).await?;
    ok(&ErasePage {
        page: chrome(&state, &user.0, "Erase a story", &req, None),
        csrf: user.0.csrf.clone(),
        id: story.to_string(),
        title: found.details.title.to_string(),
        withdrawn: found.status == Status::Withdrawn,
        packs: pack_lines(&packs),
    })
}

#[derive(Debug, Deserialize)]
pub struct EraseForm {
    csrf: String,
    #[serde(default)]
    confirm: String,
}

pub async fn erase(
    state: web::Data<AppState>,
    user: LoggedIn,
    id: web::Path<String>,
    form: web::Form<EraseForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    user.require_any(ERASERS)?;
    let story = story_id(&id)?;
    if form.confirm != "erase" {
        return Err(PageError::Invalid(
            "tick the box that confirms the storyteller asked for their story to be erased".into(),
        ));
    }
    let who = user.0.user.clone();
    blocking(&state, move |archive| archive.erase(Some(&who), story)).await?;
    Ok(see_other(&format!("/erasures?done=erased#erasure-{story}")))
}

struct ErasureLine {
    id: String,
    at: String,
    by: String,
    gone_beyond_curators: usize,
    packs: Vec<PackLines>,
}

fn erasure_line(erasure: &Erasure) -> ErasureLine {
    ErasureLine {
        id: erasure.story.to_string(),
        at: erasure.erased_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        by: erasure.erased_by.clone().unwrap_or_else(|| "the command line".into()),
        gone_beyond_curators: erasure.reached_beyond_curators().count(),
        packs: pack_lines(&erasure.packs),
    }
}

#[derive(Template)]
#[template(path = "erasures.html")]
struct ErasuresPage {
    page: Chrome,
    erasures: Vec<ErasureLine>,
    /// Withdrawn stories, which can be erased from here: (id, title).
    withdrawn: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn erasures(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    user.require_any(ERASERS)?;
    let (erasures, summaries) =
        blocking(&state, |archive| Ok((archive.erasures()?, archive.story_summaries()?))).await?;
    ok(&ErasuresPage {
        page: chrome(&state, &user.0, "Erasures", &req, query.done.as_deref()),
        erasures: erasures.iter().map(erasure_line).collect(),
        withdrawn: summaries
            .into_iter()
            .filter(|s| s.status == Status::Withdrawn)
            .map(|s| (s.id.to_string(), s.title.to_string()))
            .collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    before: Option<i64>,
}

impl AuditQuery {
    /// The filter, or what is wrong with the query.
    fn filter(&self, limit: usize) -> Result<AuditFilter, String> {
        let day = |raw: &str, what: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
            let raw = raw.trim();
            if raw.is_empty() {
                return Ok(None);
            }
            raw.parse::<chrono::NaiveDate>()
                .map(|day| day.and_hms_opt(0, 0, 0).map(|time| time.and_utc()))
                .map_err(|_| format!("{what} {raw:?} is not a date: use YYYY-MM-DD"))
        };
        let text = |raw: &str| Some(raw.trim().to_owned()).filter(|value| !value.is_empty());
        Ok(AuditFilter {
            action: text(&self.action)
                .map(|code| AuditAction::parse(&code))
                .transpose()
                .map_err(|e| e.to_string())?,
            actor: text(&self.user),
            object: text(&self.object),
            since: day(&self.since, "from")?,
            // Up to the end of the day given.
            until: day(&self.until, "to")?
                .map(|time| {
                    time.checked_add_signed(chrono::Duration::days(1))
                        .ok_or_else(|| format!("to {:?} is too far in the future", self.until.trim()))
                })
                .transpose()?,
            before_seq: self.before,
            limit,
        })
    }

    /// The query string of this filter (without paging), for links.
    fn query_string(&self) -> String {
        let pairs = [
            ("action", &self.action),
            ("user", &self.user),
            ("object", &self.object),
            ("since", &self.since),
            ("until", &self.until),
        ];
        let kept: Vec<(&str, &str)> = pairs
            .into_iter()
            .map(|(key, value)| (key, value.trim()))
            .filter(|(_, value)| !value.is_empty())
            .collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }
}

struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: &'static str,
    object: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: Chrome,
    error: Option<String>,
    actions: Vec<(&'static str, &'static str, bool)>,
    user: String,
    object: String,
    since: String,
    until: String,
    rows: Vec<AuditRow>,
    csv_href: String,
    older_href: Option<String>,
}

pub async fn audit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, PageError> {
    user.require(Role::Admin)?;
    let query = query.into_inner();
    let (filter, error) = match query.filter(AUDIT_PAGE + 1) {
        Ok(filter) => (Some(filter), None),
        Err(message) => (None, Some(message)),
    };
    let who = user.0.user.clone();
    let mut entries = match filter {
        Some(filter) => blocking(&state, move |archive| archive.audit_trail(Some(&who), &filter)).await?,
        None => Vec::new(),
    };
    let more = entries.len() > AUDIT_PAGE;
    entries.truncate(AUDIT_PAGE);
    let filters = query.query_string();
    let older_href = more.then(|| {
        let last = entries.last().map_or(0, |entry| entry.seq);
        if filters.is_empty() {
            format!("/admin/audit?before={last}")
        } else {
            format!("/admin/audit?{filters}&before={last}")
        }
    });
    let page = AuditPage {
        page: chrome(&state, &user.0, "Audit trail", &req, None),
        error,
        actions: AuditAction::ALL
            .iter()
            .map(|action| (action.as_str(), action.label(), action.as_str() == query.action.trim()))
            .collect(),
        user: query.user.clone(),
        object: query.object.clone(),
        since: query.since.clone(),
        until: query.until.clone(),
        rows: entries
            .into_iter()
            .map(|entry| AuditRow {
                seq: entry.seq,
                at: entry.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                actor: storybank_domain::AuditEvent::actor_label(entry.action, entry.actor.as_deref()),
                action: entry.action.label(),
                object: entry.object.unwrap_or_default(),
                detail: entry.detail,
            })
            .collect(),
        csv_href: if filters.is_empty() {
            "/admin/audit.csv".into()
        } else {
            format!("/admin/audit.csv?{filters}")
        },
        older_href,
    };
    if page.error.is_some() {
        return crate::views::page(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    ok(&page)
}

pub async fn audit_csv(
    state: web::Data<AppState>,
    user: LoggedIn,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, PageError> {
    user.require(Role::Admin)?;
    let filter = query.filter(storybank_archive::MAX_AUDIT_ENTRIES).map_err(PageError::Invalid)?;
    let who = user.0.user.clone();
    let entries = blocking(&state, move |archive| archive.audit_trail(Some(&who), &filter)).await?;
    let bytes = storybank_export::audit_csv(&entries).map_err(PageError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"storybank-audit.csv\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_queries_become_filters_or_clear_errors() {
        let query = |action: &str, since: &str| AuditQuery {
            action: action.into(),
            since: since.into(),
            user: " cara ".into(),
            ..AuditQuery::default()
        };
        let filter = query("erased", "2026-01-02").filter(10).unwrap();
        assert_eq!(filter.action, Some(AuditAction::Erased));
        assert_eq!(filter.actor.as_deref(), Some("cara"));
        assert_eq!(filter.since.unwrap().to_rfc3339(), "2026-01-02T00:00:00+00:00");
        assert!(query("drop", "").filter(10).unwrap_err().contains("audit action"));
        assert!(query("", "yesterday").filter(10).unwrap_err().contains("YYYY-MM-DD"));
        let far = AuditQuery { until: "+262142-12-31".into(), ..AuditQuery::default() };
        assert!(far.filter(10).unwrap_err().contains("too far"));
        assert_eq!(query("log_in", "").query_string(), "action=log_in&user=cara");
    }
}
