//! Every container we accept gives the model the same pixels: a CT slice
//! (grey, from an RGBA PNG) re-encoded losslessly as BMP, TIFF, WebP, grey PNG
//! and 16-bit PNG, and rotated by an EXIF-style transform, fits to exactly the
//! same 224x224 input as the original.

use crate::common;
use image::{DynamicImage, ImageFormat};
use onemed::decode::{decode, Limits};
use onemed::preprocess::{input_sha256, prepare};
use std::io::Cursor;

fn encode(img: &DynamicImage, fmt: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), fmt).unwrap();
    out
}

#[test]
fn lossless_formats_feed_the_model_identical_pixels() {
    let original =
        std::fs::read(common::datasets_dir().join("covid-ct/covid/2020.01.24.919183-p27-133.png"))
            .unwrap();
    let limits = Limits::default();
    let want = input_sha256(&prepare(&original, &limits, 224).unwrap().fitted);
    let (_, frame) = decode(&original, &limits).unwrap();
    let rgb = image::RgbImage::from_raw(
        frame.width() as u32,
        frame.height() as u32,
        frame.into_data(),
    )
    .unwrap();
    assert!(
        rgb.pixels().all(|p| p[0] == p[1] && p[1] == p[2]),
        "the CT slice is grey"
    );
    let rgb = DynamicImage::ImageRgb8(rgb);
    let grey = DynamicImage::ImageLuma8(rgb.to_luma8());
    let wide = DynamicImage::ImageRgb16(image::ImageBuffer::from_fn(
        rgb.width(),
        rgb.height(),
        |x, y| {
            let p = rgb.as_rgb8().unwrap().get_pixel(x, y);
            image::Rgb([
                u16::from(p[0]) * 257,
                u16::from(p[1]) * 257,
                u16::from(p[2]) * 257,
            ])
        },
    ));
    let cases = [
        ("bmp", encode(&rgb, ImageFormat::Bmp)),
        ("tiff", encode(&rgb, ImageFormat::Tiff)),
        ("webp (lossless)", encode(&rgb, ImageFormat::WebP)),
        ("grey png", encode(&grey, ImageFormat::Png)),
        ("16-bit png", encode(&wide, ImageFormat::Png)),
    ];
    for (name, bytes) in cases {
        let got = prepare(&bytes, &limits, 224).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(input_sha256(&got.fitted), want, "{name}");
    }
}

#[test]
fn truncated_files_of_every_format_are_errors_not_panics() {
    let original = std::fs::read(common::datasets_dir().join("covid-ct/non-covid/0.jpg")).unwrap();
    let (_, frame) = decode(&original, &Limits::default()).unwrap();
    let rgb = DynamicImage::ImageRgb8(
        image::RgbImage::from_raw(
            frame.width() as u32,
            frame.height() as u32,
            frame.into_data(),
        )
        .unwrap(),
    );
    for fmt in [
        ImageFormat::Png,
        ImageFormat::Bmp,
        ImageFormat::Tiff,
        ImageFormat::WebP,
        ImageFormat::Gif,
    ] {
        let bytes = encode(&rgb, fmt);
        for cut in [bytes.len() / 2, bytes.len() * 9 / 10, 40] {
            let r = prepare(&bytes[..cut], &Limits::default(), 224);
            assert!(
                r.is_err(),
                "{fmt:?} cut at {cut} of {} was accepted",
                bytes.len()
            );
        }
    }
}
