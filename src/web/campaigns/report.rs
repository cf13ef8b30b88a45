//! The report step: what was queued, delivered, opened and clicked, by topic and tier, with the
//! rates drawn as a chart.

use std::collections::HashMap;

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    response::Html,
    routing::get,
};

use super::figures::{tier_label, topic_name, topic_names};
use super::steps::CampaignHead;
use crate::web::{
    AppState,
    auth::CurrentUser,
    campaign_of,
    charts::{BarChart, BarInput, PLAIN},
    csrf::CsrfToken,
    format,
};
use crate::{
    domain::{
        campaigns::report::{Rates, SendCounts},
        user::Action,
    },
    store::ReportLine,
    web::error::WebResult,
};

/// The report step.
pub fn router() -> Router<AppState> {
    Router::new().route("/events/{slug}/campaigns/{c}/report", get(report_page))
}

/// One line of the report: counts and their shares in words.
pub(super) struct ReportRow {
    pub topic: String,
    pub tier: String,
    pub counts: SendCounts,
    pub delivered: String,
    pub opened: String,
    pub clicked: String,
    pub unsubscribed: String,
    pub bounced: String,
}

/// A share as a page shows it: "42.5%", or a dash when there was nothing to count from.
fn share(r: Option<f64>) -> String {
    r.map_or_else(|| "–".to_owned(), |v| format::percent(v * 100.0))
}

fn counts_of(l: &ReportLine) -> SendCounts {
    let n = |v: i64| v.max(0) as u64;
    SendCounts {
        queued: n(l.queued),
        delivered: n(l.delivered),
        opened: n(l.opened),
        clicked: n(l.clicked),
        unsubscribed: n(l.unsubscribed),
        bounced: n(l.bounced),
        failed: n(l.failed),
    }
}

fn report_row(topic: String, tier: String, counts: SendCounts) -> ReportRow {
    let r: Rates = counts.rates();
    ReportRow {
        topic,
        tier,
        counts,
        delivered: share(r.delivered),
        opened: share(r.opened),
        clicked: share(r.clicked),
        unsubscribed: share(r.unsubscribed),
        bounced: share(r.bounced),
    }
}

/// The report's lines with topic names, and the whole campaign's line.
pub(super) fn report_rows(
    lines: &[ReportLine],
    names: &HashMap<String, String>,
) -> (Vec<ReportRow>, ReportRow) {
    let rows: Vec<ReportRow> = lines
        .iter()
        .map(|l| {
            report_row(
                topic_name(names, &l.topic),
                tier_label(l.tier),
                counts_of(l),
            )
        })
        .collect();
    let total = SendCounts::total(rows.iter().map(|r| &r.counts));
    (rows, report_row("All".into(), String::new(), total))
}

/// The rates as bars on a scale of 100 %.
fn rates_chart(total: &ReportRow) -> WebResult<String> {
    let r = total.counts.rates();
    let bar = |label: &str, v: Option<f64>, text: &str| BarInput {
        label: label.to_owned(),
        count: (v.unwrap_or(0.0) * 1000.0).round() as u64,
        value: text.to_owned(),
        color: PLAIN,
    };
    BarChart::on_scale(
        "Campaign rates",
        vec![
            bar("Delivered, of queued", r.delivered, &total.delivered),
            bar("Opened, of delivered", r.opened, &total.opened),
            bar("Clicked, of delivered", r.clicked, &total.clicked),
            bar(
                "Unsubscribed, of delivered",
                r.unsubscribed,
                &total.unsubscribed,
            ),
            bar("Bounced, of delivered", r.bounced, &total.bounced),
        ],
        1000,
    )
    .svg()
}

#[derive(Template)]
#[template(path = "campaigns/report.html")]
struct ReportPage {
    user: CurrentUser,
    csrf: String,
    head: CampaignHead,
    started: bool,
    rows: Vec<ReportRow>,
    total: ReportRow,
    chart: String,
    tracks_opens: bool,
    tracks_clicks: bool,
}

async fn report_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
) -> WebResult<Html<String>> {
    user.require(Action::RunCampaigns)?;
    let (event, campaign) = campaign_of(&state, &slug, &c).await?;
    let names = topic_names(&state).await?;
    let lines = state
        .ctx
        .store
        .campaigns()
        .campaign_report(campaign.id)
        .await?;
    let (rows, total) = report_rows(&lines, &names);
    let page = ReportPage {
        user,
        csrf: csrf.0,
        head: CampaignHead::new(&event, &campaign, "report", ""),
        started: !campaign.state().editable(),
        chart: rates_chart(&total)?,
        rows,
        total,
        tracks_opens: campaign.track_opens,
        tracks_clicks: campaign.track_clicks,
    };
    Ok(Html(page.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::campaigns::campaign::Tier;
    use crate::store::ReportLine;
    use crate::web::campaigns::figures::figures_queued;

    fn line(topic: &str, tier: &str, queued: i64, delivered: i64, opened: i64) -> ReportLine {
        ReportLine {
            topic: topic.into(),
            tier: Tier::parse(tier).unwrap(),
            queued,
            delivered,
            opened,
            ..ReportLine::default()
        }
    }

    #[test]
    fn the_report_names_topics_and_totals_the_rates() {
        let names = HashMap::from([("big-data".to_owned(), "Big data".to_owned())]);
        let (rows, total) = report_rows(
            &[line("", "none", 2, 2, 0), line("big-data", "A", 2, 1, 1)],
            &names,
        );
        assert_eq!(rows[0].topic, "General content");
        assert_eq!(rows[0].tier, "no lead");
        assert_eq!(rows[1].topic, "Big data");
        assert_eq!(rows[1].opened, "100.0%");
        assert_eq!(total.counts.queued, 4);
        assert_eq!(total.delivered, "75.0%");
        assert_eq!(total.opened, "33.3%");
        assert_eq!(total.bounced, "0.0%");
        let (_, empty) = report_rows(&[], &names);
        assert_eq!(empty.opened, "–");
    }

    #[test]
    fn reasons_kept_at_the_start_stay_with_the_queued_figures() {
        let names = HashMap::new();
        let f = figures_queued(
            &[line("", "B", 3, 0, 0)],
            Some("no_marketing_consent=2,excluded_tier=1"),
            &names,
        );
        assert_eq!((f.recipients, f.excluded_total), (3, 3));
        assert!(f.exclusions_known);
        assert_eq!(f.excluded[0].label, "no marketing consent");
        let old = figures_queued(&[], None, &names);
        assert!(!old.exclusions_known);
    }
}
