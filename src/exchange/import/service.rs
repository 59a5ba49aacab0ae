//! Upload → preview → commit, for the page and the command line alike.
//!
//! `upload` reads and checks the file without writing anything but the upload itself (which
//! waits in `imports` for the confirmation); `commit` checks it again against the database as it
//! is now, outside any transaction, then writes the whole plan in one write transaction, so the
//! write lock is held only for the writing. How long that took is kept with the import.
//! A file is read with no database connection held; the checks take one only for each query.

use super::check::Catalogue;
use super::table::{self, FileError};
use super::{airings, distributions, locations, receipts, targets, ImportError, ImportKind, Report};
use crate::app::Access;
use crate::db::{Connections, DbConn};
use crate::domain::Invalid;
use crate::models::audit::{Actor, AuditEntry};
use crate::models::import::{ImportRecord, NewImport};
use sha2::{Digest, Sha256};
use std::time::Instant;

/// What a checked file would write.
pub enum Plan {
    Locations(locations::Plan),
    Receipts(receipts::Plan),
    Distributions(distributions::Plan),
    Airings(airings::Plan),
    Targets(targets::Plan),
}

/// Which phase an import is in, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Reading,
    Writing,
}

/// Reads and checks a file; nothing is written.
pub fn check(
    db: &mut impl Connections<ImportError>,
    kind: ImportKind,
    bytes: &[u8],
    options: super::Options,
    access: &Access,
    progress: &mut dyn FnMut(Phase, usize),
) -> Result<(Option<Plan>, Report), ImportError> {
    let mut table = match table::read(bytes, &mut |n| progress(Phase::Reading, n)) {
        Ok(table) => table,
        Err(e) => return Ok((None, Report::refused(e))),
    };
    table.numbers = options.numbers;
    let catalogue = db.with(|conn| Ok(Catalogue::load(conn, access.clone())?))?;
    let (plan, report) = match kind {
        ImportKind::Locations => {
            let (p, r) = locations::check(&table, &catalogue)?;
            (Plan::Locations(p), r)
        }
        ImportKind::Receipts => {
            let (p, r) = receipts::check(db, &table, &catalogue)?;
            (Plan::Receipts(p), r)
        }
        ImportKind::Distributions => {
            let (p, r) = distributions::check(db, &table, &catalogue, options)?;
            (Plan::Distributions(p), r)
        }
        ImportKind::Airings => {
            let (p, r) = airings::check(db, &table, &catalogue)?;
            (Plan::Airings(p), r)
        }
        ImportKind::Targets => {
            let (p, r) = targets::check(db, &table, &catalogue)?;
            (Plan::Targets(p), r)
        }
    };
    Ok((Some(plan), report))
}

pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The refusal for a file that already committed once.
fn already_imported(record: &ImportRecord) -> FileError {
    FileError::new("import.err.already_imported", format!("#{} ({})", record.id, record.uploaded_at.format("%Y-%m-%d")))
}

/// An upload's outcome: stored for confirmation, or refused whole (nothing stored).
pub enum Uploaded {
    Stored { id: i32, report: Report },
    Refused(Report),
}

/// Checks an upload and keeps it for confirmation, unless the file is refused whole.
pub fn upload(
    db: &mut impl Connections<ImportError>,
    kind: ImportKind,
    file_name: &str,
    bytes: Vec<u8>,
    options: super::Options,
    access: &Access,
    progress: &mut dyn FnMut(Phase, usize),
) -> Result<Uploaded, ImportError> {
    let hash = content_hash(&bytes);
    if let Some(done) = db.with(|conn| Ok(ImportRecord::committed_with(conn, kind.as_str(), &hash)?))? {
        return Ok(Uploaded::Refused(Report::refused(already_imported(&done))));
    }
    let (_, report) = check(db, kind, &bytes, options, access, progress)?;
    if report.file_error.is_some() {
        return Ok(Uploaded::Refused(report));
    }
    let json = serde_json::to_string(&report)?;
    let name: String = file_name.chars().filter(|c| !c.is_control()).take(200).collect();
    // Moved, not copied: eight large uploads at once would otherwise hold each file twice.
    let (content, origin_id, rows, uploaded_by, numbers) =
        (bytes, options.origin_id, report.rows as i32, access.user_id, options.numbers);
    let id = db.write(move |conn| {
        let new = NewImport {
            kind: kind.as_str(),
            file_name: &name,
            content_hash: &hash,
            content: &content,
            origin_id,
            rows,
            report: &json,
            uploaded_by,
            numbers,
        };
        Ok(ImportRecord::insert(conn, &new)?)
    })?;
    Ok(Uploaded::Stored { id, report })
}

/// The report stored with an import.
pub fn stored_report(record: &ImportRecord) -> Report {
    serde_json::from_str(&record.report).unwrap_or_default()
}

/// A confirmation's outcome.
pub enum Committed {
    /// Written; the write lock was held this many milliseconds.
    Done { lock_ms: u128, report: Report },
    /// The file no longer passes its checks (someone changed the data meanwhile): nothing was
    /// written, and the new report is stored with the import.
    Problems(Report),
}

/// Checks a stored import again and writes it, all rows or none. A file that no longer passes
/// its checks writes nothing and leaves the stored preview as it was.
/// Rows beyond their material's limit are written only when `answers` confirms them, as a
/// form's `confirm=over_limit` does.
pub fn commit(
    db: &mut impl Connections<ImportError>,
    id: i32,
    actor: &Actor,
    access: &Access,
    answers: crate::domain::Answers,
    progress: &mut dyn FnMut(Phase, usize),
) -> Result<Committed, ImportError> {
    let record = db.with(|conn| ImportRecord::find(conn, id)?.ok_or(ImportError::NotFound))?;
    let kind = ImportKind::parse(&record.kind).ok_or(ImportError::NotFound)?;
    match record.status.as_str() {
        "pending" => {}
        "committed" => return Err(ImportError::Refused(Invalid::new("import.err.committed"))),
        _ => return Err(ImportError::Refused(Invalid::new("import.err.discarded"))),
    }
    if let Some(done) = db.with(|conn| Ok(ImportRecord::committed_with(conn, kind.as_str(), &record.content_hash)?))? {
        let report = Report::refused(already_imported(&done));
        return Ok(Committed::Problems(report));
    }
    let bytes = db.with(|conn| Ok(ImportRecord::content(conn, id)?))?;
    let numbers = crate::domain::Lang::parse(&record.numbers).unwrap_or_default();
    let options = super::Options { origin_id: record.origin_id, numbers };
    let (plan, report) = check(db, kind, &bytes, options, access, progress)?;
    drop(bytes);
    let plan = match plan {
        Some(plan) if report.is_clean() => plan,
        _ => return Ok(Committed::Problems(report)),
    };
    if !report.warnings.is_empty() && !answers.over_limit {
        return Err(ImportError::Refused(Invalid::new("import.err.confirm_over_limit")));
    }
    let committed = match db.writer() {
        // In the server: one command that holds the writer while it writes; other writes wait.
        Some(writer) => {
            let (record, report, actor, access) = (record.clone(), report.clone(), actor.clone(), access.clone());
            writer.run_blocking(move |conn| {
                write(conn, &record, kind, &plan, &report, &actor, &access, &mut |_: Phase, _: usize| {})
            })?
        }
        None => db.with(|conn| write(conn, &record, kind, &plan, &report, actor, access, progress))?,
    };
    // Statistics after a large load, outside the write transaction (ANALYZE of the tables the
    // rows went to takes seconds at a million rows; below that the planner's estimate holds).
    if report.rows >= ANALYZE_AFTER_ROWS {
        db.with(|conn| Ok(crate::db::analyze_after_bulk_load(conn)?))?;
    }
    Ok(committed)
}

/// Imports of at least this many rows refresh the planner's statistics on PostgreSQL.
const ANALYZE_AFTER_ROWS: usize = 10_000;

/// Writes a checked plan in one write transaction, and keeps how long the lock was held.
#[allow(clippy::too_many_arguments)]
fn write(
    conn: &mut DbConn,
    record: &ImportRecord,
    kind: ImportKind,
    plan: &Plan,
    report: &Report,
    actor: &Actor,
    access: &Access,
    progress: &mut dyn FnMut(Phase, usize),
) -> Result<Committed, ImportError> {
    let id = record.id;
    // A large commit touches more index pages than SQLite's default 2 MB page cache holds; once
    // they spill, each change rewrites pages into the WAL again and the commit grows faster than
    // the file. A larger cache for this one transaction keeps it linear (given back after).
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    if sqlite {
        diesel::connection::SimpleConnection::batch_execute(conn, "PRAGMA cache_size = -262144")?;
    }
    let started = Instant::now();
    let written = conn.write_transaction(|conn| {
        let marked = ImportRecord::mark_committed(conn, record, access.user_id).map_err(|e| {
            if crate::models::is_unique_violation(&e) {
                ImportError::Refused(Invalid::new("import.err.committed"))
            } else {
                ImportError::Database(e)
            }
        })?;
        if marked == 0 {
            return Err(ImportError::Refused(Invalid::new("import.err.committed")));
        }
        let mut written = |n: usize| progress(Phase::Writing, n);
        let user = access.user_id;
        let n = match plan {
            Plan::Locations(p) => locations::write(conn, p, actor, &mut written)?,
            Plan::Receipts(p) => receipts::write(conn, p, user, &mut written)?,
            Plan::Distributions(p) => distributions::write(conn, p, id, user, &mut written)?,
            Plan::Airings(p) => airings::write(conn, p, user, &mut written)?,
            Plan::Targets(p) => targets::write(conn, p, user, &mut written)?,
        };
        let summary = format!("{} from {}: {} rows, {} written", kind.as_str(), record.file_name, report.rows, n);
        AuditEntry::record(conn, actor, "import", "import", id, &summary)?;
        Ok::<_, ImportError>(n)
    });
    let lock_ms = started.elapsed().as_millis();
    if sqlite {
        diesel::connection::SimpleConnection::batch_execute(conn, "PRAGMA cache_size = -2000")?;
    }
    let written = written?;
    ImportRecord::set_lock_ms(conn, id, i32::try_from(lock_ms).unwrap_or(i32::MAX))?;
    log::info!("import #{id} ({}) committed: {written} records, write lock held {lock_ms} ms", kind.as_str());
    Ok(Committed::Done { lock_ms, report: report.clone() })
}
