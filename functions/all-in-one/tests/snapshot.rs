//! The weekly snapshot through the whole product: a quiz generated and completed over HTTP
//! makes its user part of the week's run (the planner finds users by the `last_active_week`
//! that completion writes), and `jeevibe snapshot run` runs a week from the command line.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use shared::clock::Clock;
use shared::domain::Tier;
use shared::snapshot::{IsoWeek, RunDoc, RunState};
use shared::store::{DocPath, DocumentStore, Fields, Value as SV, Write};
use shared::testing::{TestApp, temp_dir};

#[tokio::test]
async fn a_completed_quiz_makes_its_user_part_of_the_weeks_run() {
    let app = TestApp::spawn(all_in_one::router()).await;
    let token = app.token("carol", Tier::Pro);
    let r = app.post("/v1/quizzes", &token, json!({})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.body["quiz_id"].as_str().unwrap().to_owned();
    let doc = app.doc_json("users/carol").await;
    let items = doc["open_quizzes"][&id]["items"].as_array().unwrap();
    let answers: Vec<Value> =
        items.iter().map(|i| json!({"question_id": i["question_id"], "answer": null, "seconds": 12})).collect();
    let done = app.post(&format!("/v1/quizzes/{id}/complete"), &token, json!({"answers": answers})).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let user = app.doc_json("users/carol").await;
    let week = IsoWeek::containing(app.clock.now());
    assert_eq!((user["uid"].as_str(), user["last_active_week"].as_str()), (Some("carol"), Some(week.label().as_str())));

    shared::snapshot::trigger(app.store.as_ref(), app.state.jobs.as_ref(), week, app.clock.now()).await.unwrap();
    let mut run = None;
    for _ in 0..500 {
        let r = RunDoc::read(app.store.as_ref(), &week.label()).await.unwrap().unwrap();
        if r.state == RunState::Complete {
            run = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let run = run.expect("run completes");
    assert_eq!((run.users_planned, run.users_processed), (1, 1));
    let snap = app.get(&format!("/v1/me/snapshots/{}", week.label()), &token).await;
    assert_eq!(snap.status, 200, "{:?}", snap.body);
    assert_eq!(snap.body["quizzes"], 1);
    assert_eq!(snap.body["skipped"].as_u64(), Some(items.len() as u64), "every answer was a skip");
    assert_eq!(snap.body["seconds"].as_u64(), Some(12 * items.len() as u64));
}

#[tokio::test]
async fn offline_practice_appears_in_the_weeks_snapshot() {
    let app = TestApp::spawn(all_in_one::router()).await;
    let token = app.token("omar", Tier::Pro);
    let pack = app.get("/v1/offline-packs?size=4", &token).await;
    assert_eq!(pack.status, 200, "{:?}", pack.body);
    let id = pack.body["pack_id"].as_str().unwrap();
    let answered_at = app.clock.now().to_rfc3339();
    let results: Vec<Value> = pack.body["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| json!({"question_id": q["id"], "answer": null, "seconds": 15, "answered_at": answered_at}))
        .collect();
    let synced = app.post(&format!("/v1/offline-packs/{id}/results"), &token, json!({"results": results})).await;
    assert_eq!((synced.status.as_u16(), synced.body["applied_now"].clone()), (200, json!(4)));
    let week = IsoWeek::containing(app.clock.now());
    assert_eq!(app.doc_json("users/omar").await["last_active_week"], week.label());
    shared::snapshot::trigger(app.store.as_ref(), app.state.jobs.as_ref(), week, app.clock.now()).await.unwrap();
    for _ in 0..500 {
        let r = RunDoc::read(app.store.as_ref(), &week.label()).await.unwrap().unwrap();
        if r.state == RunState::Complete {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let snap = app.get(&format!("/v1/me/snapshots/{}", week.label()), &token).await;
    assert_eq!(snap.status, 200, "{:?}", snap.body);
    assert_eq!((snap.body["quizzes"].clone(), snap.body["skipped"].clone()), (json!(1), json!(4)));
    assert_eq!(snap.body["seconds"], 60);
}

#[tokio::test]
async fn snapshot_run_command_waits_and_prints_the_run() {
    let dir = temp_dir();
    let db = dir.join("jeevibe.db");
    {
        let store = shared::store::sqlite::SqliteStore::open(&db).unwrap();
        shared::startup::import_file(&store, &shared::testing::sample_bank_path()).await.unwrap();
        let writes = (0..3)
            .map(|i| {
                let uid = format!("cli-user-{i}");
                Write::set(
                    DocPath::parse(&format!("users/{uid}")).unwrap(),
                    Fields::from([
                        ("uid".to_owned(), SV::string(uid)),
                        ("last_active_week".to_owned(), SV::string("2026-W48")),
                    ]),
                )
            })
            .collect();
        store.commit(writes).await.unwrap();
    }
    let run = |week: &str| {
        Command::new(env!("CARGO_BIN_EXE_jeevibe"))
            .args(["snapshot", "run", "--week", week])
            .env("JEEVIBE_SQLITE_PATH", &db)
            .env("JEEVIBE_DEV_KEYS_DIR", dir.join("keys"))
            .output()
            .unwrap()
    };
    let out = run("2026-W48");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["state"], "complete", "{doc}");
    assert_eq!((doc["batches_done"].as_i64(), doc["users_processed"].as_i64()), (Some(1), Some(3)));
    assert!(doc["finished_at"].is_string());
    let again: Value = serde_json::from_slice(&run("2026-W48").stdout).unwrap();
    assert_eq!(again, doc, "a complete week is not run again");
    let bad = run("2026-48");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not an ISO week"));
}
