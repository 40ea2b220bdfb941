//! Members and invitations. Admins invite by email with a role; the invitee
//! accepts with the token while signed in with that email. Only owners make
//! or unmake owners, and an organisation always keeps at least one owner.

use std::time::Duration;

use renkei_kernel::{
    auth::{Caller, Role, random_token},
    storage::{is_unique_violation, now_ms},
};
use serde_json::json;

use super::{Actor, App, AppError, secret_hash};
use crate::{
    db::access::{self as q, InvitationRow, MemberRow},
    domain::account::Email,
};

/// A validated invitation request.
#[derive(Debug, Clone)]
pub struct Invite {
    /// Who.
    pub email: Email,
    /// As what.
    pub role: Role,
}

/// A new invitation and the token to pass to the invitee (shown once).
#[derive(Debug, Clone)]
pub struct Invited {
    /// The stored invitation.
    pub invitation: InvitationRow,
    /// The secret that accepts it.
    pub token: String,
}

/// Refuses a change that would take the last owner's ownership away.
async fn keep_an_owner(
    conn: &mut renkei_kernel::storage::Conn,
    organisation_id: &str,
    current: Role,
) -> Result<(), AppError> {
    if current == Role::Owner && q::owner_count(conn, organisation_id).await? <= 1 {
        return Err(AppError::Conflict(
            "an organisation needs at least one owner; make someone else owner first".into(),
        ));
    }
    Ok(())
}

fn only_owners_touch_owners(actor_role: Role, role: Role) -> Result<(), AppError> {
    if role == Role::Owner && actor_role != Role::Owner {
        return Err(AppError::Forbidden(
            "only an owner can make someone an owner or change an owner's role".into(),
        ));
    }
    Ok(())
}

impl App {
    /// Invites someone to the organisation (admins and owners).
    pub async fn invitation_create(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: Invite,
    ) -> Result<Invited, AppError> {
        let mut tx = self.db.begin().await?;
        let my_role = self
            .authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        only_owners_touch_owners(my_role, input.role)?;
        if let Some(user) = q::user_by_email(&mut tx, input.email.as_str()).await?
            && q::membership_role(&mut tx, organisation_id, &user.user_id)
                .await?
                .is_some()
        {
            return Err(AppError::Conflict(
                "this person is already a member of the organisation".into(),
            ));
        }
        let now = now_ms();
        let ttl = Duration::from_secs(self.auth.invitation_ttl_secs);
        let invitation = InvitationRow {
            invitation_id: uuid::Uuid::now_v7().to_string(),
            organisation_id: organisation_id.to_string(),
            email: input.email.as_str().to_string(),
            role: input.role,
            invited_by: caller.principal.subject.clone(),
            created_at_ms: now,
            expires_at_ms: now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4),
            accepted_at_ms: None,
            revoked_at_ms: None,
        };
        let token = random_token(24);
        q::invitation_insert(&mut tx, &invitation, &secret_hash(&token)).await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            "invitation.created",
            &invitation.invitation_id,
            json!({ "email": invitation.email, "role": invitation.role.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(Invited { invitation, token })
    }

    /// The organisation's invitations (admins and owners).
    pub async fn invitation_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Vec<InvitationRow>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize(&mut conn, caller, organisation_id, Role::Admin)
            .await?;
        Ok(q::invitations(&mut conn, organisation_id).await?)
    }

    /// Withdraws an open invitation (admins and owners).
    pub async fn invitation_revoke(
        &self,
        caller: &Caller,
        organisation_id: &str,
        invitation_id: &str,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        q::invitation_get(&mut tx, organisation_id, invitation_id)
            .await?
            .ok_or(AppError::NotFound("invitation"))?;
        if !q::invitation_revoke(&mut tx, invitation_id, now_ms()).await? {
            return Err(AppError::Conflict(
                "this invitation was already accepted or withdrawn".into(),
            ));
        }
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            "invitation.revoked",
            invitation_id,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accepts an invitation as the signed-in user, whose email must be the
    /// invited one. Returns the organisation id and the role gained.
    pub async fn invitation_accept(
        &self,
        caller: &Caller,
        token: &str,
    ) -> Result<(String, Role), AppError> {
        let mut tx = self.db.begin().await?;
        self.signed_in_user(&mut tx, &caller.principal).await?;
        let not_valid = || AppError::NotFound("invitation");
        let invitation = q::invitation_by_token(&mut tx, &secret_hash(token))
            .await?
            .ok_or_else(not_valid)?;
        let now = now_ms();
        if invitation.revoked_at_ms.is_some()
            || invitation.accepted_at_ms.is_some()
            || invitation.expires_at_ms <= now
        {
            return Err(AppError::Conflict(
                "this invitation has expired, was withdrawn or was already used; ask for a new one"
                    .into(),
            ));
        }
        let user = q::user_get(&mut tx, &caller.principal.subject)
            .await?
            .ok_or(AppError::SessionEnded)?;
        if user.email != invitation.email {
            return Err(AppError::Forbidden(
                "this invitation was sent to another email address; sign in with that address to accept it"
                    .into(),
            ));
        }
        if !q::invitation_accept(&mut tx, &invitation.invitation_id, &user.user_id, now).await? {
            return Err(not_valid());
        }
        match q::membership_insert(
            &mut tx,
            &invitation.organisation_id,
            &user.user_id,
            invitation.role,
            now,
        )
        .await
        {
            Err(e) if is_unique_violation(&e) => {
                return Err(AppError::Conflict(
                    "you are already a member of this organisation".into(),
                ));
            }
            other => other?,
        }
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(&invitation.organisation_id),
            "membership.added",
            &user.user_id,
            json!({ "role": invitation.role.as_str(), "invitation_id": invitation.invitation_id }),
        )
        .await?;
        tx.commit().await?;
        Ok((invitation.organisation_id, invitation.role))
    }

    /// The organisation's members (any member may see them).
    pub async fn member_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Vec<MemberRow>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize(&mut conn, caller, organisation_id, Role::Viewer)
            .await?;
        Ok(q::members(&mut conn, organisation_id).await?)
    }

    /// Changes a member's role (admins and owners; owners for owner changes).
    pub async fn member_set_role(
        &self,
        caller: &Caller,
        organisation_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        let my_role = self
            .authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        let current = q::membership_role(&mut tx, organisation_id, user_id)
            .await?
            .ok_or(AppError::NotFound("member"))?;
        only_owners_touch_owners(my_role, role)?;
        only_owners_touch_owners(my_role, current)?;
        if role != Role::Owner {
            keep_an_owner(&mut tx, organisation_id, current).await?;
        }
        q::membership_set_role(&mut tx, organisation_id, user_id, role).await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            "membership.role_changed",
            user_id,
            json!({ "from": current.as_str(), "to": role.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a member (admins and owners), or lets members leave themselves.
    pub async fn member_remove(
        &self,
        caller: &Caller,
        organisation_id: &str,
        user_id: &str,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        let leaving = caller.principal.subject == user_id;
        let my_role = self
            .authorize(
                &mut tx,
                caller,
                organisation_id,
                if leaving { Role::Viewer } else { Role::Admin },
            )
            .await?;
        let current = q::membership_role(&mut tx, organisation_id, user_id)
            .await?
            .ok_or(AppError::NotFound("member"))?;
        if !leaving {
            only_owners_touch_owners(my_role, current)?;
        }
        keep_an_owner(&mut tx, organisation_id, current).await?;
        q::membership_delete(&mut tx, organisation_id, user_id).await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            if leaving {
                "membership.left"
            } else {
                "membership.removed"
            },
            user_id,
            json!({ "role": current.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
