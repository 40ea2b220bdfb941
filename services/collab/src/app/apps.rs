//! Apps of local IT vendors: registration by the vendor, installation by an
//! organisation with the scopes it grants, credentials per installation,
//! OAuth2 client credentials (RFC 6749 §4.4) for that installation only, and
//! uninstalling, which revokes at once.

use std::time::Duration;

use renkei_kernel::{
    auth::{Caller, PrincipalKind, Role, claims, random_token},
    storage::now_ms,
};
use serde_json::json;

use super::{Actor, App, AppError, secret_hash};
use crate::{
    db::{
        self,
        app::{self as q, AppRow, DeliveryRow, InstallationRow},
    },
    domain::{
        Invalid, OrganisationKind,
        app::{AppScope, event_types, scope_set, webhook_url},
    },
};

/// A validated app registration.
#[derive(Debug, Clone)]
pub struct NewApp {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Webhook address.
    pub webhook_url: Option<String>,
    /// Scopes it asks for.
    pub scopes: Vec<AppScope>,
    /// Event types it subscribes to.
    pub events: Vec<String>,
}

/// Fresh credentials of an installation, shown once to the vendor.
#[derive(Debug, Clone)]
pub struct AppCredentials {
    /// Installation.
    pub installation_id: String,
    /// OAuth2 client id.
    pub client_id: String,
    /// OAuth2 client secret.
    pub client_secret: String,
    /// Verifies `Renkei-Signature` on deliveries.
    pub webhook_secret: String,
}

/// Refusals of the token endpoint, in RFC 6749 §5.2 terms.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// Unknown client, wrong secret, or the app was uninstalled.
    #[error("invalid_client")]
    InvalidClient,
    /// A requested scope was not granted.
    #[error("invalid_scope")]
    InvalidScope(String),
    /// Anything else that failed.
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<sqlx::Error> for OAuthError {
    fn from(e: sqlx::Error) -> Self {
        OAuthError::App(e.into())
    }
}

/// Lifetime of an app's access token.
const APP_TOKEN_TTL: Duration = Duration::from_secs(600);

impl App {
    async fn vendor_app(
        &self,
        conn: &mut renkei_kernel::storage::Conn,
        caller: &Caller,
        vendor_id: &str,
        app_id: &str,
    ) -> Result<AppRow, AppError> {
        self.authorize(conn, caller, vendor_id, Role::Admin).await?;
        q::app_get(conn, app_id)
            .await?
            .filter(|a| a.vendor_id == vendor_id)
            .ok_or(AppError::NotFound("app"))
    }

    /// Registers an app (admins of an IT vendor).
    pub async fn app_register(
        &self,
        caller: &Caller,
        vendor_id: &str,
        input: NewApp,
    ) -> Result<AppRow, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, vendor_id, Role::Admin)
            .await?;
        let vendor = db::organisation_get(&mut tx, vendor_id)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        if vendor.kind != OrganisationKind::ItVendor {
            return Err(AppError::Forbidden("only IT vendors register apps".into()));
        }
        let name = crate::domain::LegalName::parse("name", &input.name)?;
        let app = AppRow {
            app_id: uuid::Uuid::now_v7().to_string(),
            vendor_id: vendor_id.to_string(),
            name: name.as_str().to_string(),
            description: input
                .description
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty()),
            webhook_url: input
                .webhook_url
                .as_deref()
                .map(|u| webhook_url("webhook_url", u))
                .transpose()?,
            scopes: scope_set("scopes", &input.scopes)?,
            events: event_types("events", &input.events)?,
            created_at_ms: now_ms(),
        };
        if !app.events.is_empty() && app.webhook_url.is_none() {
            return Err(Invalid {
                field: "webhook_url".into(),
                reason: "an app that subscribes to events needs a webhook address".into(),
            }
            .into());
        }
        q::app_insert(&mut tx, &app).await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(vendor_id),
            "app.registered",
            &app.app_id,
            json!({ "name": app.name, "scopes": AppScope::join(&app.scopes) }),
        )
        .await?;
        tx.commit().await?;
        Ok(app)
    }

    /// The vendor's apps.
    pub async fn app_list(
        &self,
        caller: &Caller,
        vendor_id: &str,
    ) -> Result<Vec<AppRow>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize(&mut conn, caller, vendor_id, Role::Viewer)
            .await?;
        Ok(q::apps(&mut conn, vendor_id).await?)
    }

    /// Every app, for organisations choosing one to install.
    pub async fn app_catalogue(&self, caller: &Caller) -> Result<Vec<AppRow>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.signed_in_user(&mut conn, &caller.principal).await?;
        Ok(q::apps(&mut conn, "").await?)
    }

    /// Installs an app, granting some of the scopes it asks for (admins).
    pub async fn installation_create(
        &self,
        caller: &Caller,
        organisation_id: &str,
        app_id: &str,
        scopes: &[AppScope],
    ) -> Result<InstallationRow, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        let app = q::app_get(&mut tx, app_id).await?.ok_or_else(|| Invalid {
            field: "app_id".into(),
            reason: format!("no app `{app_id}`; pick one from the catalogue"),
        })?;
        let scopes = scope_set("scopes", scopes)?;
        if let Some(extra) = scopes.iter().find(|s| !app.scopes.contains(s)) {
            return Err(Invalid {
                field: "scopes".into(),
                reason: format!("the app does not ask for `{}`", extra.as_str()),
            }
            .into());
        }
        if q::installations_of_org(&mut tx, organisation_id)
            .await?
            .iter()
            .any(|i| i.app_id == app_id && i.uninstalled_at_ms.is_none())
        {
            return Err(AppError::Conflict("this app is already installed".into()));
        }
        let installation = InstallationRow {
            installation_id: uuid::Uuid::now_v7().to_string(),
            app_id: app_id.to_string(),
            organisation_id: organisation_id.to_string(),
            scopes,
            client_id: format!("rk_{}", uuid::Uuid::now_v7().simple()),
            client_secret_hash: None,
            webhook_secret: random_token(32),
            installed_at_ms: now_ms(),
            uninstalled_at_ms: None,
        };
        q::installation_insert(&mut tx, &installation, &caller.principal.subject).await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            "app.installed",
            &installation.installation_id,
            json!({ "app_id": app_id, "scopes": AppScope::join(&installation.scopes) }),
        )
        .await?;
        tx.commit().await?;
        Ok(installation)
    }

    /// The organisation's installations.
    pub async fn installation_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Vec<InstallationRow>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize(&mut conn, caller, organisation_id, Role::Viewer)
            .await?;
        Ok(q::installations_of_org(&mut conn, organisation_id).await?)
    }

    /// Uninstalls an app (admins): its tokens stop working at once and no
    /// more events are delivered to it.
    pub async fn installation_remove(
        &self,
        caller: &Caller,
        organisation_id: &str,
        installation_id: &str,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        q::installation_get(&mut tx, installation_id)
            .await?
            .filter(|i| i.organisation_id == organisation_id)
            .ok_or(AppError::NotFound("installation"))?;
        if !q::installation_remove(&mut tx, installation_id, now_ms()).await? {
            return Err(AppError::Conflict(
                "this app was already uninstalled".into(),
            ));
        }
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            "app.uninstalled",
            installation_id,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Installations of the vendor's app.
    pub async fn app_installations(
        &self,
        caller: &Caller,
        vendor_id: &str,
        app_id: &str,
    ) -> Result<Vec<InstallationRow>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.vendor_app(&mut conn, caller, vendor_id, app_id)
            .await?;
        Ok(q::installations_of_app(&mut conn, app_id).await?)
    }

    /// Issues new credentials for an installation of the vendor's app (its
    /// admins); the previous client secret and webhook secret stop working.
    pub async fn app_credentials(
        &self,
        caller: &Caller,
        vendor_id: &str,
        app_id: &str,
        installation_id: &str,
    ) -> Result<AppCredentials, AppError> {
        let mut tx = self.db.begin().await?;
        self.vendor_app(&mut tx, caller, vendor_id, app_id).await?;
        let installation = q::installation_get(&mut tx, installation_id)
            .await?
            .filter(|i| i.app_id == app_id && i.uninstalled_at_ms.is_none())
            .ok_or(AppError::NotFound("installation"))?;
        let client_secret = random_token(32);
        let webhook_secret = random_token(32);
        q::installation_set_secrets(
            &mut tx,
            installation_id,
            &secret_hash(&client_secret),
            &webhook_secret,
        )
        .await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(vendor_id),
            "app.credentials_issued",
            installation_id,
            json!({ "app_id": app_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(AppCredentials {
            installation_id: installation.installation_id,
            client_id: installation.client_id,
            client_secret,
            webhook_secret,
        })
    }

    /// The delivery log of the vendor's app.
    pub async fn app_deliveries(
        &self,
        caller: &Caller,
        vendor_id: &str,
        app_id: &str,
    ) -> Result<Vec<DeliveryRow>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.vendor_app(&mut conn, caller, vendor_id, app_id)
            .await?;
        Ok(q::deliveries_of_app(&mut conn, app_id, 200).await?)
    }

    /// OAuth2 client credentials: an access token for one installation,
    /// with the granted scopes or the requested subset of them.
    pub async fn oauth_token(
        &self,
        client_id: &str,
        client_secret: &str,
        scope: Option<&str>,
    ) -> Result<(String, Vec<AppScope>, u64), OAuthError> {
        let mut conn = self.db.acquire().await?;
        let installation = q::installation_by_client(&mut conn, client_id)
            .await?
            .filter(|i| i.uninstalled_at_ms.is_none())
            .ok_or(OAuthError::InvalidClient)?;
        let expected = installation
            .client_secret_hash
            .as_deref()
            .ok_or(OAuthError::InvalidClient)?;
        if !renkei_kernel::auth::same_secret(
            expected.as_bytes(),
            secret_hash(client_secret).as_bytes(),
        ) {
            return Err(OAuthError::InvalidClient);
        }
        let scopes = match scope.map(str::trim).filter(|s| !s.is_empty()) {
            None => installation.scopes.clone(),
            Some(requested) => {
                let wanted = AppScope::parse_list("scope", requested)
                    .map_err(|e| OAuthError::InvalidScope(e.reason))?;
                if let Some(extra) = wanted.iter().find(|s| !installation.scopes.contains(s)) {
                    return Err(OAuthError::InvalidScope(format!(
                        "`{}` was not granted to this installation",
                        extra.as_str()
                    )));
                }
                wanted
            }
        };
        let c = claims(
            PrincipalKind::App,
            &installation.installation_id,
            Some((&installation.organisation_id, None)),
            Some(&AppScope::join(&scopes)),
            None,
            APP_TOKEN_TTL,
        );
        let token = self.sign(&c).await?;
        Ok((token, scopes, APP_TOKEN_TTL.as_secs()))
    }
}
