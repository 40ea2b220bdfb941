//! Events the insights service consumes.

use futures::future::BoxFuture;
use renkei_kernel::{
    bus::{Handler, HandlerError},
    events::{Envelope, EventMessage, proto::OrganisationRegistered},
    storage::Conn,
};

/// Keeps the regional directory current from `collab.organisation.registered`.
pub struct RegionalDirectory;

impl Handler for RegionalDirectory {
    fn name(&self) -> &str {
        "insights.regional_directory"
    }

    fn sources(&self) -> Vec<String> {
        vec!["collab".into()]
    }

    fn handles(&self, event_type: &str) -> bool {
        event_type == OrganisationRegistered::TYPE
    }

    fn handle<'a>(
        &'a self,
        conn: &'a mut Conn,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let registered: OrganisationRegistered = event.payload_as()?;
            if registered.prefecture_code.is_empty() || registered.kind.is_empty() {
                return Err(HandlerError::Permanent(format!(
                    "event {} has no prefecture or kind",
                    event.event_id
                )));
            }
            crate::db::region_count_increment(conn, &registered.prefecture_code, &registered.kind)
                .await?;
            Ok(())
        })
    }
}
