//! Stock adjustments (loss, damage, count corrections) and whole-depot counts.

use crate::db::schema::{adjustments, stock_counts};
use crate::db::DbConn;
use crate::domain::{AdjustmentId, LocationId, MaterialId, PositiveQuantity, UserId};
use crate::models::now;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// The kinds of adjustment, each with the direction it moves stock.
pub const ADJUSTMENT_KINDS: [&str; 4] = ["loss", "damage", "count_up", "count_down"];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = adjustments)]
pub struct Adjustment {
    pub id: AdjustmentId,
    pub material_id: MaterialId,
    pub location_id: LocationId,
    pub kind: String,
    pub quantity: i32,
    pub effective_on: NaiveDate,
    pub reason: String,
    pub stock_count_id: Option<i32>,
    pub recorded_by: Option<UserId>,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct NewAdjustment {
    pub material_id: MaterialId,
    pub location_id: LocationId,
    pub kind: &'static str,
    pub quantity: PositiveQuantity,
    pub effective_on: NaiveDate,
    pub reason: String,
    pub stock_count_id: Option<i32>,
}

impl Adjustment {
    /// An adjustment with the same content recorded by `user_id` since `since` (not one of a
    /// count), newest first.
    pub fn recent_same(
        conn: &mut DbConn,
        user_id: UserId,
        new: &NewAdjustment,
        since: NaiveDateTime,
    ) -> QueryResult<Option<Adjustment>> {
        adjustments::table
            .filter(adjustments::recorded_by.eq(user_id))
            .filter(adjustments::recorded_at.ge(since))
            .filter(adjustments::material_id.eq(new.material_id))
            .filter(adjustments::location_id.eq(new.location_id))
            .filter(adjustments::kind.eq(new.kind))
            .filter(adjustments::quantity.eq(new.quantity))
            .filter(adjustments::effective_on.eq(new.effective_on))
            .filter(adjustments::reason.eq(&new.reason))
            .filter(adjustments::stock_count_id.is_null())
            .order(adjustments::id.desc())
            .select(Adjustment::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut DbConn, new: &NewAdjustment, recorded_by: Option<UserId>) -> QueryResult<AdjustmentId> {
        diesel::insert_into(adjustments::table)
            .values((
                adjustments::material_id.eq(new.material_id),
                adjustments::location_id.eq(new.location_id),
                adjustments::kind.eq(new.kind),
                adjustments::quantity.eq(new.quantity),
                adjustments::effective_on.eq(new.effective_on),
                adjustments::reason.eq(&new.reason),
                adjustments::stock_count_id.eq(new.stock_count_id),
                adjustments::recorded_by.eq(recorded_by),
                adjustments::recorded_at.eq(now()),
            ))
            .returning(adjustments::id)
            .get_result(conn)
    }

    pub fn find(conn: &mut DbConn, id: AdjustmentId) -> QueryResult<Option<Adjustment>> {
        adjustments::table.find(id).select(Adjustment::as_select()).first(conn).optional()
    }
}

/// A whole-depot count; its differences are posted as count adjustments.
pub struct StockCount;

impl StockCount {
    pub fn insert(
        conn: &mut DbConn,
        location_id: LocationId,
        counted_on: NaiveDate,
        note: &str,
        recorded_by: Option<UserId>,
    ) -> QueryResult<i32> {
        diesel::insert_into(stock_counts::table)
            .values((
                stock_counts::location_id.eq(location_id),
                stock_counts::counted_on.eq(counted_on),
                stock_counts::note.eq(note),
                stock_counts::recorded_by.eq(recorded_by),
                stock_counts::recorded_at.eq(now()),
            ))
            .returning(stock_counts::id)
            .get_result(conn)
    }
}
