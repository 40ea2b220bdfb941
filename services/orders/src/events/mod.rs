//! What the orders service publishes, and what it consumes.
//!
//! It publishes one `orders.order.*` event per accepted document, carrying
//! the canonical document and the order's state after it, and
//! `orders.order.refused` for a document from the bus it could not take.
//! It consumes collab's partnership and group events to know, without
//! asking collab, who may trade with whom, and procurement's closed rounds
//! to place their consolidated orders.

use futures::future::BoxFuture;
use renkei_edi::DocumentKind;
use renkei_kernel::{
    bus::{Handler, HandlerError},
    events::{
        self, Envelope, EventMessage,
        proto::{
            GroupChanged, OrderCancelled, OrderChanged, OrderDespatched, OrderDocument,
            OrderReceived, OrderResponded, OrderSent, PartnershipAccepted, PartnershipEnded,
            PartnershipProposed, RoundClosed,
        },
    },
    storage::Conn,
};

use crate::db;

/// The event type published for a document kind.
pub fn event_type(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Order => OrderSent::TYPE,
        DocumentKind::OrderChange => OrderChanged::TYPE,
        DocumentKind::OrderCancellation => OrderCancelled::TYPE,
        DocumentKind::OrderResponse => OrderResponded::TYPE,
        DocumentKind::DespatchAdvice => OrderDespatched::TYPE,
        DocumentKind::ReceiptAdvice => OrderReceived::TYPE,
    }
}

/// The event for an accepted document. The tenant is the sender; both
/// sides find it by the ids it carries.
pub fn envelope(kind: DocumentKind, document: OrderDocument) -> Envelope {
    let sender = document.sender_id.clone();
    let order_id = document.order_id.clone();
    let document = Some(document);
    match kind {
        DocumentKind::Order => Envelope::new(&sender, &order_id, &OrderSent { document }),
        DocumentKind::OrderChange => Envelope::new(&sender, &order_id, &OrderChanged { document }),
        DocumentKind::OrderCancellation => {
            Envelope::new(&sender, &order_id, &OrderCancelled { document })
        }
        DocumentKind::OrderResponse => {
            Envelope::new(&sender, &order_id, &OrderResponded { document })
        }
        DocumentKind::DespatchAdvice => {
            Envelope::new(&sender, &order_id, &OrderDespatched { document })
        }
        DocumentKind::ReceiptAdvice => {
            Envelope::new(&sender, &order_id, &OrderReceived { document })
        }
    }
}

/// Writes the event for an accepted document to the outbox.
pub async fn publish(
    conn: &mut Conn,
    kind: DocumentKind,
    document: OrderDocument,
) -> Result<Envelope, sqlx::Error> {
    let envelope = envelope(kind, document);
    events::append(conn, &envelope).await?;
    Ok(envelope)
}

/// Keeps the partnerships and groups orders relies on, from collab's events.
pub struct CollabLinks;

impl CollabLinks {
    /// The consumer's name.
    pub const NAME: &'static str = "orders.collab_links";

    fn partnership(
        event: &Envelope,
    ) -> Result<Option<renkei_kernel::events::proto::Partnership>, HandlerError> {
        Ok(match event.event_type.as_str() {
            PartnershipProposed::TYPE => event.payload_as::<PartnershipProposed>()?.partnership,
            PartnershipAccepted::TYPE => event.payload_as::<PartnershipAccepted>()?.partnership,
            PartnershipEnded::TYPE => event.payload_as::<PartnershipEnded>()?.partnership,
            _ => None,
        })
    }
}

impl Handler for CollabLinks {
    fn name(&self) -> &str {
        CollabLinks::NAME
    }

    fn sources(&self) -> Vec<String> {
        vec!["collab".into()]
    }

    fn handles(&self, event_type: &str) -> bool {
        matches!(
            event_type,
            PartnershipProposed::TYPE
                | PartnershipAccepted::TYPE
                | PartnershipEnded::TYPE
                | GroupChanged::TYPE
        )
    }

    fn handle<'a>(
        &'a self,
        conn: &'a mut Conn,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type == GroupChanged::TYPE {
                let group: GroupChanged = event.payload_as()?;
                db::group_save(conn, &group.group_id, group.version, &group.member_ids).await?;
                return Ok(());
            }
            let Some(p) = CollabLinks::partnership(event)? else {
                return Err(HandlerError::Permanent(format!(
                    "event {} carries no partnership",
                    event.event_id
                )));
            };
            db::partner_link_save(
                conn,
                &db::PartnerLink {
                    partnership_id: p.partnership_id,
                    proposer_id: p.proposer_id,
                    counterparty_id: p.counterparty_id,
                    buyer_id: p.buyer_id,
                    status: p.status,
                    version: p.version,
                },
            )
            .await?;
            Ok(())
        })
    }
}

/// Takes in the consolidated orders of joint-purchase rounds: each
/// `procurement.round.closed` that ordered something is kept as an inbound
/// document, submitted afterwards by [`crate::app::App::inbound_drain`].
pub struct RoundOrders;

impl RoundOrders {
    /// The consumer's name.
    pub const NAME: &'static str = "orders.joint_purchase";
}

impl Handler for RoundOrders {
    fn name(&self) -> &str {
        RoundOrders::NAME
    }

    fn sources(&self) -> Vec<String> {
        vec!["procurement".into()]
    }

    fn handles(&self, event_type: &str) -> bool {
        event_type == RoundClosed::TYPE
    }

    fn handle<'a>(
        &'a self,
        conn: &'a mut Conn,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let closed: RoundClosed = event.payload_as()?;
            if closed.order_json.is_empty() {
                return Ok(());
            }
            db::inbound_insert(
                conn,
                &db::Inbound {
                    event_id: event.event_id.clone(),
                    organisation_id: closed.buyer_id,
                    idempotency_key: format!("procurement:{}", closed.round_id),
                    document: closed.order_json,
                    attempts: 0,
                },
            )
            .await?;
            Ok(())
        })
    }
}
