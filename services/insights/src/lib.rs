//! `insights`: aggregated regional views for municipalities and supporters,
//! built only from events of other services — never from their databases —
//! and never showing a single firm's figures.
//!
//! Its first view is the regional directory: how many organisations of each
//! kind have joined, per prefecture, kept current by consuming
//! `collab.organisation.registered`.

pub mod app;
pub mod db;
pub mod domain;
pub mod events;
pub mod http;

use std::sync::Arc;

use renkei_kernel::{
    service::{Context, StartError},
    storage::Migrations,
};

/// The service's name.
pub const NAME: &str = "insights";

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/insights/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/insights/postgres");

/// Its migrations on both engines, kernel tables included.
pub fn migrations() -> Migrations {
    Migrations::with_kernel(&SQLITE, &POSTGRES)
}

/// Opens the database, starts the relay and the consumers.
pub async fn start(ctx: &Context) -> Result<app::App, StartError> {
    let db = ctx.open(NAME, &migrations()).await?;
    ctx.consume(Arc::new(events::RegionalDirectory), &db)
        .await?;
    Ok(app::App::new(db))
}
