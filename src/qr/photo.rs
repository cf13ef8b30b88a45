//! Reading QR codes from camera photos (PNG or JPEG): size limits checked before decoding,
//! the photo shrunk to a kiosk frame, and the whole decode within a [`Budget`].

use std::io::Cursor;

use image::{ImageFormat, ImageReader};

use super::{Budget, QrError};

/// Decodes every QR code in a PNG or JPEG photo. The byte size is checked first, then the
/// width and height from the file header (nothing is decompressed yet), so an oversized
/// photo or a decompression bomb is refused before any pixel memory is allocated. The
/// photo is then read as grey and shrunk to at most [`super::MAX_FRAME_SIDE`] pixels a side
/// (row by row, a JPEG also scaled down in the DCT, so even a 16-bit RGBA PNG or a
/// 16-megapixel JPEG costs a few megabytes), and searched with
/// bounded work; `budget` ends the decode with [`QrError::OverBudget`] or
/// [`QrError::Cancelled`] wherever it has got to.
pub fn decode_photo(
    bytes: &[u8],
    max_bytes: usize,
    max_pixels: u64,
    budget: &Budget,
) -> Result<Vec<String>, QrError> {
    if bytes.len() > max_bytes {
        return Err(QrError::TooManyBytes {
            len: bytes.len(),
            max: max_bytes,
        });
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| QrError::PngDecode(e.into()))?;
    let format = reader.format();
    if !matches!(format, Some(ImageFormat::Png | ImageFormat::Jpeg)) {
        return Err(QrError::NotPng);
    }
    // PNG: read IHDR directly, so even a header with a bad checksum is measured first.
    let (width, height) = match format {
        Some(ImageFormat::Png) => super::png::png_dimensions(bytes)?,
        _ => reader.into_dimensions().map_err(QrError::PngDecode)?,
    };
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(QrError::TooManyPixels {
            width,
            height,
            max: max_pixels,
        });
    }
    budget.check()?;
    let frame = match format {
        Some(ImageFormat::Png) => super::frame::read_png(bytes, budget)?,
        _ => super::frame::read_jpeg(bytes, max_pixels, budget)?,
    };
    super::search::read_codes_within(&frame, budget)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, codecs::jpeg::JpegEncoder};

    const TOKEN: &str = "HELLO BADGE 123";

    fn badge_image() -> GrayImage {
        crate::qr::BadgeCode::encode(TOKEN).unwrap().render()
    }

    #[test]
    fn reads_png_and_jpeg_photos() {
        let img = badge_image();
        let png = crate::qr::encode_png(&img).unwrap();
        assert_eq!(
            decode_photo(&png, 1 << 20, 1 << 22, &Budget::unlimited()).unwrap(),
            [TOKEN]
        );
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 80)
            .encode_image(&img)
            .unwrap();
        assert_eq!(
            decode_photo(&jpeg, 1 << 20, 1 << 22, &Budget::unlimited()).unwrap(),
            [TOKEN]
        );
    }

    #[test]
    fn refuses_big_and_foreign_input_before_decoding() {
        let png = crate::qr::encode_png(&badge_image()).unwrap();
        assert!(matches!(
            decode_photo(&png, 100, 1 << 22, &Budget::unlimited()),
            Err(QrError::TooManyBytes { .. })
        ));
        assert!(matches!(
            decode_photo(&png, 1 << 20, 1_000, &Budget::unlimited()),
            Err(QrError::TooManyPixels { .. })
        ));
        assert!(matches!(
            decode_photo(b"GIF89a....", 1 << 20, 1 << 22, &Budget::unlimited()),
            Err(QrError::NotPng)
        ));
        assert!(
            decode_photo(
                b"\xff\xd8\xff garbage",
                1 << 20,
                1 << 22,
                &Budget::unlimited()
            )
            .is_err()
        );
    }

    #[test]
    fn a_jpeg_claiming_huge_dimensions_is_refused_cheaply() {
        // A real JPEG whose frame header (SOF0) is patched to claim 60000 x 60000 pixels.
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 80)
            .encode_image(&badge_image())
            .unwrap();
        let sof = jpeg
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("baseline JPEG");
        jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
        assert!(matches!(
            decode_photo(&jpeg, 1 << 20, 1 << 24, &Budget::unlimited()),
            Err(QrError::TooManyPixels {
                width: 60000,
                height: 60000,
                ..
            })
        ));
    }
}
