//! `quiz-generate` binary: Lambda when `AWS_LAMBDA_RUNTIME_API` is set, HTTP on `$PORT` otherwise.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::runtime::start(quiz_generate::router).await
}
