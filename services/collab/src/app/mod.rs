//! Use cases of the collaboration service. Each owns its transaction: the
//! business rows, the audit entry, the outbox event and the idempotency
//! record commit together or not at all. Every use case that acts for a
//! caller checks the caller first (see [`App::authorize`]).

mod access;
mod apps;
mod audit;
mod consents;
mod keys;
mod members;
mod messages;
mod organisation;
mod partners;
mod password;
mod webhooks;

use std::time::Duration;

use renkei_kernel::{
    Db,
    auth::{AuthError, Caller, Principal, PrincipalKind, Role, Verifier},
    idempotency,
    settings::AuthSettings,
    storage::{Conn, now_ms},
};

use crate::{
    db,
    domain::{Invalid, account::WeakPassword, audit::AuditEntry},
};

pub use access::{Me, SignUp, TokenPair};
pub use apps::{AppCredentials, NewApp, OAuthError};
pub use audit::ChainReport;
pub use consents::Grant;
pub use keys::DbKeys;
pub use members::{Invite, Invited};
pub use messages::{NewThread, Notifications};
pub use organisation::Registered;
pub use partners::{NewGroup, Proposal};
pub use webhooks::{WebhookFanout, dispatch_due, run_dispatcher};

/// Errors of the use cases; converted to HTTP or GraphQL errors at the edge.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input did not validate.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such thing for this caller (it may exist in another tenant).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The idempotency key was used with a different request.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    /// The idempotency key is malformed.
    #[error(transparent)]
    BadKey(#[from] idempotency::InvalidKey),
    /// No valid sign-in.
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    /// The sign-in session behind the token has ended.
    #[error("this sign-in has ended; sign in again")]
    SessionEnded,
    /// The refresh token is unknown, spent or expired.
    #[error("the refresh token is not valid; sign in again")]
    BadRefreshToken,
    /// Email and password do not match.
    #[error("the email address or the password is wrong")]
    InvalidCredentials,
    /// The email is locked after repeated failures.
    #[error("too many failed sign-ins for this email address; try again in {0} seconds")]
    Locked(u64),
    /// Sign-up with an email that has an account.
    #[error("an account with this email address already exists; sign in instead")]
    EmailTaken,
    /// The new password fails the policy.
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// Conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    /// Something that should not fail did (key material, hashing).
    #[error("{0}")]
    Internal(String),
}

impl From<AppError> for renkei_kernel::ApiError {
    fn from(e: AppError) -> Self {
        use renkei_kernel::{ApiError, Code};
        let message = e.to_string();
        match e {
            AppError::Invalid(i) => ApiError::invalid(i.field, i.reason),
            AppError::NotFound(what) => ApiError::not_found(what),
            AppError::KeyReused => ApiError::new(Code::IdempotencyKeyReused, message),
            AppError::BadKey(k) => ApiError::invalid("Idempotency-Key", k.to_string()),
            AppError::Unauthenticated(a) => a.into(),
            AppError::SessionEnded | AppError::BadRefreshToken => {
                ApiError::new(Code::Unauthenticated, message)
            }
            AppError::InvalidCredentials => ApiError::new(Code::InvalidCredentials, message),
            AppError::Locked(secs) => ApiError {
                retry_after_secs: Some(secs),
                ..ApiError::new(Code::TooManyAttempts, message)
            },
            AppError::EmailTaken => ApiError {
                field: Some("email".into()),
                ..ApiError::new(Code::EmailTaken, message)
            },
            AppError::WeakPassword(_) => ApiError {
                field: Some("password".into()),
                ..ApiError::new(Code::WeakPassword, message)
            },
            AppError::Forbidden(_) => ApiError::new(Code::Forbidden, message),
            AppError::Conflict(_) => ApiError::new(Code::Conflict, message),
            AppError::Storage(s) => s.into(),
            AppError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

/// The collaboration service's state.
#[derive(Clone, Debug)]
pub struct App {
    db: Db,
    auth: AuthSettings,
    verifier: Verifier,
}

impl axum::extract::FromRef<App> for Verifier {
    fn from_ref(app: &App) -> Verifier {
        app.verifier.clone()
    }
}

/// Who did something, for the audit log.
pub(crate) struct Actor<'a> {
    kind: &'static str,
    id: &'a str,
    client_addr: &'a str,
}

impl<'a> Actor<'a> {
    pub(crate) fn of(caller: &'a Caller) -> Actor<'a> {
        Actor {
            kind: match caller.principal.kind {
                PrincipalKind::User => "user",
                PrincipalKind::App => "app",
            },
            id: &caller.principal.subject,
            client_addr: &caller.client_addr,
        }
    }

    pub(crate) fn anonymous(claimed: &'a str, client_addr: &'a str) -> Actor<'a> {
        Actor {
            kind: "anonymous",
            id: claimed,
            client_addr,
        }
    }

    pub(crate) fn user(user_id: &'a str, client_addr: &'a str) -> Actor<'a> {
        Actor {
            kind: "user",
            id: user_id,
            client_addr,
        }
    }

    pub(crate) fn system() -> Actor<'static> {
        Actor {
            kind: "system",
            id: "renkei",
            client_addr: "local",
        }
    }
}

impl App {
    /// State over this database; tokens are verified against the keys in it.
    pub fn new(db: Db, auth: AuthSettings) -> App {
        let verifier = Verifier::new(std::sync::Arc::new(DbKeys::new(
            db.clone(),
            Duration::from_secs(auth.access_token_ttl_secs),
        )));
        App { db, auth, verifier }
    }

    /// The service's database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Sign-in and token settings.
    pub fn auth_settings(&self) -> &AuthSettings {
        &self.auth
    }

    /// The verifier of access tokens, to share with services in this process.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.auth.access_token_ttl_secs)
    }

    /// Appends an audit entry in the caller's transaction.
    pub(crate) async fn audit(
        &self,
        conn: &mut Conn,
        actor: &Actor<'_>,
        organisation_id: Option<&str>,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<(), sqlx::Error> {
        db::audit::append(
            conn,
            AuditEntry {
                seq: 0,
                at_ms: now_ms(),
                actor_kind: actor.kind.to_string(),
                actor_id: actor.id.to_string(),
                organisation_id: organisation_id.map(str::to_string),
                action: action.to_string(),
                target: target.to_string(),
                client_addr: actor.client_addr.to_string(),
                detail: detail.to_string(),
                prev_hash: String::new(),
                entry_hash: String::new(),
            },
        )
        .await?;
        Ok(())
    }

    /// A signed-in user whose session is still open.
    pub(crate) async fn signed_in_user(
        &self,
        conn: &mut Conn,
        principal: &Principal,
    ) -> Result<(), AppError> {
        if principal.kind != PrincipalKind::User {
            return Err(AppError::Forbidden(
                "this operation is for signed-in people, not for apps".into(),
            ));
        }
        if let Some(session_id) = &principal.session_id {
            let session = db::access::session_get(conn, session_id).await?;
            match session {
                Some(s) if s.revoked_at_ms.is_none() && s.user_id == principal.subject => {}
                _ => return Err(AppError::SessionEnded),
            }
        }
        Ok(())
    }

    /// Checks that the caller acts in `organisation_id` with at least
    /// `needed`, and returns its current role there. A caller who is not a
    /// member learns nothing: the organisation is "not found", exactly as one
    /// that does not exist.
    pub(crate) async fn authorize(
        &self,
        conn: &mut Conn,
        caller: &Caller,
        organisation_id: &str,
        needed: Role,
    ) -> Result<Role, AppError> {
        self.authorize_or_app(conn, caller, organisation_id, needed, None)
            .await
    }

    /// [`App::authorize`] for people, and for installed apps that were
    /// granted `app_scope` in this organisation: the installation must still
    /// be installed (uninstalling revokes at once), belong to this
    /// organisation, and hold the scope now and in its token. An app is
    /// answered like a stranger (`404`) outside its organisation.
    pub(crate) async fn authorize_or_app(
        &self,
        conn: &mut Conn,
        caller: &Caller,
        organisation_id: &str,
        needed: Role,
        app_scope: Option<crate::domain::app::AppScope>,
    ) -> Result<Role, AppError> {
        let principal = &caller.principal;
        if principal.kind == PrincipalKind::App {
            let installation = db::app::installation_get(conn, &principal.subject)
                .await?
                .filter(|i| i.uninstalled_at_ms.is_none())
                .ok_or(AppError::SessionEnded)?;
            if installation.organisation_id != organisation_id
                || principal.organisation_id.as_deref() != Some(organisation_id)
            {
                return Err(AppError::NotFound("organisation"));
            }
            let Some(scope) = app_scope else {
                return Err(AppError::Forbidden(
                    "apps cannot use this operation; it is for signed-in people".into(),
                ));
            };
            if !installation.scopes.contains(&scope) || !principal.has_scope(scope.as_str()) {
                return Err(AppError::Forbidden(format!(
                    "this app was not granted the scope `{}`",
                    scope.as_str()
                )));
            }
            return Ok(Role::Viewer);
        }
        self.signed_in_user(conn, principal).await?;
        let role = db::access::membership_role(conn, organisation_id, &principal.subject)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        if principal.organisation_id.as_deref() != Some(organisation_id) {
            return Err(AppError::Forbidden(
                "this access token acts in another of your organisations; switch to this one first"
                    .into(),
            ));
        }
        if !role.at_least(needed) {
            return Err(AppError::Forbidden(format!(
                "this needs the role `{}` or higher; yours is `{}`",
                needed.as_str(),
                role.as_str()
            )));
        }
        Ok(role)
    }
}

/// SHA-256 of a bearer secret (refresh or invitation token), hex; only this is stored.
pub(crate) fn secret_hash(secret: &str) -> String {
    use sha2::Digest as _;
    renkei_kernel::auth::hex(&sha2::Sha256::digest(secret.as_bytes()))
}

/// The idempotency scope of a use case for one caller, so that two callers
/// can never collide on a key.
pub(crate) fn scope(use_case: &str, principal: &Principal) -> String {
    format!("{use_case}:{}", principal.subject)
}
