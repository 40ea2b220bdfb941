//! Sign-up, sign-in, refresh (which is also how a user switches
//! organisation), sign-out and sign-out everywhere.
//!
//! A sign-in opens a session: a family of refresh tokens in which every
//! refresh spends the presented token and hands out the next. Presenting a
//! spent token means a copy is in someone else's hands, so the whole family
//! is revoked. Failed sign-ins count per email address whether or not an
//! account has it, and every refusal says the same thing, so neither the
//! answer nor the lockout tells an attacker which addresses exist.

use std::time::Duration;

use renkei_kernel::{
    auth::{Caller, PrincipalKind, Role, claims, random_token},
    storage::{is_unique_violation, now_ms},
};
use serde_json::json;

use super::{Actor, App, AppError, password, secret_hash};
use crate::{
    db::access::{self as q, MembershipRow, SessionRow, UserRow},
    domain::account::{DisplayName, Email, check_password},
};

/// A validated sign-up.
#[derive(Debug, Clone)]
pub struct SignUp {
    /// Email.
    pub email: Email,
    /// Display name.
    pub display_name: DisplayName,
    /// The password, checked against the policy.
    pub password: String,
}

impl SignUp {
    /// Validates a sign-up; the password policy is checked here too.
    pub fn parse(email: &str, password: &str, display_name: &str) -> Result<SignUp, AppError> {
        let email = Email::parse("email", email)?;
        let display_name = DisplayName::parse("display_name", display_name)?;
        check_password(password, &email)?;
        Ok(SignUp {
            email,
            display_name,
            password: password.to_string(),
        })
    }
}

/// What a sign-in or refresh hands out.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// Short-lived JWT.
    pub access_token: String,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// Opaque, single-use; exchange it for the next pair.
    pub refresh_token: String,
    /// The organisation the access token acts in.
    pub organisation_id: Option<String>,
    /// The user's role there.
    pub role: Option<Role>,
    /// The user.
    pub user_id: String,
}

/// The signed-in user and their organisations.
#[derive(Debug, Clone)]
pub struct Me {
    /// Account.
    pub user: UserRow,
    /// Organisations, with roles.
    pub memberships: Vec<MembershipRow>,
    /// The organisation the token acts in.
    pub current_organisation_id: Option<String>,
}

impl App {
    /// Creates an account. A taken email is refused with `email_taken`.
    pub async fn sign_up(&self, input: SignUp, client_addr: &str) -> Result<UserRow, AppError> {
        let user = UserRow {
            user_id: uuid::Uuid::now_v7().to_string(),
            email: input.email.as_str().to_string(),
            display_name: input.display_name.as_str().to_string(),
            password_hash: password::hash(input.password).await?,
            created_at_ms: now_ms(),
        };
        let mut tx = self.db.begin().await?;
        match q::user_insert(&mut tx, &user).await {
            Err(e) if is_unique_violation(&e) => return Err(AppError::EmailTaken),
            other => other?,
        }
        self.audit(
            &mut tx,
            &Actor::user(&user.user_id, client_addr),
            None,
            "user.signed_up",
            &user.user_id,
            json!({ "email": user.email }),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.user_id, "user signed up");
        Ok(user)
    }

    /// Signs in with email and password, acting in `organisation_id` (or the
    /// user's first organisation).
    pub async fn sign_in(
        &self,
        email: &str,
        password_given: &str,
        organisation_id: Option<&str>,
        client_addr: &str,
    ) -> Result<TokenPair, AppError> {
        let email = Email::parse("email", email)?;
        let now = now_ms();
        let user = {
            let mut conn = self.db.acquire().await?;
            if let Some(until) = q::locked_until(&mut conn, email.as_str()).await?
                && until > now
            {
                return Err(AppError::Locked(seconds_until(until, now)));
            }
            q::user_by_email(&mut conn, email.as_str()).await?
        };
        let matches = password::verify(
            password_given.to_string(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
        let mut tx = self.db.begin().await?;
        let user = match (user, matches) {
            (Some(user), true) => user,
            _ => {
                let lock_until = now + millis(Duration::from_secs(self.auth.lockout_secs));
                let locked = q::sign_in_failed(
                    &mut tx,
                    email.as_str(),
                    self.auth.max_failed_sign_ins,
                    now,
                    lock_until,
                )
                .await?;
                let actor = Actor::anonymous(email.as_str(), client_addr);
                self.audit(
                    &mut tx,
                    &actor,
                    None,
                    "auth.sign_in_failed",
                    email.as_str(),
                    json!({}),
                )
                .await?;
                if locked {
                    self.audit(
                        &mut tx,
                        &actor,
                        None,
                        "auth.locked",
                        email.as_str(),
                        json!({ "until_ms": lock_until }),
                    )
                    .await?;
                }
                tx.commit().await?;
                return Err(AppError::InvalidCredentials);
            }
        };
        q::sign_in_succeeded(&mut tx, email.as_str()).await?;
        let memberships = q::memberships_of(&mut tx, &user.user_id).await?;
        let acting = match organisation_id {
            Some(wanted) => Some(
                memberships
                    .iter()
                    .find(|m| m.organisation_id == wanted)
                    .ok_or(AppError::NotFound("organisation"))?,
            ),
            None => memberships.first(),
        };
        let session = SessionRow {
            session_id: uuid::Uuid::now_v7().to_string(),
            user_id: user.user_id.clone(),
            organisation_id: acting.map(|m| m.organisation_id.clone()),
            expires_at_ms: now + millis(self.refresh_ttl()),
            revoked_at_ms: None,
        };
        q::session_insert(&mut tx, &session, now, client_addr).await?;
        let refresh_token = random_token(32);
        q::refresh_insert(
            &mut tx,
            &secret_hash(&refresh_token),
            &session.session_id,
            now,
        )
        .await?;
        self.audit(
            &mut tx,
            &Actor::user(&user.user_id, client_addr),
            acting.map(|m| m.organisation_id.as_str()),
            "auth.signed_in",
            &session.session_id,
            json!({}),
        )
        .await?;
        let pair = self
            .token_pair(
                &user.user_id,
                acting.map(|m| (m.organisation_id.as_str(), m.role)),
                &session.session_id,
                refresh_token,
            )
            .await?;
        tx.commit().await?;
        Ok(pair)
    }

    /// Exchanges a refresh token for a new pair, optionally switching to
    /// another of the user's organisations. A spent token revokes its session.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        switch_to: Option<&str>,
        client_addr: &str,
    ) -> Result<TokenPair, AppError> {
        let now = now_ms();
        let hash = secret_hash(refresh_token);
        let mut tx = self.db.begin().await?;
        let (session_id, used) = q::refresh_get(&mut tx, &hash)
            .await?
            .ok_or(AppError::BadRefreshToken)?;
        let session = q::session_get(&mut tx, &session_id)
            .await?
            .ok_or(AppError::BadRefreshToken)?;
        if session.revoked_at_ms.is_some() || session.expires_at_ms <= now {
            return Err(AppError::BadRefreshToken);
        }
        if used.is_some() || !q::refresh_spend(&mut tx, &hash, now).await? {
            q::session_revoke(&mut tx, &session_id, "refresh_token_reused", now).await?;
            self.audit(
                &mut tx,
                &Actor::user(&session.user_id, client_addr),
                session.organisation_id.as_deref(),
                "auth.refresh_token_reused",
                &session_id,
                json!({ "revoked": "session" }),
            )
            .await?;
            tx.commit().await?;
            tracing::warn!(
                session_id,
                "spent refresh token presented again; session revoked"
            );
            return Err(AppError::BadRefreshToken);
        }
        let memberships = q::memberships_of(&mut tx, &session.user_id).await?;
        let wanted = switch_to.or(session.organisation_id.as_deref());
        let acting = match wanted {
            Some(id) => match memberships.iter().find(|m| m.organisation_id == id) {
                Some(m) => Some(m),
                None if switch_to.is_some() => return Err(AppError::NotFound("organisation")),
                None => None,
            },
            None => None,
        };
        let acting_id = acting.map(|m| m.organisation_id.clone());
        q::session_touch(
            &mut tx,
            &session_id,
            acting_id.as_deref(),
            now,
            now + millis(self.refresh_ttl()),
        )
        .await?;
        let next = random_token(32);
        q::refresh_insert(&mut tx, &secret_hash(&next), &session_id, now).await?;
        if switch_to.is_some() && acting_id != session.organisation_id {
            self.audit(
                &mut tx,
                &Actor::user(&session.user_id, client_addr),
                acting_id.as_deref(),
                "auth.organisation_switched",
                &session_id,
                json!({ "from": session.organisation_id }),
            )
            .await?;
        }
        let pair = self
            .token_pair(
                &session.user_id,
                acting.map(|m| (m.organisation_id.as_str(), m.role)),
                &session_id,
                next,
            )
            .await?;
        tx.commit().await?;
        Ok(pair)
    }

    /// Ends the session of a refresh token. Unknown tokens are ignored, so
    /// signing out twice is harmless.
    pub async fn sign_out(&self, refresh_token: &str, client_addr: &str) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        if let Some((session_id, _)) = q::refresh_get(&mut tx, &secret_hash(refresh_token)).await?
            && let Some(session) = q::session_get(&mut tx, &session_id).await?
            && q::session_revoke(&mut tx, &session_id, "signed_out", now_ms()).await?
        {
            self.audit(
                &mut tx,
                &Actor::user(&session.user_id, client_addr),
                session.organisation_id.as_deref(),
                "auth.signed_out",
                &session_id,
                json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the caller. Returns how many were open.
    pub async fn sign_out_everywhere(&self, caller: &Caller) -> Result<u64, AppError> {
        let mut tx = self.db.begin().await?;
        self.signed_in_user(&mut tx, &caller.principal).await?;
        let user_id = &caller.principal.subject;
        let n =
            q::sessions_revoke_user(&mut tx, user_id, "signed_out_everywhere", now_ms()).await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            caller.principal.organisation_id.as_deref(),
            "auth.signed_out_everywhere",
            user_id,
            json!({ "sessions": n }),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The caller's account and organisations.
    pub async fn me(&self, caller: &Caller) -> Result<Me, AppError> {
        let mut conn = self.db.acquire().await?;
        self.signed_in_user(&mut conn, &caller.principal).await?;
        let user = q::user_get(&mut conn, &caller.principal.subject)
            .await?
            .ok_or(AppError::SessionEnded)?;
        let memberships = q::memberships_of(&mut conn, &user.user_id).await?;
        Ok(Me {
            user,
            memberships,
            current_organisation_id: caller.principal.organisation_id.clone(),
        })
    }

    fn refresh_ttl(&self) -> Duration {
        Duration::from_secs(self.auth.refresh_token_ttl_secs)
    }

    async fn token_pair(
        &self,
        user_id: &str,
        acting: Option<(&str, Role)>,
        session_id: &str,
        refresh_token: String,
    ) -> Result<TokenPair, AppError> {
        let c = claims(
            PrincipalKind::User,
            user_id,
            acting.map(|(o, r)| (o, Some(r))),
            None,
            Some(session_id),
            self.access_ttl(),
        );
        Ok(TokenPair {
            access_token: self.sign(&c).await?,
            expires_in: self.access_ttl().as_secs(),
            refresh_token,
            organisation_id: acting.map(|(o, _)| o.to_string()),
            role: acting.map(|(_, r)| r),
            user_id: user_id.to_string(),
        })
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

fn seconds_until(until_ms: i64, now_ms: i64) -> u64 {
    u64::try_from((until_ms - now_ms + 999) / 1000)
        .unwrap_or(1)
        .max(1)
}

impl App {
    /// An account by email, for trusted tools (demo loader, operators' CLI).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, AppError> {
        let email = Email::parse("email", email)?;
        let mut conn = self.db.acquire().await?;
        Ok(q::user_by_email(&mut conn, email.as_str()).await?)
    }
}
