//! Planning a campaign to a segment of the data pool: the segment query (each person once,
//! with consent, suppression, latest outcome and last marketing email across events) and
//! the audience rules, as the campaign page and `campaign audience` run them.
//!
//! `cargo bench --bench pool_segment [-- PEOPLE]` (default 100000); with
//! `BENCH_DATABASE_URL=postgres://...` (an empty database) it measures PostgreSQL. Every
//! person registered for an earlier event, one in five came back to the later one; 90% of
//! registrations have a lead, 5% a sales outcome, 10% got a marketing email, 1% bounced.
//! Last, for comparison, a campaign to every attendee of the earlier event (all the people).

use std::time::{Duration, Instant};

use badgetrail::{
    accounts,
    context::Context,
    demo,
    domain::{
        attendee::{DecisionRole, PurchaseStage},
        campaigns::audience::AudienceSummary,
        campaigns::segment::{AudienceScope, Segment},
        user::Role,
    },
    edm, pool,
    store::{BulkAttendee, BulkLoad, CampaignSettings},
};
use jiff::{Timestamp, ToSpan, tz::TimeZone};

#[path = "support/pool.rs"]
mod support;
use support::{TwoEvents, bulk_row};

/// Timed runs of each segment.
const RUNS: usize = 5;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let people: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let db = TwoEvents::new().await?;
    let (ctx, url) = (&db.ctx, db.url.as_str());
    let now = Timestamp::now();
    let (first, later) = (&db.earlier, &db.later);
    let topics: Vec<&str> = db.topics.iter().map(String::as_str).collect();

    let started = Instant::now();
    let inputs = demo::people::synthetic(people, &topics, 11);
    for (n, chunk) in inputs.chunks(50_000).enumerate() {
        let rows: Vec<BulkAttendee> = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| bulk_row(n * 50_000 + i, r))
            .collect();
        BulkLoad::into(&ctx.store)
            .attendees(first.id, &rows, now)
            .await?;
        let back: Vec<BulkAttendee> = rows.into_iter().step_by(5).collect();
        BulkLoad::into(&ctx.store)
            .attendees(later.id, &back, now)
            .await?;
    }
    let resolved = pool::resolve_all(&ctx.store).await?;
    accounts::upsert_user(
        &ctx.store,
        "bench-sales",
        "Bench",
        Role::Sales,
        "bench-password-1",
        now,
    )
    .await?;
    let marketer = ctx
        .store
        .accounts()
        .user_by_username("bench-sales")
        .await?
        .map(|u| u.id)
        .ok_or_else(|| anyhow::anyhow!("no user"))?;
    let earlier_campaign = ctx
        .store
        .campaigns()
        .create_campaign(first.id, "earlier", "Earlier", 72, now)
        .await?;
    let ms = now.as_millisecond();
    let day = 86_400_000_i64;
    let t = |i: usize| topics[i % topics.len()];
    // What the pool holds besides registrations, written set-wise: consents as given at
    // registration, leads, sales outcomes, marketing emails sent, bounced addresses.
    let statements = [
        "INSERT INTO consents (attendee_id, granted, source, wording, at)
         SELECT id, marketing_consent, 'import', 'bench', registered_at FROM attendees"
            .to_owned(),
        format!(
            "INSERT INTO leads (event_id, attendee_id, tier, top_topic, built_at)
             SELECT event_id, id,
               CASE id % 4 WHEN 0 THEN 'A' WHEN 1 THEN 'B' WHEN 2 THEN 'C' ELSE 'X' END,
               CASE id % 5 WHEN 0 THEN '{}' WHEN 1 THEN '{}' WHEN 2 THEN '{}' WHEN 3 THEN '{}' ELSE NULL END,
               {ms} FROM attendees WHERE id % 10 <> 0",
            t(0),
            t(1),
            t(2),
            t(3)
        ),
        format!(
            "INSERT INTO lead_feedback (event_id, attendee_id, user_id, outcome, note, at,
               next_owner, next_at, next_content, next_email, next_tag)
             SELECT event_id, id, {marketer}, 'buying_within_year', '', {ms} - (id % 100) * {day},
               'nurture', {ms} + (id % 365) * {day}, 'top_topic', id % 7 <> 0,
               CASE id % 3 WHEN 0 THEN 'nurture' WHEN 1 THEN 'lost' ELSE 'customer' END
             FROM attendees WHERE id % 19 = 1"
        ),
        format!(
            "INSERT INTO campaign_sends (campaign_id, attendee_id, email, topic, tier, state,
               attempts, run_after, queued_at, sent_at)
             SELECT {earlier_campaign}, id, email, '', 'A', 'sent', 1, 0, 0, {ms} - (id % 60) * {day}
             FROM attendees WHERE id % 10 = 3 AND event_id = {}",
            first.id
        ),
        format!(
            "INSERT INTO suppressions (email, reason, detail, at)
             SELECT email, 'hard_bounce', 'bench', 0 FROM attendees
             WHERE id % 100 = 7 AND event_id = {}",
            first.id
        ),
    ];
    raw(url, &statements).await?;
    println!(
        "pool: {people} people, {resolved} registrations, loaded in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let (c, _) = edm::import_campaign_file(
        ctx,
        later,
        "come-back",
        "[campaign]\nfrequency_hours = 72\n\n[[content]]\nsubject = \"News\"\nbody = \"Hello.\"\n",
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tz = TimeZone::get(&later.info.time_zone)?;
    let in_a_year = now.to_zoned(tz).date().checked_add(365.days())?;
    let by_interest = Segment {
        topics: vec![t(0).into()],
        roles: vec![DecisionRole::DecisionMaker, DecisionRole::Influencer],
        stages: vec![
            PurchaseStage::LookForSuppliers,
            PurchaseStage::ChooseSupplier,
        ],
        ..Segment::default()
    };
    let segments = [
        (
            "topic, role, stage, next action due",
            Segment {
                due_by: Some(in_a_year),
                ..by_interest.clone()
            },
        ),
        ("topic, role, stage", by_interest),
        ("everyone in the pool", Segment::default()),
    ];
    for (label, segment) in segments {
        ctx.store
            .campaigns()
            .update_campaign_settings(
                c.id,
                &CampaignSettings {
                    name: c.name.clone(),
                    excluded_tiers: vec![],
                    track_opens: false,
                    track_clicks: false,
                    frequency_hours: 72,
                    scope: AudienceScope::Pool(segment),
                },
                now,
            )
            .await?;
        let c = ctx.store.campaigns().campaign(c.id).await?.unwrap();
        let (times, summary) = timed(ctx, &c).await?;
        report(&format!("segment {label}"), &times, &summary);
    }
    // For comparison, a campaign to the attendees of the earlier event: every one of its
    // registrations (all the people) decided by the same rules.
    let (event_campaign, _) = edm::import_campaign_file(
        ctx,
        first,
        "follow-up",
        "[campaign]\nexcluded_tiers = [\"X\"]\nfrequency_hours = 72\n\n[[content]]\nsubject = \"Thanks\"\nbody = \"Hello.\"\n",
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (times, summary) = timed(ctx, &event_campaign).await?;
    report("the earlier event's attendees", &times, &summary);
    let backend = db.backend();
    println!("database: {backend}");
    Ok(())
}

/// `RUNS` plans of the campaign's audience, sorted, and the last plan's summary.
async fn timed(
    ctx: &Context,
    c: &badgetrail::store::CampaignRecord,
) -> anyhow::Result<(Vec<Duration>, AudienceSummary)> {
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut last = AudienceSummary::default();
    for _ in 0..RUNS {
        let t = Instant::now();
        let view = edm::audience(ctx, c, Timestamp::now()).await?;
        times.push(t.elapsed());
        last = view.summary;
    }
    times.sort();
    Ok((times, last))
}

fn report(label: &str, times: &[Duration], s: &AudienceSummary) {
    println!(
        "{label}: {} recipients, {} excluded; planning min {:.0} ms, median {:.0} ms, max {:.0} ms ({RUNS} runs)",
        s.recipients,
        s.excluded_total(),
        times[0].as_secs_f64() * 1000.0,
        times[RUNS / 2].as_secs_f64() * 1000.0,
        times[RUNS - 1].as_secs_f64() * 1000.0
    );
}

/// Runs the loading statements on a connection of the bench's own, then refreshes the
/// planner's statistics as a maintained database has them.
async fn raw(url: &str, statements: &[String]) -> anyhow::Result<()> {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        for s in statements {
            sqlx::query(sqlx::AssertSqlSafe(s.as_str()))
                .execute(&pool)
                .await?;
        }
        sqlx::query("ANALYZE").execute(&pool).await?;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await?;
        for s in statements {
            sqlx::query(sqlx::AssertSqlSafe(s.as_str()))
                .execute(&pool)
                .await?;
        }
        sqlx::query("ANALYZE").execute(&pool).await?;
    }
    Ok(())
}
