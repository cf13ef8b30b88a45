//! Badge QR images: a token drawn as PNG and SVG, every PNG read back before it is handed out.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngDecoder, PngEncoder};
use image::{DynamicImage, ExtendedColorType, GrayImage, ImageEncoder, Limits};
use qrcode::bits::Bits;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::render::{Renderer, svg};
use qrcode::types::{Color, EcLevel, Version};

/// Pixels per module in the PNG. A badge token gives a version 6 symbol, 49 modules wide
/// with the quiet zone, so 8 px/module makes a 392 px square: 1:1 at 300 dpi it prints
/// 33 mm wide with 0.68 mm modules (comfortable for phone cameras at arm's length), and on
/// screens it is usually drawn at or below its natural size, where scaling stays sharp.
/// Smaller modules would save only PNG compression time (about 30 us a badge at
/// 4 px/module) and lean on every viewer honouring `image-rendering: pixelated`, which
/// mail clients do not. Print layouts should prefer the SVG.
pub const MODULE_PX: u32 = 8;

/// The quiet zone the QR specification asks for, in modules, on every side.
pub const QUIET_ZONE: u32 = 4;

/// Medium error correction survives about 15% damage: scuffed prints, glare on a screen.
const EC_LEVEL: EcLevel = EcLevel::M;
/// rqrr reports the raw two format bits, where M is 0b00.
const RQRR_EC_LEVEL_M: u16 = 0;

const QR_ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Tried in the order the `qrcode` crate tries them, so ties pick the same mask it would.
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

const DARK: u8 = 0;
const LIGHT: u8 = 255;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error(
        "a badge QR code holds only 0-9, A-Z, space and $%*+-./: (QR alphanumeric mode), found {0:?}"
    )]
    NotAlphanumeric(char),
    #[error("{0} characters do not fit in a QR code at error correction level M")]
    TooLong(usize),
    #[error("QR encoding failed: {0}")]
    Encode(#[from] qrcode::types::QrError),
    #[error("PNG encoding failed: {0}")]
    PngEncode(image::ImageError),
    #[error("the rendered badge failed its read-back check: {0}")]
    SelfCheck(String),
    #[error("image is {len} bytes, more than the {max} accepted")]
    TooManyBytes { len: usize, max: usize },
    #[error("image is {width}x{height} pixels, more than the {max} pixels accepted")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    #[error("not a PNG image")]
    NotPng,
    #[error("unreadable PNG image: {0}")]
    PngDecode(image::ImageError),
}

/// A badge's QR code as handed out: the checked PNG and an SVG of the same modules.
pub struct BadgeImages {
    pub png: Vec<u8>,
    pub svg: String,
}

/// Renders PNG and SVG of the token's QR code and decodes the PNG back with rqrr;
/// a PNG that does not decode to exactly `token` is an error, never returned.
pub fn issue_images(token: &str) -> Result<BadgeImages, QrError> {
    let code = BadgeCode::encode(token)?;
    let image = code.render();
    check_rendering(&image, token)?;
    Ok(BadgeImages {
        png: encode_png(&image)?,
        svg: code.svg(),
    })
}

/// The PNG of the token's QR code, checked like [`issue_images`] checks it.
pub fn render_png(token: &str) -> Result<Vec<u8>, QrError> {
    let image = BadgeCode::encode(token)?.render();
    check_rendering(&image, token)?;
    encode_png(&image)
}

/// The SVG of the token's QR code; it is drawn from the same modules as the checked PNG.
pub fn render_svg(token: &str) -> Result<String, QrError> {
    Ok(BadgeCode::encode(token)?.svg())
}

/// The QR symbol of one token: its modules, before any drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeCode {
    version: u8,
    mask: u8,
    /// Modules across, without the quiet zone.
    width: usize,
    /// Row-major, `true` for a dark module.
    dark: Vec<bool>,
}

impl BadgeCode {
    /// Encodes in alphanumeric mode as one segment (5.5 bits a character, against 8 in
    /// byte mode), in the smallest version that holds it at level M. Text outside that
    /// mode's charset is refused rather than silently encoded in a larger byte-mode code.
    pub fn encode(text: &str) -> Result<BadgeCode, QrError> {
        if let Some(c) = text
            .chars()
            .find(|c| !c.is_ascii() || !QR_ALPHANUMERIC.contains(&(*c as u8)))
        {
            return Err(QrError::NotAlphanumeric(c));
        }
        let version = smallest_alphanumeric_version(text.len())?;
        let mut bits = Bits::new(version);
        bits.push_alphanumeric_data(text.as_bytes())?;
        bits.push_terminator(EC_LEVEL)?;
        let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, EC_LEVEL)?;
        let mut canvas = Canvas::new(version, EC_LEVEL);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ec);

        let width = version.width() as usize;
        // The `qrcode` crate picks the mask the same way, but its scoring allocates on every
        // window it looks at and makes up most of its encoding time.
        let mut best: Option<(u32, u8, Canvas)> = None;
        for (index, mask) in MASKS.into_iter().enumerate() {
            let mut masked = canvas.clone();
            masked.apply_mask(mask);
            let score = penalty_score(&masked, width);
            if best.as_ref().is_none_or(|(lowest, _, _)| score < *lowest) {
                best = Some((score, index as u8, masked));
            }
        }
        let (_, mask, chosen) = best.expect("eight masks were scored");
        let dark = chosen
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        let Version::Normal(number) = version else {
            unreachable!("only normal QR versions are used")
        };
        Ok(BadgeCode {
            version: number as u8,
            mask,
            width,
            dark,
        })
    }

    /// QR version, 1 to 40 (a badge token is version 6).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Mask pattern number, 0 to 7.
    pub fn mask(&self) -> u8 {
        self.mask
    }

    /// Modules across, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` (from the top left, quiet zone excluded) is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// Draws the symbol at [`MODULE_PX`] with the quiet zone, black on white.
    pub fn render(&self) -> GrayImage {
        let scale = MODULE_PX as usize;
        let quiet = QUIET_ZONE as usize;
        let side = (self.width + 2 * quiet) * scale;
        let mut pixels = vec![LIGHT; side * side];
        let mut row = vec![LIGHT; side];
        for y in 0..self.width {
            for x in 0..self.width {
                let value = if self.is_dark(x, y) { DARK } else { LIGHT };
                let left = (quiet + x) * scale;
                row[left..left + scale].fill(value);
            }
            let top = (quiet + y) * scale;
            for line in pixels[top * side..(top + scale) * side].chunks_exact_mut(side) {
                line.copy_from_slice(&row);
            }
        }
        GrayImage::from_raw(side as u32, side as u32, pixels).expect("buffer matches its size")
    }

    /// An SVG whose `viewBox` has the same pixel units as the PNG, so either can stand in
    /// for the other, while the vector form stays sharp at any print size.
    pub fn svg(&self) -> String {
        let colors: Vec<Color> = self
            .dark
            .iter()
            .map(|d| if *d { Color::Dark } else { Color::Light })
            .collect();
        Renderer::<svg::Color>::new(&colors, self.width, QUIET_ZONE)
            .module_dimensions(MODULE_PX, MODULE_PX)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build()
    }
}

fn smallest_alphanumeric_version(chars: usize) -> Result<Version, QrError> {
    (1..=40)
        .map(Version::Normal)
        .find(|version| {
            let count_bits = match version {
                Version::Normal(1..=9) => 9,
                Version::Normal(10..=26) => 11,
                _ => 13,
            };
            let needed = 4 + count_bits + 11 * (chars / 2) + 6 * (chars % 2);
            Bits::new(*version)
                .max_len(EC_LEVEL)
                .is_ok_and(|capacity| needed <= capacity)
        })
        .ok_or(QrError::TooLong(chars))
}

/// The mask penalty of ISO/IEC 18004 section 7.8.3, computed exactly as the `qrcode`
/// crate computes it (including its unrounded balance term) so the chosen mask matches,
/// but on whole rows and columns of bits at once.
fn penalty_score(canvas: &Canvas, width: usize) -> u32 {
    // Each of the three real finder patterns shows in three rows and three columns.
    const REAL_FINDERS: u32 = 2 * 9 * 40;
    let mut rows = vec![Line::default(); width];
    let mut columns = vec![Line::default(); width];
    for (y, row) in rows.iter_mut().enumerate() {
        for (x, column) in columns.iter_mut().enumerate() {
            // Branch-free: module colours are close to random, so a branch mispredicts.
            let dark = canvas.get(x as i16, y as i16).is_dark();
            row.put(x, dark);
            column.put(y, dark);
        }
    }
    let lines: u32 = rows
        .iter()
        .chain(&columns)
        .map(|line| line.penalty(width))
        .sum();
    let blocks: u32 = rows
        .windows(2)
        .map(|pair| {
            let (upper, lower) = (pair[0], pair[1]);
            3 * (upper.same_as_next(width) & lower.same_as_next(width) & !(upper ^ lower)).count()
        })
        .sum();
    let dark: u32 = rows.iter().map(|row| row.count()).sum();
    let ratio = dark * 200 / (width * width) as u32;
    lines - REAL_FINDERS + blocks + ratio.abs_diff(100)
}

/// One row or column of modules, bit k for module k: 177 modules, the most a QR code has,
/// fit in three words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Line([u64; 3]);

impl Line {
    fn first(n: usize) -> Line {
        let mut line = Line::default();
        for (i, word) in line.0.iter_mut().enumerate() {
            let bits = n.saturating_sub(64 * i).min(64);
            *word = if bits == 64 { !0 } else { (1 << bits) - 1 };
        }
        line
    }

    fn put(&mut self, k: usize, bit: bool) {
        self.0[k / 64] |= u64::from(bit) << (k % 64);
    }

    fn count(self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// Bit k of the result is bit k + n of `self`, for n in 1..64.
    fn ahead(self, n: u32) -> Line {
        let [a, b, c] = self.0;
        Line([a >> n | b << (64 - n), b >> n | c << (64 - n), c >> n])
    }

    /// Bit k of the result is bit k - n of `self`, for n in 1..64.
    fn behind(self, n: u32) -> Line {
        let [a, b, c] = self.0;
        Line([a << n, b << n | a >> (64 - n), c << n | b >> (64 - n)])
    }

    /// Bit k is set when module k has the colour of module k + 1.
    fn same_as_next(self, width: usize) -> Line {
        !(self ^ self.ahead(1)) & Line::first(width - 1)
    }

    /// Rules 1 and 3 for one line: runs of five or more, and finder-like 1011101 runs
    /// without four light modules on one side.
    fn penalty(self, width: usize) -> u32 {
        let same = self.same_as_next(width);
        let run_of_five = same & same.ahead(1) & same.ahead(2) & same.ahead(3);
        let run_start = run_of_five & !same.behind(1);
        // A run of n >= 5 scores n - 2: it has n - 4 windows of five, plus 2 for its start.
        let runs = run_of_five.count() + 2 * run_start.count();
        let finder_like = self
            & !self.ahead(1)
            & self.ahead(2)
            & self.ahead(3)
            & self.ahead(4)
            & !self.ahead(5)
            & self.ahead(6);
        let dark_before = self.behind(1) | self.behind(2) | self.behind(3) | self.behind(4);
        let dark_after = self.ahead(7) | self.ahead(8) | self.ahead(9) | self.ahead(10);
        runs + 40 * (finder_like & !(dark_before & dark_after)).count()
    }
}

impl std::ops::BitAnd for Line {
    type Output = Line;
    fn bitand(self, other: Line) -> Line {
        Line(std::array::from_fn(|i| self.0[i] & other.0[i]))
    }
}

impl std::ops::BitOr for Line {
    type Output = Line;
    fn bitor(self, other: Line) -> Line {
        Line(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }
}

impl std::ops::BitXor for Line {
    type Output = Line;
    fn bitxor(self, other: Line) -> Line {
        Line(std::array::from_fn(|i| self.0[i] ^ other.0[i]))
    }
}

impl std::ops::Not for Line {
    type Output = Line;
    fn not(self) -> Line {
        Line(self.0.map(|w| !w))
    }
}

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

    let (w, h) = (image.width() as usize, image.height() as usize);
    let pixels = image.as_raw();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    Ok(prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect())
}

/// Width and height from the IHDR chunk, which the PNG format requires to come first.
fn png_dimensions(bytes: &[u8]) -> Result<(u32, u32), QrError> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || !bytes.starts_with(SIGNATURE) || &bytes[12..16] != b"IHDR" {
        return Err(QrError::NotPng);
    }
    let width = u32::from_be_bytes(bytes[16..20].try_into().expect("four bytes"));
    let height = u32::from_be_bytes(bytes[20..24].try_into().expect("four bytes"));
    Ok((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::badge::{BadgeClaims, sign, signing_key_from_seed};

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
}
