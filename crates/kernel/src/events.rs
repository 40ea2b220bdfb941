//! Events: the protobuf types generated from `proto/`, the link between an
//! event message and its name, and the transactional outbox every service
//! writes its events to in the same transaction as the rows that caused them.

use prost::Message;
use uuid::Uuid;

use crate::storage::{Conn, now_ms};

/// Types generated from `proto/renkei/events/v1/*.proto`.
#[allow(missing_docs, clippy::all)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/renkei.events.v1.rs"));
}

pub use proto::Envelope;

/// An event message with its stable name and the service that publishes it.
pub trait EventMessage: Message + Default + Sized {
    /// `<service>.<entity>.<past-tense verb>`.
    const TYPE: &'static str;
    /// Version of the payload schema.
    const SCHEMA_VERSION: u32 = 1;
}

impl EventMessage for proto::OrganisationRegistered {
    const TYPE: &'static str = "collab.organisation.registered";
}

impl EventMessage for proto::PartnershipProposed {
    const TYPE: &'static str = "collab.partnership.proposed";
}

impl EventMessage for proto::PartnershipAccepted {
    const TYPE: &'static str = "collab.partnership.accepted";
}

impl EventMessage for proto::PartnershipEnded {
    const TYPE: &'static str = "collab.partnership.ended";
}

impl EventMessage for proto::GroupChanged {
    const TYPE: &'static str = "collab.group.changed";
}

impl EventMessage for proto::MessagePosted {
    const TYPE: &'static str = "collab.message.posted";
}

impl EventMessage for proto::ConsentChanged {
    const TYPE: &'static str = "collab.consent.changed";
}

impl EventMessage for proto::OrderSent {
    const TYPE: &'static str = "orders.order.sent";
}

impl EventMessage for proto::OrderChanged {
    const TYPE: &'static str = "orders.order.changed";
}

impl EventMessage for proto::OrderCancelled {
    const TYPE: &'static str = "orders.order.cancelled";
}

impl EventMessage for proto::OrderResponded {
    const TYPE: &'static str = "orders.order.responded";
}

impl EventMessage for proto::OrderDespatched {
    const TYPE: &'static str = "orders.order.despatched";
}

impl EventMessage for proto::OrderReceived {
    const TYPE: &'static str = "orders.order.received";
}

impl EventMessage for proto::OrderRefused {
    const TYPE: &'static str = "orders.order.refused";
}

impl EventMessage for proto::RoundOpened {
    const TYPE: &'static str = "procurement.round.opened";
}

impl EventMessage for proto::IntentSubmitted {
    const TYPE: &'static str = "procurement.intent.submitted";
}

impl EventMessage for proto::IntentChanged {
    const TYPE: &'static str = "procurement.intent.changed";
}

impl EventMessage for proto::IntentWithdrawn {
    const TYPE: &'static str = "procurement.intent.withdrawn";
}

impl EventMessage for proto::RoundClosed {
    const TYPE: &'static str = "procurement.round.closed";
}

impl EventMessage for proto::RoundAllocated {
    const TYPE: &'static str = "procurement.round.allocated";
}

/// The service that publishes an event type: the part of its name before the first dot.
pub fn source_of(event_type: &str) -> &str {
    event_type.split('.').next().unwrap_or(event_type)
}

/// Why an envelope's payload could not be read as the requested message.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The envelope carries another event type.
    #[error("event {event_id} is `{actual}`, not `{expected}`")]
    WrongType {
        /// Event id.
        event_id: String,
        /// Requested type.
        expected: &'static str,
        /// Type in the envelope.
        actual: String,
    },
    /// The bytes are not a valid message.
    #[error("event {event_id} of type `{event_type}` has an unreadable payload: {source}")]
    Payload {
        /// Event id.
        event_id: String,
        /// Type in the envelope.
        event_type: String,
        /// Protobuf error.
        #[source]
        source: prost::DecodeError,
    },
}

impl Envelope {
    /// Builds the envelope of a new event of `tenant_id`, keyed by tenant and entity.
    pub fn new<M: EventMessage>(tenant_id: &str, entity_id: &str, message: &M) -> Envelope {
        Envelope {
            event_id: Uuid::now_v7().to_string(),
            event_type: M::TYPE.to_string(),
            tenant_id: tenant_id.to_string(),
            key: partition_key(tenant_id, entity_id),
            source: source_of(M::TYPE).to_string(),
            occurred_at_ms: now_ms(),
            schema_version: M::SCHEMA_VERSION,
            payload: message.encode_to_vec(),
        }
    }

    /// Reads the payload as `M`, checking the event type first.
    pub fn payload_as<M: EventMessage>(&self) -> Result<M, DecodeError> {
        if self.event_type != M::TYPE {
            return Err(DecodeError::WrongType {
                event_id: self.event_id.clone(),
                expected: M::TYPE,
                actual: self.event_type.clone(),
            });
        }
        M::decode(self.payload.as_slice()).map_err(|source| DecodeError::Payload {
            event_id: self.event_id.clone(),
            event_type: self.event_type.clone(),
            source,
        })
    }
}

/// The partition key: it starts with the tenant id, so one tenant's events
/// land on one partition and stay in order.
pub fn partition_key(tenant_id: &str, entity_id: &str) -> String {
    if entity_id.is_empty() {
        tenant_id.to_string()
    } else {
        format!("{tenant_id}/{entity_id}")
    }
}

/// Writes `message` to the outbox inside the caller's transaction and returns
/// its envelope. The event leaves the service only if the transaction commits.
pub async fn publish<M: EventMessage>(
    conn: &mut Conn,
    tenant_id: &str,
    entity_id: &str,
    message: &M,
) -> Result<Envelope, sqlx::Error> {
    let envelope = Envelope::new(tenant_id, entity_id, message);
    append(conn, &envelope).await?;
    Ok(envelope)
}

/// The outbox columns an event is written to, in the order [`append`]
/// binds them: event id, type, tenant, key, the encoded envelope, when it
/// occurred. For a service that writes an event within a larger statement.
pub const OUTBOX_COLUMNS: &str =
    "event_id, event_type, tenant_id, event_key, envelope, occurred_at_ms";

/// Writes an already-built envelope to the outbox (used by replay and tests).
pub async fn append(conn: &mut Conn, envelope: &Envelope) -> Result<(), sqlx::Error> {
    let sql = format!("INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)");
    sqlx::query(&sql)
        .bind(&envelope.event_id)
        .bind(&envelope.event_type)
        .bind(&envelope.tenant_id)
        .bind(&envelope.key)
        .bind(envelope.encode_to_vec())
        .bind(envelope.occurred_at_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The events of one tenant in a service's outbox, oldest first: the basis of
/// a tenant's history export and replay.
pub async fn tenant_history(
    conn: &mut Conn,
    tenant_id: &str,
    after_outbox_id: i64,
    limit: i64,
) -> Result<Vec<(i64, Envelope)>, sqlx::Error> {
    let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT outbox_id, envelope FROM outbox WHERE tenant_id = $1 AND outbox_id > $2 \
         ORDER BY outbox_id LIMIT $3",
    )
    .bind(tenant_id)
    .bind(after_outbox_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id, bytes)| {
            <Envelope as Message>::decode(bytes.as_slice())
                .map(|e| (id, e))
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::OrganisationRegistered;

    #[test]
    fn an_envelope_round_trips_its_payload_and_is_keyed_by_tenant() {
        let msg = OrganisationRegistered {
            organisation_id: "org-1".into(),
            legal_name: "山田商店".into(),
            kind: "company".into(),
            prefecture_code: "13".into(),
        };
        let env = Envelope::new("org-1", "org-1", &msg);
        assert_eq!(env.event_type, "collab.organisation.registered");
        assert_eq!(env.source, "collab");
        assert!(env.key.starts_with("org-1"));
        let bytes = env.encode_to_vec();
        let back = <Envelope as Message>::decode(bytes.as_slice()).expect("valid");
        assert_eq!(
            back.payload_as::<OrganisationRegistered>().expect("valid"),
            msg
        );
    }

    #[test]
    fn an_intent_keeps_the_difference_between_no_cap_and_a_cap_of_zero() {
        let intent = |cap| proto::IntentChanged {
            intent: Some(proto::PurchaseIntent {
                round_id: "round-1".into(),
                shop_id: "shop-1".into(),
                district_id: "group-1".into(),
                item_code: "SAKE-1800".into(),
                quantity: 12,
                max_unit_price: cap,
                seq: 7,
                version: 2,
            }),
        };
        for cap in [None, Some(0), Some(1_480)] {
            let env = Envelope::new("wholesaler-1", "round-1", &intent(cap));
            assert_eq!(env.event_type, "procurement.intent.changed");
            assert_eq!(env.source, "procurement");
            let back =
                <Envelope as Message>::decode(env.encode_to_vec().as_slice()).expect("decodes");
            assert_eq!(
                back.payload_as::<proto::IntentChanged>().expect("payload"),
                intent(cap)
            );
        }
    }

    #[test]
    fn decoding_as_another_type_is_refused() {
        let mut env = Envelope::new("t", "", &OrganisationRegistered::default());
        env.event_type = "orders.order.sent".into();
        let err = env
            .payload_as::<OrganisationRegistered>()
            .expect_err("refused");
        assert!(err.to_string().contains("orders.order.sent"));
    }
}
