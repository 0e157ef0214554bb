//! `cargo xtask icons`: draws the app icon and the four tray icons into `icons/`.
//!
//! The shapes are signed distances (circles, rounded squares, stroked segments),
//! sampled 4 × 4 per pixel for smooth edges, and written as PNG with a small encoder
//! (stored deflate blocks): no image crate, no downloaded art. The output is
//! deterministic, so a test can tell when the committed files are stale.

use std::path::Path;

/// RGBA colour, straight alpha.
type Rgba = [f32; 4];

const WHITE: Rgba = [1.0, 1.0, 1.0, 1.0];

/// A tray state: its file name, colour and glyph.
struct TrayState {
    name: &'static str,
    colour: Rgba,
    glyph: Glyph,
}

#[derive(Clone, Copy)]
enum Glyph {
    Check,
    Bang,
    Cross,
    Pause,
}

const TRAY: [TrayState; 4] = [
    TrayState { name: "ok", colour: rgb(0x1d, 0x9a, 0x55), glyph: Glyph::Check },
    TrayState { name: "degraded", colour: rgb(0xe0, 0x9a, 0x1a), glyph: Glyph::Bang },
    TrayState { name: "down", colour: rgb(0xd3, 0x2f, 0x2f), glyph: Glyph::Cross },
    TrayState { name: "unknown", colour: rgb(0x6b, 0x72, 0x80), glyph: Glyph::Pause },
];

const fn rgb(r: u8, g: u8, b: u8) -> Rgba {
    [r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0, 1.0]
}

/// Every file this task writes, with its bytes.
pub fn render_all() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for state in &TRAY {
        for size in [32u32, 64] {
            let suffix = if size == 32 { String::new() } else { "@2x".to_owned() };
            let png = encode_png(size, &draw(size, |x, y| tray_pixel(state, x, y)));
            files.push((format!("tray-{}{suffix}.png", state.name), png));
        }
    }
    for (name, size) in [("32x32.png", 32u32), ("128x128.png", 128), ("256x256.png", 256), ("icon.png", 512)] {
        files.push((name.to_owned(), encode_png(size, &draw(size, app_pixel))));
    }
    files
}

/// Writes the icons; returns the names written.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut names = Vec::new();
    for (name, bytes) in render_all() {
        std::fs::write(dir.join(&name), bytes)?;
        names.push(name);
    }
    Ok(names)
}

/// Samples `shade` (in unit coordinates, 0..1 across the icon) 4 × 4 times per pixel.
fn draw(size: u32, shade: impl Fn(f32, f32) -> Rgba) -> Vec<u8> {
    const SAMPLES: u32 = 4;
    let mut pixels = Vec::with_capacity((size * size * 4) as usize);
    for py in 0..size {
        for px in 0..size {
            let mut sum = [0.0f32; 4];
            for sy in 0..SAMPLES {
                for sx in 0..SAMPLES {
                    let x = (px as f32 + (sx as f32 + 0.5) / SAMPLES as f32) / size as f32;
                    let y = (py as f32 + (sy as f32 + 0.5) / SAMPLES as f32) / size as f32;
                    let [r, g, b, a] = shade(x, y);
                    // Premultiplied while averaging, so edges do not darken.
                    sum[0] += r * a;
                    sum[1] += g * a;
                    sum[2] += b * a;
                    sum[3] += a;
                }
            }
            let n = (SAMPLES * SAMPLES) as f32;
            let alpha = sum[3] / n;
            let channel = |v: f32| {
                if alpha <= 0.0 {
                    0
                } else {
                    ((v / n / alpha).clamp(0.0, 1.0) * 255.0).round() as u8
                }
            };
            pixels.extend([channel(sum[0]), channel(sum[1]), channel(sum[2]), (alpha * 255.0).round() as u8]);
        }
    }
    pixels
}

fn tray_pixel(state: &TrayState, x: f32, y: f32) -> Rgba {
    let disc = circle(x, y, 0.5, 0.5, 0.47);
    if disc > 0.0 {
        return [0.0; 4];
    }
    let stroke = 0.075;
    let inside_glyph = match state.glyph {
        Glyph::Check => {
            segment(x, y, (0.29, 0.52), (0.44, 0.67)).min(segment(x, y, (0.44, 0.67), (0.72, 0.35))) < stroke
        }
        Glyph::Cross => {
            segment(x, y, (0.33, 0.33), (0.67, 0.67)).min(segment(x, y, (0.67, 0.33), (0.33, 0.67))) < stroke
        }
        Glyph::Bang => segment(x, y, (0.5, 0.25), (0.5, 0.56)) < stroke || circle(x, y, 0.5, 0.73, 0.075) < 0.0,
        Glyph::Pause => segment(x, y, (0.39, 0.3), (0.39, 0.7)).min(segment(x, y, (0.61, 0.3), (0.61, 0.7))) < stroke,
    };
    if inside_glyph {
        WHITE
    } else {
        state.colour
    }
}

/// The app icon: a dark rounded square, a teal watch ring with a tick at twelve, and a
/// white check mark.
fn app_pixel(x: f32, y: f32) -> Rgba {
    if rounded_square(x, y, 0.06, 0.2) > 0.0 {
        return [0.0; 4];
    }
    let r = circle(x, y, 0.5, 0.52, 0.0);
    if (r - 0.3).abs() < 0.045 || segment(x, y, (0.5, 0.12), (0.5, 0.2)) < 0.035 {
        return rgb(0x2d, 0xd4, 0xbf);
    }
    if segment(x, y, (0.37, 0.53), (0.47, 0.63)).min(segment(x, y, (0.47, 0.63), (0.65, 0.42))) < 0.045 {
        return WHITE;
    }
    rgb(0x1f, 0x29, 0x37)
}

/// Signed distance to a circle's edge (negative inside).
fn circle(x: f32, y: f32, cx: f32, cy: f32, radius: f32) -> f32 {
    ((x - cx).powi(2) + (y - cy).powi(2)).sqrt() - radius
}

/// Distance to a segment.
fn segment(x: f32, y: f32, a: (f32, f32), b: (f32, f32)) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let t = (((x - a.0) * dx + (y - a.1) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    ((x - a.0 - t * dx).powi(2) + (y - a.1 - t * dy).powi(2)).sqrt()
}

/// Signed distance to a square inset by `margin` with corners of `radius`.
fn rounded_square(x: f32, y: f32, margin: f32, radius: f32) -> f32 {
    let half = 0.5 - margin - radius;
    let qx = ((x - 0.5).abs() - half).max(0.0);
    let qy = ((y - 0.5).abs() - half).max(0.0);
    (qx * qx + qy * qy).sqrt() - radius
}

/// An RGBA PNG: signature, IHDR, one IDAT, IEND. Rows use the `Up` filter, which
/// turns flat shapes into runs of zeros, and the deflate stream codes runs as matches.
pub fn encode_png(size: u32, rgba: &[u8]) -> Vec<u8> {
    let stride = size as usize * 4;
    let mut raw = Vec::with_capacity(rgba.len() + size as usize);
    for (y, row) in rgba.chunks(stride).enumerate() {
        raw.push(2); // filter: up
        for (x, &byte) in row.iter().enumerate() {
            let above = if y == 0 { 0 } else { rgba[(y - 1) * stride + x] };
            raw.push(byte.wrapping_sub(above));
        }
    }
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(deflate_runs(&raw));
    zlib.extend(adler32(&raw).to_be_bytes());

    let mut header = Vec::new();
    header.extend(size.to_be_bytes());
    header.extend(size.to_be_bytes());
    header.extend([8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, no filter, no interlace
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// Writes bits least significant first, as deflate wants.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    buffer: u32,
    count: u32,
}

impl Bits {
    fn put(&mut self, value: u32, width: u32) {
        self.buffer |= value << self.count;
        self.count += width;
        while self.count >= 8 {
            self.out.push(self.buffer as u8);
            self.buffer >>= 8;
            self.count -= 8;
        }
    }

    /// A Huffman code: sent most significant bit first.
    fn code(&mut self, code: u32, width: u32) {
        let reversed = code.reverse_bits() >> (32 - width);
        self.put(reversed, width);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.out.push(self.buffer as u8);
        }
        self.out
    }
}

/// One deflate block with the fixed Huffman codes: literals, and repeats of the byte
/// before as matches at distance 1.
fn deflate_runs(data: &[u8]) -> Vec<u8> {
    let mut bits = Bits::default();
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman codes
    let mut i = 0;
    while i < data.len() {
        let byte = data[i];
        literal(&mut bits, byte);
        i += 1;
        let mut run = 0;
        while i + run < data.len() && data[i + run] == byte && run < 258 * 64 {
            run += 1;
        }
        let mut left = run;
        while left >= 3 {
            let length = left.min(258);
            // A match of 259 or 260 would leave 1 or 2 behind; keep three for the next.
            let length = if left - length > 0 && left - length < 3 { length - 3 } else { length };
            repeat(&mut bits, length as u32);
            left -= length;
        }
        for _ in 0..left {
            literal(&mut bits, byte);
        }
        i += run;
    }
    symbol(&mut bits, 256);
    bits.finish()
}

fn literal(bits: &mut Bits, byte: u8) {
    symbol(bits, u32::from(byte));
}

/// A literal/length symbol in the fixed code.
fn symbol(bits: &mut Bits, value: u32) {
    match value {
        0..=143 => bits.code(0x30 + value, 8),
        144..=255 => bits.code(0x190 + value - 144, 9),
        256..=279 => bits.code(value - 256, 7),
        _ => bits.code(0xc0 + value - 280, 8),
    }
}

/// A match of `length` (3 to 258) at distance 1.
fn repeat(bits: &mut Bits, length: u32) {
    const BASES: [(u32, u32); 29] = [
        (3, 0),
        (4, 0),
        (5, 0),
        (6, 0),
        (7, 0),
        (8, 0),
        (9, 0),
        (10, 0),
        (11, 1),
        (13, 1),
        (15, 1),
        (17, 1),
        (19, 2),
        (23, 2),
        (27, 2),
        (31, 2),
        (35, 3),
        (43, 3),
        (51, 3),
        (59, 3),
        (67, 4),
        (83, 4),
        (99, 4),
        (115, 4),
        (131, 5),
        (163, 5),
        (195, 5),
        (227, 5),
        (258, 0),
    ];
    let index = BASES.iter().rposition(|&(base, _)| base <= length).unwrap_or(0);
    let (base, extra) = BASES[index];
    symbol(bits, 257 + index as u32);
    if extra > 0 {
        bits.put(length - base, extra);
    }
    bits.code(0, 5); // distance code 0: distance 1
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend((data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    png.extend(crc32(&crc_input).to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"IEND"), 0xae42_6082, "the CRC every PNG ends with");
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn tray_icons_differ_by_state_and_are_transparent_at_the_corners() {
        let files = render_all();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        for state in ["ok", "degraded", "down", "unknown"] {
            assert!(names.contains(&format!("tray-{state}.png").as_str()), "{names:?}");
        }
        let ok = draw(32, |x, y| tray_pixel(&TRAY[0], x, y));
        let down = draw(32, |x, y| tray_pixel(&TRAY[2], x, y));
        assert_ne!(ok, down);
        assert_eq!(ok[3], 0, "the corner is transparent");
        let centre_left = ((16 * 32 + 6) * 4) as usize;
        assert_eq!(&down[centre_left..centre_left + 4], &[0xd3, 0x2f, 0x2f, 0xff], "the disc has the state's colour");
    }

    /// The committed icons are what this code draws.
    #[test]
    fn committed_icons_are_fresh() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../icons");
        for (name, bytes) in render_all() {
            let committed = std::fs::read(dir.join(&name)).unwrap_or_default();
            assert!(committed == bytes, "icons/{name} is stale or missing: run `cargo xtask icons` and commit it");
        }
    }
}
