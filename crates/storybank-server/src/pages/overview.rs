//! `GET /overview`: stories per top-level theme by year and by place, as server-drawn charts with
//! the same numbers in tables, for curators and commissioners (each counted for their audience).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use storybank_archive::{CountTable, OVERVIEW_YEARS};
use storybank_domain::Role;

use super::{blocking, chrome, ok};
use crate::AppState;
use crate::auth::LoggedIn;
use crate::charts::bar_grid;
use crate::error::PageError;
use crate::views::Chrome;

struct Chart {
    id: &'static str,
    heading: String,
    note: String,
    svg: String,
    columns: Vec<String>,
    /// (label, link to the theme's stories, counts).
    rows: Vec<(String, String, Vec<u64>)>,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    page: Chrome,
    total: usize,
    commissioner: bool,
    charts: Vec<Chart>,
}

fn chart(id: &'static str, heading: String, note: String, table: &CountTable) -> Chart {
    Chart {
        id,
        heading,
        note,
        svg: bar_grid(table),
        columns: table.columns.clone(),
        rows: table
            .rows
            .iter()
            .map(|(path, label, counts)| (label.clone(), format!("/search?theme={path}"), counts.clone()))
            .collect(),
    }
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
) -> Result<HttpResponse, PageError> {
    user.require_any(&[Role::Curator, Role::Commissioner])?;
    let who = user.0.user.clone();
    let overview = blocking(&state, move |archive| archive.theme_overview(&who)).await?;
    let page = OverviewPage {
        page: chrome(&state, &user.0, "Theme overview", &req, None),
        total: overview.total,
        commissioner: !user.0.user.has(Role::Curator),
        charts: vec![
            chart(
                "by-year",
                "Stories per theme, by year recorded".to_owned(),
                format!("The last {OVERVIEW_YEARS} years. A story with several themes counts under each; stories without a date are left out."),
                &overview.by_year,
            ),
            chart(
                "by-place",
                "Stories per theme, by place".to_owned(),
                "Places are shown as towns. A story with several themes counts under each; stories without a place are left out.".to_owned(),
                &overview.by_place,
            ),
        ],
    };
    ok(&page)
}
