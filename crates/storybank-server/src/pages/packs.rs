//! Insight packs: curators build them (from search results, story pages and quotes) and publish
//! them as versions; commissioners read the published versions, follow quotes to their stories
//! and download exports. Everything shown of a story comes from the pack resolved through the
//! consent function for the reader.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use storybank_archive::{Archive, ArchiveError, ErrorKind, PackPage, PackSummary};
use storybank_domain::{
    Audience, Evidence, FindingId, FindingKind, Markdown, Move, PackId, QuoteId, ResolvedEvidence, Role,
    StoryId, Title, User,
};
use storybank_export::{ExportInfo, Format, backing_line, markdown};

use super::{Done, blocking, chrome, see_other};
use crate::AppState;
use crate::auth::LoggedIn;
use crate::error::PageError;
use crate::forms::CsrfForm;
use crate::views::{Choice, Chrome};

const READERS: &[Role] = &[Role::Curator, Role::Commissioner];

fn pack_id(raw: &str) -> Result<PackId, PageError> {
    PackId::parse(raw).map_err(|_| PageError::NotFound)
}

fn finding_id(raw: &str) -> Result<FindingId, PageError> {
    FindingId::parse(raw).map_err(|_| PageError::NotFound)
}

fn invalid(err: impl ToString) -> ArchiveError {
    ArchiveError::new(ErrorKind::Invalid, err.to_string())
}

fn audience_label(audience: Audience) -> &'static str {
    match audience {
        Audience::Public => "The public",
        Audience::Commissioner => "Service commissioners",
        Audience::Curator => "The curation team only",
    }
}

/// The audiences a pack may be for, as choices.
fn audience_choices(selected: Audience) -> Vec<Choice> {
    Choice::list(
        [Audience::Commissioner, Audience::Public, Audience::Curator]
            .map(|a| (a.as_str(), audience_label(a))),
        &[selected.as_str()],
    )
}

fn kind_choices(selected: Option<FindingKind>) -> Vec<Choice> {
    let selected: Vec<&str> = selected.map(FindingKind::as_str).into_iter().collect();
    Choice::list(FindingKind::ALL.iter().map(|kind| (kind.as_str(), kind.as_str())), &selected)
}

// ---------------------------------------------------------------------------------------------
// The list of packs

struct PackLine {
    href: String,
    title: String,
    question: String,
    audience: &'static str,
    findings: usize,
    state: String,
}

#[derive(Template)]
#[template(path = "packs.html")]
struct PacksPage {
    page: Chrome,
    csrf: String,
    curator: bool,
    packs: Vec<PackLine>,
    audiences: Vec<Choice>,
    error: Option<String>,
}

fn pack_state(summary: &PackSummary) -> String {
    match (&summary.latest, summary.changed_since_publication) {
        (None, _) => "Draft, not published".to_owned(),
        (Some(latest), false) => {
            format!("Published: version {} ({})", latest.version, latest.published_at.format("%Y-%m-%d"))
        }
        (Some(latest), true) => format!("Version {} published; the draft has changes since", latest.version),
    }
}

async fn packs_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &LoggedIn,
    status: StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let who = user.0.user.clone();
    let summaries = blocking(state, move |archive| archive.packs_for(&who)).await?;
    let curator = user.0.user.has(Role::Curator);
    let page = PacksPage {
        page: chrome(state, &user.0, "Insight packs", req, done),
        csrf: user.0.csrf.clone(),
        curator,
        packs: summaries
            .iter()
            .map(|summary| PackLine {
                href: format!("/packs/{}", summary.id),
                title: summary.title.to_string(),
                question: summary.question.to_string(),
                audience: audience_label(summary.audience),
                findings: summary.findings,
                state: if curator {
                    pack_state(summary)
                } else {
                    summary.latest.as_ref().map_or_else(String::new, |latest| {
                        format!(
                            "Version {}, published {}",
                            latest.version,
                            latest.published_at.format("%Y-%m-%d")
                        )
                    })
                },
            })
            .collect(),
        audiences: audience_choices(Audience::Commissioner),
        error,
    };
    crate::views::page(status, &page)
}

/// `GET /packs`: curators see every pack and can start one; commissioners see the published
/// packs meant for them.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    user.require_any(READERS)?;
    packs_page(&req, &state, &user, StatusCode::OK, done.done.as_deref(), None).await
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    audience: String,
}

/// `POST /packs`: starts a pack.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    user.require(Role::Curator)?;
    let CreateForm { title, question, audience, .. } = form.into_inner();
    let who = user.0.user.clone();
    let created = blocking(&state, move |archive| {
        let title = Title::parse(&title).map_err(invalid)?;
        let question = Title::parse(&question)
            .map_err(|err| invalid(err.to_string().replacen("title", "question", 1)))?;
        let audience = Audience::parse(&audience).map_err(invalid)?;
        archive.create_pack(&who, title, question, audience)
    })
    .await;
    match created {
        Ok(id) => Ok(see_other(&format!("/packs/{id}?done=pack-created"))),
        Err(PageError::Invalid(message)) => {
            packs_page(&req, &state, &user, StatusCode::UNPROCESSABLE_ENTITY, None, Some(message)).await
        }
        Err(other) => Err(other),
    }
}

// ---------------------------------------------------------------------------------------------
// One pack

struct EvidenceLine {
    shown: bool,
    quote: Option<String>,
    excerpt: String,
    story_href: String,
    story_title: String,
    attribution: String,
    /// For curators: why the pack's audience will not see it.
    lost: Option<&'static str>,
    note: &'static str,
    /// The form values that name this evidence (`story`, `quote`).
    story: String,
    quote_id: String,
}

struct FindingView {
    id: String,
    number: usize,
    kind: &'static str,
    statement: String,
    explanation: String,
    explanation_html: Option<String>,
    backing: String,
    lost: usize,
    evidence: Vec<EvidenceLine>,
    kinds: Vec<Choice>,
}

struct VersionLink {
    href: String,
    label: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "pack.html")]
struct PackTemplate {
    page: Chrome,
    csrf: String,
    id: String,
    /// Curators on the working copy: every edit form is shown.
    editing: bool,
    curator: bool,
    title: String,
    question: String,
    audience: &'static str,
    summary: String,
    summary_html: Option<String>,
    backing: String,
    state: String,
    findings: Vec<FindingView>,
    versions: Vec<VersionLink>,
    exports: Vec<(String, &'static str)>,
    audiences: Vec<Choice>,
    kinds: Vec<Choice>,
    lost_total: usize,
    error: Option<String>,
}

fn attribution(story: &storybank_domain::EvidenceStory, curator: bool) -> String {
    let mut parts =
        vec![story.disclosed.storyteller.clone().unwrap_or_else(|| "Anonymous storyteller".to_owned())];
    parts.extend(story.disclosed.place.clone());
    parts.extend(story.recorded_on.map(|day| day.to_string()));
    if curator && let Some(reporter) = &story.disclosed.reporter {
        parts.push(format!("gathered by {reporter}"));
    }
    parts.join(", ")
}

fn excerpt(text: &str) -> String {
    const MAX: usize = 400;
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX).collect();
    format!("{}…", cut.trim_end())
}

fn evidence_line(item: &ResolvedEvidence, curator: bool) -> EvidenceLine {
    let names = |evidence: &Evidence| match *evidence {
        Evidence::Quote { story, quote } => (story.to_string(), quote.to_string()),
        Evidence::Story { story } => (story.to_string(), String::new()),
    };
    match item {
        ResolvedEvidence::Shown { evidence, story, quote, lost_for_audience } => {
            let (story_value, quote_id) = names(evidence);
            EvidenceLine {
                shown: true,
                quote: quote.clone(),
                excerpt: if quote.is_none() { excerpt(&story.text) } else { String::new() },
                story_href: format!("/stories/{}", story.id),
                story_title: story.title.to_string(),
                attribution: attribution(story, curator),
                lost: lost_for_audience.map(|reason| reason.for_curators()),
                note: "",
                story: story_value,
                quote_id,
            }
        }
        ResolvedEvidence::Unavailable { evidence, reason } => {
            let (story_value, quote_id) = names(evidence);
            EvidenceLine {
                shown: false,
                quote: None,
                excerpt: String::new(),
                story_href: String::new(),
                story_title: String::new(),
                attribution: String::new(),
                lost: None,
                note: if curator { reason.for_curators() } else { reason.for_readers() },
                story: story_value,
                quote_id,
            }
        }
    }
}

fn pack_template(
    state: &AppState,
    user: &LoggedIn,
    req: &HttpRequest,
    view: PackPage,
    done: Option<&str>,
    error: Option<String>,
) -> PackTemplate {
    let curator = user.0.user.has(Role::Curator);
    let editing = curator && view.version.is_none();
    let pack = &view.pack;
    let id = view.id.to_string();
    let state_line = match (view.version, view.versions.last()) {
        (None, None) => "Draft: not published yet.".to_owned(),
        (None, Some(latest)) if view.changed_since_publication => {
            format!("Draft with changes since version {} was published.", latest.version)
        }
        (None, Some(latest)) => format!(
            "Same as version {}, published {}.",
            latest.version,
            latest.published_at.format("%Y-%m-%d")
        ),
        (Some(number), latest) => {
            let newest = latest.is_some_and(|latest| latest.version == number);
            format!(
                "Version {number}, published {}{}",
                view.as_of.format("%Y-%m-%d"),
                if newest { "." } else { ". A newer version exists." }
            )
        }
    };
    let mut versions: Vec<VersionLink> = view
        .versions
        .iter()
        .map(|v| VersionLink {
            href: format!("/packs/{id}?version={}", v.version),
            label: format!(
                "Version {} ({}{})",
                v.version,
                v.published_at.format("%Y-%m-%d"),
                v.published_by
                    .as_ref()
                    .filter(|_| curator)
                    .map(|name| format!(", by {name}"))
                    .unwrap_or_default()
            ),
            current: view.version == Some(v.version),
        })
        .collect();
    if curator {
        versions.push(VersionLink {
            href: format!("/packs/{id}"),
            label: "Working copy".to_owned(),
            current: view.version.is_none(),
        });
    }
    let export_version = view.version.or(view.versions.last().map(|v| v.version));
    let exports = export_version
        .map(|number| {
            Format::ALL
                .iter()
                .map(|format| {
                    (format!("/packs/{id}/export/{}?version={number}", format.extension()), format.label())
                })
                .collect()
        })
        .unwrap_or_default();
    let findings: Vec<FindingView> = pack
        .findings
        .iter()
        .enumerate()
        .map(|(at, finding)| FindingView {
            id: finding.id.to_string(),
            number: at + 1,
            kind: finding.kind.as_str(),
            statement: finding.statement.to_string(),
            explanation: finding
                .explanation
                .as_ref()
                .map(|text| text.as_str().to_owned())
                .unwrap_or_default(),
            explanation_html: finding.explanation.as_ref().map(|text| markdown::render(text.as_str())),
            backing: backing_line(&finding.backing),
            lost: finding.lost,
            evidence: finding.evidence.iter().map(|item| evidence_line(item, curator)).collect(),
            kinds: kind_choices(Some(finding.kind)),
        })
        .collect();
    PackTemplate {
        page: chrome(state, &user.0, pack.title.as_str(), req, done),
        csrf: user.0.csrf.clone(),
        id,
        editing,
        curator,
        title: pack.title.to_string(),
        question: pack.question.to_string(),
        audience: audience_label(pack.audience),
        summary: pack.summary.as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default(),
        summary_html: pack.summary.as_ref().map(|s| markdown::render(s.as_str())),
        backing: backing_line(&pack.backing),
        state: state_line,
        lost_total: if curator { findings.iter().map(|f| f.lost).sum() } else { 0 },
        findings,
        versions,
        exports,
        audiences: audience_choices(pack.audience),
        kinds: kind_choices(None),
        error,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PackQuery {
    done: Option<String>,
    version: Option<u32>,
}

async fn show(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &LoggedIn,
    (id, version): (PackId, Option<u32>),
    status: StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let who = user.0.user.clone();
    let view = blocking(state, move |archive| archive.pack_page(&who, id, version)).await?;
    crate::views::page(status, &pack_template(state, user, req, view, done, error))
}

/// `GET /packs/{id}[?version=N]`: the working copy for curators, the latest published version
/// for commissioners, or a given version.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<String>,
    query: web::Query<PackQuery>,
) -> Result<HttpResponse, PageError> {
    user.require_any(READERS)?;
    let id = pack_id(&path)?;
    show(&req, &state, &user, (id, query.version), StatusCode::OK, query.done.as_deref(), None).await
}

/// Runs an edit of a pack; a refused one shows the pack again with the reason.
async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    raw_id: &str,
    csrf: &str,
    done: &'static str,
    work: impl FnOnce(&Archive, &User, PackId) -> Result<(), ArchiveError> + Send + 'static,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(csrf)?;
    user.require(Role::Curator)?;
    let id = pack_id(raw_id)?;
    let who = user.0.user.clone();
    match blocking(&state, move |archive| work(archive, &who, id)).await {
        Ok(()) => Ok(see_other(&format!("/packs/{id}?done={done}"))),
        Err(PageError::Invalid(message) | PageError::Conflict(message)) => {
            show(&req, &state, &user, (id, None), StatusCode::UNPROCESSABLE_ENTITY, None, Some(message)).await
        }
        Err(other) => Err(other),
    }
}

#[derive(Debug, Deserialize)]
pub struct DetailsForm {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    summary: String,
}

/// `POST /packs/{id}/details`.
pub async fn details(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<String>,
    form: web::Form<DetailsForm>,
) -> Result<HttpResponse, PageError> {
    let DetailsForm { csrf, title, question, audience, summary } = form.into_inner();
    edit(req, state, user, &path, &csrf, "pack-details", move |archive, who, id| {
        let title = Title::parse(&title).map_err(invalid)?;
        let question = Title::parse(&question)
            .map_err(|err| invalid(err.to_string().replacen("title", "question", 1)))?;
        let audience = Audience::parse(&audience).map_err(invalid)?;
        let summary = Markdown::parse("summary", &summary).map_err(invalid)?;
        archive.update_pack_details(who, id, title, question, audience, summary)
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct FindingForm {
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    statement: String,
    #[serde(default)]
    explanation: String,
}

fn finding_fields(form: &FindingForm) -> Result<(FindingKind, Title, Option<Markdown>), ArchiveError> {
    let kind = FindingKind::parse(&form.kind).map_err(invalid)?;
    let statement = Title::parse(&form.statement)
        .map_err(|err| invalid(err.to_string().replacen("title", "statement", 1)))?;
    let explanation = Markdown::parse("explanation", &form.explanation).map_err(invalid)?;
    Ok((kind, statement, explanation))
}

/// `POST /packs/{id}/findings`: adds a finding.
pub async fn add_finding(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<String>,
    form: web::Form<FindingForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let csrf = form.csrf.clone();
    edit(req, state, user, &path, &csrf, "finding-added", move |archive, who, id| {
        let (kind, statement, explanation) = finding_fields(&form)?;
        archive.edit_pack(who, id, |pack| pack.add_finding(kind, statement, explanation).map(|_| ()))
    })
    .await
}

/// `POST /packs/{id}/findings/{finding}`: changes a finding.
pub async fn update_finding(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<(String, String)>,
    form: web::Form<FindingForm>,
) -> Result<HttpResponse, PageError> {
    let (raw_id, raw_finding) = path.into_inner();
    let finding = finding_id(&raw_finding)?;
    let form = form.into_inner();
    let csrf = form.csrf.clone();
    edit(req, state, user, &raw_id, &csrf, "finding-saved", move |archive, who, id| {
        let (kind, statement, explanation) = finding_fields(&form)?;
        archive.edit_pack(who, id, |pack| pack.update_finding(finding, kind, statement, explanation))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    csrf: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    story: String,
    #[serde(default)]
    quote: String,
}

/// `POST /packs/{id}/findings/{finding}/move`.
pub async fn move_finding(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<(String, String)>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let (raw_id, raw_finding) = path.into_inner();
    let finding = finding_id(&raw_finding)?;
    let MoveForm { csrf, direction, .. } = form.into_inner();
    edit(req, state, user, &raw_id, &csrf, "moved", move |archive, who, id| {
        let direction = Move::parse(&direction).map_err(invalid)?;
        archive.edit_pack(who, id, |pack| pack.move_finding(finding, direction))
    })
    .await
}

/// `POST /packs/{id}/findings/{finding}/remove`.
pub async fn remove_finding(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let (raw_id, raw_finding) = path.into_inner();
    let finding = finding_id(&raw_finding)?;
    edit(req, state, user, &raw_id, &form.csrf, "finding-removed", move |archive, who, id| {
        archive.edit_pack(who, id, |pack| pack.remove_finding(finding))
    })
    .await
}

fn evidence_of(story: &str, quote: &str) -> Result<Evidence, ArchiveError> {
    let story = StoryId::parse(story).map_err(invalid)?;
    if quote.trim().is_empty() {
        Ok(Evidence::Story { story })
    } else {
        Ok(Evidence::Quote { story, quote: QuoteId::parse(quote).map_err(invalid)? })
    }
}

/// `POST /packs/{id}/findings/{finding}/evidence/move`.
pub async fn move_evidence(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<(String, String)>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let (raw_id, raw_finding) = path.into_inner();
    let finding = finding_id(&raw_finding)?;
    let MoveForm { csrf, direction, story, quote } = form.into_inner();
    edit(req, state, user, &raw_id, &csrf, "moved", move |archive, who, id| {
        let direction = Move::parse(&direction).map_err(invalid)?;
        let evidence = evidence_of(&story, &quote)?;
        archive.edit_pack(who, id, |pack| pack.move_evidence(finding, &evidence, direction))
    })
    .await
}

/// `POST /packs/{id}/findings/{finding}/evidence/remove`.
pub async fn remove_evidence(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<(String, String)>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let (raw_id, raw_finding) = path.into_inner();
    let finding = finding_id(&raw_finding)?;
    let MoveForm { csrf, story, quote, .. } = form.into_inner();
    edit(req, state, user, &raw_id, &csrf, "evidence-removed", move |archive, who, id| {
        let evidence = evidence_of(&story, &quote)?;
        archive.edit_pack(who, id, |pack| pack.remove_evidence(finding, &evidence))
    })
    .await
}

/// `POST /packs/{id}/publish`: publishes the working copy as the next version.
pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    edit(req, state, user, &path, &form.csrf, "pack-published", move |archive, who, id| {
        archive.publish_pack(who, id).map(|_| ())
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct AddEvidenceForm {
    csrf: String,
    /// `PACK_ID/FINDING_ID`, as the "add to pack" choice names it.
    #[serde(default)]
    target: String,
    #[serde(default)]
    story: String,
    #[serde(default)]
    quote: String,
    /// Where to go back to (a path of this site).
    #[serde(default)]
    back: String,
}

/// `POST /packs/evidence`: adds a story or a quote to a finding, from search results or a story
/// page, and goes back there.
pub async fn add_evidence(
    state: web::Data<AppState>,
    user: LoggedIn,
    form: web::Form<AddEvidenceForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    user.require(Role::Curator)?;
    let AddEvidenceForm { target, story, quote, back, .. } = form.into_inner();
    let (raw_pack, raw_finding) = target.split_once('/').ok_or_else(|| {
        PageError::Invalid(
            "choose a pack and a finding to add this to (start a pack on the Packs page)".into(),
        )
    })?;
    let (pack, finding) = (pack_id(raw_pack)?, finding_id(raw_finding)?);
    let who = user.0.user.clone();
    blocking(&state, move |archive| {
        let evidence = evidence_of(&story, &quote)?;
        archive.add_evidence(&who, pack, finding, evidence)
    })
    .await?;
    let back = super::login::safe_next(Some(back.as_str()));
    let back = if back == "/" { format!("/packs/{pack}") } else { back };
    // Drop an earlier `done=` so the message is not repeated.
    let back = match back.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query.split('&').filter(|pair| !pair.starts_with("done=")).collect();
            if kept.is_empty() { path.to_owned() } else { format!("{path}?{}", kept.join("&")) }
        }
        None => back,
    };
    let separator = if back.contains('?') { '&' } else { '?' };
    Ok(see_other(&format!("{back}{separator}done=evidence-added")))
}

/// The "add to pack" choices: every finding of every pack, as `PACK_ID/FINDING_ID`.
pub fn add_to_pack_choices(archive: &Archive, user: &User) -> Result<Vec<Choice>, ArchiveError> {
    if !user.has(Role::Curator) {
        return Ok(Vec::new());
    }
    let mut choices = Vec::new();
    for (pack, title, findings) in archive.pack_targets(user)? {
        for (at, (finding, statement)) in findings.iter().enumerate() {
            choices.push(Choice {
                value: format!("{pack}/{finding}"),
                label: format!("{title}: {}. {statement}", at + 1),
                selected: false,
            });
        }
    }
    Ok(choices)
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    version: Option<u32>,
}

/// `GET /packs/{id}/export/{format}[?version=N]`: downloads a published version.
pub async fn export(
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<(String, String)>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, PageError> {
    user.require_any(READERS)?;
    let (raw_id, raw_format) = path.into_inner();
    let id = pack_id(&raw_id)?;
    let format = Format::parse(&raw_format).map_err(|_| PageError::NotFound)?;
    let who = user.0.user.clone();
    let archive_name = state.name.clone();
    let version = query.version;
    let (bytes, file_name) = blocking(&state, move |archive| {
        let (pack, published) = archive.export_pack_for(&who, id, version, format.extension())?;
        let info = ExportInfo {
            archive: archive_name,
            pack_id: id,
            version: published.version,
            published_at: published.published_at,
            generated_at: chrono::Utc::now(),
        };
        let bytes = storybank_export::export(format, &pack, &info, &|media| archive.media(media).ok())
            .map_err(|err| ArchiveError::new(ErrorKind::Internal, err.to_string()))?;
        Ok((bytes, info.file_name(&pack, format)))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(format.mime())
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}
