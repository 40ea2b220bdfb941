//! `collab`: the collaboration layer every other service stands on — who is
//! who (organisations and their people), who may do what (roles, tokens,
//! signing keys), what happened (the audit log), and later who works with whom.
//!
//! Layers, as in every service: `http` (thin handlers, REST and GraphQL) →
//! `app` (use cases, transactions, checks) → `domain` (validated types) with
//! `db` (queries) and `events` (what it publishes).

pub mod app;
pub mod db;
pub mod domain;
pub mod events;
pub mod http;

use renkei_kernel::{
    service::{Context, StartError},
    storage::Migrations,
};

/// The service's name: its schema, its SQLite file, its topic, its URL prefix.
pub const NAME: &str = "collab";

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/collab/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/collab/postgres");

/// Its migrations on both engines, kernel tables included.
pub fn migrations() -> Migrations {
    Migrations::with_kernel(&SQLITE, &POSTGRES)
}

/// Delivers the events of `sources` (services started after collab, such
/// as orders) to the webhooks of the apps installed at their parties.
pub async fn follow(ctx: &Context, app: &app::App, sources: &[&str]) -> Result<(), StartError> {
    ctx.consume(
        std::sync::Arc::new(app::WebhookFanout::new(sources)),
        app.db(),
    )
    .await
}

/// Opens the database and starts the relay; returns the state handlers use.
pub async fn start(ctx: &Context) -> Result<app::App, StartError> {
    let db = ctx.open(NAME, &migrations()).await?;
    let app = app::App::new(db.clone(), ctx.settings.auth.clone());
    app.keys_ensure()
        .await
        .map_err(|e| StartError::Other(format!("{NAME}: preparing signing keys: {e}")))?;
    ctx.consume(std::sync::Arc::new(app::WebhookFanout::new(&[NAME])), &db)
        .await?;
    ctx.spawn(app::run_dispatcher(
        db,
        ctx.settings.webhooks.clone(),
        ctx.shutdown.clone(),
    ));
    Ok(app)
}
