//! The merged GraphQL schema: each service contributes its query and
//! mutation objects; resolvers find their service's state in the schema data
//! and say so plainly when that service does not run in this process.

use async_graphql::{EmptySubscription, MergedObject, Schema, http::GraphiQLSource};
use async_graphql_axum::GraphQL;
use axum::{Router, response::Html, routing::get};
use renkei_collab::http::graphql::{CollabMutation, CollabQuery};
use renkei_insights::http::InsightsQuery;

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

/// `GET /graphql` is the GraphiQL page, `POST /graphql` runs queries.
pub fn router(mounted: &Mounted) -> Router {
    let schema = schema(mounted);
    Router::new().route("/graphql", get(graphiql).post_service(GraphQL::new(schema)))
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Renkei GraphQL")
            .finish(),
    )
}
