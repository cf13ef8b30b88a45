//! `badgetrail leads`: build (or preview) an event's leads, export them, print the default
//! scoring file.

use std::{fs::File, io::BufWriter, path::PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::event;
use crate::{
    context::Context,
    formats::{crm_export::CrmPreset, lead_files},
    leads::{self, BuildOptions, FileChoice, Phase, export::ExportFormat},
};

#[derive(Debug, Subcommand)]
pub enum LeadsCommand {
    /// Score every attendee's trail into a tiered, explained, routed lead and store them.
    Build {
        #[arg(long)]
        event: String,
        /// Scoring rules (TOML); default: <leads.config_dir>/<event>/scoring.toml, or the
        /// documented defaults.
        #[arg(long)]
        scoring: Option<PathBuf>,
        /// Routing file (TOML); default: <leads.config_dir>/<event>/routing.toml.
        #[arg(long)]
        routing: Option<PathBuf>,
        /// Content library (TOML); default: <leads.config_dir>/<event>/content.toml.
        #[arg(long)]
        content: Option<PathBuf>,
        /// Store nothing: report how many leads would move between tiers, and which.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run, how many moved leads to list.
        #[arg(long, default_value_t = 50)]
        show: usize,
    },
    /// Write the stored leads of an event as CSV or JSON, or as a CRM's import file
    /// (docs/formats.md).
    Export {
        #[arg(long)]
        event: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// A CSV a Salesforce lead import or a HubSpot contact import takes as it is.
        #[arg(long, value_enum, conflicts_with = "format")]
        preset: Option<CrmPreset>,
        /// With --preset salesforce, the Lead Source of every lead (a value of the org's
        /// Lead Source picklist).
        #[arg(long, default_value = "Other", requires = "preset")]
        lead_source: String,
        /// File to write; standard output when left out.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Print the default scoring rules as a scoring file to start from.
    Defaults,
    /// Show an event's watch rules (hot-lead alerts while it runs), or replace them with a
    /// file: checked whole, saved only when every line is right.
    Watch {
        event: String,
        /// Watch file (TOML, docs/formats.md "Watch rules") to save.
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

pub async fn run(ctx: Context, cmd: LeadsCommand) -> anyhow::Result<()> {
    match cmd {
        LeadsCommand::Build {
            event: slug,
            scoring,
            routing,
            content,
            dry_run,
            show,
        } => {
            let ev = event(&ctx, &slug).await?;
            let opts = BuildOptions {
                files: FileChoice {
                    scoring,
                    routing,
                    content,
                    playbook: None,
                },
                dry_run,
                started_by: "cli".into(),
            };
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(5));
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:15} {bar:40} {pos}/{len} attendees, {per_sec}, ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let report = leads::build(&ctx, &ev, &opts, &|p| {
                bar.set_length(p.total as u64);
                bar.set_position(p.done as u64);
                bar.set_message(p.phase.as_str());
                if p.phase == Phase::Done {
                    bar.finish_and_clear();
                }
            })
            .await;
            bar.finish_and_clear();
            let report = report?;
            for s in &report.sources {
                println!("{s}");
            }
            let tiers: Vec<String> = report
                .tiers
                .iter()
                .map(|(t, n)| format!("{t} {n}"))
                .collect();
            if dry_run {
                println!(
                    "dry run: {} leads ({}); {} would move between tiers; nothing stored",
                    report.leads,
                    tiers.join(", "),
                    report.moved
                );
                for ((from, to), n) in &report.moves.counts {
                    let from = from.map_or("none", |t| t.as_str());
                    println!("  {from} -> {}: {n}", to.as_str());
                }
                for (attendee, from, to) in report.moves.moved.iter().take(show) {
                    let from = from.map_or("none", |t| t.as_str());
                    println!("  attendee {attendee}: {from} -> {}", to.as_str());
                }
                if report.moved > show {
                    println!("  ... and {} more", report.moved - show);
                }
            } else {
                println!(
                    "built {} leads for {slug} ({}); {} routed to sales; {} changed tier since the last build",
                    report.leads,
                    tiers.join(", "),
                    report.routed,
                    report.moved
                );
                if report.webhook_posted + report.webhook_failed > 0 {
                    println!(
                        "webhook: {} posted, {} failed",
                        report.webhook_posted, report.webhook_failed
                    );
                }
            }
            Ok(())
        }
        LeadsCommand::Export {
            event: slug,
            preset: Some(preset),
            lead_source,
            output,
            ..
        } => {
            let ev = event(&ctx, &slug).await?;
            let owners = &ctx.settings.leads.crm_owners;
            let done = match &output {
                Some(path) => {
                    let file = File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    let out = BufWriter::new(file);
                    leads::export::export_crm(&ctx.store, &ev, preset, owners, &lead_source, out)
                        .await?
                }
                None => {
                    let out = std::io::stdout().lock();
                    leads::export::export_crm(&ctx.store, &ev, preset, owners, &lead_source, out)
                        .await?
                }
            };
            if let Some(path) = output {
                eprintln!("wrote {} leads to {}", done.leads, path.display());
            }
            if done.owner_unknown > 0 {
                eprintln!(
                    "{} routed leads have no CRM owner: map their owners' login names in leads.crm_owners",
                    done.owner_unknown
                );
            }
            Ok(())
        }
        LeadsCommand::Export {
            event: slug,
            format,
            output,
            preset: None,
            ..
        } => {
            let ev = event(&ctx, &slug).await?;
            let n = match &output {
                Some(path) => {
                    let file = File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    leads::export::export(&ctx.store, &ev, format, BufWriter::new(file)).await?
                }
                None => {
                    leads::export::export(&ctx.store, &ev, format, std::io::stdout().lock()).await?
                }
            };
            if let Some(path) = output {
                eprintln!("wrote {n} leads to {}", path.display());
            }
            Ok(())
        }
        LeadsCommand::Defaults => {
            print!("{}", lead_files::default_scoring_file());
            Ok(())
        }
        LeadsCommand::Watch { event: slug, file } => {
            let ev = event(&ctx, &slug).await?;
            let Some(path) = file else {
                print!("{}", leads::watch_file::current(&ctx, &ev).await?.0);
                return Ok(());
            };
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            match leads::watch_file::save(&ctx, &ev, &text, "cli").await? {
                Ok(rules) => {
                    eprintln!("saved {} watch rule(s) for {slug}", rules.rules.len());
                    Ok(())
                }
                Err(problems) => {
                    for p in &problems {
                        match p.line {
                            0 => eprintln!("{}: {}", path.display(), p.message),
                            _ => eprintln!("{}: {p}", path.display()),
                        }
                    }
                    anyhow::bail!("{} problem(s); nothing saved", problems.len())
                }
            }
        }
    }
}
