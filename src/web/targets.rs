//! The allocation plan: everyone signed in reads it; managers and admins edit the grid of one
//! material at a time, helped by a split proposal that saves nothing until the grid is posted.

use crate::app::targets::SaveTargets;
use crate::domain::{Invalid, Permission};
use crate::models::location_type::LocationType;
use crate::models::material::Material;
use crate::models::region::Region;
use crate::models::target::{self, SplitBasis, Target, TRANSIT_TYPE};
use crate::views;
use crate::views::form::{FieldErrors, FormState};
use crate::views::targets::{cell_name, weight_name, Plan, Split};
use crate::web::ctx::query_param;
use crate::web::ctx::Ctx;
use crate::web::forms::{optional_int, PostForm};
use crate::web::{db, html, redirect_with_flash, unprocessable, AppError};
use actix_web::{web, HttpResponse};
use std::collections::{BTreeMap, HashMap, HashSet};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/targets", web::get().to(plan))
        .route("/targets/edit", web::get().to(edit_form))
        .route("/targets/edit", web::post().to(edit_save));
}

/// What the plan pages read: the material chosen, the rows and the kinds of place that can be
/// columns, the saved cells and the registered places.
struct Loaded {
    materials: Vec<Material>,
    material: Material,
    regions: Vec<Region>,
    types: Vec<LocationType>,
    cells: HashMap<(i32, i32), i64>,
    registered: Vec<(i32, i32, i64)>,
}

impl Loaded {
    /// Kinds of place on the material's channels (by code), else every kind with registered places.
    fn channel(&self) -> Vec<i32> {
        match target::channel_types(&self.material.code) {
            Some(codes) => self.types.iter().filter(|t| codes.contains(&t.code.as_str())).map(|t| t.id).collect(),
            None => self.types.iter().filter(|t| self.registered.iter().any(|x| x.1 == t.id)).map(|t| t.id).collect(),
        }
    }

    /// The columns shown: every kind with a non-zero target, the channel's kinds that have
    /// registered places, and `extra`; all kinds when `all`.
    fn plan(self, all: bool, extra: &[i32]) -> Plan {
        let channel = self.channel();
        let with_target: HashSet<i32> = self.cells.iter().filter(|(_, q)| **q != 0).map(|((_, t), _)| *t).collect();
        let registered: HashSet<i32> = self.registered.iter().map(|x| x.1).collect();
        let total_types = self.types.len();
        let mut places: HashMap<i32, i64> = HashMap::new();
        for (_, t, n) in &self.registered {
            *places.entry(*t).or_default() += n;
        }
        let columns: Vec<LocationType> = self
            .types
            .into_iter()
            .filter(|t| {
                all || with_target.contains(&t.id)
                    || (channel.contains(&t.id) && registered.contains(&t.id))
                    || extra.contains(&t.id)
            })
            .collect();
        Plan {
            materials: self.materials,
            material: self.material,
            regions: self.regions,
            hidden_types: total_types - columns.len(),
            columns,
            all,
            cells: self.cells,
            places,
        }
    }
}

/// Loads the plan of `?material=ID` (default: the first stocked material). None when nothing is
/// stocked yet; 404 for an unknown or broadcast material.
async fn load(ctx: &Ctx) -> Result<Option<Loaded>, AppError> {
    load_material(ctx, query_param(ctx, "material")).await
}

async fn load_material(ctx: &Ctx, raw: String) -> Result<Option<Loaded>, AppError> {
    let wanted = match raw.as_str() {
        "" => None,
        id => Some(crate::web::parse_id(id)?),
    };
    let lang = ctx.lang();
    // A region-limited user reads and plans their regions only.
    let scope = ctx.user.as_ref().map(|u| u.scope()).unwrap_or_default();
    db(ctx, move |conn| {
        let materials = Material::stocked(conn)?;
        let material = match wanted {
            Some(id) => materials.iter().find(|m| m.id == id).cloned().ok_or(AppError::NotFound)?,
            None => match materials.first() {
                Some(m) => m.clone(),
                None => return Ok(None),
            },
        };
        let mut regions: Vec<Region> = Region::all(conn)?.into_iter().filter(|r| scope.covers(Some(r.id))).collect();
        regions.sort_by_cached_key(|r| (r.is_abroad, crate::domain::collation::sort_key(&r.name_es)));
        let mut types: Vec<LocationType> =
            LocationType::all(conn)?.into_iter().filter(|t| !t.is_depot && t.code != TRANSIT_TYPE).collect();
        types.sort_by_cached_key(|t| crate::domain::collation::sort_key(t.name(lang)));
        let cells =
            Target::totals(conn, material.id)?.into_iter().filter(|((r, _), _)| scope.covers(Some(*r))).collect();
        let registered =
            target::registered_locations(conn)?.into_iter().filter(|(r, _, _)| scope.covers(Some(*r))).collect();
        Ok(Some(Loaded { materials, material, regions, types, cells, registered }))
    })
    .await
}

/// Every value of a repeated query parameter.
fn query_all(ctx: &Ctx, name: &str) -> Vec<String> {
    url::form_urlencoded::parse(ctx.page.query.as_bytes())
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// The saved plan as the edit grid's typed values (zero cells blank).
fn grid_values(plan: &Plan) -> FormState {
    let mut form = FormState::default();
    for (&(r, t), &q) in &plan.cells {
        if q != 0 {
            form.set(&cell_name(r, t), q.to_string());
        }
    }
    form
}

/// The location types of the posted `cell_{region}_{type}` fields.
fn posted_types<'a>(names: impl Iterator<Item = &'a String>) -> Vec<i32> {
    names.filter_map(|k| k.strip_prefix("cell_")?.split_once('_')?.1.parse().ok()).collect()
}

// ---- reading ----

async fn plan(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::Read)?;
    let Some(loaded) = load(&ctx).await? else {
        return Ok(html(views::targets::no_materials(&ctx.page)));
    };
    let all = query_param(&ctx, "all") == "1";
    Ok(html(views::targets::plan_page(&ctx.page, &loaded.plan(all, &[]))))
}

// ---- the split helper ----

/// The split form as typed, and the proposal when it is complete and valid.
struct Proposal {
    form: FormState,
    cells: Option<Vec<target::Cell>>,
    total: i64,
    types: Vec<i32>,
}

fn split_request(ctx: &Ctx, loaded: &Loaded) -> Proposal {
    let mut form = FormState::default();
    let requested = query_param(ctx, "split") == "1";
    let region_ids: Vec<i32> = loaded.regions.iter().map(|r| r.id).collect();
    if !requested {
        // Defaults: the print run, the channel's kinds, registered locations, every weight 1.
        form.set("total", loaded.material.planned_quantity.to_string());
        form.set("basis", "registered");
        form.multi.insert("types".into(), loaded.channel().iter().map(|t| t.to_string()).collect());
        for r in &region_ids {
            form.set(&weight_name(*r), "1");
        }
        return Proposal { form, cells: None, total: 0, types: Vec::new() };
    }
    let mut errors = FieldErrors::new();
    let raw_total = query_param(ctx, "total");
    form.set("total", raw_total.clone());
    let total = errors
        .check("total", optional_int(&raw_total).and_then(|t| t.ok_or(Invalid::new("err.required"))).map(i64::from));
    let typed_types = query_all(ctx, "types");
    let types: Vec<i32> = loaded
        .types
        .iter()
        .filter(|t| typed_types.iter().any(|v| v.trim() == t.id.to_string()))
        .map(|t| t.id)
        .collect();
    form.multi.insert("types".into(), types.iter().map(|t| t.to_string()).collect());
    if types.is_empty() {
        errors.add("types", Invalid::new("err.no_types"));
    }
    let basis_raw = query_param(ctx, "basis");
    form.set("basis", basis_raw.clone());
    let mut weights = HashMap::new();
    for r in &region_ids {
        let name = weight_name(*r);
        let raw = query_param(ctx, &name);
        form.set(&name, raw.clone());
        if basis_raw == "weights" {
            if let Some(w) = errors.check(&name, optional_int(&raw)) {
                weights.insert(*r, i64::from(w.unwrap_or(0)));
            }
        }
    }
    let basis = match basis_raw.as_str() {
        "registered" | "" => Some(SplitBasis::Registered),
        "weights" => Some(SplitBasis::Weights(weights)),
        _ => {
            errors.add("basis", Invalid::new("err.unknown_choice"));
            None
        }
    };
    let mut cells = None;
    if let (Some(total), Some(basis), true) = (total, basis, errors.is_empty()) {
        cells = target::propose(total, &region_ids, &types, &loaded.registered, &basis);
        if cells.is_none() {
            form.form_error = Some(Invalid::new(match basis {
                SplitBasis::Registered => "err.no_registered",
                SplitBasis::Weights(_) => "err.no_weights",
            }));
        }
    }
    form.errors = errors;
    Proposal { form, cells, total: total.unwrap_or(0), types }
}

// ---- editing ----

async fn edit_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.require(Permission::ManageTargets)?;
    // A grid posted after the session expired comes back as typed, with its material.
    let resumed: Option<BTreeMap<String, String>> = ctx.resumed_form().await?;
    let material = match &resumed {
        Some(values) => values.get("material").cloned().unwrap_or_default(),
        None => query_param(&ctx, "material"),
    };
    let Some(loaded) = load_material(&ctx, material).await? else {
        return Err(AppError::NotFound);
    };
    let all = query_param(&ctx, "all") == "1";
    if let Some(values) = resumed {
        let posted = posted_types(values.keys());
        let split = Split { form: split_request(&ctx, &loaded).form, choices: loaded.types.clone(), proposed: None };
        let plan = loaded.plan(all, &posted);
        let grid = FormState::from_values(values);
        return Ok(html(views::targets::edit_page(&ctx.page, &plan, &grid, &split)));
    }
    let proposal = split_request(&ctx, &loaded);
    let refused = !proposal.form.errors.is_empty() || proposal.form.form_error.is_some();
    let choices = loaded.types.clone();
    let extra = if proposal.cells.is_some() { proposal.types.clone() } else { Vec::new() };
    let plan = loaded.plan(all, &extra);
    let mut grid = grid_values(&plan);
    if let Some(cells) = &proposal.cells {
        for (r, t, q) in cells {
            let name = cell_name(*r, *t);
            if *q == 0 {
                grid.values.remove(&name);
            } else {
                grid.set(&name, q.to_string());
            }
        }
    }
    let split = Split { form: proposal.form, choices, proposed: proposal.cells.is_some().then_some(proposal.total) };
    let page = views::targets::edit_page(&ctx.page, &plan, &grid, &split);
    Ok(if refused { unprocessable(page) } else { html(page) })
}

/// The posted cells: (region, type, quantity) for every `cell_{region}_{type}` field, blank = 0.
/// A field naming no region or no plannable kind of place is a bad request.
fn parse_cells(form: &PostForm, loaded: &Loaded) -> Result<Result<Vec<target::Cell>, FieldErrors>, AppError> {
    let mut errors = FieldErrors::new();
    let mut cells = Vec::new();
    for (name, value) in form.values_all() {
        let Some(rest) = name.strip_prefix("cell_") else { continue };
        let (r, t) = rest
            .split_once('_')
            .and_then(|(r, t)| Some((r.parse::<i32>().ok()?, t.parse::<i32>().ok()?)))
            .filter(|(r, t)| loaded.regions.iter().any(|x| x.id == *r) && loaded.types.iter().any(|x| x.id == *t))
            .ok_or_else(|| AppError::BadRequest(format!("unknown plan cell {name}")))?;
        if let Some(q) = errors.check(&name, optional_int(&value)) {
            cells.push((r, t, q.unwrap_or(0)));
        }
    }
    Ok(if errors.is_empty() { Ok(cells) } else { Err(errors) })
}

async fn edit_save(ctx: Ctx, form: PostForm) -> Result<HttpResponse, AppError> {
    ctx.require_post(Permission::ManageTargets, &form).await?;
    // A save names its material: never write the plan of a default one.
    if query_param(&ctx, "material").is_empty() {
        return Err(AppError::BadRequest("which material's plan is this?".into()));
    }
    let Some(loaded) = load(&ctx).await? else {
        return Err(AppError::NotFound);
    };
    let cells = match parse_cells(&form, &loaded)? {
        Ok(cells) => cells,
        Err(errors) => {
            // Shown again as typed: the posted columns stay even when they would be hidden.
            let posted = posted_types(form.values_all().iter().map(|(k, _)| k));
            let all = query_param(&ctx, "all") == "1";
            let proposal = split_request(&ctx, &loaded);
            let choices = loaded.types.clone();
            let plan = loaded.plan(all, &posted);
            let mut grid = FormState::from_values(form.values());
            grid.errors = errors;
            let split = Split { form: proposal.form, choices, proposed: None };
            return Ok(unprocessable(views::targets::edit_page(&ctx.page, &plan, &grid, &split)));
        }
    };
    let material_id = loaded.material.id;
    let command = SaveTargets { actor: crate::web::actor(&ctx), material_id, cells };
    crate::web::write(&ctx, move |conn| Ok::<_, AppError>(crate::app::run(conn, &command)?)).await?;
    Ok(redirect_with_flash(&ctx, &format!("/targets?material={material_id}"), "flash.plan_saved", None))
}
