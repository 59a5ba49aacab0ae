//! Adjustments at a depot (loss, damage, count corrections), their reversal, and whole-depot counts.

use super::{active_depot, ask, duplicate_window_start, minutes_since, stocked_material, Access};
use crate::db::DbConn;
use crate::domain::{Answers, Invalid, Question, Recorded};
use crate::error::AppError;
use crate::ledger::{self, MovementKind, Posting, Source};
use crate::models::adjustment::{Adjustment, NewAdjustment, StockCount};
use crate::models::audit::{Actor, AuditEntry};
use chrono::NaiveDate;

/// The movement kind and direction of an adjustment kind: (kind, takes stock away).
pub fn movement_of(kind: &str) -> Option<(MovementKind, bool)> {
    match kind {
        "loss" => Some((MovementKind::Loss, true)),
        "damage" => Some((MovementKind::Damage, true)),
        "count_down" => Some((MovementKind::CountDown, true)),
        "count_up" => Some((MovementKind::CountUp, false)),
        _ => None,
    }
}

/// Records an adjustment; more than the material's limit, or the same adjustment again within
/// minutes, is asked about first (a count's corrections are asked about by the count).
pub fn adjust(
    conn: &mut DbConn,
    access: &Access,
    actor: &Actor,
    new: &NewAdjustment,
    answers: Answers,
) -> Result<i32, AppError> {
    let depot = active_depot(conn, access, new.location_id)?;
    let material = stocked_material(conn, new.material_id)?;
    let (kind, outward) = movement_of(new.kind).ok_or(AppError::Refused(Invalid::new("err.unknown_choice")))?;
    if new.reason.trim().is_empty() {
        return Err(AppError::Refused(Invalid::new("err.reason_required")));
    }
    if new.stock_count_id.is_none() {
        let mut questions: Vec<Question> = material.over_limit(new.quantity).into_iter().collect();
        questions.extend(super::before_campaign(conn, &material, new.effective_on)?);
        if let Some(user) = access.user_id.filter(|_| !answers.duplicate) {
            if let Some(earlier) = Adjustment::recent_same(conn, user, new, duplicate_window_start())? {
                questions.push(Question::LikelyDuplicate {
                    minutes_ago: minutes_since(earlier.recorded_at),
                    earlier: Recorded {
                        kind: "adjustment",
                        label: format!("#{}", earlier.id),
                        path: format!("/adjustments/{}", earlier.id),
                        units: i64::from(earlier.quantity),
                        material: material.names(),
                        place: depot.name.clone(),
                        reference: earlier.reason,
                    },
                });
            }
        }
        ask(answers, questions)?;
    }
    let id = Adjustment::insert(conn, new, access.user_id)?;
    let (from, to) = if outward { (Some(depot.id), None) } else { (None, Some(depot.id)) };
    ledger::post(
        conn,
        access.user_id,
        &[Posting {
            material_id: material.id,
            from,
            to,
            quantity: new.quantity,
            kind,
            effective_on: new.effective_on,
            source: Source { adjustment_id: Some(id), ..Default::default() },
            reason: new.reason.clone(),
        }],
    )?;
    let summary = format!("{} {} × {} at {}: {}", new.kind, new.quantity, material.code, depot.code, new.reason);
    AuditEntry::record(conn, actor, "create", "adjustment", id, &summary)?;
    Ok(id)
}

pub fn reverse(conn: &mut DbConn, access: &Access, actor: &Actor, id: i32, reason: &str) -> Result<(), AppError> {
    let adjustment = Adjustment::find(conn, id)?.ok_or(AppError::NotFound)?;
    let depot = super::location(conn, adjustment.location_id, "err.unknown_depot")?;
    access.check(&depot)?;
    if reason.trim().is_empty() {
        return Err(AppError::Refused(Invalid::new("err.reason_required")));
    }
    let movements = ledger::movements_of(conn, Source { adjustment_id: Some(id), ..Default::default() })?;
    let original = movements.iter().find(|m| m.reverses_id.is_none()).ok_or(AppError::NotFound)?;
    ledger::reverse(conn, access.user_id, original.id, reason.trim())?;
    AuditEntry::record(conn, actor, "reverse", "adjustment", id, reason.trim())?;
    Ok(())
}

/// A whole-depot count as typed: (material, quantity counted) for what was counted.
#[derive(Debug, Clone)]
pub struct Count {
    pub location_id: i32,
    pub counted_on: NaiveDate,
    pub note: String,
    pub counted: Vec<(i32, i32)>,
}

/// Posts a whole-depot count: every counted quantity that differs from today's balance becomes a
/// count correction. Gives the count's id and how many corrections were posted.
pub fn count(
    conn: &mut DbConn,
    access: &Access,
    actor: &Actor,
    count: &Count,
    answers: Answers,
) -> Result<(i32, usize), AppError> {
    let Count { location_id, counted_on, note, counted } = count;
    let (location_id, counted_on) = (*location_id, *counted_on);
    let depot = active_depot(conn, access, location_id)?;
    ledger::check_date(ledger::lock_date(conn)?, counted_on)?;
    let mut questions = Vec::new();
    for (material_id, quantity) in counted {
        questions.extend(stocked_material(conn, *material_id)?.over_limit(*quantity));
    }
    ask(answers, questions)?;
    let count_id = StockCount::insert(conn, depot.id, counted_on, note, access.user_id)?;
    let mut corrections = 0;
    for (material_id, quantity) in counted {
        let material = stocked_material(conn, *material_id)?;
        let book = ledger::on_hand(conn, material.id, depot.id)?;
        if *quantity == book {
            continue;
        }
        let (kind, diff) =
            if *quantity > book { ("count_up", quantity - book) } else { ("count_down", book - quantity) };
        let reason = if note.trim().is_empty() {
            format!("count #{count_id}")
        } else {
            format!("count #{count_id}: {}", note.trim())
        };
        adjust(
            conn,
            access,
            actor,
            &NewAdjustment {
                material_id: material.id,
                location_id: depot.id,
                kind,
                quantity: diff,
                effective_on: counted_on,
                reason,
                stock_count_id: Some(count_id),
            },
            answers,
        )?;
        corrections += 1;
    }
    AuditEntry::record(
        conn,
        actor,
        "count",
        "location",
        depot.id,
        &format!("count #{count_id}: {corrections} correction(s)"),
    )?;
    Ok((count_id, corrections))
}
