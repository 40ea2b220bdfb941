//! Registering an organisation (its first user becomes its owner), reading
//! it, and replacing its profile.

use renkei_kernel::{
    auth::{Caller, Role},
    events,
    idempotency::{self, Prior},
    storage::{is_unique_violation, now_ms},
};
use serde_json::json;

use super::{Actor, App, AppError, scope};
use crate::{
    db,
    domain::{NewOrganisation, Organisation},
};

/// Whether a registration happened now or is the replay of an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// Created by this request.
    Created,
    /// The same request was made before with the same idempotency key.
    Replayed,
}

const REGISTER: &str = "collab.organisation.register";

fn duplicate_corporate_number(e: &sqlx::Error) -> Option<AppError> {
    is_unique_violation(e).then(|| {
        AppError::Conflict(
            "an organisation with this corporate number is already registered; ask its owner to invite you"
                .into(),
        )
    })
}

impl App {
    /// Registers an organisation with the caller as its owner and publishes
    /// `collab.organisation.registered`, once per idempotency key.
    /// `fingerprint` identifies the request body.
    pub async fn organisation_register(
        &self,
        caller: &Caller,
        input: NewOrganisation,
        fingerprint: &str,
        idempotency_key: Option<&str>,
    ) -> Result<(Organisation, Registered), AppError> {
        if let Some(key) = idempotency_key {
            idempotency::validate_key(key)?;
        }
        let scope = scope(REGISTER, &caller.principal);
        loop {
            let mut tx = self.db.begin().await?;
            self.signed_in_user(&mut tx, &caller.principal).await?;
            if let Some(key) = idempotency_key {
                match idempotency::recall(&mut tx, &scope, key, fingerprint).await? {
                    Prior::None => {}
                    Prior::Mismatch => return Err(AppError::KeyReused),
                    Prior::Answered { body, .. } => {
                        let organisation = db::organisation_get(&mut tx, &body)
                            .await?
                            .ok_or(AppError::NotFound("organisation"))?;
                        return Ok((organisation, Registered::Replayed));
                    }
                }
            }
            let now = now_ms();
            let organisation = Organisation {
                organisation_id: uuid::Uuid::now_v7().to_string(),
                legal_name: input.legal_name.clone(),
                kind: input.kind,
                prefecture: input.prefecture,
                profile: input.profile.clone(),
                created_at_ms: now,
                updated_at_ms: now,
            };
            if let Err(e) = db::organisation_insert(&mut tx, &organisation).await {
                // A racer with the same key may have registered the same
                // corporate number and committed meanwhile: then its
                // answer is this request's answer, not a conflict.
                if let (true, Some(key)) = (is_unique_violation(&e), idempotency_key) {
                    drop(tx);
                    let mut conn = self.db.acquire().await?;
                    if let Prior::Answered { body, .. } =
                        idempotency::recall(&mut conn, &scope, key, fingerprint).await?
                    {
                        let organisation = db::organisation_get(&mut conn, &body)
                            .await?
                            .ok_or(AppError::NotFound("organisation"))?;
                        return Ok((organisation, Registered::Replayed));
                    }
                }
                return Err(duplicate_corporate_number(&e).unwrap_or(e.into()));
            }
            let user_id = &caller.principal.subject;
            db::access::membership_insert(
                &mut tx,
                &organisation.organisation_id,
                user_id,
                Role::Owner,
                now,
            )
            .await?;
            self.audit(
                &mut tx,
                &Actor::of(caller),
                Some(&organisation.organisation_id),
                "organisation.registered",
                &organisation.organisation_id,
                json!({ "legal_name": organisation.legal_name.as_str(), "owner": user_id }),
            )
            .await?;
            events::publish(
                &mut tx,
                &organisation.organisation_id,
                &organisation.organisation_id,
                &crate::events::organisation_registered(&organisation),
            )
            .await?;
            if let Some(key) = idempotency_key {
                let stored = idempotency::remember(
                    &mut tx,
                    &scope,
                    key,
                    fingerprint,
                    201,
                    &organisation.organisation_id,
                )
                .await;
                match stored {
                    Err(e) if is_unique_violation(&e) => continue,
                    other => other?,
                }
            }
            tx.commit().await?;
            tracing::info!(organisation_id = %organisation.organisation_id, "organisation registered");
            return Ok((organisation, Registered::Created));
        }
    }

    /// One organisation, for its members.
    pub async fn organisation_view(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Organisation, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize_or_app(
            &mut conn,
            caller,
            organisation_id,
            Role::Viewer,
            Some(crate::domain::app::AppScope::OrganisationRead),
        )
        .await?;
        db::organisation_get(&mut conn, organisation_id)
            .await?
            .ok_or(AppError::NotFound("organisation"))
    }

    /// Replaces the profile (admins and owners). The kind cannot change.
    pub async fn organisation_update(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: NewOrganisation,
    ) -> Result<Organisation, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        let current = db::organisation_get(&mut tx, organisation_id)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        if input.kind != current.kind {
            return Err(AppError::Invalid(crate::domain::Invalid {
                field: "kind".into(),
                reason: format!(
                    "the kind of an organisation cannot change (it is `{}`)",
                    current.kind.as_str()
                ),
            }));
        }
        let updated = Organisation {
            legal_name: input.legal_name,
            prefecture: input.prefecture,
            profile: input.profile,
            updated_at_ms: now_ms(),
            ..current
        };
        if let Err(e) = db::organisation_update(&mut tx, &updated).await {
            return Err(duplicate_corporate_number(&e).unwrap_or(e.into()));
        }
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            "organisation.updated",
            organisation_id,
            json!({ "legal_name": updated.legal_name.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(updated)
    }
}
