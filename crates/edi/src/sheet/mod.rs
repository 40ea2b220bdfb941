//! A flat layout a small shop can fill in with a spreadsheet, as CSV and as
//! an .xlsx workbook, mapped to and from the canonical documents. (Being built.)
