//! Test harness: fresh databases on either engine, the Kafka broker, and the
//! rule that a missing component is a skip on a laptop but a failure in CI
//! (`RENKEI_REQUIRE_SERVICES=1`).

use std::{path::PathBuf, time::Duration};

use crate::settings::{Backend, BusMode, Secret, Settings};

/// Environment variable that turns a skip into a failure.
pub const REQUIRE: &str = "RENKEI_REQUIRE_SERVICES";

/// Whether CI demands every real component.
pub fn required() -> bool {
    std::env::var(REQUIRE).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Reports a component that is not there: panics in CI, otherwise prints
/// why the test is skipped and returns `None`.
pub fn unavailable<T>(what: &str, why: impl std::fmt::Display) -> Option<T> {
    if required() {
        panic!("{what} is required ({REQUIRE}=1) but not available: {why}");
    }
    eprintln!("SKIPPED: {what} not available: {why}");
    None
}

/// Base URL of the PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("RENKEI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Kafka bootstrap servers used by tests.
pub fn kafka_brokers() -> String {
    std::env::var("RENKEI_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// Creates an empty database and returns its URL, or `None` (skip) when
/// PostgreSQL is not reachable outside CI.
pub async fn fresh_postgres() -> Option<String> {
    use sqlx::{Connection, Executor};
    let admin = postgres_admin_url();
    let mut conn =
        match tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(&admin))
            .await
        {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return unavailable("PostgreSQL", e),
            Err(_) => return unavailable("PostgreSQL", "connection timed out"),
        };
    let name = format!("renkei_t_{}", uuid::Uuid::new_v4().simple());
    if let Err(e) = conn
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
    {
        return unavailable("PostgreSQL", e);
    }
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    Some(format!("{base}/{name}"))
}

/// Returns the brokers when a Kafka-protocol broker answers, or `None` (skip).
pub async fn kafka() -> Option<String> {
    let brokers = kafka_brokers();
    let first = brokers.split(',').next().unwrap_or_default().to_string();
    match tokio::time::timeout(
        Duration::from_secs(3),
        tokio::net::TcpStream::connect(&first),
    )
    .await
    {
        Ok(Ok(_)) => Some(brokers),
        Ok(Err(e)) => unavailable("Kafka broker", format!("{first}: {e}")),
        Err(_) => unavailable("Kafka broker", format!("{first}: timed out")),
    }
}

/// A directory that is removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Makes a fresh directory under the system temp dir.
    pub fn new() -> TempDir {
        let path =
            std::env::temp_dir().join(format!("renkei-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
    /// Its path.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Default for TempDir {
    fn default() -> Self {
        TempDir::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Settings for a test on `backend` with the given bus, each test with its
/// own database (a fresh SQLite folder or a fresh PostgreSQL database) and
/// its own topic and group prefixes. `None` means skip.
pub async fn settings(backend: Backend, bus: BusMode) -> Option<(Settings, TempDir)> {
    let dir = TempDir::new();
    let mut s = Settings::default();
    s.server.listen = "127.0.0.1:0".into();
    s.storage.backend = backend;
    s.storage.data_dir = dir.path().to_path_buf();
    s.bus.mode = bus;
    s.bus.poll_interval_ms = 20;
    let run = uuid::Uuid::new_v4().simple().to_string();
    s.bus.topic_prefix = format!("t{run}");
    s.bus.group_prefix = format!("g{run}");
    if backend == Backend::Postgres {
        s.storage.postgres_url = Secret::new(fresh_postgres().await?);
    }
    if bus == BusMode::Kafka {
        s.bus.kafka_brokers = kafka().await?;
    }
    Some((s, dir))
}

/// Polls `check` until it returns `Some` or `deadline` passes.
pub async fn eventually<T, F, Fut>(deadline: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= until {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// One `#[tokio::test]` named `$test` running `$body(Backend::$engine, BusMode::$bus)`.
#[doc(hidden)]
#[macro_export]
macro_rules! backend_test {
    ($test:ident, $engine:ident, $bus:ident, $body:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            $body(
                $crate::settings::Backend::$engine,
                $crate::settings::BusMode::$bus,
            )
            .await
        }
    };
}

/// Writes one test per engine from one generic async body taking
/// `(Backend, BusMode)`: `on_each_engine!(name, body)` (local bus).
#[macro_export]
macro_rules! on_each_engine {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;
            $crate::backend_test!(on_sqlite, Sqlite, Local, $body);
            $crate::backend_test!(on_postgres, Postgres, Local, $body);
        }
    };
}

/// Writes one test per engine and bus from one generic async body taking
/// `(Backend, BusMode)`: `on_each_engine_and_bus!(name, body)`.
#[macro_export]
macro_rules! on_each_engine_and_bus {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;
            $crate::backend_test!(on_sqlite_with_the_local_bus, Sqlite, Local, $body);
            $crate::backend_test!(on_postgres_with_the_local_bus, Postgres, Local, $body);
            $crate::backend_test!(on_postgres_with_kafka, Postgres, Kafka, $body);
            $crate::backend_test!(on_sqlite_with_kafka, Sqlite, Kafka, $body);
        }
    };
}
