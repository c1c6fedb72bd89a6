//! Seed corpora for the fuzz targets, written at fuzz-run time so that no
//! sample image is ever committed:
//!
//!     onemed-fuzz-seeds <decode_image dir> <dicom dir> [<datasets dir>]
//!
//! - `decode_image`: small valid PNG (grey, grey+alpha, RGB, RGBA, 8 and 16
//!   bits), JPEG (RGB, grey, with an EXIF orientation), BMP, TIFF, GIF and
//!   lossless WebP images, plus the three smallest sample JPEGs and the
//!   synthetic DICOM slices (the decoder sniffs DICOM too);
//! - `dicom`: synthetic CT slices in every encoding the kiosk reads (explicit
//!   and implicit VR little endian; 8, 16 and 32 bits; signed; MONOCHROME1; RLE;
//!   baseline JPEG; a sequence and a frame count to walk), plus the sample
//!   `.dcm` files and copies of the non-CT ones relabelled CT, so that their
//!   RLE and JPEG pixel data is reached.

use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, Rgba};
use std::io::Cursor;
use std::path::{Path, PathBuf};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> std::process::ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if args.len() < 2 {
        eprintln!("usage: onemed-fuzz-seeds <decode_image dir> <dicom dir> [<datasets dir>]");
        return std::process::ExitCode::from(2);
    }
    match run(&args[0], &args[1], args.get(2).map(PathBuf::as_path)) {
        Ok((a, b)) => {
            println!("seeds: {a} for decode_image, {b} for dicom");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("onemed-fuzz-seeds: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(images_dir: &Path, dicom_dir: &Path, datasets: Option<&Path>) -> Res<(usize, usize)> {
    std::fs::create_dir_all(images_dir)?;
    std::fs::create_dir_all(dicom_dir)?;
    let mut images = image_seeds()?;
    let mut dicoms = synthetic_dicoms()?;
    if let Some(d) = datasets {
        images.extend(sample_jpegs(d)?);
        dicoms.extend(sample_dicoms(&d.join("dicom"))?);
    }
    images.extend(dicoms.iter().take(6).cloned());
    for (name, bytes) in &images {
        std::fs::write(images_dir.join(format!("seed-{name}")), bytes)?;
    }
    for (name, bytes) in &dicoms {
        std::fs::write(dicom_dir.join(format!("seed-{name}")), bytes)?;
    }
    Ok((images.len(), dicoms.len()))
}

/// A deterministic pattern: gradients plus a little texture, so fit and quality
/// have something to measure.
fn value(x: u32, y: u32, c: u32) -> u8 {
    let t = (x * 7 + y * 13 + c * 29) ^ (x * y);
    ((x * 255 / 40 + y * 3 + c * 60 + (t & 15)) & 0xFF) as u8
}

fn rgb(w: u32, h: u32) -> ImageBuffer<Rgb<u8>, Vec<u8>> {
    ImageBuffer::from_fn(w, h, |x, y| {
        Rgb([value(x, y, 0), value(x, y, 1), value(x, y, 2)])
    })
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Res<Vec<u8>> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format)?;
    Ok(out)
}

fn image_seeds() -> Res<Vec<(String, Vec<u8>)>> {
    let mut seeds = Vec::new();
    for (w, h) in [(16, 16), (23, 17), (40, 31)] {
        let colour = rgb(w, h);
        let grey = ImageBuffer::from_fn(w, h, |x, y| Luma([value(x, y, 0)]));
        let variants: Vec<(&str, DynamicImage)> = vec![
            ("rgb8", DynamicImage::ImageRgb8(colour.clone())),
            ("l8", DynamicImage::ImageLuma8(grey.clone())),
            (
                "la8",
                DynamicImage::ImageLumaA8(ImageBuffer::from_fn(w, h, |x, y| {
                    LumaA([value(x, y, 0), value(x, y, 3)])
                })),
            ),
            (
                "rgba8",
                DynamicImage::ImageRgba8(ImageBuffer::from_fn(w, h, |x, y| {
                    let p = colour.get_pixel(x, y).0;
                    Rgba([p[0], p[1], p[2], value(x, y, 3)])
                })),
            ),
            (
                "l16",
                DynamicImage::ImageLuma16(DynamicImage::ImageLuma8(grey).to_luma16()),
            ),
            (
                "rgb16",
                DynamicImage::ImageRgb16(DynamicImage::ImageRgb8(colour).to_rgb16()),
            ),
        ];
        for (kind, img) in &variants {
            let formats: &[(ImageFormat, &str)] = match *kind {
                "rgb8" => &[
                    (ImageFormat::Png, "png"),
                    (ImageFormat::Jpeg, "jpg"),
                    (ImageFormat::Bmp, "bmp"),
                    (ImageFormat::Tiff, "tif"),
                    (ImageFormat::Gif, "gif"),
                    (ImageFormat::WebP, "webp"),
                ],
                "l8" => &[
                    (ImageFormat::Png, "png"),
                    (ImageFormat::Jpeg, "jpg"),
                    (ImageFormat::Bmp, "bmp"),
                    (ImageFormat::Tiff, "tif"),
                ],
                "rgba8" => &[
                    (ImageFormat::Png, "png"),
                    (ImageFormat::Bmp, "bmp"),
                    (ImageFormat::Tiff, "tif"),
                    (ImageFormat::Gif, "gif"),
                    (ImageFormat::WebP, "webp"),
                ],
                "l16" | "rgb16" => &[(ImageFormat::Png, "png"), (ImageFormat::Tiff, "tif")],
                _ => &[(ImageFormat::Png, "png")],
            };
            for (format, ext) in formats {
                let bytes = encode(img, *format)?;
                seeds.push((format!("{kind}-{w}x{h}.{ext}"), bytes));
            }
        }
    }
    // JPEGs with an EXIF orientation (rotated and mirrored paths).
    let jpeg = encode(&DynamicImage::ImageRgb8(rgb(23, 17)), ImageFormat::Jpeg)?;
    for o in [3u16, 6, 7] {
        seeds.push((format!("rgb8-exif{o}.jpg"), with_exif_orientation(&jpeg, o)));
    }
    Ok(seeds)
}

/// The JPEG with an APP1 EXIF segment (one IFD entry: Orientation) after SOI.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"Exif\0\0II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((tiff.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// The smallest sample JPEGs (under 10 kB), read at run time.
fn sample_jpegs(datasets: &Path) -> Res<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for rel in [
        "skin-lesion/malignant/6.jpg",
        "eye/cataract/C_(1).jpg",
        "eye/cataract/C_(2).jpg",
    ] {
        let path = datasets.join(rel);
        if let Ok(bytes) = std::fs::read(&path) {
            out.push((
                format!("sample-{}", rel.replace(['/', '(', ')'], "_")),
                bytes,
            ));
        }
    }
    Ok(out)
}

/// The sample `.dcm` files, and each non-CT one relabelled CT.
fn sample_dicoms(dir: &Path) -> Res<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
    {
        let bytes = std::fs::read(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(ct) = relabel_ct(&bytes) {
            out.push((format!("as-ct-{name}"), ct));
        }
        out.push((name, bytes));
    }
    Ok(out)
}

/// The file with its Modality (0008,0060, explicit VR `CS`, 2 bytes) set to CT.
fn relabel_ct(bytes: &[u8]) -> Option<Vec<u8>> {
    const MODALITY: &[u8] = b"\x08\x00\x60\x00CS\x02\x00";
    let at = bytes.windows(MODALITY.len()).position(|w| w == MODALITY)? + MODALITY.len();
    if bytes.get(at..at + 2)? == b"CT" {
        return None;
    }
    let mut out = bytes.to_vec();
    out[at..at + 2].copy_from_slice(b"CT");
    Some(out)
}

const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const RLE: &str = "1.2.840.10008.1.2.5";
const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";

/// A Part-10 writer: meta group in explicit VR little endian, the data set in
/// explicit or implicit VR little endian.
struct Writer {
    out: Vec<u8>,
    explicit: bool,
}

impl Writer {
    fn element(&mut self, group: u16, elem: u16, vr: &[u8; 2], value: &[u8]) {
        let mut v = value.to_vec();
        if v.len() % 2 == 1 {
            v.push(if vr == b"UI" || vr == b"OB" { 0 } else { b' ' });
        }
        self.header(group, elem, vr, v.len() as u32);
        self.out.extend_from_slice(&v);
    }

    fn header(&mut self, group: u16, elem: u16, vr: &[u8; 2], len: u32) {
        self.out.extend_from_slice(&group.to_le_bytes());
        self.out.extend_from_slice(&elem.to_le_bytes());
        if !self.explicit {
            self.out.extend_from_slice(&len.to_le_bytes());
        } else if [b"OB", b"OW", b"SQ", b"UN", b"UT"].contains(&vr) {
            self.out.extend_from_slice(vr);
            self.out.extend_from_slice(&[0, 0]);
            self.out.extend_from_slice(&len.to_le_bytes());
        } else {
            self.out.extend_from_slice(vr);
            self.out.extend_from_slice(&(len as u16).to_le_bytes());
        }
    }

    fn us(&mut self, group: u16, elem: u16, v: u16) {
        self.element(group, elem, b"US", &v.to_le_bytes());
    }

    fn item(&mut self, elem: u16, len: u32) {
        self.out.extend_from_slice(&0xFFFEu16.to_le_bytes());
        self.out.extend_from_slice(&elem.to_le_bytes());
        self.out.extend_from_slice(&len.to_le_bytes());
    }
}

/// One synthetic slice.
struct Slice {
    ts: &'static str,
    rows: u16,
    cols: u16,
    bits: u16,
    stored: u16,
    signed: bool,
    mono1: bool,
    extras: bool,
}

fn meta(ts: &str) -> Vec<u8> {
    let mut m = Writer {
        out: Vec::new(),
        explicit: true,
    };
    m.element(0x0002, 0x0001, b"OB", &[0, 1]);
    m.element(0x0002, 0x0002, b"UI", b"1.2.840.10008.5.1.4.1.1.2");
    m.element(0x0002, 0x0003, b"UI", b"1.2.826.0.1.3680043.8.498.1");
    m.element(0x0002, 0x0010, b"UI", ts.as_bytes());
    m.element(0x0002, 0x0012, b"UI", b"1.2.826.0.1.3680043.8.498");
    let mut w = Writer {
        out: vec![0u8; 128],
        explicit: true,
    };
    w.out.extend_from_slice(b"DICM");
    w.element(0x0002, 0x0000, b"UL", &(m.out.len() as u32).to_le_bytes());
    w.out.extend_from_slice(&m.out);
    w.out
}

/// Little-endian samples: Hounsfield-like values from -1000 to about +400
/// (stored with intercept -1024), masked to the stored bits.
fn samples(s: &Slice) -> Vec<u8> {
    let bytes = usize::from(s.bits / 8);
    let mask: u64 = if s.stored >= 32 {
        u32::MAX as u64
    } else {
        (1 << s.stored) - 1
    };
    let mut out = Vec::new();
    for y in 0..u64::from(s.rows) {
        for x in 0..u64::from(s.cols) {
            let v = if s.bits == 8 {
                (x * 8 + y * 3) & 0xFF
            } else {
                (24 + x * 40 + y * 11 + (x ^ y) % 7) & mask
            };
            out.extend_from_slice(&v.to_le_bytes()[..bytes]);
        }
    }
    out
}

/// RLE Lossless: one PackBits segment per byte of a sample, high byte first.
fn rle(data: &[u8], bytes: usize) -> Vec<u8> {
    let mut segments = Vec::new();
    for s in 0..bytes {
        let plane: Vec<u8> = data.chunks_exact(bytes).map(|c| c[bytes - 1 - s]).collect();
        let mut seg = Vec::new();
        for run in plane.chunks(128) {
            seg.push((run.len() - 1) as u8);
            seg.extend_from_slice(run);
        }
        if seg.len() % 2 == 1 {
            seg.push(0x80);
        }
        segments.push(seg);
    }
    let mut header = vec![0u8; 64];
    header[..4].copy_from_slice(&(bytes as u32).to_le_bytes());
    let mut offset = 64u32;
    for (i, seg) in segments.iter().enumerate() {
        header[4 + i * 4..8 + i * 4].copy_from_slice(&offset.to_le_bytes());
        offset += seg.len() as u32;
    }
    header.extend(segments.concat());
    header
}

fn slice(s: &Slice) -> Res<Vec<u8>> {
    let mut w = Writer {
        out: meta(s.ts),
        explicit: s.ts != IMPLICIT_LE,
    };
    w.element(0x0008, 0x0016, b"UI", b"1.2.840.10008.5.1.4.1.1.2");
    w.element(0x0008, 0x0060, b"CS", b"CT");
    if s.extras {
        // A sequence of one item holding one element, as a real file's
        // referenced-image sequence does.
        let mut inner = Writer {
            out: Vec::new(),
            explicit: w.explicit,
        };
        inner.element(0x0008, 0x1150, b"UI", b"1.2.840.10008.5.1.4.1.1.2");
        let len = inner.out.len() as u32;
        w.header(0x0008, 0x1140, b"SQ", len + 8);
        w.item(0xE000, len);
        w.out.extend_from_slice(&inner.out);
        w.element(0x0010, 0x0010, b"PN", b"FUZZ^SEED");
    }
    w.us(0x0028, 0x0002, 1);
    let photometric: &[u8] = if s.mono1 {
        b"MONOCHROME1"
    } else {
        b"MONOCHROME2"
    };
    w.element(0x0028, 0x0004, b"CS", photometric);
    if s.extras {
        w.element(0x0028, 0x0008, b"IS", b"1");
    }
    w.us(0x0028, 0x0010, s.rows);
    w.us(0x0028, 0x0011, s.cols);
    w.us(0x0028, 0x0100, s.bits);
    w.us(0x0028, 0x0101, s.stored);
    w.us(0x0028, 0x0102, s.stored - 1);
    w.us(0x0028, 0x0103, u16::from(s.signed));
    w.element(0x0028, 0x1052, b"DS", b"-1024");
    w.element(0x0028, 0x1053, b"DS", b"1");
    let data = samples(s);
    let bytes = usize::from(s.bits / 8);
    let vr = if s.bits == 8 { b"OB" } else { b"OW" };
    let fragment = match s.ts {
        RLE => Some(rle(&data, bytes)),
        JPEG_BASELINE => {
            let grey = ImageBuffer::<Luma<u8>, _>::from_raw(
                u32::from(s.cols),
                u32::from(s.rows),
                data.clone(),
            )
            .ok_or("JPEG seed size")?;
            Some(encode(&DynamicImage::ImageLuma8(grey), ImageFormat::Jpeg)?)
        }
        _ => None,
    };
    match fragment {
        None => w.element(0x7FE0, 0x0010, vr, &data),
        Some(mut f) => {
            if f.len() % 2 == 1 {
                f.push(0);
            }
            w.header(0x7FE0, 0x0010, b"OB", u32::MAX);
            w.item(0xE000, 0); // empty basic offset table
            w.item(0xE000, f.len() as u32);
            w.out.extend_from_slice(&f);
            w.item(0xE0DD, 0);
        }
    }
    Ok(w.out)
}

fn synthetic_dicoms() -> Res<Vec<(String, Vec<u8>)>> {
    // Transfer syntax, [rows, columns, bits allocated, bits stored], flags.
    let table = [
        ("explicit", [32, 32, 16, 16], ""),
        ("implicit", [20, 24, 16, 12], "signed mono1"),
        ("explicit", [16, 16, 8, 8], ""),
        ("explicit", [16, 17, 32, 32], ""),
        ("rle", [24, 20, 16, 16], ""),
        ("rle", [16, 16, 8, 8], ""),
        ("jpeg", [16, 24, 8, 8], ""),
        ("explicit", [32, 32, 16, 16], "sequence"),
        ("implicit", [32, 32, 16, 16], "sequence"),
    ];
    let each = |&(syntax, [rows, cols, bits, stored], flags): &(&str, [u16; 4], &str)| {
        let ts = match syntax {
            "implicit" => IMPLICIT_LE,
            "rle" => RLE,
            "jpeg" => JPEG_BASELINE,
            _ => EXPLICIT_LE,
        };
        let s = Slice {
            ts,
            rows,
            cols,
            bits,
            stored,
            signed: flags.contains("signed"),
            mono1: flags.contains("mono1"),
            extras: flags.contains("sequence"),
        };
        let name = format!("ct-{syntax}-{rows}x{cols}-{stored}of{bits}-{flags}");
        let name = format!("{}.dcm", name.trim_end_matches('-').replace(' ', "-"));
        Ok((name, slice(&s)?))
    };
    table.iter().map(each).collect()
}
