//! Commands: every change a person makes is one operation here — stock work, airings, targets,
//! reference data, accounts, signing in. An operation is a command of typed values; `validate`
//! reads and checks it and gives a plan, and the plan's `write` only writes.
//! The check may run on a read connection while the write runs later in the writer, so `write`
//! re-checks through conditional writes whatever may have changed in between (a status, a
//! draft's version, a balance) and answers the operation's own error when it finds it changed.
//! Nothing here knows HTTP: the web layer turns each error into a message.

pub mod adjustments;
pub mod airings;
pub mod confirmations;
pub mod receipts;
pub mod reference;
pub mod sessions;
pub mod settings;
pub mod shipments;
pub mod targets;
pub mod users;

use crate::db::DbConn;
use crate::domain::{Answers, LocationId, MaterialId, Question, UserId};
use crate::models::audit::Actor;
use crate::models::location::Location;
use crate::models::material::Material;
use diesel::prelude::*;

/// An operation: checked against the database, it gives the plan that writes it.
pub trait Command: Send + 'static {
    type Plan: Plan<Error = Self::Error>;
    type Error: From<diesel::result::Error> + Send + 'static;
    /// Reads and checks; writes nothing.
    fn validate(&self, conn: &mut DbConn) -> Result<Self::Plan, Self::Error>;
}

/// What a checked command writes. `write` may run more than once (PostgreSQL retries a write
/// that lost a deadlock), each time in a fresh transaction.
pub trait Plan: Send + Sync + 'static {
    type Output: Send + 'static;
    type Error;
    fn write(&self, conn: &mut DbConn) -> Result<Self::Output, Self::Error>;
}

/// Checks and writes on one connection, for callers already inside a write transaction.
pub fn run<C: Command>(conn: &mut DbConn, command: &C) -> Result<<C::Plan as Plan>::Output, C::Error> {
    command.validate(conn)?.write(conn)
}

/// Who acts: where they may act, and how the audit log names them.
#[derive(Debug, Clone)]
pub struct Caller {
    pub access: Access,
    pub actor: Actor,
}

impl Caller {
    pub fn user_id(&self) -> Option<UserId> {
        self.access.user_id
    }
}

/// Where a user may act.
#[derive(Debug, Clone)]
pub struct Access {
    pub user_id: Option<UserId>,
    /// None: every region; Some: only these.
    pub regions: Option<Vec<i32>>,
}

impl Access {
    /// Unlimited access, for the command line and the demo loader.
    pub fn everywhere(user_id: Option<UserId>) -> Self {
        Access { user_id, regions: None }
    }

    pub fn covers(&self, region_id: Option<i32>) -> bool {
        match (&self.regions, region_id) {
            (None, _) => true,
            (Some(regions), Some(id)) => regions.contains(&id),
            (Some(_), None) => false,
        }
    }
}

/// Why a place named by a command cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("no such depot")]
    UnknownDepot,
    #[error("no such destination")]
    UnknownDestination,
    #[error("the place is not a depot")]
    NotADepot,
    #[error("the place is inactive")]
    Inactive,
    #[error("the place lies outside the user's regions")]
    OutsideRegions,
}

/// Why a material named by a command cannot be stocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MaterialError {
    #[error("no such material")]
    Unknown,
    #[error("broadcast spots are aired, not stocked")]
    Broadcast,
}

/// Asks `questions` unless `answers` settles them all.
pub fn ask(answers: Answers, questions: Vec<Question>) -> Result<(), Vec<Question>> {
    answers.still_open(questions)
}

/// The question a date before the material's campaign starts asks, if it does.
pub fn before_campaign(
    conn: &mut DbConn,
    material: &Material,
    date: chrono::NaiveDate,
) -> QueryResult<Option<Question>> {
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

/// "You recorded the same minutes ago": the question about an earlier record of `kind` (its
/// page is `/{kind}s/{id}`) recorded at `recorded_at`.
pub fn likely_duplicate(kind: &'static str, id: i32, recorded_at: chrono::NaiveDateTime, earlier: Earlier) -> Question {
    Question::LikelyDuplicate {
        minutes_ago: minutes_since(recorded_at),
        earlier: crate::domain::Recorded {
            kind,
            label: format!("#{id}"),
            path: format!("/{kind}s/{id}"),
            units: earlier.units,
            material: earlier.material,
            place: earlier.place,
            reference: earlier.reference,
        },
    }
}

/// What the duplicate question shows of the earlier record.
pub struct Earlier {
    pub units: i64,
    pub material: crate::domain::Names,
    pub place: String,
    pub reference: String,
}

/// Failures of a place or material check: a refusal, or the database.
#[derive(Debug)]
pub enum Lookup<E> {
    Refused(E),
    Database(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for Lookup<E> {
    fn from(e: diesel::result::Error) -> Self {
        Lookup::Database(e)
    }
}

/// A depot that is active and that the user may act on.
pub fn active_depot(conn: &mut DbConn, access: &Access, id: LocationId) -> Result<Location, Lookup<PlaceError>> {
    let depot = Location::get(conn, id)?.ok_or(Lookup::Refused(PlaceError::UnknownDepot))?;
    let refusal = if !depot.is_depot {
        Some(PlaceError::NotADepot)
    } else if !depot.is_active {
        Some(PlaceError::Inactive)
    } else if !access.covers(depot.region_id) {
        Some(PlaceError::OutsideRegions)
    } else {
        None
    };
    match refusal {
        Some(e) => Err(Lookup::Refused(e)),
        None => Ok(depot),
    }
}

/// A material that can be stocked (broadcast spots are aired, not stocked).
pub fn stocked_material(conn: &mut DbConn, id: MaterialId) -> Result<Material, Lookup<MaterialError>> {
    let material = Material::find(conn, id)?.ok_or(Lookup::Refused(MaterialError::Unknown))?;
    if material.is_broadcast() {
        return Err(Lookup::Refused(MaterialError::Broadcast));
    }
    Ok(material)
}

/// Implements `From<Lookup<PlaceError>>` and `From<Lookup<MaterialError>>` for an operation's
/// error, which must have `Place`, `Material` and `Database` variants.
macro_rules! lookups_into {
    ($error:ty) => {
        impl From<$crate::app::Lookup<$crate::app::PlaceError>> for $error {
            fn from(e: $crate::app::Lookup<$crate::app::PlaceError>) -> Self {
                match e {
                    $crate::app::Lookup::Refused(e) => Self::Place(e),
                    $crate::app::Lookup::Database(e) => Self::Database(e),
                }
            }
        }
        impl From<$crate::app::Lookup<$crate::app::MaterialError>> for $error {
            fn from(e: $crate::app::Lookup<$crate::app::MaterialError>) -> Self {
                match e {
                    $crate::app::Lookup::Refused(e) => Self::Material(e),
                    $crate::app::Lookup::Database(e) => Self::Database(e),
                }
            }
        }
    };
}
pub(crate) use lookups_into;
