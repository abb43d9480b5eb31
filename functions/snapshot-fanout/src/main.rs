//! `snapshot-fanout` binary: Lambda when `AWS_LAMBDA_RUNTIME_API` is set (EventBridge schedules
//! and SQS batches as events), HTTP on `$PORT` otherwise (Cloud Scheduler, Pub/Sub push).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::runtime::exit_code(
        shared::runtime::start_with_state(
            snapshot_fanout::documented_router,
            shared::runtime::InstanceParts::ALL,
            snapshot_fanout::events,
        )
        .await,
    )
}
