//! Receipts: material arriving at a depot from the printer or a partner.

use crate::db::schema::{locations, materials, receipts, stock_movements};
use crate::db::DbConn;
use crate::models::{now, Page};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = receipts)]
pub struct Receipt {
    pub id: i32,
    pub material_id: i32,
    pub location_id: i32,
    pub quantity: i32,
    pub received_on: NaiveDate,
    pub supplier: String,
    pub reference: String,
    pub external_ref: Option<String>,
    pub recorded_by: Option<i32>,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct NewReceipt {
    pub material_id: i32,
    pub location_id: i32,
    pub quantity: i32,
    pub received_on: NaiveDate,
    pub supplier: String,
    pub reference: String,
    pub external_ref: Option<String>,
}

/// A receipt with the names a list shows, and whether it was reversed.
#[derive(Debug, Clone)]
pub struct ReceiptRow {
    pub receipt: Receipt,
    pub material_name: crate::domain::Names,
    pub location_name: String,
    pub reversed: bool,
}

impl Receipt {
    /// A receipt with the same content recorded by `user_id` since `since`, newest first.
    pub fn recent_same(
        conn: &mut DbConn,
        user_id: i32,
        new: &NewReceipt,
        since: NaiveDateTime,
    ) -> QueryResult<Option<Receipt>> {
        receipts::table
            .filter(receipts::recorded_by.eq(user_id))
            .filter(receipts::recorded_at.ge(since))
            .filter(receipts::material_id.eq(new.material_id))
            .filter(receipts::location_id.eq(new.location_id))
            .filter(receipts::quantity.eq(new.quantity))
            .filter(receipts::received_on.eq(new.received_on))
            .filter(receipts::supplier.eq(&new.supplier))
            .filter(receipts::reference.eq(&new.reference))
            .order(receipts::id.desc())
            .select(Receipt::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut DbConn, new: &NewReceipt, recorded_by: Option<i32>) -> QueryResult<i32> {
        diesel::insert_into(receipts::table)
            .values((
                receipts::material_id.eq(new.material_id),
                receipts::location_id.eq(new.location_id),
                receipts::quantity.eq(new.quantity),
                receipts::received_on.eq(new.received_on),
                receipts::supplier.eq(&new.supplier),
                receipts::reference.eq(&new.reference),
                receipts::external_ref.eq(&new.external_ref),
                receipts::recorded_by.eq(recorded_by),
                receipts::recorded_at.eq(now()),
            ))
            .returning(receipts::id)
            .get_result(conn)
    }

    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Receipt>> {
        receipts::table.find(id).select(Receipt::as_select()).first(conn).optional()
    }

    /// Receipts, newest first; limited to depots of `regions` when given.
    pub fn page(conn: &mut DbConn, regions: Option<&[i32]>, page: i64, per_page: i64) -> QueryResult<Page<ReceiptRow>> {
        let build = || {
            let mut q = receipts::table.inner_join(materials::table).inner_join(locations::table).into_boxed();
            if let Some(regions) = regions {
                q = q.filter(locations::region_id.eq_any(regions.to_vec()));
            }
            q
        };
        let total = build().count().get_result(conn)?;
        let rows: Vec<(Receipt, crate::domain::Names, String)> = build()
            .order((receipts::received_on.desc(), receipts::id.desc()))
            .limit(per_page)
            .offset((page - 1) * per_page)
            .select((Receipt::as_select(), (materials::name_en, materials::name_es), locations::name))
            .load(conn)?;
        let ids: Vec<i32> = rows.iter().map(|r| r.0.id).collect();
        let reversed: Vec<i32> = stock_movements::table
            .filter(stock_movements::receipt_id.eq_any(&ids))
            .filter(stock_movements::reverses_id.is_not_null())
            .select(stock_movements::receipt_id.assume_not_null())
            .load(conn)?;
        Ok(Page {
            rows: rows
                .into_iter()
                .map(|(receipt, material_name, location_name)| ReceiptRow {
                    reversed: reversed.contains(&receipt.id),
                    receipt,
                    material_name,
                    location_name,
                })
                .collect(),
            total,
            page,
            per_page,
        })
    }
}
