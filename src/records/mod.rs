//! The screening register: visits and analysis records in SQLite, with the
//! original images as files beside it. (Being written.)
