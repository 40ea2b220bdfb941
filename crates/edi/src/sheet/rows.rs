//! Canonical documents laid out as rows of typed values, before they are
//! written as CSV text or workbook cells.

use super::{
    Language,
    columns::{Column, action_name, kind_name, status_name},
};
use crate::{Date, Decimal, Document, DocumentKind, Item, Party, Quantity};

/// A value to write in a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// An exact number.
    Number(Decimal),
    /// A date.
    Date(Date),
}

impl Value {
    fn text(text: impl Into<String>) -> Value {
        Value::Text(text.into())
    }

    fn optional_text(text: Option<&String>) -> Value {
        text.map_or(Value::Empty, |t| Value::Text(t.clone()))
    }

    fn optional_date(date: Option<Date>) -> Value {
        date.map_or(Value::Empty, Value::Date)
    }

    fn optional_number(value: Option<Decimal>) -> Value {
        value.map_or(Value::Empty, Value::Number)
    }
}

/// The documents as a table: its columns and one list of values per row.
pub(crate) struct Sheet {
    pub(crate) columns: Vec<Column>,
    pub(crate) rows: Vec<Vec<Value>>,
}

/// Lays out `documents`, with the columns their kinds use (every column
/// when there are none).
pub(crate) fn sheet(documents: &[Document], language: Language) -> Sheet {
    let mut kinds: Vec<DocumentKind> = documents.iter().map(Document::kind).collect();
    if kinds.is_empty() {
        kinds = DocumentKind::ALL.to_vec();
    }
    let columns = Column::for_kinds(&kinds);
    let mut rows = Vec::new();
    for document in documents {
        for cells in document_rows(document, language) {
            rows.push(
                columns
                    .iter()
                    .map(|c| {
                        cells
                            .iter()
                            .find(|(column, _)| column == c)
                            .map_or(Value::Empty, |(_, v)| v.clone())
                    })
                    .collect(),
            );
        }
    }
    Sheet { columns, rows }
}

type Cells = Vec<(Column, Value)>;

fn parties(buyer: &Party, seller: &Party) -> Cells {
    vec![
        (Column::BuyerId, Value::text(&buyer.id)),
        (Column::BuyerName, Value::optional_text(buyer.name.as_ref())),
        (Column::SellerId, Value::text(&seller.id)),
        (
            Column::SellerName,
            Value::optional_text(seller.name.as_ref()),
        ),
    ]
}

fn item(item: &Item) -> Cells {
    vec![
        (Column::Gtin, Value::optional_text(item.gtin.as_ref())),
        (
            Column::BuyerCode,
            Value::optional_text(item.buyer_code.as_ref()),
        ),
        (
            Column::SellerCode,
            Value::optional_text(item.seller_code.as_ref()),
        ),
        (
            Column::Description,
            Value::optional_text(item.description.as_ref()),
        ),
    ]
}

fn quantity(column: Column, quantity: &Quantity) -> Cells {
    vec![
        (column, Value::Number(quantity.value)),
        (Column::Unit, Value::text(&quantity.unit)),
    ]
}

fn line_number(line: u32) -> (Column, Value) {
    (
        Column::Line,
        Value::Number(Decimal::from_int(i64::from(line))),
    )
}

fn order_line(line: &crate::OrderLine) -> Cells {
    let mut cells = vec![line_number(line.line)];
    cells.extend(item(&line.item));
    cells.extend(quantity(Column::Quantity, &line.quantity));
    cells.extend([
        (Column::UnitPrice, Value::optional_number(line.unit_price)),
        (
            Column::RequestedDelivery,
            Value::optional_date(line.requested_delivery),
        ),
        (
            Column::DeliverySite,
            Value::optional_text(line.delivery_site.as_ref()),
        ),
    ]);
    cells
}

/// One list of cells per row of a document.
fn document_rows(document: &Document, language: Language) -> Vec<Cells> {
    let mut head = vec![
        (
            Column::DocumentType,
            Value::text(kind_name(document.kind(), language)),
        ),
        (Column::Number, Value::text(document.number())),
        (Column::OrderNumber, Value::text(document.order_number())),
    ];
    let (buyer, seller) = document.parties();
    head.extend(parties(buyer, seller));
    let lines: Vec<Cells> = match document {
        Document::Order(d) => {
            head.extend([
                (Column::Issued, Value::Date(d.issued)),
                (Column::Currency, Value::text(&d.currency)),
                (Column::Note, Value::optional_text(d.note.as_ref())),
            ]);
            d.lines.iter().map(order_line).collect()
        }
        Document::OrderChange(d) => {
            head.extend([
                (Column::Issued, Value::Date(d.issued)),
                (Column::Currency, Value::text(&d.currency)),
                (Column::Note, Value::optional_text(d.note.as_ref())),
            ]);
            d.lines
                .iter()
                .map(|l| {
                    let mut cells =
                        vec![(Column::Action, Value::text(action_name(l.action, language)))];
                    cells.extend(order_line(&l.line));
                    cells
                })
                .collect()
        }
        Document::OrderCancellation(d) => {
            head.extend([
                (Column::Issued, Value::Date(d.issued)),
                (Column::Reason, Value::optional_text(d.reason.as_ref())),
            ]);
            vec![Vec::new()]
        }
        Document::OrderResponse(d) => {
            head.extend([
                (Column::Issued, Value::Date(d.issued)),
                (Column::Currency, Value::text(&d.currency)),
            ]);
            d.lines
                .iter()
                .map(|l| {
                    let mut cells = vec![
                        line_number(l.line),
                        (Column::Status, Value::text(status_name(l.status, language))),
                    ];
                    cells.extend(item(&l.item));
                    if let Some(q) = &l.quantity {
                        cells.extend(quantity(Column::Quantity, q));
                    }
                    cells.extend([
                        (Column::UnitPrice, Value::optional_number(l.unit_price)),
                        (
                            Column::ConfirmedDelivery,
                            Value::optional_date(l.confirmed_delivery),
                        ),
                        (Column::Reason, Value::optional_text(l.reason.as_ref())),
                    ]);
                    cells
                })
                .collect()
        }
        Document::DespatchAdvice(d) => {
            head.extend([
                (Column::Issued, Value::Date(d.issued)),
                (Column::Shipped, Value::optional_date(d.shipped)),
                (
                    Column::ExpectedDelivery,
                    Value::optional_date(d.expected_delivery),
                ),
                (Column::Carrier, Value::optional_text(d.carrier.as_ref())),
                (Column::Tracking, Value::optional_text(d.tracking.as_ref())),
                (
                    Column::Packages,
                    Value::Number(Decimal::from_int(i64::from(d.packages))),
                ),
            ]);
            d.lines
                .iter()
                .map(|l| {
                    let mut cells = vec![line_number(l.line)];
                    cells.extend(item(&l.item));
                    cells.extend(quantity(Column::Quantity, &l.quantity));
                    cells
                })
                .collect()
        }
        Document::ReceiptAdvice(d) => {
            head.extend([
                (Column::Issued, Value::Date(d.issued)),
                (
                    Column::DespatchNumber,
                    Value::optional_text(d.despatch_number.as_ref()),
                ),
                (Column::Received, Value::optional_date(d.received)),
            ]);
            d.lines
                .iter()
                .map(|l| {
                    let mut cells = vec![line_number(l.line)];
                    cells.extend(item(&l.item));
                    cells.extend(quantity(Column::ReceivedQuantity, &l.received));
                    cells.push((Column::DamagedQuantity, Value::Number(l.damaged)));
                    cells
                })
                .collect()
        }
    };
    lines
        .into_iter()
        .map(|line| head.iter().cloned().chain(line).collect())
        .collect()
}
