//! First-level regions (ISO 3166-2) plus "abroad", with their tile on the coverage map.

use crate::db::schema::regions;
use crate::db::DbConn;
use crate::domain::collation::sort_key;
use crate::models::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = regions)]
pub struct Region {
    pub id: i32,
    pub code: String,
    pub name_en: String,
    pub tile_col: Option<i32>,
    pub tile_row: Option<i32>,
    pub is_abroad: bool,
    pub created_at: NaiveDateTime,
    pub name_es: String,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = regions)]
#[diesel(treat_none_as_null = true)]
pub struct RegionChanges {
    pub code: String,
    pub name_en: String,
    pub name_es: String,
    pub tile_col: Option<i32>,
    pub tile_row: Option<i32>,
    pub is_abroad: bool,
}

impl Region {
    /// The name in a language.
    pub fn name(&self, lang: crate::domain::Lang) -> &str {
        lang.pick(&self.name_en, &self.name_es)
    }

    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Region>> {
        regions::table
            .order((regions::is_abroad, regions::sort_key, regions::id))
            .select(Region::as_select())
            .load(conn)
    }

    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Region>> {
        regions::table.find(id).select(Region::as_select()).first(conn).optional()
    }

    pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Region>> {
        regions::table.filter(regions::code.eq(code)).select(Region::as_select()).first(conn).optional()
    }

    pub fn insert(conn: &mut DbConn, new: &RegionChanges) -> QueryResult<i32> {
        diesel::insert_into(regions::table)
            .values((new, regions::sort_key.eq(sort_key(&new.name_es)), regions::created_at.eq(now())))
            .returning(regions::id)
            .get_result(conn)
    }

    pub fn update(conn: &mut DbConn, id: i32, changes: &RegionChanges) -> QueryResult<usize> {
        diesel::update(regions::table.find(id))
            .set((changes, regions::sort_key.eq(sort_key(&changes.name_es))))
            .execute(conn)
    }
}
