//! Use cases of the collaboration service. Each owns its transaction: the
//! business rows, the outbox event and the idempotency record commit together.

use renkei_kernel::{
    Db, events,
    idempotency::{self, Prior},
    storage::{is_unique_violation, now_ms},
};

use crate::{
    db,
    domain::{Invalid, NewOrganisation, Organisation},
};

/// Errors of the use cases; converted to HTTP or GraphQL errors at the edge.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input did not validate.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such organisation.
    #[error("organisation not found")]
    NotFound,
    /// The idempotency key was used with a different request.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    /// The idempotency key is malformed.
    #[error(transparent)]
    BadKey(#[from] idempotency::InvalidKey),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

impl From<AppError> for renkei_kernel::ApiError {
    fn from(e: AppError) -> Self {
        use renkei_kernel::{ApiError, Code};
        match e {
            AppError::Invalid(i) => ApiError::invalid(i.field, i.reason),
            AppError::NotFound => ApiError::not_found("organisation"),
            AppError::KeyReused => ApiError::new(Code::IdempotencyKeyReused, e.to_string()),
            AppError::BadKey(k) => ApiError::invalid("Idempotency-Key", k.to_string()),
            AppError::Storage(s) => s.into(),
        }
    }
}

/// Whether a registration happened now or is the replay of an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// Created by this request.
    Created,
    /// The same request was made before with the same idempotency key.
    Replayed,
}

/// The collaboration service's state.
#[derive(Clone, Debug)]
pub struct App {
    db: Db,
}

const REGISTER_SCOPE: &str = "collab.organisation.register";

impl App {
    /// State over this database.
    pub fn new(db: Db) -> App {
        App { db }
    }

    /// The service's database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Registers an organisation and publishes `collab.organisation.registered`,
    /// once per idempotency key.
    pub async fn organisation_register(
        &self,
        input: NewOrganisation,
        idempotency_key: Option<&str>,
    ) -> Result<(Organisation, Registered), AppError> {
        let fingerprint = idempotency::fingerprint(&[
            input.legal_name.as_str().as_bytes(),
            input.kind.as_str().as_bytes(),
            input.prefecture.code().as_bytes(),
        ]);
        if let Some(key) = idempotency_key {
            idempotency::validate_key(key)?;
        }
        loop {
            let mut tx = self.db.begin().await?;
            if let Some(key) = idempotency_key {
                match idempotency::recall(&mut tx, REGISTER_SCOPE, key, &fingerprint).await? {
                    Prior::None => {}
                    Prior::Mismatch => return Err(AppError::KeyReused),
                    Prior::Answered { body, .. } => {
                        let organisation = db::organisation_get(&mut tx, &body)
                            .await?
                            .ok_or(AppError::NotFound)?;
                        return Ok((organisation, Registered::Replayed));
                    }
                }
            }
            let organisation = Organisation {
                organisation_id: uuid::Uuid::now_v7().to_string(),
                legal_name: input.legal_name.clone(),
                kind: input.kind,
                prefecture: input.prefecture,
                created_at_ms: now_ms(),
            };
            db::organisation_insert(&mut tx, &organisation).await?;
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
                    REGISTER_SCOPE,
                    key,
                    &fingerprint,
                    201,
                    &organisation.organisation_id,
                )
                .await;
                match stored {
                    // A concurrent request with the same key won: read its answer.
                    Err(e) if is_unique_violation(&e) => continue,
                    other => other?,
                }
            }
            tx.commit().await?;
            tracing::info!(organisation_id = %organisation.organisation_id, "organisation registered");
            return Ok((organisation, Registered::Created));
        }
    }

    /// One organisation.
    pub async fn organisation_view(&self, id: &str) -> Result<Organisation, AppError> {
        let mut conn = self.db.acquire().await?;
        db::organisation_get(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound)
    }
}
