//! Reference data: campaigns, materials, regions, location types and places. Saving one creates
//! it (no id) or changes it, with its audit line; a code already in use is refused.

use super::{Command, Plan};
use crate::db::DbConn;
use crate::domain::{LocationId, MaterialId};
use crate::models::audit::{Actor, AuditEntry};
use crate::models::campaign::{Campaign, CampaignChanges};
use crate::models::location::{Location, LocationChanges};
use crate::models::location_type::{LocationType, LocationTypeChanges};
use crate::models::material::{Material, MaterialChanges};
use crate::models::region::{Region, RegionChanges};
use diesel::QueryResult;

/// A record a plain save writes: how to find, insert and update it, and its audit line.
pub trait Record: std::fmt::Debug + Clone + Send + Sync + 'static {
    /// The table the audit log names.
    const TABLE: &'static str;
    /// The table's id type.
    type Id: Copy + std::fmt::Debug + std::fmt::Display + Send + Sync + 'static;
    fn exists(conn: &mut DbConn, id: Self::Id) -> QueryResult<bool>;
    fn insert(&self, conn: &mut DbConn) -> QueryResult<Self::Id>;
    fn update(&self, conn: &mut DbConn, id: Self::Id) -> QueryResult<usize>;
    fn summary(&self) -> String;
}

/// Why a campaign, region or location type was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("no such record")]
    NotFound,
    #[error("the code is already in use")]
    CodeTaken,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Save a record: create it when `id` is None, else change record `id`.
#[derive(Debug, Clone)]
pub struct Save<R: Record> {
    pub actor: Actor,
    pub id: Option<R::Id>,
    pub record: R,
}

impl<R: Record> Command for Save<R> {
    type Plan = Save<R>;
    type Error = SaveError;

    fn validate(&self, conn: &mut DbConn) -> Result<Save<R>, SaveError> {
        if let Some(id) = self.id {
            if !R::exists(conn, id)? {
                return Err(SaveError::NotFound);
            }
        }
        Ok(self.clone())
    }
}

impl<R: Record> Plan for Save<R> {
    /// The record's id.
    type Output = R::Id;
    type Error = SaveError;

    fn write(&self, conn: &mut DbConn) -> Result<R::Id, SaveError> {
        let taken = |e: diesel::result::Error| {
            if crate::models::is_unique_violation(&e) {
                SaveError::CodeTaken
            } else {
                SaveError::Database(e)
            }
        };
        let summary = self.record.summary();
        let id = match self.id {
            Some(id) => {
                self.record.update(conn, id).map_err(taken)?;
                AuditEntry::record(conn, &self.actor, "update", R::TABLE, id, &summary)?;
                id
            }
            None => {
                let id = self.record.insert(conn).map_err(taken)?;
                AuditEntry::record(conn, &self.actor, "create", R::TABLE, id, &summary)?;
                id
            }
        };
        Ok(id)
    }
}

impl Record for CampaignChanges {
    const TABLE: &'static str = "campaign";
    type Id = i32;
    fn exists(conn: &mut DbConn, id: Self::Id) -> QueryResult<bool> {
        Ok(Campaign::find(conn, id)?.is_some())
    }
    fn insert(&self, conn: &mut DbConn) -> QueryResult<Self::Id> {
        Campaign::insert(conn, self)
    }
    fn update(&self, conn: &mut DbConn, id: Self::Id) -> QueryResult<usize> {
        Campaign::update(conn, id, self)
    }
    fn summary(&self) -> String {
        format!("{} {}", self.code, self.name_es)
    }
}

impl Record for RegionChanges {
    const TABLE: &'static str = "region";
    type Id = i32;
    fn exists(conn: &mut DbConn, id: Self::Id) -> QueryResult<bool> {
        Ok(Region::find(conn, id)?.is_some())
    }
    fn insert(&self, conn: &mut DbConn) -> QueryResult<Self::Id> {
        Region::insert(conn, self)
    }
    fn update(&self, conn: &mut DbConn, id: Self::Id) -> QueryResult<usize> {
        Region::update(conn, id, self)
    }
    fn summary(&self) -> String {
        format!("{} {}", self.code, self.name_es)
    }
}

impl Record for LocationTypeChanges {
    const TABLE: &'static str = "location_type";
    type Id = i32;
    fn exists(conn: &mut DbConn, id: Self::Id) -> QueryResult<bool> {
        Ok(LocationType::find(conn, id)?.is_some())
    }
    fn insert(&self, conn: &mut DbConn) -> QueryResult<Self::Id> {
        LocationType::insert(conn, self)
    }
    fn update(&self, conn: &mut DbConn, id: Self::Id) -> QueryResult<usize> {
        LocationType::update(conn, id, self)
    }
    fn summary(&self) -> String {
        self.code.clone()
    }
}

impl Record for MaterialChanges {
    const TABLE: &'static str = "material";
    type Id = MaterialId;
    fn exists(conn: &mut DbConn, id: Self::Id) -> QueryResult<bool> {
        Ok(Material::find(conn, id)?.is_some())
    }
    fn insert(&self, conn: &mut DbConn) -> QueryResult<Self::Id> {
        Material::insert(conn, self)
    }
    fn update(&self, conn: &mut DbConn, id: Self::Id) -> QueryResult<usize> {
        Material::update(conn, id, self)
    }
    fn summary(&self) -> String {
        format!("{} {} ({})", self.code, self.name_es, self.planned_quantity)
    }
}

impl Record for LocationChanges {
    const TABLE: &'static str = "location";
    type Id = LocationId;
    fn exists(conn: &mut DbConn, id: Self::Id) -> QueryResult<bool> {
        Ok(Location::find(conn, id)?.is_some())
    }
    fn insert(&self, conn: &mut DbConn) -> QueryResult<Self::Id> {
        Location::insert(conn, self)
    }
    fn update(&self, conn: &mut DbConn, id: Self::Id) -> QueryResult<usize> {
        Location::update(conn, id, self)
    }
    fn summary(&self) -> String {
        format!("{} {}", self.code, self.name)
    }
}

/// Why a material was not saved.
#[derive(Debug, thiserror::Error)]
pub enum MaterialSaveError {
    #[error("no such campaign")]
    UnknownCampaign,
    #[error(transparent)]
    Save(#[from] SaveError),
}

impl From<diesel::result::Error> for MaterialSaveError {
    fn from(e: diesel::result::Error) -> Self {
        MaterialSaveError::Save(SaveError::Database(e))
    }
}

/// Save a material of an existing campaign.
#[derive(Debug, Clone)]
pub struct SaveMaterial(pub Save<MaterialChanges>);

impl Command for SaveMaterial {
    type Plan = SaveMaterialPlan;
    type Error = MaterialSaveError;

    fn validate(&self, conn: &mut DbConn) -> Result<SaveMaterialPlan, MaterialSaveError> {
        if Campaign::find(conn, self.0.record.campaign_id)?.is_none() {
            return Err(MaterialSaveError::UnknownCampaign);
        }
        Ok(SaveMaterialPlan(self.0.validate(conn)?))
    }
}

/// A checked material.
#[derive(Debug, Clone)]
pub struct SaveMaterialPlan(Save<MaterialChanges>);

impl Plan for SaveMaterialPlan {
    type Output = MaterialId;
    type Error = MaterialSaveError;

    fn write(&self, conn: &mut DbConn) -> Result<MaterialId, MaterialSaveError> {
        Ok(self.0.write(conn)?)
    }
}

/// Why a place was not saved, or not (de)activated.
#[derive(Debug, thiserror::Error)]
pub enum LocationSaveError {
    #[error("no such kind of place")]
    UnknownType,
    #[error("no such region")]
    UnknownRegion,
    #[error("a media outlet needs its ownership")]
    OwnershipRequired,
    #[error("the country does not match the region")]
    CountryRegion,
    #[error(transparent)]
    Save(#[from] SaveError),
}

impl From<diesel::result::Error> for LocationSaveError {
    fn from(e: diesel::result::Error) -> Self {
        LocationSaveError::Save(SaveError::Database(e))
    }
}

/// Save a place: its kind and region must exist, a media outlet says who owns it, and a place
/// abroad lies in a region abroad (and one at home in a region at home). Whether it is a depot
/// follows from its kind.
#[derive(Debug, Clone)]
pub struct SaveLocation(pub Save<LocationChanges>);

impl Command for SaveLocation {
    type Plan = SaveLocationPlan;
    type Error = LocationSaveError;

    fn validate(&self, conn: &mut DbConn) -> Result<SaveLocationPlan, LocationSaveError> {
        let mut save = self.0.clone();
        let changes = &mut save.record;
        let location_type =
            LocationType::find(conn, changes.location_type_id)?.ok_or(LocationSaveError::UnknownType)?;
        let region = match changes.region_id {
            Some(id) => Region::find(conn, id)?,
            None => None,
        }
        .ok_or(LocationSaveError::UnknownRegion)?;
        if location_type.code == "media_outlet" && changes.ownership.is_none() {
            return Err(LocationSaveError::OwnershipRequired);
        }
        if location_type.code != "media_outlet" {
            changes.ownership = None;
        }
        if region.is_abroad == (changes.country == "VE") {
            return Err(LocationSaveError::CountryRegion);
        }
        changes.is_depot = location_type.is_depot;
        Ok(SaveLocationPlan(save.validate(conn)?))
    }
}

/// A checked place.
#[derive(Debug, Clone)]
pub struct SaveLocationPlan(Save<LocationChanges>);

impl Plan for SaveLocationPlan {
    type Output = LocationId;
    type Error = LocationSaveError;

    fn write(&self, conn: &mut DbConn) -> Result<LocationId, LocationSaveError> {
        Ok(self.0.write(conn)?)
    }
}

/// Take a place out of use (no new work names it) or back into use.
#[derive(Debug, Clone)]
pub struct SetLocationActive {
    pub actor: Actor,
    pub location_id: LocationId,
    pub active: bool,
}

/// A checked change of a place's use, with the code its audit line names.
#[derive(Debug, Clone)]
pub struct SetActivePlan {
    change: SetLocationActive,
    code: String,
}

impl Command for SetLocationActive {
    type Plan = SetActivePlan;
    type Error = SaveError;

    fn validate(&self, conn: &mut DbConn) -> Result<SetActivePlan, SaveError> {
        let row = Location::find(conn, self.location_id)?.ok_or(SaveError::NotFound)?;
        Ok(SetActivePlan { change: self.clone(), code: row.location.code })
    }
}

impl Plan for SetActivePlan {
    type Output = ();
    type Error = SaveError;

    fn write(&self, conn: &mut DbConn) -> Result<(), SaveError> {
        let SetLocationActive { actor, location_id, active } = &self.change;
        Location::set_active(conn, *location_id, *active)?;
        let action = if *active { "activate" } else { "deactivate" };
        AuditEntry::record(conn, actor, action, "location", *location_id, &self.code)?;
        Ok(())
    }
}
