//! The command line: each subcommand parses its arguments and calls one library flow.

mod attendees;
mod campaign;
mod event;
mod feedback;
mod leads;
mod retention;
mod scans;
mod users;

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::{app, config::Settings, context::Context, demo, jobs};

#[derive(Debug, Parser)]
#[command(
    name = "badgetrail",
    version,
    about = "Conference check-in that turns session visits into tiered sales leads"
)]
pub struct Cli {
    /// Configuration file (TOML). Defaults to ./badgetrail.toml when it exists.
    #[arg(long, global = true, env = "BADGETRAIL_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (registration, badges, kiosk, staff pages) and the mailer.
    Serve,
    /// Bring the database schema up to date.
    Migrate,
    /// Print the effective configuration, secrets hidden.
    Config,
    /// Event programmes: import and export.
    #[command(subcommand)]
    Event(event::EventCommand),
    /// Attendees registered elsewhere.
    #[command(subcommand)]
    Attendees(attendees::AttendeesCommand),
    /// Door scans exported by handheld scanners.
    #[command(subcommand)]
    Scans(scans::ScansCommand),
    /// Staff accounts.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Leads: build them from trails, preview scoring changes, export.
    #[command(subcommand)]
    Leads(leads::LeadsCommand),
    /// Sales outcomes and what they lead to: the playbook, who is due to be reached again.
    #[command(subcommand)]
    Feedback(feedback::FeedbackCommand),
    /// Follow-up email campaigns: content files, audience, sending, reports, returned mail.
    #[command(subcommand)]
    Campaign(campaign::CampaignCommand),
    /// How long each event keeps personal data; erasing what is past it.
    #[command(subcommand)]
    Retention(retention::RetentionCommand),
    /// Send the queued badge emails now, then exit.
    SendMail,
    /// Create a sample event with registered attendees, email their badges to the outbox, and serve.
    Demo(demo::DemoArgs),
}

/// The event named by `slug` on the command line, or an error saying there is none.
async fn event(ctx: &Context, slug: &str) -> anyhow::Result<crate::store::EventRecord> {
    use anyhow::Context as _;
    ctx.store
        .events()
        .event_by_slug(slug)
        .await?
        .with_context(|| format!("no event '{slug}'"))
}

/// Runs one command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref()).map_err(anyhow::Error::msg)?;
    match cli.command {
        Command::Config => {
            print!("{}", settings.redacted_toml());
            Ok(())
        }
        Command::Migrate => {
            Context::build(settings).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Serve => {
            let ctx = Context::build(settings).await?;
            let server = app::Application::build(ctx).await?;
            // Where the socket is and where people reach it differ behind a proxy; say both.
            println!(
                "badgetrail listening on {} (public address {})",
                server.local_addr()?,
                server.context().settings.public_url
            );
            server.run_until_stopped(app::shutdown_signal()).await
        }
        Command::Event(cmd) => event::run(Context::build(settings).await?, cmd).await,
        Command::Attendees(cmd) => attendees::run(Context::build(settings).await?, cmd).await,
        Command::Scans(cmd) => scans::run(Context::build(settings).await?, cmd).await,
        Command::Leads(cmd) => leads::run(Context::build(settings).await?, cmd).await,
        Command::Feedback(cmd) => feedback::run(Context::build(settings).await?, cmd).await,
        Command::Campaign(cmd) => campaign::run(Context::build(settings).await?, cmd).await,
        Command::User(cmd) => users::run(Context::build(settings).await?, cmd).await,
        Command::Retention(cmd) => retention::run(Context::build(settings).await?, cmd).await,
        Command::SendMail => {
            let ctx = Context::build(settings).await?;
            let run = jobs::badge_mail::run_once(&ctx)
                .await
                .context("sending mail")?;
            println!(
                "sent {}, will retry {}, failed {}",
                run.sent, run.retrying, run.failed
            );
            Ok(())
        }
        Command::Demo(args) => demo::run(settings, args).await,
    }
}
