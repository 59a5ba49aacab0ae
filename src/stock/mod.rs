//! Stock work: receipts, shipments, adjustments and counts. Each operation checks its rules and
//! the user's regions, writes its record and posts its movements through `ledger`, all inside the
//! caller's write transaction.

pub mod adjustments;
pub mod receipts;
pub mod shipments;

use crate::db::schema::locations;
use crate::db::DbConn;
use crate::domain::{Answers, Invalid, Question};
use crate::error::AppError;
use crate::models::location::Location;
use diesel::prelude::*;

/// Who is acting, and where they may act.
#[derive(Debug, Clone)]
pub struct Access {
    pub user_id: Option<i32>,
    /// None: every region; Some: only these.
    pub regions: Option<Vec<i32>>,
}

impl Access {
    /// Unlimited access, for the command line and the demo loader.
    pub fn everywhere(user_id: Option<i32>) -> Self {
        Access { user_id, regions: None }
    }

    pub fn covers(&self, region_id: Option<i32>) -> bool {
        match (&self.regions, region_id) {
            (None, _) => true,
            (Some(regions), Some(id)) => regions.contains(&id),
            (Some(_), None) => false,
        }
    }

    /// Refuses with 403 when the location lies outside the user's regions.
    pub fn check(&self, location: &Location) -> Result<(), AppError> {
        if self.covers(location.region_id) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Fails with the questions `answers` leaves open, if any: nothing is written then.
pub fn ask(answers: Answers, questions: Vec<Question>) -> Result<(), AppError> {
    answers.still_open(questions).map_err(AppError::Questions)
}

/// The question a date before the material's campaign starts asks, if it does.
pub fn before_campaign(
    conn: &mut DbConn,
    material: &crate::models::material::Material,
    date: chrono::NaiveDate,
) -> Result<Option<Question>, AppError> {
    let Some(campaign) = crate::models::campaign::Campaign::find(conn, material.campaign_id)? else { return Ok(None) };
    if date >= campaign.starts_on {
        return Ok(None);
    }
    Ok(Some(Question::BeforeCampaign {
        date,
        starts_on: campaign.starts_on,
        campaign: crate::domain::Names { en: campaign.name_en, es: campaign.name_es },
    }))
}

/// Since when the same content by the same person counts as a likely duplicate.
pub fn duplicate_window_start() -> chrono::NaiveDateTime {
    crate::models::now() - chrono::Duration::minutes(crate::domain::question::DUPLICATE_WINDOW_MINUTES)
}

/// Whole minutes since `at`.
pub fn minutes_since(at: chrono::NaiveDateTime) -> i64 {
    (crate::models::now() - at).num_minutes().max(0)
}

/// The system location holding stock in transit.
pub fn transit_location_id(conn: &mut DbConn) -> Result<i32, AppError> {
    Ok(locations::table.filter(locations::code.eq("TRANSIT")).select(locations::id).first(conn)?)
}

/// A location row by id, or a refusal worded for the field that named it.
pub fn location(conn: &mut DbConn, id: i32, missing: &'static str) -> Result<Location, AppError> {
    locations::table
        .find(id)
        .select(Location::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::Refused(Invalid::new(missing)))
}

/// A depot that is active and that the user may act on.
pub fn active_depot(conn: &mut DbConn, access: &Access, id: i32) -> Result<Location, AppError> {
    let depot = location(conn, id, "err.unknown_depot")?;
    if !depot.is_depot {
        return Err(AppError::Refused(Invalid::new("err.not_a_depot")));
    }
    if !depot.is_active {
        return Err(AppError::Refused(Invalid::new("err.inactive_location")));
    }
    access.check(&depot)?;
    Ok(depot)
}

/// A material that can be stocked (broadcast spots are aired, not stocked).
pub fn stocked_material(conn: &mut DbConn, id: i32) -> Result<crate::models::material::Material, AppError> {
    let material = crate::models::material::Material::find(conn, id)?
        .ok_or(AppError::Refused(Invalid::new("err.unknown_material")))?;
    if material.is_broadcast() {
        return Err(AppError::Refused(Invalid::new("err.broadcast_not_stocked")));
    }
    Ok(material)
}
