//! THE single gate for every quantity change. Movements are appended and balances updated in the
//! caller's write transaction; a balance is decremented only by a conditional UPDATE whose
//! affected-row count is checked, so two requests can never both take the last units.
//! Nothing else in the program writes `stock_movements` or `stock_balances`.

use crate::db::schema::{daily_flows, stock_balances, stock_movements};
use crate::db::DbConn;
use crate::domain::{
    AdjustmentId, LocationId, MaterialId, MovementId, PositiveQuantity, ReceiptId, ShipmentId, ShipmentLineId, UserId,
};
use crate::models::now;
use crate::models::setting::Setting;
use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::Integer;

/// The app setting holding the lock date (YYYY-MM-DD): nothing on or before it may change.
pub const LOCK_DATE_SETTING: &str = "lock_date";

/// What a movement records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum MovementKind {
    /// From outside (printer, partner) into a depot.
    Receipt,
    /// From the origin depot into transit.
    Dispatch,
    /// From transit to the destination.
    Delivery,
    /// From transit to nowhere: sent but not received.
    Shortfall,
    /// From transit back to the origin: a dispatched shipment was cancelled.
    Return,
    /// From a depot to nowhere.
    Loss,
    Damage,
    /// A count found more than the ledger: from nowhere into the depot.
    CountUp,
    /// A count found less: from the depot to nowhere.
    CountDown,
}

crate::domain::stored_as_text!(MovementKind);

impl MovementKind {
    pub const ALL: [MovementKind; 9] = [
        MovementKind::Receipt,
        MovementKind::Dispatch,
        MovementKind::Delivery,
        MovementKind::Shortfall,
        MovementKind::Return,
        MovementKind::Loss,
        MovementKind::Damage,
        MovementKind::CountUp,
        MovementKind::CountDown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receipt => "receipt",
            MovementKind::Dispatch => "dispatch",
            MovementKind::Delivery => "delivery",
            MovementKind::Shortfall => "shortfall",
            MovementKind::Return => "return",
            MovementKind::Loss => "loss",
            MovementKind::Damage => "damage",
            MovementKind::CountUp => "count_up",
            MovementKind::CountDown => "count_down",
        }
    }
}

/// The record a movement belongs to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Source {
    pub receipt_id: Option<ReceiptId>,
    pub shipment_id: Option<ShipmentId>,
    pub shipment_line_id: Option<ShipmentLineId>,
    pub adjustment_id: Option<AdjustmentId>,
}

/// One quantity moving from one place to another (None: outside the system).
#[derive(Debug, Clone)]
pub struct Posting {
    pub material_id: MaterialId,
    pub from: Option<LocationId>,
    pub to: Option<LocationId>,
    pub quantity: PositiveQuantity,
    pub kind: MovementKind,
    pub effective_on: NaiveDate,
    pub source: Source,
    pub reason: String,
}

/// Why the ledger refused; each is a message for the person, never a 500.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("only {available} left of material {material_id} at location {location_id}; {requested} requested")]
    Insufficient { material_id: MaterialId, location_id: LocationId, requested: i32, available: i32 },
    #[error("the period up to {lock_date} is closed")]
    PeriodClosed { lock_date: NaiveDate },
    #[error("the date {0} lies in the future")]
    FutureDate(NaiveDate),
    /// Quantities are positive by type; what is left is a net change too large for a balance.
    #[error("a balance would move by more units than it can hold")]
    TooLarge,
    #[error("this movement was already reversed")]
    AlreadyReversed,
    #[error("a reversal cannot itself be reversed")]
    ReversalOfReversal,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// A ledger refusal as a person reads it: a shortage, named in words by whoever knows the
/// reader's language, or a rule's message.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Short { material_id: MaterialId, location_id: LocationId, available: i32 },
    Rule(crate::domain::Invalid),
}

impl LedgerError {
    /// The refusal this error means, or the database failure it is.
    pub fn refusal(self) -> Result<Refusal, diesel::result::Error> {
        use crate::domain::Invalid;
        Ok(match self {
            LedgerError::Insufficient { material_id, location_id, available, .. } => {
                Refusal::Short { material_id, location_id, available }
            }
            LedgerError::PeriodClosed { lock_date } => Refusal::Rule(Invalid::with("err.period_closed", lock_date)),
            LedgerError::FutureDate(_) => Refusal::Rule(Invalid::new("err.future_date")),
            LedgerError::TooLarge => Refusal::Rule(Invalid::with("err.too_large", i32::MAX)),
            LedgerError::AlreadyReversed => Refusal::Rule(Invalid::new("err.already_reversed")),
            LedgerError::ReversalOfReversal => Refusal::Rule(Invalid::new("err.reversal_of_reversal")),
            LedgerError::Database(e) => return Err(e),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = stock_movements)]
pub struct Movement {
    pub id: MovementId,
    pub material_id: MaterialId,
    pub from_location_id: Option<LocationId>,
    pub to_location_id: Option<LocationId>,
    pub quantity: PositiveQuantity,
    pub kind: MovementKind,
    pub effective_on: NaiveDate,
    pub receipt_id: Option<ReceiptId>,
    pub shipment_id: Option<ShipmentId>,
    pub shipment_line_id: Option<ShipmentLineId>,
    pub adjustment_id: Option<AdjustmentId>,
    pub reverses_id: Option<MovementId>,
    pub reason: String,
    pub recorded_by: Option<UserId>,
    pub recorded_at: chrono::NaiveDateTime,
}

/// The closed period's last day, if an administrator set one.
pub fn lock_date(conn: &mut DbConn) -> QueryResult<Option<NaiveDate>> {
    Ok(Setting::get(conn, LOCK_DATE_SETTING)?.and_then(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok()))
}

/// Refuses a date inside the closed period or beyond tomorrow (a day of slack for time zones).
pub fn check_date(lock: Option<NaiveDate>, date: NaiveDate) -> Result<(), LedgerError> {
    if let Some(lock_date) = lock {
        if date <= lock_date {
            return Err(LedgerError::PeriodClosed { lock_date });
        }
    }
    if date > chrono::Utc::now().date_naive() + Duration::days(1) {
        return Err(LedgerError::FutureDate(date));
    }
    Ok(())
}

/// Units of a material at a location, as the balance cache says.
pub fn on_hand(conn: &mut DbConn, material_id: MaterialId, location_id: LocationId) -> QueryResult<i32> {
    Ok(stock_balances::table
        .filter(stock_balances::material_id.eq(material_id))
        .filter(stock_balances::location_id.eq(location_id))
        .select(stock_balances::on_hand)
        .first::<i32>(conn)
        .optional()?
        .unwrap_or(0))
}

/// Takes `quantity` away only if that much is there; otherwise says how much is.
fn decrement(
    conn: &mut DbConn,
    material_id: MaterialId,
    location_id: LocationId,
    quantity: i32,
) -> Result<(), LedgerError> {
    let updated = diesel::update(
        stock_balances::table
            .filter(stock_balances::material_id.eq(material_id))
            .filter(stock_balances::location_id.eq(location_id))
            .filter(stock_balances::on_hand.ge(quantity)),
    )
    .set(stock_balances::on_hand.eq(stock_balances::on_hand - quantity))
    .execute(conn)?;
    if updated == 1 {
        return Ok(());
    }
    let available = on_hand(conn, material_id, location_id)?;
    Err(LedgerError::Insufficient { material_id, location_id, requested: quantity, available })
}

/// Rows per multi-row upsert (3 or 6 parameters each, far below either backend's limit).
const UPSERT_ROWS: usize = 1000;

/// Adds to balances, creating a balance row where it is the first, in the order given (the
/// caller's lock order): one multi-row upsert per chunk, so a load of thousands of places costs a
/// few statements, not a round trip per place.
fn increment_many(conn: &mut DbConn, increments: &[(MaterialId, LocationId, i32)]) -> Result<(), LedgerError> {
    use diesel::upsert::excluded;
    for chunk in increments.chunks(UPSERT_ROWS) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|&(material_id, location_id, quantity)| {
                (
                    stock_balances::material_id.eq(material_id),
                    stock_balances::location_id.eq(location_id),
                    stock_balances::on_hand.eq(quantity),
                )
            })
            .collect();
        let upsert = diesel::insert_into(stock_balances::table)
            .values(&rows)
            .on_conflict((stock_balances::material_id, stock_balances::location_id))
            .do_update()
            .set(stock_balances::on_hand.eq(stock_balances::on_hand + excluded(stock_balances::on_hand)));
        // MultiConnection has no upsert; the inner connection is inside the same transaction.
        match conn {
            DbConn::Sqlite(c) => upsert.execute(c)?,
            DbConn::Postgresql(c) => upsert.execute(c)?,
        };
    }
    Ok(())
}

/// Posts movements: checks dates, moves the balances, appends the rows. Call inside a write
/// transaction, together with the record the movements belong to; on any error the caller's
/// transaction rolls back and nothing is written.
pub fn post(
    conn: &mut DbConn,
    recorded_by: Option<UserId>,
    postings: &[Posting],
) -> Result<Vec<MovementId>, LedgerError> {
    let pairs: Vec<(&Posting, Option<MovementId>)> = postings.iter().map(|p| (p, None)).collect();
    post_pairs(conn, recorded_by, &pairs)
}

/// Checks every posting, then applies the net change per balance row in one fixed order
/// (material, then location). Two transactions therefore lock shared rows in the same order:
/// under PostgreSQL's row locks a dispatch (origin, then transit) and a return (transit, then
/// origin) could otherwise wait on each other forever.
fn post_pairs(
    conn: &mut DbConn,
    recorded_by: Option<UserId>,
    pairs: &[(&Posting, Option<MovementId>)],
) -> Result<Vec<MovementId>, LedgerError> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let lock = lock_date(conn)?;
    for (p, _) in pairs {
        check_date(lock, p.effective_on)?;
    }
    // The movements first, the balances after: on PostgreSQL a balance row stays locked until
    // the commit, and the rows of a busy depot are wanted by every other posting there.
    let mut ids = Vec::with_capacity(pairs.len());
    for (p, reverses) in pairs {
        ids.push(insert_movement(conn, recorded_by, p, *reverses)?);
    }
    apply_flows(conn, pairs.iter().map(|(p, reverses)| (*p, reverses.is_some())))?;
    apply_net(conn, pairs.iter().map(|(p, _)| *p))?;
    Ok(ids)
}

/// Moves every touched balance by its net change, in (material, location) order. Decrements
/// stay conditional, so the end state of every row is checked.
fn apply_net<'a>(conn: &mut DbConn, postings: impl Iterator<Item = &'a Posting>) -> Result<(), LedgerError> {
    use std::collections::BTreeMap;
    let mut net: BTreeMap<(MaterialId, LocationId), i64> = BTreeMap::new();
    for p in postings {
        if let Some(from) = p.from {
            *net.entry((p.material_id, from)).or_default() -= i64::from(p.quantity);
        }
        if let Some(to) = p.to {
            *net.entry((p.material_id, to)).or_default() += i64::from(p.quantity);
        }
    }
    // Increments wait in a batch until a decrement (which must see its own row) or the end, so
    // rows are still touched in key order.
    let mut increments: Vec<(MaterialId, LocationId, i32)> = Vec::new();
    for ((material_id, location_id), delta) in net {
        let amount = i32::try_from(delta.abs()).map_err(|_| LedgerError::TooLarge)?;
        match delta.cmp(&0) {
            std::cmp::Ordering::Less => {
                increment_many(conn, &std::mem::take(&mut increments))?;
                decrement(conn, material_id, location_id, amount)?;
            }
            std::cmp::Ordering::Greater => increments.push((material_id, location_id, amount)),
            std::cmp::Ordering::Equal => {}
        }
    }
    increment_many(conn, &increments)
}

/// The summary flow a movement of `kind` counts in, at a place that is or is not a depot.
/// Dispatches and returns move stock within the system and count in no flow.
pub fn flow_of(kind: MovementKind, at_depot: bool) -> Option<&'static str> {
    match kind {
        MovementKind::Receipt => Some("received"),
        MovementKind::Delivery if at_depot => Some("transferred"),
        MovementKind::Delivery => Some("distributed"),
        MovementKind::Loss | MovementKind::Damage | MovementKind::Shortfall => Some("lost"),
        MovementKind::CountUp => Some("count_up"),
        MovementKind::CountDown => Some("count_down"),
        MovementKind::Dispatch | MovementKind::Return => None,
    }
}

/// Keeps `daily_flows` in step with the movements being posted, in the same transaction and in
/// one fixed key order. A movement's place is where it arrives, or where it leaves for an outward
/// one; a reversal (locations swapped) is placed at its origin and subtracts.
fn apply_flows<'a>(conn: &mut DbConn, postings: impl Iterator<Item = (&'a Posting, bool)>) -> Result<(), LedgerError> {
    use crate::db::schema::locations;
    use std::collections::{BTreeMap, HashMap};
    // Dispatches and returns count in no flow: their places need not be read.
    let postings: Vec<(&Posting, bool)> =
        postings.filter(|(p, _)| flow_of(p.kind, true).is_some() || flow_of(p.kind, false).is_some()).collect();
    if postings.is_empty() {
        return Ok(());
    }
    let place = |p: &Posting, reversal: bool| if reversal { p.from.or(p.to) } else { p.to.or(p.from) };
    let mut ids: Vec<LocationId> = postings.iter().filter_map(|(p, r)| place(p, *r)).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut places: HashMap<LocationId, (Option<i32>, i32, bool)> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(LocationId, Option<i32>, i32, bool)> = locations::table
            .filter(locations::id.eq_any(chunk))
            .select((locations::id, locations::region_id, locations::location_type_id, locations::is_depot))
            .load(conn)?;
        places.extend(rows.into_iter().map(|(id, region, kind, depot)| (id, (region, kind, depot))));
    }
    let mut net: BTreeMap<(MaterialId, &'static str, i32, i32, NaiveDate), i64> = BTreeMap::new();
    for (p, reversal) in postings {
        let Some(&(region, location_type, depot)) = place(p, reversal).and_then(|id| places.get(&id)) else { continue };
        let Some(flow) = flow_of(p.kind, depot) else { continue };
        let signed = if reversal { -i64::from(p.quantity) } else { i64::from(p.quantity) };
        *net.entry((p.material_id, flow, region.unwrap_or(0), location_type, p.effective_on)).or_default() += signed;
    }
    let rows: Vec<_> = net
        .into_iter()
        .filter(|(_, quantity)| *quantity != 0)
        .map(|((material_id, flow, region_id, location_type_id, day), quantity)| {
            (
                daily_flows::material_id.eq(material_id),
                daily_flows::flow.eq(flow),
                daily_flows::region_id.eq(region_id),
                daily_flows::location_type_id.eq(location_type_id),
                daily_flows::day.eq(day),
                daily_flows::quantity.eq(quantity),
            )
        })
        .collect();
    // One multi-row upsert per chunk, in key order (the lock order).
    for chunk in rows.chunks(UPSERT_ROWS) {
        use diesel::upsert::excluded;
        let upsert = diesel::insert_into(daily_flows::table)
            .values(chunk)
            .on_conflict((
                daily_flows::material_id,
                daily_flows::flow,
                daily_flows::region_id,
                daily_flows::location_type_id,
                daily_flows::day,
            ))
            .do_update()
            .set(daily_flows::quantity.eq(daily_flows::quantity + excluded(daily_flows::quantity)));
        match conn {
            DbConn::Sqlite(c) => upsert.execute(c)?,
            DbConn::Postgresql(c) => upsert.execute(c)?,
        };
    }
    Ok(())
}

fn insert_movement(
    conn: &mut DbConn,
    recorded_by: Option<UserId>,
    p: &Posting,
    reverses: Option<MovementId>,
) -> Result<MovementId, LedgerError> {
    let id = diesel::insert_into(stock_movements::table)
        .values((
            stock_movements::material_id.eq(p.material_id),
            stock_movements::from_location_id.eq(p.from),
            stock_movements::to_location_id.eq(p.to),
            stock_movements::quantity.eq(p.quantity),
            stock_movements::kind.eq(p.kind),
            stock_movements::effective_on.eq(p.effective_on),
            stock_movements::receipt_id.eq(p.source.receipt_id),
            stock_movements::shipment_id.eq(p.source.shipment_id),
            stock_movements::shipment_line_id.eq(p.source.shipment_line_id),
            stock_movements::adjustment_id.eq(p.source.adjustment_id),
            stock_movements::reverses_id.eq(reverses),
            stock_movements::reason.eq(&p.reason),
            stock_movements::recorded_by.eq(recorded_by),
            stock_movements::recorded_at.eq(now()),
        ))
        .returning(stock_movements::id)
        .get_result(conn)
        .map_err(|e| {
            // Two reversals of one movement raced past the check: UNIQUE (reverses_id) kept one.
            if reverses.is_some() && crate::models::is_unique_violation(&e) {
                LedgerError::AlreadyReversed
            } else {
                LedgerError::Database(e)
            }
        })?;
    Ok(id)
}

/// Posts many movements at once for bulk loads: balances move by their net change per
/// (material, location), decrements still conditional, and the rows go in multi-row inserts.
/// The end state is checked, not each intermediate one, so call it only with a batch that is
/// valid in order (the demo loader's history). Same transaction rules as `post`.
pub fn post_batch(conn: &mut DbConn, recorded_by: Option<UserId>, postings: &[Posting]) -> Result<usize, LedgerError> {
    let lock = lock_date(conn)?;
    for p in postings {
        check_date(lock, p.effective_on)?;
    }
    // Flows, then balances: the order every posting takes them in.
    apply_flows(conn, postings.iter().map(|p| (p, false)))?;
    apply_net(conn, postings.iter())?;
    let at = now();
    for chunk in postings.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|p| {
                (
                    stock_movements::material_id.eq(p.material_id),
                    stock_movements::from_location_id.eq(p.from),
                    stock_movements::to_location_id.eq(p.to),
                    stock_movements::quantity.eq(p.quantity),
                    stock_movements::kind.eq(p.kind),
                    stock_movements::effective_on.eq(p.effective_on),
                    stock_movements::receipt_id.eq(p.source.receipt_id),
                    stock_movements::shipment_id.eq(p.source.shipment_id),
                    stock_movements::shipment_line_id.eq(p.source.shipment_line_id),
                    stock_movements::adjustment_id.eq(p.source.adjustment_id),
                    stock_movements::reason.eq(p.reason.as_str()),
                    stock_movements::recorded_by.eq(recorded_by),
                    stock_movements::recorded_at.eq(at),
                )
            })
            .collect();
        // MultiConnection cannot batch-insert; the inner connection is inside the same transaction.
        match conn {
            DbConn::Sqlite(c) => diesel::insert_into(stock_movements::table).values(&rows).execute(c)?,
            DbConn::Postgresql(c) => diesel::insert_into(stock_movements::table).values(&rows).execute(c)?,
        };
    }
    Ok(postings.len())
}

/// Undoes a movement with a new one that points at it: same kind and date, locations swapped.
/// The original stays, marked reversed by the pointer.
pub fn reverse(
    conn: &mut DbConn,
    recorded_by: Option<UserId>,
    movement_id: MovementId,
    reason: &str,
) -> Result<MovementId, LedgerError> {
    let ids = reverse_many(conn, recorded_by, &[movement_id], reason)?;
    ids.first().copied().ok_or(LedgerError::Database(diesel::result::Error::NotFound))
}

/// Reverses several movements in one posting, so their balance rows are locked in one order.
pub fn reverse_many(
    conn: &mut DbConn,
    recorded_by: Option<UserId>,
    movement_ids: &[MovementId],
    reason: &str,
) -> Result<Vec<MovementId>, LedgerError> {
    let mut reversals = Vec::with_capacity(movement_ids.len());
    for &movement_id in movement_ids {
        let original: Movement = stock_movements::table.find(movement_id).select(Movement::as_select()).first(conn)?;
        if original.reverses_id.is_some() {
            return Err(LedgerError::ReversalOfReversal);
        }
        let already: i64 =
            stock_movements::table.filter(stock_movements::reverses_id.eq(movement_id)).count().get_result(conn)?;
        if already > 0 {
            return Err(LedgerError::AlreadyReversed);
        }
        let kind = original.kind;
        reversals.push((
            Posting {
                material_id: original.material_id,
                from: original.to_location_id,
                to: original.from_location_id,
                quantity: original.quantity,
                kind,
                effective_on: original.effective_on,
                source: Source {
                    receipt_id: original.receipt_id,
                    shipment_id: original.shipment_id,
                    shipment_line_id: original.shipment_line_id,
                    adjustment_id: original.adjustment_id,
                },
                reason: reason.to_string(),
            },
            movement_id,
        ));
    }
    let pairs: Vec<(&Posting, Option<MovementId>)> = reversals.iter().map(|(p, id)| (p, Some(*id))).collect();
    post_pairs(conn, recorded_by, &pairs)
}

/// The movements of a record (receipt, shipment or adjustment), oldest first.
pub fn movements_of(conn: &mut DbConn, source: Source) -> QueryResult<Vec<Movement>> {
    let mut query = stock_movements::table.into_boxed();
    if let Some(id) = source.receipt_id {
        query = query.filter(stock_movements::receipt_id.eq(id));
    }
    if let Some(id) = source.shipment_id {
        query = query.filter(stock_movements::shipment_id.eq(id));
    }
    if let Some(id) = source.adjustment_id {
        query = query.filter(stock_movements::adjustment_id.eq(id));
    }
    query.order(stock_movements::id).select(Movement::as_select()).load(conn)
}

/// Balances whose cached value differs from the sum of their movements: (material, location,
/// cached, from the ledger). Empty when the cache is true.
pub fn mismatched_balances(conn: &mut DbConn) -> QueryResult<Vec<(MaterialId, LocationId, i64, i64)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        material_id: MaterialId,
        #[diesel(sql_type = Integer)]
        location_id: LocationId,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        cached: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        derived: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "WITH flows AS ( \
             SELECT material_id, to_location_id AS location_id, quantity AS delta FROM stock_movements WHERE to_location_id IS NOT NULL \
             UNION ALL \
             SELECT material_id, from_location_id, -quantity FROM stock_movements WHERE from_location_id IS NOT NULL), \
         derived AS (SELECT material_id, location_id, SUM(delta) AS total FROM flows GROUP BY material_id, location_id), \
         keys AS (SELECT material_id, location_id FROM derived UNION SELECT material_id, location_id FROM stock_balances) \
         SELECT k.material_id, k.location_id, \
                CAST(COALESCE(b.on_hand, 0) AS BIGINT) AS cached, CAST(COALESCE(d.total, 0) AS BIGINT) AS derived \
         FROM keys k \
         LEFT JOIN stock_balances b ON b.material_id = k.material_id AND b.location_id = k.location_id \
         LEFT JOIN derived d ON d.material_id = k.material_id AND d.location_id = k.location_id \
         WHERE COALESCE(b.on_hand, 0) <> COALESCE(d.total, 0)",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.material_id, r.location_id, r.cached, r.derived)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in MovementKind::ALL {
            assert_eq!(MovementKind::from_text(kind.as_str()), Some(kind));
        }
        assert_eq!(MovementKind::from_text("gift"), None);
    }

    #[test]
    fn dates_inside_the_closed_period_or_the_future_are_refused() {
        let lock = NaiveDate::from_ymd_opt(2005, 12, 31);
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
        assert!(matches!(check_date(lock, day(2005, 12, 31)), Err(LedgerError::PeriodClosed { .. })));
        assert!(check_date(lock, day(2006, 1, 1)).is_ok());
        assert!(check_date(None, day(1999, 1, 1)).is_ok());
        let far = chrono::Utc::now().date_naive() + Duration::days(30);
        assert!(matches!(check_date(None, far), Err(LedgerError::FutureDate(_))));
    }
}
