//! The kernel every Renkei service stands on.
//!
//! Settings, storage on SQLite or PostgreSQL, events with their transactional
//! outbox, the bus (local or Kafka) with idempotent consumers, access tokens and
//! the principal of a request, the API error shape, HTTP plumbing and telemetry live here once, so that a service crate
//! only holds its own domain, use cases, queries and handlers.

pub mod auth;
pub mod bus;
pub mod error;
pub mod events;
pub mod http;
pub mod idempotency;
pub mod service;
pub mod settings;
pub mod storage;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{ApiError, Code, JsonBody};
pub use settings::Settings;
pub use storage::Db;
