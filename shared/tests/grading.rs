//! The JEE marking schemes, per question type, through `Response::parse` and `grade`.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use shared::domain::{AnswerKey, OptionKey, QuestionType};
use shared::grading::{FULL_MARKS, Mark, Outcome, Response, grade};

use OptionKey::{A, B, C, D};

const ALL_TYPES: [QuestionType; 4] =
    [QuestionType::SingleCorrect, QuestionType::MultiCorrect, QuestionType::Numerical, QuestionType::Integer];

fn set(keys: &[OptionKey]) -> BTreeSet<OptionKey> {
    keys.iter().copied().collect()
}

fn m(marks: i32, outcome: Outcome) -> Mark {
    Mark { marks, outcome }
}

/// Parses the wire answer against the key's type and grades it.
#[track_caller]
fn mark_of(kind: QuestionType, key: &AnswerKey, answer: Value) -> Mark {
    let r = Response::parse(kind, &answer).unwrap_or_else(|e| panic!("{answer} should parse as {kind:?}: {e}"));
    grade(key, &r)
}

#[track_caller]
fn parse_err(kind: QuestionType, answer: Value) -> String {
    match Response::parse(kind, &answer) {
        Err(e) => e,
        Ok(r) => panic!("{answer} should not parse as {kind:?}, got {r:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Single-correct: +4 / −1 / 0.
// ---------------------------------------------------------------------------------------------

#[test]
fn single_correct_marks() {
    let kind = QuestionType::SingleCorrect;
    let key = AnswerKey::Single(B);
    assert_eq!(FULL_MARKS, 4);
    assert_eq!(mark_of(kind, &key, json!("B")), m(4, Outcome::Correct));
    for wrong in ["A", "C", "D"] {
        assert_eq!(mark_of(kind, &key, json!(wrong)), m(-1, Outcome::Incorrect), "{wrong}");
    }
    assert_eq!(mark_of(kind, &key, Value::Null), m(0, Outcome::Skipped));
    assert_eq!(Response::parse(kind, &json!("D")), Ok(Response::Single(D)));
}

#[test]
fn single_correct_parse_errors() {
    let kind = QuestionType::SingleCorrect;
    for bad in
        [json!("E"), json!("a"), json!(""), json!(" B"), json!(["B"]), json!(2), json!(true), json!({"key": "B"})]
    {
        assert_eq!(parse_err(kind, bad), "expected one of \"A\", \"B\", \"C\", \"D\"");
    }
}

// ---------------------------------------------------------------------------------------------
// Multi-correct (JEE Advanced): +4 / +3 / +2 / +1 / −2 / 0.
// ---------------------------------------------------------------------------------------------

#[test]
fn multi_correct_exact_set_is_full_marks() {
    let kind = QuestionType::MultiCorrect;
    for correct in [&[A][..], &[A, C], &[B, C, D], &[A, B, C, D]] {
        let key = AnswerKey::Multi(set(correct));
        let answer: Vec<&str> = correct.iter().map(|k| ["A", "B", "C", "D"][*k as usize]).collect();
        assert_eq!(mark_of(kind, &key, json!(answer)), m(4, Outcome::Correct), "{correct:?}");
        // Order in the request does not matter.
        let reversed: Vec<&str> = answer.iter().rev().copied().collect();
        assert_eq!(mark_of(kind, &key, json!(reversed)), m(4, Outcome::Correct), "{correct:?} reversed");
    }
}

#[test]
fn multi_correct_partial_marks_count_the_chosen_correct_options() {
    let kind = QuestionType::MultiCorrect;
    // Four correct: three chosen → +3, two → +2, one → +1.
    let four = AnswerKey::Multi(set(&[A, B, C, D]));
    assert_eq!(mark_of(kind, &four, json!(["A", "B", "D"])), m(3, Outcome::Partial));
    assert_eq!(mark_of(kind, &four, json!(["B", "C", "D"])), m(3, Outcome::Partial));
    assert_eq!(mark_of(kind, &four, json!(["A", "C"])), m(2, Outcome::Partial));
    assert_eq!(mark_of(kind, &four, json!(["D"])), m(1, Outcome::Partial));
    // Three correct: two chosen → +2, one → +1.
    let three = AnswerKey::Multi(set(&[A, B, D]));
    assert_eq!(mark_of(kind, &three, json!(["A", "D"])), m(2, Outcome::Partial));
    assert_eq!(mark_of(kind, &three, json!(["B", "D"])), m(2, Outcome::Partial));
    assert_eq!(mark_of(kind, &three, json!(["B"])), m(1, Outcome::Partial));
    // Two correct: one chosen → +1.
    let two = AnswerKey::Multi(set(&[A, C]));
    assert_eq!(mark_of(kind, &two, json!(["A"])), m(1, Outcome::Partial));
    assert_eq!(mark_of(kind, &two, json!(["C"])), m(1, Outcome::Partial));
}

#[test]
fn multi_correct_any_wrong_option_is_minus_two() {
    let kind = QuestionType::MultiCorrect;
    let two = AnswerKey::Multi(set(&[A, C]));
    assert_eq!(mark_of(kind, &two, json!(["B"])), m(-2, Outcome::Incorrect));
    assert_eq!(mark_of(kind, &two, json!(["A", "B"])), m(-2, Outcome::Incorrect));
    assert_eq!(mark_of(kind, &two, json!(["A", "C", "D"])), m(-2, Outcome::Incorrect), "superset of the key");
    assert_eq!(mark_of(kind, &two, json!(["A", "B", "C", "D"])), m(-2, Outcome::Incorrect), "all four");
    let one = AnswerKey::Multi(set(&[D]));
    assert_eq!(mark_of(kind, &one, json!(["A"])), m(-2, Outcome::Incorrect));
    assert_eq!(mark_of(kind, &one, json!(["C", "D"])), m(-2, Outcome::Incorrect));
    let three = AnswerKey::Multi(set(&[A, B, C]));
    assert_eq!(mark_of(kind, &three, json!(["A", "B", "D"])), m(-2, Outcome::Incorrect));
}

#[test]
fn multi_correct_empty_or_null_is_skipped() {
    let kind = QuestionType::MultiCorrect;
    let key = AnswerKey::Multi(set(&[A, C]));
    assert_eq!(Response::parse(kind, &json!([])), Ok(Response::Skipped));
    assert_eq!(mark_of(kind, &key, json!([])), m(0, Outcome::Skipped));
    assert_eq!(mark_of(kind, &key, Value::Null), m(0, Outcome::Skipped));
}

#[test]
fn multi_correct_parse_errors() {
    let kind = QuestionType::MultiCorrect;
    assert_eq!(parse_err(kind, json!(["A", "A"])), "options must not repeat");
    assert_eq!(parse_err(kind, json!(["C", "A", "C"])), "options must not repeat");
    for bad in [
        json!("A"),
        json!(["A", "E"]),
        json!(["a"]),
        json!([1]),
        json!([null]),
        json!(true),
        json!({"A": true}),
        json!(3),
    ] {
        assert_eq!(parse_err(kind, bad), "expected an array of option keys, e.g. [\"A\", \"C\"]");
    }
    assert_eq!(Response::parse(kind, &json!(["C", "A"])), Ok(Response::Multi(set(&[A, C]))));
}

// ---------------------------------------------------------------------------------------------
// Numerical: +4 within tolerance, 0 otherwise (no negative marking).
// ---------------------------------------------------------------------------------------------

#[test]
fn numerical_tolerance_edges() {
    let kind = QuestionType::Numerical;
    let key = AnswerKey::Numerical { value: 2.45, tolerance: 0.01 };
    for ok in [2.45, 2.44, 2.46, 2.455, 2.4401, 2.4599] {
        assert_eq!(mark_of(kind, &key, json!(ok)), m(4, Outcome::Correct), "{ok}");
    }
    for out in [2.4601, 2.4399, 2.47, 2.43, 0.0, -2.45, 245.0] {
        assert_eq!(mark_of(kind, &key, json!(out)), m(0, Outcome::Incorrect), "{out}");
    }
    assert_eq!(mark_of(kind, &key, Value::Null), m(0, Outcome::Skipped));
}

#[test]
fn numerical_exact_key_and_integers_as_numbers() {
    let kind = QuestionType::Numerical;
    let exact = AnswerKey::Numerical { value: 9.81, tolerance: 0.0 };
    assert_eq!(mark_of(kind, &exact, json!(9.81)), m(4, Outcome::Correct));
    assert_eq!(mark_of(kind, &exact, json!(9.8)), m(0, Outcome::Incorrect));
    assert_eq!(mark_of(kind, &exact, json!(9.82)), m(0, Outcome::Incorrect));
    // A whole-number response to a numerical question is a number.
    let whole = AnswerKey::Numerical { value: 3.0, tolerance: 0.05 };
    assert_eq!(Response::parse(kind, &json!(3)), Ok(Response::Number(3.0)));
    assert_eq!(mark_of(kind, &whole, json!(3)), m(4, Outcome::Correct));
    assert_eq!(mark_of(kind, &whole, json!(-3)), m(0, Outcome::Incorrect));
    // Negative keys work symmetrically.
    let neg = AnswerKey::Numerical { value: -1.5, tolerance: 0.1 };
    assert_eq!(mark_of(kind, &neg, json!(-1.6)), m(4, Outcome::Correct));
    assert_eq!(mark_of(kind, &neg, json!(-1.4)), m(4, Outcome::Correct));
    assert_eq!(mark_of(kind, &neg, json!(-1.61)), m(0, Outcome::Incorrect));
}

#[test]
fn numerical_parse_errors() {
    let kind = QuestionType::Numerical;
    for bad in [json!("seven"), json!("2.45"), json!(true), json!([2.45]), json!({"value": 2.45})] {
        assert_eq!(parse_err(kind, bad), "expected a number");
    }
    // Numbers too large for f64 are not valid JSON numbers for serde_json; huge finite ones parse.
    assert_eq!(Response::parse(kind, &json!(1e300)), Ok(Response::Number(1e300)));
}

// ---------------------------------------------------------------------------------------------
// Integer: +4 / −1 / 0.
// ---------------------------------------------------------------------------------------------

#[test]
fn integer_marks() {
    let kind = QuestionType::Integer;
    let key = AnswerKey::Integer(7);
    assert_eq!(mark_of(kind, &key, json!(7)), m(4, Outcome::Correct));
    assert_eq!(mark_of(kind, &key, json!(8)), m(-1, Outcome::Incorrect));
    assert_eq!(mark_of(kind, &key, json!(0)), m(-1, Outcome::Incorrect));
    assert_eq!(mark_of(kind, &key, json!(-7)), m(-1, Outcome::Incorrect));
    assert_eq!(mark_of(kind, &key, Value::Null), m(0, Outcome::Skipped));
}

#[test]
fn integer_accepts_whole_floats_and_rejects_fractions() {
    let kind = QuestionType::Integer;
    let key = AnswerKey::Integer(7);
    // `7.0` on the wire is a JSON float.
    let seven_point_oh: Value = serde_json::from_str("7.0").unwrap();
    assert!(seven_point_oh.is_f64());
    assert_eq!(Response::parse(kind, &seven_point_oh), Ok(Response::Integer(7)));
    assert_eq!(mark_of(kind, &key, seven_point_oh), m(4, Outcome::Correct));
    assert_eq!(Response::parse(kind, &json!(7)), Ok(Response::Integer(7)));
    assert_eq!(parse_err(kind, serde_json::from_str("7.5").unwrap()), "expected a whole number");
    assert_eq!(parse_err(kind, json!(6.999)), "expected a whole number");
}

#[test]
fn integer_parse_errors() {
    let kind = QuestionType::Integer;
    for bad in [json!(true), json!("7"), json!("seven"), json!([7]), json!({"value": 7}), json!(1e20)] {
        assert_eq!(parse_err(kind, bad), "expected a whole number");
    }
}

// ---------------------------------------------------------------------------------------------
// Across types.
// ---------------------------------------------------------------------------------------------

#[test]
fn null_is_skipped_for_every_type() {
    let keys = [
        AnswerKey::Single(A),
        AnswerKey::Multi(set(&[A, B])),
        AnswerKey::Numerical { value: 1.0, tolerance: 0.1 },
        AnswerKey::Integer(3),
    ];
    for (kind, key) in ALL_TYPES.into_iter().zip(keys.iter()) {
        let r = Response::parse(kind, &Value::Null).unwrap();
        assert_eq!(r, Response::Skipped, "{kind:?}");
        assert_eq!(grade(key, &r), m(0, Outcome::Skipped), "{kind:?}");
        assert_eq!(r.to_json(), Value::Null);
    }
}

#[test]
fn wrong_shapes_per_type_are_refused() {
    // The brief's four wrong shapes: each is refused by the type it does not fit.
    assert!(Response::parse(QuestionType::SingleCorrect, &json!("E")).is_err());
    assert!(Response::parse(QuestionType::MultiCorrect, &json!(["A", "A"])).is_err());
    assert!(Response::parse(QuestionType::Numerical, &json!("seven")).is_err());
    assert!(Response::parse(QuestionType::Integer, &json!(true)).is_err());
    // And none of them parses as any type.
    for bad in [json!("E"), json!(["A", "A"]), json!("seven"), json!(true)] {
        for kind in ALL_TYPES {
            assert!(Response::parse(kind, &bad).is_err(), "{bad} as {kind:?}");
        }
    }
}

#[test]
fn mismatched_response_shape_grades_as_wrong() {
    // `parse` prevents this; `grade` still treats it as a wrong attempt with the type's penalty.
    assert_eq!(grade(&AnswerKey::Single(A), &Response::Integer(1)), m(-1, Outcome::Incorrect));
    assert_eq!(grade(&AnswerKey::Multi(set(&[A])), &Response::Single(A)), m(-2, Outcome::Incorrect));
    assert_eq!(
        grade(&AnswerKey::Numerical { value: 1.0, tolerance: 0.5 }, &Response::Integer(1)),
        m(0, Outcome::Incorrect)
    );
    assert_eq!(grade(&AnswerKey::Integer(4), &Response::Number(4.0)), m(-1, Outcome::Incorrect));
}

#[test]
fn responses_round_trip_through_json() {
    let cases = [
        (QuestionType::SingleCorrect, Response::Single(C)),
        (QuestionType::MultiCorrect, Response::Multi(set(&[B, D]))),
        (QuestionType::Numerical, Response::Number(2.45)),
        (QuestionType::Integer, Response::Integer(42)),
    ];
    for (kind, r) in cases {
        assert_eq!(Response::parse(kind, &r.to_json()), Ok(r.clone()), "{kind:?}");
    }
    assert_eq!(Response::Multi(set(&[D, B])).to_json(), json!(["B", "D"]));
}

#[test]
fn answer_keys_parse_from_bank_json() {
    assert_eq!(AnswerKey::from_json(QuestionType::SingleCorrect, &json!("C")), Ok(AnswerKey::Single(C)));
    assert_eq!(
        AnswerKey::from_json(QuestionType::MultiCorrect, &json!(["D", "A"])),
        Ok(AnswerKey::Multi(set(&[A, D])))
    );
    assert_eq!(
        AnswerKey::from_json(QuestionType::Numerical, &json!({"value": 2.45, "tolerance": 0.01})),
        Ok(AnswerKey::Numerical { value: 2.45, tolerance: 0.01 })
    );
    assert_eq!(AnswerKey::from_json(QuestionType::Integer, &json!(7)), Ok(AnswerKey::Integer(7)));
    assert!(AnswerKey::from_json(QuestionType::MultiCorrect, &json!([])).is_err());
    assert!(AnswerKey::from_json(QuestionType::MultiCorrect, &json!(["A", "A"])).is_err());
    assert!(AnswerKey::from_json(QuestionType::Numerical, &json!({"value": 2.45, "tolerance": -0.01})).is_err());
    assert!(AnswerKey::from_json(QuestionType::Integer, &json!(7.5)).is_err());
    // The bank's key shape for a multi-correct key grades like the wire shape.
    let key = AnswerKey::from_json(QuestionType::MultiCorrect, &json!(["A", "B", "C"])).unwrap();
    assert_eq!(mark_of(QuestionType::MultiCorrect, &key, json!(["A", "C"])), m(2, Outcome::Partial));
}
