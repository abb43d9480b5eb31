//! `quiz-generate` binary: Lambda when `AWS_LAMBDA_RUNTIME_API` is set, HTTP on `$PORT` otherwise.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::runtime::exit_code(
        shared::runtime::start(quiz_generate::documented_router, shared::runtime::InstanceParts::CORE).await,
    )
}
