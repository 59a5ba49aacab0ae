//! Receipts: material arriving at a depot. Each row becomes a receipt and its ledger movement;
//! a row whose external reference is already recorded is skipped.

use super::check::{Catalogue, Checker, ExternalRefs};
use super::table::Table;
use super::{ImportError, ImportKind, Report};
use crate::db::bulk::{insert_rows, reserve_ids, INSERT_PARAMETERS};
use crate::db::schema::receipts;
use crate::db::{Connections, DbConn};
use crate::domain::Invalid;
use crate::domain::UserId;
use crate::ledger::{self, MovementKind, Posting, Source};
use crate::models::now;
use crate::models::receipt::NewReceipt;
use diesel::prelude::*;
use std::collections::HashSet;
use std::ops::ControlFlow;

const OPTIONAL: [&str; 3] = ["supplier", "reference", "external_ref"];

#[derive(Default)]
pub struct Plan {
    pub receipts: Vec<NewReceipt>,
}

pub fn check(
    db: &mut impl Connections<ImportError>,
    table: &Table,
    catalogue: &Catalogue,
) -> Result<(Plan, Report), ImportError> {
    let mut c = match Checker::new(table, ImportKind::Receipts, &OPTIONAL) {
        Ok(c) => c,
        Err(e) => return Ok((Plan::default(), Report::refused(e))),
    };
    let mut refs = ExternalRefs::new(db.with(|conn| Ok(recorded_refs(conn)?))?);
    let mut plan = Plan { receipts: Vec::new() };
    for row in &table.rows {
        let date = c.date(row, "received_on", catalogue);
        let material = c.material(row, "material_code", catalogue);
        if let Some(m) = material.filter(|m| m.is_broadcast()) {
            c.problem(row, "material_code", Invalid::with("import.err.not_stocked", &m.code));
        }
        let depot = c.location(row, "location_code", catalogue);
        if let Some(d) = depot.filter(|d| !d.is_depot || !d.is_active) {
            c.problem(row, "location_code", Invalid::with("import.err.not_a_depot", &d.code));
        }
        let quantity = c.positive(row, "quantity");
        if let (Some(m), Some(q)) = (material, quantity) {
            c.over_limit(row, "quantity", m, q.get());
        }
        let supplier = c.text(row, "supplier", 160);
        let reference = c.text(row, "reference", 100);
        let ControlFlow::Continue(external_ref) = refs.check(&mut c, row) else { continue };
        if let (Some(date), Some(m), Some(d), Some(quantity), Some(supplier), Some(reference), Some(external_ref)) =
            (date, material, depot, quantity, supplier, reference, external_ref)
        {
            plan.receipts.push(NewReceipt {
                material_id: m.id,
                location_id: d.id,
                quantity,
                received_on: date,
                supplier: if supplier.is_empty() { m.supplier.clone() } else { supplier },
                reference,
                external_ref,
            });
        }
    }
    let units: i64 = plan.receipts.iter().map(|r| i64::from(r.quantity)).sum();
    let effects = vec![
        ("import.effect.receipts".to_string(), plan.receipts.len()),
        ("import.effect.units_in".to_string(), units as usize),
    ];
    Ok((plan, c.report(effects, refs.skipped)))
}

fn recorded_refs(conn: &mut DbConn) -> QueryResult<HashSet<String>> {
    Ok(receipts::table
        .filter(receipts::external_ref.is_not_null())
        .select(receipts::external_ref.assume_not_null())
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Writes the receipts and posts their movements; inside the caller's write transaction.
pub fn write(
    conn: &mut DbConn,
    plan: &Plan,
    user_id: Option<UserId>,
    progress: &mut dyn FnMut(usize),
) -> Result<usize, ImportError> {
    let ids = reserve_ids(conn, "receipts", plan.receipts.len())?;
    let at = now();
    let pairs: Vec<(i32, &NewReceipt)> = ids.iter().copied().zip(&plan.receipts).collect();
    for chunk in pairs.chunks(INSERT_PARAMETERS / 10) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(id, r)| {
                (
                    receipts::id.eq(*id),
                    receipts::material_id.eq(r.material_id),
                    receipts::location_id.eq(r.location_id),
                    receipts::quantity.eq(r.quantity),
                    receipts::received_on.eq(r.received_on),
                    receipts::supplier.eq(r.supplier.as_str()),
                    receipts::reference.eq(r.reference.as_str()),
                    receipts::external_ref.eq(r.external_ref.as_deref()),
                    receipts::recorded_by.eq(user_id),
                    receipts::recorded_at.eq(at),
                )
            })
            .collect();
        insert_rows!(conn, receipts::table, &rows);
    }
    let postings: Vec<Posting> = pairs
        .iter()
        .map(|(id, r)| Posting {
            material_id: r.material_id,
            from: None,
            to: Some(r.location_id),
            quantity: r.quantity,
            kind: MovementKind::Receipt,
            effective_on: r.received_on,
            source: Source { receipt_id: Some(crate::domain::ReceiptId(*id)), ..Default::default() },
            reason: String::new(),
        })
        .collect();
    for chunk in postings.chunks(10_000) {
        ledger::post_batch(conn, user_id, chunk)?;
        progress(chunk.len());
    }
    Ok(plan.receipts.len())
}
