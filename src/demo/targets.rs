//! The demo allocation plan: for each stocked material of the reference campaign, targets along
//! its channels in proportion to the registered places, adding up to 86–92 % of the print run.
//! A few regions without any registered place get a small target too (outreach planned where
//! the history delivers nothing), so the coverage pages show uncovered cells. Loaded once:
//! nothing happens when any target exists.

use super::DemoError;
use crate::db::DbConn;
use crate::models::audit::{Actor, AuditEntry};
use crate::models::location_type::LocationType;
use crate::models::material::Material;
use crate::models::region::Region;
use crate::models::target::{self, largest_remainder, Target};

/// The share of each print run the plan allocates, in percent.
const SHARES: [(&str, i64); 5] = [("POSTER", 90), ("FLIER", 88), ("PAMPHLET", 92), ("BANNER", 90), ("IOM-LEAFLET", 86)];

/// Regions with no registered place where outreach is planned anyway: Zulia, Bolívar, Sucre
/// and Falcón.
const EXTRA_REGIONS: [&str; 4] = ["VE-V", "VE-F", "VE-R", "VE-I"];

/// Kinds of place that exist only where they are registered (the airlines at Maiquetía, the
/// missions abroad): never planned for the extra regions.
const REGISTERED_ONLY: [&str; 3] = ["airline", "embassy", "consulate"];

/// A registered place weighs this much; an extra region's cell weighs 1 (half a place).
const PLACE_WEIGHT: i64 = 2;

/// Loads the demo plan unless any target exists; gives the number of cells written.
pub fn load_targets(conn: &mut DbConn) -> Result<usize, DemoError> {
    conn.write_transaction(|conn| {
        if Target::any(conn)? {
            return Ok(0);
        }
        let types = LocationType::all(conn)?;
        let regions = Region::all(conn)?;
        let registered = target::registered_locations(conn)?;
        let extra: Vec<i32> =
            regions.iter().filter(|r| EXTRA_REGIONS.contains(&r.code.as_str())).map(|r| r.id).collect();
        let mut written = 0;
        let mut lines = Vec::new();
        for (code, percent) in SHARES {
            let Some(material) = Material::find_by_code(conn, code)? else { continue };
            let Some(channel) = target::channel_types(code) else { continue };
            if material.is_broadcast() || material.planned_quantity <= 0 {
                continue;
            }
            let mut keys: Vec<(i32, i32)> = Vec::new();
            let mut weights: Vec<i64> = Vec::new();
            for t in types.iter().filter(|t| channel.contains(&t.code.as_str())) {
                for r in &regions {
                    let places = registered.iter().find(|x| x.0 == r.id && x.1 == t.id).map_or(0, |x| x.2);
                    let weight = if places > 0 {
                        places * PLACE_WEIGHT
                    } else if extra.contains(&r.id) && !REGISTERED_ONLY.contains(&t.code.as_str()) {
                        1
                    } else {
                        0
                    };
                    if weight > 0 {
                        keys.push((r.id, t.id));
                        weights.push(weight);
                    }
                }
            }
            if keys.is_empty() {
                continue;
            }
            let total = i64::from(material.planned_quantity) * percent / 100;
            let cells: Vec<target::Cell> = keys
                .iter()
                .zip(largest_remainder(total, &weights))
                .map(|(&(r, t), q)| (r, t, i32::try_from(q).unwrap_or(i32::MAX)))
                .collect();
            written += Target::save_grid(conn, material.id, &cells, None)?;
            lines.push(format!("{code} {total}"));
        }
        if written > 0 {
            let summary = format!("{written} cells: {} (demo)", lines.join(", "));
            AuditEntry::record(conn, &Actor::cli(), "create", "targets", "demo", &summary)?;
        }
        Ok(written)
    })
}
