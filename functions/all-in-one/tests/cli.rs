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
