//! Order documents that reach orders over the bus rather than from a
//! person or an app: a joint-purchase round's consolidated order. The
//! consumer keeps each one in `inbound_document` in the same transaction
//! as the event's processed mark; [`App::inbound_drain`] submits them
//! through the normal path, in the buyer's name, under a key derived from
//! the round, so a crash at any point neither loses nor doubles an order.
//! A document the rules refuse is answered with `orders.order.refused`.

use renkei_edi::Document;
use renkei_kernel::events::{self, proto::OrderRefused};

use super::{App, AppError, Submission};
use crate::{db, domain::Channel};

impl App {
    /// Submits the inbound documents waiting; answers how many left the
    /// queue (submitted or refused). Transient failures stay for the next call.
    pub async fn inbound_drain(&self) -> Result<usize, AppError> {
        let waiting = {
            let mut conn = self.db.acquire().await?;
            db::inbound_waiting(&mut conn, renkei_kernel::storage::now_ms(), 20).await?
        };
        let mut done = 0;
        for inbound in waiting {
            let outcome = match serde_json::from_str::<Document>(&inbound.document) {
                Ok(document) => {
                    let submission = Submission {
                        document: document.clone(),
                        channel: Channel::JointPurchase,
                        idempotency_key: inbound.idempotency_key.clone(),
                    };
                    self.submit_as(&inbound.organisation_id, submission)
                        .await
                        .map(drop)
                        .map_err(|e| (Some(document), e))
                }
                Err(e) => Err((
                    None,
                    AppError::invalid("document", format!("the document does not read: {e}")),
                )),
            };
            match outcome {
                Ok(()) => {
                    let mut conn = self.db.acquire().await?;
                    if db::inbound_done(&mut conn, &inbound.event_id).await? {
                        done += 1;
                    }
                }
                Err((_, e @ (AppError::Storage(_) | AppError::Busy | AppError::Internal(_)))) => {
                    tracing::warn!(event_id = %inbound.event_id, attempts = inbound.attempts + 1, error = %e, "inbound order document not submitted yet; retrying");
                    let mut conn = self.db.acquire().await?;
                    db::inbound_failed(
                        &mut conn,
                        &inbound.event_id,
                        inbound.attempts,
                        &e.to_string(),
                    )
                    .await?;
                }
                Err((document, e)) => {
                    tracing::warn!(event_id = %inbound.event_id, error = %e, "inbound order document refused");
                    let (buyer_id, seller_id, order_number) = document
                        .as_ref()
                        .map(|d| {
                            let (b, s) = d.parties();
                            (b.id.clone(), s.id.clone(), d.order_number().to_string())
                        })
                        .unwrap_or_else(|| {
                            (
                                inbound.organisation_id.clone(),
                                String::new(),
                                String::new(),
                            )
                        });
                    let message = e.to_string();
                    let code = renkei_kernel::ApiError::from(e).code.as_str().to_string();
                    let refused = OrderRefused {
                        buyer_id: buyer_id.clone(),
                        seller_id,
                        order_number,
                        idempotency_key: inbound.idempotency_key.clone(),
                        code,
                        message,
                    };
                    // Several instances may drain at once: the one whose
                    // delete takes the row tells the sender, once.
                    let mut tx = self.db.begin().await?;
                    if db::inbound_done(&mut tx, &inbound.event_id).await? {
                        events::publish(&mut tx, &buyer_id, &inbound.event_id, &refused).await?;
                        tx.commit().await?;
                        done += 1;
                    }
                }
            }
        }
        Ok(done)
    }
}
