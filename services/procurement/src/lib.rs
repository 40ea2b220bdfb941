//! `procurement`: joint ordering (共同発注). A wholesaler or a district
//! association opens a round; shops of the invited shopping districts add
//! what they want to buy until the cut-off; the pooled quantities reach
//! lower price tiers than any shop would alone and go to the wholesaler as
//! one order, delivered once per district.
//!
//! Layers, as in every service: `http` → `app` → `domain`, with `db` and
//! `events`. The [`domain`] holds the rules of a round, free of storage,
//! HTTP and the bus. Around it:
//! - shops' intents are stored as submitted and published as events; the
//!   live pool is a projection kept by consuming those events
//!   ([`events::PoolProjector`]), on the local bus or Kafka alike;
//! - who belongs to which district comes from collab's group events
//!   ([`events::Districts`]);
//! - the round closes once, at its cut-off or early, and its consolidated
//!   order goes to the `orders` service as a `procurement.round.closed`
//!   event; the wholesaler's answer comes back as `orders.order.*` events
//!   ([`events::OrderFeedback`]) and is allocated to the shops.

pub mod app;
pub mod db;
pub mod domain;
pub mod events;
pub mod http;

use std::{sync::Arc, time::Duration};

use renkei_kernel::{
    auth::Verifier,
    service::{Context, StartError},
    storage::{Migrations, now_ms},
};

/// The service's name: its schema, its SQLite file, its topic, its URL prefix.
pub const NAME: &str = "procurement";

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/procurement/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/procurement/postgres");

/// Its migrations on both engines, kernel tables included.
pub fn migrations() -> Migrations {
    Migrations::with_kernel(&SQLITE, &POSTGRES)
}

/// How often each instance looks for rounds whose cut-off has passed.
/// Lateness here never lets a late intent in: intents are refused from the
/// cut-off on, whenever the round is closed.
pub const CLOSE_SWEEP: Duration = Duration::from_secs(1);

/// Opens the database and starts the relay, the consumers (collab's
/// groups, its own intents, the orders service's answers) and the sweep
/// that closes rounds at their cut-off. The `orders` service must have
/// been started before on the local bus, as its events are read here.
pub async fn start(ctx: &Context, verifier: Verifier) -> Result<app::App, StartError> {
    let db = ctx.open(NAME, &migrations()).await?;
    ctx.consume(Arc::new(events::Districts), &db).await?;
    ctx.consume(Arc::new(events::PoolProjector), &db).await?;
    ctx.consume(Arc::new(events::OrderFeedback), &db).await?;
    let app = app::App::new(db, verifier);
    let sweeper = app.clone();
    let shutdown = ctx.shutdown.clone();
    ctx.spawn(async move {
        loop {
            if let Err(e) = sweeper.close_due(now_ms()).await {
                tracing::warn!(error = %e, "closing rounds past their cut-off failed; retrying");
            }
            if let Err(e) = sweeper.books_due().await {
                tracing::warn!(error = %e, "writing missing request books failed; retrying");
            }
            tokio::select! {
                _ = tokio::time::sleep(CLOSE_SWEEP) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    });
    Ok(app)
}
