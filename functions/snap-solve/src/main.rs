//! `snap-solve` binary: Lambda when `AWS_LAMBDA_RUNTIME_API` is set, HTTP on `$PORT` otherwise.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::runtime::exit_code(
        shared::runtime::start(snap_solve::documented_router, shared::runtime::InstanceParts::ALL).await,
    )
}
