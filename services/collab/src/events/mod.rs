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
