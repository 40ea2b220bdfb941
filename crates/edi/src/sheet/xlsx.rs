//! The layout as an Office Open XML workbook (.xlsx): a minimal workbook
//! written with one worksheet, and the first worksheet of any workbook read,
//! whichever program saved it.

use std::io::{Cursor, Read, Write};

use quick_xml::{
    Reader,
    events::{BytesStart, Event},
};
use zip::{CompressionMethod, ZipArchive, ZipWriter, write::SimpleFileOptions};

use super::{
    Language,
    rows::{Value, sheet},
    table::{self, Cell, Row, Table, column_letters},
    values::date_serial,
};
use crate::{Code, Document, Place, Problem, Reading, problem::shown};

/// The most bytes one part of a workbook may inflate to; a larger part is
/// refused rather than read, so that a small file cannot claim all memory.
pub const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;

/// The last row and column a worksheet may have (`XFD1048576`).
const MAX_ROWS: usize = 1_048_576;
const MAX_COLUMNS: usize = 16_384;

/// Reads the first worksheet of a workbook in the layout.
pub fn read_xlsx(input: &[u8]) -> Reading {
    match workbook(input) {
        Ok(table) => table::read(&table),
        Err(problem) => Reading {
            envelope: None,
            messages: Vec::new(),
            problems: vec![*problem],
        },
    }
}

fn whole(code: Code, message: impl Into<String>) -> Box<Problem> {
    Box::new(Problem::new(code, Place::whole(), message))
}

fn workbook(input: &[u8]) -> Result<Table, Box<Problem>> {
    let mut archive = ZipArchive::new(Cursor::new(input)).map_err(|e| {
        whole(
            Code::Syntax,
            format!("the file is not an .xlsx workbook (not a readable zip archive: {e}); save it from Excel or LibreOffice as “Excel Workbook (*.xlsx)”"),
        )
    })?;
    let root = relationships(&mut archive, "_rels/.rels")?;
    let workbook_path = root
        .iter()
        .find(|r| r.kind.ends_with("/officeDocument"))
        .map_or_else(|| "xl/workbook.xml".to_string(), |r| resolve("", &r.target));
    let workbook = part(&mut archive, &workbook_path)?.ok_or_else(|| {
        whole(
            Code::Missing,
            format!("the workbook part {workbook_path} is missing: this is not an .xlsx workbook"),
        )
    })?;
    let (sheets, date1904) = sheets(&workbook, &workbook_path)?;
    let base = workbook_path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let file = workbook_path
        .rsplit_once('/')
        .map_or(workbook_path.as_str(), |(_, f)| f);
    let rels_path = if base.is_empty() {
        format!("_rels/{file}.rels")
    } else {
        format!("{base}/_rels/{file}.rels")
    };
    let rels = relationships(&mut archive, &rels_path)?;
    let sheet_path = sheets
        .iter()
        .find_map(|id| {
            rels.iter()
                .find(|r| &r.id == id && r.kind.ends_with("/worksheet"))
        })
        .map(|r| resolve(base, &r.target))
        .ok_or_else(|| whole(Code::Missing, "the workbook has no worksheet"))?;
    let shared = match rels.iter().find(|r| r.kind.ends_with("/sharedStrings")) {
        Some(r) => {
            let path = resolve(base, &r.target);
            match part(&mut archive, &path)? {
                Some(bytes) => shared_strings(&bytes, &path)?,
                None => Vec::new(),
            }
        }
        None => Vec::new(),
    };
    let sheet = part(&mut archive, &sheet_path)?.ok_or_else(|| {
        whole(
            Code::Missing,
            format!("the worksheet part {sheet_path} is missing"),
        )
    })?;
    let rows = worksheet(&sheet, &sheet_path, &shared)?;
    Ok(Table { rows, date1904 })
}

/// A part's bytes, `None` when the archive has no such part.
fn part(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<Vec<u8>>, Box<Problem>> {
    let Some(index) = archive.index_for_name(name) else {
        return Ok(None);
    };
    let too_big = || {
        Box::new(Problem::new(
            Code::Unsupported,
            Place::xml(name, 0),
            format!(
                "the part {name} inflates to more than {} MiB, more than this reader accepts",
                MAX_PART_BYTES >> 20
            ),
        ))
    };
    let broken = |e: &dyn std::fmt::Display| {
        Box::new(Problem::new(
            Code::Syntax,
            Place::xml(name, 0),
            format!("the part {name} cannot be unpacked: {e}"),
        ))
    };
    let file = archive.by_index(index).map_err(|e| broken(&e))?;
    if file.size() > MAX_PART_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0).min(1 << 20));
    file.take(MAX_PART_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| broken(&e))?;
    if bytes.len() as u64 > MAX_PART_BYTES {
        return Err(too_big());
    }
    Ok(Some(bytes))
}

/// A part path from a relationship target, relative to `base` unless absolute.
fn resolve(base: &str, target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None if base.is_empty() => target.to_string(),
        None => format!("{base}/{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for segment in joined.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// An XML part being read, for events and for problems that name it.
struct Xml<'a> {
    reader: Reader<&'a [u8]>,
    bytes: &'a [u8],
    path: &'a str,
}

impl<'a> Xml<'a> {
    fn new(bytes: &'a [u8], path: &'a str) -> Xml<'a> {
        Xml {
            reader: Reader::from_reader(bytes),
            bytes,
            path,
        }
    }

    fn problem(&self, message: impl Into<String>) -> Box<Problem> {
        let at = usize::try_from(self.reader.buffer_position())
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        let line = self.bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        Box::new(Problem::new(
            Code::Syntax,
            Place::xml(self.path, line),
            message,
        ))
    }

    fn next(&mut self) -> Result<Event<'a>, Box<Problem>> {
        self.reader
            .read_event()
            .map_err(|e| self.problem(format!("{} is not well-formed XML: {e}", self.path)))
    }

    fn attribute(
        &self,
        element: &BytesStart<'_>,
        local: &[u8],
    ) -> Result<Option<String>, Box<Problem>> {
        for attribute in element.attributes() {
            let attribute =
                attribute.map_err(|e| self.problem(format!("a malformed attribute: {e}")))?;
            if attribute.key.local_name().as_ref() == local {
                let value = attribute
                    .unescape_value()
                    .map_err(|e| self.problem(format!("a malformed attribute value: {e}")))?;
                return Ok(Some(value.into_owned()));
            }
        }
        Ok(None)
    }

    /// Appends the text of a text, reference or CDATA event to `out`.
    fn text(&self, event: &Event<'_>, out: &mut String) -> Result<(), Box<Problem>> {
        let bad =
            |e: &dyn std::fmt::Display| self.problem(format!("text that cannot be read: {e}"));
        match event {
            Event::Text(t) => out.push_str(&t.xml10_content().map_err(|e| bad(&e))?),
            Event::CData(t) => out.push_str(&t.decode().map_err(|e| bad(&e))?),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| bad(&e))? {
                    out.push(c);
                } else {
                    let name = r.decode().map_err(|e| bad(&e))?;
                    out.push(match name.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err(
                                self.problem(format!("the entity `&{other};` is not defined"))
                            );
                        }
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// One relationship of a package part.
struct Relationship {
    id: String,
    kind: String,
    target: String,
}

fn relationships(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    path: &str,
) -> Result<Vec<Relationship>, Box<Problem>> {
    let Some(bytes) = part(archive, path)? else {
        return Ok(Vec::new());
    };
    let mut xml = Xml::new(&bytes, path);
    let mut out = Vec::new();
    loop {
        match xml.next()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                if xml.attribute(&e, b"TargetMode")?.as_deref() == Some("External") {
                    continue;
                }
                if let (Some(id), Some(kind), Some(target)) = (
                    xml.attribute(&e, b"Id")?,
                    xml.attribute(&e, b"Type")?,
                    xml.attribute(&e, b"Target")?,
                ) {
                    out.push(Relationship { id, kind, target });
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// The relationship ids of the workbook's sheets, in order, and whether
/// its dates count from 1904.
fn sheets(bytes: &[u8], path: &str) -> Result<(Vec<String>, bool), Box<Problem>> {
    let mut xml = Xml::new(bytes, path);
    let mut ids = Vec::new();
    let mut date1904 = false;
    loop {
        match xml.next()? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"sheet" => ids.extend(xml.attribute(&e, b"id")?),
                b"workbookPr" => {
                    date1904 = matches!(
                        xml.attribute(&e, b"date1904")?.as_deref(),
                        Some("1" | "true")
                    );
                }
                _ => {}
            },
            Event::Eof => return Ok((ids, date1904)),
            _ => {}
        }
    }
}

/// Reads the `_xHHHH_` escapes Office writes for characters XML cannot carry.
fn unescape_office(text: String) -> String {
    if !text.contains("_x") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("_x") {
        out.push_str(&rest[..at]);
        let candidate = &rest[at..];
        let decoded = candidate
            .get(2..6)
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .filter(|_| candidate.as_bytes().get(6) == Some(&b'_'))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &candidate[7..];
            }
            None => {
                out.push_str("_x");
                rest = &candidate[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Writes text for a workbook: XML-escaped, with the characters XML cannot
/// carry (and anything that would read as such an escape) as `_xHHHH_`.
fn escape(text: &str, out: &mut String) {
    for (at, c) in text.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '_' if text[at..].len() >= 7
                && text[at + 1..].starts_with('x')
                && text.as_bytes()[at + 2..at + 6]
                    .iter()
                    .all(u8::is_ascii_hexdigit)
                && text.as_bytes()[at + 6] == b'_' =>
            {
                out.push_str("_x005F_");
            }
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&format!("_x{:04X}_", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// The shared strings table: each item's text, rich-text runs joined and
/// phonetic guides (furigana, `rPh`) left out.
fn shared_strings(bytes: &[u8], path: &str) -> Result<Vec<String>, Box<Problem>> {
    let mut xml = Xml::new(bytes, path);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut in_text = false;
    let mut phonetic = 0usize;
    loop {
        let event = xml.next()?;
        match &event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"si" => current = Some(String::new()),
                b"rPh" => phonetic += 1,
                b"t" => in_text = phonetic == 0 && current.is_some(),
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == b"si" => out.push(String::new()),
            Event::End(e) => match e.local_name().as_ref() {
                b"si" => out.push(unescape_office(current.take().unwrap_or_default())),
                b"rPh" => phonetic = phonetic.saturating_sub(1),
                b"t" => in_text = false,
                _ => {}
            },
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if in_text => {
                if let Some(text) = current.as_mut() {
                    xml.text(&event, text)?;
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// A cell reference such as `C5`: column index from 0 and row from 1.
fn cell_reference(text: &str) -> Option<(usize, usize)> {
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    if digits.len() > 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let column = letters
        .bytes()
        .fold(0usize, |n, b| n * 26 + usize::from(b - b'A' + 1))
        - 1;
    let row: usize = digits.parse().ok()?;
    (column < MAX_COLUMNS && (1..=MAX_ROWS).contains(&row)).then_some((column, row))
}

/// A cell being read.
struct Open {
    column: usize,
    kind: String,
    value: String,
    inline: String,
}

/// The rows of a worksheet, cells placed by their references.
fn worksheet(bytes: &[u8], path: &str, shared: &[String]) -> Result<Vec<Row>, Box<Problem>> {
    let mut xml = Xml::new(bytes, path);
    let mut rows: Vec<Row> = Vec::new();
    let mut next_column = 0usize;
    let mut cell: Option<Open> = None;
    let mut in_value = false;
    let mut in_inline = false;
    let mut in_text = false;
    let mut phonetic = 0usize;
    loop {
        let event = xml.next()?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    b"row" => {
                        let previous = rows.last().map_or(0, |r| r.line);
                        let line = match xml.attribute(e, b"r")? {
                            Some(r) => r
                                .trim()
                                .parse::<usize>()
                                .ok()
                                .filter(|n| (1..=MAX_ROWS).contains(n))
                                .ok_or_else(|| {
                                    xml.problem(format!("`{}` is not a row number", shown(&r)))
                                })?,
                            None => previous + 1,
                        };
                        if line <= previous || line > MAX_ROWS {
                            return Err(xml.problem(format!(
                                "row {line} comes after row {previous}: rows must be in order"
                            )));
                        }
                        rows.push(Row {
                            line,
                            cells: Vec::new(),
                        });
                        next_column = 0;
                    }
                    b"c" => {
                        let Some(row) = rows.last() else {
                            return Err(xml.problem("a cell outside any row"));
                        };
                        let column = match xml.attribute(e, b"r")? {
                            Some(r) => match cell_reference(&r) {
                                Some((column, line)) if line == row.line => column,
                                _ => {
                                    return Err(xml.problem(format!(
                                        "`{}` is not a cell of row {}",
                                        shown(&r),
                                        row.line
                                    )));
                                }
                            },
                            None => next_column,
                        };
                        if column < next_column || column >= MAX_COLUMNS {
                            return Err(xml.problem(format!(
                                "cell {}{} is out of order in its row",
                                column_letters(column.min(MAX_COLUMNS)),
                                row.line
                            )));
                        }
                        next_column = column + 1;
                        if !empty {
                            let kind = xml.attribute(e, b"t")?.unwrap_or_default();
                            cell = Some(Open {
                                column,
                                kind,
                                value: String::new(),
                                inline: String::new(),
                            });
                        }
                    }
                    b"v" if !empty => in_value = cell.is_some(),
                    b"is" if !empty => in_inline = cell.is_some(),
                    b"rPh" if !empty => phonetic += 1,
                    b"t" if !empty => in_text = in_inline && phonetic == 0,
                    _ => {}
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"v" => in_value = false,
                b"is" => in_inline = false,
                b"rPh" => phonetic = phonetic.saturating_sub(1),
                b"t" => in_text = false,
                b"c" => {
                    if let (Some(open), Some(row)) = (cell.take(), rows.last_mut()) {
                        let at = format!("{}{}", column_letters(open.column), row.line);
                        if let Some(value) = finish(open.kind, open.value, open.inline, shared)
                            .map_err(|m| xml.problem(format!("cell {at}: {m}")))?
                        {
                            row.cells.push((open.column, value));
                        }
                    }
                }
                _ => {}
            },
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {
                if let Some(open) = cell.as_mut() {
                    if in_value {
                        xml.text(&event, &mut open.value)?;
                    } else if in_text {
                        xml.text(&event, &mut open.inline)?;
                    }
                }
            }
            Event::Eof => return Ok(rows),
            _ => {}
        }
    }
}

/// A read cell's value by its type attribute.
fn finish(
    kind: String,
    value: String,
    inline: String,
    shared: &[String],
) -> Result<Option<Cell>, String> {
    let cell = match kind.as_str() {
        "s" => {
            let index: usize = value
                .trim()
                .parse()
                .map_err(|_| format!("`{value}` is not a shared string number"))?;
            let text = shared.get(index).ok_or_else(|| {
                format!(
                    "shared string {index} does not exist (the workbook has {})",
                    shared.len()
                )
            })?;
            Cell::Text(text.clone())
        }
        "inlineStr" => Cell::Text(unescape_office(inline)),
        "str" => Cell::Text(unescape_office(value)),
        "b" => Cell::Text(if value.trim() == "1" { "TRUE" } else { "FALSE" }.to_string()),
        "e" => Cell::Error(value),
        "d" => Cell::Date(value),
        "n" | "" if value.trim().is_empty() => return Ok(None),
        "n" | "" => Cell::Number(value),
        other => return Err(format!("`{other}` is not a cell type")),
    };
    Ok(Some(cell))
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// Styles: 0 plain, 1 bold (the header row), 2 a date shown `yyyy-mm-dd`.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

/// The significant digits a spreadsheet number cell holds exactly.
const EXACT_DIGITS: usize = 15;

/// Writes documents as a workbook of one worksheet: the header row bold and
/// frozen, text as inline strings, numbers as number cells when a
/// spreadsheet holds them exactly (else as text), dates as date cells.
pub fn write_xlsx(documents: &[Document], language: Language) -> Vec<u8> {
    let sheet = sheet(documents, language);
    let mut xml = String::with_capacity(512 * (sheet.rows.len() + 1));
    xml.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#);
    xml.push_str(
        "\n<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
    );
    xml.push_str(r#"<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#);
    xml.push_str(&format!(
        r#"<cols><col min="1" max="{}" width="18" customWidth="1"/></cols><sheetData>"#,
        sheet.columns.len().max(1)
    ));
    xml.push_str(r#"<row r="1">"#);
    for (i, column) in sheet.columns.iter().enumerate() {
        text_cell(&mut xml, i, 1, column.header(language), Some(1));
    }
    xml.push_str("</row>");
    for (r, values) in sheet.rows.iter().enumerate() {
        let line = r + 2;
        xml.push_str(&format!(r#"<row r="{line}">"#));
        for (i, value) in values.iter().enumerate() {
            match value {
                Value::Empty => {}
                Value::Text(t) => text_cell(&mut xml, i, line, t, None),
                Value::Number(n) => {
                    let digits = n.mantissa().unsigned_abs().to_string().len();
                    if digits <= EXACT_DIGITS {
                        xml.push_str(&format!(
                            r#"<c r="{}{line}"><v>{n}</v></c>"#,
                            column_letters(i)
                        ));
                    } else {
                        text_cell(&mut xml, i, line, &n.to_string(), None);
                    }
                }
                Value::Date(d) => xml.push_str(&format!(
                    r#"<c r="{}{line}" s="2"><v>{}</v></c>"#,
                    column_letters(i),
                    date_serial(*d)
                )),
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    let sheet_name = match language {
        Language::English => "documents",
        Language::Japanese => "伝票",
    };
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><bookViews><workbookView/></bookViews><sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let parts: [(&str, &str); 6] = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", &workbook),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/styles.xml", STYLES),
        ("xl/worksheets/sheet1.xml", &xml),
    ];
    zip_parts(&parts)
        .unwrap_or_else(|e| unreachable!("writing a zip archive into memory cannot fail: {e}"))
}

/// Packs parts into a zip archive.
pub(crate) fn zip_parts(parts: &[(&str, &str)]) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, content) in parts {
        zip.start_file(*name, options)?;
        zip.write_all(content.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

fn text_cell(xml: &mut String, column: usize, line: usize, text: &str, style: Option<u8>) {
    xml.push_str(&format!(r#"<c r="{}{line}""#, column_letters(column)));
    if let Some(s) = style {
        xml.push_str(&format!(r#" s="{s}""#));
    }
    xml.push_str(r#" t="inlineStr"><is><t xml:space="preserve">"#);
    escape(text, xml);
    xml.push_str("</t></is></c>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_escapes_round_trip() {
        for text in [
            "plain",
            "a\rb",
            "tab\there",
            "_x0041_ literal",
            "\u{1}ctl",
            "end_x",
            "_x12_",
        ] {
            let mut out = String::new();
            escape(text, &mut out);
            assert!(!out.contains('\r') && !out.contains('\u{1}'), "{out}");
            let xml = format!("<t>{out}</t>");
            let mut reader = Xml::new(xml.as_bytes(), "test");
            let mut text_out = String::new();
            loop {
                match reader.next().expect("xml") {
                    Event::Eof => break,
                    e => reader.text(&e, &mut text_out).expect("text"),
                }
            }
            assert_eq!(unescape_office(text_out), text, "{out}");
        }
    }

    #[test]
    fn references_and_paths() {
        assert_eq!(cell_reference("A1"), Some((0, 1)));
        assert_eq!(cell_reference("AB12"), Some((27, 12)));
        assert_eq!(cell_reference("XFD1048576"), Some((16_383, 1_048_576)));
        assert_eq!(cell_reference("XFE1"), None);
        assert_eq!(cell_reference("A0"), None);
        assert_eq!(cell_reference("a1"), None);
        assert_eq!(cell_reference("1"), None);
        assert_eq!(
            resolve("xl", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve("xl", "/xl/worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve("xl/sub", "../sharedStrings.xml"),
            "xl/sharedStrings.xml"
        );
        for (i, letters) in [(0, "A"), (25, "Z"), (26, "AA"), (16_383, "XFD")] {
            assert_eq!(column_letters(i), letters);
        }
    }
}
