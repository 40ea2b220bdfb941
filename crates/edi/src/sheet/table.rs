//! A sheet as rows of cells, whatever file it came from, and its reading
//! into canonical documents: the header row found, rows grouped into
//! documents, every cell checked with its row and column named.

use std::{
    collections::{HashMap, HashSet},
    fmt::Display,
};

use super::{
    columns::{Column, Use, key, parse_action, parse_kind, parse_status},
    values,
};
use crate::{
    ChangeLine, Code, Date, Decimal, DespatchAdvice, DespatchLine, Document, DocumentKind, Item,
    MessageOutcome, Order, OrderCancellation, OrderChange, OrderLine, OrderResponse, Party, Place,
    Problem, Quantity, Reading, ReceiptAdvice, ReceiptLine, ResponseLine, problem::shown,
};

/// A cell's content as the file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    /// Text (every CSV cell, string cells of a workbook).
    Text(String),
    /// The stored text of a workbook's number cell (`318.5`, `4.9E+12`).
    Number(String),
    /// A workbook's ISO 8601 date cell (`t="d"`).
    Date(String),
    /// A workbook's error cell (`#N/A`).
    Error(String),
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Text(t) | Cell::Number(t) | Cell::Date(t) | Cell::Error(t) => t.trim().is_empty(),
        }
    }
}

/// One row: its number as the spreadsheet shows it (from 1) and its cells
/// by column index (from 0), in column order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Row {
    pub(crate) line: usize,
    pub(crate) cells: Vec<(usize, Cell)>,
}

impl Row {
    fn get(&self, column: usize) -> Option<&Cell> {
        self.cells
            .binary_search_by_key(&column, |(c, _)| *c)
            .ok()
            .map(|i| &self.cells[i].1)
            .filter(|c| !c.is_blank())
    }

    fn is_blank(&self) -> bool {
        self.cells.iter().all(|(_, c)| c.is_blank())
    }
}

/// The rows of a sheet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Table {
    pub(crate) rows: Vec<Row>,
    /// Whether date serials count from 1904 (old Mac workbooks).
    pub(crate) date1904: bool,
}

/// The spreadsheet letters of a column index (0 → `A`, 26 → `AA`).
pub(crate) fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Which column index holds which column, and the header as written there.
struct Layout {
    line: usize,
    columns: HashMap<Column, (usize, String)>,
}

impl Layout {
    fn index(&self, column: Column) -> Option<usize> {
        self.columns.get(&column).map(|(i, _)| *i)
    }

    fn name(&self, column: Column) -> String {
        self.columns
            .get(&column)
            .map_or_else(|| column.name().to_string(), |(_, n)| n.clone())
    }
}

/// The text of a cell that names something (a header, a code, a number of
/// a document): number cells as their digits.
fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) | Cell::Date(t) | Cell::Error(t) => t.clone(),
        Cell::Number(raw) => {
            values::stored_number(raw).map_or_else(|_| raw.clone(), |d| d.to_string())
        }
    }
}

/// Reads a sheet into documents.
pub(crate) fn read(table: &Table) -> Reading {
    let mut problems = Vec::new();
    let mut rows = table.rows.iter().filter(|r| !r.is_blank());
    let Some(header) = rows.next() else {
        problems.push(Problem::new(
            Code::Missing,
            Place::whole(),
            "the sheet is empty: its first row must name the columns (document_type, number, issued, …)",
        ));
        return Reading {
            envelope: None,
            messages: Vec::new(),
            problems,
        };
    };
    let mut layout = Layout {
        line: header.line,
        columns: HashMap::new(),
    };
    let mut named = HashSet::new();
    for (index, cell) in header.cells.iter().filter(|(_, c)| !c.is_blank()) {
        let written = cell_text(cell).trim().to_string();
        named.insert(*index);
        match Column::find(&written) {
            Some(column) => {
                if let Some((first, first_name)) = layout.columns.get(&column) {
                    problems.push(Problem::new(
                        Code::Unexpected,
                        Place::cell(header.line, shown(&written)),
                        format!(
                            "column {} names {} again: it is already column {} (`{}`)",
                            column_letters(*index),
                            column.both(),
                            column_letters(*first),
                            shown(first_name)
                        ),
                    ));
                } else {
                    layout.columns.insert(column, (*index, written));
                }
            }
            None => problems.push(Problem::new(
                Code::Unexpected,
                Place::cell(header.line, shown(&written)),
                format!(
                    "column {} (`{}`) is not a column of this layout; the columns are {}",
                    column_letters(*index),
                    shown(&written),
                    Column::ALL
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    for column in [Column::DocumentType, Column::Number] {
        if layout.index(column).is_none() {
            problems.push(Problem::new(
                Code::Missing,
                Place::cell(header.line, column.name()),
                format!(
                    "the header row has no column {}: every row needs it",
                    column.both()
                ),
            ));
        }
    }
    if layout.index(Column::DocumentType).is_none() || layout.index(Column::Number).is_none() {
        return Reading {
            envelope: None,
            messages: Vec::new(),
            problems,
        };
    }
    let data: Vec<&Row> = rows.collect();
    if data.is_empty() {
        problems.push(Problem::new(
            Code::Missing,
            Place {
                line: Some(header.line + 1),
                ..Place::default()
            },
            "the sheet has a header row but no document rows under it",
        ));
    }
    if let Some((row, index)) = data.iter().find_map(|r| {
        r.cells
            .iter()
            .find(|(i, c)| !c.is_blank() && !named.contains(i))
            .map(|(i, _)| (r, *i))
    }) {
        problems.push(Problem::new(
            Code::Unexpected,
            Place::cell(row.line, column_letters(index)),
            format!(
                "column {} holds a value but has no header: name it or leave it empty",
                column_letters(index)
            ),
        ));
    }
    let messages = groups(&layout, &data)
        .into_iter()
        .map(|group| document(&layout, &group, table.date1904))
        .collect();
    Reading {
        envelope: None,
        messages,
        problems,
    }
}

/// The rows of one document.
struct Group<'t> {
    kind: String,
    number: String,
    rows: Vec<&'t Row>,
}

/// Rows grouped by (document_type, number), in order of first appearance.
/// A blank document_type or number is that of the row above.
fn groups<'t>(layout: &Layout, data: &[&'t Row]) -> Vec<Group<'t>> {
    let mut out: Vec<Group<'t>> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut previous = (String::new(), String::new());
    for row in data {
        let text = |column| {
            layout
                .index(column)
                .and_then(|i| row.get(i))
                .map(|c| cell_text(c).trim().to_string())
        };
        let kind = text(Column::DocumentType).unwrap_or_else(|| previous.0.clone());
        let number = text(Column::Number).unwrap_or_else(|| previous.1.clone());
        let group_key = (
            parse_kind(&kind).map_or_else(|| key(&kind), |k| k.as_str().to_string()),
            number.clone(),
        );
        previous = (kind.clone(), number.clone());
        let at = *index.entry(group_key).or_insert_with(|| {
            out.push(Group {
                kind,
                number,
                rows: Vec::new(),
            });
            out.len() - 1
        });
        out[at].rows.push(row);
    }
    out
}

type Parsed<T> = Result<T, (Code, String)>;

/// Maps one group of rows to a document, collecting every problem.
struct Mapper<'a> {
    layout: &'a Layout,
    kind: DocumentKind,
    date1904: bool,
    problems: Vec<Problem>,
    absent: HashSet<Column>,
}

fn document(layout: &Layout, group: &Group<'_>, date1904: bool) -> MessageOutcome {
    let kind = parse_kind(&group.kind);
    let first = group.rows[0];
    let outcome = |result| MessageOutcome {
        reference: group.number.clone(),
        message_type: kind.map_or_else(|| group.kind.clone(), |k| k.as_str().to_string()),
        version: std::borrow::Cow::Borrowed(""),
        place: Place {
            line: Some(first.line),
            ..Place::default()
        },
        result,
    };
    let place = |column| Place::cell(first.line, layout.name(column));
    let Some(kind) = kind else {
        let problem = if group.kind.is_empty() {
            Problem::new(
                Code::Missing,
                place(Column::DocumentType),
                "the document type is empty",
            )
        } else {
            Problem::new(
                Code::UnknownQualifier,
                place(Column::DocumentType),
                format!(
                    "`{}` is not a document type: write order, order_change, order_cancellation, order_response, despatch_advice or receipt_advice (or 発注, 発注変更, 発注取消, 発注回答, 出荷案内, 受領通知)",
                    shown(&group.kind)
                ),
            )
        };
        return outcome(Err(vec![problem]));
    };
    let mut m = Mapper {
        layout,
        kind,
        date1904,
        problems: Vec::new(),
        absent: HashSet::new(),
    };
    let document = m.map(group);
    match document {
        Some(d) if m.problems.is_empty() => outcome(Ok(d)),
        _ => {
            if m.problems.is_empty() {
                m.problems.push(Problem::new(
                    Code::Missing,
                    place(Column::Number),
                    "the document could not be read",
                ));
            }
            outcome(Err(m.problems))
        }
    }
}

fn text_value(cell: &Cell) -> Parsed<String> {
    match cell {
        Cell::Error(e) => Err((
            Code::Invalid,
            format!("the cell holds the spreadsheet error `{}`", shown(e.trim())),
        )),
        other => Ok(cell_text(other)),
    }
}

fn code_value(cell: &Cell) -> Parsed<String> {
    text_value(cell).map(|t| t.trim().to_string())
}

fn decimal_value(cell: &Cell) -> Parsed<Decimal> {
    match cell {
        Cell::Text(t) => values::typed_number(t),
        Cell::Number(raw) => values::stored_number(raw),
        Cell::Date(t) => Err(format!("`{}` is a date, not a number", shown(t))),
        Cell::Error(_) => return text_value(cell).map(|_| Decimal::ZERO),
    }
    .map_err(|e| (Code::Invalid, e))
}

fn amount_value(cell: &Cell) -> Parsed<Decimal> {
    let value = decimal_value(cell)?;
    if value.is_negative() {
        return Err((
            Code::Invalid,
            format!(
                "`{}` is negative; quantities and prices are zero or more",
                shown(&value.to_string())
            ),
        ));
    }
    Ok(value)
}

fn count_value(cell: &Cell) -> Parsed<u32> {
    let value = decimal_value(cell)?;
    value
        .to_int()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            (
                Code::Invalid,
                format!(
                    "`{}` is not a whole number from 0 to 4294967295",
                    shown(&value.to_string())
                ),
            )
        })
}

fn gtin_value(cell: &Cell) -> Parsed<String> {
    let code = code_value(cell)?;
    if values::gtin_valid(&code) {
        return Ok(code);
    }
    let hint = if code.contains(['E', 'e']) && code.contains('+') {
        "; the spreadsheet shows it as a number in exponent form: format the column as text and type the code again"
    } else {
        ""
    };
    Err((
        Code::Invalid,
        format!(
            "`{}` is not a GTIN/JAN code (8, 12, 13 or 14 digits with a valid check digit){hint}",
            shown(&code)
        ),
    ))
}

impl Mapper<'_> {
    fn place(&self, row: &Row, column: Column) -> Place {
        Place::cell(row.line, self.layout.name(column))
    }

    fn cell<'r>(&self, row: &'r Row, column: Column) -> Option<&'r Cell> {
        self.layout.index(column).and_then(|i| row.get(i))
    }

    fn article(&self) -> &'static str {
        match self.kind {
            DocumentKind::Order
            | DocumentKind::OrderChange
            | DocumentKind::OrderCancellation
            | DocumentKind::OrderResponse => "an",
            _ => "a",
        }
    }

    fn missing(&mut self, row: &Row, column: Column, what: &str) {
        let kind = self.kind.as_str();
        let article = self.article();
        if self.layout.index(column).is_none() {
            if self.absent.insert(column) {
                self.problems.push(Problem::new(
                    Code::Missing,
                    Place::cell(self.layout.line, column.name()),
                    format!(
                        "the header row has no column {}, which {article} {kind} needs",
                        column.both()
                    ),
                ));
            }
        } else {
            let place = self.place(row, column);
            self.problems.push(Problem::new(
                Code::Missing,
                place,
                format!("{} is empty; {article} {kind} needs {what}", column.name()),
            ));
        }
    }

    fn get<T>(
        &mut self,
        row: &Row,
        column: Column,
        parse: impl Fn(&Cell) -> Parsed<T>,
    ) -> Option<T> {
        let cell = self.cell(row, column)?;
        match parse(cell) {
            Ok(value) => Some(value),
            Err((code, message)) => {
                let place = self.place(row, column);
                self.problems.push(Problem::new(code, place, message));
                None
            }
        }
    }

    fn need<T>(
        &mut self,
        row: &Row,
        column: Column,
        what: &str,
        parse: impl Fn(&Cell) -> Parsed<T>,
    ) -> Option<T> {
        if self.cell(row, column).is_none() {
            self.missing(row, column, what);
            return None;
        }
        self.get(row, column, parse)
    }

    fn date(&self) -> impl Fn(&Cell) -> Parsed<Date> + use<> {
        let date1904 = self.date1904;
        move |cell: &Cell| {
            match cell {
                Cell::Text(t) | Cell::Date(t) => values::typed_date(t),
                Cell::Number(raw) => values::serial_date(raw, date1904),
                Cell::Error(_) => {
                    return text_value(cell).and_then(|_| Err((Code::Invalid, String::new())));
                }
            }
            .map_err(|e| (Code::Invalid, e))
        }
    }

    /// A value of the document: the same on every row that gives it.
    fn header<T: PartialEq + Display>(
        &mut self,
        rows: &[&Row],
        column: Column,
        what: Option<&str>,
        parse: impl Fn(&Cell) -> Parsed<T>,
    ) -> Option<T> {
        let mut found: Option<(T, usize)> = None;
        let mut filled = false;
        for row in rows {
            if self.cell(row, column).is_none() {
                continue;
            }
            filled = true;
            let Some(value) = self.get(row, column, &parse) else {
                continue;
            };
            match &found {
                None => found = Some((value, row.line)),
                Some((first, line)) if *first != value => {
                    let place = self.place(row, column);
                    self.problems.push(Problem::new(
                        Code::Rule,
                        place,
                        format!(
                            "`{}` differs from `{}` on row {line}: every row of a document carries the same {} (or leaves it empty)",
                            shown(&value.to_string()),
                            shown(&first.to_string()),
                            column.name()
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        if let (None, false, Some(what)) = (&found, filled, what) {
            self.missing(rows[0], column, what);
        }
        found.map(|(value, _)| value)
    }

    fn free_text(&mut self, rows: &[&Row], column: Column) -> Option<String> {
        self.header(rows, column, None, text_value)
    }

    fn party(&mut self, rows: &[&Row], id: Column, name: Column, what: &str) -> Option<Party> {
        let id = self.header(rows, id, Some(what), code_value);
        let name = self.free_text(rows, name);
        Some(Party { id: id?, name })
    }

    /// Refuses values in columns this kind has no field for.
    fn unused(&mut self, rows: &[&Row]) {
        let mut columns: Vec<(Column, usize)> = self
            .layout
            .columns
            .iter()
            .filter(|(c, _)| c.usage(self.kind) == Use::No)
            .map(|(c, (i, _))| (*c, *i))
            .collect();
        columns.sort_unstable();
        for row in rows {
            for &(column, index) in &columns {
                if row.get(index).is_some() {
                    let place = self.place(row, column);
                    self.problems.push(Problem::new(
                        Code::Unexpected,
                        place,
                        format!(
                            "{} {} has no {}: leave this cell empty",
                            self.article(),
                            self.kind.as_str(),
                            column.name()
                        ),
                    ));
                }
            }
        }
    }

    fn line_number(&mut self, row: &Row, seen: &mut HashMap<u32, usize>) -> Option<u32> {
        let number = self.need(row, Column::Line, "a line number", |cell| {
            count_value(cell).and_then(|n| {
                if n == 0 {
                    Err((Code::Invalid, "line numbers start at 1".to_string()))
                } else {
                    Ok(n)
                }
            })
        })?;
        if let Some(first) = seen.insert(number, row.line) {
            let place = self.place(row, Column::Line);
            self.problems.push(Problem::new(
                Code::Rule,
                place,
                format!("line number {number} is used twice in document (also on row {first})"),
            ));
        }
        Some(number)
    }

    fn item(&mut self, row: &Row) -> Item {
        let item = Item {
            gtin: self.get(row, Column::Gtin, gtin_value),
            buyer_code: self.get(row, Column::BuyerCode, code_value),
            seller_code: self.get(row, Column::SellerCode, code_value),
            description: self.get(row, Column::Description, text_value),
        };
        let named = [Column::Gtin, Column::BuyerCode, Column::SellerCode]
            .into_iter()
            .any(|c| self.cell(row, c).is_some());
        if !named {
            let place = self.place(row, Column::Gtin);
            self.problems.push(Problem::new(
                Code::Missing,
                place,
                "the line names no item: give a gtin (JANコード), a buyer_code or a seller_code",
            ));
        }
        item
    }

    fn quantity(&mut self, row: &Row, column: Column, what: &str) -> Option<Quantity> {
        let value = self.need(row, column, what, amount_value);
        let unit = self.need(row, Column::Unit, "the unit of its quantity", |c| {
            values::unit(&code_value(c)?).map_err(|e| (Code::UnknownQualifier, e))
        });
        Some(Quantity {
            value: value?,
            unit: unit?,
        })
    }

    fn order_line(&mut self, row: &Row, seen: &mut HashMap<u32, usize>) -> Option<OrderLine> {
        let line = self.line_number(row, seen);
        let item = self.item(row);
        let quantity = self.quantity(row, Column::Quantity, "the quantity ordered");
        Some(OrderLine {
            line: line?,
            item,
            quantity: quantity?,
            unit_price: self.get(row, Column::UnitPrice, amount_value),
            requested_delivery: self.get(row, Column::RequestedDelivery, self.date()),
            delivery_site: self.get(row, Column::DeliverySite, code_value),
        })
    }

    fn each<T>(
        &mut self,
        rows: &[&Row],
        mut line: impl FnMut(&mut Self, &Row, &mut HashMap<u32, usize>) -> Option<T>,
    ) -> Vec<T> {
        let mut seen = HashMap::new();
        rows.iter()
            .filter_map(|row| line(self, row, &mut seen))
            .collect()
    }

    fn map(&mut self, group: &Group<'_>) -> Option<Document> {
        let rows = group.rows.as_slice();
        self.unused(rows);
        let number = (!group.number.is_empty()).then(|| group.number.clone());
        if number.is_none() {
            self.missing(rows[0], Column::Number, "its number");
        }
        let order_number = self.header(
            rows,
            Column::OrderNumber,
            (self.kind != DocumentKind::Order).then_some("the number of the order it belongs to"),
            code_value,
        );
        let issued = self.header(rows, Column::Issued, Some("its date of issue"), self.date());
        let buyer = self.party(rows, Column::BuyerId, Column::BuyerName, "the buyer's id");
        let seller = self.party(
            rows,
            Column::SellerId,
            Column::SellerName,
            "the seller's id",
        );
        let currency = match Column::Currency.usage(self.kind) {
            Use::No => None,
            _ => self.header(
                rows,
                Column::Currency,
                Some("the currency of its prices"),
                |c| values::currency(&code_value(c)?).map_err(|e| (Code::Invalid, e)),
            ),
        };
        Some(match self.kind {
            DocumentKind::Order => {
                if let (Some(other), Some(own)) = (&order_number, &number) {
                    if other != own {
                        let place = self.place(rows[0], Column::OrderNumber);
                        self.problems.push(Problem::new(
                            Code::Rule,
                            place,
                            format!("an order's order_number is its own number `{}`, not `{}` (or leave it empty)", shown(own), shown(other)),
                        ));
                    }
                }
                let note = self.free_text(rows, Column::Note);
                let lines = self.each(rows, Self::order_line);
                Document::Order(Order {
                    number: number?,
                    issued: issued?,
                    buyer: buyer?,
                    seller: seller?,
                    currency: currency?,
                    note,
                    lines,
                })
            }
            DocumentKind::OrderChange => {
                let note = self.free_text(rows, Column::Note);
                let lines = self.each(rows, |m, row, seen| {
                    let action = m.need(row, Column::Action, "what the change does to the line (added, changed or deleted)", |c| {
                        parse_action(&code_value(c)?).ok_or_else(|| {
                            (Code::UnknownQualifier, format!("`{}` is not a change action: write added, changed or deleted (追加, 変更, 削除)", shown(cell_text(c).trim())))
                        })
                    });
                    let line = m.order_line(row, seen);
                    Some(ChangeLine { action: action?, line: line? })
                });
                Document::OrderChange(OrderChange {
                    number: number?,
                    order_number: order_number?,
                    issued: issued?,
                    buyer: buyer?,
                    seller: seller?,
                    currency: currency?,
                    note,
                    lines,
                })
            }
            DocumentKind::OrderCancellation => {
                for row in &rows[1..] {
                    let place = self.place(row, Column::Number);
                    self.problems.push(Problem::new(
                        Code::Rule,
                        place,
                        format!(
                            "a cancellation takes one row, but row {} already holds {}",
                            rows[0].line, group.number
                        ),
                    ));
                }
                let reason = self.get(rows[0], Column::Reason, text_value);
                Document::OrderCancellation(OrderCancellation {
                    number: number?,
                    order_number: order_number?,
                    issued: issued?,
                    buyer: buyer?,
                    seller: seller?,
                    reason,
                })
            }
            DocumentKind::OrderResponse => {
                let lines = self.each(rows, |m, row, seen| {
                    let line = m.line_number(row, seen);
                    let status = m.need(row, Column::Status, "the answer to the line (accepted, changed or rejected)", |c| {
                        parse_status(&code_value(c)?).ok_or_else(|| {
                            (Code::UnknownQualifier, format!("`{}` is not a line status: write accepted, changed or rejected (承諾, 変更, 拒否)", shown(cell_text(c).trim())))
                        })
                    });
                    let item = m.item(row);
                    let quantity = match (m.cell(row, Column::Quantity), status) {
                        (None, Some(crate::LineStatus::Rejected) | None) => None,
                        (None, Some(_)) => {
                            m.missing(row, Column::Quantity, "the quantity the seller will deliver on an accepted or changed line");
                            None
                        }
                        (Some(_), _) => m.quantity(row, Column::Quantity, "the quantity the seller will deliver"),
                    };
                    Some(ResponseLine {
                        line: line?,
                        status: status?,
                        item,
                        quantity,
                        unit_price: m.get(row, Column::UnitPrice, amount_value),
                        confirmed_delivery: m.get(row, Column::ConfirmedDelivery, m.date()),
                        reason: m.get(row, Column::Reason, text_value),
                    })
                });
                Document::OrderResponse(OrderResponse {
                    number: number?,
                    order_number: order_number?,
                    issued: issued?,
                    buyer: buyer?,
                    seller: seller?,
                    currency: currency?,
                    lines,
                })
            }
            DocumentKind::DespatchAdvice => {
                let shipped = self.header(rows, Column::Shipped, None, self.date());
                let expected_delivery =
                    self.header(rows, Column::ExpectedDelivery, None, self.date());
                let carrier = self.free_text(rows, Column::Carrier);
                let tracking = self.header(rows, Column::Tracking, None, code_value);
                let packages = self
                    .header(rows, Column::Packages, None, count_value)
                    .unwrap_or(0);
                let lines = self.each(rows, |m, row, seen| {
                    let line = m.line_number(row, seen);
                    let item = m.item(row);
                    let quantity = m.quantity(row, Column::Quantity, "the quantity shipped");
                    Some(DespatchLine {
                        line: line?,
                        item,
                        quantity: quantity?,
                    })
                });
                Document::DespatchAdvice(DespatchAdvice {
                    number: number?,
                    order_number: order_number?,
                    issued: issued?,
                    buyer: buyer?,
                    seller: seller?,
                    shipped,
                    expected_delivery,
                    carrier,
                    tracking,
                    packages,
                    lines,
                })
            }
            DocumentKind::ReceiptAdvice => {
                let despatch_number = self.header(rows, Column::DespatchNumber, None, code_value);
                let received = self.header(rows, Column::Received, None, self.date());
                let lines = self.each(rows, |m, row, seen| {
                    let line = m.line_number(row, seen);
                    let item = m.item(row);
                    let received =
                        m.quantity(row, Column::ReceivedQuantity, "the quantity received");
                    let damaged = m
                        .get(row, Column::DamagedQuantity, amount_value)
                        .unwrap_or(Decimal::ZERO);
                    Some(ReceiptLine {
                        line: line?,
                        item,
                        received: received?,
                        damaged,
                    })
                });
                Document::ReceiptAdvice(ReceiptAdvice {
                    number: number?,
                    order_number: order_number?,
                    despatch_number,
                    issued: issued?,
                    buyer: buyer?,
                    seller: seller?,
                    received,
                    lines,
                })
            }
        })
    }
}
