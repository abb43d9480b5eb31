//! Local stand-ins for cloud services that tests start on loopback (feature `testing`): moto's
//! server (S3 and SQS, `pip install 'moto[server]'`) and Google's Pub/Sub emulator (through
//! `.ci/pubsub-emulator.sh`). Where one is missing a test is skipped with the reason printed,
//! unless `CI` is set, where a missing server fails the test (CI installs and starts them).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1.
///
/// # Panics
/// When no port can be bound.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Skips (prints why, returns `None`) unless `CI` is set.
///
/// # Panics
/// Under CI: the server is required there.
pub fn skip<T>(why: &str) -> Option<T> {
    if std::env::var_os("CI").is_some() {
        panic!("{why} (required when CI is set)");
    }
    println!("skipped: {why}");
    None
}

/// moto's server on a free loopback port, killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `moto_server` and waits (up to 30 s) until it answers, or skips (see [`skip`]).
pub async fn moto() -> Option<Moto> {
    let port = free_port();
    let spawned = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(c) => c,
        Err(e) => return skip(&format!("moto_server not runnable ({e}); pip install 'moto[server]'")),
    };
    let mut moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let probe = http.get(format!("{}/moto-api/", moto.endpoint)).timeout(Duration::from_secs(2)).send().await;
        if probe.is_ok() {
            return Some(moto);
        }
        if let Ok(Some(status)) = moto.child.try_wait() {
            return skip(&format!("moto_server exited with {status}"));
        }
        if Instant::now() > deadline {
            return skip("moto_server did not answer within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An SQS client for moto at `endpoint` (region ap-south-1, static test credentials).
pub fn moto_sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("ap-south-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "static"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// Google's Pub/Sub emulator: the one at `PUBSUB_EMULATOR_HOST`, or one this test started
/// through `.ci/pubsub-emulator.sh` (stopped on drop).
pub struct PubSubEmulator {
    /// `127.0.0.1:PORT`.
    pub host: String,
    dir: Option<PathBuf>,
}

fn emulator_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/pubsub-emulator.sh")
}

fn stop_emulator(dir: &std::path::Path) {
    let _ = Command::new(emulator_script()).arg("stop").env("PUBSUB_EMULATOR_DIR", dir).stderr(Stdio::null()).status();
}

impl Drop for PubSubEmulator {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            stop_emulator(dir);
        }
    }
}

/// The Pub/Sub emulator for a test, or a skip (see [`skip`]).
pub fn pubsub_emulator() -> Option<PubSubEmulator> {
    if let Ok(host) = std::env::var("PUBSUB_EMULATOR_HOST") {
        return Some(PubSubEmulator { host, dir: None });
    }
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("pubsub-emulator-{}-{port}", std::process::id()));
    let out = Command::new(emulator_script())
        .arg("start")
        .env("PUBSUB_EMULATOR_PORT", port.to_string())
        .env("PUBSUB_EMULATOR_DIR", &dir)
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(out) if out.status.success() => Some(PubSubEmulator { host: format!("127.0.0.1:{port}"), dir: Some(dir) }),
        Ok(out) => {
            stop_emulator(&dir);
            skip(&format!("Pub/Sub emulator did not start: {}", String::from_utf8_lossy(&out.stderr).trim()))
        }
        Err(e) => skip(&format!("cannot run {}: {e}", emulator_script().display())),
    }
}
