//! Badge issuance throughput: sign, QR encode, PNG, read-back check, per core.

use std::hint::black_box;
use std::time::{Duration, Instant};

use badgetrail::domain::badge::{BadgeClaims, sign, signing_key_from_seed};
use badgetrail::qr::{self, BadgeCode};
use ed25519_dalek::SigningKey;

/// Fixed so runs are comparable: the same tokens, hence the same QR masks, every time.
const SEED: [u8; 32] = *b"badgetrail benchmark signing key";
const EVENT_ID: u32 = 2026;
const WARM_UP: u32 = 300;
const STAGE_BADGES: u32 = 2_000;
const THROUGHPUT_BADGES: u32 = 6_000;
const FULL_SCAN_BADGES: u32 = 100;
const TARGET_PER_CORE: f64 = 2_000.0;

fn claims(attendee_id: u32) -> BadgeClaims {
    BadgeClaims {
        event_id: EVENT_ID,
        key_id: 1,
        attendee_id,
        serial: 1,
    }
}

/// One badge as the registration flow issues it.
fn issue(key: &SigningKey, attendee_id: u32) -> qr::BadgeImages {
    let token = sign(&claims(attendee_id), key);
    qr::issue_images(&token).expect("a signed token always renders")
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn stage_breakdown(key: &SigningKey) {
    let mut totals = [Duration::ZERO; 6];
    let mut png_bytes = 0;
    let mut svg_bytes = 0;
    for id in 0..STAGE_BADGES {
        let t0 = Instant::now();
        let token = sign(&claims(id), key);
        let t1 = Instant::now();
        let code = BadgeCode::encode(&token).unwrap();
        let t2 = Instant::now();
        let image = code.render();
        let t3 = Instant::now();
        let png = qr::encode_png(&image).unwrap();
        let t4 = Instant::now();
        qr::check_rendering(&image, &token).unwrap();
        let t5 = Instant::now();
        let svg = code.svg();
        let t6 = Instant::now();
        for (total, (start, end)) in
            totals
                .iter_mut()
                .zip([(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5), (t5, t6)])
        {
            *total += end - start;
        }
        png_bytes += png.len();
        svg_bytes += svg.len();
        black_box((png, svg));
    }
    let n = f64::from(STAGE_BADGES);
    let names = [
        "sign (ed25519)",
        "qr encode (alphanumeric, mask choice)",
        "render pixels",
        "png encode",
        "self-check (pixels + rqrr decode)",
        "svg",
    ];
    println!("per-stage mean over {STAGE_BADGES} badges:");
    let mut sum = 0.0;
    for (name, total) in names.iter().zip(totals) {
        let mean = micros(total) / n;
        sum += mean;
        println!("  {name:<40} {mean:>8.1} us");
    }
    println!("  {:<40} {sum:>8.1} us", "total");
    println!(
        "  png {:.0} bytes, svg {:.0} bytes on average",
        png_bytes as f64 / n,
        svg_bytes as f64 / n
    );
}

/// What a full camera-style scan of the issued PNG would cost per badge, for comparison.
fn full_scan_reference(key: &SigningKey) {
    let images: Vec<_> = (0..FULL_SCAN_BADGES).map(|id| issue(key, id)).collect();
    let start = Instant::now();
    for images in &images {
        let found = qr::decode_png(&images.png, 1 << 20, 1 << 22).unwrap();
        assert_eq!(found.len(), 1);
    }
    println!(
        "reference, not part of issuance: full rqrr scan of the issued PNG {:.1} us/badge",
        micros(start.elapsed()) / f64::from(FULL_SCAN_BADGES)
    );
}

/// Issues `count` badges on this thread; returns each badge's latency.
fn issue_run(first_id: u32, count: u32) -> Vec<Duration> {
    let key = signing_key_from_seed(SEED);
    let mut latencies = Vec::with_capacity(count as usize);
    for id in first_id..first_id + count {
        let start = Instant::now();
        black_box(issue(&key, id));
        latencies.push(start.elapsed());
    }
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank]
}

fn main() {
    let key = signing_key_from_seed(SEED);
    for id in 0..WARM_UP {
        black_box(issue(&key, id));
    }
    println!(
        "badge issuance benchmark: {} threads available",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    stage_breakdown(&key);
    full_scan_reference(&key);

    let start = Instant::now();
    let mut latencies = issue_run(0, THROUGHPUT_BADGES);
    let single = f64::from(THROUGHPUT_BADGES) / start.elapsed().as_secs_f64();
    println!("throughput, 1 thread:  {single:>7.0} badges/s");

    let start = Instant::now();
    let workers: Vec<_> = (0..2)
        .map(|t| std::thread::spawn(move || issue_run(t * THROUGHPUT_BADGES, THROUGHPUT_BADGES)))
        .collect();
    for worker in workers {
        worker.join().expect("worker finished");
    }
    let double = f64::from(2 * THROUGHPUT_BADGES) / start.elapsed().as_secs_f64();
    println!(
        "throughput, 2 threads: {double:>7.0} badges/s ({:.0} per thread)",
        double / 2.0
    );

    latencies.sort();
    println!(
        "latency per badge (1 thread, {THROUGHPUT_BADGES} badges): p50 {:.0} us, p90 {:.0} us, p99 {:.0} us, max {:.0} us",
        micros(percentile(&latencies, 0.50)),
        micros(percentile(&latencies, 0.90)),
        micros(percentile(&latencies, 0.99)),
        micros(*latencies.last().unwrap()),
    );
    let verdict = if single >= TARGET_PER_CORE {
        "met"
    } else {
        "NOT met"
    };
    println!("target {TARGET_PER_CORE:.0} badges/s per core: {verdict}");
}
