//! Image format decided from the bytes (magic numbers), never from a declared media type:
//! clients send `image/jpg` or `application/octet-stream` for ordinary photos.

/// An accepted photo format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// JPEG (JFIF/Exif): starts with `FF D8 FF` (ITU-T T.81 SOI marker followed by a marker).
    Jpeg,
    /// PNG: the 8-byte signature `89 50 4E 47 0D 0A 1A 0A` (PNG spec §5.2).
    Png,
    /// WebP: a RIFF container whose form type is `WEBP` (RFC 9649 §2.5).
    Webp,
    /// HEIC: ISO-BMFF `ftyp` box with an HEVC image brand (`heic`, `heix`, `hevc`, `heim`,
    /// `heis`, `hevm`, `hevs`; ISO/IEC 23008-12 Annex B).
    Heic,
    /// HEIF without an HEVC brand: `ftyp` major brand `mif1` or `msf1` (ISO/IEC 23008-12 §10.2).
    Heif,
}

/// HEVC-coded HEIF brands (ISO/IEC 23008-12 Annex B).
const HEVC_BRANDS: [&[u8; 4]; 7] = [b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs"];
/// Structural HEIF brands that say nothing about the codec.
const HEIF_BRANDS: [&[u8; 4]; 2] = [b"mif1", b"msf1"];
/// AV1-coded HEIF (AVIF, AV1 Image File Format §6): also `mif1`-branded, not accepted.
const AVIF_BRANDS: [&[u8; 4]; 2] = [b"avif", b"avis"];

impl ImageFormat {
    /// The IANA media type sent to the model and stored with the object.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Webp => "image/webp",
            ImageFormat::Heic => "image/heic",
            ImageFormat::Heif => "image/heif",
        }
    }
}

/// The format of `bytes` from their first bytes, or `None` when they are not one of the accepted
/// formats (text, PDF, GIF, AVIF, empty, ...).
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(ImageFormat::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(ImageFormat::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some(ImageFormat::Webp);
    }
    sniff_ftyp(bytes)
}

/// An ISO-BMFF file starts with the `ftyp` box: 4-byte big-endian size, `ftyp`, major brand,
/// 4-byte minor version, then compatible brands up to the box's end (ISO/IEC 14496-12 §4.3).
fn sniff_ftyp(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.len() < 12 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let declared = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = declared.clamp(12, bytes.len());
    let major = &bytes[8..12];
    let compatible: Vec<&[u8]> = bytes.get(16..end).unwrap_or_default().chunks_exact(4).collect();
    let is = |set: &[&[u8; 4]], brand: &[u8]| set.iter().any(|b| b.as_slice() == brand);
    if is(&HEVC_BRANDS, major) {
        return Some(ImageFormat::Heic);
    }
    if !is(&HEIF_BRANDS, major) {
        return None;
    }
    if compatible.iter().any(|b| is(&HEVC_BRANDS, b)) {
        Some(ImageFormat::Heic)
    } else if compatible.iter().any(|b| is(&AVIF_BRANDS, b)) {
        None
    } else {
        Some(ImageFormat::Heif)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len() as u32;
        let mut v = size.to_be_bytes().to_vec();
        v.extend_from_slice(b"ftyp");
        v.extend_from_slice(major);
        v.extend_from_slice(&[0, 0, 0, 0]);
        for b in compatible {
            v.extend_from_slice(*b);
        }
        v
    }

    #[test]
    fn brands() {
        assert_eq!(sniff(&ftyp(b"heic", &[b"mif1"])), Some(ImageFormat::Heic));
        assert_eq!(sniff(&ftyp(b"mif1", &[b"mif1", b"heic"])), Some(ImageFormat::Heic));
        assert_eq!(sniff(&ftyp(b"mif1", &[b"mif1"])), Some(ImageFormat::Heif));
        assert_eq!(sniff(&ftyp(b"msf1", &[])), Some(ImageFormat::Heif));
        assert_eq!(sniff(&ftyp(b"avif", &[b"mif1"])), None);
        assert_eq!(sniff(&ftyp(b"mif1", &[b"avif"])), None);
        assert_eq!(sniff(&ftyp(b"isom", &[b"mp41"])), None);
    }

    #[test]
    fn magic_numbers() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageFormat::Png));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(ImageFormat::Webp));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(ImageFormat::Heic.mime(), "image/heic");
    }
}
