//! Configuration of the OpenAI-compatible chat client (tutor) from environment variables.

use std::time::Duration;

use crate::domain::Tier;

/// Default API root (`OPENAI_BASE_URL`): OpenAI's. Ollama (`http://127.0.0.1:11434/v1`), vLLM
/// and llama.cpp's server (`http://HOST:PORT/v1`) and OpenAI-compatible gateways serve the same
/// `POST {base}/chat/completions`.
pub const OPENAI_DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// Largest accepted `OPENAI_TIMEOUT_MS`: 5 minutes (a long streamed answer at a slow local
/// server can need more than the 30 s default).
const MAX_TIMEOUT_MS: u64 = 300_000;

/// Model settings of one tier's tutor (the seed's Basic / Enhanced / Premium tutor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TutorTierSettings {
    /// Model id sent as `model` (e.g. `gpt-4o-mini`, or `llama3.1:8b` on Ollama).
    pub model: String,
    /// Largest answer, in tokens: the request's `max_tokens`.
    pub max_answer_tokens: u32,
    /// Token budget of the prompt (system prompt, anchored context, summary and recent turns)
    /// that the caller assembles for this tier.
    pub context_tokens: u32,
}

/// OpenAI chat-completions client settings.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenAiConfig {
    /// API key (`OPENAI_API_KEY`), sent as `Authorization: Bearer`; `None` disables the tutor
    /// (calls fail with `AiError::MissingApiKey` without a request). Local servers that need no
    /// key accept any value (e.g. `ollama`).
    pub api_key: Option<String>,
    /// API root without a trailing slash (`OPENAI_BASE_URL`, default
    /// [`OPENAI_DEFAULT_BASE_URL`]); requests go to `{base_url}/chat/completions`.
    pub base_url: String,
    /// Overall deadline of one answer, retries, waits and the whole stream included
    /// (`OPENAI_TIMEOUT_MS`, default 30000: the seed's AI timeout).
    pub deadline: Duration,
    /// Free tier (Basic tutor): `TUTOR_MODEL_FREE`, `TUTOR_MAX_TOKENS_FREE`,
    /// `TUTOR_CONTEXT_TOKENS_FREE`.
    pub free: TutorTierSettings,
    /// Pro tier (Enhanced tutor): `TUTOR_*_PRO`.
    pub pro: TutorTierSettings,
    /// Ultra tier (Premium tutor): `TUTOR_*_ULTRA`.
    pub ultra: TutorTierSettings,
}

impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("deadline", &self.deadline)
            .field("free", &self.free)
            .field("pro", &self.pro)
            .field("ultra", &self.ultra)
            .finish()
    }
}

impl Default for OpenAiConfig {
    /// No key, OpenAI's API root, 30 s, and per tier (model, answer tokens, context tokens):
    /// Free `gpt-4o-mini`, 1024, 4096; Pro `gpt-4o-mini`, 2048, 16384; Ultra `gpt-4o`, 4096,
    /// 32768. gpt-4o-mini is OpenAI's low-cost model (128k context); gpt-4o the stronger one
    /// for the premium tier. The budgets bound the cost per message well inside the models'
    /// 128k context windows (<https://platform.openai.com/docs/models>).
    fn default() -> Self {
        let tier = |model: &str, max_answer_tokens, context_tokens| TutorTierSettings {
            model: model.to_owned(),
            max_answer_tokens,
            context_tokens,
        };
        Self {
            api_key: None,
            base_url: OPENAI_DEFAULT_BASE_URL.to_owned(),
            deadline: crate::resilience::DEFAULT_DEADLINE,
            free: tier("gpt-4o-mini", 1024, 4096),
            pro: tier("gpt-4o-mini", 2048, 16_384),
            ultra: tier("gpt-4o", 4096, 32_768),
        }
    }
}

impl OpenAiConfig {
    /// The tutor settings of `tier`.
    pub fn tier(&self, tier: Tier) -> &TutorTierSettings {
        match tier {
            Tier::Free => &self.free,
            Tier::Pro => &self.pro,
            Tier::Ultra => &self.ultra,
        }
    }

    /// Reads through `get`: `OPENAI_API_KEY`, `OPENAI_BASE_URL` (http or https URL),
    /// `OPENAI_TIMEOUT_MS` (1000..=300000) and per tier (`FREE`, `PRO`, `ULTRA`)
    /// `TUTOR_MODEL_<TIER>` (no whitespace, at most 256 characters), `TUTOR_MAX_TOKENS_<TIER>`
    /// (16..=65536) and `TUTOR_CONTEXT_TOKENS_<TIER>` (512..=2000000). Unset or empty variables
    /// keep the defaults of [`OpenAiConfig::default`].
    ///
    /// # Errors
    /// Every invalid variable, one line each.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<OpenAiConfig, Vec<String>> {
        let mut errors = Vec::new();
        let read = |name: &str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut c = OpenAiConfig { api_key: read("OPENAI_API_KEY"), ..OpenAiConfig::default() };
        if let Some(url) = read("OPENAI_BASE_URL") {
            let url = url.trim_end_matches('/').to_owned();
            if (url.starts_with("https://") || url.starts_with("http://")) && reqwest::Url::parse(&url).is_ok() {
                c.base_url = url;
            } else {
                errors.push(format!(
                    "  OPENAI_BASE_URL={url:?}: must be an http(s) URL (e.g. {OPENAI_DEFAULT_BASE_URL})"
                ));
            }
        }
        if let Some(raw) = read("OPENAI_TIMEOUT_MS") {
            match raw.parse::<u64>() {
                Ok(ms) if (1_000..=MAX_TIMEOUT_MS).contains(&ms) => c.deadline = Duration::from_millis(ms),
                _ => errors.push(format!("  OPENAI_TIMEOUT_MS={raw:?}: milliseconds, 1000..={MAX_TIMEOUT_MS}")),
            }
        }
        for (suffix, settings) in [("FREE", &mut c.free), ("PRO", &mut c.pro), ("ULTRA", &mut c.ultra)] {
            let name = format!("TUTOR_MODEL_{suffix}");
            if let Some(model) = read(&name) {
                if model.chars().count() <= 256 && !model.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
                    settings.model = model;
                } else {
                    errors.push(format!("  {name}={model:?}: a model id without spaces, at most 256 characters"));
                }
            }
            let name = format!("TUTOR_MAX_TOKENS_{suffix}");
            if let Some(raw) = read(&name) {
                match raw.parse::<u32>() {
                    Ok(n) if (16..=65_536).contains(&n) => settings.max_answer_tokens = n,
                    _ => errors.push(format!("  {name}={raw:?}: answer tokens, 16..=65536")),
                }
            }
            let name = format!("TUTOR_CONTEXT_TOKENS_{suffix}");
            if let Some(raw) = read(&name) {
                match raw.parse::<u32>() {
                    Ok(n) if (512..=2_000_000).contains(&n) => settings.context_tokens = n,
                    _ => errors.push(format!("  {name}={raw:?}: prompt tokens, 512..=2000000")),
                }
            }
        }
        if errors.is_empty() { Ok(c) } else { Err(errors) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<OpenAiConfig, Vec<String>> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        OpenAiConfig::from_lookup(&|k: &str| m.get(k).cloned())
    }

    #[test]
    fn defaults_without_a_key() {
        let c = read(&[("OPENAI_API_KEY", "  ")]).unwrap();
        assert_eq!(c, OpenAiConfig::default());
        assert_eq!(c.api_key, None);
        assert_eq!(c.base_url, "https://api.openai.com/v1");
        assert_eq!(c.deadline, Duration::from_secs(30));
        assert_eq!(c.tier(Tier::Free).model, "gpt-4o-mini");
        assert_eq!(c.tier(Tier::Pro).max_answer_tokens, 2048);
        assert_eq!(c.tier(Tier::Ultra).model, "gpt-4o");
        assert_eq!(c.tier(Tier::Ultra).context_tokens, 32_768);
    }

    #[test]
    fn reads_every_variable() {
        let c = read(&[
            ("OPENAI_API_KEY", "sk-test-1"),
            ("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1/"),
            ("OPENAI_TIMEOUT_MS", "45000"),
            ("TUTOR_MODEL_FREE", "llama3.1:8b"),
            ("TUTOR_MODEL_PRO", "meta-llama/Llama-3.1-70B-Instruct"),
            ("TUTOR_MODEL_ULTRA", "gpt-4.1"),
            ("TUTOR_MAX_TOKENS_FREE", "512"),
            ("TUTOR_MAX_TOKENS_PRO", "1500"),
            ("TUTOR_MAX_TOKENS_ULTRA", "8000"),
            ("TUTOR_CONTEXT_TOKENS_FREE", "2048"),
            ("TUTOR_CONTEXT_TOKENS_PRO", "8192"),
            ("TUTOR_CONTEXT_TOKENS_ULTRA", "100000"),
        ])
        .unwrap();
        assert_eq!(c.api_key.as_deref(), Some("sk-test-1"));
        assert_eq!(c.base_url, "http://127.0.0.1:11434/v1");
        assert_eq!(c.deadline, Duration::from_secs(45));
        let got: Vec<(&str, u32, u32)> = [Tier::Free, Tier::Pro, Tier::Ultra]
            .map(|t| c.tier(t))
            .iter()
            .map(|s| (s.model.as_str(), s.max_answer_tokens, s.context_tokens))
            .collect();
        assert_eq!(
            got,
            [("llama3.1:8b", 512, 2048), ("meta-llama/Llama-3.1-70B-Instruct", 1500, 8192), ("gpt-4.1", 8000, 100_000)]
        );
        assert!(!format!("{c:?}").contains("sk-test-1"), "key redacted in Debug");
    }

    #[test]
    fn reports_every_problem() {
        let e = read(&[
            ("OPENAI_BASE_URL", "ftp://x"),
            ("OPENAI_TIMEOUT_MS", "10"),
            ("TUTOR_MODEL_FREE", "gpt 4o"),
            ("TUTOR_MAX_TOKENS_PRO", "lots"),
            ("TUTOR_CONTEXT_TOKENS_ULTRA", "100"),
        ])
        .unwrap_err();
        assert_eq!(e.len(), 5, "{e:?}");
        for (line, var) in e.iter().zip([
            "OPENAI_BASE_URL",
            "OPENAI_TIMEOUT_MS",
            "TUTOR_MODEL_FREE",
            "TUTOR_MAX_TOKENS_PRO",
            "TUTOR_CONTEXT_TOKENS_ULTRA",
        ]) {
            assert!(line.contains(var), "{line}");
        }
    }
}
