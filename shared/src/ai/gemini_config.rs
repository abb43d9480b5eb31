//! Configuration of the Gemini client from environment variables.

use std::time::Duration;

/// Default model (`GEMINI_MODEL`).
pub const DEFAULT_MODEL: &str = "gemini-2.5-flash";
/// Default API root (`GEMINI_BASE_URL`): the Gemini Developer API.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// Default `maxOutputTokens` (`GEMINI_MAX_OUTPUT_TOKENS`). On 2.5 models thinking tokens count
/// against it, so it leaves room for both thinking and a long worked solution.
pub const DEFAULT_MAX_OUTPUT_TOKENS: u32 = 8192;

/// Gemini client settings.
#[derive(Clone, PartialEq, Eq)]
pub struct GeminiConfig {
    /// API key (`GEMINI_API_KEY`), sent as `x-goog-api-key`; `None` disables AI features
    /// (calls fail with `AiError::NotConfigured`).
    pub api_key: Option<String>,
    /// Model id (`GEMINI_MODEL`, default `gemini-2.5-flash`).
    pub model: String,
    /// API root without a trailing slash (`GEMINI_BASE_URL`); tests and proxies point it
    /// elsewhere.
    pub base_url: String,
    /// Overall deadline of one call, retries and waits included (`GEMINI_TIMEOUT_MS`, default
    /// 30000: the seed's AI timeout).
    pub deadline: Duration,
    /// `generationConfig.maxOutputTokens` (`GEMINI_MAX_OUTPUT_TOKENS`, default 8192).
    pub max_output_tokens: u32,
}

impl std::fmt::Debug for GeminiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeminiConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("deadline", &self.deadline)
            .field("max_output_tokens", &self.max_output_tokens)
            .finish()
    }
}

impl Default for GeminiConfig {
    fn default() -> Self {
        Self {
            api_key: None,
            model: DEFAULT_MODEL.to_owned(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            deadline: crate::resilience::DEFAULT_DEADLINE,
            max_output_tokens: DEFAULT_MAX_OUTPUT_TOKENS,
        }
    }
}

impl GeminiConfig {
    /// Reads `GEMINI_API_KEY`, `GEMINI_MODEL`, `GEMINI_BASE_URL`, `GEMINI_TIMEOUT_MS`
    /// (1000..=120000) and `GEMINI_MAX_OUTPUT_TOKENS` (256..=65536) through `get`.
    ///
    /// # Errors
    /// Every invalid variable, one line each.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<GeminiConfig, Vec<String>> {
        let mut errors = Vec::new();
        let mut c = GeminiConfig {
            api_key: get("GEMINI_API_KEY").map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()),
            ..GeminiConfig::default()
        };
        if let Some(model) = get("GEMINI_MODEL").map(|m| m.trim().to_owned()).filter(|m| !m.is_empty()) {
            if model.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) {
                c.model = model;
            } else {
                errors.push(format!("  GEMINI_MODEL={model:?}: a model id is [A-Za-z0-9._-] (e.g. {DEFAULT_MODEL})"));
            }
        }
        if let Some(url) = get("GEMINI_BASE_URL").map(|u| u.trim().trim_end_matches('/').to_owned()) {
            if url.starts_with("https://") || url.starts_with("http://") {
                c.base_url = url;
            } else {
                errors.push(format!("  GEMINI_BASE_URL={url:?}: must be an http(s) URL"));
            }
        }
        if let Some(raw) = get("GEMINI_TIMEOUT_MS") {
            match raw.trim().parse::<u64>() {
                Ok(ms) if (1_000..=120_000).contains(&ms) => c.deadline = Duration::from_millis(ms),
                _ => errors.push(format!("  GEMINI_TIMEOUT_MS={raw:?}: milliseconds, 1000..=120000")),
            }
        }
        if let Some(raw) = get("GEMINI_MAX_OUTPUT_TOKENS") {
            match raw.trim().parse::<u32>() {
                Ok(n) if (256..=65_536).contains(&n) => c.max_output_tokens = n,
                _ => errors.push(format!("  GEMINI_MAX_OUTPUT_TOKENS={raw:?}: a number, 256..=65536")),
            }
        }
        if errors.is_empty() { Ok(c) } else { Err(errors) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<GeminiConfig, Vec<String>> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        GeminiConfig::from_lookup(&|k: &str| m.get(k).cloned())
    }

    #[test]
    fn defaults_without_a_key() {
        let c = read(&[]).unwrap();
        assert_eq!(c, GeminiConfig::default());
        assert_eq!(c.api_key, None);
        assert_eq!(c.model, "gemini-2.5-flash");
        assert_eq!(c.deadline, Duration::from_secs(30));
    }

    #[test]
    fn reads_every_variable() {
        let c = read(&[
            ("GEMINI_API_KEY", "k-123"),
            ("GEMINI_MODEL", "gemini-2.5-pro"),
            ("GEMINI_BASE_URL", "http://127.0.0.1:9/"),
            ("GEMINI_TIMEOUT_MS", "5000"),
            ("GEMINI_MAX_OUTPUT_TOKENS", "4096"),
        ])
        .unwrap();
        assert_eq!(c.api_key.as_deref(), Some("k-123"));
        assert_eq!((c.model.as_str(), c.base_url.as_str()), ("gemini-2.5-pro", "http://127.0.0.1:9"));
        assert_eq!((c.deadline, c.max_output_tokens), (Duration::from_secs(5), 4096));
        assert!(!format!("{c:?}").contains("k-123"), "key redacted in Debug");
    }

    #[test]
    fn reports_every_problem() {
        let e = read(&[
            ("GEMINI_MODEL", "a/b"),
            ("GEMINI_BASE_URL", "ftp://x"),
            ("GEMINI_TIMEOUT_MS", "10"),
            ("GEMINI_MAX_OUTPUT_TOKENS", "lots"),
        ])
        .unwrap_err();
        assert_eq!(e.len(), 4, "{e:?}");
        for (line, var) in
            e.iter().zip(["GEMINI_MODEL", "GEMINI_BASE_URL", "GEMINI_TIMEOUT_MS", "GEMINI_MAX_OUTPUT_TOKENS"])
        {
            assert!(line.contains(var), "{line}");
        }
    }
}
