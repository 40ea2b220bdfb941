//! Submitting a document of the order cycle. The stored document also
//! waits in its receiver's EDI mailbox until collected.

use renkei_edi::{Document, DocumentKind, rules};
use renkei_kernel::{
    auth::{Caller, Role},
    events::{self as kernel_events, Envelope, proto::OrderDocument},
    idempotency::{self, Prior},
    storage::{is_unique_violation, now_ms},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{App, AppError, SCOPE_WRITE};
use crate::{
    db::{self, DocumentRow, OrderRow},
    domain::{Channel, OrderState, OrderStatus, Refusal, apply},
    events,
};

/// A document to submit, as one organisation sends it.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The document; its buyer and seller are organisation ids.
    pub document: Document,
    /// How it arrived.
    pub channel: Channel,
    /// The client's key: the same key and document give the same answer once.
    pub idempotency_key: String,
}

/// What a submission did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Submitted {
    /// The order the document belongs to.
    pub order_id: String,
    /// The stored document.
    pub document_id: String,
    /// Its position in the order's history, from 1.
    pub version: i64,
    /// Its kind.
    pub kind: DocumentKind,
    /// The order's status after it.
    pub status: OrderStatus,
}

enum Attempt {
    Done(Submitted),
    Raced,
}

impl App {
    /// Accepts a document from `organisation_id` (which must be the side
    /// that sends it), applies it to its order and publishes the event; the
    /// same idempotency key with the same document returns the first answer.
    pub async fn submit(
        &self,
        caller: &Caller,
        organisation_id: &str,
        submission: Submission,
    ) -> Result<Submitted, AppError> {
        self.authorize(caller, organisation_id, Role::Member, SCOPE_WRITE)?;
        self.submit_as(organisation_id, submission).await
    }

    /// [`App::submit`] for an organisation already authorised (EDI intake).
    pub(crate) async fn submit_as(
        &self,
        organisation_id: &str,
        submission: Submission,
    ) -> Result<Submitted, AppError> {
        idempotency::validate_key(&submission.idempotency_key)?;
        let document = &submission.document;
        let problems = rules::check(document);
        if !problems.is_empty() {
            return Err(AppError::Rules(problems));
        }
        let (buyer, seller) = document.parties();
        let (sender, side) = if document.sent_by_buyer() {
            (&buyer.id, "buyer")
        } else {
            (&seller.id, "seller")
        };
        if sender != organisation_id {
            return Err(AppError::invalid(
                format!("{side}.id"),
                format!(
                    "a {} is sent by the {side}: {side}.id must be your organisation {organisation_id}",
                    document.kind().as_str().replace('_', " ")
                ),
            ));
        }
        let body =
            serde_json::to_string(document).map_err(|e| AppError::Internal(e.to_string()))?;
        let fingerprint = idempotency::fingerprint(&[organisation_id.as_bytes(), body.as_bytes()]);
        // A new order is first tried on the assumption that its number is
        // free, which saves the lookup; if the number's unique index says
        // otherwise, the next attempts look the order up and answer as the
        // rules say (a replay, or `order_number_taken`).
        let mut assume_new = submission.document.kind() == DocumentKind::Order;
        for _ in 0..4 {
            let attempt = self
                .attempt(
                    organisation_id,
                    &submission,
                    &body,
                    &fingerprint,
                    assume_new,
                )
                .await;
            assume_new = false;
            match attempt {
                Ok(Attempt::Done(done)) => return Ok(done),
                Ok(Attempt::Raced) => continue,
                Err(refused @ (AppError::KeyReused | AppError::BadKey(_))) => return Err(refused),
                // On PostgreSQL a racer with the same key may commit between
                // this attempt's key lookup and its read of the order; the
                // order it then saw makes the document look out of turn.
                // If the key has been answered meanwhile, that is the answer.
                Err(refused) => {
                    return match self
                        .answered(organisation_id, &submission, &fingerprint)
                        .await?
                    {
                        Some(earlier) => Ok(earlier),
                        None => Err(refused),
                    };
                }
            }
        }
        Err(AppError::Busy)
    }

    /// The answer already committed under this submission's key, if any.
    async fn answered(
        &self,
        organisation_id: &str,
        submission: &Submission,
        fingerprint: &str,
    ) -> Result<Option<Submitted>, AppError> {
        let mut conn = self.db.acquire().await?;
        let scope = key_scope(organisation_id);
        match idempotency::recall(&mut conn, &scope, &submission.idempotency_key, fingerprint)
            .await?
        {
            Prior::Answered { body, .. } => serde_json::from_str(&body)
                .map(Some)
                .map_err(|e| AppError::Internal(e.to_string())),
            Prior::Mismatch => Err(AppError::KeyReused),
            Prior::None => Ok(None),
        }
    }

    async fn attempt(
        &self,
        organisation_id: &str,
        submission: &Submission,
        body: &str,
        fingerprint: &str,
        assume_new: bool,
    ) -> Result<Attempt, AppError> {
        if assume_new && let Some(writers) = &self.new_orders {
            return self
                .new_order_at_once(writers, organisation_id, submission, body, fingerprint)
                .await;
        }
        let document = &submission.document;
        let scope = key_scope(organisation_id);
        let mut tx = self.db.begin().await?;
        // A new order skips the key lookup as it skips the number lookup: a
        // replay of it takes the number taken and an old key reused takes the
        // key's unique index, and either sends this attempt back (`Raced`)
        // to the full path, which looks both up.
        let prior = if assume_new {
            Prior::None
        } else {
            idempotency::recall(&mut tx, &scope, &submission.idempotency_key, fingerprint).await?
        };
        match prior {
            Prior::Answered { body, .. } => {
                let earlier: Submitted =
                    serde_json::from_str(&body).map_err(|e| AppError::Internal(e.to_string()))?;
                return Ok(Attempt::Done(earlier));
            }
            Prior::Mismatch => return Err(AppError::KeyReused),
            Prior::None => {}
        }
        let (buyer, seller) = document.parties();
        let existing = if assume_new {
            None
        } else {
            db::order_by_number(&mut tx, &buyer.id, document.order_number()).await?
        };
        let existing = match existing {
            Some(row) if row.seller_id != seller.id => {
                if document.kind() == DocumentKind::Order {
                    Some(row)
                } else {
                    return Err(AppError::NotFound("order"));
                }
            }
            None if document.kind() != DocumentKind::Order => {
                return Err(AppError::NotFound("order"));
            }
            other => other,
        };
        if let Some(row) = &existing {
            follows_its_round(&mut tx, row, document.kind()).await?;
        }
        let before: Option<OrderState> = existing
            .as_ref()
            .map(|row| serde_json::from_str(&row.state))
            .transpose()
            .map_err(|e| AppError::Internal(format!("order state does not read back: {e}")))?;
        let after = apply(before.as_ref(), document)?;
        let now = now_ms();
        let (order_id, version) = match &existing {
            Some(row) => {
                let advanced = db::order_advance(
                    &mut tx,
                    &row.order_id,
                    row.version,
                    after.status.as_str(),
                    &state_json(&after)?,
                )
                .await?;
                if !advanced {
                    return Ok(Attempt::Raced);
                }
                (row.order_id.clone(), row.version + 1)
            }
            None => {
                let (links, group) = db::trade_links(&mut tx, &buyer.id, &seller.id).await?;
                let row = new_order_row(document, &after, &links, group, now)?;
                match db::order_insert(&mut tx, &row).await {
                    Ok(()) => {}
                    Err(e) if is_unique_violation(&e) => return Ok(Attempt::Raced),
                    Err(e) => return Err(e.into()),
                }
                (row.order_id, 1)
            }
        };
        let written = Written::new(
            organisation_id,
            submission,
            body,
            &after,
            order_id,
            version,
            now,
        )?;
        db::document_insert(&mut tx, &written.document).await?;
        db::mailbox_insert(&mut tx, &written.document, written.receiver).await?;
        kernel_events::append(&mut tx, &written.event).await?;
        match idempotency::remember(
            &mut tx,
            &scope,
            &submission.idempotency_key,
            fingerprint,
            201,
            &written.answer,
        )
        .await
        {
            Ok(()) => {}
            Err(e) if is_unique_violation(&e) => return Ok(Attempt::Raced),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(Attempt::Done(written.submitted))
    }

    /// A new order on PostgreSQL in two round trips and no transaction
    /// around them: the partnership read, then every row of the order in
    /// one statement, shared with the other new orders waiting to be
    /// written ([`together`](super::together)). A taken number or key
    /// fails the order's statement and sends the submission to the full
    /// path (`Raced`), which tells a replay from a conflict. The
    /// partnership is read before the insert as in the full path, where
    /// nothing locks it either: collab's changes reach orders over the bus.
    async fn new_order_at_once(
        &self,
        writers: &super::together::NewOrders,
        organisation_id: &str,
        submission: &Submission,
        body: &str,
        fingerprint: &str,
    ) -> Result<Attempt, AppError> {
        let document = &submission.document;
        let (buyer, seller) = document.parties();
        // The connection goes back to the pool before the order waits for
        // a writer, which needs one.
        let (links, group) = {
            let mut conn = self.db.acquire().await?;
            db::trade_links(&mut conn, &buyer.id, &seller.id).await?
        };
        let after = apply(None, document)?;
        let now = now_ms();
        let row = new_order_row(document, &after, &links, group, now)?;
        let written = Written::new(
            organisation_id,
            submission,
            body,
            &after,
            row.order_id.clone(),
            1,
            now,
        )?;
        let new = db::NewOrder {
            order: row,
            document: written.document,
            receiver_id: written.receiver.to_string(),
            event: written.event,
            key_scope: key_scope(organisation_id),
            key: submission.idempotency_key.clone(),
            request_hash: fingerprint.to_string(),
            answer: written.answer,
        };
        match writers.write(new).await {
            Ok(()) => Ok(Attempt::Done(written.submitted)),
            Err(e) if is_unique_violation(&e) => Ok(Attempt::Raced),
            Err(e) => Err(e.into()),
        }
    }
}

/// What an accepted document writes besides its order row: the stored
/// document, the receiver whose mailbox it goes to, the event and the
/// answer remembered under the key.
struct Written<'a> {
    document: DocumentRow,
    receiver: &'a str,
    event: Envelope,
    submitted: Submitted,
    answer: String,
}

impl<'a> Written<'a> {
    fn new(
        organisation_id: &str,
        submission: &'a Submission,
        body: &str,
        after: &OrderState,
        order_id: String,
        version: i64,
        now: i64,
    ) -> Result<Written<'a>, AppError> {
        let document = &submission.document;
        let (buyer, seller) = document.parties();
        let stored = DocumentRow {
            document_id: Uuid::now_v7().to_string(),
            order_id: order_id.clone(),
            version,
            kind: document.kind().as_str().to_string(),
            number: document.number().to_string(),
            sender_id: organisation_id.to_string(),
            channel: submission.channel.as_str().to_string(),
            body: body.to_string(),
            created_at_ms: now,
        };
        let receiver = if organisation_id == buyer.id {
            &seller.id
        } else {
            &buyer.id
        };
        let event = events::envelope(
            document.kind(),
            OrderDocument {
                order_id: order_id.clone(),
                document_id: stored.document_id.clone(),
                version,
                kind: stored.kind.clone(),
                number: stored.number.clone(),
                order_number: document.order_number().to_string(),
                buyer_id: buyer.id.clone(),
                seller_id: seller.id.clone(),
                sender_id: organisation_id.to_string(),
                state: after.status.as_str().to_string(),
                channel: stored.channel.clone(),
                document_json: stored.body.clone(),
            },
        );
        let submitted = Submitted {
            order_id,
            document_id: stored.document_id.clone(),
            version,
            kind: document.kind(),
            status: after.status,
        };
        let answer =
            serde_json::to_string(&submitted).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Written {
            document: stored,
            receiver,
            event,
            submitted,
            answer,
        })
    }
}

/// The order's state as stored.
fn state_json(state: &OrderState) -> Result<String, AppError> {
    serde_json::to_string(state).map_err(|e| AppError::Internal(e.to_string()))
}

/// The row of a new order: its parties, the partnership that lets the
/// buyer order and the shared group they were in, at their versions now.
fn new_order_row(
    document: &Document,
    after: &OrderState,
    links: &[db::PartnerLink],
    group: Option<(String, i64)>,
    now: i64,
) -> Result<OrderRow, AppError> {
    let (buyer, seller) = document.parties();
    let (partnership_id, partnership_version) = partnership(links, &buyer.id, &seller.id)?;
    Ok(OrderRow {
        order_id: Uuid::now_v7().to_string(),
        buyer_id: buyer.id.clone(),
        seller_id: seller.id.clone(),
        number: after.number.clone(),
        status: after.status.as_str().to_string(),
        currency: after.currency.clone(),
        partnership_id,
        partnership_version,
        group_id: group.as_ref().map(|g| g.0.clone()),
        group_version: group.map(|g| g.1),
        thread_id: None,
        version: 1,
        state: state_json(after)?,
        created_at_ms: now,
        updated_at_ms: now,
    })
}

/// Where an organisation's idempotency keys live.
/// A consolidated joint-purchase order is the sum of its round's intents:
/// its buyer may cancel it, but a change would part it from the shops'
/// intents and their allocation, so changes go through a new round.
async fn follows_its_round(
    conn: &mut renkei_kernel::storage::Conn,
    row: &OrderRow,
    kind: DocumentKind,
) -> Result<(), AppError> {
    if kind != DocumentKind::OrderChange {
        return Ok(());
    }
    if db::order_channel(conn, &row.order_id).await?.as_deref()
        == Some(Channel::JointPurchase.as_str())
    {
        return Err(Refusal {
            rule: "joint_purchase_change",
            state: format!("order {} consolidates a joint-purchase round", row.number),
            message: "an order change is refused: a joint-purchase order follows the shops' intents, so its buyer may cancel it but not change it".into(),
        }
        .into());
    }
    Ok(())
}

fn key_scope(organisation_id: &str) -> String {
    format!("orders:{organisation_id}")
}

/// The active partnership that lets `buyer` order from `seller`.
fn partnership(
    links: &[db::PartnerLink],
    buyer: &str,
    seller: &str,
) -> Result<(String, i64), AppError> {
    if links.is_empty() {
        return Err(AppError::NotPartners(format!(
            "{buyer} and {seller} have no active partnership; propose one and have it accepted before ordering"
        )));
    }
    links
        .iter()
        .find(|l| l.buyer_id.is_empty() || l.buyer_id == buyer)
        .map(|l| (l.partnership_id.clone(), l.version))
        .ok_or_else(|| {
            AppError::NotPartners(format!(
                "in the partnership between {buyer} and {seller}, {seller} is the buyer; orders go the other way"
            ))
        })
}
