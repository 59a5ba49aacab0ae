//! What a recipient confirmed through a delivery note's code: who, when, from where, and what
//! arrived per line. Never overwritten: a correction is a new row that supersedes the first.

use crate::db::schema::{recipient_confirmation_lines, recipient_confirmations, recipient_responses};
use crate::db::DbConn;
use crate::domain::{ShipmentId, ShipmentLineId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = recipient_confirmations)]
pub struct RecipientConfirmation {
    pub id: i32,
    pub shipment_id: ShipmentId,
    pub code_id: i32,
    pub confirmer_name: String,
    pub confirmer_role: String,
    pub phone: String,
    pub confirmed_at: NaiveDateTime,
    pub ip: String,
    pub submission_key: String,
    pub disputed_units: i32,
    pub supersedes_id: Option<i32>,
    pub superseded_at: Option<NaiveDateTime>,
    /// How staff settled the disputed units ("arrived" or "lost"); None while open.
    pub resolution: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<UserId>,
    pub resolution_note: String,
}

/// What one line received, as the recipient said.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = recipient_confirmation_lines)]
pub struct ConfirmedLine {
    pub shipment_line_id: ShipmentLineId,
    pub received: i32,
    pub shortfall_reason: Option<String>,
}

/// A confirmation to record.
#[derive(Debug, Clone)]
pub struct NewConfirmation<'a> {
    pub shipment_id: ShipmentId,
    pub code_id: i32,
    pub confirmer_name: &'a str,
    pub confirmer_role: &'a str,
    pub phone: &'a str,
    pub ip: &'a str,
    pub submission_key: &'a str,
    pub disputed_units: i32,
    /// The confirmation this one corrects.
    pub supersedes_id: Option<i32>,
    pub at: NaiveDateTime,
}

impl RecipientConfirmation {
    /// The confirmation number a recipient keeps: "RC-000042".
    pub fn number(&self) -> String {
        format!("RC-{:06}", self.id)
    }

    pub fn record(conn: &mut DbConn, new: &NewConfirmation, lines: &[ConfirmedLine]) -> QueryResult<i32> {
        let id: i32 = diesel::insert_into(recipient_confirmations::table)
            .values((
                recipient_confirmations::shipment_id.eq(new.shipment_id),
                recipient_confirmations::code_id.eq(new.code_id),
                recipient_confirmations::confirmer_name.eq(new.confirmer_name),
                recipient_confirmations::confirmer_role.eq(new.confirmer_role),
                recipient_confirmations::phone.eq(new.phone),
                recipient_confirmations::confirmed_at.eq(new.at),
                recipient_confirmations::ip.eq(new.ip),
                recipient_confirmations::submission_key.eq(new.submission_key),
                recipient_confirmations::disputed_units.eq(new.disputed_units),
                recipient_confirmations::supersedes_id.eq(new.supersedes_id),
            ))
            .returning(recipient_confirmations::id)
            .get_result(conn)?;
        // One insert per line: a shipment has a handful, and batch inserts differ per backend.
        for l in lines {
            diesel::insert_into(recipient_confirmation_lines::table)
                .values((
                    recipient_confirmation_lines::confirmation_id.eq(id),
                    recipient_confirmation_lines::shipment_line_id.eq(l.shipment_line_id),
                    recipient_confirmation_lines::received.eq(l.received),
                    recipient_confirmation_lines::shortfall_reason.eq(l.shortfall_reason.as_deref()),
                ))
                .execute(conn)?;
        }
        Ok(id)
    }

    /// The shipment's confirmation in force (none superseded it).
    pub fn current_for(conn: &mut DbConn, shipment_id: ShipmentId) -> QueryResult<Option<RecipientConfirmation>> {
        recipient_confirmations::table
            .filter(recipient_confirmations::shipment_id.eq(shipment_id))
            .filter(recipient_confirmations::superseded_at.is_null())
            .order(recipient_confirmations::id.desc())
            .select(RecipientConfirmation::as_select())
            .first(conn)
            .optional()
    }

    /// True while units it left in transit wait for staff.
    pub fn dispute_open(&self) -> bool {
        self.disputed_units > 0 && self.resolution.is_none()
    }

    /// Records how staff settled the dispute; false when it was already settled.
    pub fn resolve(conn: &mut DbConn, id: i32, resolution: &str, by: Option<UserId>, note: &str) -> QueryResult<bool> {
        let n = diesel::update(
            recipient_confirmations::table.find(id).filter(recipient_confirmations::resolution.is_null()),
        )
        .set((
            recipient_confirmations::resolution.eq(resolution),
            recipient_confirmations::resolved_at.eq(crate::models::now()),
            recipient_confirmations::resolved_by.eq(by),
            recipient_confirmations::resolution_note.eq(note),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// A correction sets the confirmation aside; false when it was already set aside or
    /// settled (the correction lost a race).
    pub fn supersede(conn: &mut DbConn, id: i32, at: NaiveDateTime) -> QueryResult<bool> {
        let n = diesel::update(
            recipient_confirmations::table
                .find(id)
                .filter(recipient_confirmations::superseded_at.is_null())
                .filter(recipient_confirmations::resolution.is_null()),
        )
        .set(recipient_confirmations::superseded_at.eq(at))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// The shipment's confirmation in force stops being so (its delivery was reversed); kept.
    pub fn supersede_current(conn: &mut DbConn, shipment_id: ShipmentId, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            recipient_confirmations::table
                .filter(recipient_confirmations::shipment_id.eq(shipment_id))
                .filter(recipient_confirmations::superseded_at.is_null()),
        )
        .set(recipient_confirmations::superseded_at.eq(at))
        .execute(conn)
    }

    /// The confirmation a form's one-time key recorded.
    pub fn by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<RecipientConfirmation>> {
        recipient_confirmations::table
            .filter(recipient_confirmations::submission_key.eq(key))
            .select(RecipientConfirmation::as_select())
            .first(conn)
            .optional()
    }

    pub fn lines(conn: &mut DbConn, id: i32) -> QueryResult<Vec<ConfirmedLine>> {
        recipient_confirmation_lines::table
            .filter(recipient_confirmation_lines::confirmation_id.eq(id))
            .order(recipient_confirmation_lines::shipment_line_id)
            .select(ConfirmedLine::as_select())
            .load(conn)
    }
}

/// What a recipient said of a delivery staff recorded first: agreed, or disagreed and why.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = recipient_responses)]
pub struct RecipientResponse {
    pub id: i32,
    pub shipment_id: ShipmentId,
    pub code_id: i32,
    pub agrees: bool,
    pub note: String,
    pub confirmer_name: String,
    pub confirmer_role: String,
    pub phone: String,
    pub ip: String,
    pub responded_at: NaiveDateTime,
    pub submission_key: String,
}

impl RecipientResponse {
    /// Records the answer; false when the code already has one (a second tap, another phone).
    /// Two at the very same moment meet the code's UNIQUE constraint, and the second fails.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        conn: &mut DbConn,
        shipment_id: ShipmentId,
        code_id: i32,
        agrees: bool,
        note: &str,
        who: (&str, &str, &str, &str),
        submission_key: &str,
    ) -> QueryResult<bool> {
        let (name, role, phone, ip) = who;
        if Self::for_code(conn, code_id)?.is_some() {
            return Ok(false);
        }
        diesel::insert_into(recipient_responses::table)
            .values((
                recipient_responses::shipment_id.eq(shipment_id),
                recipient_responses::code_id.eq(code_id),
                recipient_responses::agrees.eq(agrees),
                recipient_responses::note.eq(note),
                recipient_responses::confirmer_name.eq(name),
                recipient_responses::confirmer_role.eq(role),
                recipient_responses::phone.eq(phone),
                recipient_responses::ip.eq(ip),
                recipient_responses::responded_at.eq(crate::models::now()),
                recipient_responses::submission_key.eq(submission_key),
            ))
            .execute(conn)?;
        Ok(true)
    }

    /// The answer given through a code, if any.
    pub fn for_code(conn: &mut DbConn, code_id: i32) -> QueryResult<Option<RecipientResponse>> {
        recipient_responses::table
            .filter(recipient_responses::code_id.eq(code_id))
            .select(RecipientResponse::as_select())
            .first(conn)
            .optional()
    }

    /// The latest answer about a shipment, for staff.
    pub fn latest_for(conn: &mut DbConn, shipment_id: ShipmentId) -> QueryResult<Option<RecipientResponse>> {
        recipient_responses::table
            .filter(recipient_responses::shipment_id.eq(shipment_id))
            .order(recipient_responses::id.desc())
            .select(RecipientResponse::as_select())
            .first(conn)
            .optional()
    }

    pub fn by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<RecipientResponse>> {
        recipient_responses::table
            .filter(recipient_responses::submission_key.eq(key))
            .select(RecipientResponse::as_select())
            .first(conn)
            .optional()
    }
}
