//! The keys that sign access tokens: kept in collab's database, the newest
//! unretired one signing, retired ones published until the tokens they
//! signed have expired, so a rotation logs nobody out.

use std::time::Duration;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use futures::future::BoxFuture;
use renkei_kernel::{
    Db,
    auth::{Claims, Jwk, Jwks, KeySource, SigningKey},
    storage::now_ms,
};

use super::{Actor, App, AppError};
use crate::db::access as q;

/// Grace beyond the access-token lifetime during which a retired key stays
/// published (clock skew between services).
const PUBLISH_GRACE: Duration = Duration::from_secs(60);

/// Reads the published keys from the database (the verifier's source in collab).
#[derive(Debug, Clone)]
pub struct DbKeys {
    db: Db,
    keep: Duration,
}

impl DbKeys {
    /// Keys of `db`, keeping retired ones for `access_ttl` plus a grace period.
    pub fn new(db: Db, access_ttl: Duration) -> DbKeys {
        DbKeys {
            db,
            keep: access_ttl + PUBLISH_GRACE,
        }
    }

    /// The JWKS document as of `at_ms`.
    pub async fn jwks_at(&self, at_ms: i64) -> Result<Jwks, sqlx::Error> {
        let mut conn = self.db.acquire().await?;
        let keep_ms = i64::try_from(self.keep.as_millis()).unwrap_or(i64::MAX / 2);
        let keys = q::keys_published(&mut conn, at_ms, keep_ms).await?;
        Ok(Jwks {
            keys: keys
                .into_iter()
                .map(|(kid, x)| Jwk {
                    kty: "OKP".into(),
                    crv: "Ed25519".into(),
                    x,
                    kid,
                    alg: "EdDSA".into(),
                    use_: "sig".into(),
                })
                .collect(),
        })
    }
}

impl KeySource for DbKeys {
    fn load(&self) -> BoxFuture<'_, Result<Jwks, String>> {
        Box::pin(async move { self.jwks_at(now_ms()).await.map_err(|e| e.to_string()) })
    }
}

impl App {
    /// Makes sure a signing key exists (first start).
    pub async fn keys_ensure(&self) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        if q::key_current(&mut tx).await?.is_none() {
            let key = SigningKey::generate();
            q::key_insert(
                &mut tx,
                key.kid(),
                &STANDARD.encode(key.seed()),
                &key.jwk().x,
                now_ms(),
            )
            .await?;
            self.audit(
                &mut tx,
                &Actor::system(),
                None,
                "signing_key.created",
                key.kid(),
                serde_json::json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        self.verifier.reload().await.map_err(AppError::Internal)?;
        Ok(())
    }

    /// Starts signing with a new key; the previous ones stay published until
    /// every token they signed has expired. Returns the new key id.
    pub async fn keys_rotate(&self, actor_user: Option<(&str, &str)>) -> Result<String, AppError> {
        let key = SigningKey::generate();
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        q::key_insert(
            &mut tx,
            key.kid(),
            &STANDARD.encode(key.seed()),
            &key.jwk().x,
            now,
        )
        .await?;
        q::keys_retire_others(&mut tx, key.kid(), now).await?;
        let actor = match actor_user {
            Some((user_id, addr)) => Actor::user(user_id, addr),
            None => Actor::system(),
        };
        self.audit(
            &mut tx,
            &actor,
            None,
            "signing_key.rotated",
            key.kid(),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        self.verifier.reload().await.map_err(AppError::Internal)?;
        tracing::info!(kid = key.kid(), "signing key rotated");
        Ok(key.kid().to_string())
    }

    /// The published keys.
    pub async fn jwks(&self) -> Result<Jwks, AppError> {
        Ok(DbKeys::new(self.db.clone(), self.access_ttl())
            .jwks_at(now_ms())
            .await?)
    }

    /// The published keys as they will be at `at_ms` (for tests and tools).
    pub async fn jwks_at(&self, at_ms: i64) -> Result<Jwks, AppError> {
        Ok(DbKeys::new(self.db.clone(), self.access_ttl())
            .jwks_at(at_ms)
            .await?)
    }

    /// Signs claims with the current key.
    pub(crate) async fn sign(&self, claims: &Claims) -> Result<String, AppError> {
        let mut conn = self.db.acquire().await?;
        let (kid, seed_b64) = q::key_current(&mut conn)
            .await?
            .ok_or_else(|| AppError::Internal("no signing key; run start-up first".into()))?;
        let seed = STANDARD
            .decode(seed_b64)
            .map_err(|e| AppError::Internal(format!("signing key {kid} is corrupt: {e}")))?;
        let key = SigningKey::from_seed(&kid, &seed)
            .ok_or_else(|| AppError::Internal(format!("signing key {kid} has the wrong length")))?;
        key.sign(claims)
            .map_err(|e| AppError::Internal(format!("signing with key {kid}: {e}")))
    }
}

impl App {
    /// Rotates the signing key for an admin of the platform operator.
    pub async fn keys_rotate_by(
        &self,
        caller: &renkei_kernel::auth::Caller,
    ) -> Result<String, AppError> {
        let not_operator = || {
            AppError::Forbidden(
                "only admins of the platform operator can rotate signing keys".into(),
            )
        };
        let organisation_id = caller
            .principal
            .organisation_id
            .clone()
            .ok_or_else(not_operator)?;
        {
            let mut conn = self.db.acquire().await?;
            self.authorize(
                &mut conn,
                caller,
                &organisation_id,
                renkei_kernel::auth::Role::Admin,
            )
            .await?;
            let organisation = crate::db::organisation_get(&mut conn, &organisation_id)
                .await?
                .ok_or(AppError::NotFound("organisation"))?;
            if organisation.kind != crate::domain::OrganisationKind::PlatformOperator {
                return Err(not_operator());
            }
        }
        self.keys_rotate(Some((&caller.principal.subject, &caller.client_addr)))
            .await
    }
}
