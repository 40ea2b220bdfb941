//! Finding organisations, partnerships between two of them, and
//! collaboration groups with versioned membership.

use renkei_kernel::{
    auth::{Caller, Role},
    events,
    storage::now_ms,
};
use serde_json::json;

use super::{Actor, App, AppError};
use crate::{
    db::partner::{self as q, DirectoryRow},
    domain::{
        Invalid, OrganisationKind,
        partnership::{
            Group, GroupKind, Partnership, PartnershipAction, PartnershipKind, PartnershipStatus,
        },
    },
};

/// A validated partnership proposal.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The organisation asked.
    pub counterparty_id: String,
    /// Kind.
    pub kind: PartnershipKind,
    /// For buyer–supplier: whether the proposer is the buyer.
    pub proposer_buys: bool,
    /// A note for the other side.
    pub note: Option<String>,
}

/// A validated new group.
#[derive(Debug, Clone)]
pub struct NewGroup {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: GroupKind,
    /// Description.
    pub description: Option<String>,
    /// Members besides the organiser.
    pub members: Vec<String>,
}

/// Most directory entries one search returns.
pub const DIRECTORY_LIMIT: i64 = 50;

fn not_found_partnership() -> AppError {
    AppError::NotFound("partnership")
}

impl App {
    /// Organisations by name, kind and prefecture: the public part of their
    /// profile, for any signed-in caller looking for partners.
    pub async fn directory(
        &self,
        caller: &Caller,
        q: &str,
        kind: Option<OrganisationKind>,
        prefecture_code: Option<&str>,
    ) -> Result<Vec<DirectoryRow>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.signed_in_user(&mut conn, &caller.principal).await?;
        Ok(q::directory(&mut conn, q.trim(), kind, prefecture_code, DIRECTORY_LIMIT).await?)
    }

    async fn existing_other(
        &self,
        conn: &mut renkei_kernel::storage::Conn,
        me: &str,
        other: &str,
        field: &str,
    ) -> Result<(), AppError> {
        if other == me {
            return Err(Invalid {
                field: field.into(),
                reason: "an organisation cannot do this with itself".into(),
            }
            .into());
        }
        if !q::organisation_exists(conn, other).await? {
            return Err(Invalid {
                field: field.into(),
                reason: format!("no organisation `{other}`; find it in the directory first"),
            }
            .into());
        }
        Ok(())
    }

    /// Proposes a partnership (admins).
    pub async fn partnership_propose(
        &self,
        caller: &Caller,
        organisation_id: &str,
        proposal: Proposal,
    ) -> Result<Partnership, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        self.existing_other(
            &mut tx,
            organisation_id,
            &proposal.counterparty_id,
            "counterparty_id",
        )
        .await?;
        if !q::partnerships_open_between(
            &mut tx,
            organisation_id,
            &proposal.counterparty_id,
            proposal.kind,
        )
        .await?
        .is_empty()
        {
            return Err(AppError::Conflict(
                "a partnership of this kind between the two is already proposed or active".into(),
            ));
        }
        let now = now_ms();
        let p = Partnership {
            partnership_id: uuid::Uuid::now_v7().to_string(),
            proposer_id: organisation_id.to_string(),
            counterparty_id: proposal.counterparty_id.clone(),
            kind: proposal.kind,
            buyer_id: (proposal.kind == PartnershipKind::BuyerSupplier).then(|| {
                if proposal.proposer_buys {
                    organisation_id.to_string()
                } else {
                    proposal.counterparty_id.clone()
                }
            }),
            status: PartnershipStatus::Proposed,
            note: proposal.note,
            version: 1,
            proposed_at_ms: now,
            changed_at_ms: now,
            ended_by_id: None,
        };
        q::partnership_insert(&mut tx, &p, &caller.principal.subject).await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            "partnership.proposed",
            &p.partnership_id,
            json!({ "counterparty_id": p.counterparty_id, "kind": p.kind.as_str() }),
        )
        .await?;
        events::publish(
            &mut tx,
            organisation_id,
            &p.partnership_id,
            &crate::events::partnership_proposed(&p),
        )
        .await?;
        tx.commit().await?;
        Ok(p)
    }

    /// The partnerships the organisation is a side of.
    pub async fn partnership_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Vec<Partnership>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize_or_app(
            &mut conn,
            caller,
            organisation_id,
            Role::Viewer,
            Some(crate::domain::app::AppScope::PartnersRead),
        )
        .await?;
        Ok(q::partnerships_of(&mut conn, organisation_id).await?)
    }

    /// One partnership the organisation is a side of.
    pub async fn partnership_view(
        &self,
        caller: &Caller,
        organisation_id: &str,
        partnership_id: &str,
    ) -> Result<Partnership, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize(&mut conn, caller, organisation_id, Role::Viewer)
            .await?;
        q::partnership_of(&mut conn, organisation_id, partnership_id)
            .await?
            .ok_or_else(not_found_partnership)
    }

    /// Accepts, declines, withdraws or ends a partnership (admins of either side, as the rules say).
    pub async fn partnership_act(
        &self,
        caller: &Caller,
        organisation_id: &str,
        partnership_id: &str,
        action: PartnershipAction,
    ) -> Result<Partnership, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        let current = q::partnership_of(&mut tx, organisation_id, partnership_id)
            .await?
            .ok_or_else(not_found_partnership)?;
        let status = current
            .next(organisation_id, action)
            .map_err(|r| AppError::Conflict(r.0))?;
        let next = Partnership {
            status,
            version: current.version + 1,
            changed_at_ms: now_ms(),
            ended_by_id: (status != PartnershipStatus::Active).then(|| organisation_id.to_string()),
            ..current.clone()
        };
        if !q::partnership_update(&mut tx, &next, current.version).await? {
            return Err(AppError::Conflict(
                "the partnership changed meanwhile; reload it and try again".into(),
            ));
        }
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            &format!("partnership.{}", status.as_str()),
            partnership_id,
            json!({ "other": next.other(organisation_id), "from": current.status.as_str() }),
        )
        .await?;
        if status == PartnershipStatus::Active {
            events::publish(
                &mut tx,
                organisation_id,
                partnership_id,
                &crate::events::partnership_accepted(&next),
            )
            .await?;
        } else {
            events::publish(
                &mut tx,
                organisation_id,
                partnership_id,
                &crate::events::partnership_ended(&next),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(next)
    }

    /// Forms a group with the caller's organisation as organiser (admins).
    pub async fn group_create(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: NewGroup,
    ) -> Result<Group, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        for (i, member) in input.members.iter().enumerate() {
            if member != organisation_id && !q::organisation_exists(&mut tx, member).await? {
                return Err(Invalid {
                    field: format!("members[{i}]"),
                    reason: format!("no organisation `{member}`"),
                }
                .into());
            }
        }
        let now = now_ms();
        let base = Group {
            group_id: uuid::Uuid::now_v7().to_string(),
            organiser_id: organisation_id.to_string(),
            name: input.name,
            kind: input.kind,
            description: input.description,
            version: 1,
            members: vec![organisation_id.to_string()],
            created_at_ms: now,
            changed_at_ms: now,
        };
        let members = base
            .reformed(&input.members, &[])?
            .unwrap_or_else(|| base.members.clone());
        let group = Group { members, ..base };
        q::group_insert(&mut tx, &group).await?;
        q::group_version_insert(&mut tx, &group, organisation_id).await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            "group.formed",
            &group.group_id,
            json!({ "name": group.name, "members": group.members }),
        )
        .await?;
        events::publish(
            &mut tx,
            organisation_id,
            &group.group_id,
            &crate::events::group_changed(&group),
        )
        .await?;
        tx.commit().await?;
        Ok(group)
    }

    /// The groups the organisation belongs to now, at their current version.
    pub async fn group_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Vec<Group>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize(&mut conn, caller, organisation_id, Role::Viewer)
            .await?;
        let mut groups = Vec::new();
        for id in q::groups_of(&mut conn, organisation_id).await? {
            if let Some(g) = q::group_at(&mut conn, &id, None).await? {
                groups.push(g);
            }
        }
        Ok(groups)
    }

    /// A group at `version` (current when `None`), for an organisation that is
    /// a member now or was a member at that version.
    pub async fn group_view(
        &self,
        caller: &Caller,
        organisation_id: &str,
        group_id: &str,
        version: Option<i64>,
    ) -> Result<Group, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize(&mut conn, caller, organisation_id, Role::Viewer)
            .await?;
        let current = q::group_at(&mut conn, group_id, None)
            .await?
            .ok_or(AppError::NotFound("group"))?;
        let wanted = match version {
            None => current.clone(),
            Some(v) => q::group_at(&mut conn, group_id, Some(v))
                .await?
                .ok_or(AppError::NotFound("group"))?,
        };
        let me = organisation_id.to_string();
        if !current.members.contains(&me) && !wanted.members.contains(&me) {
            return Err(AppError::NotFound("group"));
        }
        Ok(wanted)
    }

    /// Adds and removes members (the organiser's admins), or lets a member
    /// leave (`remove` = itself, any admin of that member). Makes a new version.
    pub async fn group_reform(
        &self,
        caller: &Caller,
        organisation_id: &str,
        group_id: &str,
        add: Vec<String>,
        remove: Vec<String>,
    ) -> Result<Group, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Admin)
            .await?;
        let current = q::group_at(&mut tx, group_id, None)
            .await?
            .ok_or(AppError::NotFound("group"))?;
        if !current.members.iter().any(|m| m == organisation_id) {
            return Err(AppError::NotFound("group"));
        }
        let leaving_only = add.is_empty() && remove.iter().all(|r| r == organisation_id);
        if current.organiser_id != organisation_id && !leaving_only {
            return Err(AppError::Forbidden(
                "only the organiser changes a group's membership; members may only leave".into(),
            ));
        }
        for (i, member) in add.iter().enumerate() {
            if !q::organisation_exists(&mut tx, member).await? {
                return Err(Invalid {
                    field: format!("add[{i}]"),
                    reason: format!("no organisation `{member}`"),
                }
                .into());
            }
        }
        let Some(members) = current.reformed(&add, &remove)? else {
            return Ok(current);
        };
        let next = Group {
            version: current.version + 1,
            members,
            changed_at_ms: now_ms(),
            ..current.clone()
        };
        if !q::group_advance(&mut tx, &next, current.version).await? {
            return Err(AppError::Conflict(
                "the group changed meanwhile; reload it and try again".into(),
            ));
        }
        q::group_version_insert(&mut tx, &next, organisation_id).await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            if leaving_only {
                "group.left"
            } else {
                "group.reformed"
            },
            group_id,
            json!({ "version": next.version, "added": add, "removed": remove }),
        )
        .await?;
        events::publish(
            &mut tx,
            &next.organiser_id,
            group_id,
            &crate::events::group_changed(&next),
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }
}

impl App {
    /// Legal names of organisations by id (public directory data), for
    /// showing partners by name; unknown ids are left out.
    pub async fn organisation_names(
        &self,
        caller: &Caller,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, String>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.signed_in_user(&mut conn, &caller.principal).await?;
        let mut names = std::collections::HashMap::new();
        for id in ids {
            if names.contains_key(id) {
                continue;
            }
            if let Some(o) = crate::db::organisation_get(&mut conn, id).await? {
                names.insert(id.clone(), o.legal_name.as_str().to_string());
            }
        }
        Ok(names)
    }
}
