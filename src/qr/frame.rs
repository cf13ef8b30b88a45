//! A photo read into an 8-bit grey frame no larger than a kiosk needs, in bounded memory.

use std::io::Cursor;

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

/// A JPEG decoded whole (the decoder has no row access) straight to grey, one byte a pixel,
/// then shrunk. Colour is never expanded: 16 MB at most for 16 megapixels, not 48.
pub fn read_jpeg(bytes: &[u8], max_pixels: u64, budget: &Budget) -> Result<GrayImage, QrError> {
    let side = usize::try_from(max_pixels).unwrap_or(usize::MAX);
    let options = zune_core::options::DecoderOptions::default()
        .jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::Luma)
        .set_max_width(side)
        .set_max_height(side);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        options,
    );
    decoder.decode_headers().map_err(jpeg_error)?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| jpeg_error("no frame header"))?;
    if (width as u64) * (height as u64) > max_pixels {
        return Err(QrError::TooManyPixels {
            width: width as u32,
            height: height as u32,
            max: max_pixels,
        });
    }
    let size = decoder
        .output_buffer_size()
        .filter(|s| *s == width * height)
        .ok_or_else(|| jpeg_error("not decodable to one grey byte a pixel"))?;
    let mut pixels = vec![0; size];
    decoder.decode_into(&mut pixels).map_err(jpeg_error)?;
    budget.check()?;
    let mut shrink = Shrinker::new(width as u32, height as u32);
    for row in pixels.chunks_exact(width) {
        shrink.push_row(row, 1);
    }
    Ok(shrink.finish())
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
    fn small_frames_keep_their_size_and_colour_becomes_luma() {
        let mut s = Shrinker::new(2, 1);
        s.push_row(&[255, 0, 0, 255, 0, 255, 0, 0], 4);
        let frame = s.finish();
        assert_eq!(frame.dimensions(), (2, 1));
        assert_eq!(frame.as_raw(), &[54, 182]);
    }
}
