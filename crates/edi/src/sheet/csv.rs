//! CSV (RFC 4180) in UTF-8: the records split into cells, and the layout
//! written the way Excel opens it without asking.

use super::{
    Language,
    rows::{Value, sheet},
    table::{self, Cell, Row, Table},
};
use crate::{Code, Document, Place, Problem, Reading};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The characters that make a spreadsheet read a cell as a formula; a text
/// starting with one (or with the guard itself) is written after a `'`.
const FORMULA_STARTS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// Reads a CSV file of the layout.
pub fn read_csv(input: &[u8]) -> Reading {
    match records(input) {
        Ok(table) => table::read(&table),
        Err(problem) => Reading {
            envelope: None,
            messages: Vec::new(),
            problems: vec![*problem],
        },
    }
}

/// Writes documents as CSV: UTF-8 with a byte order mark, CRLF line ends,
/// fields quoted when they hold a comma, quote or line break.
pub fn write_csv(documents: &[Document], language: Language) -> Vec<u8> {
    let sheet = sheet(documents, language);
    let mut out = String::with_capacity(256 * (sheet.rows.len() + 1));
    let header: Vec<String> = sheet
        .columns
        .iter()
        .map(|c| c.header(language).to_string())
        .collect();
    record(&mut out, header.iter().map(String::as_str));
    for row in &sheet.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|v| match v {
                Value::Empty => String::new(),
                Value::Text(t) if t.starts_with(FORMULA_STARTS) => format!("'{t}"),
                Value::Text(t) => t.clone(),
                Value::Number(n) => n.to_string(),
                Value::Date(d) => d.to_string(),
            })
            .collect();
        record(&mut out, cells.iter().map(String::as_str));
    }
    let mut bytes = BOM.to_vec();
    bytes.extend_from_slice(out.as_bytes());
    bytes
}

fn record<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let quote = field.contains([',', '"', '\r', '\n'])
            || field.starts_with(char::is_whitespace)
            || field.ends_with(char::is_whitespace);
        if quote {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}

/// A cell written with the formula guard, read back as written before it.
fn unguard(text: String) -> String {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest.to_string(),
        _ => text,
    }
}

/// The line (from 1) byte `offset` is on.
fn line_of(input: &[u8], offset: usize) -> usize {
    input[..offset.min(input.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn at_line(line: usize) -> Place {
    Place {
        line: Some(line),
        ..Place::default()
    }
}

/// Splits the text into records and cells; rows are numbered by record,
/// as a spreadsheet shows them, so a quoted line break does not count.
fn records(input: &[u8]) -> Result<Table, Box<Problem>> {
    if input.starts_with(b"\xFF\xFE") || input.starts_with(b"\xFE\xFF") {
        return Err(Box::new(Problem::new(
            Code::Syntax,
            at_line(1),
            "the file is UTF-16 text (Excel's “Unicode text”): save it as “CSV UTF-8 (コンマ区切り) (*.csv)” instead",
        )));
    }
    let body = input.strip_prefix(BOM).unwrap_or(input);
    let text = std::str::from_utf8(body).map_err(|e| {
        let at = e.valid_up_to();
        Box::new(Problem::new(
            Code::Syntax,
            at_line(line_of(body, at)),
            format!(
                "the file is not UTF-8 text (byte 0x{:02X} at offset {}); Excel in Japan saves CSV as Shift_JIS unless told otherwise: open it and save it again as “CSV UTF-8 (コンマ区切り) (*.csv)”",
                body.get(at).copied().unwrap_or_default(),
                at + input.len() - body.len()
            ),
        ))
    })?;
    let mut rows = Vec::new();
    let mut row = Row {
        line: 1,
        cells: Vec::new(),
    };
    let mut field = String::new();
    let mut chars = text.char_indices().peekable();
    let mut at_field_start = true;
    loop {
        let Some((offset, c)) = chars.next() else {
            if !at_field_start || !field.is_empty() || !row.cells.is_empty() {
                push_field(&mut row, &mut field);
                rows.push(row);
            }
            break;
        };
        match c {
            '"' if at_field_start && field.is_empty() => {
                let opened = line_of(text.as_bytes(), offset);
                loop {
                    match chars.next() {
                        Some((_, '"')) if chars.peek().map(|&(_, c)| c) == Some('"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some((_, '"')) => break,
                        Some((_, other)) => field.push(other),
                        None => {
                            return Err(Box::new(Problem::new(
                                Code::Syntax,
                                at_line(opened),
                                format!(
                                    "a quoted field opened on line {opened} is never closed (a `\"` is missing)"
                                ),
                            )));
                        }
                    }
                }
                match chars.peek() {
                    None | Some((_, ',' | '\r' | '\n')) => {}
                    Some(&(after, _)) => {
                        let line = line_of(text.as_bytes(), after);
                        return Err(Box::new(Problem::new(
                            Code::Syntax,
                            at_line(line),
                            format!(
                                "on line {line}, text follows the closing quote of a field; a quote inside a quoted field is written twice (\"\")"
                            ),
                        )));
                    }
                }
                at_field_start = false;
            }
            ',' => {
                push_field(&mut row, &mut field);
                at_field_start = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek().map(|&(_, c)| c) == Some('\n') {
                    chars.next();
                }
                push_field(&mut row, &mut field);
                let next = row.line + 1;
                rows.push(std::mem::replace(
                    &mut row,
                    Row {
                        line: next,
                        cells: Vec::new(),
                    },
                ));
                at_field_start = true;
            }
            other => {
                field.push(other);
                at_field_start = false;
            }
        }
    }
    Ok(Table {
        rows,
        date1904: false,
    })
}

fn push_field(row: &mut Row, field: &mut String) {
    let index = row.cells.len();
    row.cells
        .push((index, Cell::Text(unguard(std::mem::take(field)))));
}
