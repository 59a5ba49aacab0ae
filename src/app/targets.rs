//! The distribution plan: how many units of a material each region should place at each kind of
//! place.

use super::{Command, Plan};
use crate::db::DbConn;
use crate::domain::MaterialId;
use crate::models::audit::{Actor, AuditEntry};
use crate::models::material::Material;
use crate::models::target::{Cell, Target};

/// Why a plan was not saved.
#[derive(Debug, thiserror::Error)]
pub enum TargetsError {
    #[error("no such material")]
    UnknownMaterial,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Save the cells of a material's plan as typed: (region, kind of place, units).
#[derive(Debug, Clone)]
pub struct SaveTargets {
    pub actor: Actor,
    pub material_id: MaterialId,
    pub cells: Vec<Cell>,
}

/// A checked plan, with the material code its audit line names.
#[derive(Debug, Clone)]
pub struct TargetsPlan {
    save: SaveTargets,
    code: String,
}

impl Command for SaveTargets {
    type Plan = TargetsPlan;
    type Error = TargetsError;

    fn validate(&self, conn: &mut DbConn) -> Result<TargetsPlan, TargetsError> {
        let material = Material::find(conn, self.material_id)?.ok_or(TargetsError::UnknownMaterial)?;
        Ok(TargetsPlan { save: self.clone(), code: material.code })
    }
}

impl Plan for TargetsPlan {
    type Output = ();
    type Error = TargetsError;

    fn write(&self, conn: &mut DbConn) -> Result<(), TargetsError> {
        let SaveTargets { actor, material_id, cells } = &self.save;
        let n = Target::save_grid(conn, *material_id, cells, actor.user_id)?;
        let total: i64 = Target::totals(conn, *material_id)?.iter().map(|(_, q)| q).sum();
        let summary = format!("{}: {n} cells, total {total}", self.code);
        AuditEntry::record(conn, actor, "update", "targets", *material_id, &summary)?;
        Ok(())
    }
}
