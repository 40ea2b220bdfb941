//! Reading the audit log, and verifying its hash chain end to end.

use renkei_kernel::auth::{Caller, Role};

use super::{App, AppError};
use crate::{
    db,
    domain::audit::{AuditEntry, BrokenLink, Verifier},
};

/// What a verification of the whole chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    /// Every entry is in place; this many were checked.
    Intact(i64),
    /// The first place where the chain does not hold.
    Broken(BrokenLink),
}

/// Most entries one page of the log holds.
pub const MAX_PAGE: i64 = 500;

impl App {
    /// Entries about the organisation, newest first (admins and owners).
    pub async fn audit_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
        before_seq: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<AuditEntry>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize(&mut conn, caller, organisation_id, Role::Admin)
            .await?;
        let limit = limit.unwrap_or(100).clamp(1, MAX_PAGE);
        Ok(db::audit::of_organisation(
            &mut conn,
            organisation_id,
            before_seq.unwrap_or(i64::MAX),
            limit,
        )
        .await?)
    }

    /// Walks the whole chain from the first entry and reports the first
    /// broken link, if any.
    pub async fn audit_verify(&self) -> Result<ChainReport, AppError> {
        let mut conn = self.db.acquire().await?;
        let (head_seq, head_hash) = db::audit::head(&mut conn).await?;
        let mut verifier = Verifier::default();
        let mut after = 0;
        loop {
            let page = db::audit::page(&mut conn, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for entry in &page {
                if let Err(broken) = verifier.next(entry) {
                    return Ok(ChainReport::Broken(broken));
                }
            }
        }
        Ok(match verifier.finish(head_seq, &head_hash) {
            Ok(n) => ChainReport::Intact(n),
            Err(broken) => ChainReport::Broken(broken),
        })
    }
}
