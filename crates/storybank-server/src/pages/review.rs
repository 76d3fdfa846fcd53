//! The curators' review queue and the search page. Both are searches of the index; every filter
//! is a plain link or form field, so a search's URL can be shared and works without JavaScript.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use storybank_archive::{SearchRequest, SearchResponse, Snippet, Sort};
use storybank_domain::{Audience, Form, Language, Role, Status, StoryType, Tag, ThemePath};

use super::{blocking, chrome, ok};
use crate::AppState;
use crate::auth::LoggedIn;
use crate::error::PageError;
use storybank_export::markdown::escape;

use crate::views::{
    AddToPack, Choice, FacetLink, FilterFields, ReviewPage, SearchPage, StoryLine, ThemeNode, language_name,
};

const PAGE_SIZE: usize = 20;
/// The deepest page a search goes to (beyond it, narrow the search).
const MAX_PAGE: usize = 500;

/// The query string as ordered pairs (filters repeat: `theme=a&theme=b`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn of(req: &HttpRequest) -> Result<Self, PageError> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .map(|pairs| Self(pairs.into_iter().filter(|(_, value)| !value.trim().is_empty()).collect()))
            .map_err(|err| PageError::BadRequest(format!("the address's query could not be read: {err}")))
    }
    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }
    pub(crate) fn one(&self, key: &str) -> Option<&str> {
        self.all(key).into_iter().next()
    }
    fn has(&self, key: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == key && v == value)
    }
    /// These parameters with `key=value` added, or removed if present; back to page 1.
    fn toggled(&self, key: &str, value: &str) -> Self {
        let mut pairs: Vec<(String, String)> =
            self.0.iter().filter(|(k, _)| k != "page" && k != "done").cloned().collect();
        if self.has(key, value) {
            pairs.retain(|(k, v)| !(k == key && v == value));
        } else {
            pairs.push((key.to_owned(), value.to_owned()));
        }
        Self(pairs)
    }
    /// `toggled(key, value).href(path)` for many `key=value` at once (a page's facet links): the
    /// parameters kept are encoded once, not once per link.
    fn toggle_hrefs<'a>(&'a self, path: &'a str) -> impl Fn(&str, &str) -> String + 'a {
        let kept: Vec<&(String, String)> =
            self.0.iter().filter(|(k, _)| k != "page" && k != "done").collect();
        let base = serde_urlencoded::to_string(&kept).unwrap_or_default();
        move |key, value| {
            if self.has(key, value) {
                return self.toggled(key, value).href(path);
            }
            let pair = serde_urlencoded::to_string([(key, value)]).unwrap_or_default();
            if base.is_empty() { format!("{path}?{pair}") } else { format!("{path}?{base}&{pair}") }
        }
    }
    /// These parameters with `key` set to `value` (replacing it).
    fn with(&self, key: &str, value: &str) -> Self {
        let mut pairs: Vec<(String, String)> =
            self.0.iter().filter(|(k, _)| k != key && k != "done").cloned().collect();
        pairs.push((key.to_owned(), value.to_owned()));
        Self(pairs)
    }
    fn href(&self, path: &str) -> String {
        if self.0.is_empty() {
            return path.to_owned();
        }
        format!("{path}?{}", serde_urlencoded::to_string(&self.0).unwrap_or_default())
    }
    fn page(&self) -> usize {
        self.one("page").and_then(|p| p.parse().ok()).unwrap_or(1).clamp(1, MAX_PAGE)
    }
}

fn invalid(err: impl std::fmt::Display) -> PageError {
    PageError::Invalid(err.to_string())
}

/// The search request the parameters describe, for `audience`.
pub(crate) fn request_from(params: &Params, audience: Audience) -> Result<SearchRequest, PageError> {
    let mut request =
        SearchRequest::new(params.one("q").unwrap_or_default(), audience, chrono::Utc::now().date_naive());
    request.themes =
        params.all("theme").into_iter().map(ThemePath::parse).collect::<Result<_, _>>().map_err(invalid)?;
    request.tags =
        params.all("tag").into_iter().map(Tag::parse).collect::<Result<_, _>>().map_err(invalid)?;
    request.forms =
        params.all("form").into_iter().map(Form::parse).collect::<Result<_, _>>().map_err(invalid)?;
    request.story_types =
        params.all("type").into_iter().map(StoryType::parse).collect::<Result<_, _>>().map_err(invalid)?;
    request.languages =
        params.all("lang").into_iter().map(Language::parse).collect::<Result<_, _>>().map_err(invalid)?;
    request.statuses =
        params.all("status").into_iter().map(Status::parse).collect::<Result<_, _>>().map_err(invalid)?;
    for flag in params.all("flag") {
        if !storybank_archive::FLAGS.contains(&flag) {
            return Err(invalid(format!(
                "flag {flag:?} is not one of: {}",
                storybank_archive::FLAGS.join(", ")
            )));
        }
        request.flags.push(flag.to_owned());
    }
    request.place = params.one("place").map(str::to_owned);
    request.reporters = params.all("reporter").into_iter().map(str::to_owned).collect();
    let date = |key: &str| -> Result<Option<chrono::NaiveDate>, PageError> {
        params
            .one(key)
            .map(|raw| raw.parse().map_err(|_| invalid(format!("{key} {raw:?} is not a date (YYYY-MM-DD)"))))
            .transpose()
    };
    let today = request.today;
    request.consent_ends = match params.one("consent_ends") {
        None => None,
        // Consent ending today to 30 days from now.
        Some("soon") => Some((today, today + chrono::Days::new(30))),
        // Consent that has ended (stories without consent are in their own queue).
        Some("past") => Some((
            // The day after the date a story without consent is indexed with (1970-01-01).
            chrono::NaiveDate::from_ymd_opt(1970, 1, 2).unwrap_or(today),
            today - chrono::Days::new(1),
        )),
        Some(other) => return Err(invalid(format!("consent_ends {other:?} is not one of: soon, past"))),
    };
    request.from = date("from")?;
    request.to = date("to")?;
    request.sort = if params.one("sort") == Some("date") { Sort::Date } else { Sort::Relevance };
    request.limit = PAGE_SIZE;
    request.offset = (params.page() - 1) * PAGE_SIZE;
    Ok(request)
}

/// The snippet as HTML: the fragment escaped, the matched words in `<mark>`.
fn snippet_html(snippet: &Snippet) -> String {
    let text = &snippet.text;
    let mut html = String::with_capacity(text.len() + 32);
    let mut at = 0;
    for &(start, end) in &snippet.highlights {
        if start < at
            || start > end
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            continue;
        }
        html.push_str(&escape(&text[at..start]));
        html.push_str("<mark>");
        html.push_str(&escape(&text[start..end]));
        html.push_str("</mark>");
        at = end;
    }
    html.push_str(&escape(&text[at..]));
    html
}

fn lines(response: &SearchResponse, flags_of: &HashMap<String, Vec<&'static str>>) -> Vec<StoryLine> {
    response
        .hits
        .iter()
        .map(|hit| StoryLine {
            id: hit.id.to_string(),
            title: hit.title.to_string(),
            form: hit.form.to_string(),
            language: language_name(hit.language.as_str()),
            status: hit.status.to_string(),
            place: hit.place.clone().unwrap_or_default(),
            recorded_on: hit.recorded_on.map(|d| d.to_string()).unwrap_or_default(),
            themes: hit.themes.iter().map(ToString::to_string).collect(),
            flags: flags_of.get(&hit.id.to_string()).cloned().unwrap_or_default(),
            snippet_html: hit.snippet.as_ref().map(snippet_html),
        })
        .collect()
}

fn pager(params: &Params, path: &str, total: usize) -> (Option<String>, Option<String>) {
    let page = params.page();
    let previous = (page > 1).then(|| params.with("page", &(page - 1).to_string()).href(path));
    let next = (page * PAGE_SIZE < total && page < MAX_PAGE)
        .then(|| params.with("page", &(page + 1).to_string()).href(path));
    (previous, next)
}

/// The review queues: (code, label, how to filter).
const QUEUES: [(&str, &str, &str, &str); 7] = [
    ("new", "New", "status", "submitted"),
    ("consent", "Consent missing", "flag", "consent-missing"),
    ("expiring", "Consent ends within 30 days", "consent_ends", "soon"),
    ("expired", "Consent ended", "consent_ends", "past"),
    ("alt-text", "Alt text missing", "flag", "alt-text-missing"),
    ("reviewed", "Reviewed", "status", "reviewed"),
    ("published", "Published", "status", "published"),
];

pub async fn queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
) -> Result<HttpResponse, PageError> {
    user.require(Role::Curator)?;
    let params = Params::of(&req)?;
    let current = params.one("queue").unwrap_or("new").to_owned();
    let (_, heading, key, value) = *QUEUES.iter().find(|(code, ..)| *code == current).unwrap_or(&QUEUES[0]);
    let mut filter = Params(
        params
            .0
            .iter()
            .filter(|(k, _)| matches!(k.as_str(), "lang" | "reporter" | "page"))
            .cloned()
            .collect(),
    );
    filter.0.push((key.to_owned(), value.to_owned()));
    filter.0.push(("sort".into(), "date".into()));
    let request = request_from(&filter, Audience::Curator)?;
    let counts_for: Vec<SearchRequest> = QUEUES
        .iter()
        .map(|(_, _, key, value)| {
            let mut request =
                request_from(&Params(vec![(key.to_string(), value.to_string())]), Audience::Curator)?;
            request.facets = false;
            request.limit = 1;
            Ok(request)
        })
        .collect::<Result<_, PageError>>()?;
    let who = user.0.user.clone();
    let (response, counts, reporters) = blocking(&state, move |archive| {
        let response = archive.search(&request)?;
        let reporters = archive.reporters(&who)?;
        let counts = counts_for
            .iter()
            .map(|r| archive.search_hits(r).map(|results| results.total))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((response, counts, reporters))
    })
    .await?;
    let queue_params = |code: &str| Params(vec![("queue".into(), code.to_owned())]);
    let queues = QUEUES
        .iter()
        .zip(&counts)
        .map(|((code, label, ..), count)| FacetLink {
            label: format!("{label} ({count})"),
            href: queue_params(code).href("/review"),
            count: *count as u64,
            active: *code == current,
            depth: 0,
        })
        .collect();
    let with_queue = params.with("queue", &current);
    let toggle_href = with_queue.toggle_hrefs("/review");
    let languages = response
        .facets
        .languages
        .iter()
        .map(|facet| FacetLink {
            label: language_name(&facet.value),
            href: toggle_href("lang", &facet.value),
            count: facet.count,
            active: params.has("lang", &facet.value),
            depth: 0,
        })
        .collect();
    let reporters = reporters
        .into_iter()
        .map(|(name, count)| FacetLink {
            href: toggle_href("reporter", &name),
            active: params.has("reporter", &name),
            label: name,
            count,
            depth: 0,
        })
        .collect();
    let (previous, next) = pager(&with_queue, "/review", response.total);
    let page = ReviewPage {
        add_to_pack: None,
        page: chrome(&state, &user.0, "Review queue", &req, params.one("done")),
        queues,
        heading: heading.to_owned(),
        total: response.total,
        stories: lines(&response, &flag_map(&response, key, value)),
        languages,
        reporters,
        previous,
        next,
    };
    ok(&page)
}

/// In a flag queue every story has the flag: show it on each line.
fn flag_map(response: &SearchResponse, key: &str, value: &str) -> HashMap<String, Vec<&'static str>> {
    let flag: Option<&'static str> = match (key, value) {
        ("flag", "consent-missing") => Some("consent missing"),
        ("flag", "alt-text-missing") => Some("alt text missing"),
        _ => None,
    };
    response.hits.iter().filter_map(|hit| flag.map(|flag| (hit.id.to_string(), vec![flag]))).collect()
}

pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
) -> Result<HttpResponse, PageError> {
    user.require_any(&[Role::Curator, Role::Commissioner])?;
    let audience = if user.0.user.has(Role::Curator) { Audience::Curator } else { Audience::Commissioner };
    let params = Params::of(&req)?;
    let (request, error) = match request_from(&params, audience) {
        Ok(request) => (request, None),
        Err(err) => (request_from(&Params::default(), audience)?, Some(err.to_string())),
    };
    let who = user.0.user.clone();
    let (response, themes, targets) = blocking(&state, move |archive| {
        Ok((
            archive.search(&request)?,
            archive.assignable_themes()?,
            super::packs::add_to_pack_choices(archive, &who)?,
        ))
    })
    .await?;
    let add_to_pack = (!targets.is_empty()).then(|| AddToPack {
        csrf: user.0.csrf.clone(),
        back: req.uri().path_and_query().map_or_else(|| "/search".to_owned(), ToString::to_string),
        targets,
    });
    let labels: HashMap<String, String> = themes.into_iter().map(|t| (t.path.to_string(), t.label)).collect();
    let toggle_href = params.toggle_hrefs("/search");
    let facet = |key: &str, value: &str, label: String, count: u64, depth: usize| FacetLink {
        label,
        href: toggle_href(key, value),
        count,
        active: params.has(key, value),
        depth,
    };
    let theme_facets = response
        .facets
        .themes
        .iter()
        .map(|f| {
            let depth = f.value.split('/').count();
            let label = labels
                .get(&f.value)
                .cloned()
                .unwrap_or_else(|| f.value.rsplit('/').next().unwrap_or_default().to_owned());
            (f.value.clone(), facet("theme", &f.value, label, f.count, depth))
        })
        .collect();
    let form_facets =
        response.facets.forms.iter().map(|f| facet("form", &f.value, f.value.clone(), f.count, 0)).collect();
    let language_facets = response
        .facets
        .languages
        .iter()
        .map(|f| facet("lang", &f.value, language_name(&f.value), f.count, 0))
        .collect();
    let type_facets = response
        .facets
        .story_types
        .iter()
        .map(|f| facet("type", &f.value, f.value.clone(), f.count, 0))
        .collect();
    let filter_keys =
        ["theme", "tag", "form", "type", "lang", "status", "flag", "place", "from", "to", "reporter"];
    let active_filters = params
        .0
        .iter()
        .filter(|(key, _)| filter_keys.contains(&key.as_str()))
        .map(|(key, value)| FacetLink {
            label: format!("{key}: {value}"),
            href: params.toggled(key, value).href("/search"),
            count: 0,
            active: true,
            depth: 0,
        })
        .collect();
    // The filters typed in the form's fields (the first value of each, where a link added
    // several); every other filter rides along hidden, so a search keeps them.
    let curator = audience == Audience::Curator;
    let typed: &[&str] =
        if curator { &["tag", "place", "reporter", "status", "from", "to"] } else { &["tag", "from", "to"] };
    let field = |key: &str| params.one(key).unwrap_or_default().to_owned();
    let status = field("status");
    let filters = FilterFields {
        tag: field("tag"),
        place: if curator { field("place") } else { String::new() },
        reporter: if curator { field("reporter") } else { String::new() },
        statuses: Status::ALL
            .iter()
            .map(|choice| Choice {
                value: choice.as_str().to_owned(),
                label: choice.as_str().to_owned(),
                selected: status == choice.as_str(),
            })
            .collect(),
        status: if curator { status.clone() } else { String::new() },
        from: field("from"),
        to: field("to"),
        curator,
    };
    let mut shown: Vec<&str> = Vec::new();
    let hidden = params
        .0
        .iter()
        .filter(|(key, _)| filter_keys.contains(&key.as_str()))
        .filter(|(key, _)| {
            let typed_here = typed.contains(&key.as_str()) && !shown.contains(&key.as_str());
            if typed_here {
                shown.push(key.as_str());
            }
            !typed_here
        })
        .cloned()
        .collect();
    let (previous, next) = pager(&params, "/search", response.total);
    let page = SearchPage {
        page: chrome(&state, &user.0, "Search stories", &req, params.one("done")),
        add_to_pack,
        query: params.one("q").unwrap_or_default().to_owned(),
        total: response.total,
        // Places come coarsened, and snippets with neutral speaker labels, for commissioners.
        stories: lines(&response, &HashMap::new()),
        theme_tree: ThemeNode::tree(theme_facets),
        form_facets,
        language_facets,
        type_facets,
        active_filters,
        filters,
        hidden,
        sort_date: params.one("sort") == Some("date"),
        previous,
        next,
        page_number: params.page(),
        error,
    };
    ok(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facet_links_toggle_one_filter_and_go_back_to_page_one() {
        let params = |pairs: &[(&str, &str)]| {
            Params(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
        };
        // (parameters, key, value) -> the link
        for (pairs, key, value, expected) in [
            (vec![], "theme", "housing", "/search?theme=housing"),
            (vec![("q", "bus")], "lang", "fi", "/search?q=bus&lang=fi"),
            (vec![("q", "bus"), ("page", "3"), ("done", "saved")], "form", "text", "/search?q=bus&form=text"),
            (vec![("q", "bus"), ("lang", "fi")], "lang", "fi", "/search?q=bus"),
            (vec![("lang", "fi"), ("page", "2")], "lang", "fi", "/search"),
            (vec![("lang", "fi")], "lang", "sv", "/search?lang=fi&lang=sv"),
            (
                vec![("q", "a&b=c d")],
                "theme",
                "health/mental-health",
                "/search?q=a%26b%3Dc+d&theme=health%2Fmental-health",
            ),
            (vec![("q", "ä")], "reporter", "Łucja & co", "/search?q=%C3%A4&reporter=%C5%81ucja+%26+co"),
        ] {
            let params = params(&pairs);
            let href = params.toggle_hrefs("/search")(key, value);
            assert_eq!(href, expected, "{pairs:?} {key}={value}");
            assert_eq!(href, params.toggled(key, value).href("/search"), "the same as one toggle");
        }
    }
}
