//! Historical deliveries from field spreadsheets: rows with the same `shipment_reference` are
//! the lines of one shipment (a row without one is a shipment by itself), sent from an origin
//! depot (`origin_code`, or one depot chosen for the whole file) and delivered on
//! `delivered_on`. Written as delivered shipments with the movements the workflows post:
//! dispatch into transit, delivery, and a shortfall where `quantity` < `quantity_sent`.
//! A shipment whose reference (to the same place) or external reference is already recorded is
//! skipped; a row that would take an origin's stock below zero is refused by name.

use super::check::{Catalogue, Checker};
use super::table::{Row, Table};
use super::{ImportError, ImportKind, Options, Report};
use crate::db::bulk::{insert_rows, reserve_ids, INSERT_PARAMETERS};
use crate::db::schema::{shipment_events, shipment_lines, shipments, stock_balances};
use crate::db::{Connections, DbConn};
use crate::domain::{Invalid, PositiveQuantity, ShipmentStatus};
use crate::domain::{LocationId, MaterialId, ShipmentId, ShipmentLineId, UserId};
use crate::ledger::{self, MovementKind, Posting, Source};
use crate::models::location::Location;
use crate::models::now;
use chrono::NaiveDate;
use diesel::prelude::*;
use std::collections::{HashMap, HashSet};

const OPTIONAL: [&str; 7] = [
    "shipment_reference",
    "location_code",
    "location_name",
    "region_code",
    "origin_code",
    "quantity_sent",
    "external_ref",
];

pub struct Line {
    pub material_id: MaterialId,
    pub sent: PositiveQuantity,
    pub received: PositiveQuantity,
}

pub struct Shipment {
    /// None: one is made up at commit from the import and the row's line.
    pub reference: Option<String>,
    pub first_line: u64,
    pub date: NaiveDate,
    pub origin_id: LocationId,
    pub destination_id: LocationId,
    pub external_ref: Option<String>,
    pub lines: Vec<Line>,
}

#[derive(Default)]
pub struct Plan {
    pub shipments: Vec<Shipment>,
}

/// One row, checked on its own.
struct Checked<'c> {
    date: NaiveDate,
    material_id: MaterialId,
    material_code: &'c str,
    destination: &'c Location,
    origin: &'c Location,
    received: PositiveQuantity,
    sent: PositiveQuantity,
    reference: Option<String>,
    external_ref: Option<String>,
}

pub fn check(
    db: &mut impl Connections<ImportError>,
    table: &Table,
    catalogue: &Catalogue,
    options: Options,
) -> Result<(Plan, Report), ImportError> {
    let mut c = match Checker::new(table, ImportKind::Distributions, &OPTIONAL) {
        Ok(c) => c,
        Err(e) => return Ok((Plan::default(), Report::refused(e))),
    };
    let by_name = names(catalogue);
    let chosen_origin = options.origin_id.and_then(|id| catalogue.locations.values().find(|l| l.id == id));
    let mut rows: Vec<(&Row, Checked)> = Vec::new();
    for row in &table.rows {
        if let Some(checked) = check_row(&mut c, row, catalogue, &by_name, chosen_origin) {
            rows.push((row, checked));
        }
    }

    // Group rows into shipments; the rows of one reference must agree on date and places.
    let mut plan = Plan::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows_of: Vec<Vec<&Row>> = Vec::new();
    for (row, r) in &rows {
        let key = r.reference.clone().map(|s| s.to_uppercase());
        let slot = key.as_ref().and_then(|k| index.get(k).copied());
        let Some(i) = slot else {
            if let Some(k) = key {
                index.insert(k, plan.shipments.len());
            }
            plan.shipments.push(Shipment {
                reference: r.reference.clone(),
                first_line: row.line,
                date: r.date,
                origin_id: r.origin.id,
                destination_id: r.destination.id,
                external_ref: r.external_ref.clone(),
                lines: vec![Line { material_id: r.material_id, sent: r.sent, received: r.received }],
            });
            rows_of.push(vec![row]);
            continue;
        };
        let s = &mut plan.shipments[i];
        let disagreement = if s.date != r.date {
            Some("delivered_on")
        } else if s.destination_id != r.destination.id {
            Some(if c.has("location_code") { "location_code" } else { "location_name" })
        } else if s.origin_id != r.origin.id {
            Some("origin_code")
        } else if s.external_ref != r.external_ref {
            Some("external_ref")
        } else {
            None
        };
        if let Some(column) = disagreement {
            c.problem(row, column, Invalid::with("import.err.shipment_disagrees", s.first_line));
        } else if s.lines.iter().any(|l| l.material_id == r.material_id) {
            c.problem(row, "material_code", Invalid::with("import.err.material_twice", r.material_code));
        } else {
            s.lines.push(Line { material_id: r.material_id, sent: r.sent, received: r.received });
            rows_of[i].push(row);
        }
    }

    // Already recorded: skipped whole.
    let (references, external) = db.with(|conn| Ok(recorded(conn, &plan)?))?;
    let mut skipped = 0;
    let mut kept_rows = Vec::new();
    let mut kept = Vec::new();
    for (s, rows) in std::mem::take(&mut plan.shipments).into_iter().zip(rows_of) {
        let known = s.reference.as_ref().and_then(|r| references.get(&r.to_uppercase())).copied();
        match known {
            Some(destination) if destination == s.destination_id => skipped += rows.len(),
            Some(_) => {
                let reference = s.reference.clone().unwrap_or_default();
                c.problem(rows[0], "shipment_reference", Invalid::with("import.err.reference_taken", reference));
            }
            None if s.external_ref.as_ref().is_some_and(|e| external.contains(e)) => skipped += rows.len(),
            None => {
                kept.push(s);
                kept_rows.push(rows);
            }
        }
    }
    plan.shipments = kept;

    // The origins' stock, taken row by row in file order.
    let mut left = db.with(|conn| Ok(balances(conn, &plan)?))?;
    for (s, rows) in plan.shipments.iter().zip(&kept_rows) {
        for (line, row) in s.lines.iter().zip(rows) {
            let available = left.entry((line.material_id, s.origin_id)).or_insert(0);
            if *available < i64::from(line.sent) {
                let material = catalogue.materials.values().find(|m| m.id == line.material_id);
                let origin = catalogue.locations.values().find(|l| l.id == s.origin_id);
                let what = format!(
                    "{} × {} / {}",
                    *available,
                    material.map(|m| m.code.as_str()).unwrap_or("?"),
                    origin.map(|l| l.code.as_str()).unwrap_or("?")
                );
                c.problem(row, "quantity", Invalid::with("import.err.insufficient", what));
            }
            *available -= i64::from(line.sent);
        }
    }

    let lines: usize = plan.shipments.iter().map(|s| s.lines.len()).sum();
    let delivered: i64 = plan.shipments.iter().flat_map(|s| &s.lines).map(|l| i64::from(l.received)).sum();
    let short: i64 =
        plan.shipments.iter().flat_map(|s| &s.lines).map(|l| i64::from(l.sent.get() - l.received.get())).sum();
    let effects = vec![
        ("import.effect.shipments".to_string(), plan.shipments.len()),
        ("import.effect.lines".to_string(), lines),
        ("import.effect.units_delivered".to_string(), delivered as usize),
        ("import.effect.units_short".to_string(), short as usize),
    ];
    Ok((plan, c.report(effects, skipped)))
}

/// Places by (lower-case name, upper-case region code), for files without codes.
fn names(catalogue: &Catalogue) -> HashMap<(String, String), Vec<&Location>> {
    let region_codes: HashMap<i32, &str> = catalogue.regions.iter().map(|(code, r)| (r.id, code.as_str())).collect();
    let mut map: HashMap<(String, String), Vec<&Location>> = HashMap::new();
    for l in catalogue.locations.values() {
        let region = l.region_id.and_then(|id| region_codes.get(&id)).copied().unwrap_or("");
        map.entry((l.name.to_lowercase(), region.to_string())).or_default().push(l);
        map.entry((l.name.to_lowercase(), String::new())).or_default().push(l);
    }
    map
}

fn check_row<'c>(
    c: &mut Checker,
    row: &Row,
    catalogue: &'c Catalogue,
    by_name: &HashMap<(String, String), Vec<&'c Location>>,
    chosen_origin: Option<&'c Location>,
) -> Option<Checked<'c>> {
    let date = c.date(row, "delivered_on", catalogue);
    let material = c.material(row, "material_code", catalogue);
    if let Some(m) = material.filter(|m| m.is_broadcast()) {
        c.problem(row, "material_code", Invalid::with("import.err.not_stocked", &m.code));
    }
    let received = c.positive(row, "quantity");
    let sent = match c.get(row, "quantity_sent") {
        "" => received,
        _ => c.positive(row, "quantity_sent"),
    };
    if let (Some(r), Some(s)) = (received, sent) {
        if s < r {
            c.problem(row, "quantity_sent", Invalid::with("import.err.sent_below_received", r));
        }
    }
    if let (Some(m), Some(s)) = (material, sent) {
        let column = if c.get(row, "quantity_sent").is_empty() { "quantity" } else { "quantity_sent" };
        c.over_limit(row, column, m, s.get());
    }
    let destination = if !c.get(row, "location_code").is_empty() {
        c.location(row, "location_code", catalogue)
    } else {
        let name = c.get(row, "location_name").to_lowercase();
        let region = c.get(row, "region_code").to_uppercase();
        let found = match by_name.get(&(name, region)).map(Vec::as_slice) {
            _ if c.get(row, "location_name").is_empty() => Err(Invalid::new("err.required")),
            Some([one]) => Ok(*one),
            Some([_, _, ..]) => Err(Invalid::with("import.err.ambiguous_name", c.get(row, "location_name"))),
            _ => Err(Invalid::with("import.err.unknown_location", c.get(row, "location_name"))),
        }
        .and_then(|l| {
            if catalogue.access.covers(l.region_id) {
                Ok(l)
            } else {
                Err(Invalid::with("import.err.outside_regions", &l.code))
            }
        });
        c.check(row, "location_name", found)
    };
    let column = if c.get(row, "location_code").is_empty() { "location_name" } else { "location_code" };
    if let Some(d) = destination.filter(|d| d.is_depot || d.region_id.is_none()) {
        c.problem(row, column, Invalid::with("import.err.not_a_point", &d.code));
    }
    let origin = match chosen_origin {
        Some(o) => Some(o),
        None if c.get(row, "origin_code").is_empty() => {
            c.problem(row, "origin_code", Invalid::new("import.err.origin_required"));
            None
        }
        None => c.location(row, "origin_code", catalogue),
    };
    if let Some(o) = origin.filter(|o| !o.is_depot) {
        c.problem(row, "origin_code", Invalid::with("import.err.not_a_depot", &o.code));
    }
    let reference = c.text(row, "shipment_reference", 60).map(|r| Some(r).filter(|r| !r.is_empty()));
    let external_ref = c.external_ref(row);
    let material = material.filter(|m| !m.is_broadcast())?;
    let destination = destination.filter(|d| !d.is_depot && d.region_id.is_some())?;
    let origin = origin.filter(|o| o.is_depot)?;
    let (date, received, sent) = (date?, received?, sent?);
    if sent < received {
        return None;
    }
    Some(Checked {
        date,
        material_id: material.id,
        material_code: &material.code,
        destination,
        origin,
        received,
        sent,
        reference: reference?,
        external_ref: external_ref?,
    })
}

/// Of the file's references and external references, those already recorded (reference →
/// destination).
fn recorded(conn: &mut DbConn, plan: &Plan) -> QueryResult<(HashMap<String, LocationId>, HashSet<String>)> {
    let refs: Vec<String> = plan.shipments.iter().filter_map(|s| s.reference.clone()).collect();
    let mut references = HashMap::new();
    for chunk in refs.chunks(1000) {
        let found: Vec<(String, LocationId)> = shipments::table
            .filter(shipments::reference.eq_any(chunk))
            .select((shipments::reference, shipments::destination_id))
            .load(conn)?;
        references.extend(found.into_iter().map(|(r, d)| (r.to_uppercase(), d)));
    }
    let externals: Vec<String> = plan.shipments.iter().filter_map(|s| s.external_ref.clone()).collect();
    let mut external = HashSet::new();
    for chunk in externals.chunks(1000) {
        let found: Vec<Option<String>> = shipments::table
            .filter(shipments::external_ref.eq_any(chunk))
            .select(shipments::external_ref)
            .load(conn)?;
        external.extend(found.into_iter().flatten());
    }
    Ok((references, external))
}

/// Stock on hand at the plan's origins, per (material, origin).
fn balances(conn: &mut DbConn, plan: &Plan) -> QueryResult<HashMap<(MaterialId, LocationId), i64>> {
    let origins: HashSet<LocationId> = plan.shipments.iter().map(|s| s.origin_id).collect();
    let origins: Vec<LocationId> = origins.into_iter().collect();
    let rows: Vec<(MaterialId, LocationId, i32)> = stock_balances::table
        .filter(stock_balances::location_id.eq_any(origins))
        .select((stock_balances::material_id, stock_balances::location_id, stock_balances::on_hand))
        .load(conn)?;
    Ok(rows.into_iter().map(|(m, l, q)| ((m, l), i64::from(q))).collect())
}

/// Writes the shipments, lines and status events in multi-row inserts and posts the movements;
/// inside the caller's write transaction.
pub fn write(
    conn: &mut DbConn,
    plan: &Plan,
    import_id: i32,
    user_id: Option<UserId>,
    progress: &mut dyn FnMut(usize),
) -> Result<usize, ImportError> {
    let transit = Location::transit_id(conn)?;
    let ids: Vec<ShipmentId> =
        reserve_ids(conn, "shipments", plan.shipments.len())?.into_iter().map(ShipmentId).collect();
    let line_count = plan.shipments.iter().map(|s| s.lines.len()).sum();
    let mut line_ids = reserve_ids(conn, "shipment_lines", line_count)?.into_iter().map(ShipmentLineId);
    let line_ids: Vec<Vec<ShipmentLineId>> =
        plan.shipments.iter().map(|s| line_ids.by_ref().take(s.lines.len()).collect()).collect();
    let at = now();
    let note = format!("import #{import_id}");
    let references: Vec<String> = plan
        .shipments
        .iter()
        .map(|s| s.reference.clone().unwrap_or_else(|| format!("IMP-{import_id}-{}", s.first_line)))
        .collect();
    let numbered: Vec<(usize, &Shipment)> = plan.shipments.iter().enumerate().collect();
    for chunk in numbered.chunks(INSERT_PARAMETERS / 16) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(i, s)| {
                (
                    (
                        shipments::id.eq(ids[*i]),
                        shipments::reference.eq(references[*i].as_str()),
                        shipments::origin_id.eq(s.origin_id),
                        shipments::destination_id.eq(s.destination_id),
                        shipments::carrier.eq(""),
                        shipments::expected_on.eq(Some(s.date)),
                        shipments::status.eq(ShipmentStatus::Delivered),
                        shipments::dispatched_on.eq(Some(s.date)),
                    ),
                    (
                        shipments::delivered_on.eq(Some(s.date)),
                        shipments::received_by.eq(""),
                        shipments::delivery_note.eq(""),
                        shipments::note.eq(note.as_str()),
                        shipments::external_ref.eq(s.external_ref.as_deref()),
                        shipments::created_by.eq(user_id),
                        shipments::created_at.eq(at),
                        shipments::updated_at.eq(at),
                    ),
                )
            })
            .collect();
        insert_rows!(conn, shipments::table, &rows);
    }
    let lines: Vec<(ShipmentLineId, ShipmentId, &Line)> =
        numbered.iter().flat_map(|(i, s)| s.lines.iter().zip(&line_ids[*i]).map(|(l, id)| (*id, ids[*i], l))).collect();
    for chunk in lines.chunks(INSERT_PARAMETERS / 6) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(id, shipment_id, l)| {
                (
                    shipment_lines::id.eq(*id),
                    shipment_lines::shipment_id.eq(*shipment_id),
                    shipment_lines::material_id.eq(l.material_id),
                    shipment_lines::quantity.eq(l.sent),
                    shipment_lines::quantity_received.eq(Some(l.received)),
                    shipment_lines::shortfall_reason.eq((l.received < l.sent).then_some("other")),
                )
            })
            .collect();
        insert_rows!(conn, shipment_lines::table, &rows);
    }
    let events: Vec<(ShipmentId, ShipmentStatus)> =
        ids.iter().flat_map(|id| [(*id, ShipmentStatus::Dispatched), (*id, ShipmentStatus::Delivered)]).collect();
    for chunk in events.chunks(INSERT_PARAMETERS / 5) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(id, status)| {
                (
                    shipment_events::shipment_id.eq(*id),
                    shipment_events::status.eq(*status),
                    shipment_events::at.eq(at),
                    shipment_events::user_id.eq(user_id),
                    shipment_events::note.eq(note.as_str()),
                )
            })
            .collect();
        insert_rows!(conn, shipment_events::table, &rows);
    }
    let mut postings = Vec::with_capacity(10_016);
    for (i, s) in &numbered {
        let source = |line_id: ShipmentLineId| Source {
            shipment_id: Some(ids[*i]),
            shipment_line_id: Some(line_id),
            ..Default::default()
        };
        for (l, line_id) in s.lines.iter().zip(&line_ids[*i]) {
            let posting = |from, to, quantity, kind, reason: &str| Posting {
                material_id: l.material_id,
                from,
                to,
                quantity,
                kind,
                effective_on: s.date,
                source: source(*line_id),
                reason: reason.to_string(),
            };
            postings.push(posting(Some(s.origin_id), Some(transit), l.sent, MovementKind::Dispatch, ""));
            postings.push(posting(Some(transit), Some(s.destination_id), l.received, MovementKind::Delivery, ""));
            if let Some(short) = PositiveQuantity::new(l.sent.get() - l.received.get()) {
                postings.push(posting(Some(transit), None, short, MovementKind::Shortfall, "other"));
            }
        }
        // A shipment's movements stay in one batch: each batch is checked as a whole.
        if postings.len() >= 10_000 {
            ledger::post_batch(conn, user_id, &postings)?;
            progress(postings.len());
            postings.clear();
        }
    }
    if !postings.is_empty() {
        ledger::post_batch(conn, user_id, &postings)?;
        progress(postings.len());
    }
    Ok(plan.shipments.len())
}
