//! The operator commands of the `jeevibe` binary, run as a user runs them.

use std::process::{Command, Output};

use shared::testing::temp_dir;

const BIN: &str = env!("CARGO_BIN_EXE_jeevibe");

fn jeevibe(args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(BIN).args(args).envs(envs.iter().copied()).env_remove("RUST_BACKTRACE").output().expect("run jeevibe")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn check_reports_every_invalid_line_with_its_number() {
    let dir = temp_dir();
    let good = std::fs::read_to_string(shared::testing::sample_bank_path()).unwrap();
    let mut lines: Vec<String> = good.lines().take(3).map(str::to_owned).collect();
    let mut bad: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    bad["id"] = "bio-cel-001".into();
    bad["subject"] = "biology".into();
    lines.push(bad.to_string());
    lines.push("{not json".to_owned());
    let file = dir.join("bad.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = jeevibe(&["import", "--check", file.to_str().unwrap()], &[]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("2 invalid line(s)"), "{t}");
    assert!(t.contains("line 4 (bio-cel-001): subject: \"biology\" is not physics"), "{t}");
    assert!(t.contains("line 5: not a question record"), "{t}");
    assert!(!t.contains("Stack backtrace"), "errors print without a backtrace: {t}");
    let ok = jeevibe(&["import", "--check", shared::testing::sample_bank_path().to_str().unwrap()], &[]);
    assert!(ok.status.success());
    assert!(text(&ok).contains("90 valid questions"));
}

#[test]
fn import_loads_a_generated_bank_and_refuses_an_empty_one() {
    let dir = temp_dir();
    let bank = dir.join("bank.jsonl");
    let gen_bank = jeevibe(&["gen-bank", "--count", "1200", "--seed", "7", "--out", bank.to_str().unwrap()], &[]);
    assert!(gen_bank.status.success(), "{}", text(&gen_bank));
    assert_eq!(std::fs::read_to_string(&bank).unwrap().lines().count(), 1200);
    let db = dir.join("jeevibe.db");
    let env = [("JEEVIBE_SQLITE_PATH", db.to_str().unwrap())];
    let out = jeevibe(&["import", bank.to_str().unwrap()], &env);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("imported 1200 questions"));
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let out = jeevibe(&["import", empty.to_str().unwrap()], &env);
    assert!(!out.status.success());
    assert!(text(&out).contains("refusing to replace the bank with an empty one"), "{}", text(&out));
    assert!(!jeevibe(&["import", "--check", empty.to_str().unwrap()], &[]).status.success());
}

#[test]
fn mint_token_validates_its_arguments() {
    let dir = temp_dir();
    let keys = dir.join("keys");
    let k = keys.to_str().unwrap();
    let out = jeevibe(&["mint-token", "--uid", "alice", "--tier", "pro", "--keys-dir", k], &[]);
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap();
    assert_eq!(token.trim().split('.').count(), 3);
    assert!(keys.join("jwks.json").exists() && keys.join("private.pem").exists());
    let bad_tier = jeevibe(&["mint-token", "--uid", "alice", "--tier", "gold", "--keys-dir", k], &[]);
    assert!(!bad_tier.status.success());
    assert!(text(&bad_tier).contains("tier \"gold\" is not free, pro or ultra"));
    let bad_uid = jeevibe(&["mint-token", "--uid", "a/b", "--keys-dir", k], &[]);
    assert!(!bad_uid.status.success());
    let expired = jeevibe(&["mint-token", "--uid", "alice", "--ttl", "-100", "--keys-dir", k], &[]);
    assert!(expired.status.success(), "{}", text(&expired));
}

#[test]
fn serve_refuses_to_start_with_bad_configuration() {
    let out = jeevibe(&["serve"], &[("PORT", "eighty"), ("LOG_FORMAT", "xml")]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("PORT=\"eighty\"") && t.contains("LOG_FORMAT=\"xml\""), "{t}");
    let out = jeevibe(&["serve"], &[("AUTH_KEYS_FILE", "/nonexistent/jwks.json"), ("PORT", "0")]);
    assert!(!out.status.success());
    assert!(text(&out).contains("AUTH_KEYS_FILE /nonexistent/jwks.json"), "{}", text(&out));
}

#[tokio::test]
async fn sweep_deletes_expired_history_and_reports_it() {
    use shared::records::snap::{SnapDoc, SnapImage, SnapStatus};
    use shared::store::{DocumentStore, Timestamp, Write, to_fields};
    let dir = temp_dir();
    let db = dir.join("jeevibe.db");
    let images = dir.join("images");
    let store = shared::store::sqlite::SqliteStore::open(&db).unwrap();
    let objects = shared::objects::ObjectStorage::from_config(&shared::objects::ObjectsConfig::local(&images)).unwrap();
    let uid = shared::domain::UserId::parse("sweeper").unwrap();
    let now = chrono::Utc::now();
    let mut writes = Vec::new();
    for (i, age_days) in [10i64, 1].iter().enumerate() {
        let id = shared::domain::SnapId::generate(&uid);
        let key = shared::snap::image_key(&id, "image/jpeg");
        objects.put(&key, vec![0xff, 0xd8, 0xff, i as u8].into(), "image/jpeg").await.unwrap();
        let created = now - chrono::Duration::days(*age_days);
        let snap = SnapDoc {
            uid: uid.to_string(),
            status: SnapStatus::Solved,
            created_at: Timestamp(created),
            updated_at: Timestamp(created),
            expires_at: shared::snap::reserve::expiry(shared::domain::Tier::Free, created),
            quota_day: shared::domain::IstDay::of(created),
            request_hash: "h".into(),
            idempotency_key: None,
            image: SnapImage { key, mime_type: "image/jpeg".into(), bytes: 4, width: 1, height: 1 },
            attempts: 1,
            solution: None,
            similar: vec![],
            usage: None,
            failure: None,
        };
        writes.push(Write::set(SnapDoc::path(&id).unwrap(), to_fields(&snap).unwrap()));
    }
    store.commit(writes).await.unwrap();
    drop(store);
    let url = format!("file://{}", images.display());
    let out = jeevibe(&["sweep"], &[("JEEVIBE_SQLITE_PATH", db.to_str().unwrap()), ("SNAP_IMAGES_URL", &url)]);
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["snaps"]["snaps_deleted"], 1, "{report}");
    assert_eq!(report["snaps"]["images_deleted"], 1);
    assert_eq!(report["tutor"]["conversations_deleted"], 0);
    let left: Vec<_> = walk(&images);
    assert_eq!(left.len(), 1, "{left:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `GET /healthz` on 127.0.0.1:`port` until it answers 200, for up to `seconds`.
fn wait_healthy(port: u16, seconds: u64) -> bool {
    use std::io::{Read, Write};
    let end = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < end {
        if let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let mut reply = String::new();
            let _ = conn.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.1 200") {
                return true;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

#[test]
fn seed_child_imports_only_into_an_empty_store_and_reports_as_json() {
    let dir = temp_dir();
    let db = dir.join("jeevibe.db");
    let bank = shared::testing::sample_bank_path();
    let env = [
        ("JEEVIBE_SQLITE_PATH", db.to_str().unwrap()),
        ("JEEVIBE_SEED_FILE", bank.to_str().unwrap()),
        (shared::startup::SEED_CHILD_ENV, "1"),
    ];
    let first = jeevibe(&["serve"], &env);
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(String::from_utf8_lossy(&first.stdout).trim(), r#"{"seeded":90}"#);
    let again = jeevibe(&["serve"], &env);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), r#"{"seeded":null}"#);
}

#[tokio::test]
async fn serve_seeds_the_bank_through_a_child_process_and_stops_on_its_errors() {
    let dir = temp_dir();
    let db = dir.join("jeevibe.db");
    let keys = dir.join("keys");
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{not json\n").unwrap();
    let port = free_port().to_string();
    let env = |seed: &str| {
        [
            ("JEEVIBE_SQLITE_PATH", db.to_str().unwrap().to_owned()),
            ("JEEVIBE_DEV_KEYS_DIR", keys.to_str().unwrap().to_owned()),
            ("JEEVIBE_LISTEN_IP", "127.0.0.1".to_owned()),
            ("PORT", port.clone()),
            ("JEEVIBE_SEED_FILE", seed.to_owned()),
        ]
    };
    let failed = Command::new(BIN).arg("serve").envs(env(bad.to_str().unwrap())).output().unwrap();
    assert!(!failed.status.success());
    let t = text(&failed);
    assert!(t.contains("seeding the question bank failed") && t.contains("line 1: not a question record"), "{t}");

    let mut server = Command::new(BIN)
        .arg("serve")
        .envs(env(shared::testing::sample_bank_path().to_str().unwrap()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let healthy = wait_healthy(port.parse().unwrap(), 60);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(healthy, "jeevibe serve did not answer on 127.0.0.1:{port}");
    let store = shared::store::sqlite::SqliteStore::open(&db).unwrap();
    let meta = shared::bank::storage::read_meta(&store).await.unwrap().expect("the bank was seeded");
    assert_eq!(meta.count, 90);
}
