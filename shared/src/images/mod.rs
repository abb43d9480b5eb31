//! Uploaded photos (snap-solve): format from the bytes, size and decompression-bomb limits, and
//! preparation (upright, downscaled, metadata-free JPEG) before a model call or storage.

mod error;
mod format;
mod limits;
mod prepare;

pub use error::ImageError;
pub use format::{ImageFormat, sniff};
pub use limits::{ImageLimits, check, header_dimensions};
pub use prepare::{PreparedImage, prepare};
