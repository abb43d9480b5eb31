//! Object keys: `/`-separated segments of `[A-Za-z0-9._-]`, so a key is the same string in a
//! file path, an S3/GCS object name and a URL path, with nothing to escape.

/// Longest key, bytes (S3 allows 1,024; Cloud Storage 1,024 bytes of UTF-8).
pub const MAX_KEY_BYTES: usize = 512;

/// Checks a key: 1-512 bytes, segments non-empty and not `.` or `..`, characters from
/// `[A-Za-z0-9._-]` and `/` between segments.
///
/// # Errors
/// Why the key is refused.
pub fn validate(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(format!("a key is 1-{MAX_KEY_BYTES} bytes"));
    }
    for segment in key.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!("{key:?} has an empty, '.' or '..' segment"));
        }
        if !segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
            return Err(format!("{key:?} has a character outside [A-Za-z0-9._-/]"));
        }
    }
    Ok(())
}
