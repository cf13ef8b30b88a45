//! Hostile photos for tests and benchmarks, built on demand: each is cheap to send and was
//! once expensive to decode.

use image::GrayImage;

/// Side of one tile of [`finder_tiles`]: a 7x7 finder pattern with a one-pixel margin.
const TILE: u32 = 9;

/// A grey PNG `side` pixels square, tiled with QR finder patterns one pixel per module.
/// A few hundred bytes; unbounded, rqrr's grouping tried every pair of neighbouring
/// patterns on a copy of the whole image (20 s for 360x360, minutes for 1000x1000).
pub fn finder_tiles(side: u32) -> Vec<u8> {
    let image = GrayImage::from_fn(side, side, |x, y| {
        let (u, v) = (x % TILE, y % TILE);
        let dark = if (1..=7).contains(&u) && (1..=7).contains(&v) {
            // Ring (distance 3 from the centre) and 3x3 stone dark, the band between light.
            let d = (u as i32 - 4).abs().max((v as i32 - 4).abs());
            d != 2
        } else {
            false
        };
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header().expect("PNG header");
        writer.write_image_data(image.as_raw()).expect("pixels");
        writer.finish().expect("PNG end");
    }
    out
}

/// A one-colour 16-bit RGBA PNG `side` pixels square: about 130 KB at 3999x3999, 8 bytes a
/// pixel (128 MB) if decoded whole. Written row by row, so building it is cheap too.
pub fn sixteen_bit_rgba(side: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Sixteen);
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header().expect("PNG header");
        let mut stream = writer.stream_writer().expect("PNG stream");
        let row = vec![0x80; side as usize * 8];
        for _ in 0..side {
            std::io::Write::write_all(&mut stream, &row).expect("writing to memory");
        }
        stream.finish().expect("PNG end");
    }
    out
}

/// A real 2x2 16-bit RGBA PNG whose header claims `width` x `height` pixels, with a valid
/// checksum so that only the reader's own care stops it.
pub fn lying_header(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, 2, 2);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Sixteen);
        let mut writer = encoder.write_header().expect("PNG header");
        writer.write_image_data(&[0x40; 32]).expect("2x2 pixels");
        writer.finish().expect("PNG end");
    }
    out[16..20].copy_from_slice(&width.to_be_bytes());
    out[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&out[12..29]);
    out[29..33].copy_from_slice(&crc.to_be_bytes());
    out
}

/// A one-colour RGB JPEG `side` pixels square: about 430 KB at 3999x3999. Decoded whole it
/// was 16 MB of grey (48 MB of RGB); it is now read in rows at a reduced DCT scale.
pub fn one_colour_jpeg(side: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(side, side, image::Rgb([200, 180, 160]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&image)
        .expect("encoding to memory");
    out
}

/// `image` as a progressive JPEG (quality 80, chroma halved both ways, libjpeg's standard
/// scan script): every DCT coefficient must be held before the first row, 3 bytes a pixel.
pub fn progressive_jpeg(image: &image::RgbImage) -> Vec<u8> {
    let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
    // libjpeg-turbo's settings rather than MozJPEG's slow trellis search.
    compress.set_fastest_defaults();
    compress.set_size(image.width() as usize, image.height() as usize);
    compress.set_quality(80.0);
    compress.set_chroma_sampling_pixel_sizes((2, 2), (2, 2));
    compress.set_progressive_mode();
    let mut started = compress
        .start_compress(Vec::new())
        .expect("writing to memory");
    started
        .write_scanlines(image.as_raw())
        .expect("writing to memory");
    started.finish().expect("writing to memory")
}

/// A one-colour progressive RGB JPEG `side` pixels square: about 48 MB of coefficients at
/// 3999x3999, refused from its header (over [`super::MAX_PROGRESSIVE_BYTES`]).
pub fn one_colour_progressive_jpeg(side: u32) -> Vec<u8> {
    progressive_jpeg(&image::RgbImage::from_pixel(
        side,
        side,
        image::Rgb([200, 180, 160]),
    ))
}

/// The PNG chunk checksum (CRC-32, polynomial 0xEDB88320).
pub fn crc32(bytes: &[u8]) -> u32 {
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
