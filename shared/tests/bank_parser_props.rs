//! Property tests of the question bank's JSON Lines parser: arbitrary bytes and arbitrary
//! JSON shapes never panic, and every refusal is an import error carrying its line number.

use std::io::Cursor;

use proptest::prelude::*;
use serde_json::Value;
use shared::bank::jsonl::parse_jsonl;

fn sample_lines() -> Vec<String> {
    let text = std::fs::read_to_string(shared::testing::sample_bank_path()).unwrap();
    text.lines().filter(|l| !l.trim().is_empty()).take(20).map(str::to_owned).collect()
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Valid sample lines with some fields replaced by arbitrary JSON, removed, or the line cut.
fn mutated_line(lines: Vec<String>) -> impl Strategy<Value = String> {
    let field = prop::sample::select(vec![
        "id",
        "subject",
        "chapter",
        "topic",
        "type",
        "stem",
        "options",
        "answer",
        "solution",
        "difficulty",
        "irt",
        "extra",
    ]);
    let edit = prop_oneof![(field.clone(), arb_json()).prop_map(|(f, v)| (f, Some(v))), field.prop_map(|f| (f, None)),];
    (prop::sample::select(lines), prop::collection::vec(edit, 0..3), any::<Option<prop::sample::Index>>()).prop_map(
        |(line, edits, cut)| {
            let mut v: Value = serde_json::from_str(&line).unwrap();
            for (field, value) in edits {
                let obj = v.as_object_mut().unwrap();
                match value {
                    Some(value) => obj.insert(field.to_owned(), value),
                    None => obj.remove(field),
                };
            }
            let text = v.to_string();
            match cut {
                Some(i) => text.chars().take(i.index(text.chars().count().max(1))).collect(),
                None => text,
            }
        },
    )
}

fn check(input: &[u8]) -> Result<(), TestCaseError> {
    let report = parse_jsonl(Cursor::new(input));
    let lines = input.split(|b| *b == b'\n').count();
    for e in &report.errors {
        prop_assert!((1..=lines).contains(&e.line), "line {} of {lines}", e.line);
        prop_assert!(!e.messages.is_empty());
    }
    let text = report.error_text();
    for l in text.lines() {
        prop_assert!(l.starts_with("line "), "{l}");
    }
    prop_assert!(report.questions.len() + report.errors.len() <= lines);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_line_numbered_errors(input in prop::collection::vec(any::<u8>(), 0..256)) {
        check(&input)?;
    }

    #[test]
    fn arbitrary_json_shapes_are_line_numbered_errors(
        lines in prop::collection::vec(prop_oneof![mutated_line(sample_lines()), arb_json().prop_map(|v| v.to_string())], 1..6)
    ) {
        let input = lines.join("\n");
        check(input.as_bytes())?;
        // Every line is either a question or an error (no line is silently dropped).
        let report = parse_jsonl(Cursor::new(input.as_bytes()));
        let non_blank = lines.iter().filter(|l| !l.trim().is_empty()).count();
        prop_assert_eq!(report.questions.len() + report.errors.len(), non_blank);
    }
}

#[test]
fn sample_lines_parse() {
    let lines = sample_lines();
    let report = parse_jsonl(Cursor::new(lines.join("\n")));
    assert_eq!((report.questions.len(), report.errors.len()), (lines.len(), 0), "{}", report.error_text());
}
