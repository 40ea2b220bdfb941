//! Events the collaboration service publishes, built from the rows that cause them.

use renkei_kernel::events::proto::OrganisationRegistered;

use crate::domain::Organisation;

/// `collab.organisation.registered` for a newly registered organisation.
pub fn organisation_registered(o: &Organisation) -> OrganisationRegistered {
    OrganisationRegistered {
        organisation_id: o.organisation_id.clone(),
        legal_name: o.legal_name.as_str().to_string(),
        kind: o.kind.as_str().to_string(),
        prefecture_code: o.prefecture.code(),
    }
}

/// The wire form of a partnership.
fn partnership(
    p: &crate::domain::partnership::Partnership,
) -> renkei_kernel::events::proto::Partnership {
    renkei_kernel::events::proto::Partnership {
        partnership_id: p.partnership_id.clone(),
        proposer_id: p.proposer_id.clone(),
        counterparty_id: p.counterparty_id.clone(),
        kind: p.kind.as_str().to_string(),
        buyer_id: p.buyer_id.clone().unwrap_or_default(),
        status: p.status.as_str().to_string(),
        version: p.version,
    }
}

/// `collab.partnership.proposed`.
pub fn partnership_proposed(
    p: &crate::domain::partnership::Partnership,
) -> renkei_kernel::events::proto::PartnershipProposed {
    renkei_kernel::events::proto::PartnershipProposed {
        partnership: Some(partnership(p)),
    }
}

/// `collab.partnership.accepted`.
pub fn partnership_accepted(
    p: &crate::domain::partnership::Partnership,
) -> renkei_kernel::events::proto::PartnershipAccepted {
    renkei_kernel::events::proto::PartnershipAccepted {
        partnership: Some(partnership(p)),
    }
}

/// `collab.partnership.ended` (also for declined and withdrawn proposals).
pub fn partnership_ended(
    p: &crate::domain::partnership::Partnership,
) -> renkei_kernel::events::proto::PartnershipEnded {
    renkei_kernel::events::proto::PartnershipEnded {
        partnership: Some(partnership(p)),
    }
}

/// `collab.group.changed` with the membership of the new version.
pub fn group_changed(
    g: &crate::domain::partnership::Group,
) -> renkei_kernel::events::proto::GroupChanged {
    renkei_kernel::events::proto::GroupChanged {
        group_id: g.group_id.clone(),
        version: g.version,
        name: g.name.clone(),
        kind: g.kind.as_str().to_string(),
        organiser_id: g.organiser_id.clone(),
        member_ids: g.members.clone(),
    }
}

/// Who an event concerns and its content as JSON, for webhook deliveries:
/// the publishing tenant plus, for events between organisations, the other
/// organisations named in it. Types this service does not know are sent
/// with their protobuf payload in base64.
pub fn audience_and_data(
    env: &renkei_kernel::events::Envelope,
) -> (Vec<String>, serde_json::Value) {
    use base64::Engine as _;
    use renkei_kernel::events::{EventMessage, proto};
    use serde_json::json;
    let partnership = |p: Option<proto::Partnership>| {
        let p = p.unwrap_or_default();
        (
            vec![p.proposer_id.clone(), p.counterparty_id.clone()],
            json!({
                "partnership_id": p.partnership_id, "proposer_id": p.proposer_id,
                "counterparty_id": p.counterparty_id, "kind": p.kind, "buyer_id": p.buyer_id,
                "status": p.status, "version": p.version,
            }),
        )
    };
    let order = |d: Option<proto::OrderDocument>| {
        let d = d.unwrap_or_default();
        let document: serde_json::Value =
            serde_json::from_str(&d.document_json).unwrap_or(serde_json::Value::Null);
        (
            vec![d.buyer_id.clone(), d.seller_id.clone()],
            json!({
                "order_id": d.order_id, "document_id": d.document_id, "version": d.version,
                "kind": d.kind, "number": d.number, "order_number": d.order_number,
                "buyer_id": d.buyer_id, "seller_id": d.seller_id, "sender_id": d.sender_id,
                "state": d.state, "channel": d.channel, "document": document,
            }),
        )
    };
    let decoded = match env.event_type.as_str() {
        proto::OrganisationRegistered::TYPE => env.payload_as::<proto::OrganisationRegistered>().ok().map(|e| {
            (vec![], json!({"organisation_id": e.organisation_id, "legal_name": e.legal_name, "kind": e.kind, "prefecture_code": e.prefecture_code}))
        }),
        proto::PartnershipProposed::TYPE => env.payload_as::<proto::PartnershipProposed>().ok().map(|e| partnership(e.partnership)),
        proto::PartnershipAccepted::TYPE => env.payload_as::<proto::PartnershipAccepted>().ok().map(|e| partnership(e.partnership)),
        proto::PartnershipEnded::TYPE => env.payload_as::<proto::PartnershipEnded>().ok().map(|e| partnership(e.partnership)),
        proto::GroupChanged::TYPE => env.payload_as::<proto::GroupChanged>().ok().map(|e| {
            (
                e.member_ids.clone(),
                json!({"group_id": e.group_id, "version": e.version, "name": e.name, "kind": e.kind, "organiser_id": e.organiser_id, "member_ids": e.member_ids}),
            )
        }),
        proto::MessagePosted::TYPE => env.payload_as::<proto::MessagePosted>().ok().map(|e| {
            (
                e.participant_ids.clone(),
                json!({"thread_id": e.thread_id, "message_id": e.message_id, "seq": e.seq, "author_organisation_id": e.author_organisation_id, "participant_ids": e.participant_ids, "subject": e.subject, "document_urn": e.document_urn}),
            )
        }),
        proto::ConsentChanged::TYPE => env.payload_as::<proto::ConsentChanged>().ok().map(|e| {
            (
                vec![e.grantor_id.clone(), e.grantee_id.clone()],
                json!({"consent_id": e.consent_id, "grantor_id": e.grantor_id, "grantee_id": e.grantee_id, "scopes": e.scopes, "expires_at_ms": e.expires_at_ms, "status": e.status}),
            )
        }),
        proto::OrderSent::TYPE => env.payload_as::<proto::OrderSent>().ok().map(|e| order(e.document)),
        proto::OrderChanged::TYPE => env.payload_as::<proto::OrderChanged>().ok().map(|e| order(e.document)),
        proto::OrderCancelled::TYPE => env.payload_as::<proto::OrderCancelled>().ok().map(|e| order(e.document)),
        proto::OrderResponded::TYPE => env.payload_as::<proto::OrderResponded>().ok().map(|e| order(e.document)),
        proto::OrderDespatched::TYPE => env.payload_as::<proto::OrderDespatched>().ok().map(|e| order(e.document)),
        proto::OrderReceived::TYPE => env.payload_as::<proto::OrderReceived>().ok().map(|e| order(e.document)),
        _ => None,
    };
    let (mut audience, data) = decoded.unwrap_or_else(|| {
        (vec![], json!({ "payload_base64": base64::engine::general_purpose::STANDARD.encode(&env.payload) }))
    });
    audience.push(env.tenant_id.clone());
    audience.sort();
    audience.dedup();
    audience.retain(|a| !a.is_empty());
    (audience, data)
}
