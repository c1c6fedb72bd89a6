//! CT slice import, independent of any screen: which USB sticks and folders to
//! offer ([`import_roots`]), what a folder holds that can be imported
//! ([`list_slices`]: PNG, JPEG and DICOM recognised by content, natural order),
//! a small preview of each ([`thumbnail`]), and the one sentence a nurse reads
//! for a study of analysed slices ([`summarise`]).

mod listing;
mod precheck;
mod roots;
mod summary;
mod thumbnail;

pub use listing::{list_slices, natural_cmp, Listing, SliceEntry, MAX_LISTED};
pub use precheck::{check_file, unreadable, Checked, Refusal};
pub use roots::{import_roots, roots_from_mounts};
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
