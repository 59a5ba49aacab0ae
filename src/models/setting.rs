//! Key/value settings kept in the database so every instance shares them (session key, setup token).

use crate::db::schema::app_settings;
use crate::db::DbConn;
use diesel::prelude::*;

pub struct Setting;

impl Setting {
    pub fn get(conn: &mut DbConn, key: &str) -> QueryResult<Option<String>> {
        app_settings::table.find(key).select(app_settings::value).first(conn).optional()
    }

    pub fn set(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<()> {
        let updated = diesel::update(app_settings::table.find(key)).set(app_settings::value.eq(value)).execute(conn)?;
        if updated == 0 {
            diesel::insert_into(app_settings::table)
                .values((app_settings::key.eq(key), app_settings::value.eq(value)))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Inserts the value unless the key exists; returns the value that is stored afterwards.
    /// Two instances starting at once agree on one value.
    pub fn get_or_insert(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<String> {
        if let Some(existing) = Self::get(conn, key)? {
            return Ok(existing);
        }
        match diesel::insert_into(app_settings::table)
            .values((app_settings::key.eq(key), app_settings::value.eq(value)))
            .execute(conn)
        {
            Ok(_) => Ok(value.to_string()),
            Err(e) if super::is_unique_violation(&e) => Self::get(conn, key)?.ok_or(diesel::result::Error::NotFound),
            Err(e) => Err(e),
        }
    }

    pub fn delete(conn: &mut DbConn, key: &str) -> QueryResult<()> {
        diesel::delete(app_settings::table.find(key)).execute(conn)?;
        Ok(())
    }
}
