//! Photo checks and preparation with real encoders and decoders: images are made by the
//! `image` crate in the test (EXIF segments, PNG and HEIF headers built byte by byte).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageEncoder, RgbImage, Rgba, RgbaImage};
use shared::images::{ImageError, ImageFormat, ImageLimits, PreparedImage, prepare, sniff};
use shared::problem::Problem;

/// A photo-like test card: a red left half and a blue gradient right half, so orientation and
/// resampling are visible.
fn card(w: u32, h: u32) -> RgbImage {
    let mut raw = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        let blue = (55 + 200 * y / h) as u8;
        for x in 0..w {
            let px = if x < w / 2 { [200, 20, 20] } else { [20, 20, blue] };
            raw.extend_from_slice(&px);
        }
    }
    RgbImage::from_raw(w, h, raw).unwrap()
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn png_rgba(img: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(img, img.width(), img.height(), image::ExtendedColorType::Rgba8).unwrap();
    out
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(img, img.width(), img.height(), image::ExtendedColorType::Rgb8).unwrap();
    out
}

fn webp(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .write_image(img, img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn decode(p: &PreparedImage) -> DynamicImage {
    image::load_from_memory_with_format(&p.bytes, image::ImageFormat::Jpeg).unwrap()
}

fn status(e: ImageError) -> (StatusCode, String) {
    let p = Problem::from(e);
    (p.details().code.status(), p.details().code.as_str())
}

/// JPEG segments before the scan: (marker, payload).
fn segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        out.push((marker, jpeg[i + 4..i + 2 + len].to_vec()));
        if marker == 0xDA {
            break;
        }
        i += 2 + len;
    }
    out
}

/// An APP1 Exif segment (CIPA DC-008 §4.5.4) with a big-endian TIFF header and IFD0 holding
/// Orientation (0x0112, SHORT) and a GPS IFD pointer (0x8825) to a GPSLatitudeRef 'N' entry.
fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a".to_vec();
    tiff.extend_from_slice(&8u32.to_be_bytes()); // IFD0 at offset 8
    tiff.extend_from_slice(&2u16.to_be_bytes()); // 2 entries
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    let gps_ifd = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]);
    tiff.extend_from_slice(&(gps_ifd as u32).to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no IFD1
    tiff.extend_from_slice(&1u16.to_be_bytes()); // GPS IFD: 1 entry
    tiff.extend_from_slice(&[0x00, 0x01, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    seg.extend_from_slice(&payload);
    seg
}

fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&exif_app1(orientation));
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// CRC-32 of PNG chunks (ISO 3309, as in PNG spec Annex D).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    c.extend_from_slice(&body);
    c.extend_from_slice(&crc32(&body).to_be_bytes());
    c
}

/// A PNG with a valid IHDR (8-bit RGBA) for `w`×`h` and an empty IEND: no pixel data at all.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &ihdr));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

fn bmff_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

/// The `ftyp` box of an iPhone HEIC: major `heic`, compatible `mif1`, `heic`.
fn heic_ftyp() -> Vec<u8> {
    bmff_box(b"ftyp", b"heic\0\0\0\0mif1heic")
}

/// `ftyp` + `meta` (full box) › `iprp` › `ipco` › `ispe` (ISO/IEC 23008-12 §6.5.3) declaring
/// `w`×`h`, then an empty `mdat`.
fn heic_with_ispe(w: u32, h: u32) -> Vec<u8> {
    let mut ispe = vec![0, 0, 0, 0];
    ispe.extend_from_slice(&w.to_be_bytes());
    ispe.extend_from_slice(&h.to_be_bytes());
    let ipco = bmff_box(b"ipco", &bmff_box(b"ispe", &ispe));
    let iprp = bmff_box(b"iprp", &ipco);
    let mut meta_body = vec![0, 0, 0, 0];
    meta_body.extend(iprp);
    let mut out = heic_ftyp();
    out.extend(bmff_box(b"meta", &meta_body));
    out.extend(bmff_box(b"mdat", &[]));
    out
}

#[test]
fn jpeg_png_and_webp_are_downscaled_to_the_target_long_side() {
    let limits = ImageLimits::default();
    // 4000 × 3000 (a 12 MP phone photo) as JPEG; PNG and WebP at 2400 × 1800, which also
    // downscales, because their encoders are slow on 12 MP in an unoptimised test build.
    let small = card(2400, 1800);
    let cases = [
        (jpeg(&card(4000, 3000)), ImageFormat::Jpeg),
        (png(&small), ImageFormat::Png),
        (webp(&small), ImageFormat::Webp),
    ];
    for (bytes, format) in cases {
        let p = prepare(&bytes, &limits).unwrap();
        assert_eq!((p.width, p.height), (1600, 1200), "{format:?}");
        assert_eq!(p.mime_type, "image/jpeg");
        assert_eq!(p.source_format, format);
        assert_eq!(p.source_bytes, bytes.len());
        assert_eq!(sniff(&p.bytes), Some(ImageFormat::Jpeg));
        let out = decode(&p).to_rgb8();
        assert_eq!(out.dimensions(), (1600, 1200));
        // Left half red, right half blue, after resampling and JPEG.
        let left = out.get_pixel(200, 600).0;
        let right = out.get_pixel(1400, 600).0;
        assert!(left[0] > 150 && left[2] < 80, "{format:?} left {left:?}");
        assert!(right[0] < 80 && right[2] > 100, "{format:?} right {right:?}");
    }
}

#[test]
fn portrait_and_small_images_keep_their_shape_and_are_not_upscaled() {
    let limits = ImageLimits::default();
    let p = prepare(&jpeg(&card(1000, 3000)), &limits).unwrap();
    assert_eq!((p.width, p.height), (533, 1600));
    let p = prepare(&png(&card(800, 600)), &limits).unwrap();
    assert_eq!((p.width, p.height), (800, 600));
    assert_eq!(p.mime_type, "image/jpeg");
}

#[test]
fn exif_orientation_is_applied() {
    let bytes = with_exif(&jpeg(&card(400, 200)), 6);
    let p = prepare(&bytes, &ImageLimits::default()).unwrap();
    assert_eq!((p.width, p.height), (200, 400), "orientation 6 swaps the sides");
    // Orientation 6: rotate 90° clockwise to display, so the red left half ends up on top.
    let out = decode(&p).to_rgb8();
    let top = out.get_pixel(100, 50).0;
    let bottom = out.get_pixel(100, 350).0;
    assert!(top[0] > 150 && top[2] < 80, "top {top:?}");
    assert!(bottom[0] < 80, "bottom {bottom:?}");

    let upright = prepare(&with_exif(&jpeg(&card(400, 200)), 1), &ImageLimits::default()).unwrap();
    assert_eq!((upright.width, upright.height), (400, 200));
}

#[test]
fn metadata_is_stripped() {
    let bytes = with_exif(&jpeg(&card(600, 400)), 6);
    assert!(segments(&bytes).iter().any(|(m, p)| *m == 0xE1 && p.starts_with(b"Exif\0\0")));
    let p = prepare(&bytes, &ImageLimits::default()).unwrap();
    let segs = segments(&p.bytes);
    assert!(segs.iter().any(|(m, _)| *m == 0xDA), "the output has a scan");
    assert!(
        segs.iter().all(|(m, _)| *m != 0xE1),
        "no APP1 (Exif/XMP): {:?}",
        segs.iter().map(|s| s.0).collect::<Vec<_>>()
    );
    assert!(!p.bytes.windows(6).any(|w| w == b"Exif\0\0"));
}

#[test]
fn transparent_png_is_flattened_on_white() {
    let img = RgbaImage::from_fn(300, 200, |x, _| if x < 150 { Rgba([0, 0, 0, 0]) } else { Rgba([0, 0, 0, 255]) });
    let p = prepare(&png_rgba(&img), &ImageLimits::default()).unwrap();
    assert_eq!(p.source_format, ImageFormat::Png);
    let out = decode(&p).to_rgb8();
    assert!(out.get_pixel(40, 100).0.iter().all(|&c| c > 245), "transparent → white");
    assert!(out.get_pixel(260, 100).0.iter().all(|&c| c < 10), "opaque black stays black");
}

#[test]
fn truncated_jpeg_is_unreadable() {
    let full = jpeg(&card(800, 600));
    for cut in [full.len() / 2, full.len() - 2, 200] {
        let e = prepare(&full[..cut], &ImageLimits::default()).unwrap_err();
        assert!(matches!(e, ImageError::Corrupt { .. }), "cut at {cut}: {e:?}");
        assert_eq!(status(e), (StatusCode::UNPROCESSABLE_ENTITY, "image_unreadable".into()));
    }
    // Data after the end-of-image marker (a Motion Photo's video) is fine.
    let mut trailer = full.clone();
    trailer.extend_from_slice(b"\0\0\0\x18ftypmp42 trailing video");
    assert_eq!(prepare(&trailer, &ImageLimits::default()).unwrap().width, 800);
}

#[test]
fn truncated_png_and_webp_are_unreadable() {
    let img = card(300, 300);
    for full in [png(&img), webp(&img)] {
        let e = prepare(&full[..full.len() * 2 / 3], &ImageLimits::default()).unwrap_err();
        assert!(matches!(e, ImageError::Corrupt { .. }), "{e:?}");
    }
}

#[test]
fn format_comes_from_the_bytes_not_the_declared_type() {
    // A PNG uploaded as image/jpeg (the declared type never reaches `prepare`).
    let bytes = png(&card(64, 48));
    assert_eq!(sniff(&bytes), Some(ImageFormat::Png));
    let p = prepare(&bytes, &ImageLimits::default()).unwrap();
    assert_eq!(p.source_format, ImageFormat::Png);
    assert_eq!((p.width, p.height), (64, 48));
}

#[test]
fn a_50000_by_50000_png_header_is_refused_fast() {
    let bytes = png_header_only(50_000, 50_000);
    assert!(bytes.len() < 100);
    let start = Instant::now();
    let e = prepare(&bytes, &ImageLimits::default()).unwrap_err();
    assert!(start.elapsed() < Duration::from_millis(100), "took {:?}", start.elapsed());
    assert_eq!(e, ImageError::Dimensions { width: 50_000, height: 50_000 });
    assert_eq!(status(e), (StatusCode::UNPROCESSABLE_ENTITY, "image_dimensions".into()));
    // One side over the limit, and the pixel-count limit alone (10,000 × 6,000 = 60 MP).
    assert!(matches!(
        prepare(&png_header_only(12_001, 10), &ImageLimits::default()),
        Err(ImageError::Dimensions { .. })
    ));
    assert!(matches!(
        prepare(&png_header_only(10_000, 6_000), &ImageLimits::default()),
        Err(ImageError::Dimensions { .. })
    ));
}

#[test]
fn decoder_limits_follow_the_image_limits() {
    // The image crate's own guard: the same side limits and max_pixels × 8 bytes of allocation.
    let limits = ImageLimits { max_pixels: 100_000, max_side_px: 2_000, ..ImageLimits::default() };
    assert_eq!(limits.check_dimensions(1000, 1000).unwrap_err(), ImageError::Dimensions { width: 1000, height: 1000 });
    assert_eq!(limits.check_dimensions(2001, 10).unwrap_err(), ImageError::Dimensions { width: 2001, height: 10 });
    assert!(limits.check_dimensions(2000, 50).is_ok());
    assert!(matches!(limits.check_dimensions(0, 50), Err(ImageError::Corrupt { .. })));
    let l = limits.decoder_limits();
    assert_eq!((l.max_image_width, l.max_image_height, l.max_alloc), (Some(2000), Some(2000), Some(800_000)));
}

#[test]
fn text_and_empty_bodies_are_not_images() {
    for body in
        [&b"A ball is thrown vertically upward with a speed of 20 m/s."[..], b"", b"%PDF-1.7\n", b"GIF89a\x01\0\x01\0"]
    {
        let e = prepare(body, &ImageLimits::default()).unwrap_err();
        assert_eq!(e, ImageError::NotAnImage);
        assert_eq!(status(e), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_image".into()));
    }
}

#[test]
fn over_max_bytes_is_too_large() {
    let bytes = jpeg(&card(400, 300));
    let limits = ImageLimits { max_bytes: bytes.len() - 1, ..ImageLimits::default() };
    let e = prepare(&bytes, &limits).unwrap_err();
    assert_eq!(e, ImageError::TooLarge { bytes: bytes.len(), limit: bytes.len() - 1 });
    let problem = Problem::from(e);
    assert_eq!(problem.details().code.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem.details().code.as_str(), "payload_too_large");
    assert_eq!(problem.details().extensions["limit_bytes"], bytes.len() - 1);
    // The same cap applies to HEIC pass-through.
    let heic = heic_ftyp();
    let small = ImageLimits { max_bytes: 10, ..ImageLimits::default() };
    assert!(matches!(prepare(&heic, &small), Err(ImageError::TooLarge { .. })));
}

#[test]
fn heic_is_passed_through_with_its_ispe_dimensions() {
    // A HEIC whose image dimensions cannot be read is not passed on to the model (garbage
    // behind a valid ftyp box would only make the provider refuse it).
    let minimal = heic_ftyp();
    assert!(matches!(prepare(&minimal, &ImageLimits::default()), Err(ImageError::Corrupt { .. })));

    let with_ispe = heic_with_ispe(4032, 3024);
    let p = prepare(&with_ispe, &ImageLimits::default()).unwrap();
    assert_eq!((p.width, p.height), (4032, 3024));
    assert_eq!(p.bytes, with_ispe);
    assert_eq!(p.mime_type, "image/heic");
    assert_eq!(p.source_format, ImageFormat::Heic);

    let bomb = heic_with_ispe(50_000, 50_000);
    assert_eq!(
        prepare(&bomb, &ImageLimits::default()).unwrap_err(),
        ImageError::Dimensions { width: 50_000, height: 50_000 }
    );

    let mut heif = bmff_box(b"ftyp", b"mif1\0\0\0\0mif1");
    heif.extend_from_slice(&heic_with_ispe(800, 600)[heic_ftyp().len()..]);
    assert_eq!(prepare(&heif, &ImageLimits::default()).unwrap().mime_type, "image/heif");
}

#[test]
fn the_sample_question_photo_prepares() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/sample-question.jpg");
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() <= 150 * 1024);
    let p = prepare(&bytes, &ImageLimits::default()).unwrap();
    assert_eq!(p.source_format, ImageFormat::Jpeg);
    assert!(p.width.max(p.height) <= 1600 && p.width > 0 && p.height > 0);
}
