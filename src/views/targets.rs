//! The allocation plan: the grid of planned units per region and kind of place for one
//! material, its edit form, and the split helper that proposes a grid.

use crate::domain::MaterialId;
use crate::domain::Permission;
use crate::i18n::{invalid, number, tr_arg};
use crate::models::location_type::LocationType;
use crate::models::material::Material;
use crate::models::region::Region;
use crate::views::components::{csrf, form_error, table_region};
use crate::views::form::FormState;
use crate::views::layout::page;
use crate::views::page::PageContext;
use maud::{html, Markup};
use std::collections::HashMap;

/// What both plan pages show: the material, its rows and columns, and the saved cells.
pub struct Plan {
    /// Every stocked material, for the picker.
    pub materials: Vec<Material>,
    pub material: Material,
    /// Rows: alphabetical, abroad last.
    pub regions: Vec<Region>,
    /// Columns shown.
    pub columns: Vec<LocationType>,
    /// How many kinds of place are not shown (no target, no registered place on the channel).
    pub hidden_types: usize,
    /// Every kind of place is shown (`all=1`).
    pub all: bool,
    /// Saved quantities by (region id, location type id).
    pub cells: HashMap<(i32, i32), i64>,
    /// Registered active places per location type id (all regions).
    pub places: HashMap<i32, i64>,
}

/// The split helper's form: its typed values (total, basis, weight_{region}), the chosen types
/// (`multi["types"]`) and messages, the types offered, and the total split when a proposal is
/// shown.
pub struct Split {
    pub form: FormState,
    pub choices: Vec<LocationType>,
    pub proposed: Option<i64>,
}

/// The input name of a grid cell.
pub fn cell_name(region_id: i32, type_id: i32) -> String {
    format!("cell_{region_id}_{type_id}")
}

/// The input name of a region's weight in the split helper.
pub fn weight_name(region_id: i32) -> String {
    format!("weight_{region_id}")
}

fn can_manage(ctx: &PageContext) -> bool {
    ctx.can(Permission::ManageTargets)
}

fn plan_href(base: &str, material_id: MaterialId, all: bool) -> String {
    if all {
        format!("{base}?material={material_id}&all=1")
    } else {
        format!("{base}?material={material_id}")
    }
}

/// The material picker and the "every kind of place" switch (GET: changes nothing).
fn picker(ctx: &PageContext, plan: &Plan, action: &str) -> Markup {
    html! {
        form.filters method="get" action=(action) {
            div.field {
                label for="material" { (ctx.t("field.material")) }
                select #material name="material" {
                    @for m in &plan.materials {
                        option value=(m.id) selected[m.id == plan.material.id] { (m.code) " — " (m.name(ctx.lang)) }
                    }
                }
            }
            div.field.checkbox {
                input #all type="checkbox" name="all" value="1" checked[plan.all];
                label for="all" { (ctx.t("target.all_types")) }
            }
            button type="submit" { (ctx.t("target.show")) }
        }
    }
}

/// Print run, planned total and what is left (or by how much the plan exceeds the print run).
fn summary(ctx: &PageContext, material: &Material, planned: i64) -> Markup {
    let run = i64::from(material.planned_quantity);
    html! {
        dl.facts {
            dt { (ctx.t("field.planned_quantity")) }
            dd { (number(ctx.lang, run)) " " (material.unit) }
            dt { (ctx.t("target.planned")) }
            dd {
                (number(ctx.lang, planned))
                @if run > 0 { " (" (planned * 100 / run) " %)" }
            }
            @if planned <= run {
                dt { (ctx.t("target.unallocated")) }
                dd { (number(ctx.lang, run - planned)) }
            }
        }
        @if planned > run {
            p.notice role="status" { strong { (tr_arg(ctx.lang, "target.over", &number(ctx.lang, planned - run))) } }
        }
    }
}

fn hidden_note(ctx: &PageContext, plan: &Plan, base: &str) -> Markup {
    html! {
        @if plan.hidden_types > 0 && !plan.all {
            p.hint {
                (tr_arg(ctx.lang, "target.hidden_types", &plan.hidden_types.to_string())) " "
                a href=(plan_href(base, plan.material.id, true)) { (ctx.t("target.all_types")) }
            }
        }
    }
}

/// A planned quantity; 0 as a quiet dot (read as "0").
fn quantity(ctx: &PageContext, q: i64) -> Markup {
    html! {
        @if q != 0 { (number(ctx.lang, q)) } @else { span aria-hidden="true" { "·" } span.visually-hidden { "0" } }
    }
}

/// GET /targets: the plan of one material with row, column and grand totals.
pub fn plan_page(ctx: &PageContext, plan: &Plan) -> Markup {
    let title = ctx.t("target.title");
    let m = &plan.material;
    let cell = |r: i32, t: i32| plan.cells.get(&(r, t)).copied().unwrap_or(0);
    let row_total = |r: i32| plan.columns.iter().map(|t| cell(r, t.id)).sum::<i64>();
    let col_total = |t: i32| plan.regions.iter().map(|r| cell(r.id, t)).sum::<i64>();
    let shown_total: i64 = plan.columns.iter().map(|t| col_total(t.id)).sum();
    let planned: i64 = plan.cells.values().sum();
    let grid_label = format!("{} · {}", title, m.code);
    page(
        ctx,
        &title,
        html! {
            div.page-heading {
                h1 { (title) }
                @if can_manage(ctx) {
                    a.button href=(plan_href("/targets/edit", m.id, plan.all)) { (ctx.t("target.edit")) }
                }
            }
            p.meta { (ctx.t("target.intro")) }
            (picker(ctx, plan, "/targets"))
            (crate::views::components::download_links(ctx, crate::exchange::export::Kind::Targets, &format!("material={}", m.id)))
            h2 { (m.code) " — " (m.name(ctx.lang)) }
            (summary(ctx, m, planned))
            @if planned == 0 {
                p.empty { (ctx.t("target.empty")) }
            }
            @if plan.columns.is_empty() {
                p.empty { (ctx.t("target.no_columns")) }
            } @else {
                (table_region(&grid_label, html! {
                    table.plan {
                        caption.visually-hidden { (grid_label) }
                        thead { tr {
                            th scope="col" { (ctx.t("field.region")) }
                            th scope="col" .num { (ctx.t("target.total")) }
                            @for t in &plan.columns { th scope="col" .num { (t.name(ctx.lang)) } }
                        } }
                        tbody {
                            @for r in &plan.regions {
                                tr {
                                    th scope="row" { (r.name(ctx.lang)) }
                                    td.num { strong { (quantity(ctx, row_total(r.id))) } }
                                    @for t in &plan.columns {
                                        td.num { (quantity(ctx, cell(r.id, t.id))) }
                                    }
                                }
                            }
                        }
                        tfoot { tr {
                            th scope="row" { (ctx.t("target.total")) }
                            td.num { strong { (number(ctx.lang, shown_total)) } }
                            @for t in &plan.columns { td.num { strong { (number(ctx.lang, col_total(t.id))) } } }
                        } }
                    }
                }))
            }
            (hidden_note(ctx, plan, "/targets"))
        },
    )
}

/// GET/POST /targets/edit: the split helper, then the grid as inputs.
pub fn edit_page(ctx: &PageContext, plan: &Plan, grid: &FormState, split: &Split) -> Markup {
    let m = &plan.material;
    let title = format!("{} · {}", ctx.t("target.edit_title"), m.code);
    let typed: i64 = grid
        .values
        .iter()
        .filter(|(k, _)| k.starts_with("cell_"))
        .filter_map(|(_, v)| v.trim().parse::<i64>().ok())
        .filter(|v| *v > 0)
        .sum();
    let grid_label = format!("{} · {}", ctx.t("target.edit_title"), m.code);
    let action = plan_href("/targets/edit", m.id, false);
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p.meta { (m.name(ctx.lang)) " · " (ctx.t("field.planned_quantity")) ": " (number(ctx.lang, i64::from(m.planned_quantity))) " " (m.unit) }
            (picker(ctx, plan, "/targets/edit"))
            (split_form(ctx, plan, split))
            section #grid {
                h2 { (ctx.t("target.grid")) }
                @if let Some(total) = split.proposed {
                    p.notice role="status" { (tr_arg(ctx.lang, "target.proposed", &number(ctx.lang, total))) }
                }
                form method="post" action=(action) {
                    (csrf(ctx))
                    input type="hidden" name="material" value=(m.id);
                    (form_error(ctx, grid))
                    p.hint { (ctx.t("target.grid_hint")) }
                    p { (tr_arg(ctx.lang, "target.grid_total", &number(ctx.lang, typed))) }
                    @if typed > i64::from(m.planned_quantity) {
                        p.notice { (tr_arg(ctx.lang, "target.over", &number(ctx.lang, typed - i64::from(m.planned_quantity)))) }
                    }
                    @if plan.columns.is_empty() {
                        p.empty { (ctx.t("target.no_columns")) }
                    } @else {
                        (table_region(&grid_label, html! {
                            table.lines.plan-edit {
                                caption.visually-hidden { (grid_label) }
                                thead { tr {
                                    th scope="col" { (ctx.t("field.region")) }
                                    @for t in &plan.columns {
                                        th scope="col" {
                                            (t.name(ctx.lang)) br;
                                            span.meta { (tr_arg(ctx.lang, "target.places", &number(ctx.lang, plan.places.get(&t.id).copied().unwrap_or(0)))) }
                                        }
                                    }
                                } }
                                tbody {
                                    @for r in &plan.regions {
                                        tr {
                                            th scope="row" { (r.name(ctx.lang)) }
                                            @for t in &plan.columns {
                                                td { (cell_input(ctx, grid, r, t)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }))
                    }
                    (hidden_note(ctx, plan, "/targets/edit"))
                    div.actions {
                        button.primary type="submit" { (ctx.t("target.save")) }
                        a href=(plan_href("/targets", m.id, plan.all)) { (ctx.t("action.cancel")) }
                    }
                }
            }
        },
    )
}

fn cell_input(ctx: &PageContext, grid: &FormState, r: &Region, t: &LocationType) -> Markup {
    let name = cell_name(r.id, t.id);
    let error = grid.errors.get(&name);
    let error_id = format!("{name}-error");
    html! {
        label.visually-hidden for=(name) { (r.name(ctx.lang)) ", " (t.name(ctx.lang)) }
        input.count-input id=(name) name=(name) type="text" inputmode="numeric" autocomplete="off"
            value=(grid.value(&name))
            aria-invalid=[error.map(|_| "true")]
            aria-describedby=[error.map(|_| error_id.clone())];
        @if let Some(e) = error {
            p.field-error id=(error_id) { (invalid(ctx.lang, e)) }
        }
    }
}

/// The split helper: a GET form, so proposing changes nothing.
fn split_form(ctx: &PageContext, plan: &Plan, split: &Split) -> Markup {
    let f = &split.form;
    let chosen = f.multi.get("types").cloned().unwrap_or_default();
    let basis = match f.value("basis") {
        "" => "registered",
        other => other,
    };
    let field_error = |name: &str| {
        html! { @if let Some(e) = f.errors.get(name) { p.field-error id=(format!("{name}-error")) { (invalid(ctx.lang, e)) } } }
    };
    let total_error = f.errors.get("total").is_some();
    html! {
        section.card #split {
            h2 { (ctx.t("target.split_title")) }
            p.hint { (ctx.t("target.split_intro")) }
            form method="get" action="/targets/edit" {
                input type="hidden" name="material" value=(plan.material.id);
                input type="hidden" name="split" value="1";
                @if plan.all { input type="hidden" name="all" value="1"; }
                @if let Some(e) = &f.form_error {
                    div.form-error role="alert" { (invalid(ctx.lang, e)) }
                }
                div.field.has-error[total_error] {
                    label for="total" { (ctx.t("target.split_total")) }
                    p.hint id="total-hint" { (ctx.t("hint.units")) }
                    (field_error("total"))
                    input.count-input #total name="total" type="text" inputmode="numeric" value=(f.value("total"))
                        aria-invalid=[total_error.then_some("true")]
                        aria-describedby=(if total_error { "total-error total-hint" } else { "total-hint" });
                }
                fieldset {
                    legend { (ctx.t("target.split_types")) }
                    (field_error("types"))
                    div.checkbox-grid {
                        @for t in &split.choices {
                            @let id = format!("type-{}", t.id);
                            div.checkbox {
                                input type="checkbox" name="types" value=(t.id) id=(id) checked[chosen.contains(&t.id.to_string())];
                                label for=(id) { (t.name(ctx.lang)) }
                            }
                        }
                    }
                }
                fieldset {
                    legend { (ctx.t("target.basis")) }
                    (field_error("basis"))
                    div.field.checkbox {
                        input #basis-registered type="radio" name="basis" value="registered" checked[basis == "registered"];
                        label for="basis-registered" { (ctx.t("target.basis_registered")) }
                    }
                    div.field.checkbox {
                        input #basis-weights type="radio" name="basis" value="weights" checked[basis == "weights"];
                        label for="basis-weights" { (ctx.t("target.basis_weights")) }
                    }
                    details open[basis == "weights" || plan.regions.iter().any(|r| f.errors.get(&weight_name(r.id)).is_some())] {
                        summary { (ctx.t("target.weights")) }
                        p.hint { (ctx.t("target.weights_hint")) }
                        div.checkbox-grid {
                            @for r in &plan.regions {
                                @let name = weight_name(r.id);
                                @let has_error = f.errors.get(&name).is_some();
                                div.field.has-error[has_error] {
                                    label for=(name) { (r.name(ctx.lang)) }
                                    (field_error(&name))
                                    input.count-input id=(name) name=(name) type="text" inputmode="numeric" value=(f.value(&name))
                                        aria-invalid=[has_error.then_some("true")]
                                        aria-describedby=[has_error.then(|| format!("{name}-error"))];
                                }
                            }
                        }
                    }
                }
                button type="submit" { (ctx.t("target.propose")) }
            }
        }
    }
}

/// GET /targets when there is no stocked material yet.
pub fn no_materials(ctx: &PageContext) -> Markup {
    let title = ctx.t("target.title");
    page(
        ctx,
        &title,
        html! {
            h1 { (title) }
            p.empty { (ctx.t("target.no_materials")) }
        },
    )
}
