//! The `jeevibe` binary on Lambda answers the daily sweep event from EventBridge Scheduler
//! (`{"task": "sweep"}`, as template.yaml sends it) and still routes HTTP events.

use std::process::{Command, Stdio};

use serde_json::{Value, json};
use shared::testing::InstanceFiles;
use shared::testing_lambda::FakeLambdaRuntime;

const BIN: &str = env!("CARGO_BIN_EXE_jeevibe");

#[tokio::test]
async fn the_scheduled_sweep_runs_on_lambda() {
    let files = InstanceFiles::create().await;
    let runtime = FakeLambdaRuntime::start().await;
    let mut env = files.env();
    env.extend(runtime.env("jeevibe"));
    env.push(("SNAP_IMAGES_URL", files.dir.join("images").display().to_string()));
    let mut child = Command::new(BIN)
        .envs(env)
        .current_dir(&files.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let report = runtime.invoke(json!({"task": "sweep"})).await;
    assert_eq!(report["snaps"]["snaps_deleted"], 0, "{report}");
    assert_eq!(report["tutor"]["conversations_deleted"], 0, "{report}");
    assert!(report["at"].as_str().is_some());
    let health = runtime
        .invoke(json!({
            "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:ap-south-1:123456789012:targetgroup/jv/abc"}},
            "httpMethod": "GET", "path": "/healthz", "queryStringParameters": {}, "headers": {"host": "jv.example"},
            "body": "", "isBase64Encoded": false
        }))
        .await;
    assert_eq!(health["statusCode"], 200, "{health}");
    let body: Value = serde_json::from_str(health["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["status"], "ok");
    child.kill().unwrap();
    let _ = child.wait();
}
