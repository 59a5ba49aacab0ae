//! A delivery note's code, as stored: the nonce it is derived from, the digest its link is found
//! by, the short code a recipient types, and the wrong PINs typed on it.

use crate::db::schema::delivery_codes;
use crate::db::DbConn;
use crate::domain::{new_nonce, DeliveryKey, LinkToken, ShipmentId, ShortCode, UserId};
use crate::models::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Wrong PINs that lock a link until staff unlock it.
pub const PIN_ATTEMPTS: i32 = 5;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = delivery_codes)]
pub struct DeliveryCode {
    pub id: i32,
    pub shipment_id: ShipmentId,
    pub nonce: String,
    pub short_code: String,
    pub issued_at: NaiveDateTime,
    pub voided_at: Option<NaiveDateTime>,
    pub failed_pins: i32,
    pub locked_at: Option<NaiveDateTime>,
}

impl DeliveryCode {
    /// The link token and short code this row stands for.
    pub fn code(&self, key: &DeliveryKey) -> (LinkToken, ShortCode) {
        key.code(self.shipment_id.0, &self.nonce)
    }

    /// A new code for the shipment, voiding the one before it. A short code already taken (one
    /// in some 27 billion per live code) draws another nonce.
    pub fn issue(conn: &mut DbConn, key: &DeliveryKey, shipment_id: ShipmentId, by: Option<UserId>) -> QueryResult<()> {
        let at = now();
        Self::void(conn, shipment_id, at)?;
        loop {
            let nonce = new_nonce();
            let (token, short) = key.code(shipment_id.0, &nonce);
            let taken: i64 =
                delivery_codes::table.filter(delivery_codes::short_code.eq(short.as_str())).count().get_result(conn)?;
            if taken > 0 {
                continue;
            }
            diesel::insert_into(delivery_codes::table)
                .values((
                    delivery_codes::shipment_id.eq(shipment_id),
                    delivery_codes::nonce.eq(&nonce),
                    delivery_codes::token_digest.eq(token.digest()),
                    delivery_codes::short_code.eq(short.as_str()),
                    delivery_codes::issued_at.eq(at),
                    delivery_codes::issued_by.eq(by),
                ))
                .execute(conn)?;
            return Ok(());
        }
    }

    /// Voids the shipment's live code, if any: every printed copy stops working.
    pub fn void(conn: &mut DbConn, shipment_id: ShipmentId, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            delivery_codes::table
                .filter(delivery_codes::shipment_id.eq(shipment_id))
                .filter(delivery_codes::voided_at.is_null()),
        )
        .set(delivery_codes::voided_at.eq(at))
        .execute(conn)
    }

    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<DeliveryCode>> {
        delivery_codes::table.find(id).select(DeliveryCode::as_select()).first(conn).optional()
    }

    /// The shipment's live code.
    pub fn live_for(conn: &mut DbConn, shipment_id: ShipmentId) -> QueryResult<Option<DeliveryCode>> {
        delivery_codes::table
            .filter(delivery_codes::shipment_id.eq(shipment_id))
            .filter(delivery_codes::voided_at.is_null())
            .select(DeliveryCode::as_select())
            .first(conn)
            .optional()
    }

    /// The code a link's token stands for, live or voided.
    pub fn by_token(conn: &mut DbConn, token: &LinkToken) -> QueryResult<Option<DeliveryCode>> {
        delivery_codes::table
            .filter(delivery_codes::token_digest.eq(token.digest()))
            .select(DeliveryCode::as_select())
            .first(conn)
            .optional()
    }

    /// The code a typed short code stands for, live or voided.
    pub fn by_short_code(conn: &mut DbConn, code: &ShortCode) -> QueryResult<Option<DeliveryCode>> {
        delivery_codes::table
            .filter(delivery_codes::short_code.eq(code.as_str()))
            .select(DeliveryCode::as_select())
            .first(conn)
            .optional()
    }

    /// Counts a wrong PIN against the link, locking it at the limit; the count after it.
    pub fn count_wrong_pin(conn: &mut DbConn, id: i32) -> QueryResult<i32> {
        let failed: i32 = diesel::update(delivery_codes::table.find(id))
            .set(delivery_codes::failed_pins.eq(delivery_codes::failed_pins + 1))
            .returning(delivery_codes::failed_pins)
            .get_result(conn)?;
        if failed >= PIN_ATTEMPTS {
            diesel::update(delivery_codes::table.find(id).filter(delivery_codes::locked_at.is_null()))
                .set(delivery_codes::locked_at.eq(now()))
                .execute(conn)?;
        }
        Ok(failed)
    }

    /// Staff unlock a link: its wrong PINs are forgotten.
    pub fn unlock(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
        diesel::update(delivery_codes::table.find(id))
            .set((delivery_codes::failed_pins.eq(0), delivery_codes::locked_at.eq(None::<NaiveDateTime>)))
            .execute(conn)
    }
}
