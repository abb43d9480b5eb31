//! Parsing and validation of a JSON Lines question bank. Every line is checked; all errors are
//! reported with their 1-based line numbers, and nothing is loaded unless every line is valid.

use std::collections::HashMap;
use std::io::BufRead;

use crate::domain::{Interner, Question, RawQuestion};

/// Problems found on one line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// Question id, when the line parsed far enough to have one.
    pub id: Option<String>,
    /// One message per rule broken.
    pub messages: Vec<String>,
}

/// Result of parsing a whole file.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Valid questions, in file order.
    pub questions: Vec<Question>,
    /// Invalid lines.
    pub errors: Vec<LineError>,
}

impl ImportReport {
    /// Human-readable error listing, one line per problem: `line N (id): message`.
    pub fn error_text(&self) -> String {
        self.errors
            .iter()
            .flat_map(|e| {
                let id = e.id.as_deref().map(|i| format!(" ({i})")).unwrap_or_default();
                e.messages.iter().map(move |m| format!("line {}{id}: {m}", e.line))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Parses a JSONL bank. Blank lines are skipped; ids must be unique across the file.
pub fn parse_jsonl(reader: impl BufRead) -> ImportReport {
    parse_jsonl_interned(reader, &mut Interner::default())
}

/// [`parse_jsonl`] taking the repeated strings (chapter, topic, topic key, tags, source) from
/// `interner`, so several texts of one bank (its stored chunks) share them.
pub fn parse_jsonl_interned(reader: impl BufRead, interner: &mut Interner) -> ImportReport {
    let mut report = ImportReport::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                report.errors.push(LineError { line: n, id: None, messages: vec![format!("unreadable line: {e}")] });
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let raw: RawQuestion = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                let id = serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned));
                report.errors.push(LineError { line: n, id, messages: vec![format!("not a question record: {e}")] });
                continue;
            }
        };
        let mut messages = Vec::new();
        if let Some(first) = seen.insert(raw.id.clone(), n) {
            messages.push(format!("id: duplicate of line {first}"));
        }
        let id = raw.id.clone();
        match raw.into_question(interner) {
            Ok(q) if messages.is_empty() => report.questions.push(q),
            Ok(_) => {}
            Err(errs) => messages.extend(errs),
        }
        if !messages.is_empty() {
            report.errors.push(LineError { line: n, id: Some(id), messages });
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id":"phy-kin-001","subject":"physics","chapter":"Kinematics","topic":"Projectile motion","type":"single_correct","stem":"$x$?","options":[{"key":"A","text":"1"},{"key":"B","text":"2"},{"key":"C","text":"3"},{"key":"D","text":"4"}],"answer":"B","solution":"Because.","irt":{"a":1.0,"b":0.0,"c":0.25},"tags":["t"],"source":"test"}"#;

    #[test]
    fn reports_every_bad_line_with_its_number() {
        let bad_type = GOOD.replace("single_correct", "essay").replace("phy-kin-001", "phy-kin-002");
        let bad_answer = GOOD.replace(r#""answer":"B""#, r#""answer":"E""#).replace("phy-kin-001", "phy-kin-003");
        let input = format!("{GOOD}\n\n{bad_type}\nnot json\n{GOOD}\n{bad_answer}\n");
        let r = parse_jsonl(input.as_bytes());
        assert_eq!(r.questions.len(), 1);
        let lines: Vec<usize> = r.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6]);
        assert!(r.errors[0].messages[0].starts_with("type:"));
        assert!(r.errors[2].messages[0].contains("duplicate of line 1"));
        assert!(r.errors[3].messages[0].starts_with("answer:"));
        assert!(r.error_text().contains("line 6 (phy-kin-003): answer:"));
    }
}
