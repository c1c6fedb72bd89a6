//! The same slice in big endian and deflated, decoding to the same values;
//! their damaged lengths and inflation bombs refused; compressed frames whose
//! header does not match the DICOM header, damaged JPEG 2000, colour and
//! unknown syntaxes refused in words; the series facts.

use super::*;
use std::io::Write;

const VALUES: [i16; 4] = [0, 212, 700, -2000];

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

/// [`ct`] with its data set deflated.
fn deflated(values: &[i16]) -> Vec<u8> {
    let mut f = meta(DEFLATED);
    f.extend(deflate(&ct_dataset("CT", "MONOCHROME2", 2, 2, values)));
    f
}

/// One explicit VR big endian element (16-bit length VRs only, and OW).
fn be(group: u16, element: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let tag = [group.to_be_bytes(), element.to_be_bytes()].concat();
    if vr == b"OW" {
        [
            &tag[..],
            vr,
            &[0, 0],
            &(value.len() as u32).to_be_bytes(),
            value,
        ]
        .concat()
    } else {
        [&tag[..], vr, &(value.len() as u16).to_be_bytes(), value].concat()
    }
}

/// [`ct`] (2 x 2) in explicit VR big endian.
fn big_endian(values: &[i16]) -> Vec<u8> {
    let mut f = meta(EXPLICIT_BE);
    let us = |v: u16| v.to_be_bytes().to_vec();
    let pixels: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    for e in [
        be(0x0008, 0x0060, b"CS", b"CT"),
        be(0x0028, 0x0002, b"US", &us(1)),
        be(0x0028, 0x0004, b"CS", b"MONOCHROME2 "),
        be(0x0028, 0x0010, b"US", &us(2)),
        be(0x0028, 0x0011, b"US", &us(2)),
        be(0x0028, 0x0100, b"US", &us(16)),
        be(0x0028, 0x0101, b"US", &us(12)),
        be(0x0028, 0x0102, b"US", &us(11)),
        be(0x0028, 0x0103, b"US", &us(1)),
        be(0x0028, 0x1052, b"DS", b"-1024 "),
        be(0x0028, 0x1053, b"DS", b"2 "),
        be(0x7FE0, 0x0010, b"OW", &pixels),
    ] {
        f.extend(e);
    }
    f
}

/// A 2 x 2 CT file of syntax `ts` whose pixel data is one encapsulated
/// fragment (after an empty offset table).
fn encapsulated(ts: &str, fragment: &[u8]) -> Vec<u8> {
    let mut f = meta(ts);
    let mut data = ct_dataset("CT", "MONOCHROME2", 2, 2, &[0; 4]);
    let at = data
        .windows(4)
        .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00])
        .unwrap();
    data.truncate(at);
    data.extend(long_header(0x7FE0, 0x0010, b"OB", u32::MAX));
    data.extend(item_header(0xE000, 0));
    let mut fragment = fragment.to_vec();
    if fragment.len() % 2 == 1 {
        fragment.push(0);
    }
    data.extend(item_header(0xE000, fragment.len() as u32));
    data.extend(fragment);
    data.extend(item_header(0xE0DD, 0));
    f.extend(data);
    f
}

fn hu(bytes: &[u8]) -> Vec<f64> {
    hounsfield_frame(bytes, &tiny(), 0).unwrap().hu
}

#[test]
fn big_endian_and_deflated_slices_give_the_same_values() {
    let want = hu(&ct("CT", "MONOCHROME2", 2, 2, &VALUES));
    assert_eq!(want, [-1024.0, -600.0, 376.0, -5024.0]);
    assert_eq!(hu(&big_endian(&VALUES)), want);
    assert_eq!(hu(&deflated(&VALUES)), want);
    let plain = decode(&ct("CT", "MONOCHROME2", 2, 2, &VALUES), &tiny()).unwrap();
    assert_eq!(decode(&big_endian(&VALUES), &tiny()).unwrap(), plain);
    assert_eq!(decode(&deflated(&VALUES), &tiny()).unwrap(), plain);
    assert_eq!(probe(&deflated(&VALUES)).unwrap().transfer_syntax, DEFLATED);
    assert_eq!(
        probe(&big_endian(&VALUES)).unwrap().transfer_syntax,
        EXPLICIT_BE
    );
}

#[test]
fn a_huge_length_in_big_endian_is_refused_before_parsing() {
    let mut f = big_endian(&VALUES);
    let at = f
        .windows(6)
        .rposition(|w| w == [0x7F, 0xE0, 0x00, 0x10, b'O', b'W'])
        .unwrap();
    f[at + 8..at + 12].copy_from_slice(&0x7FFF_FFF0u32.to_be_bytes());
    assert!(matches!(
        lengths::check(&f[128..]),
        Err(DecodeError::Truncated)
    ));
    assert_eq!(decode(&f, &tiny()), Err(DecodeError::Truncated));
    // Read little endian, the same length would be 0xF0FF_FF7F: the walk
    // must read it big endian to see it (and a small BE length passes).
    f[at + 8..at + 12].copy_from_slice(&8u32.to_be_bytes());
    assert!(lengths::check(&f[128..]).is_ok());
}

#[test]
fn a_huge_length_inside_a_deflated_data_set_is_refused() {
    let mut data = ct_dataset("CT", "MONOCHROME2", 2, 2, &VALUES);
    let at = data
        .windows(6)
        .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00, b'O', b'W'])
        .unwrap();
    data[at + 8..at + 12].copy_from_slice(&0x4000_0000u32.to_le_bytes());
    let mut f = meta(DEFLATED);
    f.extend(deflate(&data));
    assert!(matches!(
        lengths::check(&f[128..]),
        Err(DecodeError::Truncated)
    ));
    assert_eq!(decode(&f, &tiny()), Err(DecodeError::Truncated));
}

#[test]
fn a_deflated_data_set_inflating_past_the_cap_is_refused() {
    assert_eq!(lengths::MAX_INFLATED as u64, crate::decode::MAX_FILE_BYTES);
    // 4 MB of zeros in a few kilobytes: refused at a 1 MB cap without ever
    // holding more than the cap.
    let bomb = {
        let mut f = meta(DEFLATED);
        let mut data = ct_dataset("CT", "MONOCHROME2", 2, 2, &VALUES);
        data.extend(el(0x0009, 0x1010, b"OB", &vec![0u8; 4 << 20]));
        f.extend(deflate(&data));
        f
    };
    assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
    let e = lengths::check_capped(&bomb[128..], 1 << 20).unwrap_err();
    assert!(e.to_string().contains("inflates to more than 1 MB"), "{e}");
    assert!(lengths::check_capped(&bomb[128..], 8 << 20).is_ok());
    let e = lengths::inflate(&[0xFF; 64], 1 << 20).unwrap_err();
    assert!(matches!(e, DecodeError::Corrupt(_)), "{e:?}");
    // A deflated stream cut short: what was inflated is checked, and ends
    // inside an element.
    let f = deflated(&VALUES);
    assert!(decode(&f[..f.len() - 6], &tiny()).is_err());
}

#[test]
fn a_compressed_frame_that_does_not_match_the_header_is_refused_before_decoding() {
    // JPEG 2000: a codestream header for 3000 x 3000 in a 2 x 2 slice.
    let mut siz = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0];
    for v in [3000u32, 3000, 0, 0, 3000, 3000, 0, 0] {
        siz.extend(v.to_be_bytes());
    }
    siz.extend([0, 1, 0x0F, 1, 1]);
    let e = decode(&encapsulated("1.2.840.10008.1.2.4.90", &siz), &tiny()).unwrap_err();
    assert!(
        e.to_string().contains("JPEG 2000 image does not match"),
        "{e}"
    );
    // JPEG-LS: a JPEG (not JPEG-LS) frame.
    let jpeg = [0xFF, 0xD8, 0xFF, 0xC3, 0, 11, 16, 0, 2, 0, 2, 1, 1, 0x11, 0];
    let e = decode(&encapsulated("1.2.840.10008.1.2.4.80", &jpeg), &tiny()).unwrap_err();
    assert!(
        e.to_string().contains("a JPEG frame in a JPEG-LS file"),
        "{e}"
    );
}

#[test]
fn a_damaged_jpeg_2000_codestream_is_a_clear_error() {
    // A valid 2 x 2, 16-bit header, then no tile data at all, then bytes
    // that are not a codestream: an error in words, never a panic.
    let mut siz = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0];
    for v in [2u32, 2, 0, 0, 2, 2, 0, 0] {
        siz.extend(v.to_be_bytes());
    }
    siz.extend([0, 1, 0x8F, 1, 1]);
    for stream in [
        siz.clone(),
        [&siz[..], &[0xFF, 0x90, 0, 10], &[0xAB; 9]].concat(),
    ] {
        let e = decode(&encapsulated("1.2.840.10008.1.2.4.91", &stream), &tiny()).unwrap_err();
        assert!(matches!(e, DecodeError::Corrupt(_)), "{e:?}");
        assert_eq!(e.to_string().lines().count(), 1, "{e}");
        assert!(
            e.to_string()
                .ends_with("damaged (JPEG 2000 data that cannot be decoded)"),
            "{e}"
        );
    }
}

#[test]
fn colour_and_unknown_syntaxes_are_refused_in_words() {
    let mut rgb = ct("CT", "RGB", 2, 2, &[0; 4]);
    let at = rgb
        .windows(4)
        .position(|w| w == [0x28, 0, 0x02, 0])
        .unwrap();
    rgb[at + 8..at + 10].copy_from_slice(&3u16.to_le_bytes());
    let e = probe(&rgb).unwrap_err();
    assert!(
        e.to_string().contains("RGB with 3 samples per pixel"),
        "{e}"
    );
    // High-Throughput JPEG 2000: named, refused from the header.
    let e = probe(&encapsulated("1.2.840.10008.1.2.4.201", &[0; 8])).unwrap_err();
    assert!(matches!(e, DecodeError::Unsupported(_)), "{e:?}");
    assert!(e.to_string().contains("High-Throughput JPEG 2000"), "{e}");
    // Big endian with 8-bit pixels: said, not misread.
    let mut eight = big_endian(&VALUES);
    let at = eight
        .windows(4)
        .position(|w| w == [0x00, 0x28, 0x01, 0x00])
        .unwrap();
    eight[at + 8..at + 10].copy_from_slice(&8u16.to_be_bytes());
    let stored = eight
        .windows(4)
        .position(|w| w == [0x00, 0x28, 0x01, 0x01])
        .unwrap();
    eight[stored + 8..stored + 10].copy_from_slice(&8u16.to_be_bytes());
    let e = decode(&eight, &tiny()).unwrap_err();
    assert!(
        e.to_string()
            .contains("big-endian DICOM file holds 8-bit pixels"),
        "{e}"
    );
}

#[test]
fn series_facts_come_from_the_header() {
    let mut f = ct("CT", "MONOCHROME2", 2, 2, &VALUES);
    let at = f.windows(4).position(|w| w == [0x08, 0, 0x60, 0]).unwrap();
    let study = [
        el(0x0008, 0x0020, b"DA", b"20260115"),
        el(0x0008, 0x1030, b"LO", b"CHEST PHANTOM"),
        el(0x0008, 0x103E, b"LO", b"AXIAL 2.5"),
    ]
    .concat();
    f.splice(at..at, study);
    let at = f.windows(4).position(|w| w == [0x28, 0, 0x02, 0]).unwrap();
    let series = [
        el(0x0018, 0x0050, b"DS", b"2.5"),
        el(0x0020, 0x000D, b"UI", b"1.2.3.100"),
        el(0x0020, 0x000E, b"UI", b"1.2.3.100.1"),
        el(0x0020, 0x0011, b"IS", b"3"),
        el(0x0020, 0x0013, b"IS", b"17"),
        el(0x0020, 0x0032, b"DS", b"-175\\-175.5\\-42.5"),
        el(0x0020, 0x0037, b"DS", b"1\\0\\0\\0\\1\\0"),
    ]
    .concat();
    f.splice(at..at, series);
    let facts = series_facts(&f).unwrap();
    assert_eq!(
        facts,
        SeriesFacts {
            study_instance_uid: "1.2.3.100".into(),
            series_instance_uid: "1.2.3.100.1".into(),
            sop_instance_uid: String::new(),
            study_description: "CHEST PHANTOM".into(),
            series_description: "AXIAL 2.5".into(),
            study_date: "20260115".into(),
            series_number: Some(3),
            instance_number: Some(17),
            image_position: Some([-175.0, -175.5, -42.5]),
            image_orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            slice_thickness: Some(2.5),
            modality: "CT".into(),
            frames: 1,
            frame_positions: vec![],
        }
    );
    // Not CT: reported, not refused; nothing known: empty, not an error.
    let mr = series_facts(&ct("MR", "MONOCHROME2", 2, 2, &VALUES)).unwrap();
    assert_eq!((mr.modality.as_str(), mr.image_position), ("MR", None));
    assert_eq!(series_facts(b"not dicom"), Err(DecodeError::NotAnImage));
}

/// A sequence of undefined length holding these items (each of undefined
/// length too, as scanners write them).
fn sq(group: u16, element: u16, items: &[Vec<u8>]) -> Vec<u8> {
    let mut s = long_header(group, element, b"SQ", u32::MAX);
    for item in items {
        s.extend(item_header(0xE000, u32::MAX));
        s.extend(item);
        s.extend(item_header(0xE00D, 0));
    }
    s.extend(item_header(0xE0DD, 0));
    s
}

#[test]
fn enhanced_ct_rescale_comes_from_the_functional_groups() {
    // Two 2 x 1 frames; top level: HU = 2 v - 1024. Shared functional
    // groups: HU = v - 1000; frame 1's own: HU = 3 v + 10. The frame's own
    // comes first, then the shared, then the top level.
    let transform = |slope: &[u8], intercept: &[u8]| {
        sq(
            0x0028,
            0x9145,
            &[[
                el(0x0028, 0x1052, b"DS", intercept),
                el(0x0028, 0x1053, b"DS", slope),
            ]
            .concat()],
        )
    };
    let mut f = ct("CT", "MONOCHROME2", 2, 1, &VALUES);
    let at = f.windows(4).position(|w| w == [0x28, 0, 0x10, 0]).unwrap();
    f.splice(at..at, el(0x0028, 0x0008, b"IS", b"2"));
    let pixels = f
        .windows(4)
        .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00])
        .unwrap();
    let groups = [
        sq(0x5200, 0x9229, &[transform(b"1", b"-1000")]),
        sq(0x5200, 0x9230, &[vec![], transform(b"3", b"10")]),
    ]
    .concat();
    f.splice(pixels..pixels, groups);
    let file = CtFile::open(&f, &tiny()).unwrap();
    assert_eq!(file.hounsfield(0).unwrap().hu, [-1000.0, -788.0]);
    assert_eq!(file.hounsfield(1).unwrap().hu, [2110.0, -5990.0]);
}
