//! What rows are checked against: the codes of materials, places, regions and location types,
//! read once per import; the period lock and today; the importing user's regions. And the
//! `Checker` that reads a row's cells and collects its problems by line and column.

use super::table::{FileError, Row, Table};
use super::{ImportKind, Problem, Report, MAX_PROBLEMS};
use crate::app::Access;
use crate::db::schema::{location_types, locations, materials, regions};
use crate::db::DbConn;
use crate::domain::{Invalid, PositiveQuantity, Quantity};
use crate::models::location::Location;
use crate::models::material::Material;
use chrono::NaiveDate;
use diesel::prelude::*;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

/// A region as rows name it.
#[derive(Debug, Clone)]
pub struct RegionRef {
    pub id: i32,
    pub is_abroad: bool,
}

/// A location type as rows name it.
#[derive(Debug, Clone)]
pub struct TypeRef {
    pub id: i32,
    pub code: String,
    pub is_depot: bool,
}

/// The reference data rows are checked against.
pub struct Catalogue {
    pub materials: HashMap<String, Material>,
    pub locations: HashMap<String, Location>,
    pub regions: HashMap<String, RegionRef>,
    pub types: HashMap<String, TypeRef>,
    pub type_codes: HashMap<i32, String>,
    pub lock_date: Option<NaiveDate>,
    pub today: NaiveDate,
    pub access: Access,
}

impl Catalogue {
    pub fn load(conn: &mut DbConn, access: Access) -> QueryResult<Catalogue> {
        let materials = materials::table
            .select(Material::as_select())
            .load::<Material>(conn)?
            .into_iter()
            .map(|m| (m.code.to_uppercase(), m))
            .collect();
        let locations = locations::table
            .select(Location::as_select())
            .load::<Location>(conn)?
            .into_iter()
            .map(|l| (l.code.to_uppercase(), l))
            .collect();
        let regions = regions::table
            .select((regions::id, regions::code, regions::is_abroad))
            .load::<(i32, String, bool)>(conn)?
            .into_iter()
            .map(|(id, code, is_abroad)| (code.to_uppercase(), RegionRef { id, is_abroad }))
            .collect();
        let type_rows = location_types::table
            .select((location_types::id, location_types::code, location_types::is_depot))
            .load::<(i32, String, bool)>(conn)?;
        let type_codes = type_rows.iter().map(|(id, code, _)| (*id, code.clone())).collect();
        let types = type_rows
            .into_iter()
            .map(|(id, code, is_depot)| (code.to_uppercase(), TypeRef { id, code, is_depot }))
            .collect();
        Ok(Catalogue {
            materials,
            locations,
            regions,
            types,
            type_codes,
            lock_date: crate::ledger::lock_date(conn)?,
            today: chrono::Utc::now().date_naive(),
            access,
        })
    }

    pub fn type_code(&self, location: &Location) -> &str {
        self.type_codes.get(&location.location_type_id).map(String::as_str).unwrap_or("")
    }
}

/// Reads the cells of one row and notes what is wrong with them.
pub struct Checker<'t> {
    pub table: &'t Table,
    columns: HashMap<&'static str, Option<usize>>,
    pub problems: Vec<Problem>,
    pub problem_count: usize,
    pub warnings: Vec<Problem>,
}

impl<'t> Checker<'t> {
    /// Refuses a file without the kind's required columns; `optional` are the others it reads.
    pub fn new(table: &'t Table, kind: ImportKind, optional: &[&'static str]) -> Result<Checker<'t>, FileError> {
        let mut missing = Vec::new();
        let mut columns = HashMap::new();
        for wanted in kind.required() {
            let mut found = false;
            for name in wanted.split('|') {
                let index = table.column(name);
                found |= index.is_some();
                columns.insert(name, index);
            }
            if !found {
                missing.push(wanted.replace('|', " / "));
            }
        }
        if !missing.is_empty() {
            return Err(FileError::new("import.err.missing_columns", missing.join(", ")));
        }
        for name in optional {
            columns.insert(*name, table.column(name));
        }
        Ok(Checker { table, columns, problems: Vec::new(), problem_count: 0, warnings: Vec::new() })
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.get(column).copied().flatten().is_some()
    }

    /// A cell, trimmed and unguarded; "" when the file has no such column.
    pub fn get(&self, row: &Row, column: &str) -> &'t str {
        self.table.cell(row, self.columns.get(column).copied().flatten())
    }

    pub fn problem(&mut self, row: &Row, column: &str, invalid: Invalid) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                line: row.line,
                column: column.to_string(),
                key: invalid.key.to_string(),
                arg: invalid.arg.unwrap_or_default(),
                args: Vec::new(),
            });
        }
    }

    /// Notes a quantity beyond its material's limit: the row is written only once confirmed.
    pub fn over_limit(&mut self, row: &Row, column: &str, material: &Material, quantity: i32) {
        let Some(limit) = material.limit().filter(|limit| quantity > *limit) else { return };
        if self.warnings.len() < MAX_PROBLEMS {
            let key =
                if material.quantity_limit.is_some() { "import.warn.over_limit" } else { "import.warn.over_print_run" };
            self.warnings.push(Problem {
                line: row.line,
                column: column.to_string(),
                key: key.to_string(),
                arg: String::new(),
                args: vec![
                    ("quantity".into(), quantity.to_string()),
                    ("material".into(), material.code.clone()),
                    ("limit".into(), limit.to_string()),
                ],
            });
        }
    }

    /// Notes a problem and gives None, or gives the value.
    pub fn check<T>(&mut self, row: &Row, column: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.problem(row, column, invalid);
                None
            }
        }
    }

    /// A required date, ISO 8601, not in the future and not in the closed period.
    pub fn date(&mut self, row: &Row, column: &str, catalogue: &Catalogue) -> Option<NaiveDate> {
        let raw = self.get(row, column);
        let parsed = parse_date(raw).and_then(|d| {
            if d > catalogue.today {
                return Err(Invalid::with("import.err.future_date", d));
            }
            match catalogue.lock_date {
                Some(lock) if d <= lock => Err(Invalid::with("err.period_closed", lock)),
                _ => Ok(d),
            }
        });
        self.check(row, column, parsed)
    }

    /// A whole number of zero or more.
    pub fn quantity(&mut self, row: &Row, column: &str) -> Option<i32> {
        let parsed = Quantity::parse(self.get(row, column), self.table.numbers);
        self.check(row, column, parsed.map(Quantity::get))
    }

    /// A whole number above zero: what the ledger moves.
    pub fn positive(&mut self, row: &Row, column: &str) -> Option<PositiveQuantity> {
        let parsed = Quantity::parse_positive(self.get(row, column), self.table.numbers);
        self.check(row, column, parsed)
    }

    pub fn material<'c>(&mut self, row: &Row, column: &str, catalogue: &'c Catalogue) -> Option<&'c Material> {
        let raw = self.get(row, column);
        let found = lookup(raw, &catalogue.materials, "import.err.unknown_material");
        self.check(row, column, found)
    }

    /// A place by code, inside the user's regions.
    pub fn location<'c>(&mut self, row: &Row, column: &str, catalogue: &'c Catalogue) -> Option<&'c Location> {
        let raw = self.get(row, column);
        let found = lookup(raw, &catalogue.locations, "import.err.unknown_location").and_then(|l| {
            if catalogue.access.covers(l.region_id) {
                Ok(l)
            } else {
                Err(Invalid::with("import.err.outside_regions", &l.code))
            }
        });
        self.check(row, column, found)
    }

    /// Text up to `max` characters; empty allowed.
    pub fn text(&mut self, row: &Row, column: &str, max: usize) -> Option<String> {
        let raw = self.get(row, column);
        let parsed = crate::domain::OptionalText::parse(raw, max).map(|t| t.into_inner());
        self.check(row, column, parsed)
    }

    /// The optional external reference: at most 100 characters, None when empty.
    pub fn external_ref(&mut self, row: &Row) -> Option<Option<String>> {
        self.text(row, "external_ref", 100).map(|t| Some(t).filter(|t| !t.is_empty()))
    }

    /// What the checks found, with the effects the kind computed.
    pub fn report(self, effects: Vec<(String, usize)>, skipped: usize) -> Report {
        Report {
            rows: self.table.rows.len(),
            encoding: self.table.encoding.to_string(),
            delimiter: match self.table.delimiter {
                b';' => ";".into(),
                b'\t' => "tab".into(),
                _ => ",".into(),
            },
            effects,
            skipped,
            problems: self.problems,
            problem_count: self.problem_count,
            file_error: None,
            warnings: self.warnings,
        }
    }
}

/// The external references of a file's rows: a reference met twice in the file is a problem, a
/// row whose reference is already recorded is left out and counted, so a changed file can be
/// imported again.
pub struct ExternalRefs {
    recorded: HashSet<String>,
    seen: HashSet<String>,
    pub skipped: usize,
}

impl ExternalRefs {
    pub fn new(recorded: HashSet<String>) -> Self {
        ExternalRefs { recorded, seen: HashSet::new(), skipped: 0 }
    }

    /// The row's external reference as `Checker::external_ref` reads it, or `Break` when the row
    /// is to be left out.
    pub fn check(&mut self, c: &mut Checker, row: &Row) -> ControlFlow<(), Option<Option<String>>> {
        let external_ref = c.external_ref(row);
        if let Some(Some(r)) = &external_ref {
            if !self.seen.insert(r.clone()) {
                c.problem(row, "external_ref", Invalid::with("import.err.duplicate_in_file", r));
                return ControlFlow::Break(());
            }
            if self.recorded.contains(r) {
                self.skipped += 1;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(external_ref)
    }
}

/// A code looked up without regard to case; empty is "required".
pub fn lookup<'c, T>(raw: &str, map: &'c HashMap<String, T>, unknown: &'static str) -> Result<&'c T, Invalid> {
    if raw.is_empty() {
        return Err(Invalid::new("err.required"));
    }
    map.get(&raw.to_uppercase()).ok_or_else(|| Invalid::with(unknown, raw))
}

/// An ISO 8601 date (a spreadsheet's `2005-03-01 00:00:00` too).
pub fn parse_date(raw: &str) -> Result<NaiveDate, Invalid> {
    if raw.is_empty() {
        return Err(Invalid::new("err.required"));
    }
    let day = raw.split([' ', 'T']).next().unwrap_or(raw);
    NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| Invalid::with("import.err.date", raw))
}

/// A yes/no cell: true/false, yes/no, sí/no, 1/0; empty gives `default`.
pub fn parse_bool(raw: &str, default: bool) -> Result<bool, Invalid> {
    match raw.to_lowercase().as_str() {
        "" => Ok(default),
        "true" | "yes" | "y" | "1" | "sí" | "si" | "verdadero" => Ok(true),
        "false" | "no" | "n" | "0" | "falso" => Ok(false),
        _ => Err(Invalid::with("import.err.yes_no", raw)),
    }
}
