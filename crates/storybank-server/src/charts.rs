//! Charts drawn on the server as inline SVG: no script, no images to fetch, crisp at any size.
//! Each chart repeats a table that the page also shows as an HTML table, so the SVG is hidden
//! from screen readers (`aria-hidden`) and the table carries the numbers for everyone.

use std::fmt::Write as _;

use storybank_archive::CountTable;
use storybank_export::markdown::escape;

const LABEL_WIDTH: u32 = 190;
const CELL_WIDTH: u32 = 84;
const ROW_HEIGHT: u32 = 26;
const HEADER_HEIGHT: u32 = 28;
const BAR_HEIGHT: u32 = 14;

fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// A grid of bars: one row per theme, one column per heading; each bar is scaled to the largest
/// count in the table and labelled with its number.
pub fn bar_grid(table: &CountTable) -> String {
    let columns = u32::try_from(table.columns.len()).unwrap_or(u32::MAX).max(1);
    let rows = u32::try_from(table.rows.len()).unwrap_or(u32::MAX);
    // Room after the last column for its heading and the widest number.
    let width = LABEL_WIDTH + columns * CELL_WIDTH + 24;
    let height = HEADER_HEIGHT + rows * ROW_HEIGHT + 4;
    let max = table.rows.iter().flat_map(|(_, _, counts)| counts.iter().copied()).max().unwrap_or(0).max(1);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (at, heading) in table.columns.iter().enumerate() {
        let x = LABEL_WIDTH + u32::try_from(at).unwrap_or(0) * CELL_WIDTH + 2;
        let _ = write!(
            svg,
            r##"<text x="{x}" y="18" font-size="12" font-weight="600" fill="#1b1b1b">{}</text>"##,
            escape(&shortened(heading, 12))
        );
    }
    for (row, (_, label, counts)) in table.rows.iter().enumerate() {
        let y = HEADER_HEIGHT + u32::try_from(row).unwrap_or(0) * ROW_HEIGHT;
        if row % 2 == 0 {
            let _ = write!(
                svg,
                r##"<rect x="0" y="{y}" width="{width}" height="{ROW_HEIGHT}" fill="#f3f2f1"/>"##
            );
        }
        let _ = write!(
            svg,
            r##"<text x="4" y="{}" font-size="13" fill="#1b1b1b">{}</text>"##,
            y + 17,
            escape(&shortened(label, 26))
        );
        for (at, count) in counts.iter().enumerate() {
            let x = LABEL_WIDTH + u32::try_from(at).unwrap_or(0) * CELL_WIDTH + 2;
            let room = u64::from(CELL_WIDTH - 34);
            let bar = u32::try_from(count * room / max).unwrap_or(0).max(u32::from(*count > 0));
            let _ = write!(
                svg,
                r##"<rect x="{x}" y="{}" width="{bar}" height="{BAR_HEIGHT}" fill="#1d4f91"/><text x="{}" y="{}" font-size="12" fill="#1b1b1b">{count}</text>"##,
                y + (ROW_HEIGHT - BAR_HEIGHT) / 2,
                x + bar + 4,
                y + 17
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use storybank_domain::ThemePath;

    #[test]
    fn bars_scale_to_the_largest_count_and_text_is_escaped() {
        let table = CountTable {
            columns: vec!["2024".into(), "<b>".into()],
            rows: vec![
                (ThemePath::parse("health").unwrap(), "Health & care".into(), vec![100, 0]),
                (ThemePath::parse("housing").unwrap(), "Housing".into(), vec![50, 1]),
            ],
        };
        let svg = bar_grid(&table);
        assert!(svg.contains(r#"width="50" height="14""#), "100 of 100 fills the cell: {svg}");
        assert!(svg.contains(r#"width="25" height="14""#), "50 of 100 fills half");
        assert!(svg.contains(r#"width="1" height="14""#), "1 is still visible");
        assert!(svg.contains(r#"width="0" height="14""#), "0 has no bar");
        assert!(svg.contains("Health &amp; care") && svg.contains("&lt;b&gt;"));
        assert!(!svg.contains("<b>"));
    }
}
