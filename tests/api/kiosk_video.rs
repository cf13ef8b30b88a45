//! Camera frames of badges for the kiosk tests and benchmarks: a badge QR on a grey
//! background, written as a YUV4MPEG2 video (what Chromium's fake camera plays) or PGM stills.

use std::{io::Write, path::Path};

pub const WIDTH: usize = 640;
pub const HEIGHT: usize = 480;
/// Side of the corner square that tells benchmarks a frame shows a badge.
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

/// Paints the corner marker: white in badge frames, black in the others.
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
    write!(out, "YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420\n").unwrap();
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
pub fn write_pgm(path: &Path, frame: &[u8]) {
    let mut bytes = format!("P5\n{WIDTH} {HEIGHT}\n255\n").into_bytes();
    bytes.extend_from_slice(frame);
    std::fs::write(path, bytes).expect("PGM file");
}
