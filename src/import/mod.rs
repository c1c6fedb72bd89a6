//! CT slice import, independent of any screen (the sticks and folders to
//! offer are [`crate::sticks`]'s): what a folder holds that can be imported
//! ([`list_slices`]: PNG, JPEG and DICOM recognised by content, natural order),
//! a small preview of each ([`thumbnail`]), the CT series a stick or CD copy
//! holds and which of their slices go through the lungs ([`find_series`],
//! [`measure_and_choose`]), and the one sentence a nurse reads
//! for a study of analysed slices ([`summarise`]).

mod listing;
mod precheck;
mod series;
mod summary;
mod thumbnail;

pub use listing::{list_slices, natural_cmp, Listing, SliceEntry, MAX_LISTED};
pub use precheck::{check_file, unreadable, Checked, Refusal};
pub use series::{
    choose_slices, find_series, lung_fraction, lung_slices, measure_and_choose, order_slices,
    project, Choice, Found, Series, SliceRef, MAX_SERIES_FILES,
};
pub use summary::{summarise, StudySummary, StudyVerdict};
pub use thumbnail::{downscale, thumbnail};

use crate::decode::DecodeError;
use std::path::PathBuf;

/// Why a folder or a slice could not be offered. The texts are shown to nurses.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ImportError {
    #[error("cannot open the folder {}: {reason}", path.display())]
    Folder { path: PathBuf, reason: String },
    #[error("{name}: {source}")]
    Slice {
        name: String,
        #[source]
        source: DecodeError,
    },
    #[error("a preview must be at least 1 pixel wide")]
    PreviewSize,
}
