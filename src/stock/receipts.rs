//! Receipts from the printer or a partner into a depot, and their reversal.

use super::{active_depot, stocked_material, Access};
use crate::db::DbConn;
use crate::domain::Invalid;
use crate::error::AppError;
use crate::ledger::{self, MovementKind, Posting, Source};
use crate::models::audit::{Actor, AuditEntry};
use crate::models::receipt::{NewReceipt, Receipt};

pub fn record(conn: &mut DbConn, access: &Access, actor: &Actor, new: &NewReceipt) -> Result<i32, AppError> {
    let depot = active_depot(conn, access, new.location_id)?;
    let material = stocked_material(conn, new.material_id)?;
    let id = Receipt::insert(conn, new, access.user_id)?;
    ledger::post(
        conn,
        access.user_id,
        &[Posting {
            material_id: material.id,
            from: None,
            to: Some(depot.id),
            quantity: new.quantity,
            kind: MovementKind::Receipt,
            effective_on: new.received_on,
            source: Source { receipt_id: Some(id), ..Default::default() },
            reason: String::new(),
        }],
    )?;
    let summary = format!("{} × {} at {} ({})", new.quantity, material.code, depot.code, new.received_on);
    AuditEntry::record(conn, actor, "create", "receipt", id, &summary)?;
    Ok(id)
}

pub fn reverse(conn: &mut DbConn, access: &Access, actor: &Actor, id: i32, reason: &str) -> Result<(), AppError> {
    let receipt = Receipt::find(conn, id)?.ok_or(AppError::NotFound)?;
    let depot = super::location(conn, receipt.location_id, "err.unknown_depot")?;
    access.check(&depot)?;
    if reason.trim().is_empty() {
        return Err(AppError::Refused(Invalid::new("err.reason_required")));
    }
    let movements = ledger::movements_of(conn, Source { receipt_id: Some(id), ..Default::default() })?;
    let original = movements.iter().find(|m| m.reverses_id.is_none()).ok_or(AppError::NotFound)?;
    ledger::reverse(conn, access.user_id, original.id, reason.trim())?;
    AuditEntry::record(conn, actor, "reverse", "receipt", id, reason.trim())?;
    Ok(())
}
