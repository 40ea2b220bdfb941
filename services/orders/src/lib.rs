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

use std::{sync::Arc, time::Duration};

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

/// How often waiting inbound documents are tried again.
pub const INBOUND_RETRY: Duration = Duration::from_secs(1);

/// Places the consolidated orders of procurement's rounds: consumes
/// `procurement.round.closed` and submits each order in its buyer's name.
/// On the local bus procurement must be started first.
pub async fn follow_rounds(ctx: &Context, app: &app::App) -> Result<(), StartError> {
    ctx.consume(Arc::new(events::RoundOrders), app.db()).await?;
    let app = app.clone();
    let shutdown = ctx.shutdown.clone();
    ctx.spawn(async move {
        loop {
            match app.inbound_drain().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "submitting inbound order documents failed; retrying"),
            }
            tokio::select! {
                _ = tokio::time::sleep(INBOUND_RETRY) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    });
    Ok(())
}
