//! The shipment lifecycle: draft → dispatched → delivered, or cancelled; and reversing a delivery.

use super::{active_depot, stocked_material, transit_location_id, Access};
use crate::db::DbConn;
use crate::domain::{Answers, Invalid, Question, Recorded, ShipmentStatus};
use crate::error::AppError;
use crate::ledger::{self, MovementKind, Posting, Source};
use crate::models::audit::{Actor, AuditEntry};
use crate::models::location::Location;
use crate::models::shipment::{Shipment, ShipmentHeader, SHORTFALL_REASONS};
use chrono::NaiveDate;

/// A draft as typed: header and (material, quantity) lines.
#[derive(Debug, Clone)]
pub struct Draft {
    pub header: ShipmentHeader,
    pub lines: Vec<(i32, i32)>,
}

/// What arrived, per line.
#[derive(Debug, Clone)]
pub struct LineReceipt {
    pub line_id: i32,
    pub received: i32,
    pub shortfall_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub delivered_on: NaiveDate,
    pub received_by: String,
    pub note: String,
    pub lines: Vec<LineReceipt>,
}

fn refused(key: &'static str) -> AppError {
    AppError::Refused(Invalid::new(key))
}

/// Checks a draft: an active depot of the user's regions as origin, an active other place as
/// destination, at least one line, each a stocked material once.
fn check_draft(conn: &mut DbConn, access: &Access, draft: &Draft) -> Result<(Location, Location), AppError> {
    let origin = active_depot(conn, access, draft.header.origin_id)?;
    let destination = super::location(conn, draft.header.destination_id, "err.unknown_destination")?;
    if destination.region_id.is_none() {
        return Err(refused("err.unknown_destination"));
    }
    if !destination.is_active {
        return Err(refused("err.inactive_location"));
    }
    if origin.id == destination.id {
        return Err(refused("err.same_origin_destination"));
    }
    if draft.lines.is_empty() {
        return Err(refused("err.no_lines"));
    }
    let mut seen = Vec::new();
    for (material_id, quantity) in &draft.lines {
        if *quantity <= 0 {
            return Err(refused("err.zero"));
        }
        if seen.contains(material_id) {
            return Err(refused("err.duplicate_line"));
        }
        seen.push(*material_id);
        stocked_material(conn, *material_id)?;
    }
    Ok((origin, destination))
}

/// Creates a draft; a line beyond its material's limit, or the same shipment again within
/// minutes, is asked about first.
pub fn create(
    conn: &mut DbConn,
    access: &Access,
    actor: &Actor,
    draft: &Draft,
    answers: Answers,
) -> Result<i32, AppError> {
    let (origin, destination) = check_draft(conn, access, draft)?;
    let mut questions = over_limits(conn, draft)?;
    if let Some(user) = access.user_id.filter(|_| !answers.duplicate) {
        let since = super::duplicate_window_start();
        if let Some(earlier) = Shipment::recent_same(conn, user, &draft.header, &draft.lines, since)? {
            let lines = Shipment::line_materials(conn, earlier.id)?;
            let joined = |pick: fn(&crate::models::material::Material) -> &str| {
                lines.iter().map(|(_, m)| pick(m)).collect::<Vec<_>>().join(", ")
            };
            let names = crate::domain::Names { en: joined(|m| &m.name_en), es: joined(|m| &m.name_es) };
            questions.push(Question::LikelyDuplicate {
                minutes_ago: super::minutes_since(earlier.created_at),
                earlier: Recorded {
                    kind: "shipment",
                    label: earlier.reference.clone(),
                    path: format!("/shipments/{}", earlier.id),
                    units: draft.lines.iter().map(|(_, q)| i64::from(*q)).sum(),
                    material: names,
                    place: destination.name.clone(),
                    reference: earlier.carrier,
                },
            });
        }
    }
    super::ask(answers, questions)?;
    let (id, reference) = Shipment::insert_draft(conn, &draft.header, access.user_id)?;
    Shipment::add_lines(conn, id, &draft.lines)?;
    Shipment::add_event(conn, id, ShipmentStatus::Draft.as_str(), access.user_id, "")?;
    AuditEntry::record(
        conn,
        actor,
        "create",
        "shipment",
        id,
        &format!("{reference}: {} → {}", origin.code, destination.code),
    )?;
    Ok(id)
}

/// The shipment, if the user may act on it as its origin's region.
fn as_origin(conn: &mut DbConn, access: &Access, id: i32) -> Result<(Shipment, Location), AppError> {
    let shipment = Shipment::find(conn, id)?.ok_or(AppError::NotFound)?;
    let origin = super::location(conn, shipment.origin_id, "err.unknown_depot")?;
    access.check(&origin)?;
    Ok((shipment, origin))
}

/// The over-limit questions of a draft's lines.
fn over_limits(conn: &mut DbConn, draft: &Draft) -> Result<Vec<Question>, AppError> {
    let mut questions = Vec::new();
    for (material_id, quantity) in &draft.lines {
        questions.extend(stocked_material(conn, *material_id)?.over_limit(*quantity));
    }
    Ok(questions)
}

pub fn update_draft(
    conn: &mut DbConn,
    access: &Access,
    actor: &Actor,
    id: i32,
    draft: &Draft,
    answers: Answers,
) -> Result<(), AppError> {
    let (shipment, _) = as_origin(conn, access, id)?;
    if shipment.status != ShipmentStatus::Draft {
        return Err(refused("err.not_draft"));
    }
    check_draft(conn, access, draft)?;
    let questions = over_limits(conn, draft)?;
    super::ask(answers, questions)?;
    Shipment::update_header(conn, id, &draft.header)?;
    Shipment::replace_lines(conn, id, &draft.lines)?;
    AuditEntry::record(conn, actor, "update", "shipment", id, &shipment.reference)?;
    Ok(())
}

/// Stock leaves the origin into transit. Refused, with what is left, if the origin lacks it; a
/// date before a line's campaign starts is asked about first.
pub fn dispatch(
    conn: &mut DbConn,
    access: &Access,
    actor: &Actor,
    id: i32,
    date: NaiveDate,
    answers: Answers,
) -> Result<(), AppError> {
    let (shipment, origin) = as_origin(conn, access, id)?;
    let lines = Shipment::line_materials(conn, id)?;
    let mut questions = Vec::new();
    for (_, material) in &lines {
        questions.extend(super::before_campaign(conn, material, date)?);
    }
    questions.dedup_by(|a, b| a == b);
    super::ask(answers, questions)?;
    if !origin.is_active {
        return Err(refused("err.inactive_location"));
    }
    if shipment.expected_on.is_some_and(|expected| expected < date) {
        return Err(refused("err.expected_before_dispatch"));
    }
    // The conditional status change makes a second concurrent dispatch of one shipment a no-op.
    if !Shipment::dispatch_draft(conn, id, date)? {
        return Err(refused("err.not_draft"));
    }
    Shipment::add_event(conn, id, ShipmentStatus::Dispatched.as_str(), access.user_id, "")?;
    AuditEntry::record(conn, actor, "dispatch", "shipment", id, &format!("{} on {date}", shipment.reference))?;
    let transit = transit_location_id(conn)?;
    let postings: Vec<Posting> = lines
        .iter()
        .map(|(line, _)| Posting {
            material_id: line.material_id,
            from: Some(shipment.origin_id),
            to: Some(transit),
            quantity: line.quantity,
            kind: MovementKind::Dispatch,
            effective_on: date,
            source: Source { shipment_id: Some(id), shipment_line_id: Some(line.id), ..Default::default() },
            reason: String::new(),
        })
        .collect();
    // Last: on PostgreSQL the balance rows stay locked from here to the commit, and every
    // dispatch from a depot takes the same ones.
    ledger::post(conn, access.user_id, &postings)?;
    Ok(())
}

/// The destination confirms what arrived; a shortfall needs a reason and is posted as a loss.
pub fn deliver(
    conn: &mut DbConn,
    access: &Access,
    actor: &Actor,
    id: i32,
    delivery: &Delivery,
) -> Result<(), AppError> {
    let shipment = Shipment::find(conn, id)?.ok_or(AppError::NotFound)?;
    let destination = super::location(conn, shipment.destination_id, "err.unknown_destination")?;
    access.check(&destination)?;
    if shipment.status != ShipmentStatus::Dispatched {
        return Err(refused("err.not_dispatched"));
    }
    if shipment.dispatched_on.is_some_and(|d| delivery.delivered_on < d) {
        return Err(refused("err.delivered_before_dispatch"));
    }
    let transit = transit_location_id(conn)?;
    let lines = Shipment::lines(conn, id)?;
    // Everything is checked before anything is written.
    let mut postings = Vec::new();
    let mut received = Vec::new();
    for line in &lines {
        let given = delivery.lines.iter().find(|l| l.line_id == line.id).ok_or(refused("err.line_missing"))?;
        if given.received < 0 {
            return Err(refused("err.negative"));
        }
        if given.received > line.quantity {
            return Err(AppError::Refused(Invalid::with("err.more_than_sent", line.quantity)));
        }
        let shortfall = line.quantity - given.received;
        let reason = given.shortfall_reason.as_deref().filter(|r| !r.is_empty());
        if shortfall > 0 && !reason.is_some_and(|r| SHORTFALL_REASONS.contains(&r)) {
            return Err(refused("err.shortfall_reason"));
        }
        let source = Source { shipment_id: Some(id), shipment_line_id: Some(line.id), ..Default::default() };
        if given.received > 0 {
            postings.push(Posting {
                material_id: line.material_id,
                from: Some(transit),
                to: Some(shipment.destination_id),
                quantity: given.received,
                kind: MovementKind::Delivery,
                effective_on: delivery.delivered_on,
                source,
                reason: String::new(),
            });
        }
        if shortfall > 0 {
            postings.push(Posting {
                material_id: line.material_id,
                from: Some(transit),
                to: None,
                quantity: shortfall,
                kind: MovementKind::Shortfall,
                effective_on: delivery.delivered_on,
                source,
                reason: reason.unwrap_or_default().to_string(),
            });
        }
        received.push((line.id, given.received, if shortfall > 0 { reason.map(str::to_string) } else { None }));
    }
    // The status change claims the shipment: a concurrent delivery or cancellation finds it taken.
    if !Shipment::transition(conn, id, ShipmentStatus::Dispatched, ShipmentStatus::Delivered)? {
        return Err(refused("err.not_dispatched"));
    }
    for (line_id, quantity, reason) in &received {
        Shipment::set_line_received(conn, *line_id, Some(*quantity), reason.as_deref())?;
    }
    ledger::post(conn, access.user_id, &postings)?;
    Shipment::set_delivery(conn, id, Some(delivery.delivered_on), &delivery.received_by, &delivery.note)?;
    Shipment::add_event(conn, id, ShipmentStatus::Delivered.as_str(), access.user_id, &delivery.note)?;
    AuditEntry::record(
        conn,
        actor,
        "deliver",
        "shipment",
        id,
        &format!("{} on {}", shipment.reference, delivery.delivered_on),
    )?;
    Ok(())
}

/// A draft is cancelled with nothing moved; a dispatched shipment's stock returns to the origin.
pub fn cancel(conn: &mut DbConn, access: &Access, actor: &Actor, id: i32, reason: &str) -> Result<(), AppError> {
    let (shipment, _) = as_origin(conn, access, id)?;
    if reason.trim().is_empty() {
        return Err(refused("err.reason_required"));
    }
    match shipment.status {
        ShipmentStatus::Draft => {
            if !Shipment::transition(conn, id, ShipmentStatus::Draft, ShipmentStatus::Cancelled)? {
                return Err(refused("err.not_cancellable"));
            }
        }
        ShipmentStatus::Dispatched => {
            if !Shipment::transition(conn, id, ShipmentStatus::Dispatched, ShipmentStatus::Cancelled)? {
                return Err(refused("err.not_cancellable"));
            }
            let transit = transit_location_id(conn)?;
            let date = shipment.dispatched_on.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let postings: Vec<Posting> = Shipment::lines(conn, id)?
                .iter()
                .map(|line| Posting {
                    material_id: line.material_id,
                    from: Some(transit),
                    to: Some(shipment.origin_id),
                    quantity: line.quantity,
                    kind: MovementKind::Return,
                    effective_on: date,
                    source: Source { shipment_id: Some(id), shipment_line_id: Some(line.id), ..Default::default() },
                    reason: reason.trim().to_string(),
                })
                .collect();
            ledger::post(conn, access.user_id, &postings)?;
        }
        ShipmentStatus::Delivered | ShipmentStatus::Cancelled => return Err(refused("err.not_cancellable")),
    }
    Shipment::add_event(conn, id, ShipmentStatus::Cancelled.as_str(), access.user_id, reason.trim())?;
    AuditEntry::record(conn, actor, "cancel", "shipment", id, &format!("{}: {}", shipment.reference, reason.trim()))?;
    Ok(())
}

/// Undoes a recorded delivery (wrong quantities, wrong place): its movements are reversed and
/// the shipment is in transit again, ready for a correct delivery.
pub fn reverse_delivery(
    conn: &mut DbConn,
    access: &Access,
    actor: &Actor,
    id: i32,
    reason: &str,
) -> Result<(), AppError> {
    let shipment = Shipment::find(conn, id)?.ok_or(AppError::NotFound)?;
    let destination = super::location(conn, shipment.destination_id, "err.unknown_destination")?;
    access.check(&destination)?;
    if reason.trim().is_empty() {
        return Err(refused("err.reason_required"));
    }
    if !Shipment::transition(conn, id, ShipmentStatus::Delivered, ShipmentStatus::Dispatched)? {
        return Err(refused("err.not_delivered"));
    }
    let movements = ledger::movements_of(conn, Source { shipment_id: Some(id), ..Default::default() })?;
    let reversed: Vec<i32> = movements.iter().filter_map(|m| m.reverses_id).collect();
    let to_reverse: Vec<i32> = movements
        .iter()
        .filter(|m| m.reverses_id.is_none() && !reversed.contains(&m.id))
        .filter(|m| m.kind == MovementKind::Delivery.as_str() || m.kind == MovementKind::Shortfall.as_str())
        .map(|m| m.id)
        .collect();
    ledger::reverse_many(conn, access.user_id, &to_reverse, reason.trim())?;
    for line in Shipment::lines(conn, id)? {
        Shipment::set_line_received(conn, line.id, None, None)?;
    }
    Shipment::set_delivery(conn, id, None, "", "")?;
    Shipment::add_event(conn, id, "delivery_reversed", access.user_id, reason.trim())?;
    AuditEntry::record(conn, actor, "reverse", "shipment", id, &format!("{}: {}", shipment.reference, reason.trim()))?;
    Ok(())
}
