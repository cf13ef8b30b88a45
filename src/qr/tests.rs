//! Tests of badge QR images: round trips, the read-back check and decoding limits.

use super::*;
use crate::domain::badge::{BadgeClaims, sign, signing_key_from_seed};
use image::GrayImage;
use qrcode::bits::Bits;
use qrcode::types::{Color, Version};

const MAX_BYTES: usize = 1 << 20;
const MAX_PIXELS: u64 = 4_000_000;

fn token(attendee_id: u32) -> String {
    let claims = BadgeClaims {
        event_id: 42,
        key_id: 1,
        attendee_id,
        serial: 1,
    };
    sign(&claims, &signing_key_from_seed([9; 32]))
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A real PNG whose IHDR claims another size, with a valid CRC, so only a limit
/// can refuse it.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = encode_png(&GrayImage::new(2, 2)).unwrap();
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

#[test]
fn token_round_trips_through_the_png() {
    for id in [0, 1, 77, 123_456, u32::MAX] {
        let token = token(id);
        let png = render_png(&token).unwrap();
        assert_eq!(
            decode_png(&png, MAX_BYTES, MAX_PIXELS).unwrap(),
            vec![token]
        );
    }
}

#[test]
fn issued_images_are_found_by_a_full_scan() {
    // The issuing check skips rqrr's finder search; this proves a real scan finds them.
    for id in 1000..1040 {
        let token = token(id);
        let images = issue_images(&token).unwrap();
        assert_eq!(
            decode_png(&images.png, MAX_BYTES, MAX_PIXELS).unwrap(),
            vec![token]
        );
    }
}

#[test]
fn token_is_alphanumeric_version_6_at_level_m() {
    let code = BadgeCode::encode(&token(5)).unwrap();
    // Byte mode would need version 8 (49 modules) for the same 124 characters.
    assert_eq!(code.version(), 6);
    assert_eq!(code.width(), 41);
    let image = code.render();
    assert_eq!(image.width(), (41 + 2 * QUIET_ZONE) * MODULE_PX);
}

#[test]
fn masks_match_the_qrcode_crate() {
    for id in 0..200 {
        let token = token(id);
        let ours = BadgeCode::encode(&token).unwrap();
        let mut bits = Bits::new(Version::Normal(ours.version().into()));
        bits.push_alphanumeric_data(token.as_bytes()).unwrap();
        bits.push_terminator(EC_LEVEL).unwrap();
        let theirs = qrcode::QrCode::with_bits(bits, EC_LEVEL).unwrap();
        let theirs: Vec<bool> = theirs
            .to_colors()
            .iter()
            .map(|c| *c == Color::Dark)
            .collect();
        assert_eq!(ours.dark, theirs, "attendee {id}");
    }
}

#[test]
fn masks_match_the_qrcode_crate_across_versions() {
    // Lines wider than 64 and 128 modules exercise every word of the bit rows.
    let mut state = 0x2545_f491_u32;
    for chars in [1, 9, 40, 77, 150, 300, 500, 800, 1200, 1800, 2500, 3391] {
        let text: String = (0..chars)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                QR_ALPHANUMERIC[state as usize % QR_ALPHANUMERIC.len()] as char
            })
            .collect();
        let ours = BadgeCode::encode(&text).unwrap();
        let theirs = qrcode::QrCode::with_error_correction_level(&text, EC_LEVEL).unwrap();
        assert_eq!(
            Version::Normal(ours.version().into()),
            theirs.version(),
            "{chars} chars"
        );
        let theirs: Vec<bool> = theirs
            .to_colors()
            .iter()
            .map(|c| *c == Color::Dark)
            .collect();
        assert_eq!(ours.dark, theirs, "{chars} chars");
    }
}

#[test]
fn version_grows_with_the_text() {
    assert_eq!(BadgeCode::encode("A").unwrap().version(), 1);
    // 20 alphanumeric characters fill version 1 at level M; 21 need version 2.
    assert_eq!(BadgeCode::encode(&"A".repeat(20)).unwrap().version(), 1);
    assert_eq!(BadgeCode::encode(&"A".repeat(21)).unwrap().version(), 2);
    assert!(matches!(
        BadgeCode::encode(&"A".repeat(4000)),
        Err(QrError::TooLong(4000))
    ));
}

#[test]
fn non_alphanumeric_text_is_refused() {
    for (text, bad) in [("abc", 'a'), ("A_B", '_'), ("AÉ", 'É')] {
        assert!(matches!(render_png(text), Err(QrError::NotAlphanumeric(c)) if c == bad));
    }
}

#[test]
fn svg_scales_and_has_the_expected_modules() {
    let token = token(3);
    let code = BadgeCode::encode(&token).unwrap();
    let svg = render_svg(&token).unwrap();
    let side = (41 + 2 * QUIET_ZONE) * MODULE_PX;
    assert!(
        svg.contains(&format!(r#"viewBox="0 0 {side} {side}""#)),
        "{svg}"
    );
    assert!(svg.contains(r##"fill="#000000""##) && svg.contains(r##"fill="#ffffff""##));

    // Each dark module is one `M{x} {y}h{w}v{h}H{x}V{y}` square.
    let path = svg
        .split(r#" d=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let mut modules = Vec::new();
    for square in path.split('M').filter(|s| !s.is_empty()) {
        let numbers: Vec<u32> = square
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(&numbers[2..4], &[MODULE_PX, MODULE_PX]);
        let (x, y) = (numbers[0] / MODULE_PX, numbers[1] / MODULE_PX);
        modules.push(((x - QUIET_ZONE) as usize, (y - QUIET_ZONE) as usize));
    }
    let expected: Vec<(usize, usize)> = (0..41)
        .flat_map(|y| (0..41).map(move |x| (x, y)))
        .filter(|(x, y)| code.is_dark(*x, *y))
        .collect();
    assert_eq!(modules, expected);
}

#[test]
fn a_damaged_rendering_fails_the_check() {
    let token = token(8);
    let image = BadgeCode::encode(&token).unwrap().render();
    assert!(check_rendering(&image, &token).is_ok());
    assert!(check_rendering(&image, &token.replace('A', "B")).is_err());

    let mut smudged = image.clone();
    smudged.put_pixel(100, 100, image::Luma([128]));
    assert!(check_rendering(&smudged, &token).is_err());

    let mut stray = image.clone();
    stray.put_pixel(3, 3, image::Luma([DARK]));
    assert!(check_rendering(&stray, &token).is_err());

    let cropped = image::imageops::crop_imm(&image, 0, 0, 384, 384).to_image();
    assert!(check_rendering(&cropped, &token).is_err());
}

#[test]
fn garbage_is_refused() {
    for bytes in [
        &b""[..],
        b"hello",
        &[0x89, b'P', b'N', b'G', 0, 0, 0, 0],
        &[7u8; 4096],
    ] {
        assert!(decode_png(bytes, MAX_BYTES, MAX_PIXELS).is_err());
    }
    let mut truncated = render_png(&token(1)).unwrap();
    truncated.truncate(200);
    assert!(matches!(
        decode_png(&truncated, MAX_BYTES, MAX_PIXELS),
        Err(QrError::PngDecode(_))
    ));
}

#[test]
fn a_png_without_a_code_gives_nothing() {
    let blank = encode_png(&GrayImage::from_pixel(64, 64, image::Luma([LIGHT]))).unwrap();
    assert_eq!(
        decode_png(&blank, MAX_BYTES, MAX_PIXELS).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn decompression_bomb_is_refused_from_the_header() {
    let bomb = png_claiming(100_000, 100_000);
    assert!(bomb.len() < 100, "the bomb is tiny: {} bytes", bomb.len());
    assert!(matches!(
        decode_png(&bomb, MAX_BYTES, MAX_PIXELS),
        Err(QrError::TooManyPixels {
            width: 100_000,
            height: 100_000,
            max: MAX_PIXELS
        })
    ));
    // The crafting keeps the PNG valid (same patch at its true size decodes), so it was
    // the pixel limit that refused it above, before any decoder ran.
    let small = png_claiming(2, 2);
    assert!(decode_png(&small, MAX_BYTES, MAX_PIXELS).is_ok());
}

#[test]
fn oversized_input_is_refused() {
    let png = render_png(&token(2)).unwrap();
    assert!(matches!(
        decode_png(&png, png.len() - 1, MAX_PIXELS),
        Err(QrError::TooManyBytes { .. })
    ));
    assert!(decode_png(&png, png.len(), MAX_PIXELS).is_ok());
}
