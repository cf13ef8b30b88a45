//! The calibration export: acceptance and conversion by tier, top topic, decision role and
//! stage as one CSV (`docs/formats.md`), spreadsheet-safe like every CSV badgetrail writes.

use super::session_text::guard_formula;
use crate::domain::leads::calibration::{Calibration, CalibrationRow};

/// The CSV columns, in order.
pub const COLUMNS: [&str; 11] = [
    "dimension",
    "key",
    "label",
    "leads",
    "with_outcome",
    "outcome_share",
    "accepted",
    "acceptance",
    "won",
    "conversion",
    "won_of_outcomes",
];

/// Which table a row belongs to, as named in the `dimension` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    All,
    Tier,
    TopTopic,
    DecisionRole,
    Stage,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::All => "all",
            Dimension::Tier => "tier",
            Dimension::TopTopic => "top_topic",
            Dimension::DecisionRole => "decision_role",
            Dimension::Stage => "stage",
        }
    }
}

/// Every row of the calibration with the table it belongs to, in the page's order.
pub fn rows(c: &Calibration) -> impl Iterator<Item = (Dimension, &CalibrationRow)> {
    std::iter::once((Dimension::All, &c.total))
        .chain(c.by_tier.iter().map(|r| (Dimension::Tier, r)))
        .chain(c.by_topic.iter().map(|r| (Dimension::TopTopic, r)))
        .chain(c.by_role.iter().map(|r| (Dimension::DecisionRole, r)))
        .chain(c.by_stage.iter().map(|r| (Dimension::Stage, r)))
}

/// A share as a number with one decimal, empty when it is undefined (nothing to divide by).
fn share(p: Option<f64>) -> String {
    p.map(|v| format!("{v:.1}")).unwrap_or_default()
}

/// The whole CSV; `label` names a row's key in words (topic names, roles, stages).
pub fn write_calibration_csv(
    c: &Calibration,
    label: impl Fn(Dimension, &str) -> String,
) -> csv::Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(COLUMNS)?;
    for (dimension, r) in rows(c) {
        out.write_record([
            dimension.as_str().to_owned(),
            guard_formula(&r.key),
            guard_formula(&label(dimension, &r.key)),
            r.leads.to_string(),
            r.with_outcome.to_string(),
            share(r.outcome_percent),
            r.accepted.to_string(),
            share(r.acceptance_percent),
            r.won.to_string(),
            share(r.conversion_percent),
            share(r.won_of_outcomes_percent),
        ])?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes).expect("the CSV writer writes the UTF-8 it is given"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        attendee::{DecisionRole, PurchaseStage},
        leads::calibration::{CalibrationCell, Latest, calibration},
        leads::package::{Outcome, Tier},
    };

    #[test]
    fn the_csv_has_one_line_per_row_with_shares_and_guarded_labels() {
        let cells = [
            CalibrationCell {
                tier: Tier::A,
                topic: "ai".into(),
                role: Some(DecisionRole::Buyer),
                stage: Some(PurchaseStage::ChooseSupplier),
                latest: Latest::Outcome(Outcome::Won),
                count: 1,
            },
            CalibrationCell {
                tier: Tier::A,
                topic: "ai".into(),
                role: Some(DecisionRole::Buyer),
                stage: Some(PurchaseStage::ChooseSupplier),
                latest: Latest::Nothing,
                count: 2,
            },
        ];
        let csv = write_calibration_csv(&calibration(&cells), |d, key| match d {
            Dimension::TopTopic => format!("=evil {key}"),
            _ => key.to_uppercase(),
        })
        .unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines,
            [
                "dimension,key,label,leads,with_outcome,outcome_share,accepted,acceptance,won,conversion,won_of_outcomes",
                "all,all,ALL,3,1,33.3,1,100.0,1,33.3,100.0",
                "tier,A,A,3,1,33.3,1,100.0,1,33.3,100.0",
                "tier,B,B,0,0,,0,,0,,",
                "tier,C,C,0,0,,0,,0,,",
                "tier,X,X,0,0,,0,,0,,",
                "top_topic,ai,'=evil ai,3,1,33.3,1,100.0,1,33.3,100.0",
                "decision_role,buyer,BUYER,3,1,33.3,1,100.0,1,33.3,100.0",
                "stage,choose_supplier,CHOOSE_SUPPLIER,3,1,33.3,1,100.0,1,33.3,100.0",
            ]
        );
    }
}
