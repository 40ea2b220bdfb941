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
