//! Decoded pixels to 8-bit RGB the way Pillow's `convert("RGB")` makes them:
//! alpha dropped (never composited), grey replicated, and 16-bit samples cut
//! to their high byte — as Pillow reads 16-bit RGB and grey+alpha PNGs. One
//! deliberate difference: Pillow clips 16-bit *grey* (mode `I;16`) to white,
//! which would show the model a blank picture; here it keeps its high byte
//! too (the Pillow call that matches is in the README, "Exact, or refused").

use super::DecodeError;
use crate::frame::RgbFrame;
use image::DynamicImage;

/// The frame Pillow's `convert("RGB")` gives (16-bit grey: see the header).
pub fn to_rgb(img: DynamicImage) -> Result<RgbFrame, DecodeError> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let grey = |v: &mut dyn Iterator<Item = u8>| v.flat_map(|g| [g, g, g]).collect::<Vec<u8>>();
    let high = |v: u16| (v >> 8) as u8;
    let data = match img {
        DynamicImage::ImageRgb8(b) => b.into_raw(),
        DynamicImage::ImageRgba8(b) => b.pixels().flat_map(|p| [p[0], p[1], p[2]]).collect(),
        DynamicImage::ImageLuma8(b) => grey(&mut b.into_raw().into_iter()),
        DynamicImage::ImageLumaA8(b) => grey(&mut b.pixels().map(|p| p[0])),
        DynamicImage::ImageLuma16(b) => grey(&mut b.pixels().map(|p| high(p[0]))),
        DynamicImage::ImageLumaA16(b) => grey(&mut b.pixels().map(|p| high(p[0]))),
        DynamicImage::ImageRgb16(b) => b.into_raw().into_iter().map(high).collect(),
        DynamicImage::ImageRgba16(b) => b
            .pixels()
            .flat_map(|p| [high(p[0]), high(p[1]), high(p[2])])
            .collect(),
        _ => return Err(DecodeError::Unsupported(
            "floating-point pixels (an HDR or scientific image); save it as an 8-bit JPEG or PNG"
                .into(),
        )),
    };
    RgbFrame::new(w, h, data)
        .ok_or_else(|| DecodeError::Corrupt("decoded size does not match the header".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_bits_keep_their_high_byte() {
        let b = image::ImageBuffer::from_raw(2, 1, vec![0x12ff_u16, 0xff00]).unwrap();
        let f = to_rgb(DynamicImage::ImageLuma16(b)).unwrap();
        assert_eq!(f.data(), &[0x12, 0x12, 0x12, 0xff, 0xff, 0xff]);
        let b = image::ImageBuffer::from_raw(1, 1, vec![0x80ff_u16, 0x0100, 0xfe01, 9]).unwrap();
        let f = to_rgb(DynamicImage::ImageRgba16(b)).unwrap();
        assert_eq!(f.data(), &[0x80, 0x01, 0xfe]);
    }

    #[test]
    fn alpha_is_dropped_not_composited() {
        let b = image::ImageBuffer::from_raw(1, 1, vec![10u8, 20, 30, 0]).unwrap();
        let f = to_rgb(DynamicImage::ImageRgba8(b)).unwrap();
        assert_eq!(f.data(), &[10, 20, 30]);
        let b = image::ImageBuffer::from_raw(1, 1, vec![77u8, 0]).unwrap();
        let f = to_rgb(DynamicImage::ImageLumaA8(b)).unwrap();
        assert_eq!(f.data(), &[77, 77, 77]);
    }
}
