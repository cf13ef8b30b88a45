//! `badgetrail leads export`: the stored leads of an event as CSV or JSON, or as a CRM's
//! import file (`--preset`), streamed page by page from the database.

use std::{collections::BTreeMap, io::Write};

use anyhow::Context as _;

use crate::{
    domain::leads::package::LeadPackage,
    formats::{
        crm_export::{CrmExport, CrmLead, CrmPreset},
        leads_export::{CsvExport, ExportRow, JsonExport},
    },
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
        let page = store
            .leads()
            .event_leads_page(event.id, after, PAGE)
            .await?;
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

/// What a CRM export wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CrmExported {
    pub leads: usize,
    /// Routed leads whose owner has no CRM owner to write (see `crm_owner`).
    pub owner_unknown: usize,
}

/// The owner as `preset`'s CRM knows them: `leads.crm_owners` maps login names to that
/// value; without an entry, Salesforce gets the display name (its import matches the owner's
/// full name) and HubSpot the login name if it is an email address (its import wants the
/// owner's email), else nothing.
pub fn crm_owner(
    preset: CrmPreset,
    owners: &BTreeMap<String, String>,
    username: &str,
    display_name: Option<&str>,
) -> Option<String> {
    if let Some(v) = owners.get(username) {
        return Some(v.clone());
    }
    match preset {
        CrmPreset::Salesforce => display_name.map(str::to_owned),
        CrmPreset::Hubspot => username.contains('@').then(|| username.to_owned()),
    }
}

/// Writes every stored lead of `event` as `preset`'s import file to `out`.
pub async fn export_crm(
    store: &Store,
    event: &EventRecord,
    preset: CrmPreset,
    owners: &BTreeMap<String, String>,
    lead_source: &str,
    out: impl Write,
) -> anyhow::Result<CrmExported> {
    let mut sink = CrmExport::new(out, preset, lead_source)?;
    let mut after = 0;
    let mut done = CrmExported::default();
    loop {
        let page = store
            .leads()
            .event_leads_export_page(event.id, after, PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.row.lead.attendee_id;
        for r in &page {
            let package: LeadPackage = r.row.lead.package().with_context(|| {
                format!(
                    "stored lead of attendee {} is unreadable",
                    r.row.lead.attendee_id
                )
            })?;
            let owner = r
                .row
                .owner
                .as_deref()
                .and_then(|u| crm_owner(preset, owners, u, r.owner_name.as_deref()));
            if r.row.owner.is_some() && owner.is_none() {
                done.owner_unknown += 1;
            }
            sink.row(&CrmLead {
                package: &package,
                owner: owner.as_deref(),
                latest: r.latest,
            })?;
            done.leads += 1;
        }
    }
    drop(sink.finish()?);
    Ok(done)
}
