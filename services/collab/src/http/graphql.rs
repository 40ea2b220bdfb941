//! The collaboration service's part of the GraphQL schema; the gateway
//! merges it with the other services' parts and puts the verified caller of
//! each request into its data.

use async_graphql::{Context, ErrorExtensions as _, Object, SimpleObject};
use renkei_kernel::auth::{AuthError, Caller, Role};

use crate::{
    app::{App, AppError, Invite, NewThread, Proposal, SignUp},
    domain::{
        NewOrganisation, OrganisationKind,
        account::Email,
        partnership::{GroupKind, PartnershipAction, PartnershipKind, PartnershipStatus},
    },
    http::{MemberView, OrganisationView, TokenPairView},
};

/// A partnership.
#[derive(SimpleObject)]
pub struct GqlPartnership {
    /// Id.
    pub partnership_id: String,
    /// Who proposed it.
    pub proposer_id: String,
    /// To whom.
    pub counterparty_id: String,
    /// Kind.
    pub kind: PartnershipKind,
    /// The buying side, for buyer–supplier.
    pub buyer_id: Option<String>,
    /// Status.
    pub status: PartnershipStatus,
    /// Increases with every change.
    pub version: i64,
}

impl From<crate::domain::partnership::Partnership> for GqlPartnership {
    fn from(p: crate::domain::partnership::Partnership) -> Self {
        GqlPartnership {
            partnership_id: p.partnership_id,
            proposer_id: p.proposer_id,
            counterparty_id: p.counterparty_id,
            kind: p.kind,
            buyer_id: p.buyer_id,
            status: p.status,
            version: p.version,
        }
    }
}

/// A collaboration group at its current version.
#[derive(SimpleObject)]
pub struct GqlGroup {
    /// Id.
    pub group_id: String,
    /// Organiser.
    pub organiser_id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: GroupKind,
    /// Version.
    pub version: i64,
    /// Members at this version.
    pub members: Vec<String>,
}

/// A message thread as your organisation sees it.
#[derive(SimpleObject)]
pub struct GqlThread {
    /// Id.
    pub thread_id: String,
    /// Subject.
    pub subject: String,
    /// The document it is about.
    pub document_urn: Option<String>,
    /// Participants.
    pub participants: Vec<String>,
    /// Messages not read by your organisation.
    pub unread: i64,
}

/// An organisation.
#[derive(SimpleObject)]
pub struct GqlOrganisation {
    /// Id (also the tenant id).
    pub organisation_id: String,
    /// Legal name.
    pub legal_name: String,
    /// Kind.
    pub kind: OrganisationKind,
    /// JIS X 0401 prefecture code.
    pub prefecture_code: String,
    /// Prefecture name in Japanese.
    pub prefecture_name: String,
    /// 法人番号.
    pub corporate_number: Option<String>,
    /// `sme`, `not_sme` or `unknown` for companies.
    pub sme_status: Option<String>,
}

impl From<OrganisationView> for GqlOrganisation {
    fn from(v: OrganisationView) -> Self {
        GqlOrganisation {
            organisation_id: v.organisation_id,
            legal_name: v.legal_name,
            kind: v.kind,
            prefecture_code: v.prefecture_code,
            prefecture_name: v.prefecture_name,
            corporate_number: v.corporate_number,
            sme_status: v.sme_status,
        }
    }
}

/// A member of an organisation.
#[derive(SimpleObject)]
pub struct GqlMember {
    /// User id.
    pub user_id: String,
    /// Email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
}

impl From<MemberView> for GqlMember {
    fn from(m: MemberView) -> Self {
        GqlMember {
            user_id: m.user_id,
            email: m.email,
            display_name: m.display_name,
            role: m.role,
        }
    }
}

/// Tokens after sign-in.
#[derive(SimpleObject)]
pub struct GqlTokens {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// Single-use refresh token.
    pub refresh_token: String,
    /// The organisation it acts in.
    pub organisation_id: Option<String>,
    /// Role there.
    pub role: Option<Role>,
}

impl From<TokenPairView> for GqlTokens {
    fn from(t: TokenPairView) -> Self {
        GqlTokens {
            access_token: t.access_token,
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            organisation_id: t.organisation_id,
            role: t.role,
        }
    }
}

/// The signed-in user.
#[derive(SimpleObject)]
pub struct GqlMe {
    /// User id.
    pub user_id: String,
    /// Email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// The organisation the token acts in.
    pub current_organisation_id: Option<String>,
    /// Ids of the user's organisations.
    pub organisation_ids: Vec<String>,
}

fn app<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a App> {
    ctx.data::<App>()
        .map_err(|_| async_graphql::Error::new("the collab service does not run in this process"))
}

fn caller<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Caller> {
    ctx.data_opt::<Caller>()
        .ok_or_else(|| gql_error(AppError::Unauthenticated(AuthError::Missing)))
}

fn client_addr<'a>(ctx: &Context<'a>) -> &'a str {
    ctx.data_opt::<renkei_kernel::auth::ClientAddr>()
        .map(|a| a.0.as_str())
        .unwrap_or("unknown")
}

/// An app error as a GraphQL error with `code` (and `field`) in its extensions.
pub fn gql_error(e: AppError) -> async_graphql::Error {
    let api: renkei_kernel::ApiError = e.into();
    async_graphql::Error::new(api.message).extend_with(|_, ext| {
        ext.set("code", api.code.as_str());
        if let Some(field) = &api.field {
            ext.set("field", field.as_str());
        }
    })
}

/// Queries of the collaboration service.
#[derive(async_graphql::MergedObject, Default)]
pub struct CollabQuery(AccountQuery, PartnerQuery);

/// Queries about accounts and organisations.
#[derive(Default)]
pub struct AccountQuery;

/// Queries about partners, groups and messages.
#[derive(Default)]
pub struct PartnerQuery;

/// Mutations about partners and messages.
#[derive(Default)]
pub struct PartnerMutation;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<GqlMe> {
        let me = app(ctx)?.me(caller(ctx)?).await.map_err(gql_error)?;
        Ok(GqlMe {
            user_id: me.user.user_id,
            email: me.user.email,
            display_name: me.user.display_name,
            current_organisation_id: me.current_organisation_id,
            organisation_ids: me
                .memberships
                .into_iter()
                .map(|m| m.organisation_id)
                .collect(),
        })
    }

    /// One of your organisations by id.
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<GqlOrganisation> {
        let o = app(ctx)?
            .organisation_view(caller(ctx)?, &id)
            .await
            .map_err(gql_error)?;
        Ok(OrganisationView::from(o).into())
    }

    /// The members of one of your organisations.
    async fn members(
        &self,
        ctx: &Context<'_>,
        organisation_id: String,
    ) -> async_graphql::Result<Vec<GqlMember>> {
        let members = app(ctx)?
            .member_list(caller(ctx)?, &organisation_id)
            .await
            .map_err(gql_error)?;
        Ok(members
            .into_iter()
            .map(|m| MemberView::from(m).into())
            .collect())
    }
}

#[Object]
impl PartnerQuery {
    /// The partnerships of one of your organisations.
    async fn partnerships(
        &self,
        ctx: &Context<'_>,
        organisation_id: String,
    ) -> async_graphql::Result<Vec<GqlPartnership>> {
        let list = app(ctx)?
            .partnership_list(caller(ctx)?, &organisation_id)
            .await
            .map_err(gql_error)?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// The groups one of your organisations belongs to.
    async fn groups(
        &self,
        ctx: &Context<'_>,
        organisation_id: String,
    ) -> async_graphql::Result<Vec<GqlGroup>> {
        let list = app(ctx)?
            .group_list(caller(ctx)?, &organisation_id)
            .await
            .map_err(gql_error)?;
        Ok(list
            .into_iter()
            .map(|g| GqlGroup {
                group_id: g.group_id,
                organiser_id: g.organiser_id,
                name: g.name,
                kind: g.kind,
                version: g.version,
                members: g.members,
            })
            .collect())
    }

    /// The message threads of one of your organisations.
    async fn threads(
        &self,
        ctx: &Context<'_>,
        organisation_id: String,
    ) -> async_graphql::Result<Vec<GqlThread>> {
        let list = app(ctx)?
            .thread_list(caller(ctx)?, &organisation_id, None)
            .await
            .map_err(gql_error)?;
        Ok(list
            .into_iter()
            .map(|t| GqlThread {
                unread: t.last_seq - t.last_read_seq,
                thread_id: t.thread_id,
                subject: t.subject,
                document_urn: t.document_urn,
                participants: t.participants,
            })
            .collect())
    }
}

/// Mutations of the collaboration service.
#[derive(async_graphql::MergedObject, Default)]
pub struct CollabMutation(AccountMutation, PartnerMutation);

/// Mutations about accounts and organisations.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl PartnerMutation {
    /// Proposes a partnership to another organisation (admins).
    async fn propose_partnership(
        &self,
        ctx: &Context<'_>,
        organisation_id: String,
        counterparty_id: String,
        kind: PartnershipKind,
        i_am_buyer: Option<bool>,
    ) -> async_graphql::Result<GqlPartnership> {
        let proposal = Proposal {
            counterparty_id,
            kind,
            proposer_buys: i_am_buyer.unwrap_or(true),
            note: None,
        };
        let p = app(ctx)?
            .partnership_propose(caller(ctx)?, &organisation_id, proposal)
            .await
            .map_err(gql_error)?;
        Ok(p.into())
    }

    /// Accepts a partnership proposed to your organisation (admins).
    async fn accept_partnership(
        &self,
        ctx: &Context<'_>,
        organisation_id: String,
        partnership_id: String,
    ) -> async_graphql::Result<GqlPartnership> {
        let p = app(ctx)?
            .partnership_act(
                caller(ctx)?,
                &organisation_id,
                &partnership_id,
                PartnershipAction::Accept,
            )
            .await
            .map_err(gql_error)?;
        Ok(p.into())
    }

    /// Starts a thread with partners or fellow group members; returns its id.
    async fn start_thread(
        &self,
        ctx: &Context<'_>,
        organisation_id: String,
        participants: Vec<String>,
        subject: String,
        body: String,
    ) -> async_graphql::Result<String> {
        let (thread, _) = app(ctx)?
            .thread_start(
                caller(ctx)?,
                &organisation_id,
                NewThread {
                    subject,
                    participants,
                    document_urn: None,
                    body,
                },
            )
            .await
            .map_err(gql_error)?;
        Ok(thread.thread_id)
    }
}

#[Object]
impl AccountMutation {
    /// Creates an account.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        display_name: String,
    ) -> async_graphql::Result<String> {
        let input = SignUp::parse(&email, &password, &display_name).map_err(gql_error)?;
        let user = app(ctx)?
            .sign_up(input, client_addr(ctx))
            .await
            .map_err(gql_error)?;
        Ok(user.user_id)
    }

    /// Signs in.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        organisation_id: Option<String>,
    ) -> async_graphql::Result<GqlTokens> {
        let pair = app(ctx)?
            .sign_in(
                &email,
                &password,
                organisation_id.as_deref(),
                client_addr(ctx),
            )
            .await
            .map_err(gql_error)?;
        Ok(TokenPairView::from(pair).into())
    }

    /// Registers an organisation with you as its owner; `prefectureCode` is
    /// JIS X 0401 (`01`–`47`).
    async fn register_organisation(
        &self,
        ctx: &Context<'_>,
        legal_name: String,
        kind: OrganisationKind,
        prefecture_code: String,
        corporate_number: Option<String>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<GqlOrganisation> {
        let profile = crate::domain::organisation::ProfileDraft {
            corporate_number,
            ..Default::default()
        };
        let input = NewOrganisation::parse(&legal_name, kind.as_str(), &prefecture_code, &profile)
            .map_err(|e| gql_error(e.into()))?;
        let fingerprint = renkei_kernel::idempotency::fingerprint(&[
            legal_name.as_bytes(),
            kind.as_str().as_bytes(),
            prefecture_code.as_bytes(),
            profile.corporate_number.as_deref().unwrap_or("").as_bytes(),
        ]);
        let (o, _) = app(ctx)?
            .organisation_register(
                caller(ctx)?,
                input,
                &fingerprint,
                idempotency_key.as_deref(),
            )
            .await
            .map_err(gql_error)?;
        Ok(OrganisationView::from(o).into())
    }

    /// Invites someone to one of your organisations; returns the one-time token.
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        organisation_id: String,
        email: String,
        role: Role,
    ) -> async_graphql::Result<String> {
        let input = Invite {
            email: Email::parse("email", &email).map_err(|e| gql_error(e.into()))?,
            role,
        };
        let invited = app(ctx)?
            .invitation_create(caller(ctx)?, &organisation_id, input)
            .await
            .map_err(gql_error)?;
        Ok(invited.token)
    }

    /// Accepts an invitation; returns the organisation id.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> async_graphql::Result<String> {
        let (organisation_id, _) = app(ctx)?
            .invitation_accept(caller(ctx)?, &token)
            .await
            .map_err(gql_error)?;
        Ok(organisation_id)
    }
}
