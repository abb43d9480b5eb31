//! Turning an uploaded photo into the image sent to the model and stored: checked, decoded,
//! upright, downscaled and re-encoded as a metadata-free JPEG.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageReader, RgbImage};

use super::error::ImageError;
use super::format::{ImageFormat, sniff};
use super::limits::{ImageLimits, check};

/// A photo ready to send and store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedImage {
    /// Encoded image: a baseline JPEG without any metadata segment (no EXIF, so no GPS), or the
    /// original bytes for HEIC/HEIF.
    pub bytes: Vec<u8>,
    /// Media type of `bytes` (`image/jpeg`, or `image/heic` / `image/heif` for pass-through).
    pub mime_type: &'static str,
    /// Width of `bytes`, px, after orientation (for HEIC/HEIF: from its `ispe` box).
    pub width: u32,
    /// Height of `bytes`, px, after orientation (as for `width`).
    pub height: u32,
    /// Format of the upload, from its bytes.
    pub source_format: ImageFormat,
    /// Size of the upload, bytes.
    pub source_bytes: usize,
}

/// Checks and prepares an uploaded photo.
///
/// Steps: size cap; format from the magic numbers ([`sniff`]); declared dimensions from the
/// header, refused before any pixel buffer exists; decode with the `image` crate under its own
/// [`image::Limits`]; EXIF orientation applied; downscaled so the long side is at most
/// [`ImageLimits::target_long_side`] (never upscaled); transparency flattened onto white;
/// re-encoded as JPEG at [`ImageLimits::jpeg_quality`], which drops every metadata segment.
///
/// Downscaling uses the Triangle filter (a tent whose support widens with the scale factor, so
/// an area-weighted average without aliasing). Lanczos3 is marginally sharper but rings (light
/// halos) around black strokes on white paper and costs ~3× more per pixel; the model rescales
/// images to its own tiles anyway (Gemini: 768 px), so the extra sharpness would not reach it.
///
/// HEIC/HEIF has no maintained pure-Rust decoder: it is passed through unchanged as
/// `image/heic` / `image/heif` (Gemini accepts both), after the size cap and the dimension
/// limits read from its `ispe` box (a HEIC without one is refused as corrupt).
///
/// # Errors
/// [`ImageError::TooLarge`] (413), [`ImageError::NotAnImage`] (415), [`ImageError::Dimensions`]
/// and [`ImageError::Corrupt`] (422).
pub fn prepare(bytes: &[u8], limits: &ImageLimits) -> Result<PreparedImage, ImageError> {
    limits.check_bytes(bytes.len())?;
    let format = sniff(bytes).ok_or(ImageError::NotAnImage)?;
    let (width, height) = check(format, bytes, limits)?;
    let decode_format = match format {
        ImageFormat::Heic | ImageFormat::Heif => {
            return Ok(PreparedImage {
                bytes: bytes.to_vec(),
                mime_type: format.mime(),
                width,
                height,
                source_format: format,
                source_bytes: bytes.len(),
            });
        }
        ImageFormat::Jpeg => {
            require_jpeg_end(bytes)?;
            image::ImageFormat::Jpeg
        }
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Webp => image::ImageFormat::WebP,
    };
    let image = decode(bytes, decode_format, limits, (width, height))?;
    let image = if image.width().max(image.height()) > limits.target_long_side {
        image.resize(limits.target_long_side, limits.target_long_side, FilterType::Triangle)
    } else {
        image
    };
    let rgb = flatten_on_white(image);
    let mut out = Vec::with_capacity(bytes.len().min(2 * 1024 * 1024));
    JpegEncoder::new_with_quality(&mut out, limits.jpeg_quality.clamp(1, 100))
        .write_image(rgb.as_raw(), rgb.width(), rgb.height(), ExtendedColorType::Rgb8)
        .map_err(|e| ImageError::Corrupt { detail: format!("re-encoding failed: {e}") })?;
    Ok(PreparedImage {
        bytes: out,
        mime_type: ImageFormat::Jpeg.mime(),
        width: rgb.width(),
        height: rgb.height(),
        source_format: format,
        source_bytes: bytes.len(),
    })
}

/// Decodes under the `image` crate's limits and turns the image upright.
fn decode(
    bytes: &[u8],
    format: image::ImageFormat,
    limits: &ImageLimits,
    declared: (u32, u32),
) -> Result<DynamicImage, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.decoder_limits());
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(e, declared))?;
    // An unreadable EXIF block is not worth refusing the photo for: keep it as shot.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, declared))?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn decode_error(e: image::ImageError, (width, height): (u32, u32)) -> ImageError {
    match e {
        image::ImageError::Limits(_) => ImageError::Dimensions { width, height },
        other => ImageError::Corrupt { detail: other.to_string() },
    }
}

/// The decoder (zune-jpeg, lenient) fills a truncated scan with grey instead of failing, so a
/// JPEG must contain the EOI marker `FF D9` after its first SOS marker `FF DA` (ITU-T T.81
/// B.1.1.3: entropy-coded data cannot contain `FF D9`, byte stuffing turns `FF` into `FF 00`).
/// Bytes after EOI (Motion Photo videos, vendor trailers) are allowed. The segment walk skips
/// APPn payloads, so an EXIF thumbnail's own SOS/EOI do not count.
fn require_jpeg_end(bytes: &[u8]) -> Result<(), ImageError> {
    let truncated = || ImageError::Corrupt { detail: "truncated JPEG: no end-of-image marker".into() };
    let mut i = 2;
    loop {
        let (marker, len_hi, len_lo) = match bytes.get(i..i + 4) {
            Some(&[0xFF, 0xFF, ..]) => {
                i += 1; // fill byte (T.81 B.1.1.2)
                continue;
            }
            Some(&[0xFF, m, hi, lo]) => (m, hi, lo),
            _ => return Err(truncated()),
        };
        if marker == 0xDA {
            break;
        }
        i += 2 + usize::from(u16::from_be_bytes([len_hi, len_lo]));
    }
    if bytes[i..].windows(2).any(|w| w == [0xFF, 0xD9]) { Ok(()) } else { Err(truncated()) }
}

/// RGB8 pixels of `image`, with any alpha composited over white (JPEG has no alpha).
fn flatten_on_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a)) + 127) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}
