//! Local stand-ins for the AI providers, for trying snap-solve and tutor-chat without API keys:
//! a Gemini `generateContent` server on 127.0.0.1:8091 and an OpenAI chat completions server on
//! 127.0.0.1:8092, speaking the providers' documented wire formats (the same servers the tests
//! use). The Gemini stand-in answers every photo with the same worked example; the tutor
//! stand-in answers with a short fixed reply, streamed when asked to. `make fake-ai` runs this.
//! `FAKE_GEMINI_PORT` / `FAKE_OPENAI_PORT` pick other ports (0 = any free one; the printed
//! lines name them), as the contract test does.

fn port(var: &str, default: u16) -> u16 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let gemini = shared::testing_gemini::FakeGemini::start_on(port("FAKE_GEMINI_PORT", 8091)).await;
    let openai = shared::testing_openai::FakeOpenAi::start_on(port("FAKE_OPENAI_PORT", 8092)).await;
    println!("fake Gemini: GEMINI_BASE_URL={} (any GEMINI_API_KEY)", gemini.base_url());
    println!("fake OpenAI: OPENAI_BASE_URL={} (any OPENAI_API_KEY)", openai.base_url());
    println!("Ctrl-C to stop");
    let _ = tokio::signal::ctrl_c().await;
}
