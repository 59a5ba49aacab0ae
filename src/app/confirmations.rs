//! What lets a recipient confirm a delivery without an account. The delivery note says which
//! shipment; the place's own PIN, handed to the institution apart from any shipment, says who
//! confirms — so the carrier, who holds the note, cannot confirm his own delivery.

use super::shipments::{takes_delivery_code, LineReceipt};
use super::{Access, Caller, Command, Plan};
use crate::db::DbConn;
use crate::domain::{DeliveryKey, LocationId, PositiveQuantity, ShipmentEventKind, ShipmentId, ShipmentStatus};
use crate::ledger::{self, MovementKind, Posting, Source};
use crate::models::audit::{Actor, AuditEntry};
use crate::models::confirmation::{ConfirmedLine, NewConfirmation, RecipientConfirmation};
use crate::models::delivery_code::{DeliveryCode, PIN_ATTEMPTS};
use crate::models::location::Location;
use crate::models::shipment::{Shipment, SHORTFALL_REASONS};
use chrono::NaiveDate;

/// Why a place's PIN was not made.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// No such place, or one in a region the user does not work in.
    #[error("no such place")]
    NotFound,
    /// Depots and stock in transit receive no deliveries to confirm.
    #[error("not a distribution point")]
    NotAPoint,
    #[error("the place is not in use")]
    Inactive,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Make a distribution point's confirmation PIN, replacing the one before it (which stops
/// working at once). The PIN arrives hashed: it is shown once, by the caller, and never stored.
#[derive(Debug, Clone)]
pub struct MakePlacePin {
    pub actor: Actor,
    pub access: Access,
    pub location_id: LocationId,
    pub pin_hash: String,
}

/// A checked PIN change, with the code its audit line names.
#[derive(Debug, Clone)]
pub struct MakePlacePinPlan {
    command: MakePlacePin,
    code: String,
}

impl Command for MakePlacePin {
    type Plan = MakePlacePinPlan;
    type Error = PinError;

    fn validate(&self, conn: &mut DbConn) -> Result<MakePlacePinPlan, PinError> {
        let place = Location::get(conn, self.location_id)?
            .filter(|l| self.access.covers(l.region_id))
            .ok_or(PinError::NotFound)?;
        if place.is_depot || place.region_id.is_none() {
            return Err(PinError::NotAPoint);
        }
        if !place.is_active {
            return Err(PinError::Inactive);
        }
        Ok(MakePlacePinPlan { command: self.clone(), code: place.code })
    }
}

impl Plan for MakePlacePinPlan {
    type Output = LocationId;
    type Error = PinError;

    fn write(&self, conn: &mut DbConn) -> Result<LocationId, PinError> {
        let MakePlacePin { actor, location_id, pin_hash, .. } = &self.command;
        if Location::set_confirm_pin(conn, *location_id, pin_hash)? == 0 {
            return Err(PinError::NotFound);
        }
        // The audit line names the place, never the PIN.
        AuditEntry::record(conn, actor, "make_pin", "location", *location_id, &self.code)?;
        Ok(*location_id)
    }
}

/// Why a delivery code was not issued or unlocked.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// No such shipment, or one neither end of which lies in the user's regions.
    #[error("no such shipment")]
    NotFound,
    /// Only a shipment in transit to a distribution point has a code to confirm with.
    #[error("not in transit to a distribution point")]
    NotConfirmable,
    #[error("the link is not locked")]
    NotLocked,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The shipment, if the caller works at either end of it.
fn shipment_at_either_end(
    conn: &mut DbConn,
    access: &Access,
    id: ShipmentId,
) -> Result<(Shipment, Location), CodeError> {
    let shipment = Shipment::find(conn, id)?.ok_or(CodeError::NotFound)?;
    let origin = Location::get(conn, shipment.origin_id)?.ok_or(CodeError::NotFound)?;
    let destination = Location::get(conn, shipment.destination_id)?.ok_or(CodeError::NotFound)?;
    if !access.covers(origin.region_id) && !access.covers(destination.region_id) {
        return Err(CodeError::NotFound);
    }
    Ok((shipment, destination))
}

/// A new code for a shipment in transit to a distribution point, voiding every printed copy of
/// the one before it (a note lost or seen by the wrong people; a shipment dispatched before
/// codes existed).
#[derive(Debug, Clone)]
pub struct IssueDeliveryCode {
    pub by: Caller,
    pub shipment_id: ShipmentId,
    pub codes: DeliveryKey,
}

/// A checked re-issue, with the reference its audit line names.
#[derive(Debug, Clone)]
pub struct IssuePlan {
    command: IssueDeliveryCode,
    reference: String,
}

impl Command for IssueDeliveryCode {
    type Plan = IssuePlan;
    type Error = CodeError;

    fn validate(&self, conn: &mut DbConn) -> Result<IssuePlan, CodeError> {
        let (shipment, destination) = shipment_at_either_end(conn, &self.by.access, self.shipment_id)?;
        if shipment.status != ShipmentStatus::Dispatched || !takes_delivery_code(&destination) {
            return Err(CodeError::NotConfirmable);
        }
        Ok(IssuePlan { command: self.clone(), reference: shipment.reference })
    }
}

impl Plan for IssuePlan {
    type Output = ShipmentId;
    type Error = CodeError;

    fn write(&self, conn: &mut DbConn) -> Result<ShipmentId, CodeError> {
        let IssueDeliveryCode { by, shipment_id, codes } = &self.command;
        // Conditional on the status as checked: a shipment delivered or cancelled since gets no code.
        if Shipment::find(conn, *shipment_id)?.is_none_or(|s| s.status != ShipmentStatus::Dispatched) {
            return Err(CodeError::NotConfirmable);
        }
        DeliveryCode::issue(conn, codes, *shipment_id, by.user_id())?;
        AuditEntry::record(conn, &by.actor, "issue_code", "shipment", *shipment_id, &self.reference)?;
        Ok(*shipment_id)
    }
}

/// Staff unlock a link that wrong PINs locked.
#[derive(Debug, Clone)]
pub struct UnlockDeliveryCode {
    pub by: Caller,
    pub shipment_id: ShipmentId,
}

impl Command for UnlockDeliveryCode {
    type Plan = UnlockPlan;
    type Error = CodeError;

    fn validate(&self, conn: &mut DbConn) -> Result<UnlockPlan, CodeError> {
        let (shipment, _) = shipment_at_either_end(conn, &self.by.access, self.shipment_id)?;
        let code = DeliveryCode::live_for(conn, shipment.id)?.ok_or(CodeError::NotLocked)?;
        if code.locked_at.is_none() {
            return Err(CodeError::NotLocked);
        }
        Ok(UnlockPlan {
            by: self.by.clone(),
            shipment_id: shipment.id,
            code_id: code.id,
            reference: shipment.reference,
        })
    }
}

/// A checked unlock of one code.
#[derive(Debug, Clone)]
pub struct UnlockPlan {
    by: Caller,
    shipment_id: ShipmentId,
    code_id: i32,
    reference: String,
}

impl Plan for UnlockPlan {
    type Output = ShipmentId;
    type Error = CodeError;

    fn write(&self, conn: &mut DbConn) -> Result<ShipmentId, CodeError> {
        if DeliveryCode::unlock(conn, self.code_id)? == 0 {
            return Err(CodeError::NotLocked);
        }
        AuditEntry::record(conn, &self.by.actor, "unlock_code", "shipment", self.shipment_id, &self.reference)?;
        Ok(self.shipment_id)
    }
}

/// Why a recipient's confirmation was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// The code was replaced, or its shipment cancelled or its delivery reversed.
    #[error("the link no longer works")]
    LinkDead,
    #[error("the link has expired")]
    Expired,
    #[error("the link is locked after wrong PINs")]
    Locked,
    /// Staff, or an earlier confirmation, recorded the delivery first.
    #[error("the delivery is already recorded")]
    AlreadyDelivered,
    #[error("a line's quantity is missing")]
    LineMissing,
    #[error("a quantity is negative")]
    Negative,
    #[error("more received than sent ({sent})")]
    MoreThanSent { sent: i32 },
    #[error("a shortfall needs a reason")]
    ShortfallReason,
    /// An answer to a staff delivery, before any delivery was recorded.
    #[error("the delivery is not recorded yet")]
    NotYetDelivered,
    /// The recipient already answered the staff delivery.
    #[error("already answered")]
    AlreadyAnswered,
    /// The hour to correct a confirmation has passed, or staff settled it since.
    #[error("the confirmation can no longer be corrected")]
    CorrectionClosed,
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Who confirms: as they name themselves (checked by the caller: required, bounded), and
/// where the request came from.
#[derive(Debug, Clone)]
pub struct Confirmer {
    pub name: String,
    pub role: String,
    pub phone: String,
    pub ip: String,
}

/// The recipient confirms what arrived, after typing the place's PIN (checked by the caller).
/// What arrived is delivered through the ledger as a staff delivery would be; what is missing
/// stays in transit, disputed, until logistics staff resolve it: a party without an account
/// never writes stock off.
#[derive(Debug, Clone)]
pub struct ConfirmDelivery {
    pub code_id: i32,
    pub confirmer: Confirmer,
    pub lines: Vec<LineReceipt>,
    /// A photo of what arrived, kept as proof for staff (never shown on the recipient's page).
    pub photo: Option<crate::domain::Photo>,
    /// The form's one-time key.
    pub submission_key: String,
    /// Days after dispatch that the link works.
    pub link_days: u32,
}

/// Minutes after confirming in which the recipient may correct a typo through the same link.
pub const CORRECTION_MINUTES: i64 = 60;

/// True while `confirmation` may still be corrected: within the hour, not settled by staff.
pub fn correctable(confirmation: &RecipientConfirmation, now: chrono::NaiveDateTime) -> bool {
    confirmation.superseded_at.is_none()
        && confirmation.resolution.is_none()
        && now - confirmation.confirmed_at < chrono::Duration::minutes(CORRECTION_MINUTES)
}

/// A checked confirmation: its postings and what each line received.
#[derive(Debug, Clone)]
pub struct ConfirmPlan {
    command: ConfirmDelivery,
    /// The confirmation this one corrects, if it is a correction within the hour.
    corrects: Option<i32>,
    shipment_id: ShipmentId,
    reference: String,
    on: NaiveDate,
    postings: Vec<Posting>,
    received: Vec<ConfirmedLine>,
    disputed: i32,
}

/// Whether a link's code still opens a confirmation: live, unlocked, in time, its shipment in
/// transit.
pub fn usable_code(
    code: &DeliveryCode,
    shipment: &Shipment,
    link_days: u32,
    today: NaiveDate,
) -> Result<(), ConfirmError> {
    if code.voided_at.is_some() || shipment.status == ShipmentStatus::Cancelled {
        return Err(ConfirmError::LinkDead);
    }
    if shipment.status == ShipmentStatus::Delivered {
        return Err(ConfirmError::AlreadyDelivered);
    }
    if shipment.status != ShipmentStatus::Dispatched {
        return Err(ConfirmError::LinkDead);
    }
    if link_expired(shipment, link_days, today) {
        return Err(ConfirmError::Expired);
    }
    if code.locked_at.is_some() {
        return Err(ConfirmError::Locked);
    }
    Ok(())
}

/// True once `link_days` have passed since dispatch.
pub fn link_expired(shipment: &Shipment, link_days: u32, today: NaiveDate) -> bool {
    shipment.dispatched_on.is_some_and(|d| today > d + chrono::Days::new(u64::from(link_days)))
}

impl Command for ConfirmDelivery {
    type Plan = ConfirmPlan;
    type Error = ConfirmError;

    fn validate(&self, conn: &mut DbConn) -> Result<ConfirmPlan, ConfirmError> {
        let today = chrono::Utc::now().date_naive();
        let code = DeliveryCode::find(conn, self.code_id)?.ok_or(ConfirmError::LinkDead)?;
        let shipment = Shipment::find(conn, code.shipment_id)?.ok_or(ConfirmError::LinkDead)?;
        // A delivery this link confirmed within the hour is corrected; any other is final.
        let corrects = match usable_code(&code, &shipment, self.link_days, today) {
            Err(ConfirmError::AlreadyDelivered) => {
                let previous = RecipientConfirmation::current_for(conn, shipment.id)?
                    .filter(|c| c.code_id == code.id)
                    .ok_or(ConfirmError::AlreadyDelivered)?;
                if !correctable(&previous, crate::models::now()) || code.locked_at.is_some() {
                    return Err(ConfirmError::CorrectionClosed);
                }
                Some(previous.id)
            }
            Err(e) => return Err(e),
            Ok(()) => None,
        };
        // A phone's clock or a late confirmation never dates a delivery before its dispatch.
        let on = shipment.dispatched_on.map_or(today, |d| d.max(today));
        let transit = Location::transit_id(conn)?;
        let mut postings = Vec::new();
        let mut received = Vec::new();
        let mut disputed = 0;
        for line in Shipment::lines(conn, shipment.id)? {
            let given = self.lines.iter().find(|l| l.line_id == line.id).ok_or(ConfirmError::LineMissing)?;
            if given.received < 0 {
                return Err(ConfirmError::Negative);
            }
            if given.received > line.quantity.get() {
                return Err(ConfirmError::MoreThanSent { sent: line.quantity.get() });
            }
            let short = line.quantity.get() - given.received;
            let reason = given.shortfall_reason.as_deref().filter(|r| !r.is_empty());
            if short > 0 && !reason.is_some_and(|r| SHORTFALL_REASONS.contains(&r)) {
                return Err(ConfirmError::ShortfallReason);
            }
            if let Some(quantity) = PositiveQuantity::new(given.received) {
                postings.push(Posting {
                    material_id: line.material_id,
                    from: Some(transit),
                    to: Some(shipment.destination_id),
                    quantity,
                    kind: MovementKind::Delivery,
                    effective_on: on,
                    source: Source {
                        shipment_id: Some(shipment.id),
                        shipment_line_id: Some(line.id),
                        ..Default::default()
                    },
                    reason: String::new(),
                });
            }
            disputed += short;
            received.push(ConfirmedLine {
                shipment_line_id: line.id,
                received: given.received,
                shortfall_reason: (short > 0).then(|| reason.unwrap_or_default().to_string()),
            });
        }
        Ok(ConfirmPlan {
            command: self.clone(),
            corrects,
            shipment_id: shipment.id,
            reference: shipment.reference,
            on,
            postings,
            received,
            disputed,
        })
    }
}

impl Plan for ConfirmPlan {
    /// The confirmation's id.
    type Output = i32;
    type Error = ConfirmError;

    fn write(&self, conn: &mut DbConn) -> Result<i32, ConfirmError> {
        let c = &self.command;
        let id = self.shipment_id;
        // Still live and unlocked now, not only when checked.
        let code = DeliveryCode::find(conn, c.code_id)?.ok_or(ConfirmError::LinkDead)?;
        if code.voided_at.is_some() {
            return Err(ConfirmError::LinkDead);
        }
        if code.locked_at.is_some() {
            return Err(ConfirmError::Locked);
        }
        match self.corrects {
            // The status change claims the shipment: a staff delivery or another confirmation
            // racing this one finds it taken, so exactly one delivery is posted.
            None => {
                if !Shipment::transition(conn, id, ShipmentStatus::Dispatched, ShipmentStatus::Delivered)? {
                    return Err(ConfirmError::AlreadyDelivered);
                }
            }
            // Setting the first aside claims it (a second correction, a staff settlement or
            // reversal finds it changed); its deliveries are reversed and the new ones posted.
            Some(previous) => {
                if !RecipientConfirmation::supersede(conn, previous, crate::models::now())? {
                    return Err(ConfirmError::CorrectionClosed);
                }
                let movements = ledger::movements_of(conn, Source { shipment_id: Some(id), ..Default::default() })?;
                let reversed: Vec<_> = movements.iter().filter_map(|m| m.reverses_id).collect();
                let undo: Vec<_> = movements
                    .iter()
                    .filter(|m| m.reverses_id.is_none() && !reversed.contains(&m.id))
                    .filter(|m| m.kind == MovementKind::Delivery)
                    .map(|m| m.id)
                    .collect();
                ledger::reverse_many(conn, None, &undo, "corrected by the recipient")?;
            }
        }
        for line in &self.received {
            Shipment::set_line_received(
                conn,
                line.shipment_line_id,
                Some(line.received),
                line.shortfall_reason.as_deref(),
            )?;
        }
        ledger::post(conn, None, &self.postings)?;
        let who = format!("{} ({})", &c.confirmer.name, &c.confirmer.role);
        Shipment::set_delivery(conn, id, Some(self.on), &who, "")?;
        let at = crate::models::now();
        let confirmation = RecipientConfirmation::record(
            conn,
            &NewConfirmation {
                shipment_id: id,
                code_id: c.code_id,
                confirmer_name: &c.confirmer.name,
                confirmer_role: &c.confirmer.role,
                phone: &c.confirmer.phone,
                ip: &c.confirmer.ip,
                submission_key: &c.submission_key,
                disputed_units: self.disputed,
                supersedes_id: self.corrects,
                at,
            },
            &self.received,
        )?;
        Shipment::add_event(conn, id, ShipmentEventKind::RecipientConfirmed, None, &who)?;
        if let Some(photo) = &c.photo {
            let name = format!("recipient-photo-{}.jpg", confirmation);
            crate::models::shipment::Attachment::insert(conn, id, &name, "image/jpeg", photo.bytes(), None)?;
        }
        let actor = Actor { user_id: None, name: format!("recipient: {who}"), ip: c.confirmer.ip.clone() };
        let summary = format!("{} on {}, {} disputed", self.reference, self.on, self.disputed);
        let action = if self.corrects.is_some() { "recipient_correct" } else { "recipient_confirm" };
        AuditEntry::record(conn, &actor, action, "shipment", id, &summary)?;
        Ok(confirmation)
    }
}

/// A wrong PIN typed on a link: counted against the link (locked at the limit) and recorded in
/// the audit log with the address.
#[derive(Debug, Clone)]
pub struct WrongPin {
    pub code_id: i32,
    pub ip: String,
}

impl Plan for WrongPin {
    /// Wrong PINs on the link so far.
    type Output = i32;
    type Error = diesel::result::Error;

    fn write(&self, conn: &mut DbConn) -> Result<i32, diesel::result::Error> {
        let failed = DeliveryCode::count_wrong_pin(conn, self.code_id)?;
        let Some(code) = DeliveryCode::find(conn, self.code_id)? else { return Ok(failed) };
        let actor = Actor { user_id: None, name: "recipient".into(), ip: self.ip.clone() };
        let action = if failed >= PIN_ATTEMPTS { "link_locked" } else { "wrong_pin" };
        let summary = format!("{failed} wrong PIN(s) on the link");
        AuditEntry::record(conn, &actor, action, "shipment", code.shipment_id, &summary)?;
        Ok(failed)
    }
}

/// How staff settle the units a recipient said did not arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// They arrived after all (found, counted again): delivered.
    Arrived,
    /// They are gone: a loss, with the reason the recipient gave per line.
    Lost,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Arrived => "arrived",
            Resolution::Lost => "lost",
        }
    }

    pub fn parse(text: &str) -> Option<Resolution> {
        match text {
            "arrived" => Some(Resolution::Arrived),
            "lost" => Some(Resolution::Lost),
            _ => None,
        }
    }
}

/// Why a dispute was not settled.
#[derive(Debug, thiserror::Error)]
pub enum DisputeError {
    /// No such shipment, or one whose destination lies outside the user's regions.
    #[error("no such shipment")]
    NotFound,
    #[error("nothing is disputed")]
    NoDispute,
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Logistics staff of the destination's region settle a recipient's shortfall: the disputed
/// units leave transit, to the place or as a loss.
#[derive(Debug, Clone)]
pub struct ResolveDispute {
    pub by: Caller,
    pub shipment_id: ShipmentId,
    pub resolution: Resolution,
    pub note: String,
}

/// A checked settlement.
#[derive(Debug, Clone)]
pub struct DisputePlan {
    command: ResolveDispute,
    confirmation_id: i32,
    reference: String,
    postings: Vec<Posting>,
    /// The lines that become fully received, when the units arrived.
    completed: Vec<(crate::domain::ShipmentLineId, i32)>,
}

impl Command for ResolveDispute {
    type Plan = DisputePlan;
    type Error = DisputeError;

    fn validate(&self, conn: &mut DbConn) -> Result<DisputePlan, DisputeError> {
        let shipment = Shipment::find(conn, self.shipment_id)?.ok_or(DisputeError::NotFound)?;
        let destination = Location::get(conn, shipment.destination_id)?.ok_or(DisputeError::NotFound)?;
        if !self.by.access.covers(destination.region_id) {
            return Err(DisputeError::NotFound);
        }
        let confirmation = RecipientConfirmation::current_for(conn, shipment.id)?
            .filter(|c| c.dispute_open() && shipment.status == ShipmentStatus::Delivered)
            .ok_or(DisputeError::NoDispute)?;
        let transit = Location::transit_id(conn)?;
        // Never dated before the delivery it settles.
        let today = chrono::Utc::now().date_naive();
        let on = shipment.delivered_on.map_or(today, |d| d.max(today));
        let mut postings = Vec::new();
        let mut completed = Vec::new();
        for line in Shipment::lines(conn, shipment.id)? {
            let received = line.quantity_received.unwrap_or(0);
            let Some(short) = PositiveQuantity::new(line.quantity.get() - received) else { continue };
            let source =
                Source { shipment_id: Some(shipment.id), shipment_line_id: Some(line.id), ..Default::default() };
            let (to, kind, reason) = match self.resolution {
                Resolution::Arrived => (Some(shipment.destination_id), MovementKind::Delivery, String::new()),
                Resolution::Lost => (None, MovementKind::Shortfall, line.shortfall_reason.clone().unwrap_or_default()),
            };
            postings.push(Posting {
                material_id: line.material_id,
                from: Some(transit),
                to,
                quantity: short,
                kind,
                effective_on: on,
                source,
                reason,
            });
            if self.resolution == Resolution::Arrived {
                completed.push((line.id, line.quantity.get()));
            }
        }
        Ok(DisputePlan {
            command: self.clone(),
            confirmation_id: confirmation.id,
            reference: shipment.reference,
            postings,
            completed,
        })
    }
}

impl Plan for DisputePlan {
    type Output = ShipmentId;
    type Error = DisputeError;

    fn write(&self, conn: &mut DbConn) -> Result<ShipmentId, DisputeError> {
        let c = &self.command;
        let user = c.by.user_id();
        // Conditional: a second settlement (double click, a colleague) finds it settled.
        if !RecipientConfirmation::resolve(conn, self.confirmation_id, c.resolution.as_str(), user, &c.note)? {
            return Err(DisputeError::NoDispute);
        }
        for (line, quantity) in &self.completed {
            Shipment::set_line_received(conn, *line, Some(*quantity), None)?;
        }
        ledger::post(conn, user, &self.postings)?;
        Shipment::add_event(conn, c.shipment_id, ShipmentEventKind::DisputeResolved, user, &c.note)?;
        let summary = format!("{}: {}", self.reference, c.resolution.as_str());
        AuditEntry::record(conn, &c.by.actor, "resolve_dispute", "shipment", c.shipment_id, &summary)?;
        Ok(c.shipment_id)
    }
}

/// The recipient answers a delivery staff recorded first: they agree, or they disagree and say
/// why (kept, shown to logistics staff). The place's PIN was checked by the caller.
#[derive(Debug, Clone)]
pub struct RespondToDelivery {
    pub code_id: i32,
    pub agrees: bool,
    pub note: String,
    pub confirmer: Confirmer,
    pub submission_key: String,
    pub link_days: u32,
}

/// A checked answer.
#[derive(Debug, Clone)]
pub struct ResponsePlan {
    command: RespondToDelivery,
    shipment_id: ShipmentId,
    reference: String,
}

impl Command for RespondToDelivery {
    type Plan = ResponsePlan;
    type Error = ConfirmError;

    fn validate(&self, conn: &mut DbConn) -> Result<ResponsePlan, ConfirmError> {
        let code = DeliveryCode::find(conn, self.code_id)?.ok_or(ConfirmError::LinkDead)?;
        let shipment = Shipment::find(conn, code.shipment_id)?.ok_or(ConfirmError::LinkDead)?;
        let today = chrono::Utc::now().date_naive();
        match usable_code(&code, &shipment, self.link_days, today) {
            // Delivered: by staff, unless this link confirmed it.
            Err(ConfirmError::AlreadyDelivered) => {}
            Ok(()) => return Err(ConfirmError::NotYetDelivered),
            Err(e) => return Err(e),
        }
        if code.locked_at.is_some() {
            return Err(ConfirmError::Locked);
        }
        if link_expired(&shipment, self.link_days, today) {
            return Err(ConfirmError::Expired);
        }
        if RecipientConfirmation::current_for(conn, shipment.id)?.is_some() {
            return Err(ConfirmError::AlreadyDelivered);
        }
        Ok(ResponsePlan { command: self.clone(), shipment_id: shipment.id, reference: shipment.reference })
    }
}

impl Plan for ResponsePlan {
    type Output = ();
    type Error = ConfirmError;

    fn write(&self, conn: &mut DbConn) -> Result<(), ConfirmError> {
        let c = &self.command;
        let who =
            (c.confirmer.name.as_str(), c.confirmer.role.as_str(), c.confirmer.phone.as_str(), c.confirmer.ip.as_str());
        let recorded = crate::models::confirmation::RecipientResponse::record(
            conn,
            self.shipment_id,
            c.code_id,
            c.agrees,
            &c.note,
            who,
            &c.submission_key,
        )?;
        if !recorded {
            return Err(ConfirmError::AlreadyAnswered);
        }
        let actor = Actor {
            user_id: None,
            name: format!("recipient: {} ({})", c.confirmer.name, c.confirmer.role),
            ip: c.confirmer.ip.clone(),
        };
        let action = if c.agrees { "recipient_agree" } else { "recipient_disagree" };
        AuditEntry::record(conn, &actor, action, "shipment", self.shipment_id, &self.reference)?;
        Ok(())
    }
}
