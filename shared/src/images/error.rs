//! Why a photo was refused, and the problem+json each reason becomes.

use crate::problem::{ErrorCode, Problem};

/// A photo that cannot be used. Every variant is the client's fault (4xx).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// The bytes are not JPEG, PNG, WebP or HEIC/HEIF (including an empty body). → 415
    /// `unsupported_image`.
    #[error("the body is not a JPEG, PNG, WebP or HEIC/HEIF image")]
    NotAnImage,
    /// The encoded photo is larger than the cap. → 413 `payload_too_large`.
    #[error("the image is {bytes} bytes; the limit is {limit} bytes")]
    TooLarge {
        /// Size of the encoded photo, bytes.
        bytes: usize,
        /// The cap, bytes.
        limit: usize,
    },
    /// The header declares a side or pixel count over the limits (a decompression bomb or an
    /// absurd photo). → 422 `image_dimensions`.
    #[error("the image is {width}×{height} px, over the dimension limits")]
    Dimensions {
        /// Declared width, px.
        width: u32,
        /// Declared height, px.
        height: u32,
    },
    /// Truncated or undecodable data. → 422 `image_unreadable`.
    #[error("the image could not be read: {detail}")]
    Corrupt {
        /// What the decoder reported.
        detail: String,
    },
}

impl From<ImageError> for Problem {
    fn from(e: ImageError) -> Self {
        let detail = e.to_string();
        match e {
            ImageError::NotAnImage => Problem::new(ErrorCode::UnsupportedImage, detail)
                .with("accepted", ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"]),
            ImageError::TooLarge { limit, .. } => {
                Problem::new(ErrorCode::PayloadTooLarge, detail).with("limit_bytes", limit)
            }
            ImageError::Dimensions { width, height } => {
                Problem::new(ErrorCode::ImageDimensions, detail).with("width", width).with("height", height)
            }
            ImageError::Corrupt { .. } => Problem::new(ErrorCode::ImageUnreadable, detail),
        }
    }
}
