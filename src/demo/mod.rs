//! `badgetrail demo`: a sample event run end to end on the embedded defaults.

pub mod follow_up;
pub mod people;
pub mod programme;

use anyhow::Context as _;
use jiff::Timestamp;

use crate::{
    accounts, app,
    config::Settings,
    context::Context,
    domain::{attendee::Registration, user::Role},
    jobs,
    registration::{self, Source},
};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many attendees to register.
    #[arg(long, default_value_t = 300)]
    pub attendees: usize,
    /// Stop after preparing the data instead of serving the web UI.
    #[arg(long)]
    pub no_serve: bool,
}

/// Staff accounts the demo creates, one per role.
pub const DEMO_USERS: &[(&str, Role)] = &[
    ("admin", Role::Admin),
    ("marketer", Role::Marketer),
    ("staff", Role::Staff),
    ("sales", Role::Sales),
];
/// The demo's shared password; only ever used for the sample accounts.
pub const DEMO_PASSWORD: &str = "badgetrail-demo";

/// What the demo prepared.
#[derive(Debug)]
pub struct DemoReport {
    pub registered: usize,
    pub emails_sent: usize,
    pub sample_badge: String,
    /// Follow-up emails sent by the last step.
    pub follow_up: follow_up::FollowUpReport,
}

/// Creates the sample event, registers attendees, creates staff accounts and sends every
/// badge email through the configured transport.
pub async fn prepare(ctx: &Context, attendees: usize) -> anyhow::Result<DemoReport> {
    let now = Timestamp::now();
    let p = programme::cloud_summit();
    ctx.store.import_programme(&p, now).await?;
    let event = ctx
        .store
        .event_by_slug(programme::SLUG)
        .await?
        .context("sample event vanished")?;
    let topics: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();
    let regs = people::synthetic(attendees, &topics, 2026)
        .iter()
        .map(|input| Registration::parse(input, &topics).map_err(|e| anyhow::anyhow!("{e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut sample_badge = String::new();
    for chunk in regs.chunks(100) {
        let outcomes = registration::record(ctx, &event, chunk, Source::Demo, true, now).await?;
        if sample_badge.is_empty() {
            sample_badge = outcomes
                .first()
                .map(|o| o.token.clone())
                .unwrap_or_default();
        }
    }
    for (name, role) in DEMO_USERS {
        accounts::upsert_user(&ctx.store, name, name, *role, DEMO_PASSWORD, now).await?;
    }
    let run = jobs::badge_mail::run_once(ctx).await?;
    // Last: the follow-up email works off whatever leads exist by now.
    let follow_up = follow_up::send_follow_up(ctx, &event).await?;
    Ok(DemoReport {
        registered: regs.len(),
        emails_sent: run.sent,
        sample_badge,
        follow_up,
    })
}

pub async fn run(settings: Settings, args: DemoArgs) -> anyhow::Result<()> {
    let ctx = Context::build(settings).await?;
    let report = prepare(&ctx, args.attendees).await?;
    let s = &ctx.settings;
    println!("Demo event '{}' ready:", programme::SLUG);
    println!(
        "  {} attendees registered, {} badge emails sent via {:?}",
        report.registered, report.emails_sent, s.mail.transport
    );
    if report.follow_up.already_sent {
        println!(
            "  follow-up emails: campaign '{}' was sent by an earlier run",
            follow_up::CAMPAIGN_SLUG
        );
    } else {
        println!(
            "  {} follow-up emails sent (campaign '{}', {} queued)",
            report.follow_up.sent,
            follow_up::CAMPAIGN_SLUG,
            report.follow_up.queued
        );
    }
    if matches!(s.mail.transport, crate::mail::TransportKind::Outbox) {
        println!("  outbox: {}", s.mail.outbox_dir.display());
    }
    println!();
    println!(
        "  Registration:  {}/e/{}/register",
        s.public_url,
        programme::SLUG
    );
    println!(
        "  A badge:       {}/b/{}",
        s.public_url, report.sample_badge
    );
    println!(
        "  Staff pages:   {}/admin  (users: admin, marketer, staff, sales; password: {DEMO_PASSWORD})",
        s.public_url
    );
    println!(
        "  Campaign:      {}/admin/events/{}/campaigns/{}",
        s.public_url,
        programme::SLUG,
        follow_up::CAMPAIGN_SLUG
    );
    if args.no_serve {
        return Ok(());
    }
    println!();
    println!("Serving on {} - press Ctrl-C to stop.", s.public_url);
    app::Application::build(ctx.clone())
        .await?
        .run_until_stopped(app::shutdown_signal())
        .await
}
