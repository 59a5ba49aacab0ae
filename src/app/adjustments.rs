//! Adjustments at a depot (loss, damage, count corrections), their reversal, and whole-depot counts.

use super::receipts::{reversal, ReversalError, ReversalPlan};
use super::{active_depot, ask, duplicate_window_start, stocked_material, Caller, Command, Plan};
use super::{MaterialError, PlaceError};
use crate::db::DbConn;
use crate::domain::{AdjustmentId, Answers, LocationId, MaterialId, PositiveQuantity, Question};
use crate::ledger::{self, LedgerError, MovementKind, Posting, Source};
use crate::models::adjustment::{Adjustment, NewAdjustment, StockCount};
use crate::models::audit::AuditEntry;
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

/// Why an adjustment or a count was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum AdjustmentError {
    #[error("depot: {0}")]
    Place(PlaceError),
    #[error("material: {0}")]
    Material(MaterialError),
    #[error("no such kind of adjustment")]
    UnknownKind,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("a counted quantity cannot be negative")]
    NegativeCount,
    #[error("needs confirmation")]
    Questions(Vec<Question>),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}
super::lookups_into!(AdjustmentError);

/// Record an adjustment; more than the material's limit, a date before its campaign, or the same
/// adjustment again within minutes is asked about first.
#[derive(Debug, Clone)]
pub struct RecordAdjustment {
    pub by: Caller,
    pub adjustment: NewAdjustment,
    pub answers: Answers,
}

/// A checked adjustment and its movement.
#[derive(Debug, Clone)]
pub struct AdjustmentPlan {
    by: Caller,
    adjustment: NewAdjustment,
    kind: MovementKind,
    outward: bool,
    summary: String,
}

impl Command for RecordAdjustment {
    type Plan = AdjustmentPlan;
    type Error = AdjustmentError;

    fn validate(&self, conn: &mut DbConn) -> Result<AdjustmentPlan, AdjustmentError> {
        let new = &self.adjustment;
        let depot = active_depot(conn, &self.by.access, new.location_id)?;
        let material = stocked_material(conn, new.material_id)?;
        let (kind, outward) = movement_of(new.kind).ok_or(AdjustmentError::UnknownKind)?;
        if new.reason.trim().is_empty() {
            return Err(AdjustmentError::ReasonRequired);
        }
        let mut questions: Vec<Question> = material.over_limit(new.quantity.get()).into_iter().collect();
        questions.extend(super::before_campaign(conn, &material, new.effective_on)?);
        if let Some(user) = self.by.user_id().filter(|_| !self.answers.duplicate) {
            if let Some(earlier) = Adjustment::recent_same(conn, user, new, duplicate_window_start())? {
                questions.push(super::likely_duplicate(
                    "adjustment",
                    earlier.id.0,
                    earlier.recorded_at,
                    super::Earlier {
                        units: i64::from(earlier.quantity),
                        material: material.names(),
                        place: depot.name.clone(),
                        reference: earlier.reason,
                    },
                ));
            }
        }
        ask(self.answers, questions).map_err(AdjustmentError::Questions)?;
        let summary = format!("{} {} × {} at {}: {}", new.kind, new.quantity, material.code, depot.code, new.reason);
        Ok(AdjustmentPlan { by: self.by.clone(), adjustment: new.clone(), kind, outward, summary })
    }
}

impl Plan for AdjustmentPlan {
    type Output = AdjustmentId;
    type Error = AdjustmentError;

    /// The ledger re-checks the balance (`>= n`) and the lock date as it posts.
    fn write(&self, conn: &mut DbConn) -> Result<AdjustmentId, AdjustmentError> {
        let new = &self.adjustment;
        let id = Adjustment::insert(conn, new, self.by.user_id())?;
        let depot = Some(new.location_id);
        let (from, to) = if self.outward { (depot, None) } else { (None, depot) };
        ledger::post(
            conn,
            self.by.user_id(),
            &[Posting {
                material_id: new.material_id,
                from,
                to,
                quantity: new.quantity,
                kind: self.kind,
                effective_on: new.effective_on,
                source: Source { adjustment_id: Some(id), ..Default::default() },
                reason: new.reason.clone(),
            }],
        )?;
        AuditEntry::record(conn, &self.by.actor, "create", "adjustment", id, &self.summary)?;
        Ok(id)
    }
}

/// Reverse an adjustment: its movement is undone by a reversal that names it.
#[derive(Debug, Clone)]
pub struct ReverseAdjustment {
    pub by: Caller,
    pub adjustment_id: AdjustmentId,
    pub reason: String,
}

impl Command for ReverseAdjustment {
    type Plan = ReversalPlan;
    type Error = ReversalError;

    fn validate(&self, conn: &mut DbConn) -> Result<ReversalPlan, ReversalError> {
        let adjustment = Adjustment::find(conn, self.adjustment_id)?.ok_or(ReversalError::NotFound)?;
        let source = Source { adjustment_id: Some(adjustment.id), ..Default::default() };
        reversal(conn, &self.by, ("adjustment", adjustment.id.0), adjustment.location_id, source, &self.reason)
    }
}

/// Post a whole-depot count: every counted quantity that differs from the balance when it is
/// written becomes a count correction.
#[derive(Debug, Clone)]
pub struct PostCount {
    pub by: Caller,
    pub location_id: LocationId,
    pub counted_on: NaiveDate,
    pub note: String,
    /// (material, quantity counted) for what was counted.
    pub counted: Vec<(MaterialId, i32)>,
    pub answers: Answers,
}

/// A checked count; the corrections are worked out against the balances as it is written.
#[derive(Debug, Clone)]
pub struct CountPlan {
    count: PostCount,
    depot_code: String,
    /// Each counted material's code, for the corrections' audit lines.
    material_codes: Vec<String>,
}

impl Command for PostCount {
    type Plan = CountPlan;
    type Error = AdjustmentError;

    fn validate(&self, conn: &mut DbConn) -> Result<CountPlan, AdjustmentError> {
        let depot = active_depot(conn, &self.by.access, self.location_id)?;
        ledger::check_date(ledger::lock_date(conn)?, self.counted_on)?;
        let mut questions = Vec::new();
        let mut material_codes = Vec::new();
        for (material_id, quantity) in &self.counted {
            if *quantity < 0 {
                return Err(AdjustmentError::NegativeCount);
            }
            let material = stocked_material(conn, *material_id)?;
            questions.extend(material.over_limit(*quantity));
            material_codes.push(material.code);
        }
        ask(self.answers, questions).map_err(AdjustmentError::Questions)?;
        Ok(CountPlan { count: self.clone(), depot_code: depot.code, material_codes })
    }
}

impl Plan for CountPlan {
    /// The count's id and how many corrections were posted.
    type Output = (i32, usize);
    type Error = AdjustmentError;

    fn write(&self, conn: &mut DbConn) -> Result<(i32, usize), AdjustmentError> {
        let PostCount { by, location_id, counted_on, note, counted, .. } = &self.count;
        let count_id = StockCount::insert(conn, *location_id, *counted_on, note, by.user_id())?;
        let mut corrections = 0;
        for ((material_id, quantity), code) in counted.iter().zip(&self.material_codes) {
            let book = ledger::on_hand(conn, *material_id, *location_id)?;
            // Both are counts of zero or more: their difference fits, and is zero when they agree.
            let Some(diff) = PositiveQuantity::new((quantity - book).abs()) else { continue };
            let kind = if *quantity > book { "count_up" } else { "count_down" };
            let reason = if note.trim().is_empty() {
                format!("count #{count_id}")
            } else {
                format!("count #{count_id}: {}", note.trim())
            };
            let (movement, outward) = movement_of(kind).ok_or(AdjustmentError::UnknownKind)?;
            let adjustment = NewAdjustment {
                material_id: *material_id,
                location_id: *location_id,
                kind,
                quantity: diff,
                effective_on: *counted_on,
                reason: reason.clone(),
                stock_count_id: Some(count_id),
            };
            // The count asked its questions as a whole: each correction is written as it stands.
            let summary = format!("{kind} {diff} × {code} at {}: {reason}", self.depot_code);
            AdjustmentPlan { by: by.clone(), adjustment, kind: movement, outward, summary }.write(conn)?;
            corrections += 1;
        }
        AuditEntry::record(
            conn,
            &by.actor,
            "count",
            "location",
            *location_id,
            &format!("count #{count_id}: {corrections} correction(s)"),
        )?;
        Ok((count_id, corrections))
    }
}
