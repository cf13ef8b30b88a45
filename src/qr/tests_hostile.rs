//! Tests of hostile photos: each decode ends quickly and in a few megabytes, and real
//! badges still read.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use image::GrayImage;

use super::*;

/// Counts the bytes each thread has allocated and not freed, and its peak since the last
/// reset, so that a test can measure one decode while other tests run on other threads.
struct Meter;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is passed to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static METER: Meter = Meter;

/// Most bytes this thread held at once while `f` ran, above what it held before.
fn peak_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    (out, (PEAK.with(Cell::get) - base).max(0) as usize)
}

const MAX_BYTES: usize = 8 << 20;
const MAX_PIXELS: u64 = 16_000_000;
/// Loose enough for a loaded two-core machine; the unbounded search took 20 s to minutes.
const WALL_LIMIT: Duration = Duration::from_secs(5);

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

#[test]
fn finder_pattern_tiles_cost_little_even_without_a_deadline() {
    // No deadline: the caps on capstones and candidate groups alone bound the search.
    for side in [360, 1000] {
        let png = hostile::finder_tiles(side);
        assert!(png.len() < 8_000, "{side}: {} bytes", png.len());
        eprintln!("{side}x{side} finder tiles: {} bytes", png.len());
        let (decoded, took) =
            timed(|| decode_photo(&png, MAX_BYTES, MAX_PIXELS, &Budget::unlimited()));
        assert!(decoded.is_ok(), "{side}: {decoded:?}");
        assert!(took < WALL_LIMIT, "{side}x{side} took {took:?}");
        eprintln!("{side}x{side} finder tiles: {took:?}, {decoded:?}");
    }
}

#[test]
fn finder_pattern_tiles_stop_at_the_deadline() {
    let png = hostile::finder_tiles(1000);
    let budget = Budget::new(Duration::from_millis(1));
    std::thread::sleep(Duration::from_millis(2));
    let (decoded, took) = timed(|| decode_photo(&png, MAX_BYTES, MAX_PIXELS, &budget));
    assert!(
        matches!(decoded, Err(QrError::OverBudget { ms: 1 })),
        "{decoded:?}"
    );
    assert!(took < Duration::from_millis(500), "{took:?}");
}

#[test]
fn a_cancelled_decode_ends_at_the_next_check() {
    let png = hostile::finder_tiles(1000);
    let flag = Arc::new(AtomicBool::new(false));
    let budget = Budget::unlimited().cancelled_by(flag.clone());
    let setter = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            flag.store(true, Ordering::Relaxed);
        })
    };
    let (decoded, took) = timed(|| decode_photo(&png, MAX_BYTES, MAX_PIXELS, &budget));
    setter.join().unwrap();
    // It may finish inside 5 ms on a fast machine; it must never run on after the flag.
    assert!(
        matches!(decoded, Err(QrError::Cancelled) | Ok(_)),
        "{decoded:?}"
    );
    assert!(took < Duration::from_millis(500), "{took:?}");
    assert!(matches!(
        decode_photo(&png, MAX_BYTES, MAX_PIXELS, &budget),
        Err(QrError::Cancelled)
    ));
}

#[test]
fn a_sixteen_bit_rgba_bomb_is_read_in_a_few_megabytes() {
    let bomb = hostile::sixteen_bit_rgba(3999);
    assert!(bomb.len() < 300_000, "{} bytes", bomb.len());
    eprintln!("16-bit bomb: {} bytes", bomb.len());
    let ((decoded, took), peak) = peak_allocation(|| {
        timed(|| decode_photo(&bomb, MAX_BYTES, MAX_PIXELS, &Budget::unlimited()))
    });
    assert_eq!(decoded.unwrap(), Vec::<String>::new());
    assert!(took < WALL_LIMIT, "{took:?}");
    // Decoded whole it would be 3999 * 3999 * 8 bytes = 128 MB.
    assert!(peak < 8 << 20, "peak allocation {peak} bytes");
    eprintln!("16-bit bomb: {took:?}, peak allocation {peak} bytes");
}

#[test]
fn finder_tiles_are_searched_in_a_few_megabytes() {
    let png = hostile::finder_tiles(1000);
    let (decoded, peak) =
        peak_allocation(|| decode_photo(&png, MAX_BYTES, MAX_PIXELS, &Budget::unlimited()));
    assert!(decoded.is_ok(), "{decoded:?}");
    assert!(peak < 16 << 20, "peak allocation {peak} bytes");
}

#[test]
fn a_png_whose_header_lies_about_its_size_is_refused_cheaply() {
    let liar = hostile::lying_header(3999, 3999);
    let ((decoded, took), peak) = peak_allocation(|| {
        timed(|| decode_photo(&liar, MAX_BYTES, MAX_PIXELS, &Budget::unlimited()))
    });
    assert!(matches!(decoded, Err(QrError::PngDecode(_))), "{decoded:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(peak < 2 << 20, "peak allocation {peak} bytes");
    // Claiming more than the pixel limit is refused from the header alone.
    assert!(matches!(
        decode_photo(
            &hostile::lying_header(5000, 5000),
            MAX_BYTES,
            MAX_PIXELS,
            &Budget::unlimited()
        ),
        Err(QrError::TooManyPixels { .. })
    ));
}

/// Badges side by side on a light background, each `scale` pixels a module.
fn badges_frame(tokens: &[&str], scale: u32) -> GrayImage {
    let badges: Vec<GrayImage> = tokens
        .iter()
        .map(|t| BadgeCode::encode(t).unwrap().render())
        .collect();
    let side = badges[0].width() * scale / MODULE_PX;
    let mut frame = GrayImage::from_pixel(side * tokens.len() as u32, side, image::Luma([LIGHT]));
    for (i, badge) in badges.iter().enumerate() {
        let big = image::imageops::resize(badge, side, side, image::imageops::FilterType::Nearest);
        image::imageops::overlay(&mut frame, &big, i64::from(side) * i as i64, 0);
    }
    frame
}

#[test]
fn large_badge_photos_are_shrunk_and_still_read() {
    // 3 badges at 20 px a module: 2940x980, shrunk by 3 to 980x327 (6.7 px a module).
    let tokens = ["HELLO BADGE 1", "HELLO BADGE 2", "HELLO BADGE 3"];
    let png = encode_png(&badges_frame(&tokens, 20)).unwrap();
    let mut codes = decode_photo(&png, MAX_BYTES, MAX_PIXELS, &Budget::unlimited()).unwrap();
    codes.sort();
    assert_eq!(codes, tokens);
}

#[test]
fn the_bounded_search_finds_what_the_full_search_finds() {
    let tokens = ["A 1", "B 22", "C 333", "D 4444", "E 55555"];
    let frame = badges_frame(&tokens, 4);
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let read = |bounded: bool| {
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| frame.as_raw()[y * w + x]);
        let never = || false;
        let grids = if bounded {
            prepared
                .detect_grids_within(&rqrr::DetectLimits {
                    max_capstones: MAX_CAPSTONES,
                    max_group_checks: MAX_GROUP_CHECKS,
                    should_stop: &never,
                })
                .unwrap()
        } else {
            prepared.detect_grids()
        };
        let mut codes: Vec<String> = grids
            .iter()
            .map(|g| (g.bounds, g.decode().unwrap().1))
            .map(|(bounds, text)| format!("{text} {bounds:?}"))
            .collect();
        codes.sort();
        codes
    };
    let full = read(false);
    assert_eq!(full.len(), tokens.len(), "{full:?}");
    assert_eq!(read(true), full);
}

/// Names the image [`peak_rss_child`] decodes.
const CHILD_IMAGE: &str = "BADGETRAIL_PEAK_RSS_IMAGE";

fn child_image(name: &str) -> Vec<u8> {
    match name {
        "colour JPEG 3999" => hostile::one_colour_jpeg(3999),
        "progressive JPEG 3999" => hostile::one_colour_progressive_jpeg(3999),
        "progressive badge 1624" => hostile::progressive_jpeg(&badge_photo_rgb(56)),
        _ => panic!("no image named {name:?}"),
    }
}

/// A badge photo in colour, `scale` pixels a module.
fn badge_photo_rgb(scale: u32) -> image::RgbImage {
    image::DynamicImage::ImageLuma8(badges_frame(&[BADGE_TOKEN], scale)).to_rgb8()
}

const BADGE_TOKEN: &str = "HELLO BADGE 123";

/// The resident memory one decode of the named image adds at its peak, in bytes. libjpeg
/// allocates with C's malloc, which the counting allocator never sees, so the decode runs in
/// a process of its own (this test binary running only [`peak_rss_child`]), where the
/// kernel's high-water mark of resident memory counts every allocation.
fn peak_rss(image: &str) -> usize {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "qr::tests_hostile::peak_rss_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_IMAGE, image)
        // Large blocks come from mmap and go back on free, so memory freed while the image
        // was built is not silently reused by the decode.
        .env("MALLOC_MMAP_THRESHOLD_", "131072")
        .env("MALLOC_TRIM_THRESHOLD_", "131072")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak RSS: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no figure from the child: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
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

#[test]
#[ignore = "run by peak_rss in a process of its own"]
fn peak_rss_child() {
    let Ok(name) = std::env::var(CHILD_IMAGE) else {
        return;
    };
    let bytes = child_image(&name);
    // A small photo first, so that the thread's malloc arena, its stack and the decoder's
    // code are in place before the measure.
    let warm_up = hostile::one_colour_jpeg(64);
    decode_photo(&warm_up, MAX_BYTES, MAX_PIXELS, &Budget::unlimited()).unwrap();
    drop(warm_up);
    // Resets the high-water mark (VmHWM) to the resident size now.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let (before, code_before) = (proc_status("VmRSS:"), proc_status("RssFile:"));
    let decoded = decode_photo(&bytes, MAX_BYTES, MAX_PIXELS, &Budget::unlimited());
    // Pages of the program's code run for the first time are resident too, and stay.
    let code = proc_status("RssFile:").saturating_sub(code_before);
    let peak = proc_status("VmHWM:").saturating_sub(before + code);
    println!("decoded: {decoded:?}, code paged in: {code}");
    println!("peak RSS: {peak}");
}

#[test]
fn a_large_colour_jpeg_is_read_in_a_few_megabytes() {
    let jpeg = hostile::one_colour_jpeg(3999);
    let ((decoded, took), peak) = peak_allocation(|| {
        timed(|| decode_photo(&jpeg, MAX_BYTES, MAX_PIXELS, &Budget::unlimited()))
    });
    assert_eq!(decoded.unwrap(), Vec::<String>::new());
    assert!(took < WALL_LIMIT, "{took:?}");
    let rss = peak_rss("colour JPEG 3999");
    eprintln!("JPEG 3999x3999: {took:?}, peak allocation {peak} bytes, peak RSS {rss} bytes");
    // Decoded whole, the grey plane alone was 16 MB (48 MB as RGB). Read in rows at 5/8
    // scale, what remains is the 1250x1250 frame, the search's copy of it and libjpeg's
    // rows. The resident figure also counts libjpeg's own allocations, and the kernel keeps
    // it in per-CPU batches, a few hundred kB either way.
    assert!(peak < 4 << 20, "peak allocation {peak} bytes");
    assert!(rss < 9 << 19, "peak RSS {rss} bytes");
}

#[test]
fn a_large_badge_jpeg_is_read_at_a_reduced_scale() {
    // 104 px a module: 3016x3016, decoded at 3/8 scale to 1131x1131 (39 px a module).
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&badge_photo_rgb(104))
        .unwrap();
    let (decoded, peak) =
        peak_allocation(|| decode_photo(&jpeg, MAX_BYTES, MAX_PIXELS, &Budget::unlimited()));
    assert_eq!(decoded.unwrap(), [BADGE_TOKEN]);
    assert!(peak < 4 << 20, "peak allocation {peak} bytes");
}

#[test]
fn a_progressive_badge_jpeg_within_its_bound_is_read() {
    // 1624x1624 in colour: 7.9 MB of coefficients, just under the 8 MiB bound.
    let jpeg = child_image("progressive badge 1624");
    assert_eq!(
        decode_photo(&jpeg, MAX_BYTES, MAX_PIXELS, &Budget::unlimited()).unwrap(),
        [BADGE_TOKEN]
    );
    let rss = peak_rss("progressive badge 1624");
    eprintln!("progressive JPEG 1624x1624: peak RSS {rss} bytes");
    assert!(rss < 12 << 20, "peak RSS {rss} bytes");
}

#[test]
fn a_large_progressive_jpeg_is_refused_from_its_header() {
    let jpeg = hostile::one_colour_progressive_jpeg(3999);
    let ((decoded, took), peak) = peak_allocation(|| {
        timed(|| decode_photo(&jpeg, MAX_BYTES, MAX_PIXELS, &Budget::unlimited()))
    });
    assert!(
        matches!(
            decoded,
            Err(QrError::ProgressiveTooLarge {
                width: 3999,
                height: 3999
            })
        ),
        "{decoded:?}"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    // Decoded, its coefficients alone would be 48 MB.
    let rss = peak_rss("progressive JPEG 3999");
    eprintln!("progressive JPEG 3999x3999: refused, peak RSS {rss} bytes");
    assert!(peak < 1 << 20, "peak allocation {peak} bytes");
    assert!(rss < 2 << 20, "peak RSS {rss} bytes");
}
