//! The JSON a client receives for a snap.

use serde_json::{Value, json};

use shared::domain::{QuestionId, ServedQuestion, SnapId};
use shared::http::AppState;
use shared::records::snap::SnapDoc;

/// The snap as served: status, times, a short-lived image URL, the solution, the similar bank
/// questions (served without answers), model usage, or the failure.
pub async fn snap_body(state: &AppState, id: &SnapId, snap: &SnapDoc, replayed: bool) -> Value {
    let image_url = state.objects.url(&snap.image.key, state.snaps.url_ttl).await.ok();
    let bank = state.bank.get().await.ok();
    let similar: Vec<Value> = snap
        .similar
        .iter()
        .filter_map(|q| {
            let id = QuestionId::parse(q).ok()?;
            let bank = bank.as_ref()?;
            serde_json::to_value(ServedQuestion::from(bank.get(&id)?)).ok()
        })
        .collect();
    json!({
        "snap_id": id,
        "status": snap.status,
        "replayed": replayed,
        "created_at": snap.created_at.to_rfc3339(),
        "expires_at": snap.expires_at.as_ref().map(|t| t.to_rfc3339()),
        "image": {
            "url": image_url.as_ref().map(|u| u.url.clone()),
            "url_expires_at": image_url.as_ref().map(|u| shared::store::Timestamp(u.expires_at).to_rfc3339()),
            "mime_type": snap.image.mime_type,
            "bytes": snap.image.bytes,
            "width": snap.image.width,
            "height": snap.image.height,
        },
        "solution": snap.solution,
        "similar_questions": similar,
        "model": snap.usage,
        "failure": snap.failure,
    })
}

/// The short form used in listings (no solution steps, no image URL).
pub fn snap_summary(id: &SnapId, snap: &SnapDoc) -> Value {
    json!({
        "snap_id": id,
        "status": snap.status,
        "created_at": snap.created_at.to_rfc3339(),
        "expires_at": snap.expires_at.as_ref().map(|t| t.to_rfc3339()),
        "question_text": snap.solution.as_ref().map(|s| s.question_text.clone()),
        "subject": snap.solution.as_ref().map(|s| s.subject.clone()),
        "chapter": snap.solution.as_ref().map(|s| s.chapter.clone()),
        "topic": snap.solution.as_ref().map(|s| s.topic.clone()),
        "final_answer": snap.solution.as_ref().map(|s| s.final_answer.clone()),
    })
}
