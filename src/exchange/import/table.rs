//! Reading an uploaded table before any row is looked at: the size and row limits, the encoding
//! (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252, which is what Excel writes in
//! Latin America), the separator (comma, semicolon or tab, read off the header line), CRLF and
//! quoted newlines (the csv crate), and the export's formula guard undone.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The largest file accepted.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// The most data rows accepted.
pub const MAX_ROWS: usize = 200_000;
/// The most columns accepted; the widest kind has 16.
pub const MAX_COLUMNS: usize = 200;

/// Why a file cannot be read at all; a translation key and its argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileError {
    pub key: String,
    pub arg: String,
}

impl FileError {
    pub fn new(key: &str, arg: impl ToString) -> FileError {
        FileError { key: key.to_string(), arg: arg.to_string() }
    }

    pub fn message(&self, lang: crate::domain::Lang) -> String {
        crate::i18n::tr_arg(lang, &self.key, &self.arg)
    }
}

/// A table read from a file: normalized column names and the records with their line numbers.
#[derive(Debug)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    /// "UTF-8", "UTF-16" or "Windows-1252".
    pub encoding: &'static str,
    pub delimiter: u8,
    /// The language whose way of writing numbers quantities are read in (`1.500` is fifteen
    /// hundred in Spanish, one and a half in English): the importing person's.
    pub numbers: crate::domain::Lang,
    /// Every cell's text, one after another: a file of 200,000 rows is a few allocations, not
    /// three per row.
    text: String,
    /// Where each cell ends in `text`; a row's cells are `ends[row.first..row.first + row.cells]`.
    ends: Vec<u32>,
}

/// One record; `line` is where it starts in the file (the header is line 1).
#[derive(Debug)]
pub struct Row {
    pub line: u64,
    first: u32,
    cells: u32,
}

impl Table {
    /// The index of a column, if the file has it.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// A cell as the person meant it: trimmed, with the export's formula guard removed.
    pub fn cell(&self, row: &Row, column: Option<usize>) -> &str {
        let Some(i) = column.filter(|i| *i < row.cells as usize) else { return "" };
        let at = row.first as usize + i;
        let start = if at == 0 { 0 } else { self.ends[at - 1] as usize };
        unguard(&self.text[start..self.ends[at] as usize])
    }
}

/// The text of a file as Unicode, and the encoding it was read in.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, &'static str) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        let (text, _) = encoding_rs::UTF_8.decode_without_bom_handling(rest);
        return (text, "UTF-8");
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let (text, _, _) = encoding_rs::UTF_16LE.decode(bytes);
        return (text, "UTF-16");
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), "UTF-8"),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text, "Windows-1252")
        }
    }
}

/// The separator the header line uses most: `;` (Spanish Excel), tab, or `,`.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let count = |c: char| header.matches(c).count();
    let (comma, semicolon, tab) = (count(','), count(';'), count('\t'));
    if semicolon > comma && semicolon >= tab {
        b';'
    } else if tab > comma && tab > semicolon {
        b'\t'
    } else {
        b','
    }
}

/// A column name as the importer knows it: `Delivered on` and `delivered_on` are the same.
fn column_name(raw: &str) -> String {
    unguard(raw).to_lowercase().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c }).collect()
}

/// Trims a cell and removes the apostrophe the export puts before text that a spreadsheet would
/// run as a formula, so an export re-imports unchanged.
pub fn unguard(raw: &str) -> &str {
    let trimmed = raw.trim_matches(|c: char| c == ' ' || c == '\u{a0}');
    match trimmed.strip_prefix('\'') {
        Some(rest) if crate::exchange::csv::needs_guard(rest) => rest,
        _ => trimmed.trim(),
    }
}

/// Line breaks in a stretch of text: `\n`, `\r\n`, or a lone `\r` (old Mac files).
fn line_breaks(bytes: &[u8]) -> u64 {
    let mut n = 0;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'\n' => n += 1,
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => n += 1,
            _ => {}
        }
    }
    n
}

/// Reads a whole file; `progress` hears the number of rows read so far every few thousand rows.
pub fn read(bytes: &[u8], progress: &mut dyn FnMut(usize)) -> Result<Table, FileError> {
    if bytes.len() > MAX_BYTES {
        return Err(FileError::new("import.err.too_large", bytes.len() / (1024 * 1024)));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(FileError::new("import.err.workbook", ""));
    }
    let (text, encoding) = decode(bytes);
    if text.trim().is_empty() {
        return Err(FileError::new("import.err.empty", ""));
    }
    let delimiter = delimiter(&text);
    // Counted on the raw first line before the header is parsed, so a header of a million
    // columns costs one pass over it and no more.
    let separators = text.lines().next().unwrap_or("").bytes().filter(|b| *b == delimiter).count();
    if separators >= MAX_COLUMNS {
        return Err(FileError::new("import.err.too_many_columns", separators + 1));
    }
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(true).flexible(true).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| FileError::new("import.err.malformed", e))?.clone();
    if header.len() > MAX_COLUMNS {
        return Err(FileError::new("import.err.too_many_columns", header.len()));
    }
    let columns: Vec<String> = header.iter().map(column_name).collect();
    let mut seen = std::collections::HashSet::new();
    if let Some(name) = columns.iter().find(|name| !name.is_empty() && !seen.insert(name.as_str())) {
        return Err(FileError::new("import.err.duplicate_column", name));
    }
    let mut rows = Vec::new();
    // The cells' text is never longer than the file.
    let mut cells = String::with_capacity(text.len());
    let mut ends: Vec<u32> = Vec::new();
    let mut record = csv::StringRecord::new();
    // Line numbers are counted here from each record's byte offset: the reader's own count
    // skips blank lines and knows only `\n`, and a person looks for the line their editor shows.
    let (mut counted_to, mut line) = (0usize, 1u64);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(FileError::new("import.err.malformed", format!("{line}: {e}")));
            }
        }
        // Spreadsheets leave rows of empty cells below the data.
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(FileError::new("import.err.too_many_rows", MAX_ROWS));
        }
        let mut offset = record.position().map(|p| p.byte() as usize).unwrap_or(counted_to).max(counted_to);
        // The position is taken before blank lines are skipped; a record never starts with one.
        while matches!(text.as_bytes().get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        line += line_breaks(text.as_bytes().get(counted_to..offset).unwrap_or_default());
        counted_to = offset;
        rows.push(Row { line, first: ends.len() as u32, cells: record.len() as u32 });
        for cell in record.iter() {
            cells.push_str(cell);
            ends.push(cells.len() as u32);
        }
        if rows.len() % 5000 == 0 {
            progress(rows.len());
        }
    }
    if rows.is_empty() {
        return Err(FileError::new("import.err.no_rows", ""));
    }
    progress(rows.len());
    cells.shrink_to_fit();
    ends.shrink_to_fit();
    Ok(Table { columns, rows, encoding, delimiter, numbers: crate::domain::Lang::En, text: cells, ends })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cells(table: &Table) -> Vec<Vec<String>> {
        table
            .rows
            .iter()
            .map(|r| (0..table.columns.len()).map(|i| table.cell(r, Some(i)).to_string()).collect())
            .collect()
    }

    #[test]
    fn reads_windows_1252_with_semicolons_and_crlf() {
        let bytes = b"code;name\r\nL1;Anzo\xe1tegui\r\n";
        let table = read(bytes, &mut |_| {}).expect("table");
        assert_eq!(table.encoding, "Windows-1252");
        assert_eq!(table.delimiter, b';');
        assert_eq!(cells(&table), vec![vec!["L1".to_string(), "Anzoátegui".to_string()]]);
    }

    #[test]
    fn reads_utf8_with_bom_quoted_newlines_and_line_numbers() {
        let bytes = "\u{feff}Code,Name\n\nA,\"two\nlines\"\nB,\"'=HYPERLINK(\"\"x\"\")\"\n,\n".as_bytes();
        let table = read(bytes, &mut |_| {}).expect("table");
        assert_eq!(table.columns, ["code", "name"]);
        assert_eq!(table.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 5]);
        assert_eq!(cells(&table)[0][1], "two\nlines");
        assert_eq!(cells(&table)[1][1], "=HYPERLINK(\"x\")");
    }

    #[test]
    fn refuses_what_cannot_be_a_table() {
        let key = |bytes: &[u8]| read(bytes, &mut |_| {}).expect_err("refused").key;
        assert_eq!(key(b""), "import.err.empty");
        assert_eq!(key(b"code,name\n"), "import.err.no_rows");
        assert_eq!(key(b"PK\x03\x04rest"), "import.err.workbook");
        assert_eq!(key(b"a,a\n1,2\n"), "import.err.duplicate_column");
        let many = format!("a\n{}", "1\n".repeat(MAX_ROWS + 1));
        assert_eq!(key(many.as_bytes()), "import.err.too_many_rows");
        assert_eq!(key(&vec![b'a'; MAX_BYTES + 1]), "import.err.too_large");
        let wide = |n: usize| format!("{}\n{}\n", vec!["c"; n].join(";"), vec!["1"; n].join(";"));
        assert_eq!(key(wide(MAX_COLUMNS + 1).as_bytes()), "import.err.too_many_columns");
        // Unique names, so only the count refuses them.
        let named = (0..MAX_COLUMNS).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
        assert!(read(format!("{named}\n1\n").as_bytes(), &mut |_| {}).is_ok(), "200 columns are fine");
    }

    #[test]
    fn the_guard_comes_off_only_before_a_formula() {
        assert_eq!(unguard("'=1+1"), "=1+1");
        assert_eq!(unguard(" '-5 "), "-5");
        assert_eq!(unguard("'quoted'"), "'quoted'");
        assert_eq!(unguard("  Caracas "), "Caracas");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any bytes at all: a table or a refusal, never a panic.
        #[test]
        fn any_bytes_give_a_table_or_a_refusal(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            if let Ok(table) = read(&bytes, &mut |_| {}) {
                prop_assert!(table.rows.len() <= MAX_ROWS);
                for row in &table.rows {
                    prop_assert!(row.line >= 2);
                }
            }
        }

        /// What the export writes (any text, either separator, with or without BOM) reads back
        /// as the same cells.
        #[test]
        fn exported_cells_read_back_unchanged(
            rows in proptest::collection::vec(proptest::collection::vec("[^\u{0}]{0,12}", 3), 1..20),
            semicolon in any::<bool>(),
            bom in any::<bool>(),
        ) {
            use crate::exchange::csv::{header, rows as csv_rows, Flavour};
            use crate::exchange::export::Cell;
            let flavour = Flavour { bom, delimiter: if semicolon { b';' } else { b',' } };
            // Rows of blank cells are skipped by design; keep one visible cell per row.
            let rows: Vec<Vec<String>> = rows
                .into_iter()
                .map(|mut r| { r[0] = format!("x{}", r[0].trim()); r })
                .map(|r| r.into_iter().map(|c| c.trim_matches(|ch: char| ch.is_whitespace()).to_string()).collect())
                .collect();
            let mut bytes = header(flavour, &["a", "b", "c"]).expect("header");
            let cells: Vec<Vec<Cell>> = rows.iter().map(|r| r.iter().map(|c| Cell::Text(c.clone())).collect()).collect();
            bytes.extend(csv_rows(flavour, &cells).expect("rows"));
            let table = read(&bytes, &mut |_| {}).expect("table");
            prop_assert_eq!(table.columns.clone(), vec!["a", "b", "c"]);
            prop_assert_eq!(cells_of(&table), rows);
        }
    }

    fn cells_of(table: &Table) -> Vec<Vec<String>> {
        cells(table)
    }
}
