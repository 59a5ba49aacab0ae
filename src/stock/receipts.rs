//! Receipts from the printer or a partner into a depot, and their reversal.

use super::{active_depot, ask, duplicate_window_start, minutes_since, stocked_material, Access};
use crate::db::DbConn;
use crate::domain::{Answers, Invalid, Question, Recorded};
use crate::error::AppError;
use crate::ledger::{self, MovementKind, Posting, Source};
use crate::models::audit::{Actor, AuditEntry};
use crate::models::receipt::{NewReceipt, Receipt};

/// Records a receipt; more than the material's limit, or the same receipt again within minutes,
/// is asked about first.
pub fn record(
    conn: &mut DbConn,
    access: &Access,
    actor: &Actor,
    new: &NewReceipt,
    answers: Answers,
) -> Result<i32, AppError> {
    let depot = active_depot(conn, access, new.location_id)?;
    let material = stocked_material(conn, new.material_id)?;
    let mut questions: Vec<Question> = material.over_limit(new.quantity).into_iter().collect();
    questions.extend(super::before_campaign(conn, &material, new.received_on)?);
    if let Some(user) = access.user_id.filter(|_| !answers.duplicate) {
        if let Some(earlier) = Receipt::recent_same(conn, user, new, duplicate_window_start())? {
            questions.push(Question::LikelyDuplicate {
                minutes_ago: minutes_since(earlier.recorded_at),
                earlier: Recorded {
                    kind: "receipt",
                    label: format!("#{}", earlier.id),
                    path: format!("/receipts/{}", earlier.id),
                    units: i64::from(earlier.quantity),
                    material: material.names(),
                    place: depot.name.clone(),
                    reference: earlier.reference,
                },
            });
        }
    }
    ask(answers, questions)?;
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
