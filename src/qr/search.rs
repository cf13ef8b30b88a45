//! Finding and reading every QR code in a grey frame, with bounded work.

use image::GrayImage;

use super::{Budget, QrError};

/// Capstones (finder patterns) kept for grouping, the largest first: three a badge, enough
/// for a dozen badges in one frame. An image tiled with finder patterns has thousands, and
/// rqrr's grouping tries every ranked pair of neighbours of each.
pub const MAX_CAPSTONES: usize = 36;

/// Candidate groups of three capstones checked against the image. Each check samples the
/// timing pattern and refines a perspective (up to a few milliseconds for a large grid); a
/// frame of real badges needs about one check per badge.
pub const MAX_GROUP_CHECKS: usize = 96;

/// Every QR code rqrr finds and decodes in a grey image; unreadable ones are skipped. No
/// deadline: the caps above still bound the work.
pub(super) fn read_codes(image: &GrayImage) -> Vec<String> {
    read_codes_within(image, &Budget::unlimited()).unwrap_or_default()
}

/// [`read_codes`] that stops with the budget's error once it is spent.
pub(super) fn read_codes_within(
    image: &GrayImage,
    budget: &Budget,
) -> Result<Vec<String>, QrError> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let pixels = image.as_raw();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    budget.check()?;
    let should_stop = || budget.is_spent();
    let limits = rqrr::DetectLimits {
        max_capstones: MAX_CAPSTONES,
        max_group_checks: MAX_GROUP_CHECKS,
        should_stop: &should_stop,
    };
    let grids = prepared
        .detect_grids_within(&limits)
        .map_err(|_| budget.check().err().unwrap_or(QrError::Cancelled))?;
    let mut codes = Vec::new();
    for grid in grids {
        budget.check()?;
        if let Ok((_, text)) = grid.decode() {
            codes.push(text);
        }
    }
    Ok(codes)
}
