//! The location registry: a row with a new code creates a place, a row with a known code
//! updates it (audited per place), and a row equal to the registry already is skipped. The same
//! rules as the location form: media outlets need an ownership, the country must fit the region.

use super::check::{lookup, parse_bool, Catalogue, Checker};
use super::table::Table;
use super::{ImportError, ImportKind, Report};
use crate::db::DbConn;
use crate::domain::LocationId;
use crate::domain::{Code, Invalid, RequiredText};
use crate::models::audit::{Actor, AuditEntry};
use crate::models::location::{parse_country, parse_ownership, Location, LocationChanges};
use std::collections::HashMap;

const OPTIONAL: [&str; 3] = ["ownership", "contact", "is_active"];

pub struct Planned {
    pub existing: Option<LocationId>,
    pub changes: LocationChanges,
    pub active: bool,
}

#[derive(Default)]
pub struct Plan {
    pub locations: Vec<Planned>,
}

pub fn check(table: &Table, catalogue: &Catalogue) -> Result<(Plan, Report), ImportError> {
    let mut c = match Checker::new(table, ImportKind::Locations, &OPTIONAL) {
        Ok(c) => c,
        Err(e) => return Ok((Plan::default(), Report::refused(e))),
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut plan = Plan::default();
    let mut skipped = 0;
    for row in &table.rows {
        // The system's own place for stock in transit comes with every database.
        let system = catalogue.locations.get(&c.get(row, "code").to_uppercase()).is_some_and(|l| l.region_id.is_none());
        if system {
            skipped += 1;
            continue;
        }
        let code = c.check(row, "code", Code::parse(c.get(row, "code")));
        let name = c.check(row, "name", RequiredText::parse(c.get(row, "name"), 160).map(|t| t.into_inner()));
        let location_type = lookup(c.get(row, "location_type"), &catalogue.types, "import.err.unknown_location_type")
            .and_then(|t| {
                if t.code == "transit" {
                    Err(Invalid::with("import.err.unknown_location_type", &t.code))
                } else {
                    Ok(t)
                }
            });
        let location_type = c.check(row, "location_type", location_type);
        let region = lookup(c.get(row, "region_code"), &catalogue.regions, "import.err.unknown_region");
        let region = c.check(row, "region_code", region);
        if region.is_some_and(|r| !catalogue.access.covers(Some(r.id))) {
            let code = c.get(row, "region_code").to_string();
            c.problem(row, "region_code", Invalid::with("import.err.outside_regions", code));
        }
        let city = c.check(row, "city", RequiredText::parse(c.get(row, "city"), 80).map(|t| t.into_inner()));
        let country = c.check(row, "country", parse_country(c.get(row, "country")));
        let ownership = c.check(row, "ownership", parse_ownership(c.get(row, "ownership")));
        let contact = c.text(row, "contact", 200);
        let active = c.check(row, "is_active", parse_bool(c.get(row, "is_active"), true));
        let (
            Some(code),
            Some(name),
            Some(t),
            Some(r),
            Some(city),
            Some(country),
            Some(ownership),
            Some(contact),
            Some(active),
        ) = (code, name, location_type, region, city, country, ownership, contact, active)
        else {
            continue;
        };
        let code = code.into_inner();
        if let Some(first) = seen.insert(code.to_uppercase(), row.line) {
            c.problem(row, "code", Invalid::with("import.err.duplicate_code", first));
            continue;
        }
        let media = t.code == crate::models::airing::MEDIA_OUTLET;
        if media && ownership.is_none() {
            c.problem(row, "ownership", Invalid::new("err.ownership_required"));
            continue;
        }
        if r.is_abroad == (country == "VE") {
            c.problem(row, "country", Invalid::new("err.country_region"));
            continue;
        }
        let changes = LocationChanges {
            code,
            name,
            location_type_id: t.id,
            region_id: Some(r.id),
            city,
            country,
            ownership: if media { ownership.map(String::from) } else { None },
            contact,
            is_depot: t.is_depot,
        };
        let existing = catalogue.locations.get(&changes.code.to_uppercase());
        if let Some(l) = existing {
            if !catalogue.access.covers(l.region_id) {
                c.problem(row, "code", Invalid::with("import.err.outside_regions", &l.code));
                continue;
            }
            if same(l, &changes, active) {
                skipped += 1;
                continue;
            }
        }
        plan.locations.push(Planned { existing: existing.map(|l| l.id), changes, active });
    }
    let created = plan.locations.iter().filter(|p| p.existing.is_none()).count();
    let effects = vec![
        ("import.effect.locations_created".to_string(), created),
        ("import.effect.locations_updated".to_string(), plan.locations.len() - created),
    ];
    Ok((plan, c.report(effects, skipped)))
}

fn same(l: &Location, c: &LocationChanges, active: bool) -> bool {
    l.code == c.code
        && l.name == c.name
        && l.location_type_id == c.location_type_id
        && l.region_id == c.region_id
        && l.city == c.city
        && l.country == c.country
        && l.ownership == c.ownership
        && l.contact == c.contact
        && l.is_active == active
}

/// Creates and updates the places; inside the caller's write transaction.
pub fn write(
    conn: &mut DbConn,
    plan: &Plan,
    actor: &Actor,
    progress: &mut dyn FnMut(usize),
) -> Result<usize, ImportError> {
    for (i, p) in plan.locations.iter().enumerate() {
        let id = match p.existing {
            Some(id) => {
                Location::update(conn, id, &p.changes)?;
                let summary = format!("{} {} (import)", p.changes.code, p.changes.name);
                AuditEntry::record(conn, actor, "update", "location", id, &summary)?;
                id
            }
            None => Location::insert(conn, &p.changes)?,
        };
        Location::set_active(conn, id, p.active)?;
        if i % 1000 == 999 {
            progress(1000);
        }
    }
    progress(plan.locations.len() % 1000);
    Ok(plan.locations.len())
}
