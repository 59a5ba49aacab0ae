//! Imports: a file is read (`table`), every row checked against the database without writing
//! (`check` and one module per kind), and the person sees what would happen (`Report`). Only on
//! confirmation is the plan written, all rows or none, in one write transaction through the
//! ledger (`commit`). The upload waits in the `imports` table in between, so any instance can
//! take the confirmation, and a file that committed once is refused a second time.
//!
//! - `table`          limits, encodings, separators, the formula guard
//! - `check`          what every kind's rows are checked against (codes, dates, regions)
//! - `locations`, `receipts`, `distributions`, `airings`, `targets`: one kind each
//! - `service`        upload → preview → commit, shared by the page and the command line
//! - `cli`            `campaign-tracker import KIND FILE` (the page is `web::imports`)
//! - `worker`         the one thread that checks files, so their memory is reused

pub mod airings;
pub mod check;
pub mod cli;
pub mod distributions;
pub mod locations;
pub mod receipts;
pub mod service;
pub mod table;
pub mod targets;
pub mod worker;

use crate::domain::{Lang, Permission};
use crate::domain::{LocationId, MaterialId};
use serde::{Deserialize, Serialize};

/// How a file is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Distributions: one origin depot for every row (the file's `origin_code` column is then
    /// ignored).
    pub origin_id: Option<LocationId>,
    /// The language whose way of writing numbers quantities are read in: the importing person's.
    pub numbers: Lang,
}

/// What can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Locations,
    Receipts,
    Distributions,
    Airings,
    Targets,
}

impl ImportKind {
    /// In the order a new deployment loads them: places, stock in, stock out, spots, the plan.
    pub const ALL: [ImportKind; 5] = [
        ImportKind::Locations,
        ImportKind::Receipts,
        ImportKind::Distributions,
        ImportKind::Airings,
        ImportKind::Targets,
    ];

    pub fn parse(raw: &str) -> Option<ImportKind> {
        ImportKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Locations => "locations",
            ImportKind::Receipts => "receipts",
            ImportKind::Distributions => "distributions",
            ImportKind::Airings => "airings",
            ImportKind::Targets => "targets",
        }
    }

    /// Who may import it: the same permission as recording it by hand.
    pub fn permission(self) -> Permission {
        match self {
            ImportKind::Locations => Permission::ManageReference,
            ImportKind::Targets => Permission::ManageTargets,
            ImportKind::Receipts | ImportKind::Distributions | ImportKind::Airings => Permission::RecordStock,
        }
    }

    /// Columns a file must have (alternatives joined by `|`: one of them).
    pub fn required(self) -> &'static [&'static str] {
        match self {
            ImportKind::Locations => &["code", "name", "location_type", "region_code", "city", "country"],
            ImportKind::Receipts => &["received_on", "material_code", "location_code", "quantity"],
            ImportKind::Distributions => &["delivered_on", "material_code", "quantity", "location_code|location_name"],
            ImportKind::Airings => &["aired_on", "material_code", "location_code"],
            ImportKind::Targets => &["material_code", "region_code", "location_type", "quantity"],
        }
    }

    /// The template's columns: the export's, so that an export re-imports.
    pub fn template_columns(self) -> Vec<&'static str> {
        match crate::exchange::export::Kind::parse(self.as_str()) {
            Some(kind) => kind.columns().to_vec(),
            None => self.required().iter().flat_map(|c| c.split('|')).collect(),
        }
    }
}

/// One thing wrong with one row (or to confirm about it): where (line and column) and what, as
/// a translation key with its argument, or its named arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub line: u64,
    pub column: String,
    pub key: String,
    pub arg: String,
    #[serde(default)]
    pub args: Vec<(String, String)>,
}

impl Problem {
    pub fn message(&self, lang: Lang) -> String {
        if self.args.is_empty() {
            crate::i18n::tr_arg(lang, &self.key, &self.arg)
        } else {
            let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            crate::i18n::tr_args(lang, &self.key, &args)
        }
    }
}

/// The most problems a report keeps (the count keeps going).
pub const MAX_PROBLEMS: usize = 500;

/// What an import would do (or did): shown on the preview and printed by the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub rows: usize,
    pub encoding: String,
    pub delimiter: String,
    /// (translation key, count): "12 shipments", "30 delivered lines", "4 locations updated".
    pub effects: Vec<(String, usize)>,
    /// Rows already recorded (same external reference or unchanged): nothing to do.
    pub skipped: usize,
    pub problems: Vec<Problem>,
    pub problem_count: usize,
    /// A refusal of the whole file (limits, columns, already imported).
    pub file_error: Option<table::FileError>,
    /// Rows to confirm before they are written: quantities beyond their material's limit, the
    /// question a form asks (`confirm=over_limit`).
    #[serde(default)]
    pub warnings: Vec<Problem>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.problem_count == 0 && self.file_error.is_none()
    }

    pub fn refused(error: table::FileError) -> Report {
        Report { file_error: Some(error), ..Report::default() }
    }

    /// Every line as plain text in a language, for the command line.
    pub fn lines(&self, lang: Lang) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(e) = &self.file_error {
            out.push(e.message(lang));
            return out;
        }
        out.push(crate::i18n::tr_arg(lang, "import.rows_read", &self.rows.to_string()));
        for (key, n) in &self.effects {
            out.push(format!("  {}", crate::i18n::tr_arg(lang, key, &n.to_string())));
        }
        if self.skipped > 0 {
            out.push(format!("  {}", crate::i18n::tr_arg(lang, "import.skipped", &self.skipped.to_string())));
        }
        for p in &self.problems {
            out.push(format!("line {}, {}: {}", p.line, p.column, p.message(lang)));
        }
        for w in &self.warnings {
            out.push(format!("line {}, {}: {}", w.line, w.column, w.message(lang)));
        }
        if self.problem_count > self.problems.len() {
            out.push(crate::i18n::tr_arg(
                lang,
                "import.more_problems",
                &(self.problem_count - self.problems.len()).to_string(),
            ));
        }
        out
    }
}

/// Why an import could not be checked, kept or written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("database pool error: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// The writer's queue was full, or the writer stopped.
    #[error("{0}")]
    Writer(#[from] crate::db::writer::WriterError),
    /// No such import, or one of a kind this program does not know.
    #[error("not found")]
    NotFound,
    /// The import may not be written (already committed, discarded, a ledger rule); the key is
    /// shown to the person.
    #[error("refused: {}", .0.key)]
    Refused(crate::domain::Invalid),
    /// Not enough of a material at a place when the rows were written; nothing was written.
    #[error("only {available} left of material {material_id} at location {location_id}")]
    Short { material_id: MaterialId, location_id: LocationId, available: i32 },
    #[error(transparent)]
    Ids(#[from] crate::db::bulk::ReserveError),
    /// The report could not be kept with the upload.
    #[error("{0}")]
    Report(#[from] serde_json::Error),
}

impl From<crate::ledger::LedgerError> for ImportError {
    fn from(e: crate::ledger::LedgerError) -> Self {
        use crate::ledger::Refusal;
        match e.refusal() {
            Ok(Refusal::Short { material_id, location_id, available }) => {
                ImportError::Short { material_id, location_id, available }
            }
            Ok(Refusal::Rule(invalid)) => ImportError::Refused(invalid),
            Err(e) => ImportError::Database(e),
        }
    }
}
