//! A photo read into an 8-bit grey frame no larger than a kiosk needs, in bounded memory.

use std::{
    cmp::Reverse,
    io::Cursor,
    panic::{self, AssertUnwindSafe},
};

use image::{
    GrayImage, ImageError, ImageFormat,
    error::{DecodingError, ImageFormatHint},
};

use super::{Budget, QrError};

/// Longest side of the frame the QR search sees. A kiosk camera frame is 640x480; a badge
/// held up to a phone camera still has 4 px modules at this size, and the search's cost
/// grows with the pixel count, so larger photos are shrunk before it.
pub const MAX_FRAME_SIDE: u32 = 1280;

/// Interlaced PNGs arrive in seven passes, so they cannot be shrunk row by row; they are
/// decoded whole, and only when their 8-bit pixels fit in this many bytes.
pub const MAX_INTERLACED_BYTES: usize = 8 << 20;

/// What the PNG decoder may allocate beyond the rows (text, ICC profile, zlib state).
const PNG_DECODER_BYTES: usize = 4 << 20;

/// A PNG read row by row: 16-bit samples cut to 8, palettes expanded, each row turned into
/// grey and box-averaged into the shrunken frame at once, so memory stays at one input row
/// plus the frame however large the image claims to be.
pub fn read_png(bytes: &[u8], budget: &Budget) -> Result<GrayImage, QrError> {
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: PNG_DECODER_BYTES,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let mut reader = decoder.read_info().map_err(png_error)?;
    let (width, height) = (reader.info().width, reader.info().height);
    let interlaced = reader.info().interlaced;
    let channels = match reader.output_color_type() {
        (colour, png::BitDepth::Eight) => colour.samples(),
        (colour, depth) => {
            return Err(png_error(format!(
                "unexpected {colour:?} at {depth:?} after expansion"
            )));
        }
    };
    let mut shrink = Shrinker::new(width, height);
    if interlaced {
        let size = reader
            .output_buffer_size()
            .filter(|s| *s <= MAX_INTERLACED_BYTES)
            .ok_or(QrError::InterlacedTooLarge { width, height })?;
        let mut pixels = vec![0; size];
        reader.next_frame(&mut pixels).map_err(png_error)?;
        budget.check()?;
        for row in pixels.chunks_exact(width as usize * channels) {
            shrink.push_row(row, channels);
        }
    } else {
        while let Some(row) = reader.next_row().map_err(png_error)? {
            budget.check()?;
            shrink.push_row(row.data(), channels);
        }
    }
    Ok(shrink.finish())
}

/// Progressive JPEGs (and sequential ones whose first scan leaves out a component) carry
/// each row's data across several scans, so the decoder keeps every DCT coefficient of the
/// image, 2 bytes each, before it can give the first row. They are decoded only when those
/// coefficients fit in this many bytes: about 2.8 megapixels of colour with the usual halved
/// chroma, 4.2 of grey. Cameras and browsers write baseline JPEGs, which are read in rows.
pub const MAX_PROGRESSIVE_BYTES: usize = 8 << 20;

/// A JPEG read row by row by libjpeg (the `mozjpeg` crate), as grey only (a YCbCr JPEG's
/// chroma blocks are not even inverse-transformed), and scaled down in the DCT by the scale
/// [`scale_eighths`] picks, so its full-size plane never exists. Each row goes into the
/// shrunken frame at once: memory stays at libjpeg's few rows plus the frame, a few hundred
/// kB beyond the frame for 16 megapixels. Progressive JPEGs cost their coefficients and are
/// refused above [`MAX_PROGRESSIVE_BYTES`].
pub fn read_jpeg(bytes: &[u8], max_pixels: u64, budget: &Budget) -> Result<GrayImage, QrError> {
    // libjpeg reports a broken file by unwinding out of its C code with the message (the
    // `mozjpeg` crate's error handler); nothing else in here panics.
    panic::catch_unwind(AssertUnwindSafe(|| {
        read_jpeg_rows(bytes, max_pixels, budget)
    }))
    .unwrap_or_else(|payload| {
        let message = match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => payload
                .downcast_ref::<&str>()
                .map_or_else(|| "libjpeg gave up".to_owned(), |s| (*s).to_owned()),
        };
        Err(jpeg_error(message))
    })
}

fn read_jpeg_rows(bytes: &[u8], max_pixels: u64, budget: &Budget) -> Result<GrayImage, QrError> {
    let mut decoder = mozjpeg::Decompress::new_mem(bytes).map_err(jpeg_error)?;
    let width = u32::try_from(decoder.width()).map_err(jpeg_error)?;
    let height = u32::try_from(decoder.height()).map_err(jpeg_error)?;
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(QrError::TooManyPixels {
            width,
            height,
            max: max_pixels,
        });
    }
    // Markers that cannot be followed count as the costly kind.
    if holds_whole_coefficients(bytes).unwrap_or(true)
        && coefficient_bytes(decoder.components()) > MAX_PROGRESSIVE_BYTES
    {
        return Err(QrError::ProgressiveTooLarge { width, height });
    }
    decoder.scale(scale_eighths(width.max(height)));
    budget.check()?;
    // A progressive JPEG is read whole here, into its (bounded) coefficients.
    let mut rows = decoder.grayscale().map_err(jpeg_error)?;
    let (out_width, out_height) = (rows.width(), rows.height());
    let mut shrink = Shrinker::new(out_width as u32, out_height as u32);
    let mut row = vec![0; out_width];
    for _ in 0..out_height {
        budget.check()?;
        rows.read_scanlines_into(&mut row).map_err(jpeg_error)?;
        shrink.push_row(&row, 1);
    }
    Ok(shrink.finish())
}

/// The DCT scale, in eighths (libjpeg decodes at 1/8 to 8/8 in steps of 1/8), for a JPEG
/// whose longest side is `side`: the one that gives the largest frame after the
/// whole-factor shrink to [`MAX_FRAME_SIDE`], and of those the smallest decode. The frame is
/// never smaller than shrinking the full-size image would give (8/8 is a candidate), and a
/// photo up to 1280 px is decoded at full size.
fn scale_eighths(side: u32) -> u8 {
    let frame_side = |n: u8| {
        let decoded = (side * u32::from(n)).div_ceil(8);
        decoded.div_ceil(decoded.div_ceil(MAX_FRAME_SIDE).max(1))
    };
    (1..=8)
        .max_by_key(|&n| (frame_side(n), Reverse(n)))
        .expect("eight candidates")
}

/// Bytes of DCT coefficients libjpeg keeps for a JPEG it must hold whole: 64 coefficients
/// of 2 bytes a block, blocks rounded up to whole MCUs as libjpeg allocates them.
fn coefficient_bytes(components: &[mozjpeg::CompInfo]) -> usize {
    components
        .iter()
        .map(|c| {
            let across =
                (c.width_in_blocks as usize).next_multiple_of(c.h_samp_factor.max(1) as usize);
            let down =
                (c.height_in_blocks as usize).next_multiple_of(c.v_samp_factor.max(1) as usize);
            across.saturating_mul(down).saturating_mul(128)
        })
        .fold(0, usize::saturating_add)
}

/// Whether the decoder must hold every coefficient before its first row: the frame is
/// progressive, or the first scan leaves out a component. Read from the marker segments up
/// to the first scan header; `None` when they cannot be followed that far.
fn holds_whole_coefficients(bytes: &[u8]) -> Option<bool> {
    let mut pos = 2; // after SOI
    let mut frame = None; // (progressive, components)
    loop {
        // A marker is 0xFF, maybe more 0xFF as fill, then its code.
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        while *bytes.get(pos)? == 0xFF {
            pos += 1;
        }
        let code = *bytes.get(pos)?;
        pos += 1;
        if code == 0x01 || (0xD0..=0xD7).contains(&code) {
            continue; // no length follows
        }
        let len = usize::from(u16::from_be_bytes([*bytes.get(pos)?, *bytes.get(pos + 1)?]));
        let body = bytes.get(pos + 2..pos + len)?;
        match code {
            // SOF0 to SOF15 but DHT, JPG and DAC; SOF2, 6, 10 and 14 are progressive.
            0xC0..=0xCF if !matches!(code, 0xC4 | 0xC8 | 0xCC) => {
                frame = Some((matches!(code, 0xC2 | 0xC6 | 0xCA | 0xCE), *body.get(5)?));
            }
            0xDA => {
                let (progressive, components) = frame?;
                return Some(progressive || *body.first()? < components);
            }
            _ => {}
        }
        pos += len;
    }
}

fn png_error(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> QrError {
    QrError::PngDecode(ImageError::Decoding(DecodingError::new(
        ImageFormatHint::Exact(ImageFormat::Png),
        e,
    )))
}

fn jpeg_error(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> QrError {
    QrError::PngDecode(ImageError::Decoding(DecodingError::new(
        ImageFormatHint::Exact(ImageFormat::Jpeg),
        e,
    )))
}

/// Grey rows in, a frame shrunk by a whole factor out: each output pixel is the mean of a
/// `factor` x `factor` block (smaller at the right and bottom edges). A box filter keeps
/// module edges as sharp as the smaller grid allows, which is what the QR search needs.
struct Shrinker {
    factor: usize,
    width: usize,
    out_width: usize,
    /// Sums of the current band of `factor` input rows, one per output column.
    sums: Vec<u32>,
    rows_in_band: usize,
    out: Vec<u8>,
}

impl Shrinker {
    fn new(width: u32, height: u32) -> Shrinker {
        let factor = width.max(height).div_ceil(MAX_FRAME_SIDE).max(1) as usize;
        let out_width = (width as usize).div_ceil(factor);
        let out_height = (height as usize).div_ceil(factor);
        Shrinker {
            factor,
            width: width as usize,
            out_width,
            sums: vec![0; out_width],
            rows_in_band: 0,
            out: Vec::with_capacity(out_width * out_height),
        }
    }

    /// One input row of `channels` 8-bit samples a pixel: grey, grey+alpha, RGB or RGBA.
    /// Colour becomes luma with the Rec. 709 weights the `image` crate uses; alpha is ignored.
    fn push_row(&mut self, row: &[u8], channels: usize) {
        let f = self.factor;
        for (x, px) in row.chunks_exact(channels).take(self.width).enumerate() {
            let grey = if channels >= 3 {
                (u32::from(px[0]) * 2126 + u32::from(px[1]) * 7152 + u32::from(px[2]) * 722)
                    / 10_000
            } else {
                u32::from(px[0])
            };
            self.sums[x / f] += grey;
        }
        self.rows_in_band += 1;
        if self.rows_in_band == f {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.rows_in_band == 0 {
            return;
        }
        let f = self.factor;
        for (ox, sum) in self.sums.iter_mut().enumerate() {
            let cols = f.min(self.width - ox * f);
            let count = (cols * self.rows_in_band) as u32;
            self.out.push((*sum / count) as u8);
            *sum = 0;
        }
        self.rows_in_band = 0;
    }

    /// The frame, as many rows as were pushed (a short image gives a short frame).
    fn finish(mut self) -> GrayImage {
        self.flush();
        let rows = self.out.len() / self.out_width.max(1);
        GrayImage::from_raw(self.out_width as u32, rows as u32, self.out)
            .expect("the buffer holds whole rows")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_is_shrunk_by_a_whole_factor_with_box_means() {
        let mut s = Shrinker::new(2 * MAX_FRAME_SIDE + 1, 3);
        assert_eq!(s.factor, 3);
        let row: Vec<u8> = (0..2 * MAX_FRAME_SIDE + 1)
            .map(|x| (x % 3 * 30) as u8)
            .collect();
        for _ in 0..3 {
            s.push_row(&row, 1);
        }
        let frame = s.finish();
        assert_eq!(
            frame.dimensions(),
            ((2 * MAX_FRAME_SIDE + 1).div_ceil(3), 1)
        );
        // 0, 30, 60 average to 30; the last block is two columns wide, 0 and 30.
        assert_eq!(frame.get_pixel(0, 0).0, [30]);
        assert_eq!(frame.get_pixel(frame.width() - 1, 0).0, [15]);
    }

    #[test]
    fn the_jpeg_scale_gives_the_largest_frame_from_the_smallest_decode() {
        // Longest side, eighths, frame side after the whole-factor shrink.
        for (side, eighths, frame) in [
            (640, 8, 640),
            (1280, 8, 1280),
            (1281, 7, 1121),
            (2560, 4, 1280),
            (3000, 3, 1125),
            (3136, 3, 1176),
            (3999, 5, 1250),
            (10_000, 1, 1250),
        ] {
            let n = scale_eighths(side);
            let decoded = (side * u32::from(n)).div_ceil(8);
            let shrunk = decoded.div_ceil(decoded.div_ceil(MAX_FRAME_SIDE));
            assert_eq!((n, shrunk), (eighths, frame), "{side}");
            // Never smaller than the frame of the full-size image.
            assert!(
                shrunk >= side.div_ceil(side.div_ceil(MAX_FRAME_SIDE)),
                "{side}"
            );
        }
    }

    #[test]
    fn progressive_and_multi_scan_jpegs_are_told_from_their_markers() {
        let image = image::RgbImage::from_pixel(64, 48, image::Rgb([10, 200, 30]));
        let mut baseline = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut baseline, 80)
            .encode_image(&image)
            .unwrap();
        assert_eq!(holds_whole_coefficients(&baseline), Some(false));
        let progressive = super::super::hostile::progressive_jpeg(&image);
        assert_eq!(holds_whole_coefficients(&progressive), Some(true));
        // A sequential JPEG whose first scan holds one of three components (SOF0, SOS).
        let multi_scan = [
            &[0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0, 48, 0, 64, 3][..],
            &[1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1],
            &[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0],
        ]
        .concat();
        assert_eq!(holds_whole_coefficients(&multi_scan), Some(true));
        assert_eq!(holds_whole_coefficients(&baseline[..20]), None);
        assert_eq!(holds_whole_coefficients(b"\xFF\xD8garbage"), None);
    }

    #[test]
    fn a_broken_jpeg_is_an_error_not_a_panic() {
        let image = image::RgbImage::from_pixel(64, 48, image::Rgb([10, 200, 30]));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
            .encode_image(&image)
            .unwrap();
        // 12-bit samples, which this libjpeg is not built for: it gives up inside its C code.
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        jpeg[sof + 4] = 12;
        let read = read_jpeg(&jpeg, 1 << 20, &Budget::unlimited());
        assert!(matches!(read, Err(QrError::PngDecode(_))), "{read:?}");
        assert!(read_jpeg(&jpeg[..2], 1 << 20, &Budget::unlimited()).is_err());
    }

    #[test]
    fn small_frames_keep_their_size_and_colour_becomes_luma() {
        let mut s = Shrinker::new(2, 1);
        s.push_row(&[255, 0, 0, 255, 0, 255, 0, 0], 4);
        let frame = s.finish();
        assert_eq!(frame.dimensions(), (2, 1));
        assert_eq!(frame.as_raw(), &[54, 182]);
    }
}
