//! Fuzz target `dicom`: bytes through the DICOM path of the decoder — the
//! length walk, the header checks (modality, frames, size, greyscale) and the
//! pixel codecs (uncompressed, RLE, JPEG). Inputs without `DICM` at offset 128
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
    if let Ok(frame) = dicom::decode(&bytes, &limits) {
        assert_eq!(frame.data().len(), frame.width() * frame.height() * 3);
        // Sniffed as DICOM by the general decoder too, with the same pixels.
        let (probe, again) = decode::decode(&bytes, &limits).expect("decodes twice");
        assert_eq!(probe.format, decode::ImageFormat::Dicom);
        assert_eq!(again.data(), frame.data());
    }
});
