//! The QR symbol of a badge token: alphanumeric encoding, mask choice and the module grid.

use image::GrayImage;
use qrcode::bits::Bits;
use qrcode::canvas::Canvas;
use qrcode::render::{Renderer, svg};
use qrcode::types::{Color, Version};

use super::{DARK, EC_LEVEL, LIGHT, MASKS, MODULE_PX, QR_ALPHANUMERIC, QUIET_ZONE, QrError};

/// The QR symbol of one token: its modules, before any drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeCode {
    version: u8,
    mask: u8,
    /// Modules across, without the quiet zone.
    width: usize,
    /// Row-major, `true` for a dark module.
    pub(super) dark: Vec<bool>,
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
