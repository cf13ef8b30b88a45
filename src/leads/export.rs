//! `badgetrail leads export`: the stored leads of an event as CSV or JSON, streamed page by
//! page from the database.

use std::io::Write;

use anyhow::Context as _;

use crate::{
    domain::lead::LeadPackage,
    formats::leads_export::{CsvExport, ExportRow, JsonExport},
    store::{EventRecord, Store, ts},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

const PAGE: i64 = 5_000;

/// Writes every stored lead of `event` to `out`; returns how many.
pub async fn export(
    store: &Store,
    event: &EventRecord,
    format: ExportFormat,
    out: impl Write,
) -> anyhow::Result<usize> {
    enum Sink<W: Write> {
        Csv(Box<CsvExport<W>>),
        Json(JsonExport<W>),
    }
    let mut sink = match format {
        ExportFormat::Csv => Sink::Csv(Box::new(CsvExport::new(out)?)),
        ExportFormat::Json => Sink::Json(JsonExport::new(out)?),
    };
    let tz = event.info.tz().map_err(|e| anyhow::anyhow!(e))?;
    let mut after = 0;
    let mut n = 0;
    loop {
        let page = store.event_leads_page(event.id, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.lead.attendee_id;
        for row in &page {
            let package: LeadPackage = row.lead.package().with_context(|| {
                format!(
                    "stored lead of attendee {} is unreadable",
                    row.lead.attendee_id
                )
            })?;
            let due = row.lead.due_at.map(|ms| {
                ts(ms)
                    .to_zoned(tz.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            });
            let r = ExportRow::new(&package, row.owner.as_deref(), due);
            match &mut sink {
                Sink::Csv(w) => w.row(&r)?,
                Sink::Json(w) => w.row(&r)?,
            }
            n += 1;
        }
    }
    match sink {
        Sink::Csv(w) => drop(w.finish()?),
        Sink::Json(w) => drop(w.finish()?),
    }
    Ok(n)
}
