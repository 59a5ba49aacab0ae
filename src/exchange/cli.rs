//! `campaign-tracker export KIND [filters] [--format csv|xlsx] [--output FILE]`: the same rows as
//! the page's download, to standard output (CSV) or a file, with progress on standard error.

use crate::db::DbConn;
use crate::domain::Lang;
use crate::exchange::csv::{self as csv_out, Flavour};
use crate::exchange::export::{Filter, Kind, Params, Source, XLSX_MAX_ROWS};
use crate::exchange::xlsx;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: String,
    pub params: Params,
    /// "csv" or "xlsx".
    pub format: String,
    pub output: Option<PathBuf>,
    /// The Excel flavour of CSV: a BOM, and `;` when `lang` is Spanish.
    pub excel: bool,
    pub lang: Lang,
}

/// A progress bar on standard error that appears only after a second of work.
struct Progress {
    bar: indicatif::ProgressBar,
    started: Instant,
    shown: bool,
}

impl Progress {
    fn new(total: u64) -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::hidden());
        bar.set_style(
            indicatif::ProgressStyle::with_template("export {bar:40} {pos}/{len} rows ({per_sec}, {eta} left)")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress { bar, started: Instant::now(), shown: false }
    }

    fn set(&mut self, done: u64) {
        if !self.shown && self.started.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_position(done);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Runs an export; gives a one-line summary for standard error, or a one-line error.
pub fn run(conn: &mut DbConn, request: Request) -> Result<String, String> {
    let kind = Kind::parse(&request.kind).ok_or_else(|| {
        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown export {:?}: use one of {}", request.kind, kinds.join(", "))
    })?;
    let xlsx_format = match request.format.as_str() {
        "csv" => false,
        "xlsx" => true,
        other => return Err(format!("unknown format {other:?}: use csv or xlsx")),
    };
    if xlsx_format && request.output.is_none() {
        return Err("an xlsx export needs --output FILE".into());
    }
    let filter = Filter::resolve(conn, kind, &request.params, None)
        .map_err(|e| e.to_string())?
        .map_err(|refusal| refusal.message(Lang::En))?;
    let mut source = Source::new(kind, filter, request.lang);
    let total = source.count(conn).map_err(|e| e.to_string())? as u64;
    let mut progress = Progress::new(total);
    if xlsx_format {
        if total + 1 > XLSX_MAX_ROWS {
            return Err(format!(
                "the export has {total} rows; an Excel sheet holds at most 1,048,575 rows below its header: narrow the filters or use --format csv"
            ));
        }
        let path = request.output.unwrap_or_default();
        let rows =
            xlsx::write(&path, &mut source, |s| s.next_chunk(conn).map_err(|e| e.to_string()), |n| progress.set(n))
                .map_err(|e| e.to_string())?;
        return Ok(format!("{rows} rows written to {}", path.display()));
    }
    let flavour = if request.excel { Flavour::excel(request.lang) } else { Flavour::PLAIN };
    let (mut out, target): (Box<dyn Write>, String) = match &request.output {
        Some(path) => (
            Box::new(std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?),
            path.display().to_string(),
        ),
        None => (Box::new(std::io::stdout().lock()), "standard output".into()),
    };
    let mut out = std::io::BufWriter::new(&mut out);
    let failed = |e: std::io::Error| format!("cannot write the export: {e}");
    out.write_all(&csv_out::header(flavour, kind.columns()).map_err(failed)?).map_err(failed)?;
    let mut rows = 0u64;
    while !source.is_done() {
        let chunk = source.next_chunk(conn).map_err(|e| e.to_string())?;
        rows += chunk.len() as u64;
        out.write_all(&csv_out::rows(flavour, &chunk).map_err(failed)?).map_err(failed)?;
        progress.set(rows);
    }
    out.flush().map_err(failed)?;
    Ok(format!("{rows} rows written to {target}"))
}
