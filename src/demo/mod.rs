//! `badgetrail demo`: a sample event run end to end on the embedded defaults.

pub mod door_day;
pub mod door_scans;
pub mod follow_up;
pub mod people;
pub mod programme;
pub mod recovery;
pub mod recovery_reference;
pub mod sales_feedback;
pub mod second_event;
pub mod sim_programme;
pub mod today;

use anyhow::Context as _;
use jiff::Timestamp;

use crate::{
    accounts, app,
    config::Settings,
    context::Context,
    domain::{
        attendee::Registration,
        door::scan::{self, SessionSlot},
        user::Role,
    },
    door, jobs, leads,
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
    ("sales2", Role::Sales),
];
/// The demo's shared password; only ever used for the sample accounts.
pub const DEMO_PASSWORD: &str = "badgetrail-demo";

/// What the demo prepared.
#[derive(Debug)]
pub struct DemoReport {
    pub registered: usize,
    /// People of the first event also registered for the second (`second_event`).
    pub returning: usize,
    /// The simulated door day; `None` when an earlier run already played it.
    pub doors: Option<door_scans::DoorReport>,
    pub leads: leads::BuildReport,
    pub emails_sent: usize,
    pub sample_badge: String,
    /// Follow-up emails sent by the last step.
    pub follow_up: follow_up::FollowUpReport,
    /// A kiosk waiting to be paired at the door of `today::KIOSK_ROOM`.
    pub kiosk: DemoKiosk,
}

/// The demo's kiosk: a device bound to a room, and what runs there now.
#[derive(Debug)]
pub struct DemoKiosk {
    pub device: door::NewDevice,
    pub room: String,
    /// The title of the session a scan made now counts for, if any.
    pub session_now: Option<String>,
    /// The event's time zone, for showing times.
    pub time_zone: String,
}

/// Creates the sample event, registers attendees, creates staff accounts and sends every
/// badge email through the configured transport.
pub async fn prepare(ctx: &Context, attendees: usize) -> anyhow::Result<DemoReport> {
    let now = Timestamp::now();
    let p = today::programme_at(now, &today::local_time_zone());
    // The first run schedules the event on its day. Later runs leave the sessions where they
    // are: the first day's scans belong to them and would be cut off if they moved.
    let played = match ctx.store.events().event_by_slug(programme::SLUG).await? {
        Some(e) => ctx.store.door().event_has_scans(e.id).await?,
        None => false,
    };
    if !played {
        ctx.store.events().import_programme(&p, now).await?;
    }
    let event = ctx
        .store
        .events()
        .event_by_slug(programme::SLUG)
        .await?
        .context("sample event vanished")?;
    let topics: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();
    let inputs = people::synthetic(attendees, &topics, 2026);
    let regs = inputs
        .iter()
        .map(|input| Registration::parse(input, &topics).map_err(|e| anyhow::anyhow!("{e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut sample_badge = String::new();
    let mut badges = Vec::with_capacity(regs.len());
    for chunk in regs.chunks(100) {
        let outcomes = registration::record(ctx, &event, chunk, Source::Demo, true, now).await?;
        if sample_badge.is_empty() {
            sample_badge = outcomes
                .first()
                .map(|o| o.token.clone())
                .unwrap_or_default();
        }
        for (o, r) in outcomes.into_iter().zip(chunk) {
            badges.push((o.attendee_id, o.token, r.interests.clone()));
        }
    }
    for (name, role) in DEMO_USERS {
        accounts::upsert_user(&ctx.store, name, name, *role, DEMO_PASSWORD, now).await?;
        // Reminders about overdue leads land in the outbox like every other email.
        let address = format!("{name}@badgetrail.example");
        ctx.store
            .leads()
            .set_user_email(name, Some(&address))
            .await?;
    }
    let run = jobs::badge_mail::run_once(ctx).await?;
    // The day at the doors, once: a second demo run keeps the first day's scans.
    let doors = if played {
        None
    } else {
        Some(door_scans::play(ctx, &event, &p, &badges, 2026).await?)
    };
    write_lead_files(&ctx.settings.leads.config_dir)?;
    let build = leads::BuildOptions {
        started_by: "demo".into(),
        ..leads::BuildOptions::default()
    };
    let mut leads = leads::build(ctx, &event, &build, &|_| {})
        .await
        .context("building the sample leads")?;
    // Sales report back on a few leads; the next build acts on what they said.
    if sales_feedback::record(ctx, &event).await? > 0 {
        leads = leads::build(ctx, &event, &build, &|_| {})
            .await
            .context("rebuilding the sample leads after sales feedback")?;
    }
    let returning =
        second_event::prepare(ctx, event.info.starts_on, &event.info.time_zone, &inputs)
            .await
            .context("the second sample event")?;
    // Last: the follow-up email works off whatever leads exist by now.
    let follow_up = follow_up::send_follow_up(ctx, &event).await?;
    let second = ctx
        .store
        .events()
        .event_by_slug(second_event::SLUG)
        .await?
        .context("the second sample event vanished")?;
    follow_up::prepare_pool_campaign(ctx, &second).await?;
    let kiosk = demo_kiosk(ctx, &event).await?;
    Ok(DemoReport {
        kiosk,
        doors,
        leads,
        registered: regs.len(),
        returning,
        emails_sent: run.sent,
        sample_badge,
        follow_up,
    })
}

/// Creates a kiosk bound to `today::KIOSK_ROOM`, with a fresh pairing code.
async fn demo_kiosk(ctx: &Context, event: &crate::store::EventRecord) -> anyhow::Result<DemoKiosk> {
    let now = Timestamp::now();
    let room = today::KIOSK_ROOM;
    let device = door::create_device(ctx, event, Some(room), "Demo kiosk", now).await?;
    let rooms = ctx.store.door().kiosk_rooms(event.id).await?;
    let room_id = rooms
        .iter()
        .find(|r| r.name == room)
        .map(|r| r.id)
        .context("the kiosk's room vanished")?;
    let sessions = ctx.store.door().kiosk_sessions(event.id).await?;
    let slots: Vec<SessionSlot> = sessions
        .iter()
        .map(|s| SessionSlot {
            session_id: s.id,
            room_id: s.room_id,
            starts_at: crate::store::ts(s.starts_at),
            ends_at: crate::store::ts(s.ends_at),
        })
        .collect();
    let session_now = scan::resolve_session(&slots, room_id, now, &door::rules())
        .and_then(|slot| sessions.iter().find(|s| s.id == slot.session_id))
        .map(|s| s.title.clone());
    Ok(DemoKiosk {
        device,
        room: room.to_owned(),
        session_now,
        time_zone: event.info.time_zone.clone(),
    })
}

/// The sample event's lead files, written to `<config_dir>/<slug>/` unless already there
/// (so edits survive the next demo run).
fn write_lead_files(config_dir: &std::path::Path) -> anyhow::Result<()> {
    let dir = config_dir.join(programme::SLUG);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, text) in [
        (
            "scoring.toml",
            include_str!("../../examples/cloud-summit-scoring.toml"),
        ),
        (
            "routing.toml",
            include_str!("../../examples/cloud-summit-routing.toml"),
        ),
        (
            "content.toml",
            include_str!("../../examples/cloud-summit-content.toml"),
        ),
    ] {
        let path = dir.join(name);
        if !path.exists() {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(())
}

pub async fn run(mut settings: Settings, args: DemoArgs) -> anyhow::Result<()> {
    // The sample event has a fixed date that retention will one day have passed; the demo
    // keeps its people (`badgetrail retention run --dry-run` still shows the policy at work).
    settings.retention_hours = 0;
    let ctx = Context::build(settings).await?;
    let report = prepare(&ctx, args.attendees).await?;
    let s = &ctx.settings;
    print!("{}", summary(&report, s));
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

/// What the demo prints once it is ready: what it did and where to go next.
pub fn summary(report: &DemoReport, s: &Settings) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("Demo event '{}' ready:", programme::SLUG));
    line(format!(
        "  {} attendees registered, {} badge emails sent via {:?}",
        report.registered, report.emails_sent, s.mail.transport
    ));
    if let Some(d) = &report.doors {
        line(format!(
            "  door day simulated: {} scans ({} accepted, {} duplicates, {} refused), {} no-shows",
            d.scans, d.accepted, d.duplicates, d.refused, d.no_shows
        ));
    }
    let tiers: Vec<String> = report
        .leads
        .tiers
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    line(format!(
        "  {} leads built ({}), {} routed to sales",
        report.leads.leads,
        tiers.join(", "),
        report.leads.routed
    ));
    line(format!(
        "  second event '{}' a month later: {} of the same people registered (one person each across both events)",
        second_event::SLUG,
        report.returning
    ));
    line(format!(
        "  a draft campaign to the data pool across both events: /admin/events/{}/campaigns/{}",
        second_event::SLUG,
        follow_up::POOL_CAMPAIGN_SLUG
    ));
    if report.follow_up.already_sent {
        line(format!(
            "  follow-up emails: campaign '{}' was sent by an earlier run",
            follow_up::CAMPAIGN_SLUG
        ));
    } else {
        line(format!(
            "  {} follow-up emails sent (campaign '{}', {} queued)",
            report.follow_up.sent,
            follow_up::CAMPAIGN_SLUG,
            report.follow_up.queued
        ));
    }
    if matches!(s.mail.transport, crate::mail::TransportKind::Outbox) {
        line(format!("  outbox: {}", s.mail.outbox_dir.display()));
    }
    line(String::new());
    line(format!(
        "  Registration:  {}/e/{}/register",
        s.public_url,
        programme::SLUG
    ));
    line(format!(
        "  A badge:       {}/b/{}",
        s.public_url, report.sample_badge
    ));
    line(format!(
        "  Staff pages:   {}/admin  (users: admin, marketer, staff, sales; password: {DEMO_PASSWORD})",
        s.public_url
    ));
    line(format!(
        "  Campaign:      {}/admin/events/{}/campaigns/{}",
        s.public_url,
        programme::SLUG,
        follow_up::CAMPAIGN_SLUG
    ));
    let k = &report.kiosk;
    let until = jiff::tz::TimeZone::get(&k.time_zone)
        .map(|tz| {
            k.device
                .expires_at
                .to_zoned(tz)
                .strftime("%H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| k.device.expires_at.to_string());
    line(format!(
        "  Kiosk:         {}/kiosk  (pairing code {}, door of the {}; use it by {until})",
        s.public_url, k.device.pairing_code, k.room
    ));
    line(match &k.session_now {
        Some(title) => format!(
            "                 now in the {}: {title}; scan a badge from the outbox there",
            k.room
        ),
        None => format!(
            "                 no session in the {} now, so the kiosk refuses scans; a fresh database schedules the day anew",
            k.room
        ),
    });
    out
}
