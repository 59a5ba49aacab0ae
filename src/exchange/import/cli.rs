//! `campaign-tracker import KIND FILE [--dry-run] [--origin DEPOT]`: the page's preview and
//! commit from the command line, with a progress bar on standard error for large files.

use super::service::{self, Committed, Phase, Uploaded};
use super::table::MAX_BYTES;
use super::{ImportError, ImportKind, Options};
use crate::app::Access;
use crate::db::schema::locations;
use crate::db::DbConn;
use crate::domain::Lang;
use crate::models::audit::Actor;
use diesel::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: String,
    pub file: PathBuf,
    pub dry_run: bool,
    /// Distributions: one origin depot (code) for every row.
    pub origin: Option<String>,
    /// The language quantities with separators are read in (`--lang`).
    pub lang: crate::domain::Lang,
    /// Questions answered up front (`--confirm over_limit`), as the page's boxes.
    pub answers: crate::domain::Answers,
}

/// A progress bar on standard error that appears only after a second of work.
struct Progress {
    bar: indicatif::ProgressBar,
    started: Instant,
    phase: Option<Phase>,
    done: u64,
}

impl Progress {
    fn new() -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
        Progress { bar, started: Instant::now(), phase: None, done: 0 }
    }

    fn update(&mut self, phase: Phase, n: usize) {
        if self.phase != Some(phase) {
            self.phase = Some(phase);
            self.done = 0;
            let template = match phase {
                Phase::Reading => "import: reading {pos} rows ({per_sec})",
                Phase::Writing => "import: writing {pos} records ({per_sec})",
            };
            self.bar.set_style(
                indicatif::ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
        }
        // Reading reports a running total; writing reports each batch.
        self.done = match phase {
            Phase::Reading => n as u64,
            Phase::Writing => self.done + n as u64,
        };
        if self.started.elapsed() > Duration::from_secs(1) && self.bar.is_hidden() {
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        self.bar.set_position(self.done);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Runs an import; gives the report's lines for standard error, or an error (also as lines).
pub fn run(conn: &mut DbConn, request: Request) -> Result<Vec<String>, Vec<String>> {
    let lang = Lang::En;
    let kind = ImportKind::parse(&request.kind).ok_or_else(|| {
        let kinds: Vec<&str> = ImportKind::ALL.iter().map(|k| k.as_str()).collect();
        vec![format!("unknown import {:?}: use {}", request.kind, kinds.join(", "))]
    })?;
    let size = std::fs::metadata(&request.file)
        .map_err(|e| vec![format!("cannot read {}: {e}", request.file.display())])?
        .len();
    if size > MAX_BYTES as u64 {
        return Err(vec![format!(
            "{} is {} MB; an import takes at most 20 MB: split the file",
            request.file.display(),
            size / (1024 * 1024)
        )]);
    }
    let bytes =
        std::fs::read(&request.file).map_err(|e| vec![format!("cannot read {}: {e}", request.file.display())])?;
    let origin_id = match &request.origin {
        None => None,
        Some(code) => Some(
            locations::table
                .filter(locations::code.eq(code.trim()))
                .filter(locations::is_depot.eq(true))
                .select(locations::id)
                .first::<crate::domain::LocationId>(conn)
                .optional()
                .map_err(|e| vec![e.to_string()])?
                .ok_or_else(|| vec![format!("--origin {code:?} is not a depot's code")])?,
        ),
    };
    if origin_id.is_some() && kind != ImportKind::Distributions {
        return Err(vec!["--origin applies to distributions only".into()]);
    }
    let options = Options { origin_id, numbers: request.lang };
    let access = Access::everywhere(None);
    let mut progress = Progress::new();
    let mut on_progress = |phase: Phase, n: usize| progress.update(phase, n);
    let fail = |e: ImportError| vec![e.to_string()];
    if request.dry_run {
        let (_, report) = service::check(conn, kind, &bytes, options, &access, &mut on_progress).map_err(fail)?;
        drop(progress);
        let mut lines = report.lines(lang);
        if report.is_clean() {
            lines.push("dry run: nothing was written".into());
            return Ok(lines);
        }
        return Err(lines);
    }
    let file_name = request.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let id = match service::upload(conn, kind, &file_name, bytes, options, &access, &mut on_progress).map_err(fail)? {
        Uploaded::Refused(report) => return Err(report.lines(lang)),
        Uploaded::Stored { id, report } if !report.is_clean() => {
            let mut lines = report.lines(lang);
            lines.push(format!("import #{id} kept for review; nothing was written"));
            return Err(lines);
        }
        Uploaded::Stored { id, report } if !report.warnings.is_empty() && !request.answers.over_limit => {
            let mut lines = report.lines(lang);
            lines.push(format!(
                "import #{id} kept for review; nothing was written: check the rows above, then run again with --confirm over_limit"
            ));
            return Err(lines);
        }
        Uploaded::Stored { id, .. } => id,
    };
    let outcome =
        service::commit(conn, id, &Actor::cli(), &access, request.answers, &mut on_progress).map_err(|e| match e {
            ImportError::Refused(invalid) => vec![crate::i18n::invalid(lang, &invalid)],
            other => vec![other.to_string()],
        })?;
    drop(progress);
    match outcome {
        Committed::Done { lock_ms, report } => {
            let mut lines = report.lines(lang);
            lines.push(format!("import #{id} committed; the write lock was held {lock_ms} ms"));
            Ok(lines)
        }
        Committed::Problems(report) => Err(report.lines(lang)),
    }
}
