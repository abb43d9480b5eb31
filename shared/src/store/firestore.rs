//! Firestore backend (see issue 3): implemented on the `firestore` crate.

use super::StoreError;

/// Firestore implementation of [`super::DocumentStore`].
pub struct FirestoreStore;

impl FirestoreStore {
    /// Connects to Firestore.
    ///
    /// # Errors
    /// Always, until the backend lands.
    pub async fn connect(
        _project_id: &str,
        _database_id: &str,
    ) -> Result<std::sync::Arc<dyn super::DocumentStore>, StoreError> {
        Err(StoreError::Unavailable("the Firestore backend is not built yet".into()))
    }
}
