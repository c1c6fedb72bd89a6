//! Fuzz target `dicom`: bytes through the DICOM path of the decoder — the
//! length walk (big endian, inflated deflate), the header checks (modality,
//! frames, size, greyscale), the series facts and the pixel codecs
//! (uncompressed, RLE, JPEG, JPEG-LS, JPEG 2000) on the first, second and
//! last frame. Inputs without `DICM` at offset 128
//! get a zero preamble and `DICM` put in front, so every mutation reaches the
//! DICOM parser; a crash file saved by libFuzzer is replayed the same way
//! (tests/corpus.rs does so for tests/regressions/dicom/).
#![no_main]

use libfuzzer_sys::fuzz_target;
use onemed::decode::{self, dicom, Limits};
use std::borrow::Cow;

/// The bytes the DICOM decoder sees for a fuzz input.
fn as_dicom(data: &[u8]) -> Cow<'_, [u8]> {
    if dicom::is_dicom(data) {
        Cow::Borrowed(data)
    } else {
        let mut v = vec![0u8; 128];
        v.extend_from_slice(b"DICM");
        v.extend_from_slice(data);
        Cow::Owned(v)
    }
}

fuzz_target!(|data: &[u8]| {
    let bytes = as_dicom(data);
    let limits = Limits::default();
    let _ = dicom::probe(&bytes);
    let _ = dicom::series_facts(&bytes);
    if let Ok(file) = dicom::CtFile::open(&bytes, &limits) {
        let last = file.frames() - 1;
        let mut frames = vec![0, 1.min(last), last];
        frames.dedup();
        for f in frames {
            if let Ok(hu) = file.hounsfield(f) {
                assert_eq!(hu.hu.len(), hu.width * hu.height);
                let grey = file.grey(f, &limits.dicom).expect("HU decoded, so grey too");
                assert_eq!(grey.data().len(), hu.hu.len() * 3);
            }
        }
    }
    if let Ok(frame) = dicom::decode(&bytes, &limits) {
        assert_eq!(frame.data().len(), frame.width() * frame.height() * 3);
        // Sniffed as DICOM by the general decoder too, with the same pixels.
        let (probe, again) = decode::decode(&bytes, &limits).expect("decodes twice");
        assert_eq!(probe.format, decode::ImageFormat::Dicom);
        assert_eq!(again.data(), frame.data());
    }
});
