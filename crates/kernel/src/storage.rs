//! Storage: one sqlx pool per service, on SQLite or PostgreSQL.
//!
//! Repository code is written once against `sqlx::Any` in the portable subset
//! of SQL that both engines accept (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`), with only `BIGINT`, `TEXT` and `BYTEA`/`BLOB` columns.
//! Each service owns its data: its own SQLite file (`<data_dir>/<service>.sqlite`)
//! or its own PostgreSQL schema (named after the service), and its own
//! migrations for both engines under `migrations/<service>/<backend>/`.

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    Any, AnyPool, Executor, any::AnyPoolOptions, migrate::Migrator, pool::PoolConnection,
    postgres::PgConnectOptions,
};

use crate::settings::{Backend, StorageSettings};

/// A transaction on a service's database.
pub type Tx = sqlx::Transaction<'static, Any>;
/// A connection borrowed from a service's pool.
pub type Conn = sqlx::AnyConnection;

/// Why a database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database did not answer or refused the connection.
    #[error("cannot connect to {backend} for service `{service}` ({target}): {source}")]
    Connect {
        /// Engine.
        backend: Backend,
        /// Service whose database it is.
        service: String,
        /// File path or host (never the password).
        target: String,
        /// Driver error.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed; the database is left at the last good version.
    #[error("migration of service `{service}` on {backend} failed: {source}")]
    Migrate {
        /// Engine.
        backend: Backend,
        /// Service whose migrations failed.
        service: String,
        /// Migrator error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Both migration sets of one service, embedded in the binary.
pub struct Migrations {
    /// Migrations for SQLite.
    pub sqlite: Migrator,
    /// Migrations for PostgreSQL.
    pub postgres: Migrator,
}

impl Migrations {
    /// The set for one engine.
    pub fn for_backend(&self, backend: Backend) -> &Migrator {
        match backend {
            Backend::Sqlite => &self.sqlite,
            Backend::Postgres => &self.postgres,
        }
    }
}

/// A service's database: its pool and which engine it is.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    service: Arc<str>,
}

impl Db {
    /// Opens (creating if needed) the database of `service`.
    pub async fn connect(service: &str, settings: &StorageSettings) -> Result<Db, StorageError> {
        sqlx::any::install_default_drivers();
        let timeout = Duration::from_secs(settings.connect_timeout_secs.max(1));
        let (url, target) = match settings.backend {
            Backend::Sqlite => {
                std::fs::create_dir_all(&settings.data_dir).map_err(|source| {
                    StorageError::DataDir {
                        path: settings.data_dir.display().to_string(),
                        source,
                    }
                })?;
                let path = settings.data_dir.join(format!("{service}.sqlite"));
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    path.display().to_string(),
                )
            }
            Backend::Postgres => {
                let url = settings.postgres_url.expose().to_string();
                let target = PgConnectOptions::from_str(&url)
                    .map(|o| {
                        format!(
                            "{}:{}/{}",
                            o.get_host(),
                            o.get_port(),
                            o.get_database().unwrap_or("")
                        )
                    })
                    .unwrap_or_else(|_| "postgres".into());
                (url, target)
            }
        };
        let backend = settings.backend;
        let schema = service.to_string();
        let mut options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => settings.max_connections.min(4),
                Backend::Postgres => settings.max_connections,
            })
            .acquire_timeout(timeout);
        options = options.after_connect(move |conn, _meta| {
            let schema = schema.clone();
            Box::pin(async move {
                match backend {
                    Backend::Sqlite => {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Backend::Postgres => {
                        conn.execute(format!("SET search_path TO \"{schema}\"").as_str())
                            .await?;
                    }
                }
                Ok(())
            })
        });
        let connect_error = |source| StorageError::Connect {
            backend,
            service: service.to_string(),
            target: target.clone(),
            source,
        };
        let pool = tokio::time::timeout(timeout, options.connect(&url))
            .await
            .map_err(|_| connect_error(sqlx::Error::PoolTimedOut))?
            .map_err(connect_error)?;
        if backend == Backend::Postgres {
            let created = pool
                .execute(format!("CREATE SCHEMA IF NOT EXISTS \"{service}\"").as_str())
                .await;
            // Two processes of one service starting together may race here.
            if let Err(err) = created {
                if !is_unique_violation(&err) {
                    return Err(connect_error(err));
                }
            }
        }
        Ok(Db {
            pool,
            backend,
            service: service.into(),
        })
    }

    /// Runs the service's pending migrations for this engine.
    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), StorageError> {
        // On PostgreSQL the migrator's advisory lock is per database, so
        // services sharing one database migrate one after another.
        migrations
            .for_backend(self.backend)
            .run(&self.pool)
            .await
            .map_err(|source| StorageError::Migrate {
                backend: self.backend,
                service: self.service.to_string(),
                source,
            })
    }

    /// Starts a transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that reads and then writes could
    /// otherwise fail when another writer committed in between.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Borrows a connection.
    pub async fn acquire(&self) -> Result<PoolConnection<Any>, sqlx::Error> {
        self.pool.acquire().await
    }

    /// The pool, for single statements outside a transaction.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The service that owns this database.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Answers when the database accepts a trivial query.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Closes the pool, waiting for borrowed connections to come back.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// True when the error is a unique-constraint violation (any engine).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Milliseconds since the Unix epoch, the one timestamp representation in storage.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
