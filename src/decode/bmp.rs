//! BMP colour layouts as Pillow reads them. The header is checked first: a
//! bit-field layout Pillow does not read is refused in words (the original
//! pipeline could not open it either). 16-bit pixels (5-5-5, or 5-6-5 bit
//! fields) are unpacked here with Pillow's arithmetic (`v * 255 / 31`, in
//! `libImaging/Unpack.c`), which the `image` crate rounds differently; every
//! other layout goes to the `image` crate, whose 8-bit channels match Pillow.

use super::DecodeError;
use crate::frame::RgbFrame;

/// How a 16-bit BMP packs its colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packed16 {
    /// 5 bits each of red, green, blue (the default with no bit fields).
    Rgb555,
    /// 5 bits red, 6 green, 5 blue.
    Rgb565,
}

const BI_RGB: u32 = 0;
const BI_BITFIELDS: u32 = 3;

/// The bit-field layouts Pillow reads, per bit depth (`BmpImagePlugin.SUPPORTED`).
const PILLOW_32: [[u32; 4]; 8] = [
    [0xFF0000, 0xFF00, 0xFF, 0x0],
    [0xFF000000, 0xFF0000, 0xFF00, 0x0],
    [0xFF000000, 0xFF00, 0xFF, 0x0],
    [0xFF000000, 0xFF0000, 0xFF00, 0xFF],
    [0xFF, 0xFF00, 0xFF0000, 0xFF000000],
    [0xFF0000, 0xFF00, 0xFF, 0xFF000000],
    [0xFF000000, 0xFF00, 0xFF, 0xFF0000],
    [0x0, 0x0, 0x0, 0x0],
];

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

fn unusual(bits: u16) -> DecodeError {
    DecodeError::Unsupported(format!(
        "a {bits}-bit BMP with an unusual colour layout; save the picture as PNG or JPEG"
    ))
}

/// Checks the header: `Some` when the pixels are 16-bit and decoded here,
/// `None` for the `image` crate, an error for a layout Pillow refuses.
pub fn check(bytes: &[u8]) -> Result<Option<Packed16>, DecodeError> {
    let header = u32_at(bytes, 14).ok_or(DecodeError::Truncated)?;
    if header < 40 {
        // The old OS/2 header: no bit fields, 1-24 bits per pixel.
        return Ok(None);
    }
    let bits = bytes
        .get(28..30)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or(DecodeError::Truncated)?;
    let compression = u32_at(bytes, 30).ok_or(DecodeError::Truncated)?;
    match (compression, bits) {
        (BI_RGB, 16) => Ok(Some(Packed16::Rgb555)),
        (BI_BITFIELDS, _) => {
            let mask = |n: usize| u32_at(bytes, 54 + 4 * n).ok_or(DecodeError::Truncated);
            let rgb = [mask(0)?, mask(1)?, mask(2)?];
            // Pillow reads an alpha mask only from headers of 52 bytes or more.
            let alpha = if header >= 56 { mask(3)? } else { 0 };
            match bits {
                16 if rgb == [0xF800, 0x7E0, 0x1F] => Ok(Some(Packed16::Rgb565)),
                16 if rgb == [0x7C00, 0x3E0, 0x1F] => Ok(Some(Packed16::Rgb555)),
                24 if rgb == [0xFF0000, 0xFF00, 0xFF] => Ok(None),
                32 if PILLOW_32.contains(&[rgb[0], rgb[1], rgb[2], alpha]) => Ok(None),
                _ => Err(unusual(bits)),
            }
        }
        _ => Ok(None),
    }
}

/// Decodes an uncompressed 16-bit BMP of `width` x `height` (the probe's size).
pub fn decode16(bytes: &[u8], packed: Packed16) -> Result<RgbFrame, DecodeError> {
    let offset = u32_at(bytes, 10).ok_or(DecodeError::Truncated)? as usize;
    let w = u32_at(bytes, 18).ok_or(DecodeError::Truncated)? as i32;
    let h = u32_at(bytes, 22).ok_or(DecodeError::Truncated)? as i32;
    if w <= 0 || h == 0 || h == i32::MIN {
        return Err(DecodeError::Corrupt("the BMP header gives no size".into()));
    }
    let (w, rows) = (w as usize, h.unsigned_abs() as usize);
    let stride = (w * 2).div_ceil(4) * 4;
    let data = bytes
        .get(offset..)
        .filter(|d| d.len() >= stride * rows)
        .ok_or(DecodeError::Truncated)?;
    let scale = |v: u16, max: u16| (u32::from(v) * 255 / u32::from(max)) as u8;
    let mut out = Vec::with_capacity(w * rows * 3);
    for y in 0..rows {
        // Bottom-up unless the height is negative.
        let src = if h > 0 { rows - 1 - y } else { y };
        let row = &data[src * stride..src * stride + w * 2];
        for px in row.chunks_exact(2) {
            let p = u16::from_le_bytes([px[0], px[1]]);
            let rgb = match packed {
                Packed16::Rgb565 => [
                    scale((p >> 11) & 31, 31),
                    scale((p >> 5) & 63, 63),
                    scale(p & 31, 31),
                ],
                Packed16::Rgb555 => [
                    scale((p >> 10) & 31, 31),
                    scale((p >> 5) & 31, 31),
                    scale(p & 31, 31),
                ],
            };
            out.extend_from_slice(&rgb);
        }
    }
    RgbFrame::new(w, rows, out)
        .ok_or_else(|| DecodeError::Corrupt("decoded size does not match the header".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2x2 16-bit BMP with a 40-byte header and optional bit fields.
    fn bmp16(masks: Option<[u32; 3]>, height: i32, pixels: [u16; 4]) -> Vec<u8> {
        let extra = if masks.is_some() { 12 } else { 0 };
        let offset = 14 + 40 + extra;
        let mut b = b"BM".to_vec();
        b.extend_from_slice(&((offset + 8) as u32).to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&(offset as u32).to_le_bytes());
        b.extend_from_slice(&40u32.to_le_bytes());
        b.extend_from_slice(&2i32.to_le_bytes());
        b.extend_from_slice(&height.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        let compression = if masks.is_some() { 3u32 } else { 0 };
        b.extend_from_slice(&compression.to_le_bytes());
        b.extend_from_slice(&[0; 20]);
        for m in masks.into_iter().flatten() {
            b.extend_from_slice(&m.to_le_bytes());
        }
        for p in pixels {
            b.extend_from_slice(&p.to_le_bytes());
        }
        b
    }

    #[test]
    fn sixteen_bit_pixels_scale_as_pillow_does() {
        // 565: red 4 -> 4*255/31 = 32 (the image crate's bit copy makes 33).
        let b = bmp16(Some([0xF800, 0x7E0, 0x1F]), -2, [4 << 11, 0x7E0, 0x1F, 0]);
        assert_eq!(check(&b), Ok(Some(Packed16::Rgb565)));
        let f = decode16(&b, Packed16::Rgb565).unwrap();
        assert_eq!(f.pixel(0, 0), [32, 0, 0]);
        assert_eq!(f.pixel(1, 0), [0, 255, 0]);
        assert_eq!(f.pixel(0, 1), [0, 0, 255]);
        // No bit fields: 5-5-5, bottom-up.
        let b = bmp16(None, 2, [0, 0, 1 << 10, 31 << 5]);
        assert_eq!(check(&b), Ok(Some(Packed16::Rgb555)));
        let f = decode16(&b, Packed16::Rgb555).unwrap();
        assert_eq!(f.pixel(0, 0), [8, 0, 0]);
        assert_eq!(f.pixel(1, 0), [0, 255, 0]);
    }

    #[test]
    fn layouts_pillow_refuses_are_refused_and_short_files_are_truncated() {
        let b = bmp16(Some([0xF00, 0xF0, 0xF]), 2, [0; 4]);
        assert!(matches!(check(&b), Err(DecodeError::Unsupported(m)) if m.contains("16-bit")));
        let b = bmp16(None, 2, [0; 4]);
        assert_eq!(
            decode16(&b[..b.len() - 3], Packed16::Rgb555),
            Err(DecodeError::Truncated)
        );
    }
}
