//! The commands of `src/app` on a real database, without HTTP: every refusal an operation can
//! meet through its inputs and the data, each shown to have written nothing; plans written after
//! the world changed under them; and SQLite's one writer committing a group of commands in which
//! one is refused alone.

use crate::helpers::*;
use campaign_tracker::app::adjustments::{AdjustmentError, PostCount, RecordAdjustment, ReverseAdjustment};
use campaign_tracker::app::airings::{AiringError, RecordAiring, ReverseAiring};
use campaign_tracker::app::receipts::{ReceiptError, RecordReceipt, ReversalError, ReverseReceipt};
use campaign_tracker::app::shipments::{
    Cancel, CancelError, CreateShipment, Deliver, DeliveryError, Dispatch, DispatchError, Draft, DraftError,
    LineReceipt, ReverseDelivery, ReverseDeliveryError, UpdateDraft,
};
use campaign_tracker::app::{self, Access, Caller, Command, MaterialError, PlaceError, Plan};
use campaign_tracker::db::writer::{Writer, WriterError};
use campaign_tracker::db::DbConn;
use campaign_tracker::domain::{
    Answers, DeliveryKey, LocationId, MaterialId, PositiveQuantity, Question, ReceiptId, ShipmentId, ShipmentLineId,
    ShipmentStatus, UserId,
};
use campaign_tracker::ledger::{self, LedgerError};
use campaign_tracker::models::adjustment::NewAdjustment;
use campaign_tracker::models::airing::{NewAiring, MAX_TIMES};
use campaign_tracker::models::audit::Actor;
use campaign_tracker::models::receipt::NewReceipt;
use campaign_tracker::models::setting::Setting;
use campaign_tracker::models::shipment::{Shipment, ShipmentHeader};
use chrono::{Duration, NaiveDate};
use std::fmt::Debug;

both_backends!(
    receipt_refusals,
    receipt_questions_until_answered,
    reversal_refusals,
    adjustment_and_count_refusals,
    draft_refusals,
    dispatch_refusals,
    delivery_refusals,
    cancel_refusals,
    reverse_delivery_refusals,
    airing_refusals,
    dispatch_plan_meets_a_changed_world,
    cancel_and_delivery_plans_meet_a_changed_world,
    record_plans_meet_a_changed_world,
);

// ---------------------------------------------------------------------------------------------
// The demo's places and materials, and running commands
// ---------------------------------------------------------------------------------------------

/// The demo data set, and the ids the stories use. The depots start empty (no history loaded).
struct Demo {
    app: TestApp,
    /// The demo logistics user, acting in every region.
    by: Caller,
    poster: MaterialId,
    flier: MaterialId,
    /// The information spot: aired, never stocked.
    spot: MaterialId,
    /// DEP-CCS, in region VE-A (Caracas).
    depot: LocationId,
    /// DEP-ANZ, in region VE-B (Anzoátegui).
    other_depot: LocationId,
    /// A school in VE-A: a place material goes to, not a depot.
    school: LocationId,
    /// MED-VTV, a media outlet in VE-A.
    outlet: LocationId,
    /// VE-B: a region DEP-CCS, the school and the outlet do not lie in.
    elsewhere: i32,
}

async fn demo(backend: Backend) -> Demo {
    let app = spawn_demo_app(backend).await;
    let user = UserId(app.user_id(LOGISTICS.0) as i32);
    let by = Caller {
        access: Access::everywhere(Some(user)),
        actor: Actor { user_id: Some(user), name: LOGISTICS.0.into(), ip: "127.0.0.1".into() },
    };
    let id = |code: &str| LocationId(app.location_id(code) as i32);
    Demo {
        by,
        poster: MaterialId(app.material_id("POSTER") as i32),
        flier: MaterialId(app.material_id("FLIER") as i32),
        spot: MaterialId(app.material_id("SPOT") as i32),
        depot: id("DEP-CCS"),
        other_depot: id("DEP-ANZ"),
        school: id("SCH-CCS-01"),
        outlet: id("MED-VTV"),
        elsewhere: app.region_id("VE-B") as i32,
        app,
    }
}

impl Demo {
    fn place(&self, code: &str) -> LocationId {
        LocationId(self.app.location_id(code) as i32)
    }
}

/// The same person, limited to `region`.
fn only_in(by: &Caller, region: i32) -> Caller {
    Caller { access: Access { user_id: by.user_id(), regions: Some(vec![region]) }, actor: by.actor.clone() }
}

/// Today `n` days on (negative: ago), as the application counts days (UTC).
fn on(n: i64) -> NaiveDate {
    today() + Duration::days(n)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// The day before the demo campaign starts (2005-01-01).
fn before_campaign() -> NaiveDate {
    date(2004, 12, 31)
}

/// Closes the period up to `day`, stored as the lock-date form stores it.
fn lock_until(conn: &mut DbConn, day: NaiveDate) {
    Setting::set(conn, ledger::LOCK_DATE_SETTING, &day.to_string()).expect("set the lock date");
}

fn unlock(conn: &mut DbConn) {
    Setting::delete(conn, ledger::LOCK_DATE_SETTING).expect("remove the lock date");
}

fn deactivate(conn: &mut DbConn, place: LocationId) {
    exec_sql(conn, &format!("UPDATE locations SET is_active = FALSE WHERE id = {place}"));
}

fn activate(conn: &mut DbConn, place: LocationId) {
    exec_sql(conn, &format!("UPDATE locations SET is_active = TRUE WHERE id = {place}"));
}

/// Checks and writes a command in one write transaction, as the command line and PostgreSQL's
/// server do.
fn run<C: Command>(conn: &mut DbConn, command: &C) -> Result<<C::Plan as Plan>::Output, C::Error> {
    conn.write_transaction(|c| app::run(c, command))
}

/// Runs a command that must succeed.
fn done<C: Command + Debug>(conn: &mut DbConn, command: &C) -> <C::Plan as Plan>::Output
where
    C::Error: Debug,
{
    run(conn, command).unwrap_or_else(|e| panic!("{command:#?}\nwas refused: {e:?}"))
}

/// Runs a command that must be refused; asserts that it wrote nothing and gives the refusal.
fn refused<C: Command + Debug>(conn: &mut DbConn, command: &C) -> C::Error
where
    C::Error: Debug,
    <C::Plan as Plan>::Output: Debug,
{
    let before = footprint(conn);
    let outcome = run(conn, command);
    let error = match outcome {
        Ok(output) => panic!("{command:#?}\nwas recorded ({output:?}) where a refusal was expected"),
        Err(e) => e,
    };
    assert_eq!(footprint(conn), before, "refused with {error:?}, yet something was written");
    error
}

/// Asserts that `command` is refused with `pattern` and wrote nothing; gives the refusal.
macro_rules! refuses {
    ($conn:expr, $command:expr, $pattern:pat $(if $guard:expr)?) => {{
        // Built before the connection is lent out: building may read through it.
        let command = &$command;
        let error = refused($conn, command);
        assert!(matches!(error, $pattern $(if $guard)?), "expected {}, got {error:?}", stringify!($pattern));
        error
    }};
}

/// Everything a command may write, as text: the same before and after means nothing was written.
fn footprint(conn: &mut DbConn) -> Vec<String> {
    let tables = [
        "receipts",
        "adjustments",
        "stock_counts",
        "shipments",
        "shipment_lines",
        "shipment_events",
        "stock_movements",
        "daily_flows",
        "airings",
        "audit_log",
    ];
    let mut seen: Vec<String> =
        tables.iter().map(|t| format!("{t}: {} rows", scalar(conn, &format!("SELECT COUNT(*) FROM {t}")))).collect();
    seen.push(format!("flows: {}", scalar(conn, "SELECT COALESCE(SUM(quantity), 0) FROM daily_flows")));
    seen.extend(strings(
        conn,
        "SELECT 'balance ' || CAST(material_id AS TEXT) || '@' || CAST(location_id AS TEXT) || ' = ' \
         || CAST(on_hand AS TEXT) AS s FROM stock_balances ORDER BY material_id, location_id",
    ));
    seen.extend(strings(
        conn,
        "SELECT 'shipment ' || CAST(id AS TEXT) || ' ' || status || ' ' || COALESCE(CAST(dispatched_on AS TEXT), '-') \
         || ' ' || COALESCE(CAST(delivered_on AS TEXT), '-') || ' ' || CAST(updated_at AS TEXT) AS s \
         FROM shipments ORDER BY id",
    ));
    seen.extend(strings(
        conn,
        "SELECT 'line ' || CAST(id AS TEXT) || ': ' || CAST(material_id AS TEXT) || ' x ' || CAST(quantity AS TEXT) \
         || ' received ' || COALESCE(CAST(quantity_received AS TEXT), '-') AS s FROM shipment_lines ORDER BY id",
    ));
    seen
}

/// Units at a place, as the balance says; and checked against the ledger's own sum.
fn on_hand(conn: &mut DbConn, material: MaterialId, place: LocationId) -> i32 {
    let balance = ledger::on_hand(conn, material, place).expect("read a balance");
    let ledger_sum = scalar(
        conn,
        &format!(
            "SELECT COALESCE(SUM(CASE WHEN to_location_id = {place} THEN quantity ELSE 0 END), 0) \
                  - COALESCE(SUM(CASE WHEN from_location_id = {place} THEN quantity ELSE 0 END), 0) \
             FROM stock_movements WHERE material_id = {material}"
        ),
    );
    assert_eq!(i64::from(balance), ledger_sum, "the balance of {material} at {place} is its movements' sum");
    balance
}

fn status(conn: &mut DbConn, shipment: ShipmentId) -> ShipmentStatus {
    Shipment::find(conn, shipment).expect("read a shipment").expect("the shipment exists").status
}

/// The codes of the questions a refusal asks, in order.
fn codes(questions: &[Question]) -> Vec<&'static str> {
    questions.iter().map(Question::code).collect()
}

// Builders: a command as a form would give it.

fn receipt(
    by: &Caller,
    material: MaterialId,
    depot: LocationId,
    quantity: i32,
    received_on: NaiveDate,
) -> RecordReceipt {
    RecordReceipt {
        by: by.clone(),
        receipt: NewReceipt {
            material_id: material,
            location_id: depot,
            quantity: units(quantity),
            received_on,
            supplier: "Imprenta Nacional".into(),
            reference: "NE-001".into(),
            external_ref: None,
        },
        answers: Answers::default(),
    }
}

/// Stock received today, every question answered (the same stocking twice is no mistake here).
fn stock(conn: &mut DbConn, by: &Caller, material: MaterialId, depot: LocationId, quantity: i32) -> ReceiptId {
    let mut command = receipt(by, material, depot, quantity, on(0));
    command.answers = Answers::all();
    done(conn, &command)
}

fn adjustment(
    by: &Caller,
    depot: LocationId,
    material: MaterialId,
    kind: &'static str,
    quantity: i32,
) -> RecordAdjustment {
    RecordAdjustment {
        by: by.clone(),
        adjustment: NewAdjustment {
            material_id: material,
            location_id: depot,
            kind,
            quantity: units(quantity),
            effective_on: on(0),
            reason: "water damage in the store room".into(),
            stock_count_id: None,
        },
        answers: Answers::default(),
    }
}

fn count(by: &Caller, depot: LocationId, counted: &[(MaterialId, i32)], counted_on: NaiveDate) -> PostCount {
    PostCount {
        by: by.clone(),
        location_id: depot,
        counted_on,
        note: "quarterly count".into(),
        counted: counted.to_vec(),
        answers: Answers::default(),
    }
}

/// A test's quantity, which is always above zero: a command cannot carry any other.
fn units(n: i32) -> PositiveQuantity {
    PositiveQuantity::new(n).expect("a positive quantity")
}

fn draft(origin: LocationId, destination: LocationId, lines: &[(MaterialId, i32)]) -> Draft {
    Draft {
        header: ShipmentHeader {
            origin_id: origin,
            destination_id: destination,
            carrier: "Transportes Andinos".into(),
            expected_on: None,
            note: String::new(),
            external_ref: None,
        },
        lines: lines.iter().map(|&(material, quantity)| (material, units(quantity))).collect(),
    }
}

/// A new shipment. The stories send the same content several times on purpose, so the
/// likely-duplicate question is answered up front; `draft_refusals` asks it.
fn create(by: &Caller, draft: Draft, dispatch_on: Option<NaiveDate>) -> CreateShipment {
    CreateShipment {
        by: by.clone(),
        draft,
        dispatch_on,
        answers: Answers { duplicate: true, ..Answers::default() },
        codes: Some(DeliveryKey::derive(b"tests")),
    }
}

fn dispatch(by: &Caller, shipment: ShipmentId, day: NaiveDate) -> Dispatch {
    Dispatch {
        by: by.clone(),
        shipment_id: shipment,
        on: day,
        answers: Answers::default(),
        codes: Some(DeliveryKey::derive(b"tests")),
    }
}

fn deliver(by: &Caller, shipment: ShipmentId, day: NaiveDate, lines: Vec<LineReceipt>) -> Deliver {
    Deliver {
        by: by.clone(),
        shipment_id: shipment,
        delivered_on: day,
        received_by: "Ana Pérez".into(),
        note: String::new(),
        lines,
    }
}

fn got(line_id: ShipmentLineId, received: i32, shortfall_reason: &str) -> LineReceipt {
    LineReceipt {
        line_id,
        received,
        shortfall_reason: (!shortfall_reason.is_empty()).then(|| shortfall_reason.to_string()),
    }
}

/// Everything sent arrived.
fn all_arrived(conn: &mut DbConn, shipment: ShipmentId) -> Vec<LineReceipt> {
    lines(conn, shipment).into_iter().map(|(line, _, quantity)| got(line, quantity, "")).collect()
}

/// A shipment's lines: (line id, material, quantity sent).
fn lines(conn: &mut DbConn, shipment: ShipmentId) -> Vec<(ShipmentLineId, MaterialId, i32)> {
    Shipment::lines(conn, shipment)
        .expect("read lines")
        .into_iter()
        .map(|l| (l.id, l.material_id, l.quantity.get()))
        .collect()
}

fn cancel(by: &Caller, shipment: ShipmentId, reason: &str) -> Cancel {
    Cancel { by: by.clone(), shipment_id: shipment, reason: reason.into() }
}

fn reverse_delivery(by: &Caller, shipment: ShipmentId, reason: &str) -> ReverseDelivery {
    ReverseDelivery { by: by.clone(), shipment_id: shipment, reason: reason.into() }
}

fn airing(by: &Caller, material: MaterialId, outlet: LocationId, times: i32, aired_on: NaiveDate) -> RecordAiring {
    RecordAiring {
        by: by.clone(),
        airing: NewAiring {
            material_id: material,
            location_id: outlet,
            aired_on,
            times,
            time_slot: "20:00–21:00".into(),
            programme: "Noticiero estelar".into(),
            external_ref: None,
        },
        answers: Answers::default(),
    }
}

/// Writes a plan checked earlier, in its own write transaction as the server does.
fn write_later<P: Plan>(conn: &mut DbConn, plan: &P) -> Result<P::Output, P::Error>
where
    P::Error: From<diesel::result::Error>,
{
    conn.write_transaction(|c| plan.write(c))
}

// ---------------------------------------------------------------------------------------------
// 1. Every refusal, each writing nothing
// ---------------------------------------------------------------------------------------------

/// A receipt needs an active depot of the user's regions, a stocked material, a positive
/// quantity and a day neither in the closed period nor beyond tomorrow.
async fn receipt_refusals(backend: Backend) {
    let d = demo(backend).await;
    let mut conn = d.app.conn();
    let conn = &mut *conn;
    let at = |depot| receipt(&d.by, d.poster, depot, 500, on(0));

    refuses!(conn, at(999_999.into()), ReceiptError::Place(PlaceError::UnknownDepot));
    refuses!(conn, at(d.school), ReceiptError::Place(PlaceError::NotADepot));
    // Stock in transit is the system's own place, not a depot anyone receives into.
    refuses!(conn, at(d.place("TRANSIT")), ReceiptError::Place(PlaceError::NotADepot));
    let closed = d.place("DEP-MIR");
    deactivate(conn, closed);
    refuses!(conn, at(closed), ReceiptError::Place(PlaceError::Inactive));
    let mut outside = at(d.depot);
    outside.by = only_in(&d.by, d.elsewhere);
    refuses!(conn, outside, ReceiptError::Place(PlaceError::OutsideRegions));

    refuses!(conn, receipt(&d.by, 999_999.into(), d.depot, 500, on(0)), ReceiptError::Material(MaterialError::Unknown));
    refuses!(conn, receipt(&d.by, d.spot, d.depot, 500, on(0)), ReceiptError::Material(MaterialError::Broadcast));

    // A day of slack for time zones: tomorrow is taken, the day after is not.
    refuses!(
        conn,
        receipt(&d.by, d.poster, d.depot, 500, on(2)),
        ReceiptError::Ledger(LedgerError::FutureDate(day)) if day == on(2)
    );
    done(conn, &receipt(&d.by, d.poster, d.depot, 40, on(1)));

    lock_until(conn, on(-5));
    refuses!(
        conn,
        receipt(&d.by, d.poster, d.depot, 500, on(-5)),
        ReceiptError::Ledger(LedgerError::PeriodClosed { lock_date }) if lock_date == on(-5)
    );
    // The day after the lock date is open, and the same receipt in the user's own region goes through.
    let mut inside = receipt(&d.by, d.poster, d.depot, 500, on(-4));
    inside.by = only_in(&d.by, d.app.region_id("VE-A") as i32);
    let id = done(conn, &inside);
    assert_eq!(on_hand(conn, d.poster, d.depot), 540, "the two receipts recorded, nothing of the refused ones");
    assert_eq!(scalar(conn, &format!("SELECT COUNT(*) FROM stock_movements WHERE receipt_id = {id}")), 1);
}

/// Over the material's limit, before its campaign, the same receipt again within minutes: each
/// is asked about, all that apply at once, and the answers let exactly their questions through.
async fn receipt_questions_until_answered(backend: Backend) {
    let d = demo(backend).await;
    let mut conn = d.app.conn();
    let conn = &mut *conn;
    let questions = |e: ReceiptError| match e {
        ReceiptError::Questions(q) => q,
        other => panic!("expected questions, got {other:?}"),
    };

    // Posters were printed 60,000 times: one receipt of more is a typo more often than not.
    let mut over = receipt(&d.by, d.poster, d.depot, 60_001, on(0));
    let asked = questions(refuses!(conn, over, ReceiptError::Questions(_)));
    assert!(
        matches!(asked.as_slice(), [Question::OverLimit { quantity: 60_001, limit: 60_000, print_run: true, .. }]),
        "{asked:?}"
    );
    over.answers.over_limit = true;
    let first = done(conn, &over);

    let mut early = receipt(&d.by, d.poster, d.depot, 100, before_campaign());
    let asked = questions(refuses!(conn, early, ReceiptError::Questions(_)));
    assert!(
        matches!(asked.as_slice(), [Question::BeforeCampaign { starts_on, .. }] if *starts_on == date(2005, 1, 1)),
        "{asked:?}"
    );
    early.answers.early_date = true;
    done(conn, &early);

    // The same receipt again: over the limit and a likely duplicate of the first, both asked.
    let mut again = receipt(&d.by, d.poster, d.depot, 60_001, on(0));
    let asked = questions(refuses!(conn, again, ReceiptError::Questions(_)));
    assert_eq!(codes(&asked), ["over_limit", "duplicate"]);
    assert!(
        matches!(&asked[1], Question::LikelyDuplicate { earlier, .. } if earlier.label == format!("#{first}")),
        "the question names the earlier receipt: {asked:?}"
    );
    // One answer leaves the other question open.
    again.answers.over_limit = true;
    let asked = questions(refuses!(conn, again, ReceiptError::Questions(_)));
    assert_eq!(codes(&asked), ["duplicate"]);
    again.answers.duplicate = true;
    done(conn, &again);

    // The command line acts as nobody: nothing it records is "the same person again".
    let mut anonymous = receipt(&d.by, d.poster, d.depot, 100, before_campaign());
    anonymous.by.access.user_id = None;
    anonymous.answers.early_date = true;
    done(conn, &anonymous);
    assert_eq!(on_hand(conn, d.poster, d.depot), 60_001 + 100 + 60_001 + 100);
}

/// A receipt or an adjustment is reversed once, by someone of its depot's region, with a
/// reason, while its units are still there and its day is open.
async fn reversal_refusals(backend: Backend) {
    let d = demo(backend).await;
    let mut conn = d.app.conn();
    let conn = &mut *conn;
    let received = stock(conn, &d.by, d.poster, d.depot, 1000);
    let undo = |id| ReverseReceipt { by: d.by.clone(), receipt_id: id, reason: "typed the wrong depot".into() };

    refuses!(conn, undo(999_999.into()), ReversalError::NotFound);
    let mut outside = undo(received);
    outside.by = only_in(&d.by, d.elsewhere);
    refuses!(conn, outside, ReversalError::OutsideRegions);
    let mut unexplained = undo(received);
    unexplained.reason = " \t".into();
    refuses!(conn, unexplained, ReversalError::ReasonRequired);

    // 600 of the 1000 were lost since: the receipt cannot take back units that are gone.
    let loss = done(conn, &adjustment(&d.by, d.depot, d.poster, "loss", 600));
    refuses!(
        conn,
        undo(received),
        ReversalError::Ledger(LedgerError::Insufficient { requested: 1000, available: 400, material_id, location_id })
            if material_id == d.poster && location_id == d.depot
    );
    let undo_loss = ReverseAdjustment { by: d.by.clone(), adjustment_id: loss, reason: "found them".into() };
    refuses!(conn, ReverseAdjustment { adjustment_id: 999_999.into(), ..undo_loss.clone() }, ReversalError::NotFound);
    done(conn, &undo_loss);
    refuses!(conn, undo_loss, ReversalError::Ledger(LedgerError::AlreadyReversed));
    assert_eq!(on_hand(conn, d.poster, d.depot), 1000);
    done(conn, &undo(received));
    refuses!(conn, undo(received), ReversalError::Ledger(LedgerError::AlreadyReversed));
    assert_eq!(on_hand(conn, d.poster, d.depot), 0);

    // A receipt of a closed day stays as it is.
    let mut old = receipt(&d.by, d.poster, d.depot, 300, on(-3));
    old.answers = Answers::all();
    let old = done(conn, &old);
    lock_until(conn, on(-2));
    refuses!(conn, undo(old), ReversalError::Ledger(LedgerError::PeriodClosed { lock_date }) if lock_date == on(-2));
    assert_eq!(on_hand(conn, d.poster, d.depot), 300);
}

/// An adjustment is refused like a receipt, and for its kind, its reason and the stock it takes
/// away; a count for its depot, its day and what it counted.
async fn adjustment_and_count_refusals(backend: Backend) {
    let d = demo(backend).await;
    let mut conn = d.app.conn();
    let conn = &mut *conn;
    stock(conn, &d.by, d.poster, d.depot, 100);
    let closed = d.place("DEP-MIR");
    deactivate(conn, closed);
    let loss = |depot, quantity| adjustment(&d.by, depot, d.poster, "loss", quantity);

    refuses!(conn, loss(999_999.into(), 5), AdjustmentError::Place(PlaceError::UnknownDepot));
    refuses!(conn, loss(d.school, 5), AdjustmentError::Place(PlaceError::NotADepot));
    refuses!(conn, loss(closed, 5), AdjustmentError::Place(PlaceError::Inactive));
    let mut outside = loss(d.depot, 5);
    outside.by = only_in(&d.by, d.elsewhere);
    refuses!(conn, outside, AdjustmentError::Place(PlaceError::OutsideRegions));
    refuses!(
        conn,
        adjustment(&d.by, d.depot, 999_999.into(), "loss", 5),
        AdjustmentError::Material(MaterialError::Unknown)
    );
    refuses!(conn, adjustment(&d.by, d.depot, d.spot, "loss", 5), AdjustmentError::Material(MaterialError::Broadcast));
    refuses!(conn, adjustment(&d.by, d.depot, d.poster, "gift", 5), AdjustmentError::UnknownKind);
    let mut unexplained = loss(d.depot, 5);
    unexplained.adjustment.reason = "   ".into();
    refuses!(conn, unexplained, AdjustmentError::ReasonRequired);
    // A loss of zero cannot be written as a command: its quantity is a PositiveQuantity.

    // A loss of more than is there: the ledger says how much is.
    refuses!(
        conn,
        loss(d.depot, 101),
        AdjustmentError::Ledger(LedgerError::Insufficient { requested: 101, available: 100, .. })
    );
    for kind in ["damage", "count_down"] {
        refuses!(
            conn,
            adjustment(&d.by, d.depot, d.poster, kind, 101),
            AdjustmentError::Ledger(LedgerError::Insufficient { available: 100, .. })
        );
    }

    // Questions: over the print run, before the campaign, the same adjustment again.
    let mut found = adjustment(&d.by, d.depot, d.poster, "count_up", 60_001);
    let e = refuses!(conn, found, AdjustmentError::Questions(_));
    assert!(matches!(&e, AdjustmentError::Questions(q) if codes(q) == ["over_limit"]), "{e:?}");
    found.adjustment.quantity = units(10);
    found.adjustment.effective_on = before_campaign();
    let e = refuses!(conn, found, AdjustmentError::Questions(_));
    assert!(matches!(&e, AdjustmentError::Questions(q) if codes(q) == ["early_date"]), "{e:?}");
    done(conn, &loss(d.depot, 10));
    let e = refuses!(conn, loss(d.depot, 10), AdjustmentError::Questions(_));
    assert!(matches!(&e, AdjustmentError::Questions(q) if codes(q) == ["duplicate"]), "{e:?}");

    let mut future = loss(d.depot, 5);
    future.adjustment.effective_on = on(2);
    refuses!(conn, future, AdjustmentError::Ledger(LedgerError::FutureDate(_)));
    lock_until(conn, on(-2));
    let mut locked = loss(d.depot, 5);
    locked.adjustment.effective_on = on(-2);
    refuses!(conn, locked, AdjustmentError::Ledger(LedgerError::PeriodClosed { .. }));
    assert_eq!(on_hand(conn, d.poster, d.depot), 90, "only the one loss of 10 was recorded");

    // Counts.
    let counted = [(d.poster, 80)];
    refuses!(conn, count(&d.by, 999_999.into(), &counted, on(0)), AdjustmentError::Place(PlaceError::UnknownDepot));
    refuses!(conn, count(&d.by, closed, &counted, on(0)), AdjustmentError::Place(PlaceError::Inactive));
    let mut outside = count(&d.by, d.depot, &counted, on(0));
    outside.by = only_in(&d.by, d.elsewhere);
    refuses!(conn, outside, AdjustmentError::Place(PlaceError::OutsideRegions));
    refuses!(
        conn,
        count(&d.by, d.depot, &counted, on(-2)),
        AdjustmentError::Ledger(LedgerError::PeriodClosed { lock_date }) if lock_date == on(-2)
    );
    refuses!(conn, count(&d.by, d.depot, &counted, on(2)), AdjustmentError::Ledger(LedgerError::FutureDate(_)));
    // A negative count is a typing slip, not a count-down of more than is on hand.
    refuses!(conn, count(&d.by, d.depot, &[(d.poster, -5)], on(0)), AdjustmentError::NegativeCount);
    refuses!(
        conn,
        count(&d.by, d.depot, &[(d.poster, 80), (d.spot, 3)], on(0)),
        AdjustmentError::Material(MaterialError::Broadcast)
    );
    refuses!(
        conn,
        count(&d.by, d.depot, &[(999_999.into(), 3)], on(0)),
        AdjustmentError::Material(MaterialError::Unknown)
    );
    let mut huge = count(&d.by, d.depot, &[(d.poster, 80), (d.flier, 50_001)], on(0));
    let e = refuses!(conn, huge, AdjustmentError::Questions(_));
    assert!(matches!(&e, AdjustmentError::Questions(q) if codes(q) == ["over_limit"]), "{e:?}");
    huge.answers.over_limit = true;
    let (_, corrections) = done(conn, &huge);
    assert_eq!(corrections, 2, "posters counted down, fliers counted up");
    assert_eq!((on_hand(conn, d.poster, d.depot), on_hand(conn, d.flier, d.depot)), (80, 50_001));
}

/// A draft needs an active depot of the user's regions as origin, another active place as
/// destination, and lines each of a stocked material, once, with a positive quantity; created
/// and dispatched at once, it must also be dispatchable.
async fn draft_refusals(backend: Backend) {
    let d = demo(backend).await;
    let mut conn = d.app.conn();
    let conn = &mut *conn;
    stock(conn, &d.by, d.poster, d.depot, 100);
    let posters = [(d.poster, 10)];
    let new = |origin, destination, lines: &[(MaterialId, i32)]| create(&d.by, draft(origin, destination, lines), None);
    let closed_depot = d.place("DEP-MIR");
    let closed_school = d.place("SCH-CCS-02");
    deactivate(conn, closed_depot);
    deactivate(conn, closed_school);

    refuses!(conn, new(999_999.into(), d.school, &posters), DraftError::Place(PlaceError::UnknownDepot));
    refuses!(conn, new(d.school, d.depot, &posters), DraftError::Place(PlaceError::NotADepot));
    refuses!(conn, new(closed_depot, d.school, &posters), DraftError::Place(PlaceError::Inactive));
    let mut outside = new(d.depot, d.school, &posters);
    outside.by = only_in(&d.by, d.elsewhere);
    refuses!(conn, outside, DraftError::Place(PlaceError::OutsideRegions));
    refuses!(conn, new(d.depot, 999_999.into(), &posters), DraftError::Place(PlaceError::UnknownDestination));
    // Transit belongs to no region: nobody ships to it.
    refuses!(conn, new(d.depot, d.place("TRANSIT"), &posters), DraftError::Place(PlaceError::UnknownDestination));
    refuses!(conn, new(d.depot, closed_school, &posters), DraftError::Place(PlaceError::Inactive));
    refuses!(conn, new(d.depot, d.depot, &posters), DraftError::SameOriginDestination);
    refuses!(conn, new(d.depot, d.school, &[]), DraftError::NoLines);
    refuses!(conn, new(d.depot, d.school, &[(d.poster, 5), (d.poster, 5)]), DraftError::DuplicateLine);
    refuses!(conn, new(d.depot, d.school, &[(999_999.into(), 5)]), DraftError::Material(MaterialError::Unknown));
    refuses!(conn, new(d.depot, d.school, &[(d.spot, 1)]), DraftError::Material(MaterialError::Broadcast));
    let e = refuses!(conn, new(d.depot, d.school, &[(d.poster, 60_001)]), DraftError::Questions(_));
    assert!(matches!(&e, DraftError::Questions(q) if codes(q) == ["over_limit"]), "{e:?}");

    // Created and dispatched at once.
    let now = |lines: &[(MaterialId, i32)], day| create(&d.by, draft(d.depot, d.school, lines), Some(day));
    let e = refuses!(conn, now(&posters, before_campaign()), DraftError::Questions(_));
    assert!(matches!(&e, DraftError::Questions(q) if codes(q) == ["early_date"]), "{e:?}");
    let mut late = now(&posters, on(0));
    late.draft.header.expected_on = Some(on(-1));
    refuses!(conn, late, DraftError::ExpectedBeforeDispatch);
    // The draft, its lines, its events and its audit lines are written before the ledger finds
    // the origin short: all of it goes.
    refuses!(
        conn,
        now(&[(d.flier, 5), (d.poster, 101)], on(0)),
        DraftError::Ledger(LedgerError::Insufficient { requested: 101, available: 100, material_id, .. })
            if material_id == d.poster
    );
    refuses!(conn, now(&posters, on(2)), DraftError::Ledger(LedgerError::FutureDate(_)));
    lock_until(conn, on(-1));
    refuses!(conn, now(&posters, on(-1)), DraftError::Ledger(LedgerError::PeriodClosed { .. }));
    let sent = done(conn, &now(&posters, on(0)));
    assert_eq!(status(conn, sent), ShipmentStatus::Dispatched);
    assert_eq!(on_hand(conn, d.poster, d.depot), 90);

    // The same draft twice within minutes is asked about when not answered.
    let mut first = new(d.depot, d.school, &[(d.poster, 7)]);
    first.answers = Answers::default();
    let first_id = done(conn, &first);
    let e = refuses!(conn, first, DraftError::Questions(_));
    assert!(matches!(&e, DraftError::Questions(q) if codes(q) == ["duplicate"]), "{e:?}");

    // Editing: only a draft, only by someone of its origin's region, and the new draft is
    // checked like a new one.
    let edit = |id, lines: &[(MaterialId, i32)]| UpdateDraft {
        by: d.by.clone(),
        shipment_id: id,
        draft: draft(d.depot, d.school, lines),
        answers: Answers::default(),
    };
    refuses!(conn, edit(999_999.into(), &posters), DraftError::NotFound);
    let mut outside = edit(first_id, &posters);
    outside.by = only_in(&d.by, d.elsewhere);
    refuses!(conn, outside, DraftError::OutsideRegions);
    refuses!(conn, edit(sent, &posters), DraftError::NotDraft);
    let mut moved = edit(first_id, &posters);
    moved.draft.header.origin_id = closed_depot;
    refuses!(conn, moved, DraftError::Place(PlaceError::Inactive));
    done(conn, &edit(first_id, &[(d.poster, 8)]));
    assert_eq!(lines(conn, first_id).iter().map(|(_, m, q)| (*m, *q)).collect::<Vec<_>>(), [(d.poster, 8)]);
}

/// A draft leaves only from an active origin, not after its expected day, not before its
/// campaign unasked, and only with the stock there: refused with how much is.
async fn dispatch_refusals(backend: Backend) {
    let d = demo(backend).await;
    let mut conn = d.app.conn();
    let conn = &mut *conn;
    stock(conn, &d.by, d.poster, d.depot, 100);
    let big = done(conn, &create(&d.by, draft(d.depot, d.school, &[(d.poster, 150)]), None));

    refuses!(conn, dispatch(&d.by, 999_999.into(), on(0)), DispatchError::NotFound);
    let mut outside = dispatch(&d.by, big, on(0));
    outside.by = only_in(&d.by, d.elsewhere);
    refuses!(conn, outside, DispatchError::OutsideRegions);
    let e = refuses!(conn, dispatch(&d.by, big, before_campaign()), DispatchError::Questions(_));
    assert!(matches!(&e, DispatchError::Questions(q) if codes(q) == ["early_date"]), "{e:?}");
    // The status change, its event and audit line come before the ledger finds the depot short:
    // the refusal takes them back, and says what is left.
    refuses!(
        conn,
        dispatch(&d.by, big, on(0)),
        DispatchError::Ledger(LedgerError::Insufficient { requested: 150, available: 100, material_id, location_id })
            if material_id == d.poster && location_id == d.depot
    );
    assert_eq!(status(conn, big), ShipmentStatus::Draft);
    refuses!(conn, dispatch(&d.by, big, on(2)), DispatchError::Ledger(LedgerError::FutureDate(_)));
    lock_until(conn, on(-1));
    refuses!(conn, dispatch(&d.by, big, on(-1)), DispatchError::Ledger(LedgerError::PeriodClosed { .. }));

    let mut expected = draft(d.depot, d.school, &[(d.poster, 10)]);
    expected.header.expected_on = Some(on(-1));
    let late = done(conn, &create(&d.by, expected, None));
    refuses!(conn, dispatch(&d.by, late, on(0)), DispatchError::ExpectedBeforeDispatch);

    let small = done(conn, &create(&d.by, draft(d.depot, d.school, &[(d.poster, 60)]), None));
    deactivate(conn, d.depot);
    refuses!(conn, dispatch(&d.by, small, on(0)), DispatchError::OriginInactive);
    activate(conn, d.depot);
    done(conn, &dispatch(&d.by, small, on(0)));
    refuses!(conn, dispatch(&d.by, small, on(0)), DispatchError::NotDraft);
    let dropped = done(conn, &create(&d.by, draft(d.depot, d.school, &[(d.poster, 5)]), None));
    done(conn, &cancel(&d.by, dropped, "not needed"));
    refuses!(conn, dispatch(&d.by, dropped, on(0)), DispatchError::NotDraft);
    assert_eq!(on_hand(conn, d.poster, d.depot), 40);
    assert_eq!(on_hand(conn, d.poster, d.place("TRANSIT")), 60);
}

/// A delivery is recorded for a shipment in transit, not before it left, with a figure for every
/// line between nothing and what was sent, and a known reason for any shortfall.
async fn delivery_refusals(backend: Backend) {
    let d = demo(backend).await;
    let mut conn = d.app.conn();
    let conn = &mut *conn;
    let transit = d.place("TRANSIT");
    stock(conn, &d.by, d.poster, d.depot, 1000);
    stock(conn, &d.by, d.flier, d.depot, 500);
    let sent = done(conn, &create(&d.by, draft(d.depot, d.school, &[(d.poster, 100), (d.flier, 50)]), Some(on(-2))));
    let [(posters, _, _), (fliers, _, _)] = lines(conn, sent)[..] else { panic!("two lines") };
    let arrived = |p: LineReceipt, f: LineReceipt| vec![p, f];

    refuses!(conn, deliver(&d.by, 999_999.into(), on(0), vec![]), DeliveryError::NotFound);
    // The destination's region is what counts: the school lies in VE-A.
    let mut outside = deliver(&d.by, sent, on(0), all_arrived(conn, sent));
    outside.by = only_in(&d.by, d.elsewhere);
    refuses!(conn, outside, DeliveryError::OutsideRegions);
    let waiting = done(conn, &create(&d.by, draft(d.depot, d.school, &[(d.poster, 1)]), None));
    refuses!(conn, deliver(&d.by, waiting, on(0), all_arrived(conn, waiting)), DeliveryError::NotDispatched);
    refuses!(conn, deliver(&d.by, sent, on(-3), all_arrived(conn, sent)), DeliveryError::BeforeDispatch);
    refuses!(conn, deliver(&d.by, sent, on(0), vec![got(posters, 100, "")]), DeliveryError::LineMissing);
    // A figure for a line of another shipment is no figure for this one's.
    refuses!(
        conn,
        deliver(&d.by, sent, on(0), vec![got(posters, 100, ""), got(ShipmentLineId(fliers.0 + 1000), 50, "")]),
        DeliveryError::LineMissing
    );
    refuses!(
        conn,
        deliver(&d.by, sent, on(0), arrived(got(posters, 100, ""), got(fliers, -1, "lost"))),
        DeliveryError::Negative
    );
    refuses!(
        conn,
        deliver(&d.by, sent, on(0), arrived(got(posters, 101, ""), got(fliers, 50, ""))),
        DeliveryError::MoreThanSent { sent: 100 }
    );
    for reason in ["", "fell off the truck"] {
        refuses!(
            conn,
            deliver(&d.by, sent, on(0), arrived(got(posters, 90, reason), got(fliers, 50, ""))),
            DeliveryError::ShortfallReason
        );
    }
    // The status is claimed before the ledger refuses the day: the claim is taken back.
    refuses!(
        conn,
        deliver(&d.by, sent, on(2), all_arrived(conn, sent)),
        DeliveryError::Ledger(LedgerError::FutureDate(_))
    );
    lock_until(conn, on(-1));
    refuses!(
        conn,
        deliver(&d.by, sent, on(-1), all_arrived(conn, sent)),
        DeliveryError::Ledger(LedgerError::PeriodClosed { .. })
    );
    assert_eq!(status(conn, sent), ShipmentStatus::Dispatched);

    done(conn, &deliver(&d.by, sent, on(0), arrived(got(posters, 90, "damaged"), got(fliers, 0, "stolen"))));
    assert_eq!(on_hand(conn, d.poster, d.school), 90);
    assert_eq!(on_hand(conn, d.flier, d.school), 0);
    assert_eq!((on_hand(conn, d.poster, transit), on_hand(conn, d.flier, transit)), (0, 0), "the rest is lost");
    refuses!(conn, deliver(&d.by, sent, on(0), all_arrived(conn, sent)), DeliveryError::NotDispatched);
}

/// A draft or a shipment in transit is cancelled by someone of its origin's region, with a
/// reason; a dispatched one's stock returns on its dispatch day, which must still be open.
async fn cancel_refusals(backend: Backend) {
    let d = demo(backend).await;
    let mut conn = d.app.conn();
    let conn = &mut *conn;
    stock(conn, &d.by, d.poster, d.depot, 100);
    let sent = done(conn, &create(&d.by, draft(d.depot, d.school, &[(d.poster, 30)]), Some(on(-3))));

    refuses!(conn, cancel(&d.by, 999_999.into(), "not needed"), CancelError::NotFound);
    let mut outside = cancel(&d.by, sent, "not needed");
    outside.by = only_in(&d.by, d.elsewhere);
    refuses!(conn, outside, CancelError::OutsideRegions);
    refuses!(conn, cancel(&d.by, sent, "  "), CancelError::ReasonRequired);
    // The return is dated the dispatch day, three days ago, now inside the closed period.
    lock_until(conn, on(-2));
    refuses!(
        conn,
        cancel(&d.by, sent, "not needed"),
        CancelError::Ledger(LedgerError::PeriodClosed { lock_date }) if lock_date == on(-2)
    );
    assert_eq!(status(conn, sent), ShipmentStatus::Dispatched);
    unlock(conn);

    let delivered = done(conn, &create(&d.by, draft(d.depot, d.school, &[(d.poster, 10)]), Some(on(0))));
    let arrived = all_arrived(conn, delivered);
    done(conn, &deliver(&d.by, delivered, on(0), arrived));
    refuses!(conn, cancel(&d.by, delivered, "not needed"), CancelError::NotCancellable);

    done(conn, &cancel(&d.by, sent, "not needed"));
    assert_eq!(on_hand(conn, d.poster, d.depot), 90, "the 30 came back, the 10 delivered did not");
    assert_eq!(on_hand(conn, d.poster, d.place("TRANSIT")), 0);
    refuses!(conn, cancel(&d.by, sent, "not needed"), CancelError::NotCancellable);
}

/// A delivery is reversed by someone of its destination's region, with a reason, while the
/// destination still holds what arrived and the delivery day is open.
async fn reverse_delivery_refusals(backend: Backend) {
    let d = demo(backend).await;
    let mut conn = d.app.conn();
    let conn = &mut *conn;
    let caracas = d.app.region_id("VE-A") as i32;
    stock(conn, &d.by, d.poster, d.depot, 100);
    // Caracas sends 100 posters to the Anzoátegui depot.
    let sent = done(conn, &create(&d.by, draft(d.depot, d.other_depot, &[(d.poster, 100)]), Some(on(-2))));

    refuses!(conn, reverse_delivery(&d.by, sent, "wrong place"), ReverseDeliveryError::NotDelivered);
    let arrived = all_arrived(conn, sent);
    done(conn, &deliver(&d.by, sent, on(-1), arrived));
    refuses!(conn, reverse_delivery(&d.by, 999_999.into(), "wrong place"), ReverseDeliveryError::NotFound);
    // Someone of the origin's region alone may not undo what the destination recorded.
    let mut origin_side = reverse_delivery(&d.by, sent, "wrong place");
    origin_side.by = only_in(&d.by, caracas);
    refuses!(conn, origin_side, ReverseDeliveryError::OutsideRegions);
    refuses!(conn, reverse_delivery(&d.by, sent, ""), ReverseDeliveryError::ReasonRequired);

    // Anzoátegui sent 30 of them on: the 100 are no longer there to take back.
    let onward = done(conn, &create(&d.by, draft(d.other_depot, d.school, &[(d.poster, 30)]), Some(on(0))));
    refuses!(
        conn,
        reverse_delivery(&d.by, sent, "wrong place"),
        ReverseDeliveryError::Ledger(LedgerError::Insufficient { requested: 100, available: 70, location_id, .. })
            if location_id == d.other_depot
    );
    done(conn, &cancel(&d.by, onward, "sent too early"));
    lock_until(conn, on(-1));
    refuses!(
        conn,
        reverse_delivery(&d.by, sent, "wrong place"),
        ReverseDeliveryError::Ledger(LedgerError::PeriodClosed { .. })
    );
    assert_eq!(status(conn, sent), ShipmentStatus::Delivered);
    unlock(conn);

    let mut destination_side = reverse_delivery(&d.by, sent, "wrong place");
    destination_side.by = only_in(&d.by, d.elsewhere);
    done(conn, &destination_side);
    assert_eq!(status(conn, sent), ShipmentStatus::Dispatched, "in transit again, ready for the right delivery");
    assert_eq!(on_hand(conn, d.poster, d.other_depot), 0);
    assert_eq!(on_hand(conn, d.poster, d.place("TRANSIT")), 100);
    refuses!(conn, reverse_delivery(&d.by, sent, "wrong place"), ReverseDeliveryError::NotDelivered);
}

/// An airing is of a spot by an active media outlet of the user's regions, a sensible number of
/// times on an open day up to today; a correction is of an airing, once, with a reason.
async fn airing_refusals(backend: Backend) {
    let d = demo(backend).await;
    let mut conn = d.app.conn();
    let conn = &mut *conn;
    let aired = |material, outlet, times| airing(&d.by, material, outlet, times, on(-1));

    refuses!(conn, aired(d.poster, d.outlet, 1), AiringError::NotASpot);
    refuses!(conn, aired(999_999.into(), d.outlet, 1), AiringError::NotASpot);
    refuses!(conn, aired(d.spot, d.depot, 1), AiringError::NotAMediaOutlet);
    refuses!(conn, aired(d.spot, 999_999.into(), 1), AiringError::NotAMediaOutlet);
    let off_air = d.place("MED-VIVE");
    deactivate(conn, off_air);
    refuses!(conn, aired(d.spot, off_air, 1), AiringError::OutletInactive);
    let mut outside = aired(d.spot, d.outlet, 1);
    outside.by = only_in(&d.by, d.elsewhere);
    refuses!(conn, outside, AiringError::OutsideRegions);
    refuses!(conn, aired(d.spot, d.outlet, 0), AiringError::TooManyTimes);
    refuses!(conn, aired(d.spot, d.outlet, MAX_TIMES + 1), AiringError::TooManyTimes);
    // No day of slack here: an airing has happened, tomorrow's has not.
    refuses!(conn, airing(&d.by, d.spot, d.outlet, 1, on(1)), AiringError::FutureDate);
    let mut early = airing(&d.by, d.spot, d.outlet, 1, before_campaign());
    let e = refuses!(conn, early, AiringError::Questions(_));
    assert!(matches!(&e, AiringError::Questions(q) if codes(q) == ["early_date"]), "{e:?}");
    early.answers.early_date = true;
    let old = done(conn, &early);

    let first = done(conn, &aired(d.spot, d.outlet, MAX_TIMES));
    let e = refuses!(conn, aired(d.spot, d.outlet, MAX_TIMES), AiringError::Questions(_));
    assert!(matches!(&e, AiringError::Questions(q) if codes(q) == ["duplicate"]), "{e:?}");

    let correct = |id, reason: &str| ReverseAiring { by: d.by.clone(), airing_id: id, reason: reason.into() };
    refuses!(conn, correct(999_999.into(), "wrong outlet"), AiringError::NotFound);
    let mut outside = correct(first, "wrong outlet");
    outside.by = only_in(&d.by, d.elsewhere);
    refuses!(conn, outside, AiringError::OutsideRegions);
    refuses!(conn, correct(first, " "), AiringError::ReasonRequired);
    let correction = done(conn, &correct(first, "wrong outlet"));
    refuses!(conn, correct(correction, "undo the correction"), AiringError::ReversalOfReversal);
    refuses!(conn, correct(first, "wrong outlet"), AiringError::AlreadyReversed);

    lock_until(conn, on(-1));
    refuses!(
        conn,
        airing(&d.by, d.spot, d.outlet, 3, on(-1)),
        AiringError::PeriodClosed { lock_date } if lock_date == on(-1)
    );
    refuses!(conn, correct(old, "wrong day"), AiringError::PeriodClosed { .. });
    done(conn, &airing(&d.by, d.spot, d.outlet, 3, on(0)));
    let net = scalar(conn, "SELECT SUM(CASE WHEN reverses_id IS NULL THEN times ELSE -times END) FROM airings");
    assert_eq!(net, 1 + 3, "the early airing and today's; the corrected one nets to nothing");
}

// ---------------------------------------------------------------------------------------------
// 2. A plan checked on one connection, written after the world changed
// ---------------------------------------------------------------------------------------------

/// The server checks a dispatch on a read connection and writes its plan later in the writer.
/// Whatever happened in between — the draft dispatched, edited, or its stock taken — the plan
/// must not dispatch the draft as it was checked, and must leave nothing half written.
async fn dispatch_plan_meets_a_changed_world(backend: Backend) {
    let d = demo(backend).await;
    let (mut reader, mut writer) = (d.app.conn(), d.app.conn());
    let (reader, writer) = (&mut *reader, &mut *writer);
    let transit = d.place("TRANSIT");
    stock(writer, &d.by, d.poster, d.depot, 100);
    let new_draft = |conn: &mut DbConn, quantity| {
        done(conn, &create(&d.by, draft(d.depot, d.school, &[(d.poster, quantity)]), None))
    };

    // (a) Dispatched meanwhile by someone else: the plan does not dispatch it twice.
    let a = new_draft(writer, 30);
    let plan = dispatch(&d.by, a, on(0)).validate(reader).expect("a checks out");
    done(writer, &dispatch(&d.by, a, on(0)));
    let before = footprint(writer);
    let outcome = write_later(writer, &plan);
    assert!(matches!(outcome, Err(DispatchError::NotDraft)), "{outcome:?}");
    assert_eq!(footprint(writer), before, "nothing written");
    assert_eq!(on_hand(writer, d.poster, d.depot), 70, "the 30 left once");

    // (b) Edited meanwhile: the plan's lines are no longer the draft's.
    let b = new_draft(writer, 30);
    let plan = dispatch(&d.by, b, on(0)).validate(reader).expect("b checks out");
    done(
        writer,
        &UpdateDraft {
            by: d.by.clone(),
            shipment_id: b,
            draft: draft(d.depot, d.school, &[(d.poster, 40)]),
            answers: Answers::default(),
        },
    );
    let before = footprint(writer);
    let outcome = write_later(writer, &plan);
    assert!(matches!(outcome, Err(DispatchError::Changed)), "{outcome:?}");
    assert_eq!(footprint(writer), before, "nothing written");
    assert_eq!(status(writer, b), ShipmentStatus::Draft);
    // Checked again, the draft leaves as it stands now: 40, not the 30 of the stale plan.
    done(writer, &dispatch(&d.by, b, on(0)));
    assert_eq!(on_hand(writer, d.poster, d.depot), 30);
    assert_eq!(on_hand(writer, d.poster, transit), 70);

    // (c) Stock taken meanwhile: the ledger re-checks the balance as it posts.
    let c = new_draft(writer, 20);
    let plan = dispatch(&d.by, c, on(0)).validate(reader).expect("c checks out: 30 on hand");
    done(writer, &adjustment(&d.by, d.depot, d.poster, "damage", 15));
    let before = footprint(writer);
    let outcome = write_later(writer, &plan);
    assert!(
        matches!(outcome, Err(DispatchError::Ledger(LedgerError::Insufficient { requested: 20, available: 15, .. }))),
        "{outcome:?}"
    );
    // The status change, its event and audit line came before the ledger's refusal.
    assert_eq!(footprint(writer), before, "nothing written");
    assert_eq!(status(writer, c), ShipmentStatus::Draft);
    assert_eq!(on_hand(writer, d.poster, d.depot), 15);
}

/// A cancellation checked on a draft, or on a shipment in transit, is not written once the
/// shipment moved on; nor is a delivery of a shipment delivered meanwhile.
async fn cancel_and_delivery_plans_meet_a_changed_world(backend: Backend) {
    let d = demo(backend).await;
    let (mut reader, mut writer) = (d.app.conn(), d.app.conn());
    let (reader, writer) = (&mut *reader, &mut *writer);
    let transit = d.place("TRANSIT");
    stock(writer, &d.by, d.poster, d.depot, 100);

    // A draft's cancellation, checked; the draft is dispatched meanwhile.
    let a = done(writer, &create(&d.by, draft(d.depot, d.school, &[(d.poster, 10)]), None));
    let plan = cancel(&d.by, a, "not needed").validate(reader).expect("a draft may be cancelled");
    done(writer, &dispatch(&d.by, a, on(0)));
    let before = footprint(writer);
    let outcome = write_later(writer, &plan);
    assert!(matches!(outcome, Err(CancelError::NotCancellable)), "{outcome:?}");
    assert_eq!(footprint(writer), before, "nothing written");
    assert_eq!(status(writer, a), ShipmentStatus::Dispatched, "still on its way: no return was posted");

    // A shipment in transit, its cancellation checked; it is delivered meanwhile. Transit holds
    // other stock (b's 10), so only the status check stands between the plan and a return of
    // units that were delivered.
    let b = done(writer, &create(&d.by, draft(d.depot, d.school, &[(d.poster, 10)]), Some(on(0))));
    let plan = cancel(&d.by, a, "not needed").validate(reader).expect("in transit: may be cancelled");
    let arrived = all_arrived(writer, a);
    done(writer, &deliver(&d.by, a, on(0), arrived));
    let before = footprint(writer);
    let outcome = write_later(writer, &plan);
    assert!(matches!(outcome, Err(CancelError::NotCancellable)), "{outcome:?}");
    assert_eq!(footprint(writer), before, "nothing written");
    assert_eq!(status(writer, a), ShipmentStatus::Delivered);
    assert_eq!(on_hand(writer, d.poster, d.depot), 80);
    assert_eq!(on_hand(writer, d.poster, transit), 10, "b's 10 still in transit");

    // A delivery checked; the same shipment delivered meanwhile: the destination gets it once.
    let plan = deliver(&d.by, b, on(0), all_arrived(reader, b)).validate(reader).expect("b may be delivered");
    let arrived = all_arrived(writer, b);
    done(writer, &deliver(&d.by, b, on(0), arrived));
    let before = footprint(writer);
    let outcome = write_later(writer, &plan);
    assert!(matches!(outcome, Err(DeliveryError::NotDispatched)), "{outcome:?}");
    assert_eq!(footprint(writer), before, "nothing written");
    assert_eq!(on_hand(writer, d.poster, d.school), 20);
    assert_eq!(on_hand(writer, d.poster, transit), 0);

    // A delivery reversal checked; reversed meanwhile: undone once.
    let plan = reverse_delivery(&d.by, b, "wrong school").validate(reader).expect("b may be reversed");
    done(writer, &reverse_delivery(&d.by, b, "wrong school"));
    let before = footprint(writer);
    let outcome = write_later(writer, &plan);
    assert!(matches!(outcome, Err(ReverseDeliveryError::NotDelivered)), "{outcome:?}");
    assert_eq!(footprint(writer), before, "nothing written");
    assert_eq!((on_hand(writer, d.poster, d.school), on_hand(writer, d.poster, transit)), (10, 10));
}

/// Records checked, then written after the period was closed or after someone else corrected
/// the same record: the plan re-checks as it writes.
async fn record_plans_meet_a_changed_world(backend: Backend) {
    let d = demo(backend).await;
    let (mut reader, mut writer) = (d.app.conn(), d.app.conn());
    let (reader, writer) = (&mut *reader, &mut *writer);

    // The period is closed between the check and the write.
    let receipt_plan = receipt(&d.by, d.poster, d.depot, 50, on(-3)).validate(reader).expect("an open day");
    let airing_plan = airing(&d.by, d.spot, d.outlet, 2, on(-3)).validate(reader).expect("an open day");
    lock_until(writer, on(-3));
    let before = footprint(writer);
    let outcome = write_later(writer, &receipt_plan);
    assert!(matches!(outcome, Err(ReceiptError::Ledger(LedgerError::PeriodClosed { .. }))), "{outcome:?}");
    let outcome = write_later(writer, &airing_plan);
    assert!(matches!(outcome, Err(AiringError::PeriodClosed { .. })), "{outcome:?}");
    assert_eq!(footprint(writer), before, "nothing written");
    unlock(writer);

    // Corrected by someone else meanwhile: undone once.
    let received = stock(writer, &d.by, d.poster, d.depot, 50);
    let undo = ReverseReceipt { by: d.by.clone(), receipt_id: received, reason: "counted twice".into() };
    let plan = undo.validate(reader).expect("may be reversed");
    done(writer, &undo);
    let before = footprint(writer);
    let outcome = write_later(writer, &plan);
    assert!(matches!(outcome, Err(ReversalError::Ledger(LedgerError::AlreadyReversed))), "{outcome:?}");
    assert_eq!(footprint(writer), before, "nothing written");
    assert_eq!(on_hand(writer, d.poster, d.depot), 0);

    let aired = done(writer, &airing(&d.by, d.spot, d.outlet, 2, on(0)));
    let correct = ReverseAiring { by: d.by.clone(), airing_id: aired, reason: "wrong outlet".into() };
    let plan = correct.validate(reader).expect("may be corrected");
    done(writer, &correct);
    let before = footprint(writer);
    // Both passed the check; the second meets the first's correction in the unique index.
    let outcome = write_later(writer, &plan);
    assert!(matches!(outcome, Err(AiringError::AlreadyReversed)), "{outcome:?}");
    assert_eq!(footprint(writer), before, "nothing written");
}

// ---------------------------------------------------------------------------------------------
// 3. SQLite's one writer: a group of commands, one refused alone
// ---------------------------------------------------------------------------------------------

/// What a write of the group answered.
#[derive(Debug)]
enum Written {
    Receipt(ReceiptId),
    Dispatched,
}

/// Why a write of the group failed; the fields are read through `Debug` in failure messages.
#[derive(Debug)]
enum Failed {
    Receipt(#[allow(dead_code)] ReceiptError),
    Dispatch(DispatchError),
    Writer(#[allow(dead_code)] WriterError),
    Database(#[allow(dead_code)] diesel::result::Error),
}

impl From<WriterError> for Failed {
    fn from(e: WriterError) -> Self {
        Failed::Writer(e)
    }
}

impl From<diesel::result::Error> for Failed {
    fn from(e: diesel::result::Error) -> Self {
        Failed::Database(e)
    }
}

type Work = Box<dyn FnOnce(&mut DbConn) -> Result<Written, Failed> + Send>;

/// 49 receipts and a dispatch short of stock, checked first and then written concurrently
/// through one writer, as the server does on SQLite. They wait behind a held write, so the
/// writer takes them as one group: one transaction, a savepoint each. The dispatch is refused on
/// its own, with the stock the receipts before it in the group had brought; its status change is
/// rolled back with its savepoint; the 49 receipts are committed.
#[tokio::test]
async fn sqlite_writer_commits_a_group_and_refuses_its_short_dispatch_alone() {
    let d = demo(Backend::Sqlite).await;
    let mut conn = d.app.conn();
    let conn = &mut *conn;
    stock(conn, &d.by, d.poster, d.depot, 100);
    let short = done(conn, &create(&d.by, draft(d.depot, d.school, &[(d.poster, 5_000)]), None));
    let before = footprint(conn);

    // Checked on a read connection first: every plan passes its check.
    const DISPATCH_AT: usize = 25;
    let mut work: Vec<Work> = Vec::new();
    for n in 0..50 {
        if n == DISPATCH_AT {
            let plan = dispatch(&d.by, short, on(0)).validate(conn).expect("the dispatch checks out");
            work.push(Box::new(move |c| plan.write(c).map(|()| Written::Dispatched).map_err(Failed::Dispatch)));
        } else {
            let mut command = receipt(&d.by, d.poster, d.depot, 10, on(0));
            command.receipt.reference = format!("BATCH-{n}");
            let plan = command.validate(conn).expect("a receipt checks out");
            work.push(Box::new(move |c| plan.write(c).map(Written::Receipt).map_err(Failed::Receipt)));
        }
    }

    let writer = Writer::start(&d.app.database_url).expect("start a writer");
    // Hold the writer inside a write until every other write waits in its queue.
    let (release, held) = std::sync::mpsc::channel::<()>();
    let (started, running) = tokio::sync::oneshot::channel::<()>();
    let holding = tokio::spawn({
        let writer = writer.clone();
        async move {
            writer
                .run(move |_: &mut DbConn| -> Result<(), Failed> {
                    let _ = started.send(());
                    let _ = held.recv();
                    Ok(())
                })
                .await
        }
    });
    running.await.expect("the writer runs the holding write");
    let tasks: Vec<_> = work
        .into_iter()
        .map(|w| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.run(w).await })
        })
        .collect();
    // Each task queues its write when first polled; they all are before this one resumes.
    tokio::task::yield_now().await;
    release.send(()).expect("release the writer");
    holding.await.expect("holding task").expect("the holding write");
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("a write task"));
    }

    // The dispatch got its own refusal: 100 + the 25 receipts of 10 queued before it.
    let refusal = answers.remove(DISPATCH_AT);
    assert!(
        matches!(
            refusal,
            Err(Failed::Dispatch(DispatchError::Ledger(LedgerError::Insufficient {
                requested: 5_000,
                available: 350,
                ..
            })))
        ),
        "{refusal:?}"
    );
    let mut ids: Vec<ReceiptId> = answers
        .into_iter()
        .map(|a| match a {
            Ok(Written::Receipt(id)) => id,
            other => panic!("a receipt of the group: {other:?}"),
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 49, "49 receipts, each its own id");

    let recorded: Vec<i64> =
        numbers(conn, "SELECT CAST(id AS BIGINT) AS n FROM receipts WHERE reference LIKE 'BATCH-%' ORDER BY id");
    assert_eq!(recorded, ids.iter().map(|id| i64::from(id.0)).collect::<Vec<_>>(), "the answered ids are recorded");
    assert_eq!(
        scalar(conn, "SELECT COUNT(*) FROM stock_movements m JOIN receipts r ON r.id = m.receipt_id WHERE r.reference LIKE 'BATCH-%'"),
        49,
        "one movement per receipt"
    );
    assert_eq!(on_hand(conn, d.poster, d.depot), 100 + 49 * 10);
    let mismatched = ledger::mismatched_balances(conn).expect("compare balances with the ledger");
    assert!(mismatched.is_empty(), "every balance is its movements' sum: {mismatched:?}");

    // The refused dispatch's writes went with its savepoint.
    assert_eq!(status(conn, short), ShipmentStatus::Draft);
    assert_eq!(scalar(conn, &format!("SELECT COUNT(*) FROM stock_movements WHERE shipment_id = {short}")), 0);
    assert_eq!(
        scalar(
            conn,
            &format!("SELECT COUNT(*) FROM shipment_events WHERE shipment_id = {short} AND status = 'dispatched'")
        ),
        0
    );
    assert_eq!(
        scalar(conn, &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'dispatch' AND entity_id = '{short}'")),
        0
    );
    let after = footprint(conn);
    let count_of = |seen: &[String], table: &str| seen.iter().find(|s| s.starts_with(&format!("{table}: "))).cloned();
    for table in ["shipments", "shipment_events"] {
        assert_eq!(count_of(&after, table), count_of(&before, table), "{table}: nothing of the dispatch");
    }
    assert_eq!(count_of(&after, "receipts"), Some(format!("receipts: {} rows", 1 + 49)));
}
