//! The merged GraphQL schema: each service contributes its query and
//! mutation objects; resolvers find their service's state in the schema data
//! and say so plainly when that service does not run in this process.

use async_graphql::{
    EmptySubscription, ErrorExtensions as _, MergedObject, Schema, http::GraphiQLSource,
};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{Router, extract::State, http::HeaderMap, response::Html, routing::get};
use renkei_collab::http::graphql::{CollabMutation, CollabQuery};
use renkei_insights::http::InsightsQuery;
use renkei_kernel::auth::{AuthError, Caller, ClientAddr, Verifier, bearer};

use crate::Mounted;

/// Every service's queries.
#[derive(MergedObject, Default)]
pub struct Query(CollabQuery, InsightsQuery);

/// Every service's mutations.
#[derive(MergedObject, Default)]
pub struct Mutation(CollabMutation);

/// The platform's schema.
pub type PlatformSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with the state of the services mounted here.
pub fn schema(mounted: &Mounted) -> PlatformSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(12)
        .limit_complexity(500);
    if let Some(app) = &mounted.collab {
        builder = builder.data(app.clone());
    }
    if let Some(app) = &mounted.insights {
        builder = builder.data(app.clone());
    }
    builder.finish()
}

#[derive(Clone)]
struct Gql {
    schema: PlatformSchema,
    verifier: Option<Verifier>,
}

/// `GET /graphql` is the GraphiQL page, `POST /graphql` runs queries.
pub fn router(mounted: &Mounted) -> Router {
    let state = Gql {
        schema: schema(mounted),
        verifier: mounted.verifier(),
    };
    Router::new()
        .route("/graphql", get(graphiql).post(execute))
        .with_state(state)
}

/// Runs a request with its caller (if it sent a bearer token) and client
/// address in the request data. A token that does not verify fails the whole
/// request, as it does on the REST API.
async fn execute(
    State(gql): State<Gql>,
    client: ClientAddr,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let mut request = request.into_inner().data(client.clone());
    match bearer(&headers) {
        Err(AuthError::Missing) => {}
        Err(e) => return refused(e),
        Ok(token) => {
            let Some(verifier) = &gql.verifier else {
                return refused(AuthError::Invalid);
            };
            match verifier.verify(token).await {
                Ok(principal) => {
                    request = request.data(Caller {
                        principal,
                        client_addr: client.0,
                    })
                }
                Err(e) => return refused(e),
            }
        }
    }
    gql.schema.execute(request).await.into()
}

fn refused(e: AuthError) -> GraphQLResponse {
    let api: renkei_kernel::ApiError = e.into();
    let error = async_graphql::Error::new(api.message)
        .extend_with(|_, ext| ext.set("code", api.code.as_str()))
        .into_server_error(async_graphql::Pos::default());
    async_graphql::Response::from_errors(vec![error]).into()
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Renkei GraphQL")
            .finish(),
    )
}
