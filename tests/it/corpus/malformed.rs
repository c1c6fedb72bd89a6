//! The malformed files of `tests/corpus.rs`: a tiny PRNG, headers that
//! claim absurd sizes (PNG with a correct CRC, JPEG, BMP, TIFF, GIF, WebP,
//! DICOM), and truncations, bit flips and byte runs of real sample files.

use super::common::png_claiming;
use super::Corpus;
use super::Expect::{Either, Error};

/// splitmix64: a tiny deterministic PRNG.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A real JPEG whose first SOF claims `w` x `h`.
fn jpeg_claiming(jpeg: &[u8], w: u16, h: u16) -> Vec<u8> {
    let sof = (jpeg.windows(2))
        .position(|p| p[0] == 0xFF && (p[1] == 0xC0 || p[1] == 0xC2))
        .unwrap();
    let mut b = jpeg.to_vec();
    b[sof + 5..sof + 9].copy_from_slice(&[h.to_be_bytes(), w.to_be_bytes()].concat());
    b
}

/// Sets the value of an explicit-VR DICOM element, found by its tag, VR and length.
fn dicom_set(b: &[u8], tag_vr_len: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = b.to_vec();
    let at = (out.windows(tag_vr_len.len()))
        .position(|w| w == tag_vr_len)
        .unwrap()
        + tag_vr_len.len();
    out[at..at + value.len()].copy_from_slice(value);
    out
}
const MODALITY: &[u8] = b"\x08\x00\x60\x00CS\x02\x00";
const ROWS: &[u8] = b"\x28\x00\x10\x00US\x02\x00";
const COLUMNS: &[u8] = b"\x28\x00\x11\x00US\x02\x00";

fn bmp_claiming(w: i32, h: i32, bpp: u16) -> Vec<u8> {
    let mut v = b"BM".to_vec();
    v.extend([118u32, 0, 54, 40].iter().flat_map(|x| x.to_le_bytes()));
    v.extend([w, h].iter().flat_map(|x| x.to_le_bytes()));
    v.extend([1, bpp].iter().flat_map(|x| x.to_le_bytes()));
    [v, vec![0; 24], vec![0x40; 64]].concat()
}

fn tiff_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"II*\0\x08\0\0\0\x08\0".to_vec();
    let entries = [(256, 4, w), (257, 4, h), (258, 3, 8), (259, 3, 1)];
    let strips = [(262, 3, 1), (273, 4, 110), (278, 4, h), (279, 4, 64)];
    for (tag, kind, value) in entries.into_iter().chain(strips) {
        v.extend([tag, kind].iter().flat_map(|x: &u16| x.to_le_bytes()));
        v.extend([1, value].iter().flat_map(|x: &u32| x.to_le_bytes()));
    }
    [v, vec![0; 4], vec![0x80; 64]].concat()
}

/// A GIF whose screen and only image claim `w` x `h`.
fn gif_claiming(w: u16, h: u16) -> Vec<u8> {
    let size = [w.to_le_bytes(), h.to_le_bytes()].concat();
    let image = [&[0, 0, 0, 0x2C, 0, 0, 0, 0][..], &size].concat();
    [&b"GIF89a"[..], &size, &image, &[0, 8, 2, 0x4C, 1, 0, 0x3B]].concat()
}

/// Lossless WebP (VP8L) claiming `w` x `h` (at most 16384 each).
fn webp_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut chunk = vec![0x2F];
    chunk.extend(((w - 1) | ((h - 1) << 14)).to_le_bytes());
    chunk.extend([0; 11]);
    let riff = (4 + 8 + chunk.len() as u32).to_le_bytes();
    let len = (chunk.len() as u32).to_le_bytes();
    [&b"RIFF"[..], &riff, b"WEBPVP8L", &len, &chunk].concat()
}

pub fn encode(img: image::DynamicImage, f: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, f).unwrap();
    out.into_inner()
}

/// One file to mutate, and the length below which any truncation must be an
/// error (the image data ends there; some decoders ignore what follows).
pub struct Base {
    pub name: &'static str,
    pub ext: &'static str,
    pub bytes: Vec<u8>,
    needed: usize,
}

/// Files to mutate (real samples; encodings of a crop of one), and a fundus photo.
pub fn bases() -> (Vec<Base>, Vec<u8>) {
    let read = |rel: &str| std::fs::read(super::common::datasets_dir().join(rel)).unwrap();
    let mut out = Vec::new();
    let mut add = |name, ext, bytes: Vec<u8>, needed| {
        out.push(Base {
            name,
            ext,
            bytes,
            needed,
        })
    };
    for (name, rel) in [
        ("skin", "skin-lesion/benign/25.jpg"),
        ("eye", "eye/cataract/C_(2).jpg"),
        ("ct", "covid-ct/non-covid/1_0.jpg"),
    ] {
        let b = read(rel);
        let eoi = b.windows(2).rposition(|w| w == [0xFF, 0xD9]).unwrap();
        add(name, "jpg", b, eoi);
    }
    let png = read("covid-ct/covid/2019-novel-Coronavirus-severe-adult-respiratory-dist_2020_International-Jour-p3-91.png");
    let (mut i, mut idat_end) = (8, 0);
    while i + 8 <= png.len() {
        let len = u32::from_be_bytes(png[i..i + 4].try_into().unwrap()) as usize;
        if &png[i + 4..i + 8] == b"IDAT" {
            idat_end = i + 8 + len;
        }
        i += 12 + len;
    }
    add("ctpng", "png", png, idat_end - 16);
    let src = image::load_from_memory(&read("skin-lesion/benign/25.jpg")).unwrap();
    use image::ImageFormat as F;
    for (name, ext, f) in [
        ("bmp", "bmp", F::Bmp),
        ("tiff", "tif", F::Tiff),
        ("gif", "gif", F::Gif),
        ("webp", "webp", F::WebP),
        ("png", "png", F::Png),
    ] {
        let b = encode(src.crop_imm(10, 10, 180, 170), f);
        let n = b.len() - 16;
        add(name, ext, b, n);
    }
    let rle = dicom_set(&read("dicom/MR_small_RLE.dcm"), MODALITY, b"CT");
    let jpeg = dicom_set(&read("dicom/JPEG-lossy.dcm"), MODALITY, b"CT");
    for (name, b) in [
        ("dcmct", read("dicom/CT_small.dcm")),
        ("dcmrle", rle),
        ("dcmjpeg", jpeg),
    ] {
        let n = b.len();
        add(name, "dcm", b, n);
    }
    (out, read("eye/no-diabetic-retinopathy/01_h.jpg"))
}

/// Truncations at many offsets, bit flips and byte runs of each base.
pub fn mutations(c: &mut Corpus, rng: &mut Rng, b: &Base) {
    let len = b.bytes.len();
    let mut cuts: Vec<usize> = (1..=40)
        .chain([54, 64, 100, 128, 131, 132, 200, 300, 512, 1000])
        .collect();
    cuts.extend(
        (0..14)
            .map(|_| rng.below(len))
            .chain([len / 2, len - 2, len - 1]),
    );
    cuts.retain(|&n| n < len);
    cuts.sort_unstable();
    cuts.dedup();
    for n in cuts {
        let expect = if n < b.needed { Error(None) } else { Either };
        c.add(&format!("{}-cut{n}", b.name), b.ext, &b.bytes[..n], expect);
    }
    for i in 0..20 {
        let mut m = b.bytes.clone();
        for _ in 0..1 + rng.below(8) {
            // Half of the flips in the headers.
            let span = if rng.below(2) == 0 { len.min(600) } else { len };
            let at = rng.below(span);
            m[at] ^= 1 << rng.below(8);
        }
        c.add(&format!("{}-flip{i}", b.name), b.ext, &m, Either);
    }
    for i in 0..12 {
        let mut m = b.bytes.clone();
        let at = rng.below(len);
        let end = (at + 1 + rng.below(64)).min(len);
        for (k, byte) in m[at..end].iter_mut().enumerate() {
            *byte = [0, 0xFF, 0x55, (rng.next() >> (k % 8)) as u8][i % 4];
        }
        c.add(&format!("{}-run{i}", b.name), b.ext, &m, Either);
    }
}

/// Headers claiming absurd sizes, each refused from the header.
pub fn absurd_sizes(c: &mut Corpus, skin_jpeg: &[u8], ct: &[u8]) {
    let mut put = |what: String, ext, bytes: Vec<u8>, e| c.add(&what, ext, &bytes, e);
    let too_large = Error(Some("too large"));
    let huge = [
        (65535, 65535),
        (60_000, 60_000),
        (7072, 7072),
        (1 << 31, 1 << 31),
    ];
    for (w, h) in huge.into_iter().chain([(100_000_000, 1)]) {
        put(
            format!("png-{w}x{h}"),
            "png",
            png_claiming(w, h, None),
            too_large,
        );
        let idat = png_claiming(w, h, Some(&[0x78, 0x9C, 1, 2, 3, 4]));
        put(format!("png-{w}x{h}-idat"), "png", idat, too_large);
    }
    for (w, h) in [(0, 0), (1, 100_000), (7071, 7071)] {
        put(
            format!("png-{w}x{h}"),
            "png",
            png_claiming(w, h, None),
            Error(None),
        );
    }
    let jpeg = |w, h| jpeg_claiming(skin_jpeg, w, h);
    for (w, h) in [(65500, 65500), (60_000, 60_000), (8000, 7000)] {
        put(format!("jpeg-{w}x{h}"), "jpg", jpeg(w, h), too_large);
    }
    // Within the limit, but the data holds 224x224: libjpeg would pad with grey.
    put(
        "jpeg-7000x7000".into(),
        "jpg",
        jpeg(7000, 7000),
        Error(Some("truncated")),
    );
    for (w, h) in [(0, 0), (65535, 1), (65535, 65535)] {
        put(format!("jpeg-{w}x{h}"), "jpg", jpeg(w, h), Error(None));
    }
    let bmps = [
        (65535, 65535, 24),
        (1 << 30, 1 << 30, 24),
        (65535, -65535, 32),
    ];
    let odd = [(i32::MAX, i32::MIN, 8), (40_000, 40_000, 1), (100, 100, 0)];
    for (w, h, bpp) in bmps.into_iter().chain(odd) {
        put(
            format!("bmp-{w}x{h}x{bpp}"),
            "bmp",
            bmp_claiming(w, h, bpp),
            Error(None),
        );
    }
    for (w, h) in [(65535, 65535), (u32::MAX, u32::MAX), (1 << 20, 1 << 20)] {
        put(
            format!("tiff-{w}x{h}"),
            "tif",
            tiff_claiming(w, h),
            Error(None),
        );
    }
    put(
        "gif-65535".into(),
        "gif",
        gif_claiming(65535, 65535),
        Error(None),
    );
    put(
        "webp-16384".into(),
        "webp",
        webp_claiming(16384, 16384),
        Error(None),
    );
    let sized = |rows: u16, cols: u16| {
        let b = dicom_set(ct, ROWS, &rows.to_le_bytes());
        dicom_set(&b, COLUMNS, &cols.to_le_bytes())
    };
    put("dcm-65535".into(), "dcm", sized(65535, 65535), too_large);
    put("dcm-7000".into(), "dcm", sized(7000, 7000), Error(None));
    put("dcm-0".into(), "dcm", sized(0, 128), Error(None));
}
