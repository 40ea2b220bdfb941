//! Queries for apps, installations and webhook deliveries.

use renkei_kernel::storage::Conn;

use super::corrupt;
use crate::domain::app::AppScope;

/// An app as stored.
#[derive(Debug, Clone)]
pub struct AppRow {
    /// Id.
    pub app_id: String,
    /// The IT vendor.
    pub vendor_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Where deliveries go.
    pub webhook_url: Option<String>,
    /// Scopes it asks for.
    pub scopes: Vec<AppScope>,
    /// Event types it subscribes to.
    pub events: Vec<String>,
    /// Registered (ms).
    pub created_at_ms: i64,
}

type AppTuple = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
);

const APP_COLUMNS: &str =
    "app_id, vendor_id, name, description, webhook_url, scopes, events, created_at_ms";

fn app_from(t: AppTuple) -> Result<AppRow, sqlx::Error> {
    Ok(AppRow {
        app_id: t.0,
        vendor_id: t.1,
        name: t.2,
        description: t.3,
        webhook_url: t.4,
        scopes: AppScope::parse_list("scopes", &t.5).map_err(corrupt)?,
        events: t.6.split_whitespace().map(str::to_string).collect(),
        created_at_ms: t.7,
    })
}

/// Stores an app.
pub async fn app_insert(conn: &mut Conn, a: &AppRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO app ({APP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&a.app_id)
    .bind(&a.vendor_id)
    .bind(&a.name)
    .bind(a.description.as_deref())
    .bind(a.webhook_url.as_deref())
    .bind(AppScope::join(&a.scopes))
    .bind(a.events.join(" "))
    .bind(a.created_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One app.
pub async fn app_get(conn: &mut Conn, app_id: &str) -> Result<Option<AppRow>, sqlx::Error> {
    let row: Option<AppTuple> =
        sqlx::query_as(&format!("SELECT {APP_COLUMNS} FROM app WHERE app_id = $1"))
            .bind(app_id)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(app_from).transpose()
}

/// Apps of one vendor, or every app (the catalogue) when `vendor_id` is empty.
pub async fn apps(conn: &mut Conn, vendor_id: &str) -> Result<Vec<AppRow>, sqlx::Error> {
    let rows: Vec<AppTuple> = sqlx::query_as(&format!(
        "SELECT {APP_COLUMNS} FROM app WHERE ($1 = '' OR vendor_id = $1) ORDER BY name, app_id LIMIT 500"
    ))
    .bind(vendor_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(app_from).collect()
}

/// An installation as stored.
#[derive(Debug, Clone)]
pub struct InstallationRow {
    /// Id.
    pub installation_id: String,
    /// The app.
    pub app_id: String,
    /// The organisation that installed it.
    pub organisation_id: String,
    /// Granted scopes.
    pub scopes: Vec<AppScope>,
    /// OAuth2 client id.
    pub client_id: String,
    /// SHA-256 of the client secret, once the vendor has fetched one.
    pub client_secret_hash: Option<String>,
    /// Signs webhook deliveries.
    pub webhook_secret: String,
    /// Installed (ms).
    pub installed_at_ms: i64,
    /// Uninstalled (ms).
    pub uninstalled_at_ms: Option<i64>,
}

type InstallationTuple = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    Option<i64>,
);

const INSTALLATION_COLUMNS: &str = "installation_id, app_id, organisation_id, scopes, client_id, \
     client_secret_hash, webhook_secret, installed_at_ms, uninstalled_at_ms";

fn installation_from(t: InstallationTuple) -> Result<InstallationRow, sqlx::Error> {
    Ok(InstallationRow {
        installation_id: t.0,
        app_id: t.1,
        organisation_id: t.2,
        scopes: AppScope::parse_list("scopes", &t.3).map_err(corrupt)?,
        client_id: t.4,
        client_secret_hash: t.5,
        webhook_secret: t.6,
        installed_at_ms: t.7,
        uninstalled_at_ms: t.8,
    })
}

/// Stores an installation.
pub async fn installation_insert(
    conn: &mut Conn,
    i: &InstallationRow,
    installed_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO installation ({INSTALLATION_COLUMNS}, installed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&i.installation_id)
    .bind(&i.app_id)
    .bind(&i.organisation_id)
    .bind(AppScope::join(&i.scopes))
    .bind(&i.client_id)
    .bind(i.client_secret_hash.as_deref())
    .bind(&i.webhook_secret)
    .bind(i.installed_at_ms)
    .bind(i.uninstalled_at_ms)
    .bind(installed_by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn installations_where(
    conn: &mut Conn,
    condition: &str,
    value: &str,
) -> Result<Vec<InstallationRow>, sqlx::Error> {
    let rows: Vec<InstallationTuple> = sqlx::query_as(&format!(
        "SELECT {INSTALLATION_COLUMNS} FROM installation WHERE {condition} ORDER BY installed_at_ms DESC, installation_id"
    ))
    .bind(value)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(installation_from).collect()
}

/// One installation by id.
pub async fn installation_get(
    conn: &mut Conn,
    installation_id: &str,
) -> Result<Option<InstallationRow>, sqlx::Error> {
    Ok(
        installations_where(conn, "installation_id = $1", installation_id)
            .await?
            .into_iter()
            .next(),
    )
}

/// One installation by OAuth2 client id.
pub async fn installation_by_client(
    conn: &mut Conn,
    client_id: &str,
) -> Result<Option<InstallationRow>, sqlx::Error> {
    Ok(installations_where(conn, "client_id = $1", client_id)
        .await?
        .into_iter()
        .next())
}

/// Installations in one organisation, newest first.
pub async fn installations_of_org(
    conn: &mut Conn,
    organisation_id: &str,
) -> Result<Vec<InstallationRow>, sqlx::Error> {
    installations_where(conn, "organisation_id = $1", organisation_id).await
}

/// Installations of one app, newest first.
pub async fn installations_of_app(
    conn: &mut Conn,
    app_id: &str,
) -> Result<Vec<InstallationRow>, sqlx::Error> {
    installations_where(conn, "app_id = $1", app_id).await
}

/// Marks an installation uninstalled; false if it already was.
pub async fn installation_remove(
    conn: &mut Conn,
    installation_id: &str,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE installation SET uninstalled_at_ms = $2 WHERE installation_id = $1 AND uninstalled_at_ms IS NULL",
    )
    .bind(installation_id)
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the client secret (its hash) and the webhook secret.
pub async fn installation_set_secrets(
    conn: &mut Conn,
    installation_id: &str,
    client_secret_hash: &str,
    webhook_secret: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE installation SET client_secret_hash = $2, webhook_secret = $3 WHERE installation_id = $1")
        .bind(installation_id)
        .bind(client_secret_hash)
        .bind(webhook_secret)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A webhook delivery as stored.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    /// Id.
    pub delivery_id: String,
    /// To which installation.
    pub installation_id: String,
    /// The event delivered.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// The JSON body sent.
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Next attempt (ms).
    pub next_attempt_at_ms: i64,
    /// Last HTTP status answered.
    pub last_status_code: Option<i64>,
    /// Last failure, in words.
    pub last_error: Option<String>,
    /// Created (ms).
    pub created_at_ms: i64,
    /// Delivered (ms).
    pub delivered_at_ms: Option<i64>,
}

type DeliveryTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    i64,
    Option<i64>,
);

const DELIVERY_COLUMNS: &str = "delivery_id, installation_id, event_id, event_type, payload, status, attempts, \
     next_attempt_at_ms, last_status_code, last_error, created_at_ms, delivered_at_ms";

fn delivery_from(t: DeliveryTuple) -> DeliveryRow {
    DeliveryRow {
        delivery_id: t.0,
        installation_id: t.1,
        event_id: t.2,
        event_type: t.3,
        payload: t.4,
        status: t.5,
        attempts: t.6,
        next_attempt_at_ms: t.7,
        last_status_code: t.8,
        last_error: t.9,
        created_at_ms: t.10,
        delivered_at_ms: t.11,
    }
}

/// Queues a delivery; an event already queued for the installation is skipped.
pub async fn delivery_queue(conn: &mut Conn, d: &DeliveryRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO webhook_delivery ({DELIVERY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (installation_id, event_id) DO NOTHING"
    ))
    .bind(&d.delivery_id)
    .bind(&d.installation_id)
    .bind(&d.event_id)
    .bind(&d.event_type)
    .bind(&d.payload)
    .bind(&d.status)
    .bind(d.attempts)
    .bind(d.next_attempt_at_ms)
    .bind(d.last_status_code)
    .bind(d.last_error.as_deref())
    .bind(d.created_at_ms)
    .bind(d.delivered_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Pending deliveries due at `now_ms`, oldest first.
pub async fn deliveries_due(
    conn: &mut Conn,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    let rows: Vec<DeliveryTuple> = sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_delivery WHERE status = 'pending' AND next_attempt_at_ms <= $1 \
         ORDER BY next_attempt_at_ms, delivery_id LIMIT $2"
    ))
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(delivery_from).collect())
}

/// Takes a due delivery for one attempt by moving its next attempt to
/// `lease_until_ms`; false if another dispatcher took it first.
pub async fn delivery_claim(
    conn: &mut Conn,
    d: &DeliveryRow,
    lease_until_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE webhook_delivery SET next_attempt_at_ms = $3 \
         WHERE delivery_id = $1 AND status = 'pending' AND next_attempt_at_ms = $2",
    )
    .bind(&d.delivery_id)
    .bind(d.next_attempt_at_ms)
    .bind(lease_until_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The outcome of a webhook delivery attempt, as recorded.
#[derive(Debug, Clone, Copy)]
pub struct Attempted<'a> {
    /// `delivered`, `pending` (to be tried again) or `failed`.
    pub status: &'a str,
    /// Attempts so far.
    pub attempts: i64,
    /// When to try next (for `pending`).
    pub next_attempt_at_ms: i64,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i64>,
    /// Why it failed.
    pub error: Option<&'a str>,
    /// When it was delivered.
    pub delivered_at_ms: Option<i64>,
}

/// Records the outcome of an attempt.
pub async fn delivery_record(
    conn: &mut Conn,
    delivery_id: &str,
    outcome: &Attempted<'_>,
) -> Result<(), sqlx::Error> {
    let Attempted {
        status,
        attempts,
        next_attempt_at_ms,
        status_code,
        error,
        delivered_at_ms,
    } = *outcome;
    sqlx::query(
        "UPDATE webhook_delivery SET status = $2, attempts = $3, next_attempt_at_ms = $4, \
         last_status_code = $5, last_error = $6, delivered_at_ms = $7 WHERE delivery_id = $1",
    )
    .bind(delivery_id)
    .bind(status)
    .bind(attempts)
    .bind(next_attempt_at_ms)
    .bind(status_code)
    .bind(error)
    .bind(delivered_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The delivery log of an app, newest first.
pub async fn deliveries_of_app(
    conn: &mut Conn,
    app_id: &str,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    let rows: Vec<DeliveryTuple> = sqlx::query_as(&format!(
        "SELECT {} FROM webhook_delivery d JOIN installation i ON i.installation_id = d.installation_id \
         WHERE i.app_id = $1 ORDER BY d.created_at_ms DESC, d.delivery_id LIMIT $2",
        DELIVERY_COLUMNS
            .split(", ")
            .map(|c| format!("d.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(app_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(delivery_from).collect())
}
