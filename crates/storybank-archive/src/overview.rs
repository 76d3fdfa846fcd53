//! The theme overview: how many stories each top-level theme has, year by year and place by
//! place, counted by the search index for what the reader's audience may see.

use chrono::{Datelike, NaiveDate, Utc};
use storybank_domain::{Audience, Role, ThemePath, User};
use storybank_index::SearchRequest;

use crate::{Archive, ArchiveError, ErrorKind};

/// How many years the overview looks back (this year included).
pub const OVERVIEW_YEARS: i32 = 5;
/// How many places it shows by name (the rest are summed as "Other places").
pub const OVERVIEW_PLACES: usize = 8;

/// A table of counts: one row per theme, one column per period or place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountTable {
    /// Column headings.
    pub columns: Vec<String>,
    /// (theme path, theme label, a count per column).
    pub rows: Vec<(ThemePath, String, Vec<u64>)>,
}

/// The theme overview for one reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThemeOverview {
    /// Stories the reader may see in all.
    pub total: usize,
    /// Stories per top-level theme, by the year they were recorded.
    pub by_year: CountTable,
    /// Stories per top-level theme, by place (the town, as outside the curation team).
    pub by_place: CountTable,
}

fn count_of(counts: &[storybank_index::FacetCount], value: &str) -> u64 {
    counts.iter().find(|count| count.value == value).map_or(0, |count| count.count)
}

impl Archive {
    /// The overview `user` may see: curators count every story that is not withdrawn,
    /// commissioners what consent lets them see.
    pub fn theme_overview(&self, user: &User) -> Result<ThemeOverview, ArchiveError> {
        let audience = if user.has(Role::Curator) {
            Audience::Curator
        } else if user.has(Role::Commissioner) {
            Audience::Commissioner
        } else {
            return Err(ArchiveError::new(
                ErrorKind::Forbidden,
                "the theme overview is for curators and commissioners",
            ));
        };
        let today = Utc::now().date_naive();
        let request =
            |build: &dyn Fn(&mut SearchRequest)| -> Result<storybank_index::SearchResults, ArchiveError> {
                let mut request = SearchRequest::new("", audience, today);
                request.limit = 1; // counts and facets are what is wanted
                build(&mut request);
                self.search_hits(&request)
            };
        let all = request(&|_| {})?;
        let top_level: Vec<(ThemePath, String)> = self
            .themes()?
            .into_iter()
            .filter(|theme| theme.path.depth() == 1)
            .map(|theme| (theme.path, theme.label))
            .collect();

        let this_year = today.year();
        let years: Vec<i32> = (this_year - OVERVIEW_YEARS + 1..=this_year).collect();
        let mut by_year_counts = Vec::new();
        for year in &years {
            let from = NaiveDate::from_ymd_opt(*year, 1, 1);
            let to = NaiveDate::from_ymd_opt(*year, 12, 31);
            by_year_counts.push(request(&|r| {
                r.from = from;
                r.to = to;
            })?);
        }
        let by_year = CountTable {
            columns: years.iter().map(ToString::to_string).collect(),
            rows: top_level
                .iter()
                .map(|(path, label)| {
                    let counts = by_year_counts
                        .iter()
                        .map(|results| count_of(&results.facets.themes, path.as_str()))
                        .collect();
                    (path.clone(), label.clone(), counts)
                })
                .collect(),
        };

        let named: Vec<String> =
            all.facets.places.iter().take(OVERVIEW_PLACES).map(|count| count.value.clone()).collect();
        let mut rows = Vec::new();
        for (path, label) in &top_level {
            let results = request(&|r| r.themes = vec![path.clone()])?;
            let mut counts: Vec<u64> =
                named.iter().map(|place| count_of(&results.facets.places, place)).collect();
            let in_named: u64 = counts.iter().sum();
            let with_place: u64 = results.facets.places.iter().map(|count| count.count).sum();
            counts.push(with_place.saturating_sub(in_named));
            rows.push((path.clone(), label.clone(), counts));
        }
        let mut columns = named;
        columns.push("Other places".to_owned());
        Ok(ThemeOverview { total: all.total, by_year, by_place: CountTable { columns, rows } })
    }
}
