//! Badge QR images: a token drawn as PNG and SVG, every PNG read back before it is handed out.

mod budget;
mod frame;
pub mod hostile;
mod photo;
mod png;
mod search;
mod symbol;

pub use budget::{Budget, CancelOnDrop};
pub use frame::{MAX_FRAME_SIDE, MAX_INTERLACED_BYTES, MAX_PROGRESSIVE_BYTES};
pub use photo::decode_photo;
pub use png::{check_rendering, decode_png, encode_png};
pub use search::{MAX_CAPSTONES, MAX_GROUP_CHECKS};
pub use symbol::BadgeCode;

use qrcode::canvas::MaskPattern;
use qrcode::types::EcLevel;

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
    #[error("not a PNG or JPEG image")]
    NotPng,
    #[error("unreadable PNG image: {0}")]
    PngDecode(image::ImageError),
    #[error(
        "interlaced PNG of {width}x{height} pixels is too large to decode; send it non-interlaced"
    )]
    InterlacedTooLarge { width: u32, height: u32 },
    #[error(
        "progressive JPEG of {width}x{height} pixels is too large to decode; send it as a baseline JPEG"
    )]
    ProgressiveTooLarge { width: u32, height: u32 },
    #[error("decoding took more than its {ms} ms budget; send a smaller or plainer image")]
    OverBudget { ms: u64 },
    #[error("decoding was cancelled")]
    Cancelled,
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

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_hostile;
