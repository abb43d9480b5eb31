//! Size and dimension limits, checked from the encoded bytes and the header before any pixel
//! buffer is allocated (decompression-bomb defence: a 30 KB PNG can declare 50,000 × 50,000 px,
//! 10 GB of RGBA once decoded).

use super::error::ImageError;
use super::format::ImageFormat;

/// Limits for an uploaded photo and the shape of the prepared one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageLimits {
    /// Largest encoded photo, bytes (default 10 MiB; above a phone camera's 12-50 MP JPEG/HEIC).
    pub max_bytes: usize,
    /// Largest declared width or height, px (default 12,000: above any phone sensor's long side).
    pub max_side_px: u32,
    /// Largest declared width × height, px (default 50,000,000: a 50 MP phone sensor; 200 MB
    /// once decoded as RGBA8).
    pub max_pixels: u64,
    /// Long side of the prepared image, px (default 1,600: enough for printed exam text; the
    /// model tiles larger images anyway).
    pub target_long_side: u32,
    /// JPEG quality of the prepared image, 1-100 (default 85).
    pub jpeg_quality: u8,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            max_side_px: 12_000,
            max_pixels: 50_000_000,
            target_long_side: 1600,
            jpeg_quality: 85,
        }
    }
}

impl ImageLimits {
    /// Refuses an encoded photo over [`ImageLimits::max_bytes`].
    ///
    /// # Errors
    /// [`ImageError::TooLarge`].
    pub fn check_bytes(&self, len: usize) -> Result<(), ImageError> {
        if len > self.max_bytes {
            return Err(ImageError::TooLarge { bytes: len, limit: self.max_bytes });
        }
        Ok(())
    }

    /// Refuses declared dimensions over the side or pixel limits.
    ///
    /// # Errors
    /// [`ImageError::Dimensions`]; [`ImageError::Corrupt`] for a zero side.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<(), ImageError> {
        if width == 0 || height == 0 {
            return Err(ImageError::Corrupt { detail: format!("the header declares {width}×{height} px") });
        }
        let too_long = width > self.max_side_px || height > self.max_side_px;
        if too_long || u64::from(width) * u64::from(height) > self.max_pixels {
            return Err(ImageError::Dimensions { width, height });
        }
        Ok(())
    }

    /// The `image` crate's own limits, a second guard while decoding: the same sides, and an
    /// allocation cap of `max_pixels` × 8 bytes (16-bit RGBA, the widest pixel decoded).
    pub fn decoder_limits(&self) -> image::Limits {
        let mut l = image::Limits::default();
        l.max_image_width = Some(self.max_side_px);
        l.max_image_height = Some(self.max_side_px);
        l.max_alloc = Some(self.max_pixels.saturating_mul(8));
        l
    }
}

/// Width and height declared by the header, px, read without decoding any pixel data
/// (`imagesize` parses only the header: PNG IHDR, JPEG SOFn, WebP VP8/VP8L/VP8X, HEIF `ispe`).
/// `None` when the header cannot be parsed (truncated or not really that format).
pub fn header_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let size = imagesize::blob_size(bytes).ok()?;
    Some((u32::try_from(size.width).ok()?, u32::try_from(size.height).ok()?))
}

/// Size and header checks for a sniffed photo; returns the declared dimensions. A HEIC/HEIF is
/// passed to the model undecoded, so its `ispe` box (image spatial extents) must be readable:
/// without it nothing says the bytes are an image at all.
///
/// # Errors
/// [`ImageError::TooLarge`], [`ImageError::Dimensions`], [`ImageError::Corrupt`] (a JPEG, PNG or
/// WebP header that cannot be read).
pub fn check(format: ImageFormat, bytes: &[u8], limits: &ImageLimits) -> Result<(u32, u32), ImageError> {
    limits.check_bytes(bytes.len())?;
    match (format, header_dimensions(bytes)) {
        (_, None) => Err(ImageError::Corrupt { detail: format!("unreadable {} header", format.mime()) }),
        (_, Some((w, h))) => limits.check_dimensions(w, h).map(|()| (w, h)),
    }
}
