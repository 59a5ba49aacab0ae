//! XLSX exports written with rust_xlsxwriter in constant-memory mode: each row is flushed to a
//! temporary file as it is written, so a sheet up to Excel's row limit needs little memory.

use crate::exchange::export::{Cell, Source, XLSX_MAX_ROWS};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use std::path::Path;

/// Why an XLSX could not be written.
#[derive(Debug, thiserror::Error)]
pub enum XlsxFailure {
    #[error("the export has {0} rows; an Excel sheet holds at most 1,048,575 rows below its header")]
    TooManyRows(u64),
    #[error("cannot read the rows: {0}")]
    Read(String),
    #[error("cannot write the XLSX file: {0}")]
    Write(#[from] XlsxError),
}

/// Writes every row of `source` to an XLSX file at `path`; `next` reads the next chunk.
/// Gives the number of data rows written.
pub fn write<F, P>(path: &Path, source: &mut Source, mut next: F, mut progress: P) -> Result<u64, XlsxFailure>
where
    F: FnMut(&mut Source) -> Result<Vec<Vec<Cell>>, String>,
    P: FnMut(u64),
{
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet_with_constant_memory();
    sheet.set_name(source.kind.as_str())?;
    // The header stays in view while scrolling (set before any row is flushed).
    sheet.set_freeze_panes(1, 0)?;
    for (col, name) in source.kind.columns().iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
        let _ = sheet.set_column_width(col as u16, if col < 2 { 14 } else { 18 });
    }
    let mut row: u32 = 0;
    loop {
        let chunk = next(source).map_err(XlsxFailure::Read)?;
        if chunk.is_empty() {
            break;
        }
        for cells in chunk {
            row += 1;
            if u64::from(row) >= XLSX_MAX_ROWS {
                return Err(XlsxFailure::TooManyRows(u64::from(row)));
            }
            for (col, cell) in cells.iter().enumerate() {
                let col = col as u16;
                match cell {
                    // A string cell is never run as a formula: no neutralizing needed here.
                    Cell::Text(t) => sheet.write_string(row, col, t.as_str())?,
                    Cell::Int(n) => sheet.write_number(row, col, *n as f64)?,
                    Cell::Date(d) => {
                        use chrono::Datelike;
                        let when = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                        sheet.write_date_with_format(row, col, &when, &date)?
                    }
                    Cell::Bool(b) => sheet.write_boolean(row, col, *b)?,
                    Cell::Empty => sheet,
                };
            }
        }
        progress(u64::from(row));
        if source.is_done() {
            break;
        }
    }
    // A filter button on every column of the header.
    let last_col = source.kind.columns().len().saturating_sub(1) as u16;
    sheet.autofilter(0, 0, row, last_col)?;
    workbook.save(path)?;
    Ok(u64::from(row))
}
