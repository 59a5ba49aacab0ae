//! Receipts from the printer or a partner into a depot, and their reversal.

use super::{active_depot, ask, duplicate_window_start, stocked_material, Caller, Command, Plan};
use super::{MaterialError, PlaceError};
use crate::db::DbConn;
use crate::domain::{Answers, LocationId, MovementId, Question, ReceiptId};
use crate::ledger::{self, LedgerError, MovementKind, Posting, Source};
use crate::models::audit::AuditEntry;
use crate::models::location::Location;
use crate::models::receipt::{NewReceipt, Receipt};

/// Why a receipt was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("depot: {0}")]
    Place(PlaceError),
    #[error("material: {0}")]
    Material(MaterialError),
    #[error("needs confirmation")]
    Questions(Vec<Question>),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}
super::lookups_into!(ReceiptError);

/// Record a receipt; more than the material's limit, a date before its campaign, or the same
/// receipt again within minutes is asked about first.
#[derive(Debug, Clone)]
pub struct RecordReceipt {
    pub by: Caller,
    pub receipt: NewReceipt,
    pub answers: Answers,
}

/// A checked receipt, with what its audit line names.
#[derive(Debug, Clone)]
pub struct ReceiptPlan {
    by: Caller,
    receipt: NewReceipt,
    summary: String,
}

impl Command for RecordReceipt {
    type Plan = ReceiptPlan;
    type Error = ReceiptError;

    fn validate(&self, conn: &mut DbConn) -> Result<ReceiptPlan, ReceiptError> {
        let new = &self.receipt;
        let depot = active_depot(conn, &self.by.access, new.location_id)?;
        let material = stocked_material(conn, new.material_id)?;
        let mut questions: Vec<Question> = material.over_limit(new.quantity.get()).into_iter().collect();
        questions.extend(super::before_campaign(conn, &material, new.received_on)?);
        if let Some(user) = self.by.user_id().filter(|_| !self.answers.duplicate) {
            if let Some(earlier) = Receipt::recent_same(conn, user, new, duplicate_window_start())? {
                questions.push(super::likely_duplicate(
                    "receipt",
                    earlier.id.0,
                    earlier.recorded_at,
                    super::Earlier {
                        units: i64::from(earlier.quantity),
                        material: material.names(),
                        place: depot.name.clone(),
                        reference: earlier.reference,
                    },
                ));
            }
        }
        ask(self.answers, questions).map_err(ReceiptError::Questions)?;
        let summary = format!("{} × {} at {} ({})", new.quantity, material.code, depot.code, new.received_on);
        Ok(ReceiptPlan { by: self.by.clone(), receipt: new.clone(), summary })
    }
}

impl Plan for ReceiptPlan {
    type Output = ReceiptId;
    type Error = ReceiptError;

    /// The ledger re-checks the date against the lock date as it posts.
    fn write(&self, conn: &mut DbConn) -> Result<ReceiptId, ReceiptError> {
        let new = &self.receipt;
        let id = Receipt::insert(conn, new, self.by.user_id())?;
        ledger::post(
            conn,
            self.by.user_id(),
            &[Posting {
                material_id: new.material_id,
                from: None,
                to: Some(new.location_id),
                quantity: new.quantity,
                kind: MovementKind::Receipt,
                effective_on: new.received_on,
                source: Source { receipt_id: Some(id), ..Default::default() },
                reason: String::new(),
            }],
        )?;
        AuditEntry::record(conn, &self.by.actor, "create", "receipt", id, &self.summary)?;
        Ok(id)
    }
}

/// Why a receipt or an adjustment was not reversed.
#[derive(Debug, thiserror::Error)]
pub enum ReversalError {
    #[error("no such record")]
    NotFound,
    #[error("the record lies outside the user's regions")]
    OutsideRegions,
    #[error("a reason is required")]
    ReasonRequired,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Reverse a receipt: its movement is undone by a reversal that names it.
#[derive(Debug, Clone)]
pub struct ReverseReceipt {
    pub by: Caller,
    pub receipt_id: ReceiptId,
    pub reason: String,
}

/// Which movement a reversal undoes, and why.
#[derive(Debug, Clone)]
pub struct ReversalPlan {
    pub(super) by: Caller,
    pub(super) record: (&'static str, i32),
    pub(super) movement_id: MovementId,
    pub(super) reason: String,
}

impl Command for ReverseReceipt {
    type Plan = ReversalPlan;
    type Error = ReversalError;

    fn validate(&self, conn: &mut DbConn) -> Result<ReversalPlan, ReversalError> {
        let receipt = Receipt::find(conn, self.receipt_id)?.ok_or(ReversalError::NotFound)?;
        let source = Source { receipt_id: Some(receipt.id), ..Default::default() };
        reversal(conn, &self.by, ("receipt", receipt.id.0), receipt.location_id, source, &self.reason)
    }
}

/// Checks a reversal of the record's original movement at `location_id`.
pub(super) fn reversal(
    conn: &mut DbConn,
    by: &Caller,
    record: (&'static str, i32),
    location_id: LocationId,
    source: Source,
    reason: &str,
) -> Result<ReversalPlan, ReversalError> {
    let place = Location::get(conn, location_id)?.ok_or(ReversalError::NotFound)?;
    if !by.access.covers(place.region_id) {
        return Err(ReversalError::OutsideRegions);
    }
    if reason.trim().is_empty() {
        return Err(ReversalError::ReasonRequired);
    }
    let movements = ledger::movements_of(conn, source)?;
    let original = movements.iter().find(|m| m.reverses_id.is_none()).ok_or(ReversalError::NotFound)?;
    Ok(ReversalPlan { by: by.clone(), record, movement_id: original.id, reason: reason.trim().to_string() })
}

impl Plan for ReversalPlan {
    type Output = ();
    type Error = ReversalError;

    /// A movement reversed meanwhile is refused by the ledger ("already reversed").
    fn write(&self, conn: &mut DbConn) -> Result<(), ReversalError> {
        ledger::reverse(conn, self.by.user_id(), self.movement_id, &self.reason)?;
        let (table, id) = self.record;
        AuditEntry::record(conn, &self.by.actor, "reverse", table, id, &self.reason)?;
        Ok(())
    }
}
