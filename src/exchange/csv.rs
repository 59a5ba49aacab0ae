//! CSV encoding of export rows: RFC 4180 through the csv crate, UTF-8, ISO 8601 dates, and text
//! that a spreadsheet would run as a formula neutralized with a leading apostrophe (OWASP).

use crate::exchange::export::Cell;

/// How a CSV is written: plain (comma, no BOM) or for Excel (BOM, `;` for Spanish Excel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flavour {
    pub bom: bool,
    pub delimiter: u8,
}

impl Flavour {
    pub const PLAIN: Flavour = Flavour { bom: false, delimiter: b',' };

    /// The Excel flavour for an interface language: Spanish Excel expects `;`.
    pub fn excel(lang: crate::domain::Lang) -> Flavour {
        Flavour { bom: true, delimiter: if lang == crate::domain::Lang::Es { b';' } else { b',' } }
    }
}

/// Whether a spreadsheet would read the text as a formula (or one hides behind an apostrophe
/// that the importer would take for the guard).
pub fn needs_guard(text: &str) -> bool {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => true,
        Some('\'') => needs_guard(&text[1..]),
        _ => false,
    }
}

/// Text a spreadsheet would read as a formula gets a leading apostrophe, which the importer
/// removes again (`import::table::unguard`).
pub fn neutralize(text: &str) -> std::borrow::Cow<'_, str> {
    if needs_guard(text) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// A cell as CSV text; numbers stay numbers.
pub fn cell_text(cell: &Cell) -> std::borrow::Cow<'_, str> {
    match cell {
        Cell::Text(t) => neutralize(t),
        Cell::Int(n) => n.to_string().into(),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string().into(),
        Cell::Bool(b) => (if *b { "true" } else { "false" }).into(),
        Cell::Empty => "".into(),
    }
}

fn writer(flavour: Flavour) -> ::csv::Writer<Vec<u8>> {
    ::csv::WriterBuilder::new().delimiter(flavour.delimiter).terminator(::csv::Terminator::CRLF).from_writer(Vec::new())
}

fn finish(w: ::csv::Writer<Vec<u8>>) -> std::io::Result<Vec<u8>> {
    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

/// The first bytes of the file: the BOM when asked for, then the header row.
pub fn header(flavour: Flavour, columns: &[&str]) -> std::io::Result<Vec<u8>> {
    let mut w = writer(flavour);
    w.write_record(columns.iter().map(|c| neutralize(c).into_owned()))?;
    let mut bytes = if flavour.bom { vec![0xEF, 0xBB, 0xBF] } else { Vec::new() };
    bytes.extend(finish(w)?);
    Ok(bytes)
}

/// A chunk of rows as CSV bytes.
pub fn rows(flavour: Flavour, rows: &[Vec<Cell>]) -> std::io::Result<Vec<u8>> {
    let mut w = writer(flavour);
    for row in rows {
        w.write_record(row.iter().map(|c| cell_text(c).into_owned()))?;
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized_and_numbers_are_not() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralize(bad), format!("'{bad}"));
        }
        assert_eq!(neutralize("Caracas"), "Caracas");
        assert_eq!(cell_text(&Cell::Int(-5)), "-5");
    }

    #[test]
    fn excel_flavour_has_a_bom_and_a_spanish_separator() {
        let bytes = header(Flavour::excel(crate::domain::Lang::Es), &["a", "b"]).expect("header");
        assert_eq!(bytes, b"\xEF\xBB\xBFa;b\r\n");
        let bytes = rows(Flavour::PLAIN, &[vec![Cell::Text("x, y".into()), Cell::Int(3)]]).expect("rows");
        assert_eq!(bytes, b"\"x, y\",3\r\n");
    }
}
