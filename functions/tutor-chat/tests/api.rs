//! Black-box tests of tutor-chat: a real instance on loopback, a real SQLite store, and the real
//! OpenAI client talking to a local server that speaks the chat completions wire format
//! (shared::testing_openai), streaming and not.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use shared::config::Config;
use shared::domain::Tier;
use shared::testing::{TestApp, TestResponse};
use shared::testing_openai::{FakeOpenAi, Reply};

struct Tutor {
    app: TestApp,
    ai: FakeOpenAi,
}

async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Tutor {
    let ai = FakeOpenAi::start().await;
    let base = ai.base_url();
    let routes = tutor_chat::router().merge(quiz_generate::router()).merge(quiz_complete::router());
    let app = TestApp::spawn_with(routes, move |c| {
        c.openai.api_key = Some("sk-test".into());
        c.openai.base_url = base;
        c.openai.deadline = Duration::from_secs(3);
        tweak(c);
    })
    .await;
    Tutor { app, ai }
}

async fn spawn() -> Tutor {
    spawn_with(|_| {}).await
}

/// Server-sent events read from a response: (event name, JSON data).
async fn read_events(mut res: reqwest::Response) -> Vec<(String, Value)> {
    let mut buf = String::new();
    while let Ok(Some(chunk)) = res.chunk().await {
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
    parse_events(&buf)
}

fn parse_events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = "message".to_owned();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            (!data.is_empty()).then(|| (name, serde_json::from_str(&data).unwrap_or(Value::Null)))
        })
        .collect()
}

impl Tutor {
    async fn conversation(&self, token: &str, body: Option<Value>) -> TestResponse {
        self.app.send(Method::POST, "/v1/tutor/conversations", Some(token), body).await
    }

    async fn new_conversation(&self, token: &str) -> String {
        let r = self.conversation(token, None).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body["conversation_id"].as_str().unwrap().to_owned()
    }

    async fn say(&self, token: &str, conv: &str, content: &str, key: Option<&str>) -> TestResponse {
        let mut req = self
            .app
            .client
            .post(format!("{}/v1/tutor/conversations/{conv}/messages", self.app.base))
            .bearer_auth(token)
            .json(&json!({"content": content}));
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        TestApp::read(req.send().await.unwrap()).await
    }

    async fn say_streaming(&self, token: &str, conv: &str, content: &str) -> reqwest::Response {
        self.app
            .client
            .post(format!("{}/v1/tutor/conversations/{conv}/messages", self.app.base))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .json(&json!({"content": content}))
            .send()
            .await
            .unwrap()
    }

    async fn used(&self, uid: &str) -> i64 {
        self.app.doc_json(&format!("users/{uid}")).await["usage"]["2026-11-28"]["tutor_messages"].as_i64().unwrap_or(0)
    }

    async fn messages(&self, token: &str, conv: &str) -> Vec<Value> {
        let r = self.app.get(&format!("/v1/tutor/conversations/{conv}/messages?limit=100"), token).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["messages"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn a_json_turn_sends_the_documented_request_and_is_stored() {
    let t = spawn().await;
    let tok = t.app.token("asha", Tier::Pro);
    let conv = t.new_conversation(&tok).await;
    t.ai.push(Reply::answer("What does the range formula need? Try $R = u^2 \\sin 2\\theta / g$."));
    let r = t.say(&tok, &conv, "projectile range kaise nikalte hain?", None).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["status"], "complete");
    assert!(r.body["content"].as_str().unwrap().contains("range formula"));
    assert_eq!(r.body["finish_reason"], "stop");
    assert!(r.body["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert_eq!(r.header("ratelimit"), Some("\"tutor\";r=49;t=43200"));
    let sent = t.ai.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v1/chat/completions");
    assert_eq!(sent[0].headers["authorization"], "Bearer sk-test");
    assert_eq!(sent[0].body["model"], "gpt-4o-mini");
    assert_eq!(sent[0].body["max_tokens"], 2048, "Pro's answer budget");
    assert_ne!(sent[0].body["stream"], true);
    let msgs = sent[0].body["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["role"], "system");
    assert!(msgs[0]["content"].as_str().unwrap().contains("Hinglish"));
    assert_eq!(msgs.last().unwrap()["content"], "projectile range kaise nikalte hain?");
    assert_eq!(t.used("asha").await, 1);

    // The next turn carries the previous one as history.
    t.ai.push(Reply::answer("Good. Now substitute."));
    assert_eq!(t.say(&tok, &conv, "u = 20, theta = 45", None).await.status, 201);
    let msgs = t.ai.requests()[1].body["messages"].as_array().unwrap().clone();
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, vec!["system", "user", "assistant", "user"]);
    let stored = t.messages(&tok, &conv).await;
    assert_eq!(stored.len(), 4);
    assert_eq!(stored[1]["role"], "assistant");
    let list = t.app.get("/v1/tutor/conversations", &tok).await;
    assert_eq!(list.body["items"][0]["conversation_id"], conv.as_str());
    assert_eq!(list.body["items"][0]["messages"], 4);
}

#[tokio::test]
async fn streaming_turns_deliver_deltas_then_done() {
    let t = spawn().await;
    let tok = t.app.token("bina", Tier::Free);
    let conv = t.new_conversation(&tok).await;
    t.ai.push(Reply::stream(&["Think ", "about ", "energy."]).with_preamble().with_keep_alives());
    let res = t.say_streaming(&tok, &conv, "why is work path independent?").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    assert_eq!(res.headers()["ratelimit"], "\"tutor\";r=9;t=43200");
    let events = read_events(res).await;
    let text: String = events.iter().filter(|(n, _)| n == "delta").map(|(_, d)| d["text"].as_str().unwrap()).collect();
    assert_eq!(text, "Think about energy.");
    let (name, done) = events.last().unwrap();
    assert_eq!(name, "done", "{events:?}");
    assert_eq!(done["finish_reason"], "stop");
    assert_eq!(done["usage"]["output_tokens"], 3);
    let id = done["message_id"].as_str().unwrap();
    assert_eq!(t.ai.requests()[0].body["stream"], true);
    assert_eq!(t.ai.requests()[0].body["max_tokens"], 1024, "Free's answer budget");
    let stored = t.messages(&tok, &conv).await;
    assert_eq!(stored[1]["message_id"], id);
    assert_eq!(stored[1]["content"], "Think about energy.");
    assert_eq!(stored[1]["status"], "complete");
    assert_eq!(t.used("bina").await, 1);
}

#[tokio::test]
async fn cut_streams_end_with_an_error_event_and_are_not_charged() {
    let t = spawn().await;
    let tok = t.app.token("chitra", Tier::Free);
    let conv = t.new_conversation(&tok).await;
    for reply in [
        Reply::stream(&["Part ", "one ", "two ", "three"]).cut_after(3),
        Reply::stream(&["Only ", "half"]).without_done(),
    ] {
        t.ai.push(reply);
        let events = read_events(t.say_streaming(&tok, &conv, "explain").await).await;
        let (name, err) = events.last().unwrap();
        assert_eq!(name, "error", "{events:?}");
        assert_eq!(err["partial"], true);
        assert!(!events.iter().any(|(n, _)| n == "done"));
    }
    let stored = t.messages(&tok, &conv).await;
    let answers: Vec<&Value> = stored.iter().filter(|m| m["role"] == "assistant").collect();
    assert_eq!(answers.len(), 2);
    assert!(answers.iter().all(|a| a["status"] == "incomplete"));
    assert_eq!(answers[1]["content"], "Only half");
    assert_eq!(t.used("chitra").await, 0, "incomplete answers are not charged");
}

#[tokio::test]
async fn a_client_that_disconnects_stops_the_upstream_read() {
    let t = spawn().await;
    let tok = t.app.token("devi", Tier::Free);
    let conv = t.new_conversation(&tok).await;
    let words: Vec<String> = (0..200).map(|i| format!("w{i} ")).collect();
    let deltas: Vec<&str> = words.iter().map(String::as_str).collect();
    t.ai.push(Reply::stream(&deltas).slow(20));
    let mut res = t.say_streaming(&tok, &conv, "long answer please").await;
    let first = res.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("delta"));
    drop(res);
    let mut stored = Vec::new();
    for _ in 0..100 {
        stored = t.messages(&tok, &conv).await;
        if stored.iter().any(|m| m["role"] == "assistant" && m["status"] != "pending") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answer = stored.iter().find(|m| m["role"] == "assistant").expect("answer stored");
    assert_eq!(answer["status"], "incomplete");
    assert_eq!(answer["error"], "client_disconnected");
    assert!(answer["content"].as_str().unwrap().starts_with("w0 "));
    let stats = t.ai.streams();
    assert!(stats[0].written < stats[0].planned, "{stats:?}");
    assert_eq!(t.used("devi").await, 0);
}

#[tokio::test]
async fn provider_errors_map_to_codes_and_retries_happen_before_the_first_token() {
    let t = spawn().await;
    let tok = t.app.token("esha", Tier::Pro);
    let conv = t.new_conversation(&tok).await;
    t.ai.push(Reply::rate_limited(200));
    t.ai.push(Reply::answer("after the wait"));
    let r = t.say(&tok, &conv, "q1", None).await;
    assert_eq!((r.status.as_u16(), r.body["content"].as_str()), (201, Some("after the wait")));
    assert_eq!(t.ai.count(), 2);

    t.ai.push(Reply::insufficient_quota());
    let r = t.say(&tok, &conv, "q2", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (503, "ai_quota_exhausted"), "{:?}", r.body);
    assert_eq!(t.ai.count(), 3, "an exhausted account is not retried");

    t.ai.push(Reply::server_error());
    t.ai.push(Reply::stream(&["ok"]));
    let events = read_events(t.say_streaming(&tok, &conv, "q3").await).await;
    assert_eq!(events.last().unwrap().0, "done");
    assert_eq!(t.ai.count(), 5);

    t.ai.push(Reply::answer("slow").delayed(5_000));
    let r = t.say(&tok, &conv, "q4", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (504, "ai_timeout"), "{:?}", r.body);
    assert_eq!(t.used("esha").await, 2, "only the two answered turns are charged");
}

#[tokio::test]
async fn the_breaker_opens_after_repeated_failures_and_fails_fast() {
    let t = spawn_with(|c| c.openai.deadline = Duration::from_secs(2)).await;
    let tok = t.app.token("farah", Tier::Ultra);
    let conv = t.new_conversation(&tok).await;
    t.ai.set_default(Reply::server_error());
    let mut last = None;
    for i in 0..6 {
        let r = t.say(&tok, &conv, &format!("q{i}"), None).await;
        assert_eq!(r.status, 503, "{:?}", r.body);
        last = Some(r);
    }
    let calls = t.ai.count();
    let r = t.say(&tok, &conv, "again", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (503, "ai_unavailable"));
    assert!(r.header("retry-after").is_some());
    assert_eq!(t.ai.count(), calls, "an open breaker makes no call");
    assert!(last.is_some());
}

#[tokio::test]
async fn a_200_turn_conversation_sends_at_most_the_tiers_budget() {
    let t = spawn().await;
    let tok = t.app.token("gita", Tier::Free);
    let conv = t.new_conversation(&tok).await;
    // 200 earlier turns stored as the function stores them.
    let now = shared::testing::default_now();
    let mut writes = Vec::new();
    for seq in 0..200u32 {
        let turn = shared::records::conversation::TurnDoc {
            uid: "gita".into(),
            seq,
            status: shared::records::conversation::TurnStatus::Complete,
            user: format!("question {seq}: {}", "why ".repeat(40)),
            assistant: format!("answer {seq}: {}", "because ".repeat(60)),
            created_at: shared::store::Timestamp(now),
            updated_at: shared::store::Timestamp(now),
            quota_day: shared::domain::IstDay::of(now),
            request_hash: String::new(),
            idempotency_key: None,
            finish_reason: Some("stop".into()),
            usage: None,
            error: None,
        };
        let path = shared::records::conversation::TurnDoc::path(&conv, &format!("tn_seed{seq:05}")).unwrap();
        writes.push(shared::store::Write::set(path, shared::store::to_fields(&turn).unwrap()));
    }
    let conv_path = shared::records::conversation::ConversationDoc::path(&conv).unwrap();
    let mut doc: shared::records::conversation::ConversationDoc =
        t.app.store.get(&conv_path, None).await.unwrap().unwrap().decode().unwrap();
    doc.turns = 200;
    writes.push(shared::store::Write::set(conv_path, shared::store::to_fields(&doc).unwrap()));
    shared::store::commit_chunked(t.app.store.as_ref(), writes).await.unwrap();

    t.ai.push(Reply::answer("Summary: the student asked why-questions about mechanics."));
    t.ai.push(Reply::answer("Let's continue."));
    let r = t.say(&tok, &conv, "next one", None).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let sent = t.ai.requests();
    assert_eq!(sent.len(), 2, "a summary refresh, then the answer");
    let answer_msgs: Vec<shared::ai::ChatMessage> = serde_json::from_value(sent[1].body["messages"].clone()).unwrap();
    let budget = 4096 - 1024;
    let estimate = shared::tutor::prompt::estimate_messages(&answer_msgs);
    assert!(estimate <= budget, "{estimate} > {budget}");
    assert!(answer_msgs.len() < 40, "{} messages", answer_msgs.len());
    assert!(answer_msgs.iter().any(|m| m.content.contains("Summary: the student asked")));
    assert_eq!(answer_msgs.last().unwrap().content, "next one");
    let conv_doc = t.app.doc_json(&format!("conversations/{conv}")).await;
    assert!(conv_doc["summarized_through"].as_i64().unwrap() > 150);
}

#[tokio::test]
async fn tutor_quota_is_exact_under_20_concurrent_requests_per_tier() {
    let t = spawn().await;
    t.ai.set_default(Reply::answer("ok").delayed(30));
    for (tier, uid, expect) in [(Tier::Free, "qt-free", 10), (Tier::Pro, "qt-pro", 20), (Tier::Ultra, "qt-ultra", 20)] {
        let tok = t.app.token(uid, tier);
        let conv = t.new_conversation(&tok).await;
        let before = t.ai.count();
        let results = futures::future::join_all((0..20).map(|i| {
            let (tok, conv) = (tok.clone(), conv.clone());
            let t = &t;
            async move { t.say(&tok, &conv, &format!("m{i}"), None).await }
        }))
        .await;
        let ok = results.iter().filter(|r| r.status == 201).count();
        assert_eq!(ok, expect, "{tier:?}: {:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
        assert_eq!(results.iter().filter(|r| r.status == 429).count(), 20 - expect);
        assert_eq!(t.ai.count() - before, expect);
        assert_eq!(t.used(uid).await, expect as i64);
    }
}

#[tokio::test]
async fn idempotent_messages_replay_conflict_and_refuse_reuse() {
    let t = spawn().await;
    let tok = t.app.token("hema", Tier::Free);
    let conv = t.new_conversation(&tok).await;
    t.ai.push(Reply::answer("first answer"));
    let a = t.say(&tok, &conv, "hello", Some("k1")).await;
    assert_eq!(a.status, 201);
    let b = t.say(&tok, &conv, "hello", Some("k1")).await;
    assert_eq!(b.status, 200);
    assert_eq!(b.header("idempotent-replayed"), Some("true"));
    assert_eq!(b.body["content"], "first answer");
    assert_eq!(b.body["message_id"], a.body["message_id"]);
    assert_eq!(t.ai.count(), 1);
    assert_eq!(t.used("hema").await, 1);
    assert_eq!(t.say(&tok, &conv, "other", Some("k1")).await.code(), "idempotency_key_reused");
    t.ai.set_default(Reply::answer("slow").delayed(400));
    let both =
        futures::future::join(t.say(&tok, &conv, "dup", Some("k2")), t.say(&tok, &conv, "dup", Some("k2"))).await;
    let mut statuses = [both.0.status.as_u16(), both.1.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    assert_eq!(t.used("hema").await, 2);
    assert_eq!(t.messages(&tok, &conv).await.len(), 4, "no duplicate turn");
}

#[tokio::test]
async fn anchors_use_only_the_callers_own_context() {
    let t = spawn().await;
    let tok = t.app.token("isha", Tier::Free);
    let other = t.app.token("jaya", Tier::Free);
    // Isha completes a quiz; a conversation anchored to one of its questions carries it.
    let quiz = t.app.post("/v1/quizzes", &tok, json!({"subject": "physics", "size": 2})).await;
    let quiz_id = quiz.body["quiz_id"].as_str().unwrap().to_owned();
    let question = quiz.body["questions"][0].clone();
    let qid = question["id"].as_str().unwrap().to_owned();
    let done = t.app.post(&format!("/v1/quizzes/{quiz_id}/complete"), &tok, json!({"answers": []})).await;
    assert_eq!(done.status, 200);
    let c = t.conversation(&tok, Some(json!({"quiz_id": quiz_id, "question_id": qid}))).await;
    assert_eq!(c.status, 201, "{:?}", c.body);
    let conv = c.body["conversation_id"].as_str().unwrap().to_owned();
    t.ai.push(Reply::answer("Let's look at it."));
    assert_eq!(t.say(&tok, &conv, "explain this", None).await.status, 201);
    let sent = t.ai.requests()[0].body["messages"].to_string();
    assert!(sent.contains(question["stem"].as_str().unwrap().split('$').next().unwrap()));
    assert!(sent.contains("Worked solution"));

    // Jaya cannot anchor to Isha's quiz or snap, nor use Isha's conversation.
    let r = t.conversation(&other, Some(json!({"quiz_id": quiz_id, "question_id": qid}))).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "quiz_not_owned"));
    let foreign_snap = shared::domain::SnapId::generate(&shared::domain::UserId::parse("isha").unwrap());
    let r = t.conversation(&other, Some(json!({"snap_id": foreign_snap.as_str()}))).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "snap_not_found"));
    assert_eq!(t.say(&other, &conv, "hi", None).await.code(), "conversation_not_found");
    assert_eq!(
        t.app.get(&format!("/v1/tutor/conversations/{conv}/messages"), &other).await.code(),
        "conversation_not_found"
    );
    let r = t.conversation(&tok, Some(json!({"quiz_id": quiz_id}))).await;
    assert_eq!(r.code(), "invalid_request");
    assert_eq!(t.ai.count(), 1);
}

#[tokio::test]
async fn a_quiz_moved_into_a_batch_can_still_be_an_anchor() {
    let t = spawn().await;
    let tok = t.app.token("lina", Tier::Pro);
    let mut quizzes = Vec::new();
    for _ in 0..shared::records::COMPLETED_BATCH_SIZE {
        let quiz = t.app.post("/v1/quizzes", &tok, json!({"subject": "physics", "size": 1})).await;
        let quiz_id = quiz.body["quiz_id"].as_str().unwrap().to_owned();
        let done = t.app.post(&format!("/v1/quizzes/{quiz_id}/complete"), &tok, json!({"answers": []})).await;
        assert_eq!(done.status, 200);
        quizzes.push((quiz_id, quiz.body["questions"][0].clone()));
    }
    // The 10th completion moved all of them out of the user document into one batch.
    assert_eq!(t.app.doc_json("users/lina").await["completed_quizzes"], json!({}));
    let (quiz_id, question) = &quizzes[0];
    let c = t.conversation(&tok, Some(json!({"quiz_id": quiz_id, "question_id": question["id"]}))).await;
    assert_eq!(c.status, 201, "{:?}", c.body);
    let conv = c.body["conversation_id"].as_str().unwrap().to_owned();
    t.ai.push(Reply::answer("Let's look at it."));
    assert_eq!(t.say(&tok, &conv, "explain this", None).await.status, 201);
    let sent = t.ai.requests()[0].body["messages"].to_string();
    assert!(sent.contains(question["stem"].as_str().unwrap().split('$').next().unwrap()));
    // A question not in that quiz is still refused.
    let (_, other_question) = quizzes.iter().find(|(_, q)| q["id"] != question["id"]).unwrap();
    let r = t.conversation(&tok, Some(json!({"quiz_id": quiz_id, "question_id": other_question["id"]}))).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "answer_not_in_quiz"), "{:?}", r.body);
}

#[tokio::test]
async fn message_limits_and_missing_key() {
    let t = spawn().await;
    let tok = t.app.token("kavya", Tier::Free);
    let conv = t.new_conversation(&tok).await;
    assert_eq!(t.say(&tok, &conv, &"a".repeat(2_001), None).await.code(), "message_too_long");
    assert_eq!(t.say(&tok, &conv, &"क".repeat(2_001), None).await.code(), "message_too_long", "2,001 Devanagari");
    assert_eq!(t.say(&tok, &conv, "   ", None).await.code(), "invalid_request");
    let r = t
        .app
        .client
        .post(format!("{}/v1/tutor/conversations/{conv}/messages", t.app.base))
        .bearer_auth(&tok)
        .json(&json!({"content": 5}))
        .send()
        .await
        .unwrap();
    let r = TestApp::read(r).await;
    assert_eq!(r.code(), "malformed_body");
    assert_eq!(t.ai.count(), 0);

    let t = spawn_with(|c| c.openai.api_key = None).await;
    let tok = t.app.token("lata", Tier::Free);
    let conv = t.new_conversation(&tok).await;
    let r = t.say(&tok, &conv, "hello", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (503, "ai_unavailable"));
    assert!(r.body["detail"].as_str().unwrap().contains("OPENAI_API_KEY"));
    assert_eq!(t.app.get("/v1/tutor/conversations", &tok).await.status, 200);
}

#[tokio::test]
async fn a_client_gone_before_the_answer_starts_never_leaves_a_pending_turn() {
    let t = spawn().await;
    let tok = t.app.token("mira", Tier::Pro);
    let conv = t.new_conversation(&tok).await;
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(150)).build().unwrap();
    // JSON: the answer is still produced and stored (and charged: it completed).
    t.ai.push(Reply::answer("worth the wait").delayed(600));
    let cut = impatient
        .post(format!("{}/v1/tutor/conversations/{conv}/messages", t.app.base))
        .bearer_auth(&tok)
        .json(&json!({"content": "json then leave"}))
        .send()
        .await;
    assert!(cut.is_err(), "the client timed out");
    // SSE: the client leaves before the first token; the turn is incomplete and released.
    t.ai.push(Reply::stream(&["late ", "tokens"]).delayed(600));
    let cut = impatient
        .post(format!("{}/v1/tutor/conversations/{conv}/messages", t.app.base))
        .bearer_auth(&tok)
        .header("accept", "text/event-stream")
        .json(&json!({"content": "stream then leave"}))
        .send()
        .await;
    assert!(cut.is_err());
    let mut answers = Vec::new();
    for _ in 0..60 {
        answers = t.messages(&tok, &conv).await.into_iter().filter(|m| m["role"] == "assistant").collect::<Vec<_>>();
        if answers.len() == 2 && answers.iter().all(|a| a["status"] != "pending") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[0]["status"], "complete");
    assert_eq!(answers[0]["content"], "worth the wait");
    assert_eq!(answers[1]["status"], "incomplete");
    assert_eq!(answers[1]["error"], "client_disconnected");
    assert_eq!(t.used("mira").await, 1);
}
