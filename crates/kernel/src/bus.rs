//! The event bus: one interface, two modes.
//!
//! * **Local** (`renkei up`): a relay in each service stamps committed outbox
//!   rows with a gap-free sequence number; consumers in the same process read
//!   the source service's outbox by that number and keep their position in
//!   their own database, in the same transaction as the effect. On
//!   PostgreSQL a run of events read together is applied in one transaction
//!   (one commit instead of one per event), and one event at a time if any
//!   of them fails; on SQLite always one at a time.
//! * **Kafka** (`renkei serve`): the relay publishes outbox rows to the topic
//!   `<prefix>.<service>` keyed by tenant, then marks them published;
//!   consumers read with consumer groups and commit offsets after the effect.
//!
//! Either way delivery is at-least-once, and [`apply_once`] makes the effect
//! exactly-once: the consumer records the event id in the same transaction as
//! its effect and skips ids it has already recorded.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::Duration,
};

use futures::future::BoxFuture;
use prost::Message;
use rdkafka::{
    ClientConfig, Message as _,
    admin::{AdminClient, AdminOptions, NewTopic, TopicReplication},
    client::DefaultClientContext,
    consumer::{CommitMode, Consumer, StreamConsumer},
    error::RDKafkaErrorCode,
    producer::{FutureProducer, FutureRecord, Producer as _},
    util::Timeout,
};
use tokio::{sync::Notify, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{
    events::Envelope,
    settings::{Backend, BusMode, BusSettings},
    storage::{Conn, Db, now_ms},
};

/// Why the bus could not start or deliver.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The Kafka client could not be created or the broker did not answer.
    #[error("Kafka broker {brokers} is not reachable: {reason}")]
    Unreachable {
        /// Configured bootstrap servers.
        brokers: String,
        /// What the client said.
        reason: String,
    },
    /// A local consumer names a source service that does not run in this process.
    #[error(
        "consumer `{consumer}` reads events of `{source_service}`, which does not run in this process"
    )]
    UnknownSource {
        /// Consumer name.
        consumer: String,
        /// Missing source service.
        source_service: String,
    },
}

/// Why a consumer could not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying (database busy, connection lost).
    #[error("transient: {0}")]
    Transient(String),
    /// Will never succeed (unreadable payload, violated invariant): the event
    /// is set aside in `dead_letter` and the consumer moves on.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl From<sqlx::Error> for HandlerError {
    fn from(e: sqlx::Error) -> Self {
        HandlerError::Transient(e.to_string())
    }
}

impl From<crate::events::DecodeError> for HandlerError {
    fn from(e: crate::events::DecodeError) -> Self {
        HandlerError::Permanent(e.to_string())
    }
}

/// A consumer of events: its effect runs inside the consumer service's transaction.
pub trait Handler: Send + Sync + 'static {
    /// Stable name; processed event ids and positions are recorded under it.
    fn name(&self) -> &str;
    /// Services whose events it reads.
    fn sources(&self) -> Vec<String>;
    /// Whether it acts on this event type (others are recorded and skipped).
    fn handles(&self, event_type: &str) -> bool;
    /// Applies the event; must only use `conn` for its writes.
    fn handle<'a>(
        &'a self,
        conn: &'a mut Conn,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), HandlerError>>;
}

/// What [`apply_once`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The effect was applied now.
    Applied,
    /// The event had been applied before; nothing was done.
    Duplicate,
    /// The consumer does not act on this type; it was recorded as seen.
    Ignored,
    /// The handler refused it permanently; it is in `dead_letter`.
    DeadLettered,
}

/// Applies `event` through `handler` exactly once in effect: the event id is
/// recorded in the same transaction as the effect (and, on the local bus, the
/// new read position).
pub async fn apply_once(
    db: &Db,
    handler: &dyn Handler,
    event: &Envelope,
    position: Option<(&str, i64)>,
) -> Result<Applied, HandlerError> {
    let mut tx = db.begin().await?;
    let fresh = mark_processed(&mut tx, handler.name(), &event.event_id).await?;
    let outcome = if !fresh {
        Applied::Duplicate
    } else if !handler.handles(&event.event_type) {
        Applied::Ignored
    } else {
        match handler.handle(&mut tx, event).await {
            Ok(()) => Applied::Applied,
            Err(HandlerError::Transient(e)) => return Err(HandlerError::Transient(e)),
            Err(HandlerError::Permanent(reason)) => {
                tx.rollback().await?;
                tx = db.begin().await?;
                dead_letter(&mut tx, handler.name(), event, &reason).await?;
                Applied::DeadLettered
            }
        }
    };
    if let Some((source, position)) = position {
        save_position(&mut tx, handler.name(), source, position).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Records that `consumer` has seen `event_id`; false if it had before.
async fn mark_processed(
    conn: &mut Conn,
    consumer: &str,
    event_id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO processed_event (consumer, event_id, processed_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(consumer)
    .bind(event_id)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

async fn dead_letter(
    conn: &mut Conn,
    consumer: &str,
    event: &Envelope,
    reason: &str,
) -> Result<(), sqlx::Error> {
    tracing::error!(consumer, event_id = %event.event_id, event_type = %event.event_type, reason, "event set aside in dead_letter");
    mark_processed(conn, consumer, &event.event_id).await?;
    sqlx::query(
        "INSERT INTO dead_letter (consumer, event_id, event_type, error, envelope, failed_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(consumer)
    .bind(&event.event_id)
    .bind(&event.event_type)
    .bind(reason)
    .bind(event.encode_to_vec())
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn save_position(
    conn: &mut Conn,
    consumer: &str,
    source: &str,
    position: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO consumer_offset (consumer, source, position) VALUES ($1, $2, $3) \
         ON CONFLICT (consumer, source) DO UPDATE SET position = excluded.position",
    )
    .bind(consumer)
    .bind(source)
    .bind(position)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How many events a consumer has seen, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Applied now.
    pub applied: u64,
    /// Seen before; skipped.
    pub duplicate: u64,
    /// Not for this consumer; recorded and skipped.
    pub ignored: u64,
    /// Set aside in `dead_letter`.
    pub dead_lettered: u64,
}

type OutcomeTable = Arc<RwLock<HashMap<String, Outcomes>>>;

fn count(table: &OutcomeTable, consumer: &str, applied: Applied) {
    let mut t = table.write().unwrap_or_else(|p| p.into_inner());
    let o = t.entry(consumer.to_string()).or_default();
    match applied {
        Applied::Applied => o.applied += 1,
        Applied::Duplicate => o.duplicate += 1,
        Applied::Ignored => o.ignored += 1,
        Applied::DeadLettered => o.dead_lettered += 1,
    }
}

/// The bus of one process.
#[derive(Clone)]
pub struct Bus {
    settings: BusSettings,
    logs: Arc<RwLock<HashMap<String, LocalLog>>>,
    outcomes: OutcomeTable,
}

#[derive(Clone)]
struct LocalLog {
    db: Db,
    appended: Arc<Notify>,
}

impl Bus {
    /// A bus with these settings; nothing runs until relays and consumers are spawned.
    pub fn new(settings: BusSettings) -> Bus {
        Bus {
            settings,
            logs: Arc::default(),
            outcomes: Arc::default(),
        }
    }

    /// What the consumers of this process named `consumer` have done so far.
    pub fn outcomes(&self, consumer: &str) -> Outcomes {
        let t = self.outcomes.read().unwrap_or_else(|p| p.into_inner());
        t.get(consumer).copied().unwrap_or_default()
    }

    /// Which mode it runs in.
    pub fn mode(&self) -> BusMode {
        self.settings.mode
    }

    /// The Kafka topic that carries a service's events.
    pub fn topic(&self, service: &str) -> String {
        format!("{}.{service}", self.settings.topic_prefix)
    }

    /// Fails fast when the Kafka broker does not answer (no-op on the local bus).
    pub async fn check(&self) -> Result<(), BusError> {
        if self.settings.mode != BusMode::Kafka {
            return Ok(());
        }
        let producer = self.producer()?;
        let brokers = self.settings.kafka_brokers.clone();
        tokio::task::spawn_blocking(move || {
            producer
                .client()
                .fetch_metadata(None, Duration::from_secs(5))
                .map(|_| ())
                .map_err(|e| BusError::Unreachable {
                    brokers,
                    reason: e.to_string(),
                })
        })
        .await
        .map_err(|e| BusError::Unreachable {
            brokers: self.settings.kafka_brokers.clone(),
            reason: e.to_string(),
        })?
    }

    fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.settings.kafka_brokers)
            .set("log_level", "3");
        config
    }

    fn producer(&self) -> Result<FutureProducer, BusError> {
        self.client_config()
            .set("acks", "all")
            .set("message.timeout.ms", "15000")
            .set("linger.ms", "2")
            .create()
            .map_err(|e| self.unreachable(e))
    }

    fn unreachable(&self, e: impl ToString) -> BusError {
        BusError::Unreachable {
            brokers: self.settings.kafka_brokers.clone(),
            reason: e.to_string(),
        }
    }

    /// Creates the topics if they do not exist yet.
    pub async fn ensure_topics(&self, services: &[String]) -> Result<(), BusError> {
        let admin: AdminClient<DefaultClientContext> = self
            .client_config()
            .create()
            .map_err(|e| self.unreachable(e))?;
        let names: Vec<String> = services.iter().map(|s| self.topic(s)).collect();
        let topics: Vec<NewTopic<'_>> = names
            .iter()
            .map(|n| NewTopic::new(n, 3, TopicReplication::Fixed(1)))
            .collect();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        let results = admin
            .create_topics(&topics, &options)
            .await
            .map_err(|e| self.unreachable(e))?;
        for result in results {
            if let Err((topic, code)) = result {
                if code != RDKafkaErrorCode::TopicAlreadyExists {
                    return Err(self.unreachable(format!("cannot create topic {topic}: {code}")));
                }
            }
        }
        Ok(())
    }

    /// Makes a service's outbox readable by local consumers in this process.
    pub fn register(&self, db: &Db) {
        let mut logs = self.logs.write().unwrap_or_else(|p| p.into_inner());
        logs.entry(db.service().to_string())
            .or_insert_with(|| LocalLog {
                db: db.clone(),
                appended: Arc::new(Notify::new()),
            });
    }

    fn local_log(&self, service: &str) -> Option<LocalLog> {
        let logs = self.logs.read().unwrap_or_else(|p| p.into_inner());
        logs.get(service).cloned()
    }

    /// Starts the relay that moves `db`'s outbox onto the bus.
    pub async fn spawn_relay(
        &self,
        db: Db,
        shutdown: CancellationToken,
    ) -> Result<JoinHandle<()>, BusError> {
        let sink = match self.settings.mode {
            BusMode::Local => {
                self.register(&db);
                let log = self
                    .local_log(db.service())
                    .ok_or_else(|| BusError::UnknownSource {
                        consumer: "relay".into(),
                        source_service: db.service().into(),
                    })?;
                Sink::Local(log.appended)
            }
            BusMode::Kafka => {
                self.ensure_topics(&[db.service().to_string()]).await?;
                Sink::Kafka {
                    producer: self.producer()?,
                    topic: self.topic(db.service()),
                }
            }
        };
        let relay = Relay {
            db,
            sink,
            batch: i64::from(self.settings.batch_size),
            idle: Duration::from_millis(self.settings.poll_interval_ms),
        };
        Ok(tokio::spawn(relay.run(shutdown)))
    }

    /// Starts a consumer whose effects go into `db` (the consumer's own database).
    pub async fn spawn_consumer(
        &self,
        handler: Arc<dyn Handler>,
        db: Db,
        shutdown: CancellationToken,
    ) -> Result<Vec<JoinHandle<()>>, BusError> {
        let group = format!("{}.{}", self.settings.group_prefix, handler.name());
        self.spawn_consumer_in_group(handler, db, shutdown, &group)
            .await
    }

    /// As [`Bus::spawn_consumer`], with an explicit Kafka consumer-group id.
    pub async fn spawn_consumer_in_group(
        &self,
        handler: Arc<dyn Handler>,
        db: Db,
        shutdown: CancellationToken,
        group: &str,
    ) -> Result<Vec<JoinHandle<()>>, BusError> {
        let idle = Duration::from_millis(self.settings.poll_interval_ms);
        match self.settings.mode {
            BusMode::Local => {
                let mut tasks = Vec::new();
                for source in handler.sources() {
                    let log = self
                        .local_log(&source)
                        .ok_or_else(|| BusError::UnknownSource {
                            consumer: handler.name().into(),
                            source_service: source.clone(),
                        })?;
                    let reader = LocalReader {
                        outcomes: self.outcomes.clone(),
                        handler: handler.clone(),
                        db: db.clone(),
                        source,
                        log,
                        batch: i64::from(self.settings.batch_size),
                        idle,
                    };
                    tasks.push(tokio::spawn(reader.run(shutdown.clone())));
                }
                Ok(tasks)
            }
            BusMode::Kafka => {
                self.ensure_topics(&handler.sources()).await?;
                let consumer: StreamConsumer = self
                    .client_config()
                    .set("group.id", group)
                    .set("enable.auto.commit", "false")
                    .set("auto.offset.reset", "earliest")
                    .set("session.timeout.ms", "10000")
                    .set("heartbeat.interval.ms", "1000")
                    .create()
                    .map_err(|e| self.unreachable(e))?;
                let topics: Vec<String> = handler.sources().iter().map(|s| self.topic(s)).collect();
                let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
                consumer.subscribe(&refs).map_err(|e| self.unreachable(e))?;
                let reader = KafkaReader {
                    outcomes: self.outcomes.clone(),
                    handler,
                    db,
                    consumer,
                    idle,
                };
                Ok(vec![tokio::spawn(reader.run(shutdown))])
            }
        }
    }
}

enum Sink {
    Local(Arc<Notify>),
    Kafka {
        producer: FutureProducer,
        topic: String,
    },
}

struct Relay {
    db: Db,
    sink: Sink,
    batch: i64,
    idle: Duration,
}

impl Relay {
    async fn run(self, shutdown: CancellationToken) {
        let mut failures = 0u32;
        loop {
            let moved = match self.round().await {
                Ok(n) => {
                    failures = 0;
                    n
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(service = self.db.service(), error = %e, "outbox relay round failed; retrying");
                    0
                }
            };
            if shutdown.is_cancelled() {
                // One last round so that what was committed before the stop leaves now.
                if moved == 0 {
                    break;
                }
                continue;
            }
            if moved == 0 {
                let wait = self.idle * 2u32.saturating_pow(failures.min(5));
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.cancelled() => {}
                }
            }
        }
        tracing::info!(service = self.db.service(), "outbox relay stopped");
    }

    /// Moves one batch; returns how many rows left the outbox.
    async fn round(&self) -> Result<usize, String> {
        let mut tx = self.db.begin().await.map_err(|e| e.to_string())?;
        let lock = match self.db.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let waiting =
            format!("FROM outbox WHERE published_at_ms IS NULL ORDER BY outbox_id LIMIT $1{lock}");
        let rows: Vec<(i64, String, Vec<u8>)> = match self.sink {
            // The local bus reads events from the outbox itself: its relay
            // needs only their ids, not their (compressed) envelopes.
            Sink::Local(_) => sqlx::query_as::<_, (i64,)>(&format!("SELECT outbox_id {waiting}"))
                .bind(self.batch)
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|(id,)| (id, String::new(), Vec::new()))
                .collect(),
            Sink::Kafka { .. } => {
                sqlx::query_as(&format!("SELECT outbox_id, event_key, envelope {waiting}"))
                    .bind(self.batch)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(|e| e.to_string())?
            }
        };
        if rows.is_empty() {
            tx.commit().await.map_err(|e| e.to_string())?;
            return Ok(0);
        }
        let now = now_ms();
        match &self.sink {
            Sink::Local(_) => {
                let (top,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM outbox")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| e.to_string())?;
                // One statement numbers the whole batch in outbox order. A
                // row committed inside the batch's id range after the
                // SELECT is numbered with it: for the local bus, getting a
                // sequence number is what publishing is, so it is simply
                // published one round early.
                let first = rows.first().map(|r| r.0).unwrap_or_default();
                let last = rows.last().map(|r| r.0).unwrap_or_default();
                sqlx::query(
                    "UPDATE outbox SET seq = $1 + r.n, published_at_ms = $2 \
                     FROM (SELECT outbox_id AS id, row_number() OVER (ORDER BY outbox_id) AS n \
                           FROM outbox WHERE published_at_ms IS NULL \
                           AND outbox_id >= $3 AND outbox_id <= $4) AS r \
                     WHERE outbox.outbox_id = r.id",
                )
                .bind(top)
                .bind(now)
                .bind(first)
                .bind(last)
                .execute(&mut *tx)
                .await
                .map_err(|e| e.to_string())?;
            }
            Sink::Kafka { producer, topic } => {
                let sends = rows.iter().map(|(_, key, envelope)| {
                    producer.send(
                        FutureRecord::to(topic).key(key).payload(envelope),
                        Timeout::After(Duration::from_secs(15)),
                    )
                });
                for result in futures::future::join_all(sends).await {
                    result.map_err(|(e, _)| format!("publish to {topic} failed: {e}"))?;
                }
                let first = rows.first().map(|r| r.0).unwrap_or_default();
                let last = rows.last().map(|r| r.0).unwrap_or_default();
                sqlx::query(
                    "UPDATE outbox SET published_at_ms = $1 \
                     WHERE outbox_id >= $2 AND outbox_id <= $3 AND published_at_ms IS NULL",
                )
                .bind(now)
                .bind(first)
                .bind(last)
                .execute(&mut *tx)
                .await
                .map_err(|e| e.to_string())?;
            }
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        if let Sink::Local(appended) = &self.sink {
            appended.notify_waiters();
        }
        Ok(rows.len())
    }
}

/// Applies with retries on transient errors; gives up only at shutdown.
async fn apply_with_retry(
    outcomes: &OutcomeTable,
    db: &Db,
    handler: &dyn Handler,
    event: &Envelope,
    position: Option<(&str, i64)>,
    shutdown: &CancellationToken,
) -> Option<Applied> {
    let mut delay = Duration::from_millis(100);
    loop {
        match apply_once(db, handler, event, position).await {
            Ok(applied) => {
                count(outcomes, handler.name(), applied);
                return Some(applied);
            }
            Err(e) => {
                tracing::warn!(consumer = handler.name(), event_id = %event.event_id, error = %e, "applying event failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.cancelled() => return None,
                }
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

struct LocalReader {
    outcomes: OutcomeTable,
    handler: Arc<dyn Handler>,
    db: Db,
    source: String,
    log: LocalLog,
    batch: i64,
    idle: Duration,
}

impl LocalReader {
    async fn run(self, shutdown: CancellationToken) {
        let name = self.handler.name().to_string();
        let mut position = loop {
            let found: Result<Option<(i64,)>, _> = sqlx::query_as(
                "SELECT position FROM consumer_offset WHERE consumer = $1 AND source = $2",
            )
            .bind(&name)
            .bind(&self.source)
            .fetch_optional(self.db.pool())
            .await;
            match found {
                Ok(p) => break p.map(|(p,)| p).unwrap_or(0),
                Err(e) => {
                    tracing::warn!(consumer = %name, error = %e, "cannot read consumer position; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(self.idle) => {}
                        _ = shutdown.cancelled() => return,
                    }
                }
            }
        };
        while !shutdown.is_cancelled() {
            let notified = self.log.appended.notified();
            let rows: Result<Vec<(i64, Vec<u8>)>, _> = sqlx::query_as(
                "SELECT seq, envelope FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(position)
            .bind(self.batch)
            .fetch_all(self.log.db.pool())
            .await;
            let rows = match rows {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(consumer = %name, source = %self.source, error = %e, "cannot read outbox; retrying");
                    Vec::new()
                }
            };
            if rows.is_empty() {
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep(self.idle) => {}
                    _ = shutdown.cancelled() => {}
                }
                continue;
            }
            let last_row = rows.last().map_or(position, |r| r.0);
            let mut events = Vec::with_capacity(rows.len());
            for (seq, bytes) in rows {
                match <Envelope as Message>::decode(bytes.as_slice()) {
                    Ok(event) => events.push((seq, event)),
                    Err(e) => {
                        tracing::error!(consumer = %name, seq, error = %e, "unreadable envelope skipped");
                    }
                }
            }
            if events.is_empty() {
                position = last_row;
                continue;
            }
            // On PostgreSQL the whole run goes in one transaction; if any
            // event of it fails, the run is rolled back and applied one
            // event at a time, so that a permanent failure sets aside only
            // its own event. On SQLite a run would hold the database's one
            // write lock for all of it while the service's requests wait
            // for a connection, so events are applied one at a time there.
            if self.db.backend() == Backend::Postgres {
                match apply_run(&self.db, self.handler.as_ref(), &events, &self.source).await {
                    Ok(outcomes) => {
                        for applied in outcomes {
                            count(&self.outcomes, self.handler.name(), applied);
                        }
                        position = last_row;
                        continue;
                    }
                    Err(e) => {
                        tracing::debug!(consumer = %name, error = %e, "run of events failed; applying them one by one");
                    }
                }
            }
            for (seq, event) in events {
                match apply_with_retry(
                    &self.outcomes,
                    &self.db,
                    self.handler.as_ref(),
                    &event,
                    Some((&self.source, seq)),
                    &shutdown,
                )
                .await
                {
                    Some(_) => position = seq,
                    None => return,
                }
            }
        }
    }
}

/// Applies a run of events read from one source's outbox in one
/// transaction, with each one's processed mark and the new read position:
/// the same exactly-once effect as [`apply_once`] per event, for one commit
/// instead of one per event. Any error rolls the whole run back.
async fn apply_run(
    db: &Db,
    handler: &dyn Handler,
    events: &[(i64, Envelope)],
    source: &str,
) -> Result<Vec<Applied>, HandlerError> {
    let mut tx = db.begin().await?;
    let mut outcomes = Vec::with_capacity(events.len());
    for (_, event) in events {
        let fresh = mark_processed(&mut tx, handler.name(), &event.event_id).await?;
        outcomes.push(if !fresh {
            Applied::Duplicate
        } else if !handler.handles(&event.event_type) {
            Applied::Ignored
        } else {
            handler.handle(&mut tx, event).await?;
            Applied::Applied
        });
    }
    if let Some((position, _)) = events.last() {
        save_position(&mut tx, handler.name(), source, *position).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

struct KafkaReader {
    outcomes: OutcomeTable,
    handler: Arc<dyn Handler>,
    db: Db,
    consumer: StreamConsumer,
    idle: Duration,
}

impl KafkaReader {
    async fn run(self, shutdown: CancellationToken) {
        let name = self.handler.name().to_string();
        loop {
            let message = tokio::select! {
                m = self.consumer.recv() => m,
                _ = shutdown.cancelled() => break,
            };
            let message = match message {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(consumer = %name, error = %e, "Kafka receive failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(self.idle) => {}
                        _ = shutdown.cancelled() => break,
                    }
                    continue;
                }
            };
            match <Envelope as Message>::decode(message.payload().unwrap_or_default()) {
                Ok(event) => {
                    if apply_with_retry(
                        &self.outcomes,
                        &self.db,
                        self.handler.as_ref(),
                        &event,
                        None,
                        &shutdown,
                    )
                    .await
                    .is_none()
                    {
                        break;
                    }
                }
                Err(e) => tracing::error!(
                    consumer = %name, topic = message.topic(), partition = message.partition(),
                    offset = message.offset(), error = %e, "unreadable envelope skipped"
                ),
            }
            if let Err(e) = self.consumer.commit_message(&message, CommitMode::Async) {
                tracing::warn!(consumer = %name, error = %e, "offset commit failed; the event may be redelivered");
            }
        }
        let _ = self.consumer.commit_consumer_state(CommitMode::Sync);
        tracing::info!(consumer = %name, "consumer stopped");
    }
}
