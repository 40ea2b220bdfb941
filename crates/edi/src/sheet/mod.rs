//! A flat layout a small shop can fill in with a spreadsheet, as CSV and as
//! an .xlsx workbook, mapped to and from the canonical documents.
//!
//! # Layout
//!
//! One table; the first non-empty row is the header, every other row is
//! one line of a document. The values that belong to the document as a
//! whole (its number, date, parties, …) are repeated on each of its rows.
//! Rows are grouped into documents by (`document_type`, `number`), in the
//! order each document first appears, so several documents, of any kinds,
//! travel in one file. Each document is one [`MessageOutcome`](crate::MessageOutcome)
//! (reference: its number; message type: its `document_type`), accepted or
//! rejected on its own.
//!
//! To make filling in by hand easy:
//! - columns are found by their header, in any order, English or Japanese,
//!   in full- or half-width letters, in any case, with spaces or hyphens for
//!   underscores (`Order Number`, `ＪＡＮコード`);
//! - a blank `document_type` or `number` is that of the row above;
//! - the other document values may be left blank on all rows but one; when
//!   given on several rows they must agree;
//! - blank rows are skipped; row numbers in problems are those the
//!   spreadsheet shows (the header row is 1 when it is the first row).
//!
//! Columns (English header, Japanese headers accepted; the first is the one
//! written), and which documents use them — R required, o optional, blank:
//! must stay empty. Kinds: O order, C order_change, X order_cancellation,
//! P order_response, D despatch_advice, A receipt_advice.
//!
//! | Column | 日本語 | O | C | X | P | D | A | Value |
//! |---|---|---|---|---|---|---|---|---|
//! | `document_type` | 文書種別, 伝票種別 | R | R | R | R | R | R | `order` … `receipt_advice`, or 発注, 発注変更, 発注取消, 発注回答, 出荷案内, 受領通知 |
//! | `number` | 文書番号, 伝票番号 | R | R | R | R | R | R | the document's own number |
//! | `order_number` | 発注番号, 注文番号 | o | R | R | R | R | R | the order's number (an order: its own or blank) |
//! | `issued` | 発行日, 伝票日付 | R | R | R | R | R | R | date |
//! | `buyer_id` | 発注者ID, 発注者コード | R | R | R | R | R | R | text |
//! | `buyer_name` | 発注者名 | o | o | o | o | o | o | text |
//! | `seller_id` | 受注者ID, 受注者コード | R | R | R | R | R | R | text |
//! | `seller_name` | 受注者名 | o | o | o | o | o | o | text |
//! | `currency` | 通貨 | R | R | | R | | | ISO 4217 code (`JPY`; `円` reads as JPY) |
//! | `note` | 備考 | o | o | | | | | text (an order's note; why a change is made) |
//! | `despatch_number` | 出荷番号, 納品書番号 | | | | | | o | text |
//! | `shipped` | 出荷日 | | | | | o | | date |
//! | `expected_delivery` | 納品予定日 | | | | | o | | date |
//! | `carrier` | 運送会社 | | | | | o | | text |
//! | `tracking` | 送り状番号, 追跡番号 | | | | | o | | text |
//! | `packages` | 個口数 | | | | | o | | whole number, blank = 0 |
//! | `received` | 受領日, 入荷日 | | | | | | o | date |
//! | `line` | 行番号, 明細番号 | R | R | | R | R | R | whole number from 1, unique in the document |
//! | `action` | 変更区分 | | R | | | | | `added`, `changed`, `deleted` (追加, 変更, 削除) |
//! | `status` | 回答区分 | | | | R | | | `accepted`, `changed`, `rejected` (承諾, 変更, 拒否) |
//! | `gtin` | JANコード, JAN, GTIN | o | o | | o | o | o | GTIN-8/12/13/14 with a valid check digit |
//! | `buyer_code` | 発注者商品コード | o | o | | o | o | o | text |
//! | `seller_code` | 受注者商品コード | o | o | | o | o | o | text |
//! | `description` | 商品名 | o | o | | o | o | o | text |
//! | `quantity` | 数量 | R | R | | o | R | | number ≥ 0 (a response: required unless rejected) |
//! | `unit` | 単位 | R | R | | o | R | R | UN/ECE Rec. 20 code (`H87`, `CS`, `KGM`), any case; 個, ケース, 箱, 袋, kg, g read as H87, CS, BX, BG, KGM, GRM |
//! | `unit_price` | 単価 | o | o | | o | | | number ≥ 0 |
//! | `requested_delivery` | 納品希望日, 希望納期 | o | o | | | | | date |
//! | `confirmed_delivery` | 納品回答日, 回答納期 | | | | o | | | date |
//! | `delivery_site` | 納品先, 納品先コード | o | o | | | | | text |
//! | `received_quantity` | 受領数量, 入荷数量 | | | | | | R | number ≥ 0 |
//! | `damaged_quantity` | 破損数量, 不良数量 | | | | | | o | number ≥ 0, blank = 0, in `unit` |
//! | `reason` | 理由 | | | o | o | | | text (a cancellation's reason; a response line's reason) |
//!
//! Every line names its item by at least one of `gtin`, `buyer_code`,
//! `seller_code`. A cancellation is a single row with no line values.
//!
//! # Values
//!
//! - Dates are written `2026-11-25`; read as `2026-11-25`, `2026/11/25`,
//!   `2026/1/5` (Excel's Japanese default), `20261125`, `2026年11月25日`,
//!   optionally followed by a time of day, which is dropped; in a workbook
//!   also as date serial numbers (days since 1899-12-30, or 1904-01-01 for
//!   workbooks using the 1904 date system) and ISO date cells.
//! - Numbers are written with a `.` decimal mark and no grouping; read with
//!   optional `,` thousands separators in groups of three (`1,234.5`). Any
//!   other comma is refused, since `1,5` could mean 1.5 or 15. Full-width
//!   digits (`１２`) are read as digits. Number cells of a workbook are read
//!   from their stored text, never through floating point, rounded to the
//!   15 significant digits a spreadsheet holds (`0.30000000000000004` is
//!   0.3); at most nine decimal places.
//!
//! # CSV
//!
//! RFC 4180: comma separated, fields quoted with `"` when they hold a
//! comma, quote or line break, quotes inside doubled, records ending in CRLF
//! or LF. Read as UTF-8 with or without a byte order mark; anything else (the
//! Shift_JIS Excel in Japan saves by default, UTF-16 "Unicode text") is
//! refused with a problem saying how to save it as "CSV UTF-8". Written as
//! UTF-8 with a byte order mark and CRLF, so Excel opens it as UTF-8. Text
//! that a spreadsheet would take for a formula (starting with `=`, `+`,
//! `-`, `@`, tab or CR) is written after a `'`, which reading removes again
//! (as it does before a `'` that starts a text).
//!
//! # Workbook
//!
//! Written as a minimal .xlsx: one worksheet, header row bold and frozen,
//! text as inline strings, numbers as number cells when they have at most
//! 15 significant digits (else as text), dates as date cells shown
//! `yyyy-mm-dd`. Read: the first worksheet (through the workbook and its
//! relationships), shared strings (rich-text runs joined, furigana dropped),
//! inline strings, formula results, cells placed by their references so
//! omitted cells leave gaps, and the `_xHHHH_` escapes Office writes. No part
//! may inflate beyond [`MAX_PART_BYTES`]. No input makes the readers panic.
//!
//! # Problems
//!
//! Places are [`Place::cell`](crate::Place::cell)(row, header as written in
//! the file). Codes: `missing` (a required cell is empty, a required column
//! is absent), `invalid` (a number, date or GTIN that cannot be), `unknown_qualifier`
//! (an unknown document type, action, status or unit), `rule` (a line
//! number used twice, document values that differ between its rows, two
//! rows for a cancellation), `unexpected` (an unknown or repeated column, a
//! value in a column the document kind does not use). A broken file (not
//! UTF-8, not a zip, malformed XML, no header row, no `document_type` or
//! `number` column, an unknown column) is a problem of the reading as a whole.
//! The readers fill no [`Envelope`](crate::Envelope): a spreadsheet has none.

mod columns;
mod csv;
mod rows;
mod table;
mod values;
mod xlsx;

pub use csv::{read_csv, write_csv};
pub use xlsx::{MAX_PART_BYTES, read_xlsx, write_xlsx};

use crate::{Document, DocumentKind, samples};

/// The language headers and code values are written in. Reading accepts both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// `document_type`, `quantity`, `order`, `accepted`, …
    #[default]
    English,
    /// `文書種別`, `数量`, `発注`, `承諾`, …
    Japanese,
}

/// An empty form for one kind of document, to download and fill in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// As CSV.
    pub csv: Vec<u8>,
    /// As an .xlsx workbook.
    pub xlsx: Vec<u8>,
}

/// A template for `kind`: the header row of the columns that kind uses and
/// one example row, to be overwritten.
pub fn template(kind: DocumentKind, language: Language) -> Template {
    let example = example(kind);
    Template {
        csv: write_csv(std::slice::from_ref(&example), language),
        xlsx: write_xlsx(std::slice::from_ref(&example), language),
    }
}

/// The sample document of `kind`, cut to one line.
fn example(kind: DocumentKind) -> Document {
    match kind {
        DocumentKind::Order => {
            let mut d = samples::order();
            d.lines.truncate(1);
            Document::Order(d)
        }
        DocumentKind::OrderChange => {
            let mut d = samples::order_change();
            d.lines.truncate(1);
            Document::OrderChange(d)
        }
        DocumentKind::OrderCancellation => {
            Document::OrderCancellation(samples::order_cancellation())
        }
        DocumentKind::OrderResponse => {
            let mut d = samples::order_response();
            d.lines.truncate(1);
            Document::OrderResponse(d)
        }
        DocumentKind::DespatchAdvice => {
            let mut d = samples::despatch_advice();
            d.lines.truncate(1);
            Document::DespatchAdvice(d)
        }
        DocumentKind::ReceiptAdvice => {
            let mut d = samples::receipt_advice();
            d.lines.truncate(1);
            Document::ReceiptAdvice(d)
        }
    }
}
