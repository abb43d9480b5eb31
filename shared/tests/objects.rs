//! Snap image storage: the local directory backend (with its signed app route served by a real
//! HTTP server on 127.0.0.1) and the S3 backend against moto's S3 server, started here.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use bytes::Bytes;
use chrono::Utc;
use shared::images::sniff;
use shared::objects::{LOCAL_ROUTE, ObjectError, ObjectStorage, ObjectsConfig, ObjectsLocation};
use shared::testing::temp_dir;

const SIGNING_KEY: &str = "0123456789abcdef0123456789abcdef-test";

fn config(vars: &[(&str, &str)]) -> Result<ObjectsConfig, Vec<String>> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    ObjectsConfig::from_lookup(&|k: &str| map.get(k).cloned())
}

fn local_storage() -> (ObjectStorage, std::path::PathBuf) {
    let dir = temp_dir().join("images");
    let url = format!("file://{}", dir.display());
    let cfg = config(&[("SNAP_IMAGES_URL", &url), ("SNAP_IMAGES_SIGNING_KEY", SIGNING_KEY)]).unwrap();
    assert_eq!(cfg.location, ObjectsLocation::Local { dir: dir.clone() });
    (ObjectStorage::from_config(&cfg).unwrap(), dir)
}

/// A small real JPEG.
fn photo() -> Bytes {
    let img = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([(x * 8) as u8, (y * 10) as u8, 90]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img).unwrap();
    Bytes::from(out)
}

/// (exp, sig) from a local URL's query.
fn exp_and_sig(url: &str) -> (i64, String) {
    let query = url.split_once('?').unwrap().1;
    let params: HashMap<&str, &str> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
    (params["exp"].parse().unwrap(), params["sig"].to_owned())
}

#[test]
fn config_parses_every_backend_and_reports_every_bad_variable() {
    let cfg = config(&[]).unwrap();
    assert_eq!(cfg.location, ObjectsLocation::Local { dir: ".dev/images".into() });
    assert_eq!(cfg.url_ttl, Duration::from_secs(900));
    assert_eq!(cfg.signing_key, None);

    let cfg = config(&[
        ("SNAP_IMAGES_URL", "s3://jeevibe-snaps/prod/images/"),
        ("SNAP_IMAGES_URL_TTL_SECS", "300"),
        ("AWS_REGION", "ap-south-1"),
        ("AWS_SECRET_ACCESS_KEY", "very-secret"),
        ("UNRELATED", "x"),
    ])
    .unwrap();
    let ObjectsLocation::S3 { bucket, prefix, options } = &cfg.location else { panic!("{cfg:?}") };
    assert_eq!((bucket.as_str(), prefix.as_str()), ("jeevibe-snaps", "prod/images"));
    assert_eq!(options.get("AWS_REGION"), Some("ap-south-1"));
    assert_eq!(options.0.len(), 2);
    assert_eq!(cfg.url_ttl, Duration::from_secs(300));
    assert!(!format!("{cfg:?}").contains("very-secret"), "Debug hides secrets: {cfg:?}");

    let cfg = config(&[("SNAP_IMAGES_URL", "gs://jeevibe-snaps"), ("GOOGLE_SERVICE_ACCOUNT", "/sa.json")]).unwrap();
    let ObjectsLocation::Gcs { bucket, prefix, options } = &cfg.location else { panic!("{cfg:?}") };
    assert_eq!(
        (bucket.as_str(), prefix.as_str(), options.get("GOOGLE_SERVICE_ACCOUNT")),
        ("jeevibe-snaps", "", Some("/sa.json"))
    );

    let errors = config(&[
        ("SNAP_IMAGES_URL", "ftp://host/dir"),
        ("SNAP_IMAGES_URL_TTL_SECS", "604801"),
        ("SNAP_IMAGES_SIGNING_KEY", "short"),
    ])
    .unwrap_err();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].contains("SNAP_IMAGES_URL=\"ftp://host/dir\""));
    assert!(errors[1].contains("SNAP_IMAGES_URL_TTL_SECS"));
    assert!(errors[2].contains("SNAP_IMAGES_SIGNING_KEY"));
    for bad in ["s3://Bad_Bucket/x", "s3://ab", "gs://bucket/../x", "file://relative/dir"] {
        assert!(config(&[("SNAP_IMAGES_URL", bad)]).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn local_put_get_delete_and_delete_many() {
    let (storage, dir) = local_storage();
    assert!(storage.is_local());
    let jpeg = photo();
    storage.put("snaps/u1/s1.jpg", jpeg.clone(), "image/jpeg").await.unwrap();
    assert_eq!(std::fs::read(dir.join("snaps/u1/s1.jpg")).unwrap(), jpeg.to_vec(), "a real file");
    assert_eq!(storage.get("snaps/u1/s1.jpg").await.unwrap(), Some(jpeg.clone()));
    assert_eq!(storage.get("snaps/u1/none.jpg").await.unwrap(), None);

    storage.delete("snaps/u1/s1.jpg").await.unwrap();
    assert_eq!(storage.get("snaps/u1/s1.jpg").await.unwrap(), None);
    storage.delete("snaps/u1/s1.jpg").await.unwrap(); // missing is fine

    let keys: Vec<String> = (0..25).map(|i| format!("snaps/u2/s{i}.jpg")).collect();
    for k in &keys {
        storage.put(k, Bytes::from(k.clone().into_bytes()), "image/jpeg").await.unwrap();
    }
    storage.put("snaps/u3/keep.jpg", jpeg.clone(), "image/jpeg").await.unwrap();
    let mut to_delete = keys.clone();
    to_delete.push("snaps/u2/never-existed.jpg".into());
    assert_eq!(storage.delete_many(&to_delete).await.unwrap(), 26);
    for k in &keys {
        assert_eq!(storage.get(k).await.unwrap(), None, "{k}");
    }
    assert_eq!(storage.get("snaps/u3/keep.jpg").await.unwrap(), Some(jpeg));
    assert_eq!(storage.delete_many::<&str>(&[]).await.unwrap(), 0);
}

#[tokio::test]
async fn keys_are_validated() {
    let (storage, _) = local_storage();
    for bad in ["", "../etc/passwd", "a//b", "a/./b", "a b", "a?b", "/abs", "snaps/ü.jpg"] {
        let e = storage.put(bad, Bytes::from_static(b"x"), "image/jpeg").await.unwrap_err();
        assert!(matches!(e, ObjectError::InvalidKey(_)), "{bad:?}: {e:?}");
        assert!(!storage.verify_local_url(bad, i64::MAX, "00", Utc::now()));
    }
    // Nothing is deleted when one key of a batch is invalid.
    storage.put("ok.jpg", Bytes::from_static(b"x"), "image/jpeg").await.unwrap();
    assert!(storage.delete_many(&["ok.jpg", "../x"]).await.is_err());
    assert!(storage.get("ok.jpg").await.unwrap().is_some());
}

#[tokio::test]
async fn local_urls_are_signed_and_expire() {
    let (storage, _) = local_storage();
    let key = "snaps/u1/s1.jpg";
    let before = Utc::now();
    let url = storage.url(key, Duration::from_secs(900)).await.unwrap();
    assert!(url.url.starts_with("/v1/snap-images/snaps/u1/s1.jpg?exp="), "{}", url.url);
    let (exp, sig) = exp_and_sig(&url.url);
    assert_eq!(exp, url.expires_at.timestamp());
    assert!((exp - before.timestamp() - 900).abs() <= 1);
    assert_eq!(sig.len(), 64, "hex SHA-256");

    let now = Utc::now();
    assert!(storage.verify_local_url(key, exp, &sig, now));
    assert!(storage.verify_local_url(key, exp, &sig, url.expires_at), "valid through its last second");
    // Expired.
    assert!(!storage.verify_local_url(key, exp, &sig, url.expires_at + chrono::Duration::seconds(1)));
    // Tampered signature, key or expiry.
    let mut flipped = sig.clone().into_bytes();
    flipped[10] = if flipped[10] == b'0' { b'1' } else { b'0' };
    assert!(!storage.verify_local_url(key, exp, std::str::from_utf8(&flipped).unwrap(), now));
    assert!(!storage.verify_local_url("snaps/u2/s1.jpg", exp, &sig, now));
    assert!(!storage.verify_local_url(key, exp + 3600, &sig, now));
    assert!(!storage.verify_local_url(key, exp, "not-hex", now));
    assert!(!storage.verify_local_url(key, exp, &sig[..62], now));

    // Another instance with another secret refuses it; one with the same secret accepts it.
    let other =
        ObjectStorage::from_config(&config(&[("SNAP_IMAGES_URL", "/tmp/jeevibe-objects-other")]).unwrap()).unwrap();
    assert!(!other.verify_local_url(key, exp, &sig, now));
    let (same, _) = local_storage();
    assert!(same.verify_local_url(key, exp, &sig, now));
}

/// The route the lead serves, written as a handler would be: verify, read, sniff the type.
async fn serve_image(
    State(storage): State<ObjectStorage>,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let exp = q.get("exp").and_then(|e| e.parse().ok()).unwrap_or(0);
    let sig = q.get("sig").cloned().unwrap_or_default();
    if !storage.verify_local_url(&key, exp, &sig, Utc::now()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match storage.get(&key).await {
        Ok(Some(bytes)) => {
            let mime = sniff(&bytes).map_or("application/octet-stream", |f| f.mime());
            ([(header::CONTENT_TYPE, mime)], bytes).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::test]
async fn local_url_is_served_by_the_app_route() {
    let (storage, _) = local_storage();
    let jpeg = photo();
    storage.put("snaps/u9/s9.jpg", jpeg.clone(), "image/jpeg").await.unwrap();
    let app = axum::Router::new().route(LOCAL_ROUTE, axum::routing::get(serve_image)).with_state(storage.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let url = storage.url("snaps/u9/s9.jpg", Duration::from_secs(60)).await.unwrap();
    let client = reqwest::Client::new();
    let res = client.get(format!("{base}{}", url.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.bytes().await.unwrap(), jpeg);

    let tampered = url.url.replace("s9.jpg", "s8.jpg");
    assert_eq!(client.get(format!("{base}{tampered}")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn s3_backend_against_moto() {
    let Some(moto) = shared::testing_servers::moto().await else { return };
    let http = reqwest::Client::new();
    // object_store cannot create buckets; moto accepts an unsigned CreateBucket.
    let created = http.put(format!("{}/snap-images", moto.endpoint)).send().await.unwrap();
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());

    let cfg = config(&[
        ("SNAP_IMAGES_URL", "s3://snap-images/env/test"),
        ("AWS_ENDPOINT_URL", &moto.endpoint),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ])
    .unwrap();
    let storage = ObjectStorage::from_config(&cfg).unwrap();
    assert!(!storage.is_local());
    let jpeg = photo();
    storage.put("snaps/u1/s1.jpg", jpeg.clone(), "image/jpeg").await.unwrap();
    assert_eq!(storage.get("snaps/u1/s1.jpg").await.unwrap(), Some(jpeg.clone()));
    assert_eq!(storage.get("snaps/u1/missing.jpg").await.unwrap(), None);

    // The object is private: an unsigned GET of its name (prefix included, path-style) is refused.
    let raw = http.get(format!("{}/snap-images/env/test/snaps/u1/s1.jpg", moto.endpoint)).send().await.unwrap();
    assert_eq!(raw.status(), 403);

    // A presigned GET works with a plain HTTP client and carries the stored content type.
    let url = storage.url("snaps/u1/s1.jpg", Duration::from_secs(600)).await.unwrap();
    assert!(url.url.starts_with(&format!("{}/snap-images/env/test/snaps/u1/s1.jpg?", moto.endpoint)), "{}", url.url);
    assert!(
        url.url.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256") && url.url.contains("X-Amz-Expires=600"),
        "{}",
        url.url
    );
    assert!((url.expires_at - Utc::now()).num_seconds() > 590);
    let res = http.get(&url.url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.bytes().await.unwrap(), jpeg);
    assert!(!storage.verify_local_url("snaps/u1/s1.jpg", i64::MAX, "00", Utc::now()));

    storage.delete("snaps/u1/s1.jpg").await.unwrap();
    assert_eq!(storage.get("snaps/u1/s1.jpg").await.unwrap(), None);
    storage.delete("snaps/u1/s1.jpg").await.unwrap(); // missing is fine

    let keys: Vec<String> = (0..30).map(|i| format!("snaps/u2/s{i}.jpg")).collect();
    for k in &keys {
        storage.put(k, Bytes::from(k.clone().into_bytes()), "image/jpeg").await.unwrap();
    }
    storage.put("snaps/u3/keep.jpg", jpeg.clone(), "image/jpeg").await.unwrap();
    let mut to_delete = keys.clone();
    to_delete.push("snaps/u2/never-existed.jpg".into());
    assert_eq!(storage.delete_many(&to_delete).await.unwrap(), 31);
    for k in &keys {
        assert_eq!(storage.get(k).await.unwrap(), None, "{k}");
    }
    assert_eq!(storage.get("snaps/u3/keep.jpg").await.unwrap(), Some(jpeg));
}

#[tokio::test]
async fn s3_errors_are_backend_errors() {
    let Some(moto) = shared::testing_servers::moto().await else { return };
    // No bucket created: the provider's NoSuchBucket answer surfaces as a Backend error.
    let cfg = config(&[
        ("SNAP_IMAGES_URL", "s3://no-such-bucket"),
        ("AWS_ENDPOINT_URL_S3", &moto.endpoint),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ])
    .unwrap();
    let storage = ObjectStorage::from_config(&cfg).unwrap();
    let e = storage.put("a.jpg", photo(), "image/jpeg").await.unwrap_err();
    assert!(matches!(e, ObjectError::Backend(_)), "{e:?}");
    let problem = shared::problem::Problem::from(e);
    assert_eq!(problem.details().code.as_str(), "store_unavailable");
}

/// What the Cloud Storage server below holds and saw.
#[derive(Default)]
struct GcsState {
    objects: std::sync::Mutex<HashMap<String, (Bytes, String, u64)>>,
    authorizations: std::sync::Mutex<Vec<String>>,
}

type Gcs = std::sync::Arc<GcsState>;

/// The XML API's error body (Cloud Storage docs, "XML API error responses").
fn gcs_error(status: StatusCode, code: &str, message: &str) -> axum::response::Response {
    let body =
        format!("<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>");
    (status, [(header::CONTENT_TYPE, "application/xml; charset=UTF-8")], body).into_response()
}

/// `PUT|GET|DELETE /{bucket}/{object}` of the Cloud Storage XML API, one bucket, with the
/// headers object_store reads (ETag, Last-Modified, Content-Length, x-goog-generation).
async fn gcs_object(
    State(gcs): State<Gcs>,
    method: axum::http::Method,
    headers: axum::http::HeaderMap,
    Path((bucket, object)): Path<(String, String)>,
    body: Bytes,
) -> axum::response::Response {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    gcs.authorizations.lock().unwrap().push(auth.clone());
    if !auth.starts_with("Bearer ") {
        return gcs_error(StatusCode::UNAUTHORIZED, "AuthenticationRequired", "Authentication required.");
    }
    if bucket != "snap-images" {
        return gcs_error(StatusCode::NOT_FOUND, "NoSuchBucket", "The specified bucket does not exist.");
    }
    let mut objects = gcs.objects.lock().unwrap();
    let no_such_key = || gcs_error(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.");
    match method {
        axum::http::Method::PUT => {
            let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let generation = objects.values().map(|o| o.2).max().unwrap_or(1_700_000_000_000_000) + 1;
            objects.insert(object, (body, content_type, generation));
            let etag = format!("\"{generation:x}\"");
            (
                StatusCode::OK,
                [(header::ETAG, etag), (header::HeaderName::from_static("x-goog-generation"), generation.to_string())],
            )
                .into_response()
        }
        axum::http::Method::GET => match objects.get(&object) {
            Some((bytes, content_type, generation)) => (
                StatusCode::OK,
                [
                    (header::ETAG, format!("\"{generation:x}\"")),
                    (header::LAST_MODIFIED, "Sun, 29 Nov 2026 10:00:00 GMT".to_owned()),
                    (header::CONTENT_TYPE, content_type.clone()),
                    (header::HeaderName::from_static("x-goog-generation"), generation.to_string()),
                ],
                bytes.clone(),
            )
                .into_response(),
            None => no_such_key(),
        },
        axum::http::Method::DELETE => match objects.remove(&object) {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => no_such_key(),
        },
        _ => gcs_error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "Method not allowed."),
    }
}

/// A service-account key JSON with a fresh RSA-2048 key: object_store signs its bearer JWTs and
/// V4 URLs with it locally (no token exchange, no IAM call).
fn service_account_key() -> String {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der: Pkcs8V1Der = key.as_der().unwrap();
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
    serde_json::json!({
        "type": "service_account",
        "private_key": pem,
        "private_key_id": "test-key-1",
        "client_email": "snap-images@jeevibe-test.iam.gserviceaccount.com",
    })
    .to_string()
}

#[tokio::test]
async fn gcs_backend_against_a_local_xml_api_server() {
    let gcs = Gcs::default();
    let app = axum::Router::new().route("/{bucket}/{*object}", axum::routing::any(gcs_object)).with_state(gcs.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let key = service_account_key();
    let cfg = config(&[
        ("SNAP_IMAGES_URL", "gs://snap-images/env"),
        ("GOOGLE_SERVICE_ACCOUNT_KEY", &key),
        ("GOOGLE_BASE_URL", &base),
    ])
    .unwrap();
    let storage = ObjectStorage::from_config(&cfg).unwrap();
    let jpeg = photo();
    storage.put("snaps/u1/s1.jpg", jpeg.clone(), "image/jpeg").await.unwrap();
    {
        let objects = gcs.objects.lock().unwrap();
        let (bytes, content_type, _) = &objects["env/snaps/u1/s1.jpg"];
        assert_eq!((bytes, content_type.as_str()), (&jpeg, "image/jpeg"), "prefixed name, stored type");
    }
    let auth = gcs.authorizations.lock().unwrap()[0].clone();
    let jwt_header = auth.strip_prefix("Bearer ").unwrap().split('.').next().unwrap().to_owned();
    let jwt_header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, jwt_header).unwrap(),
    )
    .unwrap();
    assert_eq!((jwt_header["alg"].as_str(), jwt_header["kid"].as_str()), (Some("RS256"), Some("test-key-1")));

    assert_eq!(storage.get("snaps/u1/s1.jpg").await.unwrap(), Some(jpeg.clone()));
    assert_eq!(storage.get("snaps/u1/missing.jpg").await.unwrap(), None);

    // V4 signed URL (Cloud Storage docs, "Signed URLs"), signed locally with the key.
    let url = storage.url("snaps/u1/s1.jpg", Duration::from_secs(600)).await.unwrap();
    assert!(url.url.starts_with(&format!("{base}/snap-images/env/snaps/u1/s1.jpg?")), "{}", url.url);
    for param in [
        "X-Goog-Algorithm=GOOG4-RSA-SHA256",
        "X-Goog-Credential=snap-images%40jeevibe-test.iam.gserviceaccount.com",
        "X-Goog-Expires=600",
        "X-Goog-SignedHeaders=host",
        "X-Goog-Signature=",
    ] {
        assert!(url.url.contains(param), "{param} in {}", url.url);
    }

    storage.delete("snaps/u1/s1.jpg").await.unwrap();
    assert_eq!(storage.get("snaps/u1/s1.jpg").await.unwrap(), None);
    storage.delete("snaps/u1/s1.jpg").await.unwrap(); // 404 NoSuchKey is fine
    let keys: Vec<String> = (0..12).map(|i| format!("snaps/u2/s{i}.jpg")).collect();
    for k in &keys {
        storage.put(k, Bytes::from(k.clone().into_bytes()), "image/jpeg").await.unwrap();
    }
    let mut to_delete = keys.clone();
    to_delete.push("snaps/u2/never-existed.jpg".into());
    assert_eq!(storage.delete_many(&to_delete).await.unwrap(), 13);
    assert!(gcs.objects.lock().unwrap().is_empty());

    // Provider errors surface as Backend errors (a bucket the server does not have).
    let other = config(&[
        ("SNAP_IMAGES_URL", "gs://other-bucket"),
        ("GOOGLE_SERVICE_ACCOUNT_KEY", &key),
        ("GOOGLE_BASE_URL", &base),
    ])
    .unwrap();
    let e = ObjectStorage::from_config(&other).unwrap().put("a.jpg", jpeg, "image/jpeg").await.unwrap_err();
    assert!(matches!(e, ObjectError::Backend(_)), "{e:?}");
}
