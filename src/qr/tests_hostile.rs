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

#[test]
fn a_large_colour_jpeg_is_decoded_to_grey_only() {
    let jpeg = hostile::one_colour_jpeg(3999);
    let (decoded, peak) =
        peak_allocation(|| decode_photo(&jpeg, MAX_BYTES, MAX_PIXELS, &Budget::unlimited()));
    assert_eq!(decoded.unwrap(), Vec::<String>::new());
    eprintln!("JPEG 3999x3999: peak allocation {peak} bytes");
    // One grey byte a pixel (16 MB) and the decoder's rows; colour would be 48 MB.
    assert!(peak < 24 << 20, "peak allocation {peak} bytes");
}
