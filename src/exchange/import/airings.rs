//! Airings of broadcast spots on media outlets; a row whose external reference is already
//! recorded is skipped.

use super::check::{Catalogue, Checker, ExternalRefs};
use super::table::Table;
use super::{ImportError, ImportKind, Report};
use crate::db::bulk::{insert_rows, INSERT_PARAMETERS};
use crate::db::schema::airings;
use crate::db::{Connections, DbConn};
use crate::domain::UserId;
use crate::domain::{Invalid, PositiveQuantity};
use crate::models::airing::{NewAiring, MAX_TIMES, MEDIA_OUTLET};
use crate::models::now;
use diesel::prelude::*;
use std::collections::HashSet;
use std::ops::ControlFlow;

const OPTIONAL: [&str; 4] = ["times", "time_slot", "programme", "external_ref"];

#[derive(Default)]
pub struct Plan {
    pub airings: Vec<NewAiring>,
}

pub fn check(
    db: &mut impl Connections<ImportError>,
    table: &Table,
    catalogue: &Catalogue,
) -> Result<(Plan, Report), ImportError> {
    let mut c = match Checker::new(table, ImportKind::Airings, &OPTIONAL) {
        Ok(c) => c,
        Err(e) => return Ok((Plan::default(), Report::refused(e))),
    };
    let recorded: HashSet<String> = db.with(|conn| {
        Ok(airings::table
            .filter(airings::external_ref.is_not_null())
            .select(airings::external_ref.assume_not_null())
            .load::<String>(conn)?
            .into_iter()
            .collect())
    })?;
    let mut refs = ExternalRefs::new(recorded);
    let mut plan = Plan::default();
    for row in &table.rows {
        let date = c.date(row, "aired_on", catalogue);
        let spot = c.material(row, "material_code", catalogue);
        if let Some(m) = spot.filter(|m| !m.is_broadcast()) {
            c.problem(row, "material_code", Invalid::with("import.err.not_a_spot", &m.code));
        }
        let outlet = c.location(row, "location_code", catalogue);
        if let Some(o) = outlet.filter(|o| catalogue.type_code(o) != MEDIA_OUTLET || !o.is_active) {
            c.problem(row, "location_code", Invalid::with("import.err.not_a_media_outlet", &o.code));
        }
        let times =
            if c.get(row, "times").is_empty() { Some(1) } else { c.positive(row, "times").map(PositiveQuantity::get) };
        if let Some(t) = times.filter(|t| *t > MAX_TIMES) {
            c.problem(row, "times", Invalid::with("import.err.too_many_times", t));
        }
        let slot = c.text(row, "time_slot", 40);
        let programme = c.text(row, "programme", 120);
        let ControlFlow::Continue(external_ref) = refs.check(&mut c, row) else { continue };
        if let (Some(date), Some(m), Some(o), Some(times), Some(slot), Some(programme), Some(external_ref)) =
            (date, spot, outlet, times, slot, programme, external_ref)
        {
            plan.airings.push(NewAiring {
                material_id: m.id,
                location_id: o.id,
                aired_on: date,
                times,
                time_slot: slot,
                programme,
                external_ref,
            });
        }
    }
    let total: i64 = plan.airings.iter().map(|a| i64::from(a.times)).sum();
    let effects = vec![
        ("import.effect.airings".to_string(), plan.airings.len()),
        ("import.effect.times".to_string(), total as usize),
    ];
    Ok((plan, c.report(effects, refs.skipped)))
}

/// Writes the airings in multi-row inserts; inside the caller's write transaction.
pub fn write(
    conn: &mut DbConn,
    plan: &Plan,
    user_id: Option<UserId>,
    progress: &mut dyn FnMut(usize),
) -> Result<usize, ImportError> {
    let at = now();
    for chunk in plan.airings.chunks(INSERT_PARAMETERS / 10) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|a| {
                (
                    airings::material_id.eq(a.material_id),
                    airings::location_id.eq(a.location_id),
                    airings::aired_on.eq(a.aired_on),
                    airings::times.eq(a.times),
                    airings::time_slot.eq(a.time_slot.as_str()),
                    airings::programme.eq(a.programme.as_str()),
                    airings::external_ref.eq(a.external_ref.as_deref()),
                    airings::reason.eq(""),
                    airings::recorded_by.eq(user_id),
                    airings::recorded_at.eq(at),
                )
            })
            .collect();
        insert_rows!(conn, airings::table, &rows);
        progress(chunk.len());
    }
    Ok(plan.airings.len())
}
