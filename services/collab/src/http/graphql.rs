//! The collaboration service's part of the GraphQL schema; the gateway
//! merges it with the other services' parts.

use async_graphql::{Context, ErrorExtensions as _, Object, SimpleObject};

use crate::{
    app::App,
    domain::{NewOrganisation, OrganisationKind},
    http::OrganisationView,
};

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
}

impl From<OrganisationView> for GqlOrganisation {
    fn from(v: OrganisationView) -> Self {
        GqlOrganisation {
            organisation_id: v.organisation_id,
            legal_name: v.legal_name,
            kind: v.kind,
            prefecture_code: v.prefecture_code,
            prefecture_name: v.prefecture_name,
        }
    }
}

fn app<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a App> {
    ctx.data::<App>()
        .map_err(|_| async_graphql::Error::new("the collab service does not run in this process"))
}

fn gql_error(e: crate::app::AppError) -> async_graphql::Error {
    let api: renkei_kernel::ApiError = e.into();
    let mut err = async_graphql::Error::new(api.message);
    err = err.extend_with(|_, ext| {
        ext.set("code", api.code.as_str());
        if let Some(field) = &api.field {
            ext.set("field", field.as_str());
        }
    });
    err
}

/// Queries of the collaboration service.
#[derive(Default)]
pub struct CollabQuery;

#[Object]
impl CollabQuery {
    /// One organisation by id.
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<GqlOrganisation> {
        let o = app(ctx)?.organisation_view(&id).await.map_err(gql_error)?;
        Ok(OrganisationView::from(o).into())
    }
}

/// Mutations of the collaboration service.
#[derive(Default)]
pub struct CollabMutation;

#[Object]
impl CollabMutation {
    /// Registers an organisation; `prefectureCode` is JIS X 0401 (`01`–`47`).
    async fn register_organisation(
        &self,
        ctx: &Context<'_>,
        legal_name: String,
        kind: OrganisationKind,
        prefecture_code: String,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<GqlOrganisation> {
        let input = NewOrganisation::parse(&legal_name, kind.as_str(), &prefecture_code)
            .map_err(|e| gql_error(e.into()))?;
        let (o, _) = app(ctx)?
            .organisation_register(input, idempotency_key.as_deref())
            .await
            .map_err(gql_error)?;
        Ok(OrganisationView::from(o).into())
    }
}
