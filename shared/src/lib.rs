//! Domain crate of the JEEVibe backend, used by every function: domain types, the adaptive
//! engine (IRT), grading, the question bank, storage (SQLite and Firestore), Firebase auth,
//! daily quotas, HTTP plumbing and the runtime adapter (Lambda or plain HTTP).

pub mod account;
pub mod ai;
pub mod auth;
pub mod bank;
pub mod clock;
pub mod config;
pub mod domain;
pub mod grading;
pub mod http;
pub mod images;
pub mod irt;
pub mod jobs;
pub mod objects;
pub mod openapi;
pub mod pagination;
pub mod practice;
pub mod problem;
pub mod quota;
pub mod records;
pub mod resilience;
pub mod runtime;
pub mod snap;
pub mod snapshot;
pub mod startup;
pub mod store;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "testing")]
pub mod testing_gemini;
#[cfg(feature = "testing")]
pub mod testing_lambda;
#[cfg(feature = "testing")]
pub mod testing_openai;
#[cfg(feature = "testing")]
pub mod testing_servers;
pub mod tutor;
pub mod user_lock;
