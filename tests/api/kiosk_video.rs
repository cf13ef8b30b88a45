//! Camera frames of badges for the kiosk tests and benchmarks: a badge QR on a grey
//! background, written as a YUV4MPEG2 video (what Chromium's fake camera plays) or PGM stills.

use std::{io::Write, path::Path};

pub const WIDTH: usize = 640;
pub const HEIGHT: usize = 480;
/// Side of the corner square that tells benchmarks a frame shows a badge.
#[allow(dead_code)] // used by benches/kiosk_latency.rs
pub const MARK: usize = 16;

/// A 640x480 grey frame of `background`.
pub fn blank_frame(background: u8) -> Vec<u8> {
    vec![background; WIDTH * HEIGHT]
}

/// A frame with the token's QR as the project draws badges (8 px modules, quiet zone), its
/// top left corner at (`x`, `y`).
pub fn badge_frame(token: &str, x: usize, y: usize, background: u8) -> Vec<u8> {
    let image = badgetrail::qr::BadgeCode::encode(token)
        .expect("a badge token encodes")
        .render();
    let (w, h) = (image.width() as usize, image.height() as usize);
    assert!(x + w <= WIDTH && y + h <= HEIGHT, "the code fits the frame");
    let mut frame = blank_frame(background);
    for (row, line) in image.as_raw().chunks_exact(w).enumerate() {
        let start = (y + row) * WIDTH + x;
        frame[start..start + w].copy_from_slice(line);
    }
    frame
}

/// The frame at half size (2x2 pixels averaged), pasted at (`x`, `y`) on `background`: a
/// badge farther from the camera.
pub fn shrunk(frame: &[u8], x: usize, y: usize, background: u8) -> Vec<u8> {
    let mut out = blank_frame(background);
    for row in 0..HEIGHT / 2 {
        for col in 0..WIDTH / 2 {
            let at = |r: usize, c: usize| u16::from(frame[r * WIDTH + c]);
            let (r, c) = (row * 2, col * 2);
            let v = (at(r, c) + at(r, c + 1) + at(r + 1, c) + at(r + 1, c + 1)) / 4;
            if y + row < HEIGHT && x + col < WIDTH {
                out[(y + row) * WIDTH + x + col] = v as u8;
            }
        }
    }
    out
}

/// Adds sensor-like noise of up to `amplitude` levels, the same for the same `seed`.
pub fn add_noise(frame: &mut [u8], seed: u64, amplitude: u8) {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let span = 2 * u32::from(amplitude) + 1;
    for p in frame.iter_mut() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delta = ((state >> 33) as u32 % span) as i32 - i32::from(amplitude);
        *p = (i32::from(*p) + delta).clamp(0, 255) as u8;
    }
}

/// Paints the corner marker: white in badge frames, black in the others.
#[allow(dead_code)] // used by benches/kiosk_latency.rs, which includes this file
pub fn mark(frame: &mut [u8], badge: bool) {
    for row in 0..MARK {
        frame[row * WIDTH..row * WIDTH + MARK].fill(if badge { 255 } else { 0 });
    }
}

/// Writes grey frames as a YUV4MPEG2 video, 640x480, 4:2:0 (`C420`), neutral chroma.
/// Chromium plays it in a loop as its camera.
pub fn write_y4m(path: &Path, frames: &[Vec<u8>], fps: u32) {
    let file = std::fs::File::create(path).expect("video file");
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420").unwrap();
    let chroma = vec![128u8; WIDTH * HEIGHT / 2];
    for f in frames {
        assert_eq!(f.len(), WIDTH * HEIGHT);
        out.write_all(b"FRAME\n").unwrap();
        out.write_all(f).unwrap();
        out.write_all(&chroma).unwrap();
    }
    out.flush().unwrap();
}

/// Writes one grey frame as a binary PGM (P5), which zbarimg reads.
#[allow(dead_code)] // used by benches/kiosk_latency.rs
pub fn write_pgm(path: &Path, frame: &[u8]) {
    let mut bytes = format!("P5\n{WIDTH} {HEIGHT}\n255\n").into_bytes();
    bytes.extend_from_slice(frame);
    std::fs::write(path, bytes).expect("PGM file");
}
