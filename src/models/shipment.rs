//! Shipments: a header (origin, destination, carrier, status) with lines, a status history and
//! an optional scan of the signed delivery note.

use crate::db::schema::{attachments, locations, materials, shipment_events, shipment_lines, shipments, users};
use crate::db::DbConn;
pub use crate::domain::ShipmentStatus;
use crate::domain::{LocationId, MaterialId, PositiveQuantity, ShipmentEventKind, ShipmentId, ShipmentLineId, UserId};
use crate::models::keyset::{self, Seek, Total, Window};
use crate::models::now;
pub use crate::models::shipment_query::{Reach, ShipmentFilter, ShipmentQuery, ShipmentSort};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

pub const SHORTFALL_REASONS: [&str; 4] = ["lost", "damaged", "stolen", "other"];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = shipments)]
pub struct Shipment {
    pub id: ShipmentId,
    pub reference: String,
    pub origin_id: LocationId,
    pub destination_id: LocationId,
    pub carrier: String,
    pub expected_on: Option<NaiveDate>,
    pub status: ShipmentStatus,
    pub dispatched_on: Option<NaiveDate>,
    pub delivered_on: Option<NaiveDate>,
    pub received_by: String,
    pub delivery_note: String,
    pub note: String,
    pub external_ref: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = shipment_lines)]
pub struct ShipmentLine {
    pub id: ShipmentLineId,
    pub shipment_id: ShipmentId,
    pub material_id: MaterialId,
    pub quantity: PositiveQuantity,
    pub quantity_received: Option<i32>,
    pub shortfall_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = shipment_events)]
pub struct ShipmentEvent {
    pub id: i32,
    pub shipment_id: ShipmentId,
    pub status: ShipmentEventKind,
    pub at: NaiveDateTime,
    pub user_id: Option<UserId>,
    pub note: String,
}

/// The header fields a draft is created or edited with.
#[derive(Debug, Clone)]
pub struct ShipmentHeader {
    pub origin_id: LocationId,
    pub destination_id: LocationId,
    pub carrier: String,
    pub expected_on: Option<NaiveDate>,
    pub note: String,
    pub external_ref: Option<String>,
}

/// A list row: the shipment with its places' names and the units it carries of each material.
#[derive(Debug, Clone)]
pub struct ShipmentRow {
    pub shipment: Shipment,
    pub origin_name: String,
    pub destination_name: String,
    /// Units sent per material, in material order: posters and fliers never added together.
    pub units: Vec<MaterialUnits>,
}

/// How many units of one material a shipment carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialUnits {
    pub material_id: MaterialId,
    pub name: crate::domain::Names,
    pub units: i64,
}

impl Shipment {
    /// Inserts a draft with a temporary reference, then names it by its id: `SH-000042`.
    pub fn insert_draft(
        conn: &mut DbConn,
        header: &ShipmentHeader,
        created_by: Option<UserId>,
    ) -> QueryResult<(ShipmentId, String)> {
        let at = now();
        let temporary = format!("tmp-{}", crate::tokens::random_token());
        let id: ShipmentId = diesel::insert_into(shipments::table)
            .values((
                shipments::reference.eq(&temporary),
                shipments::origin_id.eq(header.origin_id),
                shipments::destination_id.eq(header.destination_id),
                shipments::carrier.eq(&header.carrier),
                shipments::expected_on.eq(header.expected_on),
                shipments::status.eq(ShipmentStatus::Draft),
                shipments::note.eq(&header.note),
                shipments::external_ref.eq(&header.external_ref),
                shipments::created_by.eq(created_by),
                shipments::created_at.eq(at),
                shipments::updated_at.eq(at),
            ))
            .returning(shipments::id)
            .get_result(conn)?;
        let reference = format!("SH-{id:06}");
        diesel::update(shipments::table.find(id)).set(shipments::reference.eq(&reference)).execute(conn)?;
        Ok((id, reference))
    }

    /// A shipment (not cancelled) with the same header and lines created by `user_id` since
    /// `since`, newest first.
    pub fn recent_same(
        conn: &mut DbConn,
        user_id: UserId,
        header: &ShipmentHeader,
        lines: &[(MaterialId, PositiveQuantity)],
        since: NaiveDateTime,
    ) -> QueryResult<Option<Shipment>> {
        let candidates: Vec<Shipment> = shipments::table
            .filter(shipments::created_by.eq(user_id))
            .filter(shipments::created_at.ge(since))
            .filter(shipments::status.ne(ShipmentStatus::Cancelled))
            .filter(shipments::origin_id.eq(header.origin_id))
            .filter(shipments::destination_id.eq(header.destination_id))
            .filter(shipments::carrier.eq(&header.carrier))
            .filter(shipments::note.eq(&header.note))
            .order(shipments::id.desc())
            .select(Shipment::as_select())
            .load(conn)?;
        let mut wanted: Vec<(MaterialId, PositiveQuantity)> = lines.to_vec();
        wanted.sort_unstable();
        for candidate in candidates.into_iter().filter(|c| c.expected_on == header.expected_on) {
            let mut have: Vec<(MaterialId, PositiveQuantity)> =
                Self::lines(conn, candidate.id)?.iter().map(|l| (l.material_id, l.quantity)).collect();
            have.sort_unstable();
            if have == wanted {
                return Ok(Some(candidate));
            }
        }
        Ok(None)
    }

    /// Changes a draft's header; false when it is no longer a draft.
    pub fn update_header(conn: &mut DbConn, id: ShipmentId, header: &ShipmentHeader) -> QueryResult<bool> {
        let n = diesel::update(shipments::table.find(id).filter(shipments::status.eq(ShipmentStatus::Draft)))
            .set((
                shipments::origin_id.eq(header.origin_id),
                shipments::destination_id.eq(header.destination_id),
                shipments::carrier.eq(&header.carrier),
                shipments::expected_on.eq(header.expected_on),
                shipments::note.eq(&header.note),
                shipments::updated_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(n == 1)
    }

    /// Moves the status on only from `expected`: a second concurrent attempt changes nothing.
    pub fn transition(
        conn: &mut DbConn,
        id: ShipmentId,
        expected: ShipmentStatus,
        next: ShipmentStatus,
    ) -> QueryResult<bool> {
        let n = diesel::update(shipments::table.find(id).filter(shipments::status.eq(expected)))
            .set((shipments::status.eq(next), shipments::updated_at.eq(now())))
            .execute(conn)?;
        Ok(n == 1)
    }

    /// A draft becomes dispatched on `date`; false when it is no longer a draft (a concurrent
    /// dispatch or cancellation won) or, given the version it was checked at (`updated_at`), when
    /// it was edited since.
    pub fn dispatch_draft(
        conn: &mut DbConn,
        id: ShipmentId,
        date: NaiveDate,
        checked_at: Option<NaiveDateTime>,
    ) -> QueryResult<bool> {
        let draft = shipments::table.find(id).filter(shipments::status.eq(ShipmentStatus::Draft));
        let changes = (
            shipments::status.eq(ShipmentStatus::Dispatched),
            shipments::dispatched_on.eq(date),
            shipments::updated_at.eq(now()),
        );
        let n = match checked_at {
            Some(at) => diesel::update(draft.filter(shipments::updated_at.eq(at))).set(changes).execute(conn)?,
            None => diesel::update(draft).set(changes).execute(conn)?,
        };
        Ok(n == 1)
    }

    pub fn set_delivery(
        conn: &mut DbConn,
        id: ShipmentId,
        date: Option<NaiveDate>,
        received_by: &str,
        note: &str,
    ) -> QueryResult<usize> {
        diesel::update(shipments::table.find(id))
            .set((
                shipments::delivered_on.eq(date),
                shipments::received_by.eq(received_by),
                shipments::delivery_note.eq(note),
            ))
            .execute(conn)
    }

    pub fn find(conn: &mut DbConn, id: ShipmentId) -> QueryResult<Option<Shipment>> {
        shipments::table.find(id).select(Shipment::as_select()).first(conn).optional()
    }

    /// What a depot dispatched on a day and is still in transit, oldest first, up to `limit`.
    pub fn dispatched_from_on(
        conn: &mut DbConn,
        origin: LocationId,
        on: NaiveDate,
        limit: i64,
    ) -> QueryResult<Vec<Shipment>> {
        shipments::table
            .filter(shipments::origin_id.eq(origin))
            .filter(shipments::dispatched_on.eq(on))
            .filter(shipments::status.eq(ShipmentStatus::Dispatched))
            .order(shipments::id)
            .limit(limit)
            .select(Shipment::as_select())
            .load(conn)
    }

    pub fn find_by_external_ref(conn: &mut DbConn, external_ref: &str) -> QueryResult<Option<Shipment>> {
        shipments::table
            .filter(shipments::external_ref.eq(external_ref))
            .select(Shipment::as_select())
            .first(conn)
            .optional()
    }

    pub fn lines(conn: &mut DbConn, id: ShipmentId) -> QueryResult<Vec<ShipmentLine>> {
        shipment_lines::table
            .filter(shipment_lines::shipment_id.eq(id))
            .order(shipment_lines::id)
            .select(ShipmentLine::as_select())
            .load(conn)
    }

    pub fn replace_lines(
        conn: &mut DbConn,
        id: ShipmentId,
        lines: &[(MaterialId, PositiveQuantity)],
    ) -> QueryResult<Vec<ShipmentLineId>> {
        // Draft lines are not business records yet: nothing has moved, so they may be replaced.
        diesel::delete(shipment_lines::table.filter(shipment_lines::shipment_id.eq(id))).execute(conn)?;
        Self::add_lines(conn, id, lines)
    }

    /// The lines of a new draft; gives their ids in the order given.
    pub fn add_lines(
        conn: &mut DbConn,
        id: ShipmentId,
        lines: &[(MaterialId, PositiveQuantity)],
    ) -> QueryResult<Vec<ShipmentLineId>> {
        let mut ids = Vec::with_capacity(lines.len());
        for (material_id, quantity) in lines {
            ids.push(
                diesel::insert_into(shipment_lines::table)
                    .values((
                        shipment_lines::shipment_id.eq(id),
                        shipment_lines::material_id.eq(material_id),
                        shipment_lines::quantity.eq(quantity),
                    ))
                    .returning(shipment_lines::id)
                    .get_result(conn)?,
            );
        }
        Ok(ids)
    }

    pub fn set_line_received(
        conn: &mut DbConn,
        line_id: ShipmentLineId,
        received: Option<i32>,
        reason: Option<&str>,
    ) -> QueryResult<usize> {
        diesel::update(shipment_lines::table.find(line_id))
            .set((shipment_lines::quantity_received.eq(received), shipment_lines::shortfall_reason.eq(reason)))
            .execute(conn)
    }

    pub fn add_event(
        conn: &mut DbConn,
        id: ShipmentId,
        status: ShipmentEventKind,
        user_id: Option<UserId>,
        note: &str,
    ) -> QueryResult<()> {
        diesel::insert_into(shipment_events::table)
            .values((
                shipment_events::shipment_id.eq(id),
                shipment_events::status.eq(status),
                shipment_events::at.eq(now()),
                shipment_events::user_id.eq(user_id),
                shipment_events::note.eq(note),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The status history with who made each step.
    pub fn events(conn: &mut DbConn, id: ShipmentId) -> QueryResult<Vec<(ShipmentEvent, Option<String>)>> {
        shipment_events::table
            .left_join(users::table.on(shipment_events::user_id.eq(users::id.nullable())))
            .filter(shipment_events::shipment_id.eq(id))
            .order(shipment_events::id)
            .select((ShipmentEvent::as_select(), users::display_name.nullable()))
            .load(conn)
    }

    /// One keyset page of the list: the rows after (or before) a sort key in the chosen order,
    /// each sort order walking its own index; the total is counted up to `COUNT_CAP`.
    pub fn window(
        conn: &mut DbConn,
        filter: &ShipmentFilter,
        seek: &Seek,
        per_page: usize,
    ) -> QueryResult<Window<ShipmentRow>> {
        let places = filter.places(conn)?;
        // A text too short for the reference index has no index to count with: counting it
        // read every shipment (140 ms at 419,000), where its page stops once full.
        let total = if !places.countable() {
            Total::Uncounted
        } else {
            Total::count(conn, filter.rows(&places, Reach::PlaceIndexes).select(shipments::id))?
        };
        let reach = if places.gathers_references() && matches!(total, Total::Exact(_)) {
            Reach::PlaceIndexes
        } else if places.reach_is_a_choice() {
            let shipments_ever: Option<i32> = shipments::table.select(diesel::dsl::max(shipments::id)).first(conn)?;
            Reach::for_page(total, per_page + 1, i64::from(shipments_ever.unwrap_or(0)))
        } else {
            Reach::PlaceIndexes
        };
        let limit = per_page as i64 + 1;
        let back = seek.backwards();
        let key = match seek {
            Seek::After(k) | Seek::Before(k) => Some(k.as_str()),
            Seek::First | Seek::Last => None,
        };
        // A key that does not read is the first page (or the last), never an error.
        let q = filter.rows(&places, reach);
        let q = match filter.sort {
            ShipmentSort::Newest | ShipmentSort::Oldest => {
                let newest = filter.sort == ShipmentSort::Newest;
                // Rows later in the list's order are older under Newest, newer under Oldest.
                let descending = newest != back;
                let q = match key.and_then(keyset::parse_timestamp_key) {
                    Some((at, id)) if descending => q.filter(
                        shipments::updated_at.le(at).and(shipments::updated_at.lt(at).or(shipments::id.lt(id))),
                    ),
                    Some((at, id)) => q.filter(
                        shipments::updated_at.ge(at).and(shipments::updated_at.gt(at).or(shipments::id.gt(id))),
                    ),
                    None => q,
                };
                if descending {
                    q.order((shipments::updated_at.desc(), shipments::id.desc()))
                } else {
                    q.order((shipments::updated_at.asc(), shipments::id.asc()))
                }
            }
            ShipmentSort::Reference => {
                let q = match key.and_then(keyset::parse_text_key) {
                    Some((reference, _)) if !back => q.filter(shipments::reference.gt(reference)),
                    Some((reference, _)) => q.filter(shipments::reference.lt(reference)),
                    None => q,
                };
                if back {
                    q.order(shipments::reference.desc())
                } else {
                    q.order(shipments::reference.asc())
                }
            }
            ShipmentSort::Status => {
                // Status ascending, then newest id first.
                let q = match key.and_then(keyset::parse_text_key) {
                    Some((status, id)) if !back => q.filter(
                        shipments::status.ge(status.clone()).and(shipments::status.gt(status).or(shipments::id.lt(id))),
                    ),
                    Some((status, id)) => q.filter(
                        shipments::status.le(status.clone()).and(shipments::status.lt(status).or(shipments::id.gt(id))),
                    ),
                    None => q,
                };
                if back {
                    q.order((shipments::status.desc(), shipments::id.asc()))
                } else {
                    q.order((shipments::status.asc(), shipments::id.desc()))
                }
            }
        };
        let rows: Vec<Shipment> = q.limit(limit).select(Shipment::as_select()).load(conn)?;
        let ids: Vec<ShipmentId> = rows.iter().map(|r| r.id).collect();
        let place_ids: Vec<LocationId> = rows.iter().flat_map(|r| [r.origin_id, r.destination_id]).collect();
        let names: std::collections::HashMap<LocationId, String> = locations::table
            .filter(locations::id.eq_any(place_ids))
            .select((locations::id, locations::name))
            .load::<(LocationId, String)>(conn)?
            .into_iter()
            .collect();
        let name_of = |id: LocationId| names.get(&id).cloned().unwrap_or_default();
        // Every line of the page's shipments in one query (at most six a shipment), then summed
        // per shipment and material here.
        let lines: Vec<(ShipmentId, MaterialId, crate::domain::Names, i32)> = shipment_lines::table
            .inner_join(materials::table)
            .filter(shipment_lines::shipment_id.eq_any(&ids))
            .order((shipment_lines::shipment_id, materials::id))
            .select((
                shipment_lines::shipment_id,
                materials::id,
                (materials::name_en, materials::name_es),
                shipment_lines::quantity,
            ))
            .load(conn)?;
        let units_of = |shipment_id: ShipmentId| -> Vec<MaterialUnits> {
            let mut units: Vec<MaterialUnits> = Vec::new();
            for (_, material_id, name, quantity) in lines.iter().filter(|l| l.0 == shipment_id) {
                match units.iter_mut().find(|u| u.material_id == *material_id) {
                    Some(u) => u.units += i64::from(*quantity),
                    None => units.push(MaterialUnits {
                        material_id: *material_id,
                        name: name.clone(),
                        units: i64::from(*quantity),
                    }),
                }
            }
            units
        };
        let rows: Vec<ShipmentRow> = rows
            .into_iter()
            .map(|shipment| ShipmentRow {
                units: units_of(shipment.id),
                origin_name: name_of(shipment.origin_id),
                destination_name: name_of(shipment.destination_id),
                shipment,
            })
            .collect();
        let sort = filter.sort;
        // An uncounted search whose first page holds every match has its count after all.
        let total = match total {
            Total::Uncounted if *seek == Seek::First && rows.len() <= per_page => Total::Exact(rows.len() as i64),
            total => total,
        };
        Ok(Window::from_rows(rows, per_page, seek, total, |r| match sort {
            ShipmentSort::Newest | ShipmentSort::Oldest => keyset::timestamp_key(r.shipment.updated_at, r.shipment.id),
            ShipmentSort::Reference => keyset::text_key(&r.shipment.reference, r.shipment.id),
            ShipmentSort::Status => keyset::text_key(r.shipment.status.as_str(), r.shipment.id),
        }))
    }

    /// Shipments dispatched on or before `date` and not yet delivered.
    pub fn in_transit_since(conn: &mut DbConn, date: NaiveDate) -> QueryResult<Vec<Shipment>> {
        shipments::table
            .filter(shipments::status.eq(ShipmentStatus::Dispatched))
            .filter(shipments::dispatched_on.le(date))
            .order(shipments::dispatched_on)
            .select(Shipment::as_select())
            .load(conn)
    }

    /// Material names of the lines, for pages.
    pub fn line_materials(
        conn: &mut DbConn,
        id: ShipmentId,
    ) -> QueryResult<Vec<(ShipmentLine, crate::models::material::Material)>> {
        shipment_lines::table
            .inner_join(materials::table)
            .filter(shipment_lines::shipment_id.eq(id))
            .order(shipment_lines::id)
            .select((ShipmentLine::as_select(), crate::models::material::Material::as_select()))
            .load(conn)
    }
}

/// A scan or photo of the signed delivery note.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: i32,
    pub shipment_id: ShipmentId,
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
    pub uploaded_by: Option<UserId>,
    pub uploaded_at: NaiveDateTime,
}

impl Attachment {
    pub fn insert(
        conn: &mut DbConn,
        shipment_id: ShipmentId,
        filename: &str,
        content_type: &str,
        data: &[u8],
        by: Option<UserId>,
    ) -> QueryResult<i32> {
        diesel::insert_into(attachments::table)
            .values((
                attachments::shipment_id.eq(shipment_id),
                attachments::filename.eq(filename),
                attachments::content_type.eq(content_type),
                attachments::data.eq(data),
                attachments::uploaded_by.eq(by),
                attachments::uploaded_at.eq(now()),
            ))
            .returning(attachments::id)
            .get_result(conn)
    }

    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Attachment>> {
        attachments::table.find(id).select(Attachment::as_select()).first(conn).optional()
    }

    /// (id, filename, content type) of a shipment's attachments, without their bytes.
    pub fn list(conn: &mut DbConn, shipment_id: ShipmentId) -> QueryResult<Vec<(i32, String, String)>> {
        attachments::table
            .filter(attachments::shipment_id.eq(shipment_id))
            .order(attachments::id)
            .select((attachments::id, attachments::filename, attachments::content_type))
            .load(conn)
    }
}
