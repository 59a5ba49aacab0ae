//! Campaigns: a named effort with a period and an owner; materials belong to one.

use crate::db::schema::{campaigns, materials};
use crate::db::DbConn;
use crate::models::now;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
pub struct Campaign {
    pub id: i32,
    pub code: String,
    pub name_en: String,
    pub owner_en: String,
    pub description: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub name_es: String,
    pub owner_es: String,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = campaigns)]
pub struct CampaignChanges {
    pub code: String,
    pub name_en: String,
    pub name_es: String,
    pub owner_en: String,
    pub owner_es: String,
    pub description: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl Campaign {
    /// The name in a language.
    pub fn name(&self, lang: crate::domain::Lang) -> &str {
        lang.pick(&self.name_en, &self.name_es)
    }

    /// The owner (the ministry) in a language.
    pub fn owner(&self, lang: crate::domain::Lang) -> &str {
        lang.pick(&self.owner_en, &self.owner_es)
    }

    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Campaign>> {
        campaigns::table.order(campaigns::starts_on.desc()).select(Campaign::as_select()).load(conn)
    }

    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Campaign>> {
        campaigns::table.find(id).select(Campaign::as_select()).first(conn).optional()
    }

    pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Campaign>> {
        campaigns::table.filter(campaigns::code.eq(code)).select(Campaign::as_select()).first(conn).optional()
    }

    pub fn insert(conn: &mut DbConn, new: &CampaignChanges) -> QueryResult<i32> {
        let at = now();
        diesel::insert_into(campaigns::table)
            .values((new, campaigns::created_at.eq(at), campaigns::updated_at.eq(at)))
            .returning(campaigns::id)
            .get_result(conn)
    }

    pub fn update(conn: &mut DbConn, id: i32, changes: &CampaignChanges) -> QueryResult<usize> {
        diesel::update(campaigns::table.find(id)).set((changes, campaigns::updated_at.eq(now()))).execute(conn)
    }

    /// Material count per campaign id, for the list page.
    pub fn material_counts(conn: &mut DbConn) -> QueryResult<Vec<(i32, i64)>> {
        materials::table
            .group_by(materials::campaign_id)
            .select((materials::campaign_id, diesel::dsl::count_star()))
            .load(conn)
    }
}
