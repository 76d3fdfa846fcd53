//! The pages' data and templates (askama, in `web/templates`). Everything a template prints is
//! HTML-escaped, except story Markdown that has been through [`storybank_export::markdown::render`].

use std::collections::BTreeMap;

use askama::Template;
use storybank_archive::{Session, StorySummary};
use storybank_domain::{Role, Theme};

use crate::error::PageError;

/// What every page has around its content: title, navigation for the person's roles, a flash
/// message after a change.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub site: String,
    pub nav: Option<Nav>,
    pub flash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Nav {
    pub user: String,
    pub csrf: String,
    pub links: Vec<NavLink>,
}

#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl Chrome {
    /// A page without navigation (log-in, errors).
    pub fn bare(title: &str) -> Self {
        Self { title: title.to_owned(), site: "Storybank".to_owned(), nav: None, flash: None }
    }

    /// A page for a logged-in person, with the links their roles allow; `path` marks the current one.
    pub fn for_session(
        site: &str,
        session: &Session,
        title: &str,
        path: &str,
        flash: Option<String>,
    ) -> Self {
        let user = &session.user;
        let mut links = Vec::new();
        let mut link = |href: &'static str, label: &'static str| {
            links.push(NavLink {
                href,
                label,
                current: path == href || path.starts_with(&format!("{href}/")),
            });
        };
        if user.has(Role::Reporter) {
            link("/my/stories", "My stories");
            link("/submit", "Submit a story");
        }
        if user.has(Role::Curator) {
            link("/review", "Review");
        }
        if user.has(Role::Curator) || user.has(Role::Commissioner) {
            link("/packs", "Packs");
            link("/search", "Search");
            link("/overview", "Overview");
        }
        if user.has(Role::Curator) {
            link("/themes", "Themes");
        }
        if user.has(Role::Curator) {
            link("/erasures", "Erasures");
        }
        if user.has(Role::Admin) {
            link("/admin/users", "Users");
            link("/admin/audit", "Audit");
        }
        Self {
            title: title.to_owned(),
            site: site.to_owned(),
            nav: Some(Nav { user: user.name.to_string(), csrf: session.csrf.clone(), links }),
            flash,
        }
    }
}

/// A language's English name, from its code ("Not known" for `und`).
pub fn language_name(code: &str) -> String {
    if code == "und" {
        return "Not known".to_owned();
    }
    storybank_domain::SUPPORTED_LANGUAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(_, name)| (*name).to_owned())
}

/// Renders a template, or logs why it could not be.
pub fn render(template: &impl Template) -> String {
    template.render().unwrap_or_else(|err| {
        tracing::error!(error = %err, "a template failed to render");
        "<!doctype html><title>Error</title><p>Something went wrong on our side.</p>".to_owned()
    })
}

/// Renders a template as a page response with `status`.
pub fn page(
    status: actix_web::http::StatusCode,
    template: &impl Template,
) -> Result<actix_web::HttpResponse, PageError> {
    let body = template.render().map_err(PageError::internal)?;
    Ok(actix_web::HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

/// "No error" for a form field whose form has no errors to show.
pub const NO_ERROR: Option<&str> = None;

/// Errors of a form, by field name; shown next to their fields.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(pub BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn list(&self) -> Vec<(&'static str, &str)> {
        self.0.iter().map(|(field, message)| (*field, message.as_str())).collect()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub page: Chrome,
    pub message: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub page: Chrome,
    pub csrf: String,
    pub next: String,
    pub username: String,
    pub error: Option<String>,
}

/// One option of a select or radio group.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn list<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>, selected: &[&str]) -> Vec<Choice> {
        items
            .into_iter()
            .map(|(value, label)| Choice {
                value: value.to_owned(),
                label: label.to_owned(),
                selected: selected.contains(&value),
            })
            .collect()
    }

    pub fn themes(themes: &[Theme], selected: &[&str]) -> Vec<Choice> {
        themes
            .iter()
            .map(|theme| Choice {
                value: theme.path.to_string(),
                label: format!("{}{}", "\u{a0}\u{a0}".repeat(theme.path.depth() - 1), theme.label),
                selected: selected.contains(&theme.path.as_str()),
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "submit_choose.html")]
pub struct SubmitChoosePage {
    pub page: Chrome,
}

/// The values of the upload form, as typed (to show them again with errors).
#[derive(Debug, Default, Clone)]
pub struct SubmitValues {
    pub title: String,
    pub story_type: String,
    pub language: String,
    pub place: String,
    pub recorded_on: String,
    pub storyteller: String,
    pub prompt: String,
    pub body: String,
    pub transcript_text: String,
    pub caption: String,
    pub alt_text: String,
    pub tags: String,
    pub themes: Vec<String>,
    pub consent_scope: String,
    pub consent_identify_as: String,
    pub consent_given_on: String,
    pub consent_expires_on: String,
}

#[derive(Template)]
#[template(path = "submit.html")]
pub struct SubmitPage {
    pub page: Chrome,
    pub csrf: String,
    /// `text`, `transcript` or `photo`.
    pub kind: &'static str,
    pub heading: &'static str,
    pub values: SubmitValues,
    pub errors: FieldErrors,
    pub languages: Vec<Choice>,
    pub story_types: Vec<Choice>,
    pub themes: Vec<Choice>,
    pub scopes: Vec<Choice>,
    pub identities: Vec<Choice>,
    pub max_file_mb: u64,
}

#[derive(Template)]
#[template(path = "my_stories.html")]
pub struct MyStoriesPage {
    pub page: Chrome,
    pub stories: Vec<StorySummary>,
}

/// A line of a story list (review queue, search results).
#[derive(Debug, Clone)]
pub struct StoryLine {
    pub id: String,
    pub title: String,
    pub form: String,
    pub language: String,
    pub status: String,
    pub place: String,
    pub recorded_on: String,
    pub themes: Vec<String>,
    pub flags: Vec<&'static str>,
    pub snippet_html: Option<String>,
}

/// The "add to pack" form under each search result (curators with packs that have findings).
#[derive(Debug, Clone)]
pub struct AddToPack {
    pub csrf: String,
    /// The page to come back to.
    pub back: String,
    /// `PACK_ID/FINDING_ID` choices.
    pub targets: Vec<Choice>,
}

/// A link of a filter list, with its count.
#[derive(Debug, Clone)]
pub struct FacetLink {
    pub label: String,
    pub href: String,
    pub count: u64,
    pub active: bool,
    pub depth: usize,
}

/// A theme of the search page's facet tree, in depth-first order: the page opens a collapsible
/// list of sub-themes after a theme that has them, and closes `closes` such lists after it.
#[derive(Debug, Clone)]
pub struct ThemeNode {
    pub link: FacetLink,
    pub has_children: bool,
    /// Whether its sub-themes are shown at first (one of them is a filter now).
    pub open: bool,
    pub closes: usize,
}

impl ThemeNode {
    /// The tree of `links` (theme facets, any order; `depth` is the path's number of parts).
    pub fn tree(mut links: Vec<(String, FacetLink)>) -> Vec<ThemeNode> {
        links.sort_by(|(a, _), (b, _)| a.split('/').cmp(b.split('/')));
        let active: Vec<String> =
            links.iter().filter(|(_, link)| link.active).map(|(path, _)| path.clone()).collect();
        let depths: Vec<usize> = links.iter().map(|(_, link)| link.depth.max(1)).collect();
        links
            .into_iter()
            .enumerate()
            .map(|(at, (path, link))| {
                let depth = depths[at];
                let next = depths.get(at + 1).copied().unwrap_or(1);
                let has_children = next == depth + 1;
                let inside = format!("{path}/");
                ThemeNode {
                    open: has_children && active.iter().any(|active| active.starts_with(&inside)),
                    closes: if has_children { 0 } else { depth.saturating_sub(next) },
                    has_children,
                    link,
                }
            })
            .collect()
    }
}

/// A search filter typed in a form field (tag, place, dates, status, reporter).
#[derive(Debug, Clone, Default)]
pub struct FilterFields {
    pub tag: String,
    pub place: String,
    pub reporter: String,
    pub status: String,
    pub from: String,
    pub to: String,
    /// Place, reporter and status are the curation team's filters.
    pub curator: bool,
    pub statuses: Vec<Choice>,
}

impl FilterFields {
    /// Whether any is set (the fields are then shown open).
    pub fn any(&self) -> bool {
        [&self.tag, &self.place, &self.reporter, &self.status, &self.from, &self.to]
            .iter()
            .any(|value| !value.is_empty())
    }
}

#[derive(Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub add_to_pack: Option<AddToPack>,
    pub page: Chrome,
    pub queues: Vec<FacetLink>,
    pub heading: String,
    pub total: usize,
    pub stories: Vec<StoryLine>,
    pub languages: Vec<FacetLink>,
    pub reporters: Vec<FacetLink>,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// One transcript cue as the story page shows it.
#[derive(Debug, Clone)]
pub struct CueLine {
    pub position: usize,
    pub time: String,
    pub speaker: String,
    pub text: String,
}

/// One quote as the story page shows it.
#[derive(Debug, Clone)]
pub struct QuoteLine {
    pub id: String,
    pub text: String,
    pub place: String,
    pub themes: Vec<String>,
}

#[derive(Template)]
#[template(path = "story.html")]
pub struct StoryPage {
    pub page: Chrome,
    pub csrf: String,
    pub id: String,
    pub title: String,
    pub status: String,
    pub form: String,
    pub facts: Vec<(&'static str, String)>,
    pub consent: Vec<(&'static str, String)>,
    pub consent_missing: bool,
    pub body_html: Option<String>,
    pub cues: Vec<CueLine>,
    pub image: Option<(String, String, u32, u32)>,
    pub caption: String,
    pub alt_text: String,
    pub tags: Vec<String>,
    pub themes: Vec<String>,
    pub suggested: Vec<String>,
    pub warnings: Vec<String>,
    pub key_message: String,
    pub key_learning: String,
    pub quotes: Vec<QuoteLine>,
    pub may_curate: bool,
    pub may_tag: bool,
    pub theme_choices: Vec<Choice>,
    pub next_statuses: Vec<(&'static str, &'static str)>,
    pub errors: FieldErrors,
    pub values: StoryFormValues,
    pub scopes: Vec<Choice>,
    pub identities: Vec<Choice>,
    pub details: DetailsForm,
    /// Curators: add the story or one of its quotes to a pack's finding.
    pub add_to_pack: Option<AddToPack>,
    /// Curators: the packs that cite this story (link, label).
    pub cited_in: Vec<(String, String)>,
    /// Curators: suggested redactions and those made.
    pub redaction: Option<RedactionSection>,
}

/// The de-identification section of a story page.
#[derive(Debug, Default, Clone)]
pub struct RedactionSection {
    pub suggestions: Vec<SuggestionLine>,
    /// (where, kind, replacement, original if kept, by, when)
    pub done: Vec<(String, String, String, Option<String>, String, String)>,
    pub kinds: Vec<(&'static str, &'static str)>,
}

/// One suggested redaction: its form key, where, what kind, and the words in context.
#[derive(Debug, Clone)]
pub struct SuggestionLine {
    pub key: String,
    pub unit: String,
    pub kind: &'static str,
    pub before: String,
    pub found: String,
    pub after: String,
}

/// The story's details as the curator's edit form shows them.
#[derive(Debug, Default, Clone)]
pub struct DetailsForm {
    pub title: String,
    pub story_types: Vec<Choice>,
    pub languages: Vec<Choice>,
    pub place: String,
    pub recorded_on: String,
    pub reporter: String,
    pub storyteller: String,
    pub prompt: String,
}

/// Values of the story page's forms, as typed, to show again with an error.
#[derive(Debug, Default, Clone)]
pub struct StoryFormValues {
    pub tag: String,
    pub passage: String,
    pub consent_given_on: String,
    pub consent_expires_on: String,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub page: Chrome,
    pub add_to_pack: Option<AddToPack>,
    pub query: String,
    pub total: usize,
    pub stories: Vec<StoryLine>,
    pub theme_tree: Vec<ThemeNode>,
    pub form_facets: Vec<FacetLink>,
    pub language_facets: Vec<FacetLink>,
    pub type_facets: Vec<FacetLink>,
    pub active_filters: Vec<FacetLink>,
    pub filters: FilterFields,
    pub hidden: Vec<(String, String)>,
    pub sort_date: bool,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub page_number: usize,
    pub error: Option<String>,
}

/// A theme row of the taxonomy page.
#[derive(Debug, Clone)]
pub struct ThemeRow {
    pub path: String,
    pub label: String,
    pub description: String,
    pub depth: usize,
    pub stories: u64,
    pub retired: bool,
}

#[derive(Template)]
#[template(path = "themes.html")]
pub struct ThemesPage {
    pub page: Chrome,
    pub csrf: String,
    pub themes: Vec<ThemeRow>,
    pub choices: Vec<Choice>,
    pub error: Option<String>,
}

/// An account row of the admin page.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub name: String,
    pub roles: Vec<Choice>,
    pub disabled: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub page: Chrome,
    pub csrf: String,
    pub users: Vec<UserRow>,
    pub roles: Vec<Choice>,
    pub created: Option<(String, String)>,
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_facets_become_a_tree_in_depth_first_order() {
        let link = |path: &str, active: bool| {
            let depth = path.split('/').count();
            (
                path.to_owned(),
                FacetLink { label: path.to_owned(), href: String::new(), count: 1, active, depth },
            )
        };
        // (facets in the order counted, the filters) -> (path, has sub-themes, open, lists closed after)
        for (paths, active, expected) in [
            (vec![], vec![], vec![]),
            (vec!["work"], vec![], vec![("work", false, false, 0)]),
            (
                vec!["transport/rural", "housing", "transport", "housing-costs", "transport/rural/buses"],
                vec!["transport/rural/buses"],
                vec![
                    ("housing", false, false, 0),
                    ("housing-costs", false, false, 0),
                    ("transport", true, true, 0),
                    ("transport/rural", true, true, 0),
                    ("transport/rural/buses", false, false, 2),
                ],
            ),
            (
                vec!["health/mental", "health", "work", "health/access"],
                vec!["health"],
                vec![
                    ("health", true, false, 0),
                    ("health/access", false, false, 0),
                    ("health/mental", false, false, 1),
                    ("work", false, false, 0),
                ],
            ),
        ] {
            let links = paths.iter().map(|path| link(path, active.contains(path))).collect();
            let tree: Vec<(String, bool, bool, usize)> = ThemeNode::tree(links)
                .into_iter()
                .map(|node| (node.link.label, node.has_children, node.open, node.closes))
                .collect();
            let expected: Vec<(String, bool, bool, usize)> = expected
                .into_iter()
                .map(|(path, children, open, closes)| (path.to_owned(), children, open, closes))
                .collect();
            assert_eq!(tree, expected, "{paths:?}");
        }
    }
}
