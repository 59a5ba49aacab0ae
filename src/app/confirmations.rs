//! What lets a recipient confirm a delivery without an account. The delivery note says which
//! shipment; the place's own PIN, handed to the institution apart from any shipment, says who
//! confirms — so the carrier, who holds the note, cannot confirm his own delivery.

use super::shipments::takes_delivery_code;
use super::{Access, Caller, Command, Plan};
use crate::db::DbConn;
use crate::domain::{DeliveryKey, LocationId, ShipmentId, ShipmentStatus};
use crate::models::audit::{Actor, AuditEntry};
use crate::models::delivery_code::DeliveryCode;
use crate::models::location::Location;
use crate::models::shipment::Shipment;

/// Why a place's PIN was not made.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// No such place, or one in a region the user does not work in.
    #[error("no such place")]
    NotFound,
    /// Depots and stock in transit receive no deliveries to confirm.
    #[error("not a distribution point")]
    NotAPoint,
    #[error("the place is not in use")]
    Inactive,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Make a distribution point's confirmation PIN, replacing the one before it (which stops
/// working at once). The PIN arrives hashed: it is shown once, by the caller, and never stored.
#[derive(Debug, Clone)]
pub struct MakePlacePin {
    pub actor: Actor,
    pub access: Access,
    pub location_id: LocationId,
    pub pin_hash: String,
}

/// A checked PIN change, with the code its audit line names.
#[derive(Debug, Clone)]
pub struct MakePlacePinPlan {
    command: MakePlacePin,
    code: String,
}

impl Command for MakePlacePin {
    type Plan = MakePlacePinPlan;
    type Error = PinError;

    fn validate(&self, conn: &mut DbConn) -> Result<MakePlacePinPlan, PinError> {
        let place = Location::get(conn, self.location_id)?
            .filter(|l| self.access.covers(l.region_id))
            .ok_or(PinError::NotFound)?;
        if place.is_depot || place.region_id.is_none() {
            return Err(PinError::NotAPoint);
        }
        if !place.is_active {
            return Err(PinError::Inactive);
        }
        Ok(MakePlacePinPlan { command: self.clone(), code: place.code })
    }
}

impl Plan for MakePlacePinPlan {
    type Output = LocationId;
    type Error = PinError;

    fn write(&self, conn: &mut DbConn) -> Result<LocationId, PinError> {
        let MakePlacePin { actor, location_id, pin_hash, .. } = &self.command;
        if Location::set_confirm_pin(conn, *location_id, pin_hash)? == 0 {
            return Err(PinError::NotFound);
        }
        // The audit line names the place, never the PIN.
        AuditEntry::record(conn, actor, "make_pin", "location", *location_id, &self.code)?;
        Ok(*location_id)
    }
}

/// Why a delivery code was not issued or unlocked.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// No such shipment, or one neither end of which lies in the user's regions.
    #[error("no such shipment")]
    NotFound,
    /// Only a shipment in transit to a distribution point has a code to confirm with.
    #[error("not in transit to a distribution point")]
    NotConfirmable,
    #[error("the link is not locked")]
    NotLocked,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The shipment, if the caller works at either end of it.
fn shipment_at_either_end(
    conn: &mut DbConn,
    access: &Access,
    id: ShipmentId,
) -> Result<(Shipment, Location), CodeError> {
    let shipment = Shipment::find(conn, id)?.ok_or(CodeError::NotFound)?;
    let origin = Location::get(conn, shipment.origin_id)?.ok_or(CodeError::NotFound)?;
    let destination = Location::get(conn, shipment.destination_id)?.ok_or(CodeError::NotFound)?;
    if !access.covers(origin.region_id) && !access.covers(destination.region_id) {
        return Err(CodeError::NotFound);
    }
    Ok((shipment, destination))
}

/// A new code for a shipment in transit to a distribution point, voiding every printed copy of
/// the one before it (a note lost or seen by the wrong people; a shipment dispatched before
/// codes existed).
#[derive(Debug, Clone)]
pub struct IssueDeliveryCode {
    pub by: Caller,
    pub shipment_id: ShipmentId,
    pub codes: DeliveryKey,
}

/// A checked re-issue, with the reference its audit line names.
#[derive(Debug, Clone)]
pub struct IssuePlan {
    command: IssueDeliveryCode,
    reference: String,
}

impl Command for IssueDeliveryCode {
    type Plan = IssuePlan;
    type Error = CodeError;

    fn validate(&self, conn: &mut DbConn) -> Result<IssuePlan, CodeError> {
        let (shipment, destination) = shipment_at_either_end(conn, &self.by.access, self.shipment_id)?;
        if shipment.status != ShipmentStatus::Dispatched || !takes_delivery_code(&destination) {
            return Err(CodeError::NotConfirmable);
        }
        Ok(IssuePlan { command: self.clone(), reference: shipment.reference })
    }
}

impl Plan for IssuePlan {
    type Output = ShipmentId;
    type Error = CodeError;

    fn write(&self, conn: &mut DbConn) -> Result<ShipmentId, CodeError> {
        let IssueDeliveryCode { by, shipment_id, codes } = &self.command;
        // Conditional on the status as checked: a shipment delivered or cancelled since gets no code.
        if Shipment::find(conn, *shipment_id)?.is_none_or(|s| s.status != ShipmentStatus::Dispatched) {
            return Err(CodeError::NotConfirmable);
        }
        DeliveryCode::issue(conn, codes, *shipment_id, by.user_id())?;
        AuditEntry::record(conn, &by.actor, "issue_code", "shipment", *shipment_id, &self.reference)?;
        Ok(*shipment_id)
    }
}

/// Staff unlock a link that wrong PINs locked.
#[derive(Debug, Clone)]
pub struct UnlockDeliveryCode {
    pub by: Caller,
    pub shipment_id: ShipmentId,
}

impl Command for UnlockDeliveryCode {
    type Plan = UnlockPlan;
    type Error = CodeError;

    fn validate(&self, conn: &mut DbConn) -> Result<UnlockPlan, CodeError> {
        let (shipment, _) = shipment_at_either_end(conn, &self.by.access, self.shipment_id)?;
        let code = DeliveryCode::live_for(conn, shipment.id)?.ok_or(CodeError::NotLocked)?;
        if code.locked_at.is_none() {
            return Err(CodeError::NotLocked);
        }
        Ok(UnlockPlan {
            by: self.by.clone(),
            shipment_id: shipment.id,
            code_id: code.id,
            reference: shipment.reference,
        })
    }
}

/// A checked unlock of one code.
#[derive(Debug, Clone)]
pub struct UnlockPlan {
    by: Caller,
    shipment_id: ShipmentId,
    code_id: i32,
    reference: String,
}

impl Plan for UnlockPlan {
    type Output = ShipmentId;
    type Error = CodeError;

    fn write(&self, conn: &mut DbConn) -> Result<ShipmentId, CodeError> {
        if DeliveryCode::unlock(conn, self.code_id)? == 0 {
            return Err(CodeError::NotLocked);
        }
        AuditEntry::record(conn, &self.by.actor, "unlock_code", "shipment", self.shipment_id, &self.reference)?;
        Ok(self.shipment_id)
    }
}
