//! What a CT series browser needs to know about a DICOM file, read from its
//! header alone (no pixel is decoded): which study and series it belongs to,
//! what they are called, and where the slice lies in the patient, so that
//! slices are grouped by series and ordered by position (InstanceNumber is
//! not always in spatial order).
//!
//! Nothing here is refused for being absent: a missing attribute is empty or
//! `None`, and the browser decides. The file must still be readable DICOM
//! (every length checked, as for decoding); the modality is reported, not
//! checked. A multi-frame file (Enhanced CT) keeps its geometry in functional
//! groups: each frame's position is in [`SeriesFacts::frame_positions`], and
//! the first frame's position, the orientation and the slice thickness stand
//! in for the top-level ones when those are absent.

use super::{parse, text, DecodeError, MAX_FRAMES};
use dicom_core::value::Value;
use dicom_dictionary_std::tags;
use dicom_object::{InMemDicomObject, Tag};

/// A file's place in its study and series.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesFacts {
    pub study_instance_uid: String,
    pub series_instance_uid: String,
    pub sop_instance_uid: String,
    pub study_description: String,
    pub series_description: String,
    /// StudyDate as stored (`YYYYMMDD`), empty when absent.
    pub study_date: String,
    pub series_number: Option<i64>,
    pub instance_number: Option<i64>,
    /// ImagePositionPatient (mm): the first frame's for a multi-frame file.
    pub image_position: Option<[f64; 3]>,
    /// ImageOrientationPatient: row then column direction cosines.
    pub image_orientation: Option<[f64; 6]>,
    /// SliceThickness (mm).
    pub slice_thickness: Option<f64>,
    /// Modality as stored, upper case (`CT`, `MR`, ...).
    pub modality: String,
    /// Number of Frames (1 when absent).
    pub frames: u32,
    /// Each frame's ImagePositionPatient from the per-frame functional groups
    /// (Enhanced CT); empty for a single-frame file or when not given.
    pub frame_positions: Vec<[f64; 3]>,
}

/// Reads the series facts of a DICOM file from its header.
pub fn series_facts(bytes: &[u8]) -> Result<SeriesFacts, DecodeError> {
    if !super::is_dicom(bytes) {
        return Err(DecodeError::NotAnImage);
    }
    let obj = parse(bytes, true)?;
    let root: &InMemDicomObject = &obj;
    let frames = number(root, tags::NUMBER_OF_FRAMES)
        .filter(|f| *f >= 1.0 && *f <= f64::from(MAX_FRAMES))
        .map_or(1, |f| f as u32);
    let per_frame = items(root, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    let shared = items(root, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    let first_of = |groups: &[InMemDicomObject], seq: Tag, tag: Tag| {
        groups
            .first()
            .and_then(|g| items(g, seq).first().and_then(|i| numbers(i, tag)))
    };
    let frame_positions: Vec<[f64; 3]> = per_frame
        .iter()
        .take(frames as usize)
        .filter_map(|g| {
            let position = items(g, tags::PLANE_POSITION_SEQUENCE);
            fixed(
                position
                    .first()
                    .and_then(|i| numbers(i, tags::IMAGE_POSITION_PATIENT)),
            )
        })
        .collect();
    let orientation = numbers(root, tags::IMAGE_ORIENTATION_PATIENT)
        .or_else(|| {
            first_of(
                shared,
                tags::PLANE_ORIENTATION_SEQUENCE,
                tags::IMAGE_ORIENTATION_PATIENT,
            )
        })
        .or_else(|| {
            first_of(
                per_frame,
                tags::PLANE_ORIENTATION_SEQUENCE,
                tags::IMAGE_ORIENTATION_PATIENT,
            )
        });
    let thickness = number(root, tags::SLICE_THICKNESS)
        .or_else(|| {
            first_of(shared, tags::PIXEL_MEASURES_SEQUENCE, tags::SLICE_THICKNESS)
                .and_then(|v| v.first().copied())
        })
        .or_else(|| {
            first_of(
                per_frame,
                tags::PIXEL_MEASURES_SEQUENCE,
                tags::SLICE_THICKNESS,
            )
            .and_then(|v| v.first().copied())
        });
    Ok(SeriesFacts {
        study_instance_uid: text(&obj, tags::STUDY_INSTANCE_UID).unwrap_or_default(),
        series_instance_uid: text(&obj, tags::SERIES_INSTANCE_UID).unwrap_or_default(),
        sop_instance_uid: text(&obj, tags::SOP_INSTANCE_UID).unwrap_or_default(),
        study_description: text(&obj, tags::STUDY_DESCRIPTION).unwrap_or_default(),
        series_description: text(&obj, tags::SERIES_DESCRIPTION).unwrap_or_default(),
        study_date: text(&obj, tags::STUDY_DATE).unwrap_or_default(),
        series_number: whole(root, tags::SERIES_NUMBER),
        instance_number: whole(root, tags::INSTANCE_NUMBER),
        image_position: fixed(numbers(root, tags::IMAGE_POSITION_PATIENT))
            .or_else(|| frame_positions.first().copied()),
        image_orientation: fixed(orientation),
        slice_thickness: thickness,
        modality: text(&obj, tags::MODALITY)
            .unwrap_or_default()
            .to_ascii_uppercase(),
        frames,
        frame_positions,
    })
}

/// The items of a sequence (empty when absent or not a sequence).
pub(super) fn items(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    match obj.element_opt(tag).ok().flatten().map(|e| e.value()) {
        Some(Value::Sequence(seq)) => seq.items(),
        _ => &[],
    }
}

/// All the finite numbers of a numeric or DS/IS element.
fn numbers(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    let e = obj.element_opt(tag).ok().flatten()?;
    let v = e.to_multi_float64().ok()?;
    (!v.is_empty() && v.iter().all(|x| x.is_finite())).then_some(v)
}

fn number(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    numbers(obj, tag)?.first().copied()
}

fn whole(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    obj.element_opt(tag).ok().flatten()?.to_int::<i64>().ok()
}

/// Exactly `N` numbers.
fn fixed<const N: usize>(v: Option<Vec<f64>>) -> Option<[f64; N]> {
    v?.try_into().ok()
}
