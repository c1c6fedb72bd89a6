//! Synthetic DICOM files: rescale, window, MONOCHROME1, refusals, limits,
//! frames; [`syntaxes`]: the other encodings and their damaged copies.

use super::*;

mod syntaxes;

/// One explicit VR little-endian element.
fn el(group: u16, element: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let mut value = value.to_vec();
    if value.len() % 2 == 1 {
        value.push(if vr == b"UI" || vr == b"OB" { 0 } else { b' ' });
    }
    let mut v = if lengths::SHORT_VRS.contains(&vr) {
        let tag = [group.to_le_bytes(), element.to_le_bytes()].concat();
        [&tag[..], vr, &(value.len() as u16).to_le_bytes()].concat()
    } else {
        long_header(group, element, vr, value.len() as u32)
    };
    v.extend_from_slice(&value);
    v
}

/// An explicit VR header with a 32-bit length (`u32::MAX`: undefined), no value.
fn long_header(group: u16, element: u16, vr: &[u8; 2], len: u32) -> Vec<u8> {
    let tag = [group.to_le_bytes(), element.to_le_bytes()].concat();
    [&tag[..], vr, &[0, 0], &len.to_le_bytes()].concat()
}

/// An item-group header (FFFE,`element`) with this length.
fn item_header(element: u16, len: u32) -> Vec<u8> {
    [
        &0xFFFEu16.to_le_bytes()[..],
        &element.to_le_bytes(),
        &len.to_le_bytes(),
    ]
    .concat()
}

fn us(v: u16) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// The preamble, `DICM` and a meta group naming transfer syntax `ts`.
fn meta(ts: &str) -> Vec<u8> {
    let meta_body = [
        el(0x0002, 0x0001, b"OB", &[0, 1]),
        el(0x0002, 0x0002, b"UI", b"1.2.840.10008.5.1.4.1.1.2"),
        el(0x0002, 0x0003, b"UI", b"1.2.3.4"),
        el(0x0002, 0x0010, b"UI", ts.as_bytes()),
        el(0x0002, 0x0012, b"UI", b"1.2.3.5"),
    ]
    .concat();
    let mut f = vec![0u8; 128];
    f.extend_from_slice(b"DICM");
    f.extend(el(
        0x0002,
        0x0000,
        b"UL",
        &(meta_body.len() as u32).to_le_bytes(),
    ));
    f.extend(meta_body);
    f
}

/// A small CT file: `w` x `h` signed 16-bit values, explicit VR little endian.
fn ct(modality: &str, photometric: &str, w: u16, h: u16, values: &[i16]) -> Vec<u8> {
    let mut f = meta(EXPLICIT_LE);
    f.extend(ct_dataset(modality, photometric, w, h, values));
    f
}

/// The data set of [`ct`] (explicit VR little endian), pixel data last.
fn ct_dataset(modality: &str, photometric: &str, w: u16, h: u16, values: &[i16]) -> Vec<u8> {
    let pixels: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut f = Vec::new();
    for e in [
        el(0x0008, 0x0060, b"CS", modality.as_bytes()),
        el(0x0028, 0x0002, b"US", &us(1)),
        el(0x0028, 0x0004, b"CS", photometric.as_bytes()),
        el(0x0028, 0x0010, b"US", &us(h)),
        el(0x0028, 0x0011, b"US", &us(w)),
        el(0x0028, 0x0100, b"US", &us(16)),
        el(0x0028, 0x0101, b"US", &us(12)),
        el(0x0028, 0x0102, b"US", &us(11)),
        el(0x0028, 0x0103, b"US", &us(1)),
        el(0x0028, 0x1052, b"DS", b"-1024"),
        el(0x0028, 0x1053, b"DS", b"2"),
        el(0x7FE0, 0x0010, b"OW", &pixels),
    ] {
        f.extend(e);
    }
    f
}

/// Limits that let the 2x2 test slices through.
fn tiny() -> Limits {
    Limits {
        min_side: 1,
        ..Limits::default()
    }
}

fn lung() -> DicomOptions {
    DicomOptions::default()
}

#[test]
fn window_follows_the_dicom_linear_function() {
    let o = lung();
    // c - 0.5 -/+ (w - 1) / 2 = -1350 and 149.
    assert_eq!(window(-1350.0, &o), 0);
    assert_eq!(window(-3000.0, &o), 0);
    assert_eq!(window(149.0, &o), 255);
    assert_eq!(window(149.001, &o), 255);
    assert_eq!(window(3000.0, &o), 255);
    assert_eq!(window(f64::NAN, &o), 0);
    // ((x + 600.5) / 1499 + 0.5) * 255, rounded.
    for hu in [-1349.0, -1000.0, -600.5, -600.0, -123.0, 0.0, 148.0] {
        let want = (((hu + 600.5) / 1499.0 + 0.5) * 255.0_f64).round() as u8;
        assert_eq!(window(hu, &o), want, "{hu}");
    }
    assert_eq!(window(-600.5, &o), 128); // 127.5 rounds up
    let mut last = 0;
    for hu in -1400..200 {
        let y = window(f64::from(hu), &o);
        assert!(y >= last, "monotonic at {hu}");
        last = y;
    }
}

#[test]
fn width_one_is_a_threshold_and_bad_windows_are_refused() {
    let o = DicomOptions {
        window_center: 0.0,
        window_width: 1.0,
    };
    assert_eq!(window(-0.5, &o), 0);
    assert_eq!(window(-0.4, &o), 255);
    assert!(check_options(&o).is_ok());
    for (c, w) in [(0.0, 0.5), (f64::NAN, 10.0), (0.0, f64::INFINITY)] {
        let bad = DicomOptions {
            window_center: c,
            window_width: w,
        };
        assert!(matches!(
            check_options(&bad),
            Err(DecodeError::Unsupported(_))
        ));
    }
}

#[test]
fn stored_values_are_masked_and_sign_extended() {
    // 12 bits stored in 16: 0x0FFF is -1 when signed, 4095 when not; bits
    // above the high bit (overlay remnants) are ignored.
    let data = [0xFF, 0x0F, 0x00, 0x08, 0xFF, 0xF7, 0x34, 0x12];
    assert_eq!(
        stored_values(&data, 4, 16, 12, true)
            .unwrap()
            .collect::<Vec<_>>(),
        [-1, -2048, 2047, 564]
    );
    assert_eq!(
        stored_values(&data, 4, 16, 12, false)
            .unwrap()
            .collect::<Vec<_>>(),
        [4095, 2048, 2047, 564]
    );
    assert_eq!(
        stored_values(&data, 4, 16, 16, true)
            .unwrap()
            .collect::<Vec<_>>(),
        [4095, 2048, -2049, 4660]
    );
    assert_eq!(
        stored_values(&[200, 7], 2, 8, 8, true)
            .unwrap()
            .collect::<Vec<_>>(),
        [-56, 7]
    );
    assert!(stored_values(&data, 5, 16, 12, true).is_err());
}

#[test]
fn a_synthetic_slice_is_rescaled_windowed_and_inverted_for_monochrome1() {
    // HU = 2 v - 1024: 0 → -1024 (55), 212 → -600 (the centre, 128),
    // 700 → 376 (above the window), -2000 → -5024 (below).
    let values = [0i16, 212, 700, -2000];
    let want = [55u8, 128, 255, 0];
    let l = tiny();
    let f = decode(&ct("CT", "MONOCHROME2", 2, 2, &values), &l).unwrap();
    assert_eq!((f.width(), f.height()), (2, 2));
    let got: Vec<u8> = (0..4).map(|i| f.pixel(i % 2, i / 2)[0]).collect();
    assert_eq!(got, want);
    assert!(f.data().chunks(3).all(|p| p[0] == p[1] && p[1] == p[2]));
    let f = decode(&ct("CT", "MONOCHROME1", 2, 2, &values), &l).unwrap();
    let got: Vec<u8> = (0..4).map(|i| f.pixel(i % 2, i / 2)[0]).collect();
    assert_eq!(got, want.map(|y| 255 - y));
}

#[test]
fn other_modalities_are_refused_in_words() {
    let l = tiny();
    let e = decode(&ct("MR", "MONOCHROME2", 2, 2, &[0; 4]), &l).unwrap_err();
    assert_eq!(
        e,
        DecodeError::NotCt {
            modality: "MR".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "this DICOM file is an MRI scan (MR), not CT — import CT slices for the COVID CT tool"
    );
    let e = decode(&ct("US", "MONOCHROME2", 2, 2, &[0; 4]), &l).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("this DICOM file is an ultrasound image (US), not CT"),
        "{e}"
    );
    let e = decode(&ct("NM", "MONOCHROME2", 2, 2, &[0; 4]), &l).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("this DICOM file is a nuclear medicine scan (NM), not CT"),
        "{e}"
    );
    let e = decode(&ct("", "MONOCHROME2", 2, 2, &[0; 4]), &l).unwrap_err();
    assert!(
        e.to_string().contains("does not say what kind of scan"),
        "{e}"
    );
    let e = decode(&ct("CT", "RGB", 2, 2, &[0; 4]), &l).unwrap_err();
    assert!(e.to_string().contains("greyscale"), "{e}");
}

#[test]
fn size_limits_and_frames_are_checked_from_the_header() {
    let l = Limits::default();
    // Claims 60000 x 60000 with 8 bytes of pixels: refused before the pixels.
    let bomb = ct("CT", "MONOCHROME2", 60_000, 60_000, &[0; 4]);
    assert!(matches!(
        super::super::probe(&bomb, &l),
        Err(DecodeError::TooLarge { .. })
    ));
    assert!(matches!(
        decode(&bomb, &l),
        Err(DecodeError::TooLarge { .. })
    ));
    // A header that fits but too few pixel bytes.
    let short = ct("CT", "MONOCHROME2", 40, 40, &[0; 4]);
    assert!(matches!(decode(&short, &l), Err(DecodeError::Corrupt(_))));
    // Two frames.
    let mut two = ct("CT", "MONOCHROME2", 2, 1, &[0; 4]);
    let at = two
        .windows(4)
        .position(|w| w == [0x28, 0, 0x10, 0])
        .unwrap();
    let frames = el(0x0028, 0x0008, b"IS", b"2");
    two.splice(at..at, frames);
    // The one-picture path refuses it, from the header ...
    let e = decode(&two, &l).unwrap_err();
    assert_eq!(e, DecodeError::MultiFrame { frames: 2 });
    assert!(e.to_string().contains("2 images"), "{e}");
    assert_eq!(super::super::probe(&two, &l).unwrap_err(), e);
    // ... the frame path reads each frame: 2 x 1 pixels, HU = 2 v - 1024.
    assert_eq!(probe(&two).unwrap().frames, 2);
    let two = {
        let mut f = ct("CT", "MONOCHROME2", 2, 1, &[0, 212, 700, -2000]);
        let at = f.windows(4).position(|w| w == [0x28, 0, 0x10, 0]).unwrap();
        f.splice(at..at, el(0x0028, 0x0008, b"IS", b"2"));
        f
    };
    let file = CtFile::open(&two, &tiny()).unwrap();
    assert_eq!((file.frames(), file.header().width), (2, 2));
    let hu = |i| file.hounsfield(i).unwrap().hu;
    assert_eq!(hu(0), [-1024.0, -600.0]);
    assert_eq!(hu(1), [376.0, -5024.0]);
    assert_eq!(
        file.grey(1, &lung()).unwrap().data(),
        [255, 255, 255, 0, 0, 0]
    );
    assert_eq!(hounsfield_frame(&two, &tiny(), 1).unwrap().hu, hu(1));
    assert_eq!(
        decode_frame(&two, &tiny(), 0).unwrap().pixel(1, 0),
        [128; 3]
    );
    let e = file.hounsfield(2).unwrap_err();
    assert!(
        e.to_string()
            .contains("image 3 asked of a DICOM file that holds 2"),
        "{e}"
    );
    // The size limits apply to the frame path too.
    assert!(matches!(
        CtFile::open(&two, &l),
        Err(DecodeError::TooSmall { .. })
    ));
    // Three frames claimed, two held: refused when opened, not frame by frame.
    let mut three = two.clone();
    let value = three.windows(6).position(|w| w == b"IS\x02\x002 ").unwrap();
    three[value + 4] = b'3';
    let e = CtFile::open(&three, &tiny()).unwrap_err();
    assert!(
        e.to_string()
            .contains("shorter than the image size (2 of 3 images)"),
        "{e}"
    );
    // More frames than the kiosk reads from one file.
    let mut many = ct("CT", "MONOCHROME2", 2, 1, &[0; 2]);
    let at = many
        .windows(4)
        .position(|w| w == [0x28, 0, 0x10, 0])
        .unwrap();
    many.splice(at..at, el(0x0028, 0x0008, b"IS", b"2001"));
    let e = probe(&many).unwrap_err();
    assert!(e.to_string().contains("at most 2000"), "{e}");
}

#[test]
fn a_huge_declared_length_is_refused_before_parsing() {
    let mut f = ct("CT", "MONOCHROME2", 2, 2, &[0; 4]);
    // The pixel data's 32-bit length (after tag, "OW" and 2 reserved bytes).
    let at = f
        .windows(6)
        .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00, b'O', b'W'])
        .unwrap();
    f[at + 8..at + 12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    assert_eq!(lengths::check(&f[128..]), Err(DecodeError::Truncated));
    assert_eq!(decode(&f, &Limits::default()), Err(DecodeError::Truncated));
}

#[test]
fn not_dicom_is_not_an_image() {
    assert!(!is_dicom(b"DICM"));
    assert_eq!(
        decode(b"hello", &Limits::default()),
        Err(DecodeError::NotAnImage)
    );
    let mut b = vec![0u8; 128];
    b.extend_from_slice(b"DICM");
    assert_eq!(
        super::super::sniff(&b),
        Some(super::super::ImageFormat::Dicom)
    );
    assert!(decode(&b, &Limits::default()).is_err());
}

#[test]
fn an_item_tag_that_does_not_exist_is_refused_before_parsing() {
    // A sequence of undefined length whose item ends with (FFFE,E80D), a
    // bit-flipped item delimiter: the parser would lose its place.
    let mut f = ct("CT", "MONOCHROME2", 2, 2, &[0; 4]);
    let at = f.windows(4).position(|w| w == [0x28, 0, 0x02, 0]).unwrap();
    let mut sq = long_header(0x0008, 0x1140, b"SQ", u32::MAX);
    for (element, len) in [(0xE000u16, u32::MAX), (0xE80D, 0), (0xE0DD, 0)] {
        sq.extend(item_header(element, len));
    }
    f.splice(at..at, sq.clone());
    let e = lengths::check(&f[128..]).unwrap_err();
    assert!(e.to_string().contains("FFFE,E80D"), "{e}");
    assert!(matches!(
        decode(&f, &Limits::default()),
        Err(DecodeError::Corrupt(_))
    ));
    // With the real item delimiter the same file is read.
    let fixed = sq.windows(2).position(|w| w == [0x0D, 0xE8]).unwrap();
    sq[fixed + 1] = 0xE0;
    let mut g = ct("CT", "MONOCHROME2", 2, 2, &[0; 4]);
    g.splice(at..at, sq);
    assert!(lengths::check(&g[128..]).is_ok());
}

#[test]
fn a_delimiter_with_a_length_is_refused_before_parsing() {
    // A sequence delimiter outside any sequence, claiming 4 GB: the parser
    // reads it as an element and reserves its length (found by fuzzing).
    for element in [0xE0DDu16, 0xE00D] {
        let mut f = ct("CT", "MONOCHROME2", 2, 2, &[0; 4]);
        let at = f.windows(4).position(|w| w == [0x28, 0, 0x02, 0]).unwrap();
        f.splice(at..at, item_header(element, 0xFFFF_FF00));
        let e = lengths::check(&f[128..]).unwrap_err();
        assert!(
            e.to_string().contains(&format!("FFFE,{element:04X}")),
            "{e}"
        );
        assert!(matches!(
            decode(&f, &Limits::default()),
            Err(DecodeError::Corrupt(_))
        ));
    }
}

#[test]
fn a_length_inside_an_undefined_length_ob_is_checked_too() {
    // The parser reads an OB of undefined length (not pixel data) as a
    // sequence of items; a length inside an item must fit the file as well.
    let mut f = ct("CT", "MONOCHROME2", 2, 2, &[0; 4]);
    let at = f.windows(4).position(|w| w == [0x28, 0, 0x02, 0]).unwrap();
    let mut ob = long_header(0x0009, 0x1010, b"OB", u32::MAX);
    ob.extend(item_header(0xE000, u32::MAX));
    // (0009,1011) UN claiming 0x4000_0000 bytes.
    ob.extend(long_header(0x0009, 0x1011, b"UN", 0x4000_0000));
    f.splice(at..at, ob);
    assert!(matches!(
        lengths::check(&f[128..]),
        Err(DecodeError::Truncated)
    ));
    assert!(decode(&f, &Limits::default()).is_err());
}

#[test]
fn a_value_that_is_not_whole_numbers_is_refused() {
    // (0028,6466) AT of 2 bytes: the parser reads no tag and skips nothing,
    // then reads a length from inside the next value (found by fuzzing).
    let mut f = ct("CT", "MONOCHROME2", 2, 2, &[0; 4]);
    let at = f.windows(4).position(|w| w == [0x28, 0, 0x02, 0]).unwrap();
    f.splice(at..at, el(0x0028, 0x6466, b"AT", &[7, 0]));
    let e = lengths::check(&f[128..]).unwrap_err();
    assert!(e.to_string().contains("(0028,6466) holds 2 bytes"), "{e}");
    // A US of 3 bytes, and an odd-length UL, the same.
    for (vr, len) in [(b"US", 3u8), (b"UL", 6)] {
        let mut g = ct("CT", "MONOCHROME2", 2, 2, &[0; 4]);
        let mut e = [0x28u16.to_le_bytes(), 0x0034u16.to_le_bytes()].concat();
        e.extend_from_slice(vr);
        e.extend_from_slice(&[len, 0]);
        e.extend(std::iter::repeat_n(0u8, usize::from(len)));
        g.splice(at..at, e);
        assert!(lengths::check(&g[128..]).is_err(), "{}", vr[0] as char);
    }
    // Text of odd length is read as it is: no refusal.
    let mut g = ct("CT", "MONOCHROME2", 2, 2, &[0; 4]);
    let mut e = [0x08u16.to_le_bytes(), 0x1030u16.to_le_bytes()].concat();
    e.extend_from_slice(b"LO\x03\0abc");
    g.splice(at..at, e);
    assert!(lengths::check(&g[128..]).is_ok());
}

#[test]
fn the_meta_group_ends_where_its_group_length_says() {
    // The parser reads the meta group by its length, whatever groups it
    // holds: a meta element renumbered to another group is still meta, and
    // the walk must not take it for the data set.
    let f = ct("CT", "MONOCHROME2", 2, 2, &[0; 4]);
    let mut g = f.clone();
    let at = g.windows(4).position(|w| w == [0x02, 0, 0x02, 0]).unwrap();
    g[at..at + 2].copy_from_slice(&0x0202u16.to_le_bytes());
    assert!(lengths::check(&g[128..]).is_ok());
    // A group length that ends the meta group early hands the rest of it to
    // the data set's decoder; with explicit VR both read it alike.
    let mut h = f.clone();
    h[128 + 12..128 + 16].copy_from_slice(&14u32.to_le_bytes());
    assert!(lengths::check(&h[128..]).is_ok());
    // A 1 GB length inside the meta group is refused as it is anywhere else.
    let mut k = f;
    let at = k.windows(4).position(|w| w == [0x02, 0, 0x12, 0]).unwrap();
    k[at + 4..at + 12].copy_from_slice(b"OB\0\0\0\0\0\x40");
    assert_eq!(lengths::check(&k[128..]), Err(DecodeError::Truncated));
}

#[test]
fn implicit_vr_values_get_their_vr_from_the_dictionary() {
    // Implicit VR little endian: Rows (0028,0010) is US in the dictionary, so
    // 3 bytes of it are refused; an unknown private tag is UN, any length.
    let implicit = |tag: (u16, u16), value: &[u8]| {
        let mut f = ct("CT", "MONOCHROME2", 2, 2, &[0; 4]);
        let ts = f
            .windows(19)
            .position(|w| w == b"1.2.840.10008.1.2.1")
            .unwrap();
        f.splice(ts..ts + 20, b"1.2.840.10008.1.2\0".iter().copied());
        // The meta group is two bytes shorter now.
        let len = u32::from_le_bytes(f[140..144].try_into().unwrap()) - 2;
        f[140..144].copy_from_slice(&len.to_le_bytes());
        let uid_len = ts - 2;
        f[uid_len..uid_len + 2].copy_from_slice(&18u16.to_le_bytes());
        let mut body = f[..128 + 16 + len as usize].to_vec();
        body.extend([tag.0.to_le_bytes(), tag.1.to_le_bytes()].concat());
        body.extend((value.len() as u32).to_le_bytes());
        body.extend(value);
        body
    };
    assert!(lengths::check(&implicit((0x0028, 0x0010), &[1, 0])[128..]).is_ok());
    let e = lengths::check(&implicit((0x0028, 0x0010), &[1, 0, 0])[128..]).unwrap_err();
    assert!(e.to_string().contains("not a whole number of US"), "{e}");
    assert!(lengths::check(&implicit((0x0009, 0x1001), &[1, 0, 0])[128..]).is_ok());
    let huge = [&[0x28u8, 0, 0x10, 0][..], &0x4000_0000u32.to_le_bytes()].concat();
    let mut f = implicit((0x0009, 0x1001), &[]);
    f.truncate(f.len() - 8);
    f.extend(huge);
    assert_eq!(lengths::check(&f[128..]), Err(DecodeError::Truncated));
}

#[test]
fn a_group_length_of_another_vr_is_followed_as_the_parser_does() {
    // The parser takes (0002,0000) of any VR with 4 bytes (found by fuzzing:
    // with "SS" the walk used to step aside and a 1.3 GB length went by).
    let f = ct("CT", "MONOCHROME2", 2, 2, &[0; 4]);
    let mut g = f.clone();
    g[128 + 8..128 + 10].copy_from_slice(b"SS");
    let rows = g.windows(4).position(|w| w == [0x28, 0, 0x10, 0]).unwrap();
    g[rows + 4..rows + 8].copy_from_slice(b"OB\0\0");
    g.splice(rows + 8..rows + 8, 0x5000_0000u32.to_le_bytes());
    assert_eq!(lengths::check(&g[128..]), Err(DecodeError::Truncated));
    // A meta element without a length is refused: the meta reader would
    // take it for 4 GB.
    let mut h = f;
    let at = h.windows(4).position(|w| w == [0x02, 0, 0x12, 0]).unwrap();
    h[at + 4..at + 12].copy_from_slice(b"OB\0\0\xFF\xFF\xFF\xFF");
    let e = lengths::check(&h[128..]).unwrap_err();
    assert!(e.to_string().contains("has no length"), "{e}");
}
