//! `orders`: the order cycle between partners — order, change,
//! cancellation, response, despatch advice, receipt advice — whether the
//! two sides use the web UI, the API or EDI files. Each document is checked
//! against the canonical rules and the cycle's state machine, stored
//! immutably with the order's new state, and published as an
//! `orders.order.*` event in the same transaction.
//!
//! Layers, as in every service: `http` → `app` → `domain`, with `db` and
//! `events`. Who may trade with whom comes from collab's partnership and
//! group events, never from collab's database.

pub mod app;
pub mod db;
pub mod domain;
pub mod events;
pub mod http;

use std::sync::Arc;

use renkei_kernel::{
    auth::Verifier,
    service::{Context, StartError},
    storage::Migrations,
};

/// The service's name: its schema, its SQLite file, its topic, its URL prefix.
pub const NAME: &str = "orders";

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/orders/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/orders/postgres");

/// Its migrations on both engines, kernel tables included.
pub fn migrations() -> Migrations {
    Migrations::with_kernel(&SQLITE, &POSTGRES)
}

/// Opens the database, starts the relay and the consumer of collab's
/// events; tokens are checked with `verifier`.
pub async fn start(ctx: &Context, verifier: Verifier) -> Result<app::App, StartError> {
    let db = ctx.open(NAME, &migrations()).await?;
    ctx.consume(Arc::new(events::CollabLinks), &db).await?;
    Ok(app::App::new(db, verifier))
}
