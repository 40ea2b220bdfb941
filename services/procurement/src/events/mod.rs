//! What the procurement service publishes, and what it consumes.
//!
//! It publishes `procurement.round.*` and `procurement.intent.*` events.
//! It consumes:
//! - its own intent events, into the live pool ([`PoolProjector`]): each
//!   intent carries its version, and the pool keeps the version it last
//!   counted, so an event applies its exact difference once and an older
//!   state never overwrites a newer one;
//! - collab's group events ([`Districts`]): who belongs to which district;
//! - the orders service's events about consolidated orders
//!   ([`OrderFeedback`]): placed, refused, answered.

use futures::future::BoxFuture;
use renkei_kernel::{
    bus::{Handler, HandlerError},
    events::{
        self, Envelope, EventMessage,
        proto::{
            GroupChanged, IntentChanged, IntentSubmitted, IntentWithdrawn, OrderCancelled,
            OrderRefused, OrderResponded, OrderSent, PurchaseIntent, RoundAllocated, RoundClosed,
            RoundOpened,
        },
    },
    settings::Backend,
    storage::{Conn, now_ms},
};

use crate::{
    app::{self, AppError, RoundStatus},
    db::{self, DistrictRow, RoundRow},
    domain::Intent,
};

/// Publishes `procurement.round.opened`, keyed by the organiser and round.
pub async fn round_opened(
    conn: &mut Conn,
    row: &RoundRow,
    districts: &[String],
) -> Result<Envelope, sqlx::Error> {
    let event = RoundOpened {
        round_id: row.round_id.clone(),
        organiser_id: row.organiser_id.clone(),
        wholesaler_id: row.wholesaler_id.clone(),
        cutoff_ms: row.cutoff_ms,
        district_ids: districts.to_vec(),
        round_json: row.draft.clone(),
        buyer_id: row.buyer_id.clone(),
    };
    events::publish(conn, &row.organiser_id, &row.round_id, &event).await
}

/// Publishes `procurement.round.closed` with the summary and, when
/// something was ordered, the consolidated order document.
pub async fn round_closed(
    conn: &mut Conn,
    row: &RoundRow,
    status: RoundStatus,
    closing_json: &str,
    order_json: &str,
) -> Result<Envelope, sqlx::Error> {
    let event = RoundClosed {
        round_id: row.round_id.clone(),
        organiser_id: row.organiser_id.clone(),
        wholesaler_id: row.wholesaler_id.clone(),
        outcome: status.as_str().to_string(),
        order_id: String::new(),
        order_number: row.order_number.clone(),
        closing_json: closing_json.to_string(),
        buyer_id: row.buyer_id.clone(),
        order_json: order_json.to_string(),
    };
    events::publish(conn, &row.organiser_id, &row.round_id, &event).await
}

/// Publishes `procurement.round.allocated` with the allocation's totals.
pub async fn round_allocated(
    conn: &mut Conn,
    row: &RoundRow,
    allocation_json: &str,
) -> Result<Envelope, sqlx::Error> {
    let event = RoundAllocated {
        round_id: row.round_id.clone(),
        order_id: row.order_id.clone().unwrap_or_default(),
        allocation_json: allocation_json.to_string(),
    };
    events::publish(conn, &row.organiser_id, &row.round_id, &event).await
}

/// Which intent event a change publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentChange {
    /// A first intent for the item (or one after a withdrawal).
    Submitted,
    /// A new quantity, cap or district.
    Changed,
    /// Withdrawn: quantity 0.
    Withdrawn,
}

/// Publishes an intent's new state, keyed by the shop and round so that
/// one shop's changes in a round stay in order.
pub async fn intent_changed(
    conn: &mut Conn,
    round_id: &str,
    intent: &Intent,
    version: i64,
    change: IntentChange,
) -> Result<Envelope, sqlx::Error> {
    let intent_message = Some(PurchaseIntent {
        round_id: round_id.to_string(),
        shop_id: intent.shop_id.clone(),
        district_id: intent.district_id.clone(),
        item_code: intent.item_code.clone(),
        quantity: intent.quantity,
        max_unit_price: intent.max_unit_price,
        seq: intent.seq,
        version,
    });
    let shop = &intent.shop_id;
    match change {
        IntentChange::Submitted => {
            let e = IntentSubmitted {
                intent: intent_message,
            };
            events::publish(conn, shop, round_id, &e).await
        }
        IntentChange::Changed => {
            let e = IntentChanged {
                intent: intent_message,
            };
            events::publish(conn, shop, round_id, &e).await
        }
        IntentChange::Withdrawn => {
            let e = IntentWithdrawn {
                intent: intent_message,
            };
            events::publish(conn, shop, round_id, &e).await
        }
    }
}

/// Keeps the live pool from the intent events.
pub struct PoolProjector;

impl PoolProjector {
    /// The consumer's name.
    pub const NAME: &'static str = "procurement.pool";
}

impl Handler for PoolProjector {
    fn name(&self) -> &str {
        PoolProjector::NAME
    }

    fn sources(&self) -> Vec<String> {
        vec![crate::NAME.into()]
    }

    fn handles(&self, event_type: &str) -> bool {
        matches!(
            event_type,
            IntentSubmitted::TYPE | IntentChanged::TYPE | IntentWithdrawn::TYPE
        )
    }

    fn handle<'a>(
        &'a self,
        conn: &'a mut Conn,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let intent = match event.event_type.as_str() {
                IntentSubmitted::TYPE => event.payload_as::<IntentSubmitted>()?.intent,
                IntentChanged::TYPE => event.payload_as::<IntentChanged>()?.intent,
                IntentWithdrawn::TYPE => event.payload_as::<IntentWithdrawn>()?.intent,
                _ => None,
            };
            let Some(intent) = intent else {
                return Err(HandlerError::Permanent(format!(
                    "event {} carries no intent",
                    event.event_id
                )));
            };
            count(conn, intent).await?;
            Ok(())
        })
    }
}

/// Applies one intent state to the pool: the difference from the state
/// counted before, unless that state is as new or newer.
async fn count(conn: &mut Conn, p: PurchaseIntent) -> Result<(), sqlx::Error> {
    let round = p.round_id.as_str();
    let before = db::pool_intent(conn, round, &p.shop_id, &p.item_code).await?;
    if before.as_ref().is_some_and(|(_, a)| a.version >= p.version) {
        return Ok(());
    }
    let (old_district, old) = before
        .map(|(d, a)| (d, a.quantity.max(0)))
        .unwrap_or_default();
    let new = p.quantity.max(0);
    let moved = old > 0 && new > 0 && old_district != p.district_id;
    if old > 0 && (new == 0 || moved) {
        db::pool_item_add(conn, round, &p.item_code, &old_district, -old, -1).await?;
        db::pool_shop_add(conn, round, &old_district, &p.shop_id, -1).await?;
    }
    if new > 0 && (old == 0 || moved) {
        db::pool_item_add(conn, round, &p.item_code, &p.district_id, new, 1).await?;
        db::pool_shop_add(conn, round, &p.district_id, &p.shop_id, 1).await?;
    } else if new > 0 && new != old {
        db::pool_item_add(conn, round, &p.item_code, &p.district_id, new - old, 0).await?;
    }
    let intent = Intent {
        shop_id: p.shop_id,
        district_id: p.district_id,
        item_code: p.item_code,
        quantity: new,
        max_unit_price: p.max_unit_price,
        seq: p.seq,
    };
    db::pool_intent_put(conn, round, &intent, p.version).await
}

/// Keeps collab's groups: the districts and their members.
pub struct Districts;

impl Districts {
    /// The consumer's name.
    pub const NAME: &'static str = "procurement.districts";
}

impl Handler for Districts {
    fn name(&self) -> &str {
        Districts::NAME
    }

    fn sources(&self) -> Vec<String> {
        vec!["collab".into()]
    }

    fn handles(&self, event_type: &str) -> bool {
        event_type == GroupChanged::TYPE
    }

    fn handle<'a>(
        &'a self,
        conn: &'a mut Conn,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let g: GroupChanged = event.payload_as()?;
            let row = DistrictRow {
                group_id: g.group_id,
                name: g.name,
                kind: g.kind,
                organiser_id: g.organiser_id,
            };
            db::district_save(conn, &row, g.version, &g.member_ids).await?;
            withdraw_departed(conn, &row.group_id).await?;
            Ok(())
        })
    }
}

/// A shop that leaves a district can no longer see or change a round it
/// was invited to through that district, so the intents it holds there
/// are withdrawn, as if it had withdrawn them itself, in the transaction
/// that records the district's new members: each under the same hold as
/// a shop's own change (the close cannot miss or half-see it), each with
/// its `procurement.intent.withdrawn` event. Rounds already closed, or past
/// their cut-off, keep what was held at the cut-off.
async fn withdraw_departed(conn: &mut Conn, group_id: &str) -> Result<(), HandlerError> {
    let backend = if conn.backend_name() == "PostgreSQL" {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let now = now_ms();
    for (round_id, held) in db::intents_of_departed(conn, group_id, now).await? {
        db::hold(
            conn,
            backend,
            &round_id,
            db::Hold::Intent(&held.intent.shop_id),
        )
        .await?;
        // The hold may have waited for a close; it decides.
        let still_open = db::round(conn, &round_id)
            .await?
            .is_some_and(|r| r.status == RoundStatus::Open.as_str() && r.cutoff_ms > now);
        if !still_open {
            continue;
        }
        // And the shop may have changed the intent meanwhile: read it again.
        let Some(current) = db::intent(
            conn,
            &round_id,
            &held.intent.shop_id,
            &held.intent.item_code,
        )
        .await?
        else {
            continue;
        };
        if current.intent.quantity == 0 || current.intent.district_id != group_id {
            continue;
        }
        let intent = Intent {
            quantity: 0,
            ..current.intent
        };
        if db::intent_update(conn, &round_id, &intent, current.version, now).await? {
            intent_changed(
                conn,
                &round_id,
                &intent,
                current.version + 1,
                IntentChange::Withdrawn,
            )
            .await?;
            tracing::info!(round_id, shop_id = %intent.shop_id, item_code = %intent.item_code,
                district_id = group_id, "intent withdrawn: the shop left the district");
        }
    }
    Ok(())
}

/// Follows the consolidated orders in the orders service: placed (its id),
/// refused (why), cancelled by the buyer, answered (allocated to the shops).
pub struct OrderFeedback;

impl OrderFeedback {
    /// The consumer's name.
    pub const NAME: &'static str = "procurement.order_feedback";
}

impl Handler for OrderFeedback {
    fn name(&self) -> &str {
        OrderFeedback::NAME
    }

    fn sources(&self) -> Vec<String> {
        vec!["orders".into()]
    }

    fn handles(&self, event_type: &str) -> bool {
        matches!(
            event_type,
            OrderSent::TYPE | OrderResponded::TYPE | OrderRefused::TYPE | OrderCancelled::TYPE
        )
    }

    fn handle<'a>(
        &'a self,
        conn: &'a mut Conn,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type == OrderRefused::TYPE {
                let r: OrderRefused = event.payload_as()?;
                if let Some(row) =
                    db::round_by_order_number(conn, &r.buyer_id, &r.order_number).await?
                {
                    let reason = format!("{} ({})", r.message, r.code);
                    db::round_refused(conn, &row.round_id, &reason, now_ms()).await?;
                }
                return Ok(());
            }
            let document = match event.event_type.as_str() {
                OrderSent::TYPE => event.payload_as::<OrderSent>()?.document,
                OrderCancelled::TYPE => event.payload_as::<OrderCancelled>()?.document,
                _ => event.payload_as::<OrderResponded>()?.document,
            };
            let Some(d) = document else {
                return Err(HandlerError::Permanent(format!(
                    "event {} carries no document",
                    event.event_id
                )));
            };
            let Some(row) = db::round_by_order_number(conn, &d.buyer_id, &d.order_number).await?
            else {
                return Ok(());
            };
            // The round's own order only: placed through the bus with the
            // round's seller, and, once known, under the same id (a buyer
            // could reuse the number of a refused round's order elsewhere).
            let ours = d.seller_id == row.wholesaler_id
                && row.order_id.as_deref().is_none_or(|id| id == d.order_id)
                && (event.event_type != OrderSent::TYPE || d.channel == "joint_purchase");
            if !ours {
                return Ok(());
            }
            db::round_order_placed(conn, &row.round_id, &d.order_id, now_ms()).await?;
            if event.event_type == OrderCancelled::TYPE {
                let reason = "the buyer cancelled the consolidated order";
                db::round_cancelled(conn, &row.round_id, reason, now_ms()).await?;
                return Ok(());
            }
            if event.event_type == OrderResponded::TYPE {
                let response =
                    app::response_of(&d.document_json).map_err(HandlerError::Permanent)?;
                let row = db::round(conn, &row.round_id)
                    .await?
                    .ok_or_else(|| HandlerError::Permanent("round vanished".into()))?;
                app::apply_response(conn, &row, &response, d.version)
                    .await
                    .map_err(|e| match e {
                        AppError::Storage(s) => HandlerError::Transient(s.to_string()),
                        other => HandlerError::Permanent(other.to_string()),
                    })?;
            }
            Ok(())
        })
    }
}
