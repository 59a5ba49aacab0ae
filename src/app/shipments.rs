//! The shipment lifecycle: draft → dispatched → delivered, or cancelled; and reversing a delivery.

use super::{active_depot, ask, stocked_material, Caller, Command, Plan};
use super::{MaterialError, PlaceError};
use crate::db::DbConn;
use crate::domain::{
    Answers, DeliveryKey, LocationId, MaterialId, MovementId, PositiveQuantity, Question, Recorded, ShipmentEventKind,
    ShipmentId, ShipmentLineId, ShipmentStatus,
};
use crate::ledger::{self, LedgerError, MovementKind, Posting, Source};
use crate::models::audit::AuditEntry;
use crate::models::delivery_code::DeliveryCode;
use crate::models::location::Location;
use crate::models::material::Material;
use crate::models::shipment::{Attachment, Shipment, ShipmentHeader, SHORTFALL_REASONS};
use chrono::{NaiveDate, NaiveDateTime};

/// A draft as typed: header and (material, quantity) lines.
#[derive(Debug, Clone)]
pub struct Draft {
    pub header: ShipmentHeader,
    pub lines: Vec<(MaterialId, PositiveQuantity)>,
}

/// Why a draft was not saved (or, saved and dispatched at once, not dispatched).
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("no such shipment")]
    NotFound,
    #[error("the shipment lies outside the user's regions")]
    OutsideRegions,
    #[error("the shipment is no longer a draft")]
    NotDraft,
    #[error("origin or destination: {0}")]
    Place(PlaceError),
    #[error("origin and destination are the same place")]
    SameOriginDestination,
    #[error("a shipment needs at least one line")]
    NoLines,
    #[error("a material appears on two lines")]
    DuplicateLine,
    #[error("material: {0}")]
    Material(MaterialError),
    #[error("needs confirmation")]
    Questions(Vec<Question>),
    #[error("expected before the dispatch date")]
    ExpectedBeforeDispatch,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}
super::lookups_into!(DraftError);

/// Why a shipment was not dispatched.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("no such shipment")]
    NotFound,
    #[error("the shipment lies outside the user's regions")]
    OutsideRegions,
    #[error("the shipment is no longer a draft")]
    NotDraft,
    #[error("the draft was changed after it was checked")]
    Changed,
    #[error("the origin is inactive")]
    OriginInactive,
    #[error("expected before the dispatch date")]
    ExpectedBeforeDispatch,
    #[error("needs confirmation")]
    Questions(Vec<Question>),
    /// Among others `Insufficient`: the origin lacks a line's quantity.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Why a delivery was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("no such shipment")]
    NotFound,
    #[error("the destination lies outside the user's regions")]
    OutsideRegions,
    #[error("the shipment is not in transit")]
    NotDispatched,
    #[error("delivered before it was dispatched")]
    BeforeDispatch,
    #[error("a line's quantity received is missing")]
    LineMissing,
    #[error("a quantity received is negative")]
    Negative,
    #[error("more received than the {sent} sent")]
    MoreThanSent { sent: i32 },
    #[error("a shortfall needs a known reason")]
    ShortfallReason,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Why a shipment was not cancelled.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("no such shipment")]
    NotFound,
    #[error("the shipment lies outside the user's regions")]
    OutsideRegions,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("a delivered or cancelled shipment cannot be cancelled")]
    NotCancellable,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Why a delivery was not reversed.
#[derive(Debug, thiserror::Error)]
pub enum ReverseDeliveryError {
    #[error("no such shipment")]
    NotFound,
    #[error("the destination lies outside the user's regions")]
    OutsideRegions,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("the shipment is not delivered")]
    NotDelivered,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Checks a draft: an active depot of the user's regions as origin, an active other place as
/// destination, at least one line, each a stocked material once.
fn check_draft(conn: &mut DbConn, by: &Caller, draft: &Draft) -> Result<CheckedDraft, DraftError> {
    let origin = active_depot(conn, &by.access, draft.header.origin_id)?;
    let destination = Location::get(conn, draft.header.destination_id)?
        .filter(|d| d.region_id.is_some())
        .ok_or(DraftError::Place(PlaceError::UnknownDestination))?;
    if !destination.is_active {
        return Err(DraftError::Place(PlaceError::Inactive));
    }
    if origin.id == destination.id {
        return Err(DraftError::SameOriginDestination);
    }
    if draft.lines.is_empty() {
        return Err(DraftError::NoLines);
    }
    let mut materials: Vec<Material> = Vec::new();
    let mut questions = Vec::new();
    for (material_id, quantity) in &draft.lines {
        if materials.iter().any(|m| m.id == *material_id) {
            return Err(DraftError::DuplicateLine);
        }
        let material = stocked_material(conn, *material_id)?;
        questions.extend(material.over_limit(quantity.get()));
        materials.push(material);
    }
    Ok(CheckedDraft { origin, destination, materials, questions })
}

/// A draft that passed `check_draft`: its places, its lines' materials and the over-limit
/// questions they ask.
struct CheckedDraft {
    origin: Location,
    destination: Location,
    materials: Vec<Material>,
    questions: Vec<Question>,
}

/// The questions a dispatch on `date` asks: a line's material whose campaign starts later.
fn dispatch_questions(
    conn: &mut DbConn,
    materials: &[Material],
    date: NaiveDate,
) -> diesel::QueryResult<Vec<Question>> {
    let mut questions = Vec::new();
    for material in materials {
        questions.extend(super::before_campaign(conn, material, date)?);
    }
    questions.dedup_by(|a, b| a == b);
    Ok(questions)
}

/// The dispatch postings: each line from the origin into transit.
fn dispatch_postings(
    id: ShipmentId,
    origin_id: LocationId,
    transit: LocationId,
    lines: &[(ShipmentLineId, MaterialId, PositiveQuantity)],
    date: NaiveDate,
) -> Vec<Posting> {
    lines
        .iter()
        .map(|&(line_id, material_id, quantity)| Posting {
            material_id,
            from: Some(origin_id),
            to: Some(transit),
            quantity,
            kind: MovementKind::Dispatch,
            effective_on: date,
            source: Source { shipment_id: Some(id), shipment_line_id: Some(line_id), ..Default::default() },
            reason: String::new(),
        })
        .collect()
}

/// Create a draft, and dispatch it on `dispatch_on` at once if given. A line beyond its
/// material's limit, the same shipment again within minutes, or a dispatch before a line's
/// campaign starts is asked about first.
#[derive(Debug, Clone)]
pub struct CreateShipment {
    pub by: Caller,
    pub draft: Draft,
    pub dispatch_on: Option<NaiveDate>,
    pub answers: Answers,
    /// The key of the delivery code a distribution point's shipment gets on dispatch; None
    /// for history loaded without printed notes (the demo), which staff can issue later.
    pub codes: Option<DeliveryKey>,
}

/// A checked new shipment.
#[derive(Debug, Clone)]
pub struct CreatePlan {
    by: Caller,
    draft: Draft,
    route: String,
    /// The date and the transit place, when the shipment is dispatched at once.
    dispatch: Option<(NaiveDate, LocationId)>,
    /// The key of its delivery code, when it goes to a distribution point.
    code: Option<DeliveryKey>,
}

impl Command for CreateShipment {
    type Plan = CreatePlan;
    type Error = DraftError;

    fn validate(&self, conn: &mut DbConn) -> Result<CreatePlan, DraftError> {
        let draft = &self.draft;
        let CheckedDraft { origin, destination, materials, mut questions } = check_draft(conn, &self.by, draft)?;
        if let Some(user) = self.by.user_id().filter(|_| !self.answers.duplicate) {
            let since = super::duplicate_window_start();
            if let Some(earlier) = Shipment::recent_same(conn, user, &draft.header, &draft.lines, since)? {
                let lines = Shipment::line_materials(conn, earlier.id)?;
                let joined =
                    |pick: fn(&Material) -> &str| lines.iter().map(|(_, m)| pick(m)).collect::<Vec<_>>().join(", ");
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
        if let Some(date) = self.dispatch_on {
            questions.extend(dispatch_questions(conn, &materials, date)?);
        }
        ask(self.answers, questions).map_err(DraftError::Questions)?;
        if let Some(date) = self.dispatch_on {
            if draft.header.expected_on.is_some_and(|expected| expected < date) {
                return Err(DraftError::ExpectedBeforeDispatch);
            }
        }
        Ok(CreatePlan {
            by: self.by.clone(),
            draft: draft.clone(),
            route: format!("{} → {}", origin.code, destination.code),
            dispatch: match self.dispatch_on {
                Some(date) => Some((date, Location::transit_id(conn)?)),
                None => None,
            },
            code: self.codes.clone().filter(|_| takes_delivery_code(&destination)),
        })
    }
}

impl Plan for CreatePlan {
    /// The new shipment's id.
    type Output = ShipmentId;
    type Error = DraftError;

    fn write(&self, conn: &mut DbConn) -> Result<ShipmentId, DraftError> {
        let user = self.by.user_id();
        let (id, reference) = Shipment::insert_draft(conn, &self.draft.header, user)?;
        let line_ids = Shipment::add_lines(conn, id, &self.draft.lines)?;
        Shipment::add_event(conn, id, ShipmentStatus::Draft.into(), user, "")?;
        AuditEntry::record(conn, &self.by.actor, "create", "shipment", id, &format!("{reference}: {}", self.route))?;
        if let Some((date, transit)) = self.dispatch {
            // Just created in this transaction: nobody else can have changed it.
            Shipment::dispatch_draft(conn, id, date, None)?;
            Shipment::add_event(conn, id, ShipmentStatus::Dispatched.into(), user, "")?;
            AuditEntry::record(conn, &self.by.actor, "dispatch", "shipment", id, &format!("{reference} on {date}"))?;
            let lines: Vec<(ShipmentLineId, MaterialId, PositiveQuantity)> = line_ids
                .iter()
                .zip(&self.draft.lines)
                .map(|(line, (material, quantity))| (*line, *material, *quantity))
                .collect();
            ledger::post(conn, user, &dispatch_postings(id, self.draft.header.origin_id, transit, &lines, date))?;
            if let Some(key) = &self.code {
                DeliveryCode::issue(conn, key, id, user)?;
            }
        }
        Ok(id)
    }
}

/// A distribution point confirms what arrives with its delivery note's code; depots, which
/// record their own receipts, get none.
pub fn takes_delivery_code(destination: &Location) -> bool {
    !destination.is_depot && destination.region_id.is_some()
}

/// Why the caller cannot act on a shipment.
enum Unreachable {
    NotFound,
    OutsideRegions,
}

/// The shipment and the place `pick` names (its origin or destination), if that place lies in
/// the caller's regions.
fn reach(
    conn: &mut DbConn,
    by: &Caller,
    id: ShipmentId,
    pick: fn(&Shipment) -> LocationId,
) -> diesel::QueryResult<Result<(Shipment, Location), Unreachable>> {
    let Some(shipment) = Shipment::find(conn, id)? else { return Ok(Err(Unreachable::NotFound)) };
    let Some(place) = Location::get(conn, pick(&shipment))? else { return Ok(Err(Unreachable::NotFound)) };
    if !by.access.covers(place.region_id) {
        return Ok(Err(Unreachable::OutsideRegions));
    }
    Ok(Ok((shipment, place)))
}

/// `reach` by the origin's region.
fn as_origin(
    conn: &mut DbConn,
    by: &Caller,
    id: ShipmentId,
) -> diesel::QueryResult<Result<(Shipment, Location), Unreachable>> {
    reach(conn, by, id, |s| s.origin_id)
}

/// `reach` by the destination's region.
fn as_destination(
    conn: &mut DbConn,
    by: &Caller,
    id: ShipmentId,
) -> diesel::QueryResult<Result<(Shipment, Location), Unreachable>> {
    reach(conn, by, id, |s| s.destination_id)
}

/// Turns `Unreachable` into each operation's own variants.
macro_rules! unreachable_into {
    ($($error:ident),*) => {$(
        impl From<Unreachable> for $error {
            fn from(e: Unreachable) -> Self {
                match e {
                    Unreachable::NotFound => $error::NotFound,
                    Unreachable::OutsideRegions => $error::OutsideRegions,
                }
            }
        }
    )*};
}
unreachable_into!(DraftError, DispatchError, DeliveryError, CancelError, ReverseDeliveryError);

/// Change a draft's header and lines.
#[derive(Debug, Clone)]
pub struct UpdateDraft {
    pub by: Caller,
    pub shipment_id: ShipmentId,
    pub draft: Draft,
    pub answers: Answers,
}

/// A checked change of a draft.
#[derive(Debug, Clone)]
pub struct UpdatePlan {
    by: Caller,
    shipment_id: ShipmentId,
    reference: String,
    draft: Draft,
}

impl Command for UpdateDraft {
    type Plan = UpdatePlan;
    type Error = DraftError;

    fn validate(&self, conn: &mut DbConn) -> Result<UpdatePlan, DraftError> {
        let (shipment, _) = as_origin(conn, &self.by, self.shipment_id)??;
        if shipment.status != ShipmentStatus::Draft {
            return Err(DraftError::NotDraft);
        }
        let checked = check_draft(conn, &self.by, &self.draft)?;
        ask(self.answers, checked.questions).map_err(DraftError::Questions)?;
        Ok(UpdatePlan {
            by: self.by.clone(),
            shipment_id: shipment.id,
            reference: shipment.reference,
            draft: self.draft.clone(),
        })
    }
}

impl Plan for UpdatePlan {
    type Output = ();
    type Error = DraftError;

    fn write(&self, conn: &mut DbConn) -> Result<(), DraftError> {
        // Conditional: a draft dispatched or cancelled since the check is left as it is.
        if !Shipment::update_header(conn, self.shipment_id, &self.draft.header)? {
            return Err(DraftError::NotDraft);
        }
        Shipment::replace_lines(conn, self.shipment_id, &self.draft.lines)?;
        AuditEntry::record(conn, &self.by.actor, "update", "shipment", self.shipment_id, &self.reference)?;
        Ok(())
    }
}

/// Stock leaves the origin into transit. Refused, with what is left, if the origin lacks it; a
/// date before a line's campaign starts is asked about first.
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub by: Caller,
    pub shipment_id: ShipmentId,
    pub on: NaiveDate,
    pub answers: Answers,
    /// The key of the delivery code a distribution point's shipment gets.
    pub codes: Option<DeliveryKey>,
}

/// A checked dispatch of the draft as it stood at `checked_at`.
#[derive(Debug, Clone)]
pub struct DispatchPlan {
    by: Caller,
    shipment_id: ShipmentId,
    reference: String,
    checked_at: NaiveDateTime,
    postings: Vec<Posting>,
    on: NaiveDate,
    code: Option<DeliveryKey>,
}

impl Command for Dispatch {
    type Plan = DispatchPlan;
    type Error = DispatchError;

    fn validate(&self, conn: &mut DbConn) -> Result<DispatchPlan, DispatchError> {
        let (shipment, origin) = as_origin(conn, &self.by, self.shipment_id)??;
        // Nothing to ask about a shipment that can no longer be dispatched.
        if shipment.status != ShipmentStatus::Draft {
            return Err(DispatchError::NotDraft);
        }
        let lines = Shipment::line_materials(conn, shipment.id)?;
        let materials: Vec<Material> = lines.iter().map(|(_, m)| m.clone()).collect();
        ask(self.answers, dispatch_questions(conn, &materials, self.on)?).map_err(DispatchError::Questions)?;
        if !origin.is_active {
            return Err(DispatchError::OriginInactive);
        }
        if shipment.expected_on.is_some_and(|expected| expected < self.on) {
            return Err(DispatchError::ExpectedBeforeDispatch);
        }
        let lines: Vec<(ShipmentLineId, MaterialId, PositiveQuantity)> =
            lines.iter().map(|(l, _)| (l.id, l.material_id, l.quantity)).collect();
        let transit = Location::transit_id(conn)?;
        let destination = Location::get(conn, shipment.destination_id)?;
        Ok(DispatchPlan {
            by: self.by.clone(),
            shipment_id: shipment.id,
            postings: dispatch_postings(shipment.id, shipment.origin_id, transit, &lines, self.on),
            reference: shipment.reference,
            checked_at: shipment.updated_at,
            on: self.on,
            code: self.codes.clone().filter(|_| destination.is_some_and(|d| takes_delivery_code(&d))),
        })
    }
}

impl Plan for DispatchPlan {
    type Output = ();
    type Error = DispatchError;

    fn write(&self, conn: &mut DbConn) -> Result<(), DispatchError> {
        let (id, user) = (self.shipment_id, self.by.user_id());
        // Conditional on the draft as checked: a concurrent dispatch, cancellation or edit wins.
        if !Shipment::dispatch_draft(conn, id, self.on, Some(self.checked_at))? {
            let still_draft = Shipment::find(conn, id)?.is_some_and(|s| s.status == ShipmentStatus::Draft);
            return Err(if still_draft { DispatchError::Changed } else { DispatchError::NotDraft });
        }
        Shipment::add_event(conn, id, ShipmentStatus::Dispatched.into(), user, "")?;
        AuditEntry::record(
            conn,
            &self.by.actor,
            "dispatch",
            "shipment",
            id,
            &format!("{} on {}", self.reference, self.on),
        )?;
        if let Some(key) = &self.code {
            DeliveryCode::issue(conn, key, id, user)?;
        }
        // Last: on PostgreSQL the balance rows stay locked from here to the commit, and every
        // dispatch from a depot takes the same ones. The ledger re-checks each balance.
        ledger::post(conn, user, &self.postings)?;
        Ok(())
    }
}

/// What arrived, per line.
#[derive(Debug, Clone)]
pub struct LineReceipt {
    pub line_id: ShipmentLineId,
    pub received: i32,
    pub shortfall_reason: Option<String>,
}

/// The destination confirms what arrived; a shortfall needs a reason and is posted as a loss.
#[derive(Debug, Clone)]
pub struct Deliver {
    pub by: Caller,
    pub shipment_id: ShipmentId,
    pub delivered_on: NaiveDate,
    pub received_by: String,
    pub note: String,
    pub lines: Vec<LineReceipt>,
}

/// A checked delivery: its postings and what each line received.
#[derive(Debug, Clone)]
pub struct DeliveryPlan {
    delivery: Deliver,
    reference: String,
    postings: Vec<Posting>,
    received: Vec<(ShipmentLineId, i32, Option<String>)>,
}

impl Command for Deliver {
    type Plan = DeliveryPlan;
    type Error = DeliveryError;

    fn validate(&self, conn: &mut DbConn) -> Result<DeliveryPlan, DeliveryError> {
        let id = self.shipment_id;
        let (shipment, _) = as_destination(conn, &self.by, id)??;
        if shipment.status != ShipmentStatus::Dispatched {
            return Err(DeliveryError::NotDispatched);
        }
        if shipment.dispatched_on.is_some_and(|d| self.delivered_on < d) {
            return Err(DeliveryError::BeforeDispatch);
        }
        let transit = Location::transit_id(conn)?;
        // A dispatched shipment's lines no longer change, so the plan's postings stay true.
        let mut postings = Vec::new();
        let mut received = Vec::new();
        for line in Shipment::lines(conn, id)? {
            let given = self.lines.iter().find(|l| l.line_id == line.id).ok_or(DeliveryError::LineMissing)?;
            if given.received < 0 {
                return Err(DeliveryError::Negative);
            }
            if given.received > line.quantity.get() {
                return Err(DeliveryError::MoreThanSent { sent: line.quantity.get() });
            }
            let shortfall = line.quantity.get() - given.received;
            let reason = given.shortfall_reason.as_deref().filter(|r| !r.is_empty());
            if shortfall > 0 && !reason.is_some_and(|r| SHORTFALL_REASONS.contains(&r)) {
                return Err(DeliveryError::ShortfallReason);
            }
            let source = Source { shipment_id: Some(id), shipment_line_id: Some(line.id), ..Default::default() };
            if let Some(received) = PositiveQuantity::new(given.received) {
                postings.push(Posting {
                    material_id: line.material_id,
                    from: Some(transit),
                    to: Some(shipment.destination_id),
                    quantity: received,
                    kind: MovementKind::Delivery,
                    effective_on: self.delivered_on,
                    source,
                    reason: String::new(),
                });
            }
            if let Some(short) = PositiveQuantity::new(shortfall) {
                postings.push(Posting {
                    material_id: line.material_id,
                    from: Some(transit),
                    to: None,
                    quantity: short,
                    kind: MovementKind::Shortfall,
                    effective_on: self.delivered_on,
                    source,
                    reason: reason.unwrap_or_default().to_string(),
                });
            }
            received.push((line.id, given.received, if shortfall > 0 { reason.map(str::to_string) } else { None }));
        }
        Ok(DeliveryPlan { delivery: self.clone(), reference: shipment.reference, postings, received })
    }
}

impl Plan for DeliveryPlan {
    type Output = ();
    type Error = DeliveryError;

    fn write(&self, conn: &mut DbConn) -> Result<(), DeliveryError> {
        let d = &self.delivery;
        let (id, user) = (d.shipment_id, d.by.user_id());
        // The status change claims the shipment: a concurrent delivery or cancellation finds it taken.
        if !Shipment::transition(conn, id, ShipmentStatus::Dispatched, ShipmentStatus::Delivered)? {
            return Err(DeliveryError::NotDispatched);
        }
        for (line_id, quantity, reason) in &self.received {
            Shipment::set_line_received(conn, *line_id, Some(*quantity), reason.as_deref())?;
        }
        ledger::post(conn, user, &self.postings)?;
        Shipment::set_delivery(conn, id, Some(d.delivered_on), &d.received_by, &d.note)?;
        Shipment::add_event(conn, id, ShipmentStatus::Delivered.into(), user, &d.note)?;
        let summary = format!("{} on {}", self.reference, d.delivered_on);
        AuditEntry::record(conn, &d.by.actor, "deliver", "shipment", id, &summary)?;
        Ok(())
    }
}

/// A draft is cancelled with nothing moved; a dispatched shipment's stock returns to the origin.
#[derive(Debug, Clone)]
pub struct Cancel {
    pub by: Caller,
    pub shipment_id: ShipmentId,
    pub reason: String,
}

/// A checked cancellation from the status it was checked in.
#[derive(Debug, Clone)]
pub struct CancelPlan {
    by: Caller,
    shipment_id: ShipmentId,
    reference: String,
    from: ShipmentStatus,
    /// The returns to the origin of a dispatched shipment.
    postings: Vec<Posting>,
    reason: String,
}

impl Command for Cancel {
    type Plan = CancelPlan;
    type Error = CancelError;

    fn validate(&self, conn: &mut DbConn) -> Result<CancelPlan, CancelError> {
        let (shipment, _) = as_origin(conn, &self.by, self.shipment_id)??;
        let reason = self.reason.trim().to_string();
        if reason.is_empty() {
            return Err(CancelError::ReasonRequired);
        }
        let postings = match shipment.status {
            ShipmentStatus::Draft => Vec::new(),
            ShipmentStatus::Dispatched => {
                let transit = Location::transit_id(conn)?;
                let date = shipment.dispatched_on.unwrap_or_else(|| chrono::Utc::now().date_naive());
                Shipment::lines(conn, shipment.id)?
                    .iter()
                    .map(|line| Posting {
                        material_id: line.material_id,
                        from: Some(transit),
                        to: Some(shipment.origin_id),
                        quantity: line.quantity,
                        kind: MovementKind::Return,
                        effective_on: date,
                        source: Source {
                            shipment_id: Some(shipment.id),
                            shipment_line_id: Some(line.id),
                            ..Default::default()
                        },
                        reason: reason.clone(),
                    })
                    .collect()
            }
            ShipmentStatus::Delivered | ShipmentStatus::Cancelled => return Err(CancelError::NotCancellable),
        };
        Ok(CancelPlan {
            by: self.by.clone(),
            shipment_id: shipment.id,
            reference: shipment.reference,
            from: shipment.status,
            postings,
            reason,
        })
    }
}

impl Plan for CancelPlan {
    type Output = ();
    type Error = CancelError;

    fn write(&self, conn: &mut DbConn) -> Result<(), CancelError> {
        let (id, user) = (self.shipment_id, self.by.user_id());
        // Conditional on the status as checked: a shipment dispatched or delivered since is not
        // cancelled on the strength of an older look at it.
        if !Shipment::transition(conn, id, self.from, ShipmentStatus::Cancelled)? {
            return Err(CancelError::NotCancellable);
        }
        ledger::post(conn, user, &self.postings)?;
        // A cancelled shipment's delivery note confirms nothing.
        DeliveryCode::void(conn, id, crate::models::now())?;
        Shipment::add_event(conn, id, ShipmentStatus::Cancelled.into(), user, &self.reason)?;
        let summary = format!("{}: {}", self.reference, self.reason);
        AuditEntry::record(conn, &self.by.actor, "cancel", "shipment", id, &summary)?;
        Ok(())
    }
}

/// Undoes a recorded delivery (wrong quantities, wrong place): its movements are reversed and
/// the shipment is in transit again, ready for a correct delivery.
#[derive(Debug, Clone)]
pub struct ReverseDelivery {
    pub by: Caller,
    pub shipment_id: ShipmentId,
    pub reason: String,
}

/// A checked reversal; which movements it reverses is read as it is written.
#[derive(Debug, Clone)]
pub struct ReverseDeliveryPlan {
    by: Caller,
    shipment_id: ShipmentId,
    reference: String,
    reason: String,
}

impl Command for ReverseDelivery {
    type Plan = ReverseDeliveryPlan;
    type Error = ReverseDeliveryError;

    fn validate(&self, conn: &mut DbConn) -> Result<ReverseDeliveryPlan, ReverseDeliveryError> {
        let (shipment, _) = as_destination(conn, &self.by, self.shipment_id)??;
        let reason = self.reason.trim().to_string();
        if reason.is_empty() {
            return Err(ReverseDeliveryError::ReasonRequired);
        }
        if shipment.status != ShipmentStatus::Delivered {
            return Err(ReverseDeliveryError::NotDelivered);
        }
        Ok(ReverseDeliveryPlan { by: self.by.clone(), shipment_id: shipment.id, reference: shipment.reference, reason })
    }
}

impl Plan for ReverseDeliveryPlan {
    type Output = ();
    type Error = ReverseDeliveryError;

    fn write(&self, conn: &mut DbConn) -> Result<(), ReverseDeliveryError> {
        let (id, user) = (self.shipment_id, self.by.user_id());
        if !Shipment::transition(conn, id, ShipmentStatus::Delivered, ShipmentStatus::Dispatched)? {
            return Err(ReverseDeliveryError::NotDelivered);
        }
        // Read here, after the claim: the delivery being undone is the one recorded now.
        let movements = ledger::movements_of(conn, Source { shipment_id: Some(id), ..Default::default() })?;
        let reversed: Vec<MovementId> = movements.iter().filter_map(|m| m.reverses_id).collect();
        let to_reverse: Vec<MovementId> = movements
            .iter()
            .filter(|m| m.reverses_id.is_none() && !reversed.contains(&m.id))
            .filter(|m| m.kind == MovementKind::Delivery || m.kind == MovementKind::Shortfall)
            .map(|m| m.id)
            .collect();
        ledger::reverse_many(conn, user, &to_reverse, &self.reason)?;
        for line in Shipment::lines(conn, id)? {
            Shipment::set_line_received(conn, line.id, None, None)?;
        }
        Shipment::set_delivery(conn, id, None, "", "")?;
        // The note's code and the recipient's word answered for the delivery undone; staff
        // issue a new code if the shipment goes on.
        DeliveryCode::void(conn, id, crate::models::now())?;
        crate::models::confirmation::RecipientConfirmation::supersede_current(conn, id, crate::models::now())?;
        Shipment::add_event(conn, id, ShipmentEventKind::DeliveryReversed, user, &self.reason)?;
        let summary = format!("{}: {}", self.reference, self.reason);
        AuditEntry::record(conn, &self.by.actor, "reverse", "shipment", id, &summary)?;
        Ok(())
    }
}

/// Why a proof of delivery was not attached.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("no such shipment")]
    NotFound,
    #[error("neither end of the shipment lies in the user's regions")]
    OutsideRegions,
    #[error("nothing has moved yet")]
    NotMoved,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Attach a scan or photo (already checked to be one) to a shipment that has moved, as either
/// end of it.
#[derive(Debug, Clone)]
pub struct AttachProof {
    pub by: Caller,
    pub shipment_id: ShipmentId,
    pub filename: String,
    pub content_type: &'static str,
    pub data: Vec<u8>,
}

impl Command for AttachProof {
    type Plan = AttachProof;
    type Error = ProofError;

    fn validate(&self, conn: &mut DbConn) -> Result<AttachProof, ProofError> {
        let shipment = match as_origin(conn, &self.by, self.shipment_id)? {
            Ok((shipment, _)) => shipment,
            Err(Unreachable::NotFound) => return Err(ProofError::NotFound),
            Err(Unreachable::OutsideRegions) => match as_destination(conn, &self.by, self.shipment_id)? {
                Ok((shipment, _)) => shipment,
                Err(Unreachable::NotFound) => return Err(ProofError::NotFound),
                Err(Unreachable::OutsideRegions) => return Err(ProofError::OutsideRegions),
            },
        };
        if !shipment.status.has_moved() {
            return Err(ProofError::NotMoved);
        }
        Ok(self.clone())
    }
}

impl Plan for AttachProof {
    type Output = ();
    type Error = ProofError;

    fn write(&self, conn: &mut DbConn) -> Result<(), ProofError> {
        let (id, user) = (self.shipment_id, self.by.user_id());
        let attachment = Attachment::insert(conn, id, &self.filename, self.content_type, &self.data, user)?;
        Shipment::add_event(conn, id, ShipmentEventKind::ProofAttached, user, &self.filename)?;
        let summary = format!("attachment #{attachment}: {}", self.filename);
        AuditEntry::record(conn, &self.by.actor, "attach", "shipment", id, &summary)?;
        Ok(())
    }
}
