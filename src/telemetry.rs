//! What an operator watches: every metric the server exports, named and recorded in one place.
//!
//! The `metrics` facade keeps recording cheap at the call sites (an atomic add once the
//! handle exists); the Prometheus recorder renders them when `/metrics` is scraped. The
//! recorder is process-wide, like the facade it serves: one server per process in
//! production, and in tests every app of the test binary shares it, so tests look for the
//! series they caused, never for exact totals.
//!
//! Labels are bounded sets chosen here (route templates, verdicts, outcomes), never values
//! from a request: a label holding a badge token or an address would put personal data in
//! the monitoring system and grow without limit.

use std::{
    sync::OnceLock,
    time::{Duration, Instant},
};

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "badgetrail_http_requests_total";
pub const HTTP_DURATION: &str = "badgetrail_http_request_duration_seconds";
pub const SCANS: &str = "badgetrail_scans_total";
pub const SCAN_GROUP_REQUESTS: &str = "badgetrail_scan_group_requests";
pub const SCAN_GROUP_COMMIT: &str = "badgetrail_scan_group_commit_seconds";
pub const KIOSK_QUEUE: &str = "badgetrail_kiosk_queue_size";
pub const KIOSK_SKEW: &str = "badgetrail_kiosk_clock_skew_seconds";
pub const BADGE_MAIL_QUEUE: &str = "badgetrail_badge_mail_queue_depth";
pub const BADGE_MAIL: &str = "badgetrail_badge_mail_total";
pub const CAMPAIGN_MAIL_QUEUE: &str = "badgetrail_campaign_mail_queue_depth";
pub const CAMPAIGN_MAIL: &str = "badgetrail_campaign_mail_total";
pub const SMTP_ERRORS: &str = "badgetrail_smtp_errors_total";
pub const LEAD_BUILD: &str = "badgetrail_lead_build_seconds";
pub const QR_DECODE: &str = "badgetrail_qr_decode_seconds";
pub const RATE_LIMITED: &str = "badgetrail_rate_limit_refusals_total";
pub const LIVE_LAG: &str = "badgetrail_live_lead_lag_seconds";
pub const LIVE_UPDATED: &str = "badgetrail_live_leads_updated_total";

/// Upper bounds for durations, from a fast request (half a millisecond) to a long lead build.
const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0,
];
/// Upper bounds for counts of things (requests in a group, scans waiting on a kiosk).
const COUNTS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0, 4096.0,
];
/// Upper bounds for the time from a scan commit to its live lead, fine enough below the
/// 2 s promise to read percentiles from.
const LAG: &[f64] = &[
    0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5,
    2.0, 3.0, 5.0, 10.0, 30.0,
];
/// Upper bounds for a device clock's distance from the server's, in seconds.
const SKEW: &[f64] = &[0.1, 0.5, 1.0, 2.0, 5.0, 30.0, 60.0, 300.0, 3600.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder once for the process and returns its handle; later
/// calls return the same handle. Until it is installed, recording does nothing (CLI
/// commands that never serve pay nothing).
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(SECONDS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(SCAN_GROUP_REQUESTS.into()), COUNTS)
            })
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(KIOSK_QUEUE.into()), COUNTS))
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(KIOSK_SKEW.into()), SKEW))
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(LIVE_LAG.into()), LAG))
            .expect("bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
        }
        describe();
        // Histogram samples wait in per-thread buffers until drained; draining here too
        // keeps memory bounded when nobody scrapes for a long time.
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
        handle
    })
}

/// The Prometheus text exposition of everything recorded so far.
pub fn render() -> String {
    install().render()
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route template, method and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request, by route template and method"
    );
    describe_counter!(
        SCANS,
        "Scans decided and stored, by verdict and refusal reason"
    );
    describe_histogram!(
        SCAN_GROUP_REQUESTS,
        Unit::Count,
        "Scan upload requests written together in one transaction"
    );
    describe_histogram!(
        SCAN_GROUP_COMMIT,
        Unit::Seconds,
        "Time to decide and commit one group of scan uploads"
    );
    describe_histogram!(
        KIOSK_QUEUE,
        Unit::Count,
        "Scans still waiting on a kiosk, as reported with each upload"
    );
    describe_histogram!(
        KIOSK_SKEW,
        Unit::Seconds,
        "Distance of a kiosk's clock from the server's, as measured on each upload"
    );
    describe_gauge!(
        BADGE_MAIL_QUEUE,
        Unit::Count,
        "Badge emails queued or being sent, counted when scraped"
    );
    describe_counter!(BADGE_MAIL, "Badge email attempts, by outcome");
    describe_gauge!(
        CAMPAIGN_MAIL_QUEUE,
        Unit::Count,
        "Messages of sending campaigns queued or being sent, counted when scraped"
    );
    describe_counter!(CAMPAIGN_MAIL, "Campaign message attempts, by outcome");
    describe_counter!(
        SMTP_ERRORS,
        "Messages the SMTP relay did not take, by kind (transient or permanent)"
    );
    describe_histogram!(
        LEAD_BUILD,
        Unit::Seconds,
        "Duration of a lead build, by outcome"
    );
    describe_histogram!(
        QR_DECODE,
        Unit::Seconds,
        "Time to find QR codes in a photo sent by a kiosk"
    );
    describe_histogram!(
        LIVE_LAG,
        Unit::Seconds,
        "Time from a scan group's commit to the live leads it updates, once per attendee"
    );
    describe_counter!(
        LIVE_UPDATED,
        "Attendees whose live lead was updated after a scan commit"
    );
    describe_counter!(
        RATE_LIMITED,
        "Requests refused by a per-client limit, by limit"
    );
}

/// One answered request. `route` is the matched route template, or `unmatched`.
pub fn http_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    let route = route.to_owned();
    let method = method.to_owned();
    counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method.clone(), "status" => status.to_string())
        .increment(1);
    histogram!(HTTP_DURATION, "route" => route, "method" => method).record(elapsed);
}

/// One scan decided now (not one answered again from an earlier upload).
pub fn scan_decided(verdict: &str, reason: Option<&str>) {
    let (verdict, reason) = (verdict.to_owned(), reason.unwrap_or("").to_owned());
    counter!(SCANS, "verdict" => verdict, "reason" => reason).increment(1);
}

/// One group of scan uploads committed (or failed) after `elapsed`.
pub fn scan_group(requests: usize, elapsed: Duration) {
    histogram!(SCAN_GROUP_REQUESTS).record(requests as f64);
    histogram!(SCAN_GROUP_COMMIT).record(elapsed);
}

/// What a kiosk said about itself with an upload.
pub fn kiosk_reported(queue_size: i64, clock_skew_ms: i64) {
    histogram!(KIOSK_QUEUE).record(queue_size.max(0) as f64);
    histogram!(KIOSK_SKEW).record(clock_skew_ms.unsigned_abs() as f64 / 1000.0);
}

/// Queue depths, counted by the caller when `/metrics` is scraped.
pub fn mail_queues(badge: i64, campaign: i64) {
    gauge!(BADGE_MAIL_QUEUE).set(badge as f64);
    gauge!(CAMPAIGN_MAIL_QUEUE).set(campaign as f64);
}

/// Badge email attempts of one pass: `sent`, `retrying` or `failed`.
pub fn badge_mail(outcome: &'static str, n: usize) {
    if n > 0 {
        counter!(BADGE_MAIL, "outcome" => outcome).increment(n as u64);
    }
}

/// Campaign message attempts: `sent`, `retrying`, `failed` or `skipped`.
pub fn campaign_mail(outcome: &'static str, n: usize) {
    if n > 0 {
        counter!(CAMPAIGN_MAIL, "outcome" => outcome).increment(n as u64);
    }
}

/// A message the SMTP relay did not take: `transient` or `permanent`.
pub fn smtp_error(kind: &'static str) {
    counter!(SMTP_ERRORS, "kind" => kind).increment(1);
}

/// A lead build that ran for `elapsed`.
pub fn lead_build(ok: bool, elapsed: Duration) {
    let outcome = if ok { "ok" } else { "failed" };
    histogram!(LEAD_BUILD, "outcome" => outcome).record(elapsed);
}

/// A scan group's attendees whose live leads were stored `lag` after its commit.
pub fn live_lead_lag(lag: Duration, attendees: usize) {
    let h = histogram!(LIVE_LAG);
    for _ in 0..attendees {
        h.record(lag);
    }
    counter!(LIVE_UPDATED).increment(attendees as u64);
}

/// Time spent decoding one photo, whatever it held.
pub fn qr_decode(started: Instant) {
    histogram!(QR_DECODE).record(started.elapsed());
}

/// A request a per-client limit refused.
pub fn rate_limited(limit: &'static str) {
    counter!(RATE_LIMITED, "limit" => limit).increment(1);
}
