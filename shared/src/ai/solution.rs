//! The structured solution the model returns for a photographed question, its response schema
//! (sent as `generationConfig.responseSchema`) and its validation.

use serde::{Deserialize, Serialize};

/// Subjects a solution may name.
pub const SUBJECTS: [&str; 4] = ["physics", "chemistry", "mathematics", "other"];

/// A worked solution of a photographed question, as validated from the model's JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapSolution {
    /// The question as the model read it (Markdown + LaTeX), never empty.
    pub question_text: String,
    /// One of [`SUBJECTS`]: `physics`, `chemistry`, `mathematics`, `other`.
    pub subject: String,
    /// Chapter name as the model names it (may be empty).
    pub chapter: String,
    /// Topic name as the model names it (may be empty).
    pub topic: String,
    /// Our bank's topic key (e.g. `physics/kinematics/projectile-motion`) when the model picked
    /// one of the keys offered; `None` otherwise.
    pub topic_key: Option<String>,
    /// Solution steps, each Markdown with LaTeX (`$…$`, `$$…$$`); at least one, none empty.
    pub steps: Vec<String>,
    /// The final answer (Markdown + LaTeX; may be empty for a question without one).
    pub final_answer: String,
    /// The model's confidence in the solution, 0..=1.
    pub confidence: f64,
}

impl SnapSolution {
    /// Parses and validates the model's JSON text. Subject names are normalised (case,
    /// `math`/`maths`), empty steps dropped, and a `topic_key` not among `topic_keys` becomes
    /// `None`.
    ///
    /// # Errors
    /// A one-line reason: not JSON, not our shape, empty question text, no steps, confidence
    /// outside 0..=1, or a subject outside [`SUBJECTS`].
    pub fn from_model_json(text: &str, topic_keys: &[String]) -> Result<Self, String> {
        let mut s: SnapSolution = serde_json::from_str(strip_fence(text)).map_err(|e| format!("not our JSON: {e}"))?;
        s.question_text = s.question_text.trim().to_owned();
        if s.question_text.is_empty() {
            return Err("question_text is empty".into());
        }
        s.subject = match s.subject.trim().to_ascii_lowercase().as_str() {
            "math" | "maths" => "mathematics".to_owned(),
            other => other.to_owned(),
        };
        if !SUBJECTS.contains(&s.subject.as_str()) {
            return Err(format!("subject {:?} is not one of {SUBJECTS:?}", crate::problem::excerpt(&s.subject, 40)));
        }
        s.steps = s.steps.into_iter().map(|step| step.trim().to_owned()).filter(|step| !step.is_empty()).collect();
        if s.steps.is_empty() {
            return Err("no solution steps".into());
        }
        if !(0.0..=1.0).contains(&s.confidence) {
            return Err(format!("confidence {} is outside 0..=1", s.confidence));
        }
        s.chapter = s.chapter.trim().to_owned();
        s.topic = s.topic.trim().to_owned();
        s.final_answer = s.final_answer.trim().to_owned();
        s.topic_key = s.topic_key.map(|k| k.trim().to_owned()).filter(|k| topic_keys.iter().any(|t| t == k));
        Ok(s)
    }

    /// The response schema for `generationConfig.responseSchema`: the OpenAPI 3.0 schema
    /// subset Gemini accepts (<https://ai.google.dev/api/caching#Schema>: upper-case `type`,
    /// `enum`, `nullable`, `required`, `propertyOrdering`).
    pub fn response_schema() -> serde_json::Value {
        let text = |description: &str| serde_json::json!({ "type": "STRING", "description": description });
        serde_json::json!({
            "type": "OBJECT",
            "properties": {
                "question_text": text("The question exactly as written in the image, Markdown with LaTeX."),
                "subject": { "type": "STRING", "enum": SUBJECTS, "format": "enum" },
                "chapter": text("The chapter of the JEE syllabus the question belongs to."),
                "topic": text("The topic within the chapter."),
                "topic_key": {
                    "type": "STRING",
                    "nullable": true,
                    "description": "One of the offered topic keys, or null when none fits."
                },
                "steps": {
                    "type": "ARRAY",
                    "items": text("One step of the solution, Markdown with LaTeX."),
                    "minItems": 1
                },
                "final_answer": text("The final answer, Markdown with LaTeX."),
                "confidence": { "type": "NUMBER", "minimum": 0.0, "maximum": 1.0 }
            },
            "required": ["question_text", "subject", "chapter", "topic", "topic_key", "steps", "final_answer", "confidence"],
            "propertyOrdering": ["question_text", "subject", "chapter", "topic", "topic_key", "steps", "final_answer", "confidence"]
        })
    }
}

/// The JSON inside a Markdown code fence, when the model wrapped it in one.
fn strip_fence(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .and_then(|rest| rest.trim_end().strip_suffix("```"))
        .map(str::trim)
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        vec!["physics/kinematics/projectile-motion".to_owned()]
    }

    fn json(subject: &str, key: &str, confidence: f64, steps: &[&str]) -> String {
        serde_json::json!({
            "question_text": " A ball is thrown… ", "subject": subject, "chapter": "Kinematics",
            "topic": "Projectile motion", "topic_key": key, "steps": steps,
            "final_answer": "$R = 40\\,\\text{m}$", "confidence": confidence
        })
        .to_string()
    }

    #[test]
    fn valid_json_is_normalised() {
        let s = SnapSolution::from_model_json(
            &json("Physics", "physics/kinematics/projectile-motion", 0.9, &["$u=20$", " "]),
            &keys(),
        )
        .unwrap();
        assert_eq!(s.subject, "physics");
        assert_eq!(s.question_text, "A ball is thrown…");
        assert_eq!(s.steps, vec!["$u=20$".to_owned()]);
        assert_eq!(s.topic_key.as_deref(), Some("physics/kinematics/projectile-motion"));
        let fenced = format!("```json\n{}\n```", json("maths", "nope", 0.5, &["x"]));
        let s = SnapSolution::from_model_json(&fenced, &keys()).unwrap();
        assert_eq!((s.subject.as_str(), s.topic_key), ("mathematics", None));
    }

    #[test]
    fn invalid_json_is_refused_with_a_reason() {
        let k = keys();
        let cases = [
            ("{\"question_text\": ", "not our JSON"),
            (&json("biology", "", 0.5, &["x"]) as &str, "subject"),
            (&json("physics", "", 1.5, &["x"]), "confidence"),
            (&json("physics", "", 0.5, &[]), "no solution steps"),
        ];
        for (text, needle) in cases {
            let e = SnapSolution::from_model_json(text, &k).unwrap_err();
            assert!(e.contains(needle), "{e}");
        }
    }
}
