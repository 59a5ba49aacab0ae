//! Keeps the stored name sort keys (see `domain::collation`) current: rows written before the
//! key existed, or under another collation version, are keyed again after migrating.

use crate::db::schema::{app_settings, locations, regions};
use crate::db::DbConn;
use crate::domain::collation::{sort_key, VERSION};
use diesel::prelude::*;

const SETTING: &str = "collation_version";

/// Fills every missing sort key, and every key when the collation version changed. One
/// transaction, so that a crash leaves either the old keys or the new ones.
pub fn refresh_sort_keys(conn: &mut DbConn) -> QueryResult<usize> {
    conn.write_transaction(|conn| {
        let stored: Option<String> =
            app_settings::table.find(SETTING).select(app_settings::value).first(conn).optional()?;
        let all = stored.as_deref() != Some(VERSION);
        let empty: Vec<u8> = Vec::new();
        let mut changed = 0;

        let mut q = locations::table.select((locations::id, locations::name)).into_boxed();
        if !all {
            q = q.filter(locations::sort_key.eq(empty.clone()));
        }
        for (id, name) in q.load::<(i32, String)>(conn)? {
            changed +=
                diesel::update(locations::table.find(id)).set(locations::sort_key.eq(sort_key(&name))).execute(conn)?;
        }
        let mut q = regions::table.select((regions::id, regions::name_es)).into_boxed();
        if !all {
            q = q.filter(regions::sort_key.eq(empty));
        }
        for (id, name) in q.load::<(i32, String)>(conn)? {
            changed +=
                diesel::update(regions::table.find(id)).set(regions::sort_key.eq(sort_key(&name))).execute(conn)?;
        }
        if all {
            diesel::delete(app_settings::table.find(SETTING)).execute(conn)?;
            diesel::insert_into(app_settings::table)
                .values((app_settings::key.eq(SETTING), app_settings::value.eq(VERSION)))
                .execute(conn)?;
        }
        Ok(changed)
    })
}
