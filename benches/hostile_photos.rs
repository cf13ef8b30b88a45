//! Photo decoding of hostile images: time and peak allocation per decode, with the shipped
//! bounds and, for comparison, with the unbounded search the endpoint used to run.
//!
//! `cargo bench --bench hostile_photos [-- ROUNDS]` (default 20) measures the shipped
//! `qr::decode_photo` with the endpoint's 300 ms budget and with no deadline (the caps alone).
//! `cargo bench --bench hostile_photos -- before NAME` decodes one image the old way (whole
//! image, `detect_grids`) once; run it under `timeout`, as some take minutes.
//!
//! The counting allocator sees only Rust's allocations, not libjpeg's (C's malloc), so each
//! image is also decoded once in a process of its own (`-- rss NAME`), whose peak resident
//! memory the kernel reports.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    hint::black_box,
    io::Cursor,
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use badgetrail::qr::{self, BadgeCode, Budget, hostile};

/// Counts live and peak bytes; the bench runs one decode at a time on one thread.
struct Meter;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static METER: Meter = Meter;

const MAX_BYTES: usize = 8 << 20;
const MAX_PIXELS: u64 = 16_000_000;
const BUDGET: Duration = Duration::from_millis(300);

const IMAGES: [&str; 9] = [
    "badge 392x392",
    "badge photo 1176x1176",
    "finder tiles 360x360",
    "finder tiles 1000x1000",
    "finder tiles 1280x1280",
    "16-bit RGBA 3999x3999",
    "header claims 3999x3999",
    "JPEG RGB 3999x3999",
    "progressive JPEG 3999x3999",
];

fn image(name: &str) -> Vec<u8> {
    let badge = || BadgeCode::encode("HELLO BADGE 123").unwrap().render();
    match name {
        "badge 392x392" => qr::encode_png(&badge()).unwrap(),
        "badge photo 1176x1176" => {
            let badge = badge();
            let photo = image::imageops::resize(
                &badge,
                badge.width() * 3,
                badge.height() * 3,
                image::imageops::FilterType::Nearest,
            );
            qr::encode_png(&photo).unwrap()
        }
        "finder tiles 360x360" => hostile::finder_tiles(360),
        "finder tiles 1000x1000" => hostile::finder_tiles(1000),
        "finder tiles 1280x1280" => hostile::finder_tiles(1280),
        "16-bit RGBA 3999x3999" => hostile::sixteen_bit_rgba(3999),
        "header claims 3999x3999" => hostile::lying_header(3999, 3999),
        "JPEG RGB 3999x3999" => hostile::one_colour_jpeg(3999),
        "progressive JPEG 3999x3999" => hostile::one_colour_progressive_jpeg(3999),
        _ => panic!("no image named {name:?}"),
    }
}

fn images() -> Vec<(&'static str, Vec<u8>)> {
    IMAGES.iter().map(|name| (*name, image(name))).collect()
}

/// Runs `f` and returns its result, wall time and peak allocation above the start.
fn measure<T>(f: impl FnOnce() -> T) -> (T, Duration, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    (out, took, PEAK.load(Ordering::Relaxed) - base)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentiles(mut v: Vec<Duration>) -> String {
    v.sort();
    let p = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    format!(
        "p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms",
        ms(p(0.5)),
        ms(p(0.95)),
        ms(v[v.len() - 1])
    )
}

fn outcome(r: &Result<Vec<String>, qr::QrError>) -> String {
    match r {
        Ok(codes) => format!("{} code(s)", codes.len()),
        Err(qr::QrError::OverBudget { .. }) => "over budget".into(),
        Err(e) => format!(
            "refused: {}",
            e.to_string().chars().take(40).collect::<String>()
        ),
    }
}

fn shipped(rounds: usize) {
    println!("qr::decode_photo, {rounds} rounds each, one at a time");
    for (label, budget) in [("300 ms budget", Some(BUDGET)), ("no deadline", None)] {
        println!("\n{label}:");
        println!(
            "{:<26} {:>8}  {:<50} {:>10}  outcome",
            "image", "bytes", "wall time", "peak alloc"
        );
        for (name, bytes) in images() {
            let mut times = Vec::new();
            let mut peak = 0;
            let mut last = String::new();
            for _ in 0..rounds {
                let budget = budget.map_or_else(Budget::unlimited, Budget::new);
                let (r, took, p) =
                    measure(|| qr::decode_photo(&bytes, MAX_BYTES, MAX_PIXELS, &budget));
                times.push(took);
                peak = peak.max(p);
                last = outcome(&r);
                black_box(r.ok());
            }
            println!(
                "{name:<26} {:>8}  {:<50} {:>7.1} MB  {last}",
                bytes.len(),
                percentiles(times),
                peak as f64 / 1e6
            );
        }
    }
    println!("\npeak resident memory of one decode, each in a process of its own:");
    for name in IMAGES {
        println!("{name:<26} {:>7.1} MB", peak_rss(name) as f64 / 1e6);
    }
}

/// Runs this bench as `rss NAME` in a child process and returns the figure it prints.
fn peak_rss(name: &str) -> usize {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["rss", name])
        // Large blocks come from mmap and go back on free, so memory freed while the image
        // was built is not silently reused by the decode.
        .env("MALLOC_MMAP_THRESHOLD_", "131072")
        .env("MALLOC_TRIM_THRESHOLD_", "131072")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
}

/// A field of `/proc/self/status` in bytes.
fn proc_status(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
}

/// The child of [`peak_rss`]: the kernel's high-water mark of resident memory around one
/// decode, less the pages of program code it ran for the first time.
fn rss(name: &str) {
    let bytes = image(name);
    // A small photo first: the malloc arena and the decoders' code are then in place.
    let warm_up = hostile::one_colour_jpeg(64);
    let _ = qr::decode_photo(&warm_up, MAX_BYTES, MAX_PIXELS, &Budget::unlimited());
    drop(warm_up);
    // Resets the high-water mark (VmHWM) to the resident size now.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let (before, code_before) = (proc_status("VmRSS:"), proc_status("RssFile:"));
    let decoded = qr::decode_photo(&bytes, MAX_BYTES, MAX_PIXELS, &Budget::unlimited());
    black_box(decoded.ok());
    let code = proc_status("RssFile:").saturating_sub(code_before);
    println!("{}", proc_status("VmHWM:").saturating_sub(before + code));
}

/// The decode as it was: the whole image decoded by `image`, then grey, then `detect_grids`.
fn before(name: &str) {
    let (_, bytes) = images()
        .into_iter()
        .find(|(n, _)| n.starts_with(name))
        .unwrap_or_else(|| panic!("no image named {name:?}"));
    let (codes, took, peak) = measure(|| {
        let image = image::ImageReader::new(Cursor::new(&bytes))
            .with_guessed_format()
            .unwrap()
            .decode()
            .map(|i| i.into_luma8());
        image.map(|image| {
            let (w, h) = (image.width() as usize, image.height() as usize);
            let mut prepared =
                rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| image.as_raw()[y * w + x]);
            prepared
                .detect_grids()
                .into_iter()
                .filter_map(|g| g.decode().ok().map(|(_, t)| t))
                .count()
        })
    });
    println!(
        "before, {name}: {:.1} ms, peak alloc {:.1} MB, {:?} code(s)",
        ms(took),
        peak as f64 / 1e6,
        codes.map_err(|e| e.to_string())
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("before") => before(args.get(1).map_or("finder tiles 360", String::as_str)),
        Some("rss") => rss(args.get(1).expect("rss NAME")),
        other => shipped(other.and_then(|n| n.parse().ok()).unwrap_or(20)),
    }
}
