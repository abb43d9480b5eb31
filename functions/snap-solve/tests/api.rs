//! Black-box tests of snap-solve: a real instance on loopback, a real SQLite store, images in a
//! real directory, and the real Gemini client talking to a local server that speaks Gemini's
//! wire format (shared::testing_gemini).

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use shared::config::Config;
use shared::domain::Tier;
use shared::testing::{TestApp, TestResponse, temp_dir};
use shared::testing_gemini::{FakeGemini, Reply};

struct Snaps {
    app: TestApp,
    gemini: FakeGemini,
    images: std::path::PathBuf,
}

async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Snaps {
    let gemini = FakeGemini::start().await;
    let images = temp_dir();
    let base = gemini.base_url();
    let dir = images.clone();
    let app = TestApp::spawn_with(snap_solve::router(), move |c| {
        c.gemini.api_key = Some("test-key".into());
        c.gemini.base_url = base;
        c.gemini.deadline = Duration::from_secs(3);
        c.objects = shared::objects::ObjectsConfig::local(&dir);
        tweak(c);
    })
    .await;
    Snaps { app, gemini, images }
}

async fn spawn() -> Snaps {
    spawn_with(|_| {}).await
}

/// A real JPEG of `w` × `h` pixels (a gradient, so it compresses like a photo).
fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, _| image::Rgba([(x % 256) as u8, 10, 10, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img).write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A PNG signature and an IHDR chunk claiming `w` × `h`, with no image data.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut chunk = Vec::new();
    chunk.extend_from_slice(b"IHDR");
    chunk.extend_from_slice(&ihdr);
    let crc = crc32(&chunk);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Snaps {
    async fn post_json(&self, token: &str, image: &[u8], key: Option<&str>) -> TestResponse {
        let mut req = self
            .app
            .client
            .post(format!("{}/v1/snaps", self.app.base))
            .bearer_auth(token)
            .json(&json!({"image_base64": b64(image), "mime_type": "image/jpeg"}));
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        TestApp::read(req.send().await.unwrap()).await
    }

    async fn post_form(&self, token: &str, image: Vec<u8>, declared: &str) -> TestResponse {
        let part = reqwest::multipart::Part::bytes(image).file_name("photo.jpg").mime_str(declared).unwrap();
        let form = reqwest::multipart::Form::new().part("image", part);
        let req = self.app.client.post(format!("{}/v1/snaps", self.app.base)).bearer_auth(token).multipart(form);
        TestApp::read(req.send().await.unwrap()).await
    }

    async fn snaps_used(&self, uid: &str) -> i64 {
        let user = self.app.doc_json(&format!("users/{uid}")).await;
        user["usage"]["2026-11-28"]["snaps"].as_i64().unwrap_or(0)
    }
}

#[tokio::test]
async fn solves_a_photo_sent_as_json_and_as_multipart() {
    let s = spawn().await;
    let t = s.app.token("alice", Tier::Free);
    let res = s.post_json(&t, &jpeg(4000, 3000), None).await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    assert_eq!(res.body["status"], "solved");
    assert_eq!(res.body["solution"]["subject"], "physics");
    assert_eq!(res.body["solution"]["topic_key"], "physics/kinematics/projectile-motion");
    assert!(!res.body["solution"]["steps"].as_array().unwrap().is_empty());
    assert_eq!(res.body["image"]["width"], 1600, "downscaled to a 1600 px long side");
    assert_eq!(res.body["image"]["height"], 1200);
    // Similar questions come from the bank's projectile-motion topic, without answers.
    let similar = res.body["similar_questions"].as_array().unwrap();
    assert!(!similar.is_empty() && similar.len() <= 3);
    for q in similar {
        assert_eq!(q["topic"], "Projectile motion");
        assert!(q.get("answer").is_none() && q.get("solution").is_none());
    }
    assert_eq!(res.header("ratelimit"), Some("\"snaps\";r=2;t=43200"));
    assert!(res.body["model"]["input_tokens"].as_u64().unwrap() > 0);

    // What reached the provider: the model path, the key header, the re-encoded JPEG inline,
    // JSON output with our schema.
    let sent = s.gemini.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(sent[0].headers["x-goog-api-key"], "test-key");
    let parts = sent[0].body["contents"][0]["parts"].as_array().unwrap();
    let inline = parts.iter().find_map(|p| p.get("inlineData")).expect("inline image");
    assert_eq!(inline["mimeType"], "image/jpeg");
    assert_eq!(sent[0].body["generationConfig"]["responseMimeType"], "application/json");
    assert!(sent[0].body["generationConfig"]["responseSchema"].is_object());

    // A PNG declared as image/jpg in a form is judged by its bytes and solved.
    let res = s.post_form(&t, png(800, 600), "image/jpg").await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    // An iPhone-style generic declared type works too.
    let res = s.post_form(&t, jpeg(640, 480), "application/octet-stream").await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    assert_eq!(s.snaps_used("alice").await, 3);
    assert_eq!(s.gemini.count(), 3);
}

#[tokio::test]
async fn bad_images_are_refused_before_any_model_call_or_charge() {
    let s = spawn().await;
    let t = s.app.token("bob", Tier::Free);
    let mut truncated = jpeg(800, 600);
    truncated.truncate(truncated.len() / 3);
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (truncated, 422, "image_unreadable"),
        (png_header(50_000, 50_000), 422, "image_dimensions"),
        (b"The question is: what is 2 + 2?\n".to_vec(), 415, "unsupported_image"),
        (Vec::new(), 415, "unsupported_image"),
    ];
    for (bytes, status, code) in cases {
        let res = s.post_json(&t, &bytes, None).await;
        assert_eq!((res.status.as_u16(), res.code()), (status, code), "{:?}", res.body);
        let res = s.post_form(&t, bytes, "image/jpeg").await;
        assert_eq!((res.status.as_u16(), res.code()), (status, code), "{:?}", res.body);
    }
    // Not an image upload at all.
    let res = s
        .app
        .client
        .post(format!("{}/v1/snaps", s.app.base))
        .bearer_auth(&t)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(TestApp::read(res).await.code(), "unsupported_media_type");
    // Over the size cap: the same 413 problem for JSON and multipart.
    let huge = vec![0xffu8; shared::http::MAX_IMAGE_BYTES + 10];
    let a = s.post_json(&t, &huge, None).await;
    let b = s.post_form(&t, huge, "image/jpeg").await;
    assert_eq!((a.status.as_u16(), a.code()), (413, "payload_too_large"), "{:?}", a.body);
    assert_eq!((b.status.as_u16(), b.code()), (413, "payload_too_large"), "{:?}", b.body);
    assert_eq!(s.gemini.count(), 0);
    assert_eq!(s.snaps_used("bob").await, 0);
}

#[tokio::test]
async fn provider_outcomes_map_to_stable_codes_and_failures_are_not_charged() {
    let s = spawn().await;
    let t = s.app.token("carol", Tier::Pro);
    let img = jpeg(400, 300);
    let cases = vec![
        (vec![Reply::prompt_blocked("SAFETY")], 422, "ai_blocked", 1),
        (vec![Reply::candidate_blocked("SAFETY")], 422, "ai_blocked", 1),
        (vec![Reply::candidate_blocked("PROHIBITED_CONTENT")], 422, "ai_blocked", 1),
        (vec![Reply::max_tokens()], 502, "ai_truncated", 1),
        (vec![Reply::error(400, "Unable to process input image.", vec![])], 422, "ai_input_rejected", 1),
        (vec![Reply::malformed(), Reply::malformed()], 502, "ai_bad_output", 2),
        (vec![Reply::malformed(), Reply::valid_solution()], 201, "", 2),
        (vec![Reply::rate_limited("0.2s"), Reply::valid_solution()], 201, "", 2),
        (vec![Reply::unavailable(), Reply::valid_solution()], 201, "", 2),
    ];
    let mut charged = 0;
    for (replies, status, code, calls) in cases {
        let before = s.gemini.count();
        for r in replies {
            s.gemini.push(r);
        }
        let res = s.post_json(&t, &img, None).await;
        assert_eq!((res.status.as_u16(), res.code()), (status, code), "{:?}", res.body);
        assert_eq!(s.gemini.count() - before, calls, "calls for {code:?}");
        if status == 201 {
            charged += 1;
        } else {
            assert!(res.header("content-type").unwrap().starts_with("application/problem+json"));
        }
        assert_eq!(s.snaps_used("carol").await, charged, "only solved snaps are charged");
    }
    // A failed snap is kept in history as failed, with its code.
    let list = s.app.get("/v1/snaps?limit=100", &t).await;
    let failed = list.body["items"].as_array().unwrap().iter().filter(|i| i["status"] == "failed").count();
    assert_eq!(failed, 6);
}

#[tokio::test]
async fn a_slow_model_times_out_and_is_not_charged() {
    let s = spawn_with(|c| c.gemini.deadline = Duration::from_secs(1)).await;
    let t = s.app.token("dave", Tier::Free);
    s.gemini.set_default(Reply::valid_solution().delayed(3_000));
    let res = s.post_json(&t, &jpeg(300, 200), None).await;
    assert_eq!((res.status.as_u16(), res.code()), (504, "ai_timeout"), "{:?}", res.body);
    assert_eq!(s.snaps_used("dave").await, 0);
}

#[tokio::test]
async fn without_an_api_key_snaps_are_503_and_the_rest_works() {
    let s = spawn_with(|c| c.gemini.api_key = None).await;
    let t = s.app.token("erin", Tier::Free);
    let res = s.post_json(&t, &jpeg(300, 200), None).await;
    assert_eq!((res.status.as_u16(), res.code()), (503, "ai_unavailable"), "{:?}", res.body);
    assert!(res.body["detail"].as_str().unwrap().contains("GEMINI_API_KEY"));
    assert_eq!(s.app.get("/v1/snaps", &t).await.status, 200);
    assert_eq!(s.app.send(Method::GET, "/healthz", None, None).await.status, 200);
    assert_eq!(s.gemini.count(), 0);
}

#[tokio::test]
async fn daily_quota_is_exact_under_20_concurrent_requests_per_tier() {
    let s = spawn().await;
    s.gemini.set_default(Reply::valid_solution().delayed(50));
    let img = jpeg(320, 240);
    for (tier, uid, expect_ok) in [(Tier::Free, "q-free", 3), (Tier::Pro, "q-pro", 15), (Tier::Ultra, "q-ultra", 20)] {
        let t = s.app.token(uid, tier);
        let before = s.gemini.count();
        let results = futures::future::join_all((0..20).map(|_| s.post_json(&t, &img, None))).await;
        let ok = results.iter().filter(|r| r.status == 201).count();
        let limited = results.iter().filter(|r| r.status == 429).count();
        assert_eq!((ok, limited), (expect_ok, 20 - expect_ok), "{tier:?}");
        assert_eq!(s.gemini.count() - before, expect_ok, "exactly the allowed solves reach the model");
        assert_eq!(s.snaps_used(uid).await, expect_ok as i64);
        if let Some(r) = results.iter().find(|r| r.status == 429) {
            assert_eq!(r.code(), "quota_exceeded");
            assert_eq!(r.header("retry-after"), Some("43200"));
            assert_eq!(r.body["remaining"], 0);
        }
    }
}

#[tokio::test]
async fn idempotency_key_replays_conflicts_and_mismatches() {
    let s = spawn().await;
    let t = s.app.token("frank", Tier::Free);
    let img = jpeg(500, 400);
    let first = s.post_json(&t, &img, Some("photo-1")).await;
    assert_eq!(first.status, 201);
    let again = s.post_json(&t, &img, Some("photo-1")).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["snap_id"], first.body["snap_id"]);
    assert_eq!(again.body["solution"], first.body["solution"]);
    assert_eq!(s.gemini.count(), 1, "no second model call");
    assert_eq!(s.snaps_used("frank").await, 1, "no second charge");
    let other = s.post_json(&t, &jpeg(501, 400), Some("photo-1")).await;
    assert_eq!((other.status.as_u16(), other.code()), (422, "idempotency_key_reused"));
    let bad = s.post_json(&t, &img, Some("")).await;
    assert_eq!((bad.status.as_u16(), bad.code()), (400, "invalid_idempotency_key"));

    // Concurrent duplicates: one is solved, the others see it in progress (409) or, once it
    // is done, replay it; the model is called once and the quota charged once.
    s.gemini.set_default(Reply::valid_solution().delayed(400));
    let results = futures::future::join_all((0..4).map(|_| s.post_json(&t, &img, Some("photo-2")))).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    let in_progress = results.iter().filter(|r| r.status == 409).count();
    assert_eq!(created, 1, "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(created + in_progress + results.iter().filter(|r| r.status == 200).count(), 4);
    assert!(in_progress >= 1);
    assert!(results.iter().filter(|r| r.status == 409).all(|r| r.code() == "idempotency_in_progress"));
    assert_eq!(s.gemini.count(), 2);
    assert_eq!(s.snaps_used("frank").await, 2);
    // A failed attempt is not charged and the same key may try again.
    s.gemini.set_default(Reply::valid_solution());
    s.gemini.push(Reply::max_tokens());
    let failed = s.post_json(&t, &img, Some("photo-3")).await;
    assert_eq!(failed.code(), "ai_truncated");
    assert_eq!(s.snaps_used("frank").await, 2);
    let retried = s.post_json(&t, &img, Some("photo-3")).await;
    assert_eq!(retried.status, 201, "{:?}", retried.body);
    assert_eq!(
        retried.body["snap_id"],
        failed.body["snap_id"].as_str().map_or(retried.body["snap_id"].clone(), Value::from)
    );
    assert_eq!(s.snaps_used("frank").await, 3);
}

#[tokio::test]
async fn slow_solves_answer_202_and_a_queued_job_finishes_them() {
    let s = spawn_with(|c| c.snap_sync_wait = Duration::from_millis(300)).await;
    let t = s.app.token("gina", Tier::Free);
    s.gemini.push(Reply::valid_solution().delayed(1_500));
    let res = s.post_json(&t, &jpeg(400, 300), None).await;
    assert_eq!(res.status, 202, "{:?}", res.body);
    let location = res.header("location").unwrap().to_owned();
    assert!(location.starts_with("/v1/snaps/sn_"));
    assert_eq!(res.body["status"], "pending");
    let mut last = Value::Null;
    for _ in 0..100 {
        let r = s.app.get(&location, &t).await;
        assert_eq!(r.status, 200);
        last = r.body;
        if last["status"] != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["status"], "solved", "{last}");
    assert_eq!(s.snaps_used("gina").await, 1, "charged once");
}

#[tokio::test]
async fn history_pages_newest_first_and_hides_other_users_snaps() {
    let s = spawn().await;
    let t = s.app.token("hana", Tier::Ultra);
    let mut ids = Vec::new();
    for i in 0..5 {
        s.app.clock.set(shared::testing::default_now() + chrono::Duration::seconds(i));
        let r = s.post_json(&t, &jpeg(200 + i as u32, 200), None).await;
        assert_eq!(r.status, 201);
        ids.push(r.body["snap_id"].as_str().unwrap().to_owned());
    }
    let p1 = s.app.get("/v1/snaps?limit=2", &t).await;
    let got: Vec<&str> = p1.body["items"].as_array().unwrap().iter().map(|i| i["snap_id"].as_str().unwrap()).collect();
    assert_eq!(got, vec![ids[4].as_str(), ids[3].as_str()]);
    let cursor = p1.body["next_cursor"].as_str().unwrap();
    let p2 = s.app.get(&format!("/v1/snaps?limit=2&cursor={cursor}"), &t).await;
    let got: Vec<&str> = p2.body["items"].as_array().unwrap().iter().map(|i| i["snap_id"].as_str().unwrap()).collect();
    assert_eq!(got, vec![ids[2].as_str(), ids[1].as_str()]);
    assert_eq!(s.app.get("/v1/snaps?limit=0", &t).await.code(), "invalid_request");
    assert_eq!(s.app.get("/v1/snaps?cursor=zzz", &t).await.code(), "invalid_request");

    // The image URL serves the stored JPEG; a tampered one does not.
    let one = s.app.get(&format!("/v1/snaps/{}", ids[0]), &t).await;
    let url = one.body["image"]["url"].as_str().unwrap().to_owned();
    let img = s.app.client.get(format!("{}{url}", s.app.base)).send().await.unwrap();
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/jpeg");
    assert_eq!(&img.bytes().await.unwrap()[..3], &[0xff, 0xd8, 0xff]);
    let tampered = url.replace("sig=", "sig=00");
    assert_eq!(s.app.client.get(format!("{}{tampered}", s.app.base)).send().await.unwrap().status(), 404);

    // Another user sees none of it: 404 on every route.
    let other = s.app.token("ivan", Tier::Ultra);
    for id in &ids {
        assert_eq!(s.app.get(&format!("/v1/snaps/{id}"), &other).await.code(), "snap_not_found");
        let del = s.app.send(Method::DELETE, &format!("/v1/snaps/{id}"), Some(&other), None).await;
        assert_eq!(del.code(), "snap_not_found");
    }
    assert!(s.app.get("/v1/snaps", &other).await.body["items"].as_array().unwrap().is_empty());
    assert_eq!(s.app.get("/v1/snaps/not-a-snap", &t).await.code(), "snap_not_found");

    // Delete removes the document and the image.
    let del = s.app.send(Method::DELETE, &format!("/v1/snaps/{}", ids[0]), Some(&t), None).await;
    assert_eq!(del.status, 204);
    assert_eq!(s.app.get(&format!("/v1/snaps/{}", ids[0]), &t).await.status, 404);
    assert_eq!(s.app.client.get(format!("{}{url}", s.app.base)).send().await.unwrap().status(), 404);
    let files = walk(&s.images);
    assert_eq!(files.len(), 4, "{files:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn retention_per_tier_and_the_sweep() {
    let s = spawn().await;
    let start = shared::testing::default_now();
    let mut ids = std::collections::HashMap::new();
    for (tier, uid) in [(Tier::Free, "r-free"), (Tier::Pro, "r-pro"), (Tier::Ultra, "r-ultra")] {
        let t = s.app.token(uid, tier);
        let r = s.post_json(&t, &jpeg(300, 300), None).await;
        assert_eq!(r.status, 201);
        ids.insert(uid, (t, r.body["snap_id"].as_str().unwrap().to_owned()));
    }
    let visible = |uid: &'static str, days: i64| {
        let id = ids[uid].1.clone();
        let app = &s.app;
        async move {
            app.clock.set(start + chrono::Duration::days(days));
            let t = user_token(app, uid);
            let one = app.get(&format!("/v1/snaps/{id}"), &t).await.status == 200;
            let listed = !app.get("/v1/snaps", &t).await.body["items"].as_array().unwrap().is_empty();
            assert_eq!(one, listed, "{uid} at {days} days");
            one
        }
    };
    assert!(visible("r-free", 6).await);
    assert!(!visible("r-free", 8).await);
    assert!(visible("r-pro", 29).await);
    assert!(!visible("r-pro", 31).await);
    assert!(visible("r-ultra", 400).await);

    // The sweep deletes what has expired (documents and images), nothing else.
    let objects =
        shared::objects::ObjectStorage::from_config(&shared::objects::ObjectsConfig::local(&s.images)).unwrap();
    let report = shared::snap::sweep::sweep(s.app.store.as_ref(), &objects, start + chrono::Duration::days(8), 100)
        .await
        .unwrap();
    assert_eq!((report.snaps_deleted, report.images_deleted), (1, 1));
    assert_eq!(walk(&s.images).len(), 2);
    let report = shared::snap::sweep::sweep(s.app.store.as_ref(), &objects, start + chrono::Duration::days(31), 100)
        .await
        .unwrap();
    assert_eq!(report.snaps_deleted, 1);
    assert_eq!(walk(&s.images).len(), 1);
    assert!(s.app.doc_json(&format!("snaps/{}", ids["r-ultra"].1)).await.is_object());
    assert!(s.app.doc_json(&format!("snaps/{}", ids["r-free"].1)).await.is_null());
}

fn user_token(app: &TestApp, uid: &str) -> String {
    app.keys.mint(shared::testing::TEST_PROJECT, uid, Tier::Ultra, app.clock.now_secs(), 3600).unwrap()
}

#[tokio::test]
async fn chunked_oversize_uploads_are_413_and_duplicate_keys_400() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = spawn().await;
    let t = s.app.token("olga", Tier::Free);
    // A multipart body of 15 MiB sent chunked (no Content-Length to refuse up front).
    let addr = s.app.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/snaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nContent-Type: multipart/form-data; boundary=XX\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let part_head = b"--XX\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n";
    let chunk = |data: &[u8]| [format!("{:x}\r\n", data.len()).into_bytes(), data.to_vec(), b"\r\n".to_vec()].concat();
    conn.write_all(&chunk(part_head)).await.unwrap();
    let block = vec![0xffu8; 1024 * 1024];
    for _ in 0..15 {
        if conn.write_all(&chunk(&block)).await.is_err() {
            break; // the server answered and closed: fine
        }
    }
    let _ = conn.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{}", &text[..text.len().min(300)]);
    assert!(text.contains("payload_too_large"));

    // Two Idempotency-Key headers are ambiguous.
    let res = s
        .app
        .client
        .post(format!("{}/v1/snaps", s.app.base))
        .bearer_auth(&t)
        .header("Idempotency-Key", "k1")
        .header("Idempotency-Key", "k2")
        .json(&json!({"image_base64": b64(&jpeg(100, 100))}))
        .send()
        .await
        .unwrap();
    let res = TestApp::read(res).await;
    assert_eq!((res.status.as_u16(), res.code()), (400, "invalid_idempotency_key"));
    assert_eq!(s.gemini.count(), 0);
}
