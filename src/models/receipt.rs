//! Receipts: material arriving at a depot from the printer or a partner.

use crate::db::schema::{locations, materials, receipts, stock_movements};
use crate::db::DbConn;
use crate::domain::Invalid;
use crate::domain::{LocationId, MaterialId, PositiveQuantity, ReceiptId, UserId};
use crate::models::keyset::{self, Seek, Total, Window};
use crate::models::location::Location;
use crate::models::material::Material;
use crate::models::now;
use crate::models::query::{self, keep, Refusals};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = receipts)]
pub struct Receipt {
    pub id: ReceiptId,
    pub material_id: MaterialId,
    pub location_id: LocationId,
    pub quantity: PositiveQuantity,
    pub received_on: NaiveDate,
    pub supplier: String,
    pub reference: String,
    pub external_ref: Option<String>,
    pub recorded_by: Option<UserId>,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct NewReceipt {
    pub material_id: MaterialId,
    pub location_id: LocationId,
    pub quantity: PositiveQuantity,
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

/// A receipt stands unless a movement reverses one of its own (SQL over `receipts`).
pub const NOT_REVERSED_SQL: &str = "NOT EXISTS (SELECT 1 FROM stock_movements own \
     JOIN stock_movements reversal ON reversal.reverses_id = own.id WHERE own.receipt_id = receipts.id)";

/// A receipt was reversed: a movement reverses one of its own (SQL over `receipts`).
pub const REVERSED_SQL: &str = "EXISTS (SELECT 1 FROM stock_movements own \
     JOIN stock_movements reversal ON reversal.reverses_id = own.id WHERE own.receipt_id = receipts.id)";

/// The longest supplier text a filter takes (the receipt form's own limit).
pub const SUPPLIER_MAX: usize = 160;

/// Which receipts a list shows by whether they were reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReversedFilter {
    #[default]
    All,
    /// Receipts that stand (not reversed).
    Standing,
    /// Reversed receipts only.
    Reversed,
}

impl ReversedFilter {
    /// The values a query string may carry, in the order a form offers them.
    pub const CHOICES: [&'static str; 3] = ["all", "standing", "reversed"];

    /// "" and "all" are every receipt; anything else unknown is None.
    pub fn parse(raw: &str) -> Option<ReversedFilter> {
        match raw.trim() {
            "" | "all" => Some(ReversedFilter::All),
            "standing" => Some(ReversedFilter::Standing),
            "reversed" => Some(ReversedFilter::Reversed),
            _ => None,
        }
    }
}

/// The receipt list's filters as typed in its query string (`material`, `depot`, `from`, `to`,
/// `supplier`, `reversed`); empty means any. Other parameters (the page's `after`, `before`, `last`) are not its business.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct ReceiptQuery {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub material: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub depot: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub supplier: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reversed: String,
}

/// The receipt filters, checked: what `Receipt::window` and the receipts export filter on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiptFilter {
    pub material_id: Option<MaterialId>,
    /// The receiving location.
    pub location_id: Option<LocationId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Part of the supplier's name, any case (a substring match).
    pub supplier: Option<String>,
    pub reversed: ReversedFilter,
    /// A region-limited user's regions: receipts at their places only.
    pub regions: Option<Vec<i32>>,
}

impl ReceiptQuery {
    /// Reads a query string; a repeated filter parameter is refused rather than guessed at.
    pub fn from_query_string(query: &str) -> Result<ReceiptQuery, Invalid> {
        query::from_query_string(query)
    }

    /// The filters as a query string (empty ones left out), for page and download links.
    pub fn to_query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// Checks every filter at once, for the list, its export and the command line alike. A
    /// material or depot by id or code; one that exists but is not offered (a spot, which is
    /// never stocked; a depot outside a region-limited user's regions, or a place that is no
    /// depot) is as refused as one that does not exist. The messages come back per field,
    /// under the parameter's name.
    pub fn check(&self, conn: &mut DbConn, regions: Option<Vec<i32>>) -> QueryResult<Result<ReceiptFilter, Refusals>> {
        let mut refusals = Refusals::new();
        let material_id = keep(&mut refusals, "material", query::material(conn, &self.material)?);
        let material_id = match material_id {
            Some(id) if !Material::stocked(conn)?.iter().any(|m| m.id == id) => {
                refusals.push(("material", Invalid::new("filter.err.material")));
                None
            }
            other => other,
        };
        let location_id = keep(&mut refusals, "depot", query::place(conn, &self.depot, "export.err.location")?);
        let location_id = match location_id {
            Some(id) if !Location::depots(conn, regions.as_deref())?.iter().any(|d| d.id == id) => {
                refusals.push(("depot", Invalid::new("filter.err.depot")));
                None
            }
            other => other,
        };
        let from = keep(&mut refusals, "from", query::date(&self.from));
        let to = keep(&mut refusals, "to", query::date(&self.to));
        query::check_range(&mut refusals, from, to);
        let supplier = keep(&mut refusals, "supplier", query::text(&self.supplier, SUPPLIER_MAX));
        let reversed = keep(
            &mut refusals,
            "reversed",
            ReversedFilter::parse(&self.reversed)
                .map(Some)
                .ok_or_else(|| Invalid::with("export.err.reversed", self.reversed.trim())),
        );
        if !refusals.is_empty() {
            return Ok(Err(refusals));
        }
        Ok(Ok(ReceiptFilter {
            material_id,
            location_id,
            from,
            to,
            supplier,
            reversed: reversed.unwrap_or_default(),
            regions,
        }))
    }
}

/// Narrows a boxed query over `receipts` joined to their `locations` by a `ReceiptFilter`: the
/// one place the receipt filters become SQL, for the list and the receipts export alike.
macro_rules! filter_receipts {
    ($query:expr, $filter:expr) => {{
        use diesel::sql_types::{Bool, Text};
        use $crate::db::schema::{locations, receipts};
        use $crate::models::receipt::{ReceiptFilter, ReversedFilter, NOT_REVERSED_SQL, REVERSED_SQL};
        let filter: &ReceiptFilter = $filter;
        let mut q = $query;
        if let Some(id) = filter.material_id {
            q = q.filter(receipts::material_id.eq(id));
        }
        if let Some(id) = filter.location_id {
            q = q.filter(receipts::location_id.eq(id));
        }
        if let Some(from) = filter.from {
            q = q.filter(receipts::received_on.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(receipts::received_on.le(to));
        }
        if let Some(supplier) = &filter.supplier {
            q = q.filter(
                diesel::dsl::sql::<Bool>("lower(receipts.supplier) LIKE ")
                    .bind::<Text, _>($crate::models::like_pattern(supplier))
                    .sql(" ESCAPE '\\'"),
            );
        }
        match filter.reversed {
            ReversedFilter::All => {}
            ReversedFilter::Standing => q = q.filter(diesel::dsl::sql::<Bool>(NOT_REVERSED_SQL)),
            ReversedFilter::Reversed => q = q.filter(diesel::dsl::sql::<Bool>(REVERSED_SQL)),
        }
        if let Some(regions) = &filter.regions {
            q = q.filter(locations::region_id.eq_any(regions.clone()));
        }
        q
    }};
}
pub(crate) use filter_receipts;

impl Receipt {
    /// A receipt with the same content recorded by `user_id` since `since`, newest first.
    pub fn recent_same(
        conn: &mut DbConn,
        user_id: UserId,
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

    pub fn insert(conn: &mut DbConn, new: &NewReceipt, recorded_by: Option<UserId>) -> QueryResult<ReceiptId> {
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

    pub fn find(conn: &mut DbConn, id: ReceiptId) -> QueryResult<Option<Receipt>> {
        receipts::table.find(id).select(Receipt::as_select()).first(conn).optional()
    }

    /// Receipts that pass `filter`, newest first.
    /// One keyset page, newest received first; the total counted up to `COUNT_CAP`.
    pub fn window(
        conn: &mut DbConn,
        filter: &ReceiptFilter,
        seek: &Seek,
        per_page: usize,
    ) -> QueryResult<Window<ReceiptRow>> {
        let build = || {
            let q = receipts::table.inner_join(materials::table).inner_join(locations::table).into_boxed();
            filter_receipts!(q, filter)
        };
        let total = Total::count(conn, build().select(receipts::id))?;
        let key = match seek {
            Seek::After(k) | Seek::Before(k) => keyset::parse_date_key(k),
            Seek::First | Seek::Last => None,
        };
        let q = build();
        let q = if seek.backwards() {
            let q = match key {
                Some((on, id)) => {
                    q.filter(receipts::received_on.ge(on).and(receipts::received_on.gt(on).or(receipts::id.gt(id))))
                }
                None => q,
            };
            q.order((receipts::received_on.asc(), receipts::id.asc()))
        } else {
            let q = match key {
                Some((on, id)) => {
                    q.filter(receipts::received_on.le(on).and(receipts::received_on.lt(on).or(receipts::id.lt(id))))
                }
                None => q,
            };
            q.order((receipts::received_on.desc(), receipts::id.desc()))
        };
        let rows: Vec<(Receipt, crate::domain::Names, String)> = q
            .limit(per_page as i64 + 1)
            .select((Receipt::as_select(), (materials::name_en, materials::name_es), locations::name))
            .load(conn)?;
        let ids: Vec<ReceiptId> = rows.iter().map(|r| r.0.id).collect();
        // The same rule as REVERSED_SQL: a movement that reverses one of the receipt's own.
        let (own, reversal) = diesel::alias!(stock_movements as own, stock_movements as reversal);
        let reversed: Vec<ReceiptId> = own
            .inner_join(
                reversal.on(reversal.field(stock_movements::reverses_id).eq(own.field(stock_movements::id).nullable())),
            )
            .filter(own.field(stock_movements::receipt_id).eq_any(&ids))
            .select(own.field(stock_movements::receipt_id).assume_not_null())
            .load(conn)?;
        let rows: Vec<ReceiptRow> = rows
            .into_iter()
            .map(|(receipt, material_name, location_name)| ReceiptRow {
                reversed: reversed.contains(&receipt.id),
                receipt,
                material_name,
                location_name,
            })
            .collect();
        Ok(Window::from_rows(rows, per_page, seek, total, |r| keyset::date_key(r.receipt.received_on, r.receipt.id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(raw: &str) -> ReceiptQuery {
        ReceiptQuery::from_query_string(raw).expect("a readable query")
    }

    // Checking needs the database (ids or codes, depots in the user's regions): every case is
    // in tests/app/lists.rs, on both backends.

    #[test]
    fn a_query_writes_back_only_what_was_given() {
        let q = query("material=3&supplier=del+Sur&page=4");
        assert_eq!(q.to_query_string(), "material=3&supplier=del+Sur");
        assert_eq!(query(&q.to_query_string()), q);
        assert_eq!(ReceiptQuery::default().to_query_string(), "");
    }
}
