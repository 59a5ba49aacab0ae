//! The import pages: the upload form with its templates and recent imports, one import's
//! preview or result, and the page that says to wait for a turn.

use crate::domain::Invalid;
use crate::exchange::import::{ImportKind, Report};
use crate::i18n::{number, tr_arg};
use crate::models::import::ImportRecord;
use crate::models::location::Location;
use crate::views::components::{csrf, heading};
use crate::views::layout::page;
use crate::views::page::PageContext;
use maud::{html, Markup};

/// What the upload form shows.
pub struct ImportForm {
    pub kinds: Vec<ImportKind>,
    pub depots: Vec<Location>,
    pub recent: Vec<(ImportRecord, Option<String>)>,
}

fn kind_name(ctx: &PageContext, kind: ImportKind) -> String {
    ctx.t(&format!("import.kind.{}", kind.as_str()))
}

pub fn index(ctx: &PageContext, data: &ImportForm, refusal: Option<&Report>, chosen: Option<ImportKind>) -> Markup {
    let title = ctx.t("import.title");
    let body = html! {
        (heading(&title, None))
        p { (ctx.t("import.intro")) }
        @if let Some(report) = refusal {
            div.form-error role="alert" {
                h2 { (ctx.t("import.refused")) }
                @if let Some(e) = &report.file_error { p { (e.message(ctx.lang)) } }
            }
        }
        form.stacked method="post" action="/imports" enctype="multipart/form-data" data-busy="" {
            (csrf(ctx))
            div.field {
                label for="kind" { (ctx.t("import.kind")) }
                select #kind name="kind" {
                    @for kind in &data.kinds {
                        option value=(kind.as_str()) selected[chosen == Some(*kind)] { (kind_name(ctx, *kind)) }
                    }
                }
            }
            div.field {
                label for="file" { (ctx.t("import.file")) }
                p.hint #file-hint { (ctx.t("import.file_hint")) }
                input #file type="file" name="file" accept=".csv,.txt,text/csv" required aria-describedby="file-hint";
            }
            @if data.kinds.contains(&ImportKind::Distributions) {
                div.field {
                    label for="origin" { (ctx.t("import.origin")) }
                    p.hint #origin-hint { (ctx.t("import.origin_hint")) }
                    select #origin name="origin" aria-describedby="origin-hint" {
                        option value="" { (ctx.t("import.origin_from_file")) }
                        @for depot in &data.depots {
                            option value=(depot.id) { (depot.name) " (" (depot.code) ")" }
                        }
                    }
                }
            }
            button type="submit" { (ctx.t("import.check")) }
            p.busy role="status" hidden { progress {} " " (ctx.t("import.checking")) }
        }
        h2 { (ctx.t("import.templates")) }
        p { (ctx.t("import.templates_hint")) }
        ul.templates {
            @for kind in &data.kinds {
                li {
                    a href=(format!("/imports/templates/{}.csv", kind.as_str())) download {
                        (kind_name(ctx, *kind)) " (" (kind.as_str()) ".csv)"
                    }
                    " — " (ctx.t("import.required_columns")) " "
                    // One element per column, so the list wraps between names on a phone.
                    @for (i, column) in kind.required().iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (column.replace('|', " / ")) }
                    }
                }
            }
        }
        h2 { (ctx.t("import.recent")) }
        @if data.recent.is_empty() {
            p { (ctx.t("import.none_yet")) }
        } @else {
            div.table-wrap role="region" aria-label=(ctx.t("import.recent")) tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" { "#" }
                        th scope="col" { (ctx.t("import.kind")) }
                        th scope="col" { (ctx.t("import.file")) }
                        th scope="col" .num { (ctx.t("import.rows")) }
                        th scope="col" { (ctx.t("import.status")) }
                        th scope="col" { (ctx.t("import.uploaded")) }
                    } }
                    tbody {
                        @for (record, by) in &data.recent {
                            tr {
                                td { a href=(format!("/imports/{}", record.id)) { (record.id) } }
                                td { (ImportKind::parse(&record.kind).map(|k| kind_name(ctx, k)).unwrap_or_default()) }
                                td { (record.file_name) }
                                td.num { (number(ctx.lang, i64::from(record.rows))) }
                                td { (ctx.t(&format!("import.status.{}", record.status))) }
                                td { (record.uploaded_at.format("%Y-%m-%d %H:%M")) " · " (by.as_deref().unwrap_or("cli")) }
                            }
                        }
                    }
                }
            }
        }
    };
    page(ctx, &title, body)
}

pub fn import(
    ctx: &PageContext,
    record: &ImportRecord,
    kind: ImportKind,
    origin: Option<&Location>,
    report: &Report,
    refusal: Option<&Invalid>,
    owner: bool,
) -> Markup {
    let title = tr_arg(ctx.lang, "import.title_one", &record.id.to_string());
    let pending = record.status == "pending";
    let body = html! {
        (heading(&title, None))
        @if let Some(invalid) = refusal {
            div.form-error role="alert" { p { (crate::i18n::invalid(ctx.lang, invalid)) } }
        }
        dl.facts {
            dt { (ctx.t("import.kind")) } dd { (kind_name(ctx, kind)) }
            dt { (ctx.t("import.file")) } dd { (record.file_name) }
            dt { (ctx.t("import.format")) } dd { (report.encoding) ", " (ctx.t("import.separator")) " " code { (report.delimiter) } }
            @if let Some(o) = origin { dt { (ctx.t("import.origin")) } dd { (o.name) " (" (o.code) ")" } }
            dt { (ctx.t("import.status")) } dd { (ctx.t(&format!("import.status.{}", record.status))) }
            @if let Some(ms) = record.lock_ms {
                dt { (ctx.t("import.lock_time")) } dd { (number(ctx.lang, i64::from(ms))) " ms" }
            }
        }
        @if let Some(e) = &report.file_error {
            div.form-error role="alert" { p { (e.message(ctx.lang)) } }
        }
        h2 {
            @if record.status == "committed" { (ctx.t("import.done")) }
            @else if !pending { (ctx.t("import.did")) }
            @else if report.is_clean() { (ctx.t("import.will")) }
            @else { (ctx.t("import.would")) }
        }
        ul {
            li { (tr_arg(ctx.lang, "import.rows_read", &number(ctx.lang, report.rows as i64))) }
            @for (key, n) in &report.effects {
                li { (tr_arg(ctx.lang, key, &number(ctx.lang, *n as i64))) }
            }
            @if report.skipped > 0 {
                li { (tr_arg(ctx.lang, "import.skipped", &number(ctx.lang, report.skipped as i64))) }
            }
        }
        @if report.problem_count > 0 {
            h2 #problems { (tr_arg(ctx.lang, "import.problems", &number(ctx.lang, report.problem_count as i64))) }
            p { (ctx.t("import.problems_hint")) }
            div.table-wrap role="region" aria-labelledby="problems" tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" .num { (ctx.t("import.line")) }
                        th scope="col" { (ctx.t("import.column")) }
                        th scope="col" { (ctx.t("import.problem")) }
                    } }
                    tbody {
                        @for p in &report.problems {
                            tr { td.num { (p.line) } td { code { (p.column) } } td { (p.message(ctx.lang)) } }
                        }
                    }
                }
            }
            @if report.problem_count > report.problems.len() {
                p { (tr_arg(ctx.lang, "import.more_problems", &number(ctx.lang, (report.problem_count - report.problems.len()) as i64))) }
            }
        }
        @if !report.warnings.is_empty() {
            h2 #warnings { (tr_arg(ctx.lang, "import.warnings", &number(ctx.lang, report.warnings.len() as i64))) }
            div.table-wrap role="region" aria-labelledby="warnings" tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" .num { (ctx.t("import.line")) }
                        th scope="col" { (ctx.t("import.column")) }
                        th scope="col" { (ctx.t("import.to_confirm")) }
                    } }
                    tbody {
                        @for w in &report.warnings {
                            tr { td.num { (w.line) } td { code { (w.column) } } td { (w.message(ctx.lang)) } }
                        }
                    }
                }
            }
        }
        @if pending && owner {
            div.actions {
                @if report.is_clean() {
                    form.inline method="post" action=(format!("/imports/{}/commit", record.id)) data-busy="" {
                        (csrf(ctx))
                        @if !report.warnings.is_empty() {
                            div.field.checkbox {
                                input #confirm-over_limit type="checkbox" name="confirm" value="over_limit";
                                label for="confirm-over_limit" { (ctx.t("import.confirm_over_limit")) }
                            }
                        }
                        button type="submit" { (ctx.t("import.confirm")) }
                        p.busy role="status" hidden { progress {} " " (ctx.t("import.writing")) }
                    }
                    " "
                }
                form.inline method="post" action=(format!("/imports/{}/discard", record.id)) {
                    (csrf(ctx))
                    button.secondary type="submit" { (ctx.t("import.discard")) }
                }
            }
        }
        p { a href="/imports" { (ctx.t("import.back")) } }
    };
    page(ctx, &title, body)
}

/// Every import turn is taken: come back in a moment.
pub fn busy(ctx: &PageContext) -> Markup {
    let title = ctx.t("import.busy");
    page(ctx, &title, html! { (heading(&title, None)) p { (ctx.t("import.busy_hint")) } })
}
