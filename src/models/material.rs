//! Materials of a campaign: posters, fliers, spots…, with their print run and pack size.

use crate::db::schema::materials;
use crate::db::DbConn;
use crate::domain::Invalid;
use crate::domain::MaterialId;
use crate::models::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The kinds a material can be; broadcast spots are aired, not stocked.
pub const MATERIAL_KINDS: [&str; 7] = ["poster", "flier", "pamphlet", "banner", "leaflet", "broadcast_spot", "other"];

/// Checks a kind against `MATERIAL_KINDS`.
pub fn parse_kind(raw: &str) -> Result<&'static str, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Invalid::new("err.required"));
    }
    MATERIAL_KINDS.iter().find(|k| **k == raw).copied().ok_or(Invalid::new("err.unknown_choice"))
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = materials)]
pub struct Material {
    pub id: MaterialId,
    pub campaign_id: i32,
    pub code: String,
    pub name_en: String,
    pub kind: String,
    pub planned_quantity: i32,
    pub pack_size: Option<i32>,
    pub supplier: String,
    pub language: String,
    pub unit: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// A record of more than this asks to be confirmed; None: the print run is the limit.
    pub quantity_limit: Option<i32>,
    pub name_es: String,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = materials)]
#[diesel(treat_none_as_null = true)]
pub struct MaterialChanges {
    pub campaign_id: i32,
    pub code: String,
    pub name_en: String,
    pub name_es: String,
    pub kind: String,
    pub planned_quantity: i32,
    pub pack_size: Option<i32>,
    pub supplier: String,
    pub language: String,
    pub unit: String,
    pub quantity_limit: Option<i32>,
}

impl Material {
    /// The name in a language.
    pub fn name(&self, lang: crate::domain::Lang) -> &str {
        lang.pick(&self.name_en, &self.name_es)
    }

    /// Both names.
    pub fn names(&self) -> crate::domain::Names {
        crate::domain::Names { en: self.name_en.clone(), es: self.name_es.clone() }
    }

    /// The question a record of `quantity` of this material asks, if it is beyond the limit.
    pub fn over_limit(&self, quantity: i32) -> Option<crate::domain::Question> {
        let limit = self.limit()?;
        (quantity > limit).then(|| crate::domain::Question::OverLimit {
            material: self.names(),
            quantity,
            limit,
            print_run: self.quantity_limit.is_none(),
        })
    }

    /// The largest quantity one record takes without asking: the limit an administrator set, or
    /// the whole print run; None when neither is known.
    pub fn limit(&self) -> Option<i32> {
        self.quantity_limit.or((self.planned_quantity > 0).then_some(self.planned_quantity))
    }

    pub fn is_broadcast(&self) -> bool {
        self.kind == "broadcast_spot"
    }

    /// Whole packs and the units left over, when the material has a pack size.
    pub fn packs(&self, units: i64) -> Option<(i64, i64)> {
        let size = i64::from(self.pack_size?);
        Some((units / size, units % size))
    }

    pub fn all(conn: &mut DbConn, campaign_id: Option<i32>) -> QueryResult<Vec<Material>> {
        let mut query = materials::table.into_boxed();
        if let Some(id) = campaign_id {
            query = query.filter(materials::campaign_id.eq(id));
        }
        query.order((materials::campaign_id, materials::id)).select(Material::as_select()).load(conn)
    }

    /// Materials that are stocked (not broadcast spots), in campaign order.
    pub fn stocked(conn: &mut DbConn) -> QueryResult<Vec<Material>> {
        materials::table
            .filter(materials::kind.ne("broadcast_spot"))
            .order((materials::campaign_id, materials::id))
            .select(Material::as_select())
            .load(conn)
    }

    pub fn find(conn: &mut DbConn, id: MaterialId) -> QueryResult<Option<Material>> {
        materials::table.find(id).select(Material::as_select()).first(conn).optional()
    }

    pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Material>> {
        materials::table.filter(materials::code.eq(code)).select(Material::as_select()).first(conn).optional()
    }

    pub fn insert(conn: &mut DbConn, new: &MaterialChanges) -> QueryResult<MaterialId> {
        let at = now();
        diesel::insert_into(materials::table)
            .values((new, materials::created_at.eq(at), materials::updated_at.eq(at)))
            .returning(materials::id)
            .get_result(conn)
    }

    pub fn update(conn: &mut DbConn, id: MaterialId, changes: &MaterialChanges) -> QueryResult<usize> {
        diesel::update(materials::table.find(id)).set((changes, materials::updated_at.eq(now()))).execute(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_checked() {
        assert_eq!(parse_kind("poster"), Ok("poster"));
        assert_eq!(parse_kind("").unwrap_err().key, "err.required");
        assert_eq!(parse_kind("Poster").unwrap_err().key, "err.unknown_choice");
    }
}
