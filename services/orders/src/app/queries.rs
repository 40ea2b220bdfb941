//! Reading orders: each side sees the orders it is party to, with the full
//! history of documents.

use renkei_edi::{Document, DocumentKind, Party};
use renkei_kernel::auth::{Caller, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{App, AppError, SCOPE_READ, SCOPE_WRITE};
use crate::{
    db::{self, OrderFilter, OrderRow},
    domain::{Channel, Line, OrderState, OrderStatus},
};

/// Which side of an order an organisation is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// It buys (the order is in its outbox).
    Buyer,
    /// It sells (the order is in its inbox).
    Seller,
}

/// An order in a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderSummary {
    /// Id.
    pub order_id: String,
    /// The buyer's order number.
    pub number: String,
    /// Who buys.
    pub buyer: Party,
    /// Who sells.
    pub seller: Party,
    /// The caller's side.
    pub side: Side,
    /// Where it stands.
    pub status: OrderStatus,
    /// Currency of the prices.
    pub currency: String,
    /// Lines not deleted; for a cancelled order, every line it had.
    pub lines: usize,
    /// Documents so far.
    pub version: i64,
    /// Created (ms since the epoch).
    pub created_at_ms: i64,
    /// Last document (ms since the epoch).
    pub updated_at_ms: i64,
}

/// A document in an order's history, without its content but with the
/// text it carries as a whole.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentMeta {
    /// Id.
    pub document_id: String,
    /// Position in the history, from 1.
    pub version: i64,
    /// Kind.
    pub kind: DocumentKind,
    /// Its own number.
    pub number: String,
    /// Who sent it.
    pub sender_id: String,
    /// How it arrived: web, api or a file format.
    pub channel: String,
    /// When it was accepted (ms since the epoch).
    pub created_at_ms: i64,
    /// An order's note, a change's or cancellation's reason; absent when
    /// the document has none or is of another kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An order with its lines and history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    /// The summary.
    #[serde(flatten)]
    pub summary: OrderSummary,
    /// Every line with what happened to it.
    pub line_states: Vec<Line>,
    /// Partnership at creation.
    pub partnership_id: String,
    /// Its version at creation.
    pub partnership_version: i64,
    /// A collaboration group both belonged to at creation.
    pub group_id: Option<String>,
    /// That group's version at creation.
    pub group_version: Option<i64>,
    /// The collab message thread attached to the order.
    pub thread_id: Option<String>,
    /// Every document, oldest first.
    pub documents: Vec<DocumentMeta>,
}

impl OrderView {
    /// Whether the order consolidates a joint-purchase round: its buyer may
    /// cancel it but not change it (rule `joint_purchase_change`).
    pub fn joint_purchase(&self) -> bool {
        self.documents
            .first()
            .is_some_and(|d| d.channel == Channel::JointPurchase.as_str())
    }

    /// The lines the buyer may change with an order change now, by the
    /// rules the submission enforces: none for a joint-purchase order or
    /// one that takes no more changes, else those neither deleted nor
    /// shipped against.
    pub fn changeable_lines(&self) -> Vec<&Line> {
        if self.joint_purchase() || !self.summary.status.takes_changes() {
            return Vec::new();
        }
        self.line_states.iter().filter(|l| l.changeable()).collect()
    }
}

/// One document with its content.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentView {
    /// About it.
    #[serde(flatten)]
    pub meta: DocumentMeta,
    /// The canonical document.
    pub document: Document,
}

fn state_of(row: &OrderRow) -> Result<OrderState, AppError> {
    serde_json::from_str(&row.state)
        .map_err(|e| AppError::Internal(format!("order {} state: {e}", row.order_id)))
}

fn summary(row: &OrderRow, state: &OrderState, organisation_id: &str) -> OrderSummary {
    OrderSummary {
        order_id: row.order_id.clone(),
        number: row.number.clone(),
        buyer: state.buyer.clone(),
        seller: state.seller.clone(),
        side: if row.buyer_id == organisation_id {
            Side::Buyer
        } else {
            Side::Seller
        },
        status: state.status,
        currency: state.currency.clone(),
        // The lines still in the order; a cancelled order (whose lines are
        // all deleted) counts every line it had, so the list does not show
        // it empty.
        lines: if state.status == OrderStatus::Cancelled {
            state.lines.len()
        } else {
            state
                .lines
                .iter()
                .filter(|l| l.state != crate::domain::LineState::Deleted)
                .count()
        },
        version: row.version,
        created_at_ms: row.created_at_ms,
        updated_at_ms: row.updated_at_ms,
    }
}

/// A stored kind name read back.
pub(super) fn kind_of(name: &str) -> Result<DocumentKind, AppError> {
    DocumentKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name)
        .ok_or_else(|| AppError::Internal(format!("stored document kind `{name}` is unknown")))
}

fn view_of(row: &db::DocumentRow) -> Result<DocumentView, AppError> {
    let document: Document = serde_json::from_str(&row.body).map_err(|e| {
        AppError::Internal(format!(
            "document {} does not read back: {e}",
            row.document_id
        ))
    })?;
    let meta = DocumentMeta {
        document_id: row.document_id.clone(),
        version: row.version,
        kind: kind_of(&row.kind)?,
        number: row.number.clone(),
        sender_id: row.sender_id.clone(),
        channel: row.channel.clone(),
        created_at_ms: row.created_at_ms,
        note: document.note().map(str::to_owned),
    };
    Ok(DocumentView { meta, document })
}

impl App {
    /// The organisation's orders, most recently changed first.
    pub async fn orders(
        &self,
        caller: &Caller,
        organisation_id: &str,
        filter: OrderFilter,
    ) -> Result<Vec<OrderSummary>, AppError> {
        self.authorize(caller, organisation_id, Role::Viewer, SCOPE_READ)?;
        let mut conn = self.db.acquire().await?;
        let rows = db::orders_list(&mut conn, organisation_id, &filter).await?;
        rows.iter()
            .map(|row| Ok(summary(row, &state_of(row)?, organisation_id)))
            .collect()
    }

    async fn own_order(
        &self,
        caller: &Caller,
        organisation_id: &str,
        order_id: &str,
    ) -> Result<OrderRow, AppError> {
        self.authorize(caller, organisation_id, Role::Viewer, SCOPE_READ)?;
        let mut conn = self.db.acquire().await?;
        db::order_get(&mut conn, order_id)
            .await?
            .filter(|row| row.buyer_id == organisation_id || row.seller_id == organisation_id)
            .ok_or(AppError::NotFound("order"))
    }

    /// One order as the caller's organisation sees it.
    pub async fn order(
        &self,
        caller: &Caller,
        organisation_id: &str,
        order_id: &str,
    ) -> Result<OrderView, AppError> {
        let row = self.own_order(caller, organisation_id, order_id).await?;
        let state = state_of(&row)?;
        let mut conn = self.db.acquire().await?;
        let documents = db::documents_of(&mut conn, order_id)
            .await?
            .iter()
            .map(|row| view_of(row).map(|view| view.meta))
            .collect::<Result<_, _>>()?;
        Ok(OrderView {
            summary: summary(&row, &state, organisation_id),
            line_states: state.lines,
            partnership_id: row.partnership_id,
            partnership_version: row.partnership_version,
            group_id: row.group_id,
            group_version: row.group_version,
            thread_id: row.thread_id,
            documents,
        })
    }

    /// Document `version` of an order.
    pub async fn document(
        &self,
        caller: &Caller,
        organisation_id: &str,
        order_id: &str,
        version: i64,
    ) -> Result<DocumentView, AppError> {
        self.own_order(caller, organisation_id, order_id).await?;
        let mut conn = self.db.acquire().await?;
        let row = db::document_at(&mut conn, order_id, version)
            .await?
            .ok_or(AppError::NotFound("document"))?;
        view_of(&row)
    }

    /// Attaches a collab message thread to an order (or detaches it with `None`).
    pub async fn attach_thread(
        &self,
        caller: &Caller,
        organisation_id: &str,
        order_id: &str,
        thread_id: Option<&str>,
    ) -> Result<(), AppError> {
        self.authorize(caller, organisation_id, Role::Member, SCOPE_WRITE)?;
        if let Some(id) = thread_id {
            if uuid::Uuid::parse_str(id).is_err() {
                return Err(AppError::invalid(
                    "thread_id",
                    "a thread id is a UUID from the collab service",
                ));
            }
        }
        let row = self.own_order(caller, organisation_id, order_id).await?;
        let mut conn = self.db.acquire().await?;
        db::order_thread_set(&mut conn, &row.order_id, thread_id).await?;
        Ok(())
    }
}
