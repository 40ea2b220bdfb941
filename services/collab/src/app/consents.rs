//! Consents: a company grants a supporter or municipality a scoped,
//! time-limited, revocable view of its data; every use is audited in the
//! company's own log.

use renkei_kernel::{
    auth::{Caller, Role},
    events,
    storage::now_ms,
};
use serde_json::json;

use super::{Actor, App, AppError};
use crate::{
    db::{self, consent as q},
    domain::{
        Invalid, Organisation, OrganisationKind,
        consent::{Consent, ConsentScope, consent_expiry, consent_scopes},
        partnership::Partnership,
    },
};

/// A validated consent request.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Who may see.
    pub grantee_id: String,
    /// What.
    pub scopes: Vec<ConsentScope>,
    /// Why, 1–500 characters.
    pub purpose: String,
    /// Until (ms).
    pub expires_at_ms: i64,
}

fn event(c: &Consent, status: &str) -> renkei_kernel::events::proto::ConsentChanged {
    renkei_kernel::events::proto::ConsentChanged {
        consent_id: c.consent_id.clone(),
        grantor_id: c.grantor_id.clone(),
        grantee_id: c.grantee_id.clone(),
        scopes: c.scopes.iter().map(|s| s.as_str().to_string()).collect(),
        expires_at_ms: c.expires_at_ms,
        status: status.to_string(),
    }
}

impl App {
    /// Grants a consent (the company's admins).
    pub async fn consent_grant(
        &self,
        caller: &Caller,
        organisation_id: &str,
        grant: Grant,
    ) -> Result<Consent, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        let now = now_ms();
        let scopes = consent_scopes(&grant.scopes)?;
        let expires_at_ms = consent_expiry(grant.expires_at_ms, now)?;
        let purpose = grant.purpose.trim().to_string();
        if purpose.is_empty() || purpose.chars().count() > 500 {
            return Err(Invalid {
                field: "purpose".into(),
                reason: "say why, in 1 to 500 characters".into(),
            }
            .into());
        }
        let grantee = db::organisation_get(&mut tx, &grant.grantee_id).await?;
        if !grantee.as_ref().is_some_and(|g| {
            matches!(
                g.kind,
                OrganisationKind::Supporter | OrganisationKind::Municipality
            )
        }) {
            return Err(Invalid {
                field: "grantee_id".into(),
                reason: "consents are granted to a supporter or a municipality registered here"
                    .into(),
            }
            .into());
        }
        let consent = Consent {
            consent_id: uuid::Uuid::now_v7().to_string(),
            grantor_id: organisation_id.to_string(),
            grantee_id: grant.grantee_id,
            scopes,
            purpose,
            granted_at_ms: now,
            expires_at_ms,
            revoked_at_ms: None,
        };
        q::consent_insert(&mut tx, &consent, &caller.principal.subject).await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            "consent.granted",
            &consent.consent_id,
            json!({ "grantee_id": consent.grantee_id, "scopes": ConsentScope::join(&consent.scopes), "expires_at_ms": expires_at_ms }),
        )
        .await?;
        events::publish(
            &mut tx,
            organisation_id,
            &consent.consent_id,
            &event(&consent, "active"),
        )
        .await?;
        tx.commit().await?;
        Ok(consent)
    }

    /// Consents the organisation granted or received.
    pub async fn consent_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Vec<Consent>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize(&mut conn, caller, organisation_id, Role::Viewer)
            .await?;
        Ok(q::consents_of(&mut conn, organisation_id).await?)
    }

    /// Revokes a consent the organisation granted (its admins); effective at once.
    pub async fn consent_revoke(
        &self,
        caller: &Caller,
        organisation_id: &str,
        consent_id: &str,
    ) -> Result<Consent, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        let consent = q::consent_granted(&mut tx, organisation_id, consent_id)
            .await?
            .ok_or(AppError::NotFound("consent"))?;
        let now = now_ms();
        if !q::consent_revoke(&mut tx, consent_id, &caller.principal.subject, now).await? {
            return Err(AppError::Conflict(
                "this consent was already revoked".into(),
            ));
        }
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            "consent.revoked",
            consent_id,
            json!({ "grantee_id": consent.grantee_id }),
        )
        .await?;
        let revoked = Consent {
            revoked_at_ms: Some(now),
            ..consent
        };
        events::publish(
            &mut tx,
            organisation_id,
            consent_id,
            &event(&revoked, "revoked"),
        )
        .await?;
        tx.commit().await?;
        Ok(revoked)
    }

    /// Checks that `grantor_id` consents to `organisation_id` seeing `scope`
    /// now, and records the use in the grantor's audit log.
    async fn consented(
        &self,
        caller: &Caller,
        organisation_id: &str,
        grantor_id: &str,
        scope: ConsentScope,
    ) -> Result<renkei_kernel::storage::Tx, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Viewer)
            .await?;
        let now = now_ms();
        let allowed = q::consents_between(&mut tx, grantor_id, organisation_id)
            .await?
            .into_iter()
            .find(|c| c.allows(scope, now));
        let Some(consent) = allowed else {
            return Err(AppError::Forbidden(format!(
                "no active consent from that organisation lets yours see `{}`",
                scope.as_str()
            )));
        };
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(grantor_id),
            "consent.used",
            &consent.consent_id,
            json!({ "by": organisation_id, "scope": scope.as_str() }),
        )
        .await?;
        Ok(tx)
    }

    /// A company's profile, for a grantee with `profile:read`.
    pub async fn consented_profile(
        &self,
        caller: &Caller,
        organisation_id: &str,
        grantor_id: &str,
    ) -> Result<Organisation, AppError> {
        let mut tx = self
            .consented(
                caller,
                organisation_id,
                grantor_id,
                ConsentScope::ProfileRead,
            )
            .await?;
        let organisation = db::organisation_get(&mut tx, grantor_id)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        tx.commit().await?;
        Ok(organisation)
    }

    /// A company's partnerships, for a grantee with `partners:read`.
    pub async fn consented_partnerships(
        &self,
        caller: &Caller,
        organisation_id: &str,
        grantor_id: &str,
    ) -> Result<Vec<Partnership>, AppError> {
        let mut tx = self
            .consented(
                caller,
                organisation_id,
                grantor_id,
                ConsentScope::PartnersRead,
            )
            .await?;
        let list = db::partner::partnerships_of(&mut tx, grantor_id).await?;
        tx.commit().await?;
        Ok(list)
    }
}
