//! `badgetrail event ...`: import and export of event programmes (the programme page
//! reads the same files through `event_setup::files`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Subcommand;
use jiff::Timestamp;

use crate::{
    context::Context,
    event_setup,
    formats::{self, EventFileFormat, RowError},
};

#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// Import an event file (TOML or YAML), or a sessions CSV into an existing event.
    ///
    /// Re-importing updates in place by stable keys; a file with any bad row changes nothing.
    Import {
        file: PathBuf,
        /// For a sessions CSV: the event it belongs to.
        #[arg(long)]
        event: Option<String>,
    },
    /// Write an event's programme as TOML, YAML or a sessions CSV (chosen by the file extension).
    Export {
        slug: String,
        /// Output file: .toml, .yaml/.yml or .csv. Standard output as TOML when omitted.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

/// Prints every row error and fails.
pub(crate) fn reject(file: &Path, errors: &[RowError]) -> anyhow::Error {
    for e in errors {
        eprintln!("{}: {e}", file.display());
    }
    anyhow::anyhow!(
        "{} rejected: {} problem{}; nothing was imported",
        file.display(),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    )
}

fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}

pub async fn run(ctx: Context, cmd: EventCommand) -> anyhow::Result<()> {
    match cmd {
        EventCommand::Import { file, event } => import(&ctx, &file, event.as_deref()).await,
        EventCommand::Export { slug, out } => export(&ctx, &slug, out.as_deref()).await,
    }
}

async fn import(ctx: &Context, file: &Path, event: Option<&str>) -> anyhow::Result<()> {
    let is_csv = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let programme = if is_csv {
        let slug = event.context("a sessions CSV needs --event SLUG")?;
        let mut programme = ctx
            .store
            .events()
            .load_programme(slug)
            .await?
            .with_context(|| format!("no event '{slug}'"))?;
        let bytes = read(file)?;
        let warnings = event_setup::files::merge_sessions_csv(&mut programme, &bytes)
            .map_err(|e| reject(file, &e))?;
        for w in &warnings {
            eprintln!("{}: warning: {w}", file.display());
        }
        programme
    } else {
        let format = EventFileFormat::from_path(file)
            .context("event files end in .toml, .yaml, .yml (or .csv for sessions)")?;
        let bytes = read(file)?;
        if std::str::from_utf8(&bytes).is_err() {
            bail!("{} is not UTF-8 text", file.display());
        }
        let parsed =
            event_setup::files::read_event_file(&bytes, format).map_err(|e| reject(file, &e))?;
        let mut programme = parsed.programme;
        if let Some(csv) = parsed.sessions_csv {
            let csv_path = file.parent().unwrap_or(Path::new(".")).join(csv);
            let bytes = read(&csv_path)?;
            let warnings = event_setup::files::merge_sessions_csv(&mut programme, &bytes)
                .map_err(|e| reject(&csv_path, &e))?;
            for w in &warnings {
                eprintln!("{}: warning: {w}", csv_path.display());
            }
        }
        programme
    };
    if let Err(problems) = programme.validate() {
        for p in &problems {
            eprintln!("{}: {p}", file.display());
        }
        bail!("{} rejected; nothing was imported", file.display());
    }
    let summary = ctx
        .store
        .events()
        .import_programme(&programme, Timestamp::now())
        .await?;
    println!(
        "{} event {}: {} topics, {} rooms, {} sessions",
        if summary.created {
            "created"
        } else {
            "updated"
        },
        programme.event.slug,
        summary.topics,
        summary.rooms,
        summary.sessions
    );
    if !summary.sessions_not_in_file.is_empty() {
        println!(
            "kept {} stored session(s) the file no longer lists: {}",
            summary.sessions_not_in_file.len(),
            summary.sessions_not_in_file.join(", ")
        );
    }
    Ok(())
}

async fn export(ctx: &Context, slug: &str, out: Option<&Path>) -> anyhow::Result<()> {
    let programme = ctx
        .store
        .events()
        .load_programme(slug)
        .await?
        .with_context(|| format!("no event '{slug}'"))?;
    let text = match out {
        Some(p) if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => {
            formats::write_sessions_csv(&programme)
        }
        Some(p) => {
            let format =
                EventFileFormat::from_path(p).context("export to .toml, .yaml, .yml or .csv")?;
            formats::write_event_file(&programme, format)
        }
        None => formats::write_event_file(&programme, EventFileFormat::Toml),
    };
    match out {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?;
            println!("wrote {}", p.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}
