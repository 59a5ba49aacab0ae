//! Kinds of location (airport, school, depot…), with their names in both interface languages.

use crate::db::schema::location_types;
use crate::db::DbConn;
use crate::domain::Lang;
use crate::models::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = location_types)]
pub struct LocationType {
    pub id: i32,
    pub code: String,
    pub name_en: String,
    pub name_es: String,
    pub is_depot: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = location_types)]
pub struct LocationTypeChanges {
    pub code: String,
    pub name_en: String,
    pub name_es: String,
    pub is_depot: bool,
}

impl LocationType {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.name_en,
            Lang::Es => &self.name_es,
        }
    }

    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<LocationType>> {
        location_types::table.order(location_types::code).select(LocationType::as_select()).load(conn)
    }

    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<LocationType>> {
        location_types::table.find(id).select(LocationType::as_select()).first(conn).optional()
    }

    pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<LocationType>> {
        location_types::table
            .filter(location_types::code.eq(code))
            .select(LocationType::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut DbConn, new: &LocationTypeChanges) -> QueryResult<i32> {
        diesel::insert_into(location_types::table)
            .values((new, location_types::created_at.eq(now())))
            .returning(location_types::id)
            .get_result(conn)
    }

    /// Updates the type and keeps its locations' `is_depot` flag in step.
    pub fn update(conn: &mut DbConn, id: i32, changes: &LocationTypeChanges) -> QueryResult<usize> {
        use crate::db::schema::locations;
        let n = diesel::update(location_types::table.find(id)).set(changes).execute(conn)?;
        diesel::update(locations::table.filter(locations::location_type_id.eq(id)))
            .set(locations::is_depot.eq(changes.is_depot))
            .execute(conn)?;
        Ok(n)
    }
}
