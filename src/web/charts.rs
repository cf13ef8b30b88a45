//! Horizontal bar charts drawn on the server as inline SVG: no script, labels escaped by
//! the template, numbers beside every bar so the chart also reads without colour.

use askama::Template;

use crate::error::WebResult;

/// Drawing space of a chart, in SVG user units (the chart scales to its container).
const WIDTH: u32 = 640;
const LABEL_END: u32 = 182;
const BAR_START: u32 = 190;
const BAR_MAX: u32 = 330;
const ROW: u32 = 28;
const BAR_HEIGHT: u32 = 20;
/// Longer labels are cut so they stay left of the bars.
const LABEL_CHARS: usize = 26;

/// One bar as drawn.
pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: u32,
    pub text_y: u32,
    pub width: u32,
    pub value_x: u32,
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
    pub width: u32,
    pub height: u32,
    pub label_end: u32,
    pub bar_start: u32,
    pub bar_height: u32,
    pub bars: Vec<Bar>,
}

impl BarChart {
    /// Bars scaled to the largest count.
    pub fn new(title: &str, items: Vec<BarInput>) -> BarChart {
        let max = items.iter().map(|i| i.count).max().unwrap_or(0);
        let bars = items
            .into_iter()
            .enumerate()
            .map(|(row, i)| {
                let width = bar_width(i.count, max);
                let y = row as u32 * ROW + 4;
                Bar {
                    label: short_label(&i.label),
                    value: i.value,
                    y,
                    text_y: y + 15,
                    width,
                    value_x: BAR_START + width + 6,
                    color: i.color,
                }
            })
            .collect::<Vec<_>>();
        BarChart {
            title: title.to_owned(),
            width: WIDTH,
            height: bars.len().max(1) as u32 * ROW + 8,
            label_end: LABEL_END,
            bar_start: BAR_START,
            bar_height: BAR_HEIGHT,
            bars,
        }
    }

    /// The SVG markup, ready to place in a page as it is.
    pub fn svg(&self) -> WebResult<String> {
        Ok(self.render()?)
    }
}

/// Bar length for `count` of `max`; any count above zero stays visible.
fn bar_width(count: u64, max: u64) -> u32 {
    if max == 0 || count == 0 {
        return 0;
    }
    let w = (count as u128 * BAR_MAX as u128 + max as u128 / 2) / max as u128;
    (w as u32).max(2)
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
pub fn tier_color(tier: crate::domain::lead::Tier) -> &'static str {
    use crate::domain::lead::Tier;
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
        assert_eq!(bar_width(1, 100_000), 2);
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
        assert_eq!(svg.matches("<rect").count(), 2);
    }
}
