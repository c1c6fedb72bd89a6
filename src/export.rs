//! Export of the register for the camp's paperwork: CSV, JSON and images, written
//! atomically to a USB stick or a folder. (Being written.)
