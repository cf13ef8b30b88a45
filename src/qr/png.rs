//! PNG bytes of a drawn symbol, the read-back check, and decoding uploaded PNGs with limits.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngDecoder, PngEncoder};
use image::{DynamicImage, ExtendedColorType, GrayImage, ImageEncoder, Limits};

use super::{DARK, LIGHT, MODULE_PX, QUIET_ZONE, QrError, RQRR_EC_LEVEL_M};

/// The PNG encoding settings were chosen by measurement: fdeflate's fast mode is ten times
/// quicker than zlib level 6 here, and adaptive filtering keeps its output near 3.5 KB.
pub fn encode_png(image: &GrayImage) -> Result<Vec<u8>, QrError> {
    let mut png = Vec::with_capacity(4096);
    PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::L8,
        )
        .map_err(QrError::PngEncode)?;
    Ok(png)
}

/// Proves that an image drawn by [`BadgeCode::render`] reads back as exactly `token`.
///
/// Every pixel is checked first: pure black or white, uniform within each module, a clean
/// quiet zone. The image is then provably a square grid of [`MODULE_PX`] cells, so the
/// module grid is read from the cell centres and decoded by rqrr (format, masking,
/// Reed-Solomon, segments) without rqrr's finder search. That search costs several
/// milliseconds per image whatever its size (its perspective refinement dominates) and
/// would only rediscover the geometry the pixel check has already fixed; a test runs the
/// full search on issued images.
/// The pixels checked are the very buffer that [`encode_png`] compresses; PNG itself is
/// lossless, so re-inflating the bytes would check only the `png` crate.
pub fn check_rendering(image: &GrayImage, token: &str) -> Result<(), QrError> {
    let fail = |why: String| QrError::SelfCheck(why);
    let scale = MODULE_PX as usize;
    let quiet = QUIET_ZONE as usize;
    let side = image.width() as usize;
    if image.height() as usize != side || !side.is_multiple_of(scale) || side / scale <= 2 * quiet {
        return Err(fail(format!(
            "{}x{} pixels is not a square of {scale} px modules with a quiet zone",
            image.width(),
            image.height()
        )));
    }
    let cells = side / scale;
    let pixels = image.as_raw();
    for band in pixels.chunks_exact(side * scale) {
        let (first, rest) = band.split_at(side);
        if rest.chunks_exact(side).any(|line| line != first) {
            return Err(fail("a module row is not uniform top to bottom".into()));
        }
        if first.chunks_exact(scale).any(|cell| {
            !(cell[0] == DARK || cell[0] == LIGHT) || cell.iter().any(|p| *p != cell[0])
        }) {
            return Err(fail("a module is not uniformly black or white".into()));
        }
    }
    let cell_is_dark = |cx: usize, cy: usize| pixels[(cy * scale) * side + cx * scale] == DARK;
    let in_quiet_zone = |c: usize| c < quiet || c >= cells - quiet;
    for cy in 0..cells {
        for cx in 0..cells {
            if (in_quiet_zone(cx) || in_quiet_zone(cy)) && cell_is_dark(cx, cy) {
                return Err(fail(format!(
                    "dark module in the quiet zone at ({cx}, {cy})"
                )));
            }
        }
    }

    let size = cells - 2 * quiet;
    let grid = rqrr::SimpleGrid::from_func(size, |x, y| cell_is_dark(x + quiet, y + quiet));
    let (meta, text) = rqrr::Grid::new(grid)
        .decode()
        .map_err(|e| fail(format!("rqrr could not decode it: {e}")))?;
    if meta.ecc_level != RQRR_EC_LEVEL_M {
        return Err(fail(format!(
            "error correction level bits {:02b}, not M",
            meta.ecc_level
        )));
    }
    if text != token {
        return Err(fail(format!("it reads {text:?} instead of the token")));
    }
    Ok(())
}

/// Decodes every QR code found in a PNG image (any colour type; it is read as grayscale).
///
/// Limits are checked before decoding: at most `max_bytes` input and `max_pixels`
/// width*height, read from the PNG header before anything is decompressed, so a
/// decompression bomb is refused cheaply. Codes that are found but cannot be decoded are
/// skipped; an image without a readable code gives an empty list.
pub fn decode_png(bytes: &[u8], max_bytes: usize, max_pixels: u64) -> Result<Vec<String>, QrError> {
    if bytes.len() > max_bytes {
        return Err(QrError::TooManyBytes {
            len: bytes.len(),
            max: max_bytes,
        });
    }
    let (width, height) = png_dimensions(bytes)?;
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(QrError::TooManyPixels {
            width,
            height,
            max: max_pixels,
        });
    }
    // The header check above is the real limit; these stop the decoder too if it ever
    // disagreed with it. Eight bytes a pixel covers 16-bit RGBA, plus room for metadata.
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(1 << 20));
    let decoder =
        PngDecoder::with_limits(Cursor::new(bytes), limits).map_err(QrError::PngDecode)?;
    let image = DynamicImage::from_decoder(decoder)
        .map_err(QrError::PngDecode)?
        .into_luma8();

    Ok(super::search::read_codes(&image))
}

/// Width and height from the IHDR chunk, which the PNG format requires to come first.
pub(super) fn png_dimensions(bytes: &[u8]) -> Result<(u32, u32), QrError> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || !bytes.starts_with(SIGNATURE) || &bytes[12..16] != b"IHDR" {
        return Err(QrError::NotPng);
    }
    let width = u32::from_be_bytes(bytes[16..20].try_into().expect("four bytes"));
    let height = u32::from_be_bytes(bytes[20..24].try_into().expect("four bytes"));
    Ok((width, height))
}
