//! The allocation plan: one quantity per material × region × location type. A row sets its
//! cell (the grid page does the same); rows equal to the plan already are skipped.

use super::check::{lookup, Catalogue, Checker};
use super::table::Table;
use super::{ImportError, ImportKind, Report};
use crate::db::schema::targets;
use crate::db::{Connections, DbConn};
use crate::domain::Invalid;
use crate::domain::MaterialId;
use crate::domain::UserId;
use crate::models::target::Target;
use diesel::prelude::*;
use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
pub struct Plan {
    /// Per material, its (region, location type, quantity) cells.
    pub cells: BTreeMap<MaterialId, Vec<(i32, i32, i32)>>,
}

pub fn check(
    db: &mut impl Connections<ImportError>,
    table: &Table,
    catalogue: &Catalogue,
) -> Result<(Plan, Report), ImportError> {
    let mut c = match Checker::new(table, ImportKind::Targets, &[]) {
        Ok(c) => c,
        Err(e) => return Ok((Plan::default(), Report::refused(e))),
    };
    let current: HashMap<(MaterialId, i32, i32), i32> = db.with(|conn| {
        Ok(targets::table
            .select((targets::material_id, targets::region_id, targets::location_type_id, targets::quantity))
            .load::<(MaterialId, i32, i32, i32)>(conn)?
            .into_iter()
            .map(|(m, r, t, q)| ((m, r, t), q))
            .collect())
    })?;
    let mut seen: HashMap<(MaterialId, i32, i32), u64> = HashMap::new();
    let mut plan = Plan::default();
    let (mut skipped, mut set) = (0, 0);
    for row in &table.rows {
        let material = c.material(row, "material_code", catalogue);
        if let Some(m) = material.filter(|m| m.is_broadcast()) {
            c.problem(row, "material_code", Invalid::with("import.err.not_stocked", &m.code));
        }
        let region = lookup(c.get(row, "region_code"), &catalogue.regions, "import.err.unknown_region");
        let region = c.check(row, "region_code", region);
        if region.is_some_and(|r| !catalogue.access.covers(Some(r.id))) {
            let code = c.get(row, "region_code").to_string();
            c.problem(row, "region_code", Invalid::with("import.err.outside_regions", code));
        }
        let location_type = lookup(c.get(row, "location_type"), &catalogue.types, "import.err.unknown_location_type")
            .and_then(|t| match t {
                t if t.is_depot || t.code == "transit" => {
                    Err(Invalid::with("import.err.not_a_distribution_type", &t.code))
                }
                t => Ok(t),
            });
        let location_type = c.check(row, "location_type", location_type);
        let quantity = c.quantity(row, "quantity");
        let (Some(m), Some(r), Some(t), Some(q)) = (material, region, location_type, quantity) else { continue };
        let key = (m.id, r.id, t.id);
        if let Some(first) = seen.insert(key, row.line) {
            c.problem(row, "quantity", Invalid::with("import.err.duplicate_target", first));
            continue;
        }
        if current.get(&key) == Some(&q) {
            skipped += 1;
            continue;
        }
        set += 1;
        plan.cells.entry(m.id).or_default().push((r.id, t.id, q));
    }
    Ok((plan, c.report(vec![("import.effect.targets".to_string(), set)], skipped)))
}

/// Saves the cells material by material; inside the caller's write transaction.
pub fn write(
    conn: &mut DbConn,
    plan: &Plan,
    user_id: Option<UserId>,
    progress: &mut dyn FnMut(usize),
) -> Result<usize, ImportError> {
    let mut written = 0;
    for (material_id, cells) in &plan.cells {
        written += Target::save_grid(conn, *material_id, cells, user_id)?;
        progress(cells.len());
    }
    Ok(written)
}
