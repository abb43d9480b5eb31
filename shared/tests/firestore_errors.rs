//! The Firestore backend returns server errors instead of swallowing them (a known pitfall of
//! stream helpers that end a stream quietly on error), and the SQLite backend refuses the same
//! query. The Firestore half runs against the emulator when `FIRESTORE_EMULATOR_HOST` is set;
//! otherwise it says it was skipped.

use shared::store::firestore::FirestoreStore;
use shared::store::{CollectionPath, Op, Query, StoreError, Value};

async fn store() -> Option<std::sync::Arc<dyn shared::store::DocumentStore>> {
    if std::env::var_os("FIRESTORE_EMULATOR_HOST").is_none() {
        println!("skipped: FIRESTORE_EMULATOR_HOST not set");
        return None;
    }
    let project = format!("jv-err-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    Some(FirestoreStore::connect(&project, "(default)").await.expect("emulator"))
}

async fn rejected_query(store: std::sync::Arc<dyn shared::store::DocumentStore>) {
    let coll = CollectionPath::root("things").unwrap();
    // Firestore allows at most 30 values in an `in` filter.
    let values = (0..40).map(Value::IntegerValue).collect();
    let err = store.query(&Query::new(coll).filter("n", Op::In, Value::array(values))).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidArgument(_)), "{err:?}");
}

#[tokio::test]
async fn a_rejected_query_is_an_error_not_an_empty_result_on_firestore() {
    let Some(store) = store().await else { return };
    rejected_query(store).await;
}

#[tokio::test]
async fn the_sqlite_backend_enforces_the_same_limit() {
    rejected_query(std::sync::Arc::new(shared::store::sqlite::SqliteStore::in_memory().unwrap())).await;
}
