//! Webhook deliveries to installed apps.
//!
//! [`WebhookFanout`] is a bus consumer: for every event, it queues one
//! delivery per active installation, in the organisations the event concerns,
//! whose app subscribed to that event type (exactly once per installation and
//! event, in the same transaction that records the event as processed).
//! [`dispatch_due`] sends due deliveries with an HMAC signature and records
//! each attempt; a failure is retried with doubling waits until
//! `webhooks.max_attempts`, and the log is visible to the vendor.

use std::time::Duration;

use futures::future::BoxFuture;
use renkei_kernel::{
    Db,
    bus::{Handler, HandlerError},
    events::Envelope,
    settings::WebhookSettings,
    storage::{Conn, now_ms},
};

use crate::{
    db::app::{self as q, DeliveryRow},
    domain::app::{retry_delay_ms, signature},
};

/// Queues deliveries for the events of the services it reads.
pub struct WebhookFanout {
    name: String,
    sources: Vec<String>,
}

impl WebhookFanout {
    /// A fan-out reading these services' events. Its consumer name is
    /// `collab.webhooks` for collab's own events and
    /// `collab.webhooks.<service>` for another service's, so that each has
    /// its own read positions and Kafka consumer group.
    pub fn new(sources: &[&str]) -> WebhookFanout {
        let name = match sources {
            [only] if *only == crate::NAME => "collab.webhooks".to_string(),
            other => format!("collab.webhooks.{}", other.join(".")),
        };
        WebhookFanout {
            name,
            sources: sources.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Handler for WebhookFanout {
    fn name(&self) -> &str {
        &self.name
    }

    fn sources(&self) -> Vec<String> {
        self.sources.clone()
    }

    fn handles(&self, _event_type: &str) -> bool {
        true
    }

    fn handle<'a>(
        &'a self,
        conn: &'a mut Conn,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let (audience, data) = crate::events::audience_and_data(event);
            for organisation_id in audience {
                for installation in q::installations_of_org(conn, &organisation_id).await? {
                    if installation.uninstalled_at_ms.is_some() {
                        continue;
                    }
                    let Some(app) = q::app_get(conn, &installation.app_id).await? else {
                        continue;
                    };
                    if app.webhook_url.is_none() || !app.events.contains(&event.event_type) {
                        continue;
                    }
                    let payload = serde_json::json!({
                        "event_id": event.event_id,
                        "event_type": event.event_type,
                        "occurred_at_ms": event.occurred_at_ms,
                        "organisation_id": organisation_id,
                        "installation_id": installation.installation_id,
                        "data": data,
                    });
                    let now = now_ms();
                    q::delivery_queue(
                        conn,
                        &DeliveryRow {
                            delivery_id: uuid::Uuid::now_v7().to_string(),
                            installation_id: installation.installation_id.clone(),
                            event_id: event.event_id.clone(),
                            event_type: event.event_type.clone(),
                            payload: payload.to_string(),
                            status: "pending".into(),
                            attempts: 0,
                            next_attempt_at_ms: now,
                            last_status_code: None,
                            last_error: None,
                            created_at_ms: now,
                            delivered_at_ms: None,
                        },
                    )
                    .await?;
                }
            }
            Ok(())
        })
    }
}

/// Sends the deliveries due now, one attempt each; returns how many were attempted.
pub async fn dispatch_due(
    db: &Db,
    client: &reqwest::Client,
    settings: &WebhookSettings,
) -> Result<usize, sqlx::Error> {
    let now = now_ms();
    let due = {
        let mut conn = db.acquire().await?;
        q::deliveries_due(&mut conn, now, 50).await?
    };
    let timeout = Duration::from_secs(settings.timeout_secs);
    let lease = i64::try_from(timeout.as_millis()).unwrap_or(60_000) * 2;
    let mut attempted = 0;
    for delivery in due {
        let target = {
            let mut conn = db.acquire().await?;
            if !q::delivery_claim(&mut conn, &delivery, now + lease).await? {
                continue;
            }
            let installation = q::installation_get(&mut conn, &delivery.installation_id).await?;
            let app = match &installation {
                Some(i) => q::app_get(&mut conn, &i.app_id).await?,
                None => None,
            };
            installation.zip(app)
        };
        attempted += 1;
        let attempts = delivery.attempts + 1;
        let outcome = match &target {
            Some((i, _)) if i.uninstalled_at_ms.is_some() => {
                Err((None, "the app was uninstalled".to_string(), true))
            }
            Some((i, app)) => match &app.webhook_url {
                Some(url) => send(client, url, &i.webhook_secret, &delivery, timeout).await,
                None => Err((None, "the app has no webhook address".to_string(), true)),
            },
            None => Err((None, "the installation no longer exists".to_string(), true)),
        };
        let mut conn = db.acquire().await?;
        match outcome {
            Ok(code) => {
                let delivered = q::Attempted {
                    status: "delivered",
                    attempts,
                    next_attempt_at_ms: now,
                    status_code: Some(code),
                    error: None,
                    delivered_at_ms: Some(now_ms()),
                };
                q::delivery_record(&mut conn, &delivery.delivery_id, &delivered).await?;
            }
            Err((code, error, final_)) => {
                let give_up = final_ || attempts >= i64::from(settings.max_attempts);
                let wait = retry_delay_ms(
                    u32::try_from(attempts).unwrap_or(u32::MAX),
                    settings.first_retry_ms,
                    settings.max_retry_ms,
                );
                let next = now_ms() + i64::try_from(wait).unwrap_or(i64::MAX / 4);
                tracing::warn!(delivery_id = %delivery.delivery_id, attempts, error, "webhook delivery failed");
                let failed = q::Attempted {
                    status: if give_up { "failed" } else { "pending" },
                    attempts,
                    next_attempt_at_ms: next,
                    status_code: code,
                    error: Some(&error),
                    delivered_at_ms: None,
                };
                q::delivery_record(&mut conn, &delivery.delivery_id, &failed).await?;
            }
        }
    }
    Ok(attempted)
}

/// One attempt: the HTTP status on success, or (status, reason, whether to stop).
async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    delivery: &DeliveryRow,
    timeout: Duration,
) -> Result<i64, (Option<i64>, String, bool)> {
    let sent_at = now_ms() / 1000;
    let answer = client
        .post(url)
        .timeout(timeout)
        .header("content-type", "application/json")
        .header("renkei-event", &delivery.event_type)
        .header("renkei-delivery", &delivery.delivery_id)
        .header(
            "renkei-signature",
            signature(secret, sent_at, &delivery.payload),
        )
        .body(delivery.payload.clone())
        .send()
        .await;
    match answer {
        Ok(r) if r.status().is_success() => Ok(i64::from(r.status().as_u16())),
        Ok(r) => Err((
            Some(i64::from(r.status().as_u16())),
            format!("the app answered HTTP {}", r.status()),
            false,
        )),
        Err(e) if e.is_timeout() => Err((
            None,
            format!("no answer within {} s", timeout.as_secs()),
            false,
        )),
        Err(e) => Err((None, format!("could not reach the app: {e}"), false)),
    }
}

/// Runs [`dispatch_due`] every `poll_interval_ms` until shutdown.
pub async fn run_dispatcher(
    db: Db,
    settings: WebhookSettings,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let client = reqwest::Client::new();
    let pause = Duration::from_millis(settings.poll_interval_ms);
    loop {
        match dispatch_due(&db, &client, &settings).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook dispatcher could not read its queue"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
    }
}
