//! Partnerships and collaboration groups: who works with whom.
//!
//! A partnership is proposed by one organisation and accepted or declined by
//! the other; either side may end it. [`Partnership::next`] holds the rules,
//! and a refusal names the rule and the current state.
//!
//! A collaboration group (連携グループ) is organised by one organisation and
//! has members that change over time. Every change makes a new version whose
//! membership is kept, so a business document that records the version it
//! was made under keeps its membership however the group is re-formed.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Invalid, invalid};

/// How two organisations work together.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, async_graphql::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum PartnershipKind {
    /// One buys from the other.
    BuyerSupplier,
    /// Peers: shared production, referrals, joint offers.
    Partner,
}

/// Where a partnership stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, async_graphql::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum PartnershipStatus {
    /// Waiting for the other organisation.
    Proposed,
    /// In force.
    Active,
    /// The other organisation said no.
    Declined,
    /// The proposer took the proposal back.
    Withdrawn,
    /// Ended by either side after it was active.
    Ended,
}

/// What an organisation does to a partnership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnershipAction {
    /// Accept a proposal made to it.
    Accept,
    /// Decline a proposal made to it.
    Decline,
    /// Withdraw its proposal, or end an active partnership.
    End,
}

macro_rules! names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Its stored name.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
            /// Reads a stored or submitted name.
            pub fn parse(field: &str, raw: &str) -> Result<$ty, Invalid> {
                match raw {
                    $($name => Ok($ty::$variant),)+
                    other => Err(invalid(
                        field,
                        format!("`{other}` is not one of {}", [$($name),+].join(", ")),
                    )),
                }
            }
        }
    };
}

names!(PartnershipKind { BuyerSupplier => "buyer_supplier", Partner => "partner" });
names!(PartnershipStatus {
    Proposed => "proposed",
    Active => "active",
    Declined => "declined",
    Withdrawn => "withdrawn",
    Ended => "ended",
});
names!(GroupKind {
    PurchasingGroup => "purchasing_group",
    ManufacturingNetwork => "manufacturing_network",
    Region => "region",
});

impl PartnershipStatus {
    /// Whether it still binds the two (proposed or active).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            PartnershipStatus::Proposed | PartnershipStatus::Active
        )
    }
}

/// A partnership between two organisations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partnership {
    /// Id.
    pub partnership_id: String,
    /// Who proposed it.
    pub proposer_id: String,
    /// To whom.
    pub counterparty_id: String,
    /// Kind.
    pub kind: PartnershipKind,
    /// For buyer–supplier: the buying side.
    pub buyer_id: Option<String>,
    /// Status.
    pub status: PartnershipStatus,
    /// The proposer's note.
    pub note: Option<String>,
    /// Increases with every change.
    pub version: i64,
    /// Proposed at (ms).
    pub proposed_at_ms: i64,
    /// Last change (ms).
    pub changed_at_ms: i64,
    /// Who ended, declined or withdrew it.
    pub ended_by_id: Option<String>,
}

/// A change the rules do not allow, with the rule and the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl Partnership {
    /// The other side, seen from `me`.
    pub fn other(&self, me: &str) -> &str {
        if self.proposer_id == me {
            &self.counterparty_id
        } else {
            &self.proposer_id
        }
    }

    /// The status after `actor` does `action`, if the rules allow it.
    pub fn next(
        &self,
        actor: &str,
        action: PartnershipAction,
    ) -> Result<PartnershipStatus, Refused> {
        use PartnershipAction as A;
        use PartnershipStatus as S;
        let proposer = actor == self.proposer_id;
        let state = self.status.as_str();
        match (action, self.status) {
            (A::Accept | A::Decline, S::Proposed) if proposer => Err(Refused(
                "only the organisation a partnership was proposed to can accept or decline it"
                    .into(),
            )),
            (A::Accept, S::Proposed) => Ok(S::Active),
            (A::Decline, S::Proposed) => Ok(S::Declined),
            (A::End, S::Proposed) if proposer => Ok(S::Withdrawn),
            (A::End, S::Proposed) => Ok(S::Declined),
            (A::End, S::Active) => Ok(S::Ended),
            (A::Accept | A::Decline, _) => Err(Refused(format!(
                "only a proposed partnership can be accepted or declined; this one is {state}"
            ))),
            (A::End, _) => Err(Refused(format!("this partnership is already {state}"))),
        }
    }
}

/// What a collaboration group is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, async_graphql::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// Shops of a shopping district buying together.
    PurchasingGroup,
    /// Manufacturers and suppliers working as one network.
    ManufacturingNetwork,
    /// A municipality's region.
    Region,
}

/// Most members one group may have.
pub const MAX_GROUP_MEMBERS: usize = 1000;

/// A collaboration group at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Id.
    pub group_id: String,
    /// The organising organisation (always a member).
    pub organiser_id: String,
    /// Name, e.g. 戸越銀座商店街 共同購入会.
    pub name: String,
    /// Kind.
    pub kind: GroupKind,
    /// What it is for.
    pub description: Option<String>,
    /// This version.
    pub version: i64,
    /// Members at this version, sorted.
    pub members: Vec<String>,
    /// Formed at (ms).
    pub created_at_ms: i64,
    /// This version began at (ms).
    pub changed_at_ms: i64,
}

impl Group {
    /// The membership after adding `add` and removing `remove`; the
    /// organiser stays. `None` when nothing would change.
    pub fn reformed(
        &self,
        add: &[String],
        remove: &[String],
    ) -> Result<Option<Vec<String>>, Invalid> {
        if remove.contains(&self.organiser_id) {
            return Err(invalid(
                "remove",
                "the organiser cannot be removed from its own group",
            ));
        }
        let mut members: Vec<String> = self
            .members
            .iter()
            .filter(|m| !remove.contains(m))
            .cloned()
            .chain(add.iter().cloned())
            .collect();
        members.sort();
        members.dedup();
        if members.len() > MAX_GROUP_MEMBERS {
            return Err(invalid(
                "add",
                format!("a group has at most {MAX_GROUP_MEMBERS} members"),
            ));
        }
        Ok((members != self.members).then_some(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposed() -> Partnership {
        Partnership {
            partnership_id: "p".into(),
            proposer_id: "a".into(),
            counterparty_id: "b".into(),
            kind: PartnershipKind::BuyerSupplier,
            buyer_id: Some("a".into()),
            status: PartnershipStatus::Proposed,
            note: None,
            version: 1,
            proposed_at_ms: 0,
            changed_at_ms: 0,
            ended_by_id: None,
        }
    }

    #[test]
    fn only_the_counterparty_accepts_and_either_side_ends() {
        use PartnershipAction as A;
        use PartnershipStatus as S;
        let p = proposed();
        assert!(p.next("a", A::Accept).is_err());
        assert_eq!(p.next("b", A::Accept), Ok(S::Active));
        assert_eq!(p.next("b", A::Decline), Ok(S::Declined));
        assert_eq!(p.next("a", A::End), Ok(S::Withdrawn));
        let active = Partnership {
            status: S::Active,
            ..proposed()
        };
        assert_eq!(active.next("a", A::End), Ok(S::Ended));
        assert_eq!(active.next("b", A::End), Ok(S::Ended));
        let refused = active.next("b", A::Accept).expect_err("already active");
        assert!(refused.0.contains("active"), "{refused}");
        let ended = Partnership {
            status: S::Ended,
            ..proposed()
        };
        assert!(
            ended
                .next("a", A::End)
                .expect_err("ended")
                .0
                .contains("already ended")
        );
    }

    #[test]
    fn re_forming_a_group_keeps_the_organiser_and_reports_no_change() {
        let g = Group {
            group_id: "g".into(),
            organiser_id: "o".into(),
            name: "n".into(),
            kind: GroupKind::PurchasingGroup,
            description: None,
            version: 1,
            members: vec!["a".into(), "o".into()],
            created_at_ms: 0,
            changed_at_ms: 0,
        };
        assert!(g.reformed(&[], &["o".into()]).is_err());
        assert_eq!(g.reformed(&["a".into()], &[]), Ok(None));
        assert_eq!(
            g.reformed(&["b".into()], &["a".into()]),
            Ok(Some(vec!["b".into(), "o".into()]))
        );
    }
}
