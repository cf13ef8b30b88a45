//! `badgetrail scans ...`: scans exported by handheld scanners.

use std::{collections::BTreeMap, path::PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use jiff::Timestamp;

use super::event::reject;
use crate::{
    context::Context,
    door::{self, ReportedScan, ScanBatch},
    formats,
    web::door::api::MAX_BATCH,
};

#[derive(Debug, Subcommand)]
pub enum ScansCommand {
    /// Import a scans CSV (nonce,badge,room,scanned_at,direction). Malformed rows reject the
    /// whole file; each scan is then decided by the same rules as at the door. Importing the
    /// same file again changes nothing.
    Import {
        file: PathBuf,
        #[arg(long)]
        event: String,
    },
}

pub async fn run(ctx: Context, cmd: ScansCommand) -> anyhow::Result<()> {
    let ScansCommand::Import { file, event } = cmd;
    let event = ctx
        .store
        .events()
        .event_by_slug(&event)
        .await?
        .with_context(|| format!("no event '{event}'"))?;
    let tz = event.info.tz().map_err(anyhow::Error::msg)?;
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let parsed = formats::parse_scans_csv(&bytes, &tz, &event.info.time_zone)
        .map_err(|e| reject(&file, &e))?;
    for w in &parsed.warnings {
        eprintln!("{}: warning: {w}", file.display());
    }
    let now = Timestamp::now();
    let device_id = ctx.store.door().import_device(event.id, now).await?;
    let device = ctx
        .store
        .door()
        .list_devices(event.id)
        .await?
        .into_iter()
        .find(|d| d.id == device_id)
        .context("import device vanished")?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for chunk in parsed.rows.chunks(MAX_BATCH) {
        let batch = ScanBatch {
            // Times in the file are already on the server's clock: no skew to correct.
            sent_at: now,
            app_version: "file import".into(),
            queue_size: 0,
            scans: chunk
                .iter()
                .map(|r| ReportedScan {
                    nonce: r.nonce.clone(),
                    badge: r.badge.clone(),
                    device_time: r.scanned_at,
                    direction: r.direction,
                    room: Some(r.room.clone()),
                })
                .collect(),
        };
        for v in door::ingest(&ctx, &device, &batch, now).await? {
            let key = match v.reason {
                Some(r) => format!("{} ({r})", v.decision),
                None => v.decision.to_string(),
            };
            *counts.entry(key).or_default() += 1;
        }
    }
    println!(
        "imported {} scans from {}",
        parsed.rows.len(),
        file.display()
    );
    for (k, n) in counts {
        println!("  {k}: {n}");
    }
    Ok(())
}
