//! What lets a recipient confirm a delivery without an account. The delivery note says which
//! shipment; the place's own PIN, handed to the institution apart from any shipment, says who
//! confirms — so the carrier, who holds the note, cannot confirm his own delivery.

use super::{Access, Command, Plan};
use crate::db::DbConn;
use crate::domain::LocationId;
use crate::models::audit::{Actor, AuditEntry};
use crate::models::location::Location;

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
