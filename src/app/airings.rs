//! Airings of the information spots by media outlets, and their correction. Spots are aired, not
//! stocked: nothing here touches the stock ledger, but the period lock applies all the same.

use super::{ask, duplicate_window_start, Caller, Command, Plan};
use crate::db::DbConn;
use crate::domain::{AiringId, Answers, Question};
use crate::ledger;
use crate::models::airing::{self, Airing, NewAiring, MAX_TIMES};
use crate::models::audit::AuditEntry;
use crate::models::location::Location;
use crate::models::material::Material;
use chrono::NaiveDate;

/// Why an airing was not recorded, or not corrected.
#[derive(Debug, thiserror::Error)]
pub enum AiringError {
    #[error("no such airing")]
    NotFound,
    #[error("the outlet lies outside the user's regions")]
    OutsideRegions,
    #[error("the material is not a broadcast spot")]
    NotASpot,
    #[error("the place is not a media outlet")]
    NotAMediaOutlet,
    #[error("the outlet is inactive")]
    OutletInactive,
    #[error("times aired out of range")]
    TooManyTimes,
    #[error("the period up to {lock_date} is closed")]
    PeriodClosed { lock_date: NaiveDate },
    #[error("the date lies in the future")]
    FutureDate,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("a correction cannot itself be corrected")]
    ReversalOfReversal,
    #[error("this airing was already corrected")]
    AlreadyReversed,
    #[error("needs confirmation")]
    Questions(Vec<Question>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Refuses a day inside the closed period or after today.
fn check_date(conn: &mut DbConn, day: NaiveDate) -> Result<(), AiringError> {
    if let Some(lock_date) = ledger::lock_date(conn)? {
        if day <= lock_date {
            return Err(AiringError::PeriodClosed { lock_date });
        }
    }
    if day > chrono::Utc::now().date_naive() {
        return Err(AiringError::FutureDate);
    }
    Ok(())
}

/// Record an airing of a spot by an outlet of the caller's regions; a date before the spot's
/// campaign, or the same airing again within minutes, is asked about first.
#[derive(Debug, Clone)]
pub struct RecordAiring {
    pub by: Caller,
    pub airing: NewAiring,
    pub answers: Answers,
}

/// A checked airing.
#[derive(Debug, Clone)]
pub struct AiringPlan {
    by: Caller,
    airing: NewAiring,
    summary: String,
}

impl Command for RecordAiring {
    type Plan = AiringPlan;
    type Error = AiringError;

    fn validate(&self, conn: &mut DbConn) -> Result<AiringPlan, AiringError> {
        let new = &self.airing;
        let material = Material::find(conn, new.material_id)?.ok_or(AiringError::NotASpot)?;
        if !material.is_broadcast() {
            return Err(AiringError::NotASpot);
        }
        let outlet = Location::get(conn, new.location_id)?.ok_or(AiringError::NotAMediaOutlet)?;
        if !airing::is_media_outlet(conn, &outlet)? {
            return Err(AiringError::NotAMediaOutlet);
        }
        if !outlet.is_active {
            return Err(AiringError::OutletInactive);
        }
        if !self.by.access.covers(outlet.region_id) {
            return Err(AiringError::OutsideRegions);
        }
        if !(1..=MAX_TIMES).contains(&new.times) {
            return Err(AiringError::TooManyTimes);
        }
        check_date(conn, new.aired_on)?;
        let mut questions: Vec<Question> = super::before_campaign(conn, &material, new.aired_on)?.into_iter().collect();
        if let Some(user) = self.by.user_id().filter(|_| !self.answers.duplicate) {
            if let Some(earlier) = Airing::recent_same(conn, user, new, duplicate_window_start())? {
                questions.push(super::likely_duplicate(
                    "airing",
                    earlier.id.0,
                    earlier.recorded_at,
                    super::Earlier {
                        units: i64::from(earlier.times),
                        material: material.names(),
                        place: outlet.name.clone(),
                        reference: earlier.programme,
                    },
                ));
            }
        }
        ask(self.answers, questions).map_err(AiringError::Questions)?;
        let summary = format!("{} × {} on {} ({})", new.times, material.code, outlet.code, new.aired_on);
        Ok(AiringPlan { by: self.by.clone(), airing: new.clone(), summary })
    }
}

impl Plan for AiringPlan {
    type Output = AiringId;
    type Error = AiringError;

    fn write(&self, conn: &mut DbConn) -> Result<AiringId, AiringError> {
        // The lock date may have moved since the check.
        check_date(conn, self.airing.aired_on)?;
        let id = Airing::insert(conn, &self.airing, self.by.user_id())?;
        AuditEntry::record(conn, &self.by.actor, "create", "airing", id, &self.summary)?;
        Ok(id)
    }
}

/// Correct airing `id` with a reversing row; refused for a correction, for an airing already
/// corrected, and inside the closed period. Gives the correction's id.
#[derive(Debug, Clone)]
pub struct ReverseAiring {
    pub by: Caller,
    pub airing_id: AiringId,
    pub reason: String,
}

/// A checked correction.
#[derive(Debug, Clone)]
pub struct ReverseAiringPlan {
    by: Caller,
    original: Airing,
    reason: String,
}

impl Command for ReverseAiring {
    type Plan = ReverseAiringPlan;
    type Error = AiringError;

    fn validate(&self, conn: &mut DbConn) -> Result<ReverseAiringPlan, AiringError> {
        let original = Airing::find(conn, self.airing_id)?.ok_or(AiringError::NotFound)?;
        let outlet = Location::get(conn, original.location_id)?.ok_or(AiringError::NotFound)?;
        if !self.by.access.covers(outlet.region_id) {
            return Err(AiringError::OutsideRegions);
        }
        let reason = self.reason.trim().to_string();
        if reason.is_empty() {
            return Err(AiringError::ReasonRequired);
        }
        if original.is_reversal() {
            return Err(AiringError::ReversalOfReversal);
        }
        if Airing::reversal_of(conn, original.id)?.is_some() {
            return Err(AiringError::AlreadyReversed);
        }
        Ok(ReverseAiringPlan { by: self.by.clone(), original, reason })
    }
}

impl Plan for ReverseAiringPlan {
    type Output = AiringId;
    type Error = AiringError;

    fn write(&self, conn: &mut DbConn) -> Result<AiringId, AiringError> {
        if let Some(lock_date) = ledger::lock_date(conn)? {
            if self.original.aired_on <= lock_date {
                return Err(AiringError::PeriodClosed { lock_date });
            }
        }
        let correction = Airing::reverse(conn, &self.original, &self.reason, self.by.user_id()).map_err(|e| {
            // A concurrent correction of the same airing won: UNIQUE (reverses_id).
            if crate::models::is_unique_violation(&e) {
                AiringError::AlreadyReversed
            } else {
                AiringError::Database(e)
            }
        })?;
        let summary = format!("correction #{correction}: {}", self.reason);
        AuditEntry::record(conn, &self.by.actor, "reverse", "airing", self.original.id, &summary)?;
        Ok(correction)
    }
}
