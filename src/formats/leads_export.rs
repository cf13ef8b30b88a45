//! The leads export: CSV (spreadsheet-safe) and JSON with the same documented fields
//! (`docs/formats.md`), written row by row so a large event streams.

use std::io::Write;

use serde::Serialize;

use super::session_text::guard_formula;
use crate::domain::{choice::or_blank, leads::package::LeadPackage};

/// The CSV columns, in order.
pub const COLUMNS: [&str; 22] = [
    "email",
    "name",
    "company",
    "job_title",
    "tier",
    "score",
    "fit",
    "engagement",
    "stage",
    "top_topic",
    "topic_scores",
    "owner",
    "explanation",
    "due_at",
    "decision_role",
    "industry",
    "company_size",
    "country",
    "sessions",
    "minutes",
    "next_need",
    "next_need_reason",
];

/// One exported lead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRow {
    pub email: String,
    pub name: String,
    pub company: String,
    pub job_title: String,
    pub tier: String,
    pub score: f64,
    pub fit: f64,
    pub engagement: f64,
    pub stage: String,
    pub top_topic: String,
    pub topic_scores: String,
    pub owner: String,
    pub explanation: String,
    pub due_at: String,
    pub decision_role: String,
    pub industry: String,
    pub company_size: String,
    pub country: String,
    pub sessions: u32,
    pub minutes: u32,
    /// The likely next need's topic slug, and why.
    pub next_need: String,
    pub next_need_reason: String,
}

impl ExportRow {
    pub fn new(p: &LeadPackage, owner: Option<&str>, due_at: Option<String>) -> ExportRow {
        ExportRow {
            email: p.contact.email.clone(),
            name: p.contact.name.clone(),
            company: p.contact.company.clone(),
            job_title: p.contact.job_title.clone(),
            tier: p.tier.as_str().into(),
            score: p.score,
            fit: p.fit,
            engagement: p.engagement,
            stage: or_blank::key(p.needs.stage).into(),
            top_topic: p.top_topic().map(|t| t.slug.clone()).unwrap_or_default(),
            topic_scores: p.topic_scores(),
            owner: owner.unwrap_or_default().into(),
            explanation: p.explanation.clone(),
            due_at: due_at.unwrap_or_default(),
            decision_role: or_blank::key(p.contact.decision_role).into(),
            industry: or_blank::key(p.needs.industry_key).into(),
            company_size: p.needs.company_size.clone(),
            country: p.contact.country.clone(),
            sessions: p.session_count,
            minutes: p.minutes,
            next_need: p
                .next_need
                .as_ref()
                .map(|n| n.slug.clone())
                .unwrap_or_default(),
            next_need_reason: p
                .next_need
                .as_ref()
                .map(|n| n.reason.clone())
                .unwrap_or_default(),
        }
    }

    fn cells(&self) -> [String; 22] {
        let g = |s: &str| guard_formula(s);
        [
            g(&self.email),
            g(&self.name),
            g(&self.company),
            g(&self.job_title),
            self.tier.clone(),
            self.score.to_string(),
            self.fit.to_string(),
            self.engagement.to_string(),
            g(&self.stage),
            g(&self.top_topic),
            g(&self.topic_scores),
            g(&self.owner),
            g(&self.explanation),
            self.due_at.clone(),
            g(&self.decision_role),
            g(&self.industry),
            g(&self.company_size),
            g(&self.country),
            self.sessions.to_string(),
            self.minutes.to_string(),
            g(&self.next_need),
            g(&self.next_need_reason),
        ]
    }
}

/// Writes CSV: the header, then each row as it comes.
pub struct CsvExport<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> CsvExport<W> {
    pub fn new(out: W) -> csv::Result<Self> {
        let mut out = csv::Writer::from_writer(out);
        out.write_record(COLUMNS)?;
        Ok(CsvExport { out })
    }

    pub fn row(&mut self, row: &ExportRow) -> csv::Result<()> {
        self.out.write_record(row.cells())
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

/// Writes a JSON array of rows, one object per line.
pub struct JsonExport<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> JsonExport<W> {
    pub fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(b"[")?;
        Ok(JsonExport { out, first: true })
    }

    pub fn row(&mut self, row: &ExportRow) -> std::io::Result<()> {
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, row)?;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(b"\n]\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}
