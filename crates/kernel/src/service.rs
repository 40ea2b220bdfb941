//! What a service needs to start: its database (connected, migrated, with its
//! outbox relay running) and its consumers, all stopped by one shutdown token.

use std::sync::{Arc, Mutex};

use sqlx::migrate::Migrator;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{
    bus::{Bus, BusError, Handler},
    settings::Settings,
    storage::{Db, Migrations, StorageError},
};

static KERNEL_SQLITE: Migrator = sqlx::migrate!("../../migrations/kernel/sqlite");
static KERNEL_POSTGRES: Migrator = sqlx::migrate!("../../migrations/kernel/postgres");

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Its database.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The bus.
    #[error(transparent)]
    Bus(#[from] BusError),
    /// Anything else a service must do before it can serve.
    #[error("{0}")]
    Other(String),
}

impl Migrations {
    /// A service's migrations preceded by the kernel's own tables (outbox,
    /// processed events, positions, dead letters, idempotency keys).
    /// Service migration versions must be above 100.
    pub fn with_kernel(sqlite: &Migrator, postgres: &Migrator) -> Migrations {
        Migrations {
            sqlite: merge(&KERNEL_SQLITE, sqlite),
            postgres: merge(&KERNEL_POSTGRES, postgres),
        }
    }
}

fn merge(kernel: &Migrator, service: &Migrator) -> Migrator {
    let mut all: Vec<_> = kernel.iter().chain(service.iter()).cloned().collect();
    all.sort_by_key(|m| m.version);
    Migrator {
        migrations: all.into(),
        ..Migrator::DEFAULT
    }
}

/// Shared by the services of one process.
#[derive(Clone)]
pub struct Context {
    /// Effective settings.
    pub settings: Arc<Settings>,
    /// The process's bus.
    pub bus: Bus,
    /// Cancelled on SIGTERM/ctrl-c.
    pub shutdown: CancellationToken,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Context {
    /// A context for these settings.
    pub fn new(settings: Settings) -> Context {
        let bus = Bus::new(settings.bus.clone());
        Context {
            settings: Arc::new(settings),
            bus,
            shutdown: CancellationToken::new(),
            tasks: Arc::default(),
        }
    }

    /// Connects a service's database and runs its migrations, without
    /// starting anything (used by `renkei migrate`).
    pub async fn migrate(&self, service: &str, migrations: &Migrations) -> Result<Db, StartError> {
        let db = Db::connect(service, &self.settings.storage).await?;
        db.migrate(migrations).await?;
        Ok(db)
    }

    /// Connects and migrates a service's database and starts its outbox relay.
    pub async fn open(&self, service: &str, migrations: &Migrations) -> Result<Db, StartError> {
        let db = self.migrate(service, migrations).await?;
        let relay = self
            .bus
            .spawn_relay(db.clone(), self.shutdown.clone())
            .await?;
        self.track(vec![relay]);
        Ok(db)
    }

    /// Starts a consumer whose effects go into `db`.
    pub async fn consume(&self, handler: Arc<dyn Handler>, db: &Db) -> Result<(), StartError> {
        let tasks = self
            .bus
            .spawn_consumer(handler, db.clone(), self.shutdown.clone())
            .await?;
        self.track(tasks);
        Ok(())
    }

    /// Runs a service's own background task (it must end when `shutdown` is
    /// cancelled); [`Context::join`] waits for it.
    pub fn spawn<F>(&self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.track(vec![tokio::spawn(task)]);
    }

    fn track(&self, handles: Vec<JoinHandle<()>>) {
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(handles);
    }

    /// After shutdown: waits for relays and consumers to finish their round.
    pub async fn join(&self) {
        let handles: Vec<_> =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for handle in handles {
            let _ = handle.await;
        }
    }
}
