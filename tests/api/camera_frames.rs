//! Hard camera frames of a badge for the decoder tests and `benches/camera_decode.rs`: the
//! badge's QR on a white card in a cluttered scene, seen far away, tilted, blurred, dim,
//! noisy or under glare, drawn through a pinhole camera so every decoder gets the same
//! grey pixels.
// The benchmark draws every kind; the tests need only a few.
#![allow(dead_code)]

use rand::{Rng, SeedableRng, rngs::StdRng};

/// What makes a frame hard. Module sizes are the apparent size of one QR module in frame
/// pixels: a badge's code is 49 modules with its quiet zone, so 2 px is a code 98 px wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Close and square on: the easy case, for reference.
    Near,
    /// Far from the camera: 1.7 to 2.4 px a module.
    Far,
    /// Turned any way in the image and tilted 40 to 60 degrees away from the camera.
    Angled,
    /// Out of focus or moving: a Gaussian blur of 1.4 to 2.2 px.
    Blurred,
    /// Dim, washed out light: ink and card 25 to 35 grey levels apart.
    LowContrast,
    /// A small sensor in poor light: Gaussian noise of 18 to 28 grey levels.
    Noisy,
    /// A lamp reflected on a glossy badge: a saturated spot over part of the code.
    Glare,
    /// No badge at all: how long a decoder spends on an empty frame, and that it reads nothing.
    NoCode,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Near,
        Kind::Far,
        Kind::Angled,
        Kind::Blurred,
        Kind::LowContrast,
        Kind::Noisy,
        Kind::Glare,
        Kind::NoCode,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Near => "near",
            Kind::Far => "far",
            Kind::Angled => "angled",
            Kind::Blurred => "blurred",
            Kind::LowContrast => "low contrast",
            Kind::Noisy => "noisy",
            Kind::Glare => "glare",
            Kind::NoCode => "no code",
        }
    }
}

/// Everything that varies between frames of one kind, drawn from the frame's seed.
struct Look {
    module_px: f64,
    turn: f64,
    tilt: f64,
    tilt_axis: f64,
    ink: f64,
    card: f64,
    blur: f64,
    noise: f64,
    glare: f64,
}

impl Look {
    fn of(kind: Kind, rng: &mut StdRng) -> Look {
        let mut look = Look {
            module_px: rng.random_range(3.5..5.0),
            turn: rng.random_range(-12.0..12.0f64).to_radians(),
            tilt: rng.random_range(0.0..12.0f64).to_radians(),
            tilt_axis: rng.random_range(0.0..std::f64::consts::TAU),
            ink: rng.random_range(25.0..50.0),
            card: rng.random_range(200.0..235.0),
            // Every camera's optics soften a little.
            blur: 0.6,
            noise: 3.0,
            glare: 0.0,
        };
        match kind {
            Kind::Near | Kind::NoCode => look.module_px = rng.random_range(4.5..7.0),
            Kind::Far => {
                look.module_px = rng.random_range(1.7..2.4);
                look.turn = rng.random_range(0.0..std::f64::consts::TAU);
                look.noise = 4.0;
            }
            Kind::Angled => {
                look.module_px = rng.random_range(3.2..4.5);
                look.turn = rng.random_range(0.0..std::f64::consts::TAU);
                look.tilt = rng.random_range(40.0..60.0f64).to_radians();
            }
            Kind::Blurred => look.blur = rng.random_range(1.4..2.2),
            Kind::LowContrast => {
                look.card = rng.random_range(140.0..165.0);
                look.ink = look.card - rng.random_range(25.0..35.0);
            }
            Kind::Noisy => {
                look.module_px = rng.random_range(2.8..4.0);
                look.noise = rng.random_range(18.0..28.0);
            }
            Kind::Glare => look.glare = rng.random_range(150.0..260.0),
        }
        look
    }
}

/// A grey frame (one byte a pixel, rows top to bottom) of `width` x `height`: the token's QR
/// drawn as `kind` says, or no code for [`Kind::NoCode`]. The same arguments give the same
/// pixels.
pub fn frame(token: &str, kind: Kind, width: usize, height: usize, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x00c0_ffee_ba5e_ba11);
    let look = Look::of(kind, &mut rng);
    let mut pixels = scene(width, height, &mut rng);
    if kind != Kind::NoCode {
        let code = badgetrail::qr::BadgeCode::encode(token).expect("a badge token encodes");
        let card = Card::new(&code, look.ink, look.card);
        let camera = place(&card, &look, width, height, &mut rng);
        draw(&mut pixels, width, height, &card, &camera);
        if look.glare > 0.0 {
            glare(
                &mut pixels,
                width,
                height,
                &card,
                &camera,
                look.glare,
                &mut rng,
            );
        }
    }
    blur(&mut pixels, width, height, look.blur);
    let noise = look.noise;
    pixels
        .into_iter()
        .map(|v| (v + noise * gaussian(&mut rng)).round().clamp(0.0, 255.0) as u8)
        .collect()
}

/// A room behind the badge: uneven light and darker and lighter shapes, some with the sharp
/// edges that give a decoder false finder-pattern candidates.
fn scene(width: usize, height: usize, rng: &mut StdRng) -> Vec<f64> {
    let base = rng.random_range(90.0..160.0);
    let (gx, gy) = (rng.random_range(-40.0..40.0), rng.random_range(-40.0..40.0));
    let mut pixels: Vec<f64> = (0..width * height)
        .map(|i| {
            let (x, y) = (
                (i % width) as f64 / width as f64,
                (i / width) as f64 / height as f64,
            );
            base + gx * (x - 0.5) + gy * (y - 0.5)
        })
        .collect();
    let scale = width as f64 / 640.0;
    for _ in 0..14 {
        let w = (rng.random_range(8.0..140.0) * scale) as usize;
        let h = (rng.random_range(8.0..140.0) * scale) as usize;
        let x0 = rng.random_range(0..width.saturating_sub(w).max(1));
        let y0 = rng.random_range(0..height.saturating_sub(h).max(1));
        let level = rng.random_range(20.0..240.0);
        for y in y0..(y0 + h).min(height) {
            pixels[y * width + x0..y * width + (x0 + w).min(width)].fill(level);
        }
    }
    pixels
}

/// The badge card in its own plane, in module units from its centre: the code, its quiet
/// zone, and three more modules of card around it.
struct Card<'a> {
    code: &'a badgetrail::qr::BadgeCode,
    /// Half the card's side, in modules.
    half: f64,
    ink: f64,
    paper: f64,
}

impl<'a> Card<'a> {
    const QUIET: f64 = 4.0;
    const MARGIN: f64 = 3.0;

    fn new(code: &'a badgetrail::qr::BadgeCode, ink: f64, paper: f64) -> Card<'a> {
        let half = code.width() as f64 / 2.0 + Self::QUIET + Self::MARGIN;
        Card {
            code,
            half,
            ink,
            paper,
        }
    }

    /// The card's grey at (`u`, `v`), or `None` off the card.
    fn at(&self, u: f64, v: f64) -> Option<f64> {
        if u.abs() >= self.half || v.abs() >= self.half {
            return None;
        }
        let n = self.code.width() as f64;
        let (col, row) = (u + n / 2.0, v + n / 2.0);
        let dark = col >= 0.0
            && row >= 0.0
            && col < n
            && row < n
            && self.code.is_dark(col as usize, row as usize);
        Some(if dark { self.ink } else { self.paper })
    }
}

/// The projection of the card's plane (module units) into the frame, and its inverse.
struct Camera {
    to_frame: [[f64; 3]; 3],
    to_card: [[f64; 3]; 3],
}

impl Camera {
    fn project(m: &[[f64; 3]; 3], x: f64, y: f64) -> (f64, f64) {
        let w = m[2][0] * x + m[2][1] * y + m[2][2];
        (
            (m[0][0] * x + m[0][1] * y + m[0][2]) / w,
            (m[1][0] * x + m[1][1] * y + m[1][2]) / w,
        )
    }
}

/// A pinhole camera looking at the card, turned in its plane and tilted about an axis in it,
/// at a distance that gives the look's module size at the card's centre; the card anywhere
/// in the frame it fits whole.
fn place(card: &Card, look: &Look, width: usize, height: usize, rng: &mut StdRng) -> Camera {
    let focal = width as f64;
    // Rotation: turn about the view axis, then tilt about an axis in the card's plane.
    let (st, ct) = look.turn.sin_cos();
    let turn = [[ct, -st, 0.0], [st, ct, 0.0], [0.0, 0.0, 1.0]];
    let (sa, ca) = look.tilt_axis.sin_cos();
    let (sp, cp) = look.tilt.sin_cos();
    let axis = [ca, sa, 0.0];
    // Rodrigues' formula for a rotation of `tilt` about `axis`.
    let mut tilt = [[0.0; 3]; 3];
    for (i, row) in tilt.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            let identity = if i == j { 1.0 } else { 0.0 };
            let cross = match (i, j) {
                (0, 2) => axis[1],
                (1, 2) => -axis[0],
                (2, 0) => -axis[1],
                (2, 1) => axis[0],
                _ => 0.0,
            };
            *cell = cp * identity + (1.0 - cp) * axis[i] * axis[j] + sp * cross;
        }
    }
    let r = mul(&tilt, &turn);
    let distance = focal / look.module_px;
    for _ in 0..200 {
        let cx = rng.random_range(0.15..0.85) * width as f64;
        let cy = rng.random_range(0.15..0.85) * height as f64;
        // Card point (u, v, 0) in camera space: R (u, v, 0) + (tx, ty, distance), with the
        // centre seen at (cx, cy).
        let tx = (cx - width as f64 / 2.0) * distance / focal;
        let ty = (cy - height as f64 / 2.0) * distance / focal;
        let (ox, oy) = (width as f64 / 2.0, height as f64 / 2.0);
        let column = |c: [f64; 3]| [focal * c[0] + ox * c[2], focal * c[1] + oy * c[2], c[2]];
        let c0 = column([r[0][0], r[1][0], r[2][0]]);
        let c1 = column([r[0][1], r[1][1], r[2][1]]);
        let c2 = column([tx, ty, distance]);
        let to_frame = [
            [c0[0], c1[0], c2[0]],
            [c0[1], c1[1], c2[1]],
            [c0[2], c1[2], c2[2]],
        ];
        let h = card.half;
        let inside = [(-h, -h), (h, -h), (h, h), (-h, h)].iter().all(|&(u, v)| {
            let (x, y) = Camera::project(&to_frame, u, v);
            x >= 1.0 && y >= 1.0 && x < width as f64 - 1.0 && y < height as f64 - 1.0
        });
        if inside {
            return Camera {
                to_card: invert(&to_frame),
                to_frame,
            };
        }
    }
    panic!(
        "a {width}x{height} frame cannot hold a card at {} px a module",
        look.module_px
    );
}

/// Draws the card: each frame pixel it covers is the mean of 4x4 points of the card, as a
/// sensor pixel gathers light over its area (sampling once aliases a far code into noise no
/// camera makes).
fn draw(pixels: &mut [f64], width: usize, height: usize, card: &Card, camera: &Camera) {
    let h = card.half;
    let corners: Vec<(f64, f64)> = [(-h, -h), (h, -h), (h, h), (-h, h)]
        .iter()
        .map(|&(u, v)| Camera::project(&camera.to_frame, u, v))
        .collect();
    let x0 = corners.iter().map(|c| c.0).fold(f64::MAX, f64::min).floor() as usize;
    let x1 = corners.iter().map(|c| c.0).fold(f64::MIN, f64::max).ceil() as usize;
    let y0 = corners.iter().map(|c| c.1).fold(f64::MAX, f64::min).floor() as usize;
    let y1 = corners.iter().map(|c| c.1).fold(f64::MIN, f64::max).ceil() as usize;
    const N: usize = 4;
    for y in y0..=y1.min(height - 1) {
        for x in x0..=x1.min(width - 1) {
            let background = pixels[y * width + x];
            let mut sum = 0.0;
            for sy in 0..N {
                for sx in 0..N {
                    let fx = x as f64 + (sx as f64 + 0.5) / N as f64;
                    let fy = y as f64 + (sy as f64 + 0.5) / N as f64;
                    let (u, v) = Camera::project(&camera.to_card, fx, fy);
                    sum += card.at(u, v).unwrap_or(background);
                }
            }
            pixels[y * width + x] = sum / (N * N) as f64;
        }
    }
}

/// A bright spot centred somewhere on the code, a quarter to two fifths of it across,
/// saturating what it covers.
fn glare(
    pixels: &mut [f64],
    width: usize,
    height: usize,
    card: &Card,
    camera: &Camera,
    strength: f64,
    rng: &mut StdRng,
) {
    let reach = card.half - Card::QUIET - Card::MARGIN;
    let (u, v) = (
        rng.random_range(-reach..reach) * 0.7,
        rng.random_range(-reach..reach) * 0.7,
    );
    let (cx, cy) = Camera::project(&camera.to_frame, u, v);
    let (ex, _) = Camera::project(&camera.to_frame, u + reach, v);
    let side = (ex - cx).abs().max(4.0) * 2.0;
    let sigma = side * rng.random_range(0.25..0.4) / 2.0;
    for y in 0..height {
        for x in 0..width {
            let d2 = (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2);
            pixels[y * width + x] += strength * (-d2 / (2.0 * sigma * sigma)).exp();
        }
    }
}

/// Separable Gaussian blur of standard deviation `sigma` pixels, edges clamped.
fn blur(pixels: &mut [f64], width: usize, height: usize, sigma: f64) {
    if sigma <= 0.0 {
        return;
    }
    let reach = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f64> = (-reach..=reach)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = kernel.iter().sum();
    let kernel: Vec<f64> = kernel.iter().map(|k| k / total).collect();
    let mut tmp = vec![0.0; pixels.len()];
    let clamp = |i: isize, n: usize| i.clamp(0, n as isize - 1) as usize;
    for y in 0..height {
        for x in 0..width {
            tmp[y * width + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, w)| w * pixels[y * width + clamp(x as isize + k as isize - reach, width)])
                .sum();
        }
    }
    for y in 0..height {
        for x in 0..width {
            pixels[y * width + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, w)| w * tmp[clamp(y as isize + k as isize - reach, height) * width + x])
                .sum();
        }
    }
}

/// A standard normal sample (Box-Muller).
fn gaussian(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn mul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    out
}

fn invert(m: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    let c = |a: usize, b: usize, c: usize, d: usize| m[a][b] * m[c][d];
    [
        [
            (c(1, 1, 2, 2) - c(1, 2, 2, 1)) / det,
            (c(0, 2, 2, 1) - c(0, 1, 2, 2)) / det,
            (c(0, 1, 1, 2) - c(0, 2, 1, 1)) / det,
        ],
        [
            (c(1, 2, 2, 0) - c(1, 0, 2, 2)) / det,
            (c(0, 0, 2, 2) - c(0, 2, 2, 0)) / det,
            (c(0, 2, 1, 0) - c(0, 0, 1, 2)) / det,
        ],
        [
            (c(1, 0, 2, 1) - c(1, 1, 2, 0)) / det,
            (c(0, 1, 2, 0) - c(0, 0, 2, 1)) / det,
            (c(0, 0, 1, 1) - c(0, 1, 1, 0)) / det,
        ],
    ]
}

/// A string of a badge token's length and alphabet (124 characters of RFC 4648 base32), so
/// the code is a badge's size (version 6) without signing keys.
pub fn token_like(seed: u64) -> String {
    const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = StdRng::seed_from_u64(seed);
    (0..124)
        .map(|_| BASE32[rng.random_range(0..32)] as char)
        .collect()
}
