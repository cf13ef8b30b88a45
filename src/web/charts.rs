//! Horizontal bar charts drawn on the server as inline SVG: no script, labels escaped by
//! the template, numbers beside every bar so the chart also reads without colour.
//!
//! A chart has no `viewBox`: its coordinates are CSS pixels, so its text is the same size on
//! a phone as on a desktop. Each bar's label and number sit on a line of their own above it,
//! and the bar's length is a percentage of the chart's width, whatever that width is.

use askama::Template;

use crate::web::error::WebResult;

/// Text size, in CSS pixels.
const FONT_SIZE: u32 = 13;
/// Height of one bar's label line plus its bar plus the gap under it.
const ROW: u32 = 40;
/// Where the label's baseline is, from the top of its row.
const TEXT_BASELINE: u32 = 14;
/// Where the bar starts, from the top of its row.
const BAR_TOP: u32 = 20;
const BAR_HEIGHT: u32 = 12;
/// The bar's length in tenths of a percent of the chart's width.
const BAR_MAX: u32 = 1000;
/// The shortest visible bar, for counts above zero, in tenths of a percent.
const BAR_MIN: u32 = 10;
/// The full length behind each bar, so a short bar still reads as a share of something.
const TRACK: &str = "#eef1f4";
/// Longer labels are cut so they stay clear of the number at the other end of their line.
const LABEL_CHARS: usize = 26;

/// One bar as drawn.
pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: u32,
    pub text_y: u32,
    /// Length as a percentage of the chart's width, such as `45.5%`.
    pub width: String,
    pub color: &'static str,
}

/// One bar to draw: its label, the count that sets its length, the text shown beside it.
pub struct BarInput {
    pub label: String,
    pub count: u64,
    pub value: String,
    pub color: &'static str,
}

#[derive(Template)]
#[template(path = "leads/bar_chart.svg", escape = "html")]
pub struct BarChart {
    /// The chart's accessible name.
    pub title: String,
    /// Height in CSS pixels; the width is the container's.
    pub height: u32,
    pub font_size: u32,
    pub bar_height: u32,
    pub track_color: &'static str,
    pub bars: Vec<Bar>,
}

impl BarChart {
    /// Bars scaled to the largest count.
    pub fn new(title: &str, items: Vec<BarInput>) -> BarChart {
        let max = items.iter().map(|i| i.count).max().unwrap_or(0);
        BarChart::on_scale(title, items, max)
    }

    /// Bars scaled so that `max` fills the width, such as shares in per mille of 1000.
    pub fn on_scale(title: &str, items: Vec<BarInput>, max: u64) -> BarChart {
        let bars = items
            .into_iter()
            .enumerate()
            .map(|(row, i)| {
                let top = row as u32 * ROW;
                let tenths = bar_width(i.count.min(max), max);
                Bar {
                    label: short_label(&i.label),
                    value: i.value,
                    y: top + BAR_TOP,
                    text_y: top + TEXT_BASELINE,
                    width: format!("{}.{}%", tenths / 10, tenths % 10),
                    color: i.color,
                }
            })
            .collect::<Vec<_>>();
        BarChart {
            title: title.to_owned(),
            height: bars.len().max(1) as u32 * ROW - (ROW - BAR_TOP - BAR_HEIGHT),
            font_size: FONT_SIZE,
            bar_height: BAR_HEIGHT,
            track_color: TRACK,
            bars,
        }
    }

    /// The SVG markup, ready to place in a page as it is.
    pub fn svg(&self) -> WebResult<String> {
        Ok(self.render()?)
    }
}

/// Bar length for `count` of `max`, in tenths of a percent; any count above zero stays
/// visible.
fn bar_width(count: u64, max: u64) -> u32 {
    if max == 0 || count == 0 {
        return 0;
    }
    let w = (count as u128 * BAR_MAX as u128 + max as u128 / 2) / max as u128;
    (w as u32).max(BAR_MIN)
}

fn short_label(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// The colour of a tier's bars.
pub fn tier_color(tier: crate::domain::leads::package::Tier) -> &'static str {
    use crate::domain::leads::package::Tier;
    match tier {
        Tier::A => "#067647",
        Tier::B => "#0b5cad",
        Tier::C => "#b54708",
        Tier::X => "#8c959f",
    }
}

/// The colour of bars that are not tiers.
pub const PLAIN: &str = "#0b5cad";

#[cfg(test)]
mod tests {
    use super::*;

    fn input(label: &str, count: u64) -> BarInput {
        BarInput {
            label: label.into(),
            count,
            value: count.to_string(),
            color: PLAIN,
        }
    }

    #[test]
    fn bars_scale_to_the_largest_and_small_ones_stay_visible() {
        assert_eq!(bar_width(10, 10), BAR_MAX);
        assert_eq!(bar_width(5, 10), BAR_MAX / 2);
        assert_eq!(bar_width(1, 100_000), BAR_MIN);
        assert_eq!(bar_width(0, 10), 0);
        assert_eq!(bar_width(0, 0), 0);
    }

    #[test]
    fn labels_are_escaped_and_cut() {
        let chart = BarChart::new(
            "Leads <by> topic",
            vec![
                input("<script>alert(1)</script>", 3),
                input("A very long topic name that keeps going", 1),
            ],
        );
        let svg = chart.svg().unwrap();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&#60;script&#62;alert(1)"), "{svg}");
        assert!(svg.contains("Leads &#60;by&#62; topic"));
        assert!(svg.contains("A very long topic name th…"), "{svg}");
        assert_eq!(
            svg.matches("<rect").count(),
            4,
            "each bar on its track: {svg}"
        );
        assert!(svg.contains("width=\"100.0%\""), "{svg}");
        assert!(svg.contains("width=\"33.3%\""), "{svg}");
    }

    #[test]
    fn shares_are_drawn_on_a_fixed_scale() {
        let chart = BarChart::on_scale(
            "Rates",
            vec![input("Opened", 500), input("Clicked", 2000)],
            1000,
        );
        let svg = chart.svg().unwrap();
        assert!(svg.contains("width=\"50.0%\""), "{svg}");
        assert!(
            svg.contains("width=\"100.0%\""),
            "never past the end: {svg}"
        );
    }

    #[test]
    fn the_chart_has_no_view_box_so_its_text_keeps_its_size() {
        let chart = BarChart::new("Tiers", vec![input("A", 1), input("B", 2)]);
        let svg = chart.svg().unwrap();
        assert!(!svg.contains("viewBox"), "{svg}");
        assert!(svg.contains("font-size=\"13\""), "{svg}");
        assert!(svg.contains("height=\"72\""), "two rows: {svg}");
    }
}
