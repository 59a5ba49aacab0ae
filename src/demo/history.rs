//! A distribution history for the reference campaign, February 2005 to November 2006: the
//! printer's deliveries to the central depot, transfers to the ten regional depots, and
//! shipments from the depots to schools, hospitals, airports, airlines, embassies… along the
//! channels the source names. A few shipments are still in transit at the end and a few arrived
//! short.
//!
//! `scale` 1 goes through the stock workflows, exactly as a person would record it. A larger
//! scale multiplies the distribution shipments for benchmarks: the print runs cannot cover
//! them, so depots get extra receipts (reference `SCALE-…`), and everything is written in bulk
//! (multi-row inserts, movements through `ledger::post_batch`) in a few large transactions,
//! each holding complete shipments.
//!
//! Deterministic (seed 2005) and loaded once: nothing happens when the ledger already holds a
//! movement. Run it after `demo::load`.

use crate::domain::Answers;
use crate::domain::{LocationId, MaterialId, PositiveQuantity, ReceiptId, ShipmentId, ShipmentLineId, UserId};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::DemoError;
use crate::app::receipts::RecordReceipt;
use crate::app::shipments::{CreateShipment, Deliver, Draft, LineReceipt};
use crate::app::{self, Access, Caller};
use crate::db::bulk::{insert_rows, reserve_ids, INSERT_PARAMETERS};
use crate::db::schema::{
    location_types, locations, receipts, shipment_events, shipment_lines, shipments, stock_movements,
};
use crate::db::DbConn;
use crate::ledger::{self, MovementKind, Posting, Source};
use crate::models::audit::{Actor, AuditEntry};
use crate::models::location::Location;
use crate::models::material::Material;
use crate::models::now;
use crate::models::receipt::NewReceipt;
use crate::models::shipment::{Shipment, ShipmentHeader, SHORTFALL_REASONS};

/// What a history load created (zero everywhere when the ledger was not empty).
#[derive(Debug, Default)]
pub struct HistorySummary {
    pub receipts: usize,
    pub shipments: usize,
    pub movements: usize,
}

const SEED: u64 = 2005;
const CENTRAL_DEPOT: &str = "DEP-CCS";
/// Depots close enough to Caracas to be supplied with the ministry's own vehicle.
const NEARBY_DEPOTS: [&str; 3] = ["DEP-MIR", "DEP-VAR", "DEP-ARA"];
/// Served from the central depot whatever their region: the airlines' offices at Maiquetía,
/// and the embassies and consulates abroad.
const CENTRAL_TYPES: [&str; 3] = ["airline", "embassy", "consulate"];
const ABROAD_TYPES: [&str; 2] = ["embassy", "consulate"];

/// The three transfer waves to the regional depots and the share of a depot's stock each
/// completes (cumulative).
const WAVES: [((i32, u32, u32), f64); 3] = [((2005, 6, 6), 0.5), ((2005, 10, 3), 0.8), ((2006, 3, 6), 1.0)];
/// How many shipments a run leaves in transit, and how many arrive short (each times the scale).
const IN_TRANSIT: std::ops::RangeInclusive<usize> = 3..=6;
const SHORTFALLS: std::ops::RangeInclusive<usize> = 3..=6;

/// Movements per `ledger::post_batch` call, and per transaction of a bulk load.
const POST_CHUNK: usize = 10_000;
const TRANSACTION_MOVEMENTS: usize = 250_000;

/// Which material goes to which kind of place, and how much one shipment carries.
struct Channel {
    location_type: &'static str,
    material: &'static str,
    min: i32,
    max: i32,
    step: i32,
}

impl Channel {
    const fn new(location_type: &'static str, material: &'static str, min: i32, max: i32, step: i32) -> Self {
        Channel { location_type, material, min, max, step }
    }

    /// The expected size of one shipment (see `sample`): the weight of a place in the allocation.
    fn mean(&self) -> f64 {
        f64::from(self.min) + f64::from(self.max - self.min) / 4.0
    }

    /// A shipment size, small ones more frequent than large ones.
    fn sample(&self, rng: &mut StdRng) -> i32 {
        let u: f64 = rng.gen();
        let raw = f64::from(self.min) + f64::from(self.max - self.min) * u * u;
        round_to(raw, self.step).clamp(self.min, self.max)
    }
}

/// The source's channels: posters to community organisations, schools and hospitals; fliers at
/// airports, community organisations and public transport; banners on domestic and
/// international flights; pamphlets for the public; IOM leaflets at embassies, consulates and
/// community organisations.
const CHANNELS: [Channel; 14] = [
    Channel::new("school", "POSTER", 50, 400, 10),
    Channel::new("community_org", "POSTER", 20, 120, 10),
    Channel::new("hospital", "POSTER", 20, 80, 10),
    Channel::new("airport", "FLIER", 100, 600, 50),
    Channel::new("community_org", "FLIER", 50, 200, 25),
    Channel::new("public_transport", "FLIER", 100, 400, 50),
    Channel::new("airline", "BANNER", 2, 12, 1),
    Channel::new("school", "PAMPHLET", 30, 120, 10),
    Channel::new("community_org", "PAMPHLET", 20, 80, 5),
    Channel::new("government_office", "PAMPHLET", 20, 80, 10),
    Channel::new("ngo", "PAMPHLET", 40, 150, 10),
    Channel::new("embassy", "IOM-LEAFLET", 25, 150, 25),
    Channel::new("consulate", "IOM-LEAFLET", 25, 150, 25),
    Channel::new("community_org", "IOM-LEAFLET", 20, 50, 5),
];

const LOCAL_CARRIERS: [(&str, u32); 5] =
    [("Vehículo oficial MIJ", 40), ("IPOSTEL", 25), ("MRW", 15), ("Domesa", 10), ("Zoom", 10)];
const TRANSFER_CARRIERS: [&str; 4] = ["MRW", "Domesa", "Zoom", "Vehículo oficial MIJ"];
const OFFICIAL_VEHICLE: &str = "Vehículo oficial MIJ";
const DIPLOMATIC_POUCH: &str = "Valija diplomática MRE";
const INTERNATIONAL_MAIL: &str = "IPOSTEL (EMS)";

const FIRST_NAMES: [&str; 16] = [
    "María",
    "José",
    "Carmen",
    "Luis",
    "Ana",
    "Carlos",
    "Yolanda",
    "Jesús",
    "Luisa",
    "Pedro",
    "Marisol",
    "Rafael",
    "Elena",
    "Miguel",
    "Gladys",
    "Francisco",
];
const SURNAMES: [&str; 16] = [
    "González",
    "Rodríguez",
    "Pérez",
    "Hernández",
    "García",
    "Martínez",
    "López",
    "Díaz",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Rojas",
    "Mendoza",
    "Medina",
    "Álvarez",
    "Castillo",
];

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn first_day() -> NaiveDate {
    day(2005, 2, 1)
}

fn last_day() -> NaiveDate {
    day(2006, 11, 30)
}

/// The last day a distribution shipment leaves a depot.
fn last_dispatch() -> NaiveDate {
    day(2006, 11, 27)
}

fn at(date: NaiveDate, minutes: i64) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) + Duration::minutes(minutes)
}

fn round_to(value: f64, step: i32) -> i32 {
    let step = step.max(1);
    (value / f64::from(step)).round() as i32 * step
}

fn round_up(value: i64, step: i64) -> i64 {
    let step = step.max(1);
    (value + step - 1) / step * step
}

/// A stocked material of the campaign, as the catalogue has it.
struct Mat {
    id: MaterialId,
    code: String,
    run: i32,
    pack: i32,
    supplier: String,
}

/// A distribution point and its type.
struct Place {
    id: LocationId,
    type_code: String,
}

struct Depot {
    id: LocationId,
    code: String,
}

/// The reference data the history is built on.
struct World {
    mats: Vec<Mat>,
    /// The central depot first, then the regional depots by code.
    depots: Vec<Depot>,
    places: Vec<Place>,
    transit_id: LocationId,
    /// Per depot and material: the (place, channel) pairs that depot supplies with it.
    candidates: Vec<Vec<Vec<(usize, usize)>>>,
    /// Per place: its (material, channel) pairs.
    place_channels: Vec<Vec<(usize, usize)>>,
}

fn load_world(conn: &mut DbConn) -> Result<World, DemoError> {
    let missing = || DemoError::NoReference;
    let mut mats = Vec::new();
    for demo in &super::MATERIALS {
        let Some(m) = Material::find_by_code(conn, demo.code)? else { continue };
        if m.is_broadcast() || m.planned_quantity <= 0 {
            continue;
        }
        let pack = m.pack_size.filter(|p| *p > 0).unwrap_or(1);
        mats.push(Mat { id: m.id, code: m.code, run: m.planned_quantity, pack, supplier: m.supplier });
    }
    let rows: Vec<(LocationId, String, String, Option<i32>, bool, bool)> = locations::table
        .inner_join(location_types::table)
        .order(locations::code)
        .select((
            locations::id,
            locations::code,
            location_types::code,
            locations::region_id,
            locations::is_depot,
            locations::is_active,
        ))
        .load(conn)?;
    let transit_id = Location::transit_id(conn)?;
    let central = rows.iter().find(|r| r.1 == CENTRAL_DEPOT && r.4 && r.5).ok_or_else(missing)?;
    if mats.is_empty() {
        return Err(missing());
    }
    let central_region = central.3;
    let mut depots = vec![Depot { id: central.0, code: central.1.clone() }];
    let mut depot_of_region: Vec<(i32, usize)> = Vec::new();
    for row in rows.iter().filter(|r| r.4 && r.5 && r.1 != CENTRAL_DEPOT) {
        let Some(region) = row.3 else { continue };
        if Some(region) == central_region || depot_of_region.iter().any(|(g, _)| *g == region) {
            continue;
        }
        depot_of_region.push((region, depots.len()));
        depots.push(Depot { id: row.0, code: row.1.clone() });
    }
    let mut places = Vec::new();
    let mut place_channels = Vec::new();
    let mut candidates = vec![vec![Vec::new(); mats.len()]; depots.len()];
    for row in rows.iter().filter(|r| !r.4 && r.5) {
        let Some(region) = row.3 else { continue };
        let channels: Vec<(usize, usize)> = CHANNELS
            .iter()
            .enumerate()
            .filter(|(_, c)| c.location_type == row.2)
            .filter_map(|(c, ch)| mats.iter().position(|m| m.code == ch.material).map(|m| (m, c)))
            .collect();
        if channels.is_empty() {
            continue;
        }
        let depot = if CENTRAL_TYPES.contains(&row.2.as_str()) {
            0
        } else {
            depot_of_region.iter().find(|(g, _)| *g == region).map_or(0, |(_, d)| *d)
        };
        let index = places.len();
        for &(m, c) in &channels {
            candidates[depot][m].push((index, c));
        }
        places.push(Place { id: row.0, type_code: row.2.clone() });
        place_channels.push(channels);
    }
    Ok(World { mats, depots, places, transit_id, candidates, place_channels })
}

/// A receipt as planned.
#[derive(Clone)]
struct PlanReceipt {
    material: usize,
    location_id: LocationId,
    quantity: i32,
    date: NaiveDate,
    reference: String,
}

struct PlanLine {
    material: usize,
    quantity: i32,
    /// What arrives (recorded only when the shipment is delivered).
    received: i32,
    reason: Option<&'static str>,
}

struct PlanShipment {
    origin_id: LocationId,
    destination_id: LocationId,
    to_depot: bool,
    carrier: &'static str,
    note: String,
    expected_on: NaiveDate,
    dispatched_on: NaiveDate,
    /// None: still in transit.
    delivered_on: Option<NaiveDate>,
    received_by: String,
    delivery_note: String,
    created_at: NaiveDateTime,
    dispatched_at: NaiveDateTime,
    delivered_at: Option<NaiveDateTime>,
    lines: Vec<PlanLine>,
}

impl PlanShipment {
    fn status(&self) -> &'static str {
        if self.delivered_on.is_some() {
            "delivered"
        } else {
            "dispatched"
        }
    }

    fn updated_at(&self) -> NaiveDateTime {
        self.delivered_at.unwrap_or(self.dispatched_at)
    }

    /// Delivery and shortfall movements once delivered.
    fn arrival_movements(&self) -> usize {
        if self.delivered_on.is_none() {
            return 0;
        }
        self.lines.iter().map(|l| usize::from(l.received > 0) + usize::from(l.received < l.quantity)).sum()
    }
}

/// One step of the history, in the order it happened.
#[derive(Clone, Copy)]
enum Op {
    Receipt(usize),
    Dispatch(usize),
    Deliver(usize),
}

#[derive(Default)]
struct Plan {
    receipts: Vec<PlanReceipt>,
    shipments: Vec<PlanShipment>,
    ops: Vec<Op>,
}

impl Plan {
    fn movements(&self) -> usize {
        self.receipts.len() + self.shipments.iter().map(|s| s.lines.len() + s.arrival_movements()).sum::<usize>()
    }
}

/// A distribution shipment as wished: the depot may hold less when it leaves.
struct Visit {
    depot: usize,
    place: usize,
    lines: Vec<(usize, i32)>,
    date: NaiveDate,
    in_transit: bool,
    shortfall: bool,
}

/// What happens on a day; on the same day deliveries come first, then receipts, transfers and
/// distribution shipments.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Intent {
    Deliver(usize),
    Receipt(usize),
    Transfer { depot: usize, wave: usize },
    Visit(usize),
}

/// Builds the plan by simulating the campaign day by day, so that no shipment takes more than
/// its depot holds at that moment.
struct Planner<'w> {
    world: &'w World,
    rng: StdRng,
    scale: u32,
    plan: Plan,
    stock: HashMap<(usize, LocationId), i64>,
    queue: BinaryHeap<Reverse<(NaiveDate, Intent)>>,
    print_runs: Vec<PlanReceipt>,
    visits: Vec<Visit>,
    /// Per depot and material: what the transfers should bring in all, and what they brought.
    targets: Vec<Vec<i64>>,
    sent: Vec<Vec<i64>>,
    wave_dates: Vec<Vec<NaiveDate>>,
    first_receipt: Vec<NaiveDate>,
    scale_receipts: usize,
}

impl<'w> Planner<'w> {
    fn new(world: &'w World, scale: u32) -> Self {
        let depots = world.depots.len();
        let mats = world.mats.len();
        Planner {
            world,
            rng: StdRng::seed_from_u64(SEED),
            scale,
            plan: Plan::default(),
            stock: HashMap::new(),
            queue: BinaryHeap::new(),
            print_runs: Vec::new(),
            visits: Vec::new(),
            targets: vec![vec![0; mats]; depots],
            sent: vec![vec![0; mats]; depots],
            wave_dates: vec![Vec::new(); depots],
            first_receipt: vec![first_day(); mats],
            scale_receipts: 0,
        }
    }

    fn run(mut self) -> Plan {
        self.plan_print_runs();
        let allocation = self.allocate();
        self.plan_transfers(&allocation);
        for _ in 0..self.scale {
            for (depot, share) in allocation.iter().enumerate() {
                self.plan_visits(depot, share);
            }
        }
        self.mark_visits();
        for (i, visit) in self.visits.iter().enumerate() {
            self.queue.push(Reverse((visit.date, Intent::Visit(i))));
        }
        while let Some(Reverse((date, intent))) = self.queue.pop() {
            match intent {
                Intent::Deliver(i) => self.deliver(i),
                Intent::Receipt(i) => {
                    let receipt = self.print_runs[i].clone();
                    self.receive(receipt);
                }
                Intent::Transfer { depot, wave } => self.transfer(depot, wave, date),
                Intent::Visit(i) => self.visit(i, date),
            }
        }
        self.plan
    }

    /// Each material's print run reaches the central depot in two to four deliveries, from
    /// February to about May 2005; the printer's delivery notes are numbered in date order.
    fn plan_print_runs(&mut self) {
        let central = self.world.depots[0].id;
        let mut deliveries = Vec::new();
        for (m, mat) in self.world.mats.iter().enumerate() {
            let parts = if mat.run < 4 * mat.pack { 1 } else { self.rng.gen_range(2..=4) };
            let weights: Vec<f64> = (0..parts).map(|_| self.rng.gen_range(0.7..1.3)).collect();
            let sum: f64 = weights.iter().sum();
            let mut left = mat.run;
            let mut date = first_day() + Duration::days(9 * m as i64 + self.rng.gen_range(0..7));
            self.first_receipt[m] = date;
            for (k, w) in weights.iter().enumerate() {
                let quantity = if k + 1 == parts {
                    left
                } else {
                    round_to(f64::from(mat.run) * w / sum, mat.pack).clamp(mat.pack.min(left), left)
                };
                left -= quantity;
                if quantity > 0 {
                    deliveries.push((date, m, quantity));
                }
                date += Duration::days(self.rng.gen_range(14..=30));
            }
        }
        deliveries.sort_unstable();
        let (mut printer, mut iom) = (self.rng.gen_range(120..180), 0);
        for (date, m, quantity) in deliveries {
            let reference = if self.world.mats[m].code == "IOM-LEAFLET" {
                iom += 1;
                format!("OIM-VE-{}-{iom:02}", date.format("%Y"))
            } else {
                printer += self.rng.gen_range(3..25);
                format!("NE-{}-{printer:04}", date.format("%Y"))
            };
            let i = self.print_runs.len();
            self.print_runs.push(PlanReceipt { material: m, location_id: central, quantity, date, reference });
            self.queue.push(Reverse((date, Intent::Receipt(i))));
        }
    }

    /// What each depot should hand out of each material: 76–82 % of the print run, shared by
    /// the weight of the places each depot serves.
    fn allocate(&mut self) -> Vec<Vec<i64>> {
        let world = self.world;
        let mut allocation = vec![vec![0i64; world.mats.len()]; world.depots.len()];
        for (m, mat) in world.mats.iter().enumerate() {
            let share: f64 = self.rng.gen_range(0.76..0.82);
            let distributed = f64::from(mat.run) * share;
            let weight = |d: usize| world.candidates[d][m].iter().map(|&(_, c)| CHANNELS[c].mean()).sum::<f64>();
            let total: f64 = (0..world.depots.len()).map(weight).sum();
            if total <= 0.0 {
                continue;
            }
            for (d, row) in allocation.iter_mut().enumerate() {
                row[m] = (distributed * weight(d) / total).round() as i64;
            }
        }
        allocation
    }

    /// Three waves of transfers from the central depot to each regional depot, bringing what
    /// the depot will hand out plus a reserve of 5–12 %.
    fn plan_transfers(&mut self, allocation: &[Vec<i64>]) {
        for (depot, share) in allocation.iter().enumerate().skip(1) {
            for (m, mat) in self.world.mats.iter().enumerate() {
                let wanted = share[m] as f64 * self.rng.gen_range(1.05..1.12);
                let step = if wanted >= f64::from(4 * mat.pack) { mat.pack } else { 10 };
                self.targets[depot][m] = i64::from(round_to(wanted, step));
            }
            for (wave, ((y, mo, d), _)) in WAVES.iter().enumerate() {
                let date = day(*y, *mo, *d) + Duration::days(self.rng.gen_range(0..=12));
                self.wave_dates[depot].push(date);
                self.queue.push(Reverse((date, Intent::Transfer { depot, wave })));
            }
        }
    }

    /// One pass of distribution shipments from a depot until its allocation is used up.
    fn plan_visits(&mut self, depot: usize, allocation: &[i64]) {
        let world = self.world;
        let mut remaining = allocation.to_vec();
        loop {
            let live: Vec<usize> =
                (0..world.mats.len()).filter(|&m| remaining[m] > 0 && !world.candidates[depot][m].is_empty()).collect();
            let Ok(&m) = live.choose_weighted(&mut self.rng, |&m| remaining[m] as f64) else { break };
            let Ok(&(place, c)) =
                world.candidates[depot][m].choose_weighted(&mut self.rng, |&(_, c)| CHANNELS[c].mean())
            else {
                break;
            };
            let mut lines = vec![(m, self.portion(&mut remaining, m, c))];
            for &(other, c2) in &world.place_channels[place] {
                if other != m && remaining[other] > 0 && self.rng.gen_bool(0.15) {
                    lines.push((other, self.portion(&mut remaining, other, c2)));
                }
            }
            let earliest = if depot == 0 {
                lines.iter().map(|&(m, _)| self.first_receipt[m]).max().unwrap_or_else(first_day) + Duration::days(7)
            } else {
                self.wave_dates[depot][0] + Duration::days(9)
            };
            let span = (last_dispatch() - earliest).num_days().max(0);
            let date = earliest + Duration::days(self.rng.gen_range(0..=span));
            self.visits.push(Visit { depot, place, lines, date, in_transit: false, shortfall: false });
        }
    }

    /// One shipment's quantity of a material; a remainder too small for a shipment of its own
    /// goes with this one.
    fn portion(&mut self, remaining: &mut [i64], m: usize, c: usize) -> i32 {
        let channel = &CHANNELS[c];
        let mut quantity = i64::from(channel.sample(&mut self.rng));
        if remaining[m] - quantity < i64::from(channel.min) {
            quantity = remaining[m];
        }
        remaining[m] -= quantity;
        quantity as i32
    }

    /// The latest shipments are still on their way at the end; a few others arrive short.
    fn mark_visits(&mut self) {
        let scale = self.scale as usize;
        let mut order: Vec<usize> = (0..self.visits.len()).collect();
        order.sort_by_key(|&i| Reverse((self.visits[i].date, i)));
        let in_transit = (self.rng.gen_range(IN_TRANSIT) * scale).min(order.len());
        for &i in &order[..in_transit] {
            self.visits[i].in_transit = true;
        }
        let rest = &order[in_transit..];
        let shortfalls = (self.rng.gen_range(SHORTFALLS) * scale).min(rest.len());
        for &i in rest.choose_multiple(&mut self.rng, shortfalls).collect::<Vec<_>>() {
            self.visits[i].shortfall = true;
        }
    }

    fn receive(&mut self, receipt: PlanReceipt) {
        *self.stock.entry((receipt.material, receipt.location_id)).or_default() += i64::from(receipt.quantity);
        self.plan.ops.push(Op::Receipt(self.plan.receipts.len()));
        self.plan.receipts.push(receipt);
    }

    /// Takes what a shipment wants from a depot: what is there at scale 1; beyond, a `SCALE-`
    /// receipt first fills the gap.
    fn take(&mut self, depot: usize, m: usize, wanted: i64, date: NaiveDate) -> i32 {
        let location_id = self.world.depots[depot].id;
        let have = self.stock.get(&(m, location_id)).copied().unwrap_or(0);
        let mut quantity = wanted;
        if have < wanted {
            if self.scale > 1 {
                let mat = &self.world.mats[m];
                let size = round_up((wanted - have).max(i64::from(mat.run) / 10), i64::from(mat.pack));
                self.scale_receipts += 1;
                let reference = format!("SCALE-{:06}", self.scale_receipts);
                let quantity = i32::try_from(size).unwrap_or(i32::MAX);
                self.receive(PlanReceipt { material: m, location_id, quantity, date, reference });
            } else {
                quantity = have;
            }
        }
        if quantity > 0 {
            *self.stock.entry((m, location_id)).or_default() -= quantity;
        }
        i32::try_from(quantity.max(0)).unwrap_or(0)
    }

    fn transfer(&mut self, depot: usize, wave: usize, date: NaiveDate) {
        let mut lines = Vec::new();
        for (m, mat) in self.world.mats.iter().enumerate() {
            let target = self.targets[depot][m];
            if target <= 0 {
                continue;
            }
            let step = if target >= i64::from(4 * mat.pack) { mat.pack } else { 10 };
            let due =
                if wave + 1 == WAVES.len() { target } else { i64::from(round_to(target as f64 * WAVES[wave].1, step)) };
            let wanted = due - self.sent[depot][m];
            if wanted <= 0 {
                continue;
            }
            let quantity = self.take(0, m, wanted, date);
            if quantity > 0 {
                self.sent[depot][m] += i64::from(quantity);
                lines.push(PlanLine { material: m, quantity, received: quantity, reason: None });
            }
        }
        if lines.is_empty() {
            return;
        }
        let destination = &self.world.depots[depot];
        let (carrier, days) = if NEARBY_DEPOTS.contains(&destination.code.as_str()) {
            (OFFICIAL_VEHICLE, self.rng.gen_range(1..=2))
        } else {
            (*TRANSFER_CARRIERS.choose(&mut self.rng).unwrap_or(&OFFICIAL_VEHICLE), self.rng.gen_range(2..=5))
        };
        let note = format!("Traslado al depósito regional, lote {} de {}", wave + 1, WAVES.len());
        let (origin_id, destination_id) = (self.world.depots[0].id, destination.id);
        self.dispatch(origin_id, destination_id, true, carrier, days, note, lines, date, false);
    }

    fn visit(&mut self, i: usize, date: NaiveDate) {
        let (depot, place, in_transit, shortfall) = {
            let v = &self.visits[i];
            (v.depot, v.place, v.in_transit, v.shortfall)
        };
        let wanted = std::mem::take(&mut self.visits[i].lines);
        let mut lines = Vec::new();
        for (m, quantity) in wanted {
            let quantity = self.take(depot, m, i64::from(quantity), date);
            if quantity > 0 {
                lines.push(PlanLine { material: m, quantity, received: quantity, reason: None });
            }
        }
        if lines.is_empty() {
            return;
        }
        if shortfall {
            if let Some(line) = lines.iter_mut().max_by_key(|l| l.quantity) {
                let lost = self.rng.gen_range(1..=(line.quantity / 4).max(1));
                line.received = line.quantity - lost;
                line.reason = SHORTFALL_REASONS.choose(&mut self.rng).copied();
            }
        }
        let place_type = self.world.places[place].type_code.as_str();
        let (carrier, days, note) = if ABROAD_TYPES.contains(&place_type) {
            let carrier = if self.rng.gen_bool(0.7) { DIPLOMATIC_POUCH } else { INTERNATIONAL_MAIL };
            (carrier, self.rng.gen_range(8..=21), "Material para la sección consular".to_string())
        } else if place_type == "airline" {
            (OFFICIAL_VEHICLE, self.rng.gen_range(1..=2), "Para vuelos nacionales e internacionales".to_string())
        } else {
            let carrier = LOCAL_CARRIERS.choose_weighted(&mut self.rng, |c| c.1).map_or(OFFICIAL_VEHICLE, |c| c.0);
            (carrier, self.rng.gen_range(1..=5), String::new())
        };
        let (origin_id, destination_id) = (self.world.depots[depot].id, self.world.places[place].id);
        self.dispatch(origin_id, destination_id, false, carrier, days, note, lines, date, in_transit);
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &mut self,
        origin_id: LocationId,
        destination_id: LocationId,
        to_depot: bool,
        carrier: &'static str,
        days: i64,
        note: String,
        lines: Vec<PlanLine>,
        date: NaiveDate,
        in_transit: bool,
    ) {
        let rng = &mut self.rng;
        let expected_on = date + Duration::days(days);
        let delivered_on = (!in_transit).then(|| {
            let late = if rng.gen_bool(0.15) { rng.gen_range(1..=4) } else { 0 };
            (expected_on + Duration::days(late)).min(last_day()).max(date)
        });
        let created_at = at(date - Duration::days(rng.gen_range(1..=3)), rng.gen_range(8 * 60..12 * 60));
        let dispatched_at = at(date, rng.gen_range(8 * 60..12 * 60));
        let delivered_at = delivered_on.map(|d| at(d, rng.gen_range(13 * 60..17 * 60)));
        let received_by = match delivered_on {
            Some(_) => format!(
                "{} {}",
                FIRST_NAMES.choose(rng).unwrap_or(&FIRST_NAMES[0]),
                SURNAMES.choose(rng).unwrap_or(&SURNAMES[0])
            ),
            None => String::new(),
        };
        let delivery_note = match (delivered_on, lines.iter().find_map(|l| l.reason)) {
            (None, _) => "",
            (Some(_), None) => "Recibido conforme",
            (Some(_), Some("lost")) => "Un bulto extraviado por el transportista",
            (Some(_), Some("damaged")) => "Material mojado y dañado durante el traslado",
            (Some(_), Some("stolen")) => "Paquete sustraído durante el traslado; denuncia presentada",
            (Some(_), Some(_)) => "Diferencia en el conteo al recibir",
        }
        .to_string();
        let i = self.plan.shipments.len();
        self.plan.shipments.push(PlanShipment {
            origin_id,
            destination_id,
            to_depot,
            carrier,
            note,
            expected_on,
            dispatched_on: date,
            delivered_on,
            received_by,
            delivery_note,
            created_at,
            dispatched_at,
            delivered_at,
            lines,
        });
        self.plan.ops.push(Op::Dispatch(i));
        if let Some(d) = delivered_on {
            self.queue.push(Reverse((d, Intent::Deliver(i))));
        }
    }

    fn deliver(&mut self, i: usize) {
        self.plan.ops.push(Op::Deliver(i));
        let shipment = &self.plan.shipments[i];
        if shipment.to_depot {
            for line in &shipment.lines {
                *self.stock.entry((line.material, shipment.destination_id)).or_default() += i64::from(line.received);
            }
        }
    }
}

/// Loads the history unless the ledger already has a movement. `scale` 1 is the campaign as it
/// happened, recorded through the stock workflows; a larger scale multiplies the distribution
/// shipments and loads in bulk. `progress(done, total)` counts movements.
pub fn load_history(
    conn: &mut DbConn,
    scale: u32,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<HistorySummary, DemoError> {
    if ledger_has_movements(conn)? {
        return Ok(HistorySummary::default());
    }
    let world = load_world(conn)?;
    let plan = Planner::new(&world, scale.max(1)).run();
    if scale <= 1 {
        load_through_workflows(conn, &world, &plan, progress)
    } else {
        load_in_bulk(conn, &world, &plan, scale, progress)
    }
}

fn ledger_has_movements(conn: &mut DbConn) -> QueryResult<bool> {
    Ok(stock_movements::table.select(stock_movements::id).first::<i32>(conn).optional()?.is_some())
}

/// Scale 1: every receipt and shipment through the commands of `app::receipts` and `app::shipments`, in the
/// order they happened, in one transaction.
fn load_through_workflows(
    conn: &mut DbConn,
    world: &World,
    plan: &Plan,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<HistorySummary, DemoError> {
    let by = Caller { access: Access::everywhere(None), actor: Actor::cli() };
    let total = plan.movements() as u64;
    conn.write_transaction(|conn| {
        if ledger_has_movements(conn)? {
            return Ok(HistorySummary::default());
        }
        let mut ids = vec![ShipmentId::default(); plan.shipments.len()];
        let (mut done, mut reported) = (0u64, 0u64);
        for op in &plan.ops {
            match *op {
                Op::Receipt(i) => {
                    let r = &plan.receipts[i];
                    let mat = &world.mats[r.material];
                    let new = NewReceipt {
                        material_id: mat.id,
                        location_id: r.location_id,
                        quantity: units(r.quantity)?,
                        received_on: r.date,
                        supplier: mat.supplier.clone(),
                        reference: r.reference.clone(),
                        external_ref: None,
                    };
                    // The demo's history is what it is: nothing to confirm.
                    app::run(conn, &RecordReceipt { by: by.clone(), receipt: new, answers: Answers::all() })
                        .map_err(DemoError::workflow)?;
                    done += 1;
                }
                Op::Dispatch(i) => {
                    let s = &plan.shipments[i];
                    let draft = Draft {
                        header: ShipmentHeader {
                            origin_id: s.origin_id,
                            destination_id: s.destination_id,
                            carrier: s.carrier.to_string(),
                            expected_on: Some(s.expected_on),
                            note: s.note.clone(),
                            external_ref: None,
                        },
                        lines: s
                            .lines
                            .iter()
                            .map(|l| Ok((world.mats[l.material].id, units(l.quantity)?)))
                            .collect::<Result<_, DemoError>>()?,
                    };
                    let create = CreateShipment {
                        by: by.clone(),
                        draft,
                        dispatch_on: Some(s.dispatched_on),
                        answers: Answers::all(),
                        codes: None,
                    };
                    let id = app::run(conn, &create).map_err(DemoError::workflow)?;
                    ids[i] = id;
                    done += s.lines.len() as u64;
                }
                Op::Deliver(i) => {
                    let s = &plan.shipments[i];
                    let Some(delivered_on) = s.delivered_on else { continue };
                    let mut lines = Vec::new();
                    for line in Shipment::lines(conn, ids[i])? {
                        let planned = s.lines.iter().find(|l| world.mats[l.material].id == line.material_id);
                        let planned = planned.ok_or(DemoError::UnplannedLine)?;
                        lines.push(LineReceipt {
                            line_id: line.id,
                            received: planned.received,
                            shortfall_reason: planned.reason.map(str::to_string),
                        });
                    }
                    let deliver = Deliver {
                        by: by.clone(),
                        shipment_id: ids[i],
                        delivered_on,
                        received_by: s.received_by.clone(),
                        note: s.delivery_note.clone(),
                        lines,
                    };
                    app::run(conn, &deliver).map_err(DemoError::workflow)?;
                    done += s.arrival_movements() as u64;
                }
            }
            if done - reported >= 1_000 {
                progress(done, total);
                reported = done;
            }
        }
        backdate(conn, plan, &ids)?;
        progress(done, total);
        Ok(HistorySummary { receipts: plan.receipts.len(), shipments: plan.shipments.len(), movements: done as usize })
    })
}

/// The workflows stamp shipments and their status history with today; the history's own
/// moments read better in lists sorted by time.
fn backdate(conn: &mut DbConn, plan: &Plan, ids: &[ShipmentId]) -> QueryResult<()> {
    for (s, &id) in plan.shipments.iter().zip(ids) {
        diesel::update(shipments::table.find(id))
            .set((shipments::created_at.eq(s.created_at), shipments::updated_at.eq(s.updated_at())))
            .execute(conn)?;
        let moments =
            [("draft", Some(s.created_at)), ("dispatched", Some(s.dispatched_at)), ("delivered", s.delivered_at)];
        for (status, moment) in moments {
            if let Some(moment) = moment {
                diesel::update(
                    shipment_events::table
                        .filter(shipment_events::shipment_id.eq(id))
                        .filter(shipment_events::status.eq(status)),
                )
                .set(shipment_events::at.eq(moment))
                .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// Runs one multi-row insert on the inner connection (MultiConnection cannot batch-insert);
/// it shares the outer connection's transaction.
/// Ids given to the plan's records as they are written.
struct Ids {
    receipts: Vec<i32>,
    shipments: Vec<ShipmentId>,
    /// Per shipment, the ids of its lines in plan order.
    lines: Vec<Vec<ShipmentLineId>>,
}

/// Movements an op writes in bulk: a shipment's arrival is posted together with its dispatch
/// (an arrival only adds stock, so posting it earlier never overdraws a balance), which keeps
/// every shipment whole inside one transaction.
fn bulk_movements(plan: &Plan, op: Op) -> usize {
    match op {
        Op::Receipt(_) => 1,
        Op::Dispatch(i) => plan.shipments[i].lines.len() + plan.shipments[i].arrival_movements(),
        Op::Deliver(_) => 0,
    }
}

/// Scale > 1: records in multi-row inserts, movements through `ledger::post_batch`, in
/// transactions of about `TRANSACTION_MOVEMENTS` movements, each holding whole shipments.
fn load_in_bulk(
    conn: &mut DbConn,
    world: &World,
    plan: &Plan,
    scale: u32,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<HistorySummary, DemoError> {
    let total = plan.movements() as u64;
    let mut ids = Ids {
        receipts: vec![0; plan.receipts.len()],
        shipments: vec![ShipmentId::default(); plan.shipments.len()],
        lines: vec![Vec::new(); plan.shipments.len()],
    };
    let mut done = 0u64;
    let mut start = 0;
    while start < plan.ops.len() {
        let mut end = start;
        let mut movements = 0;
        while end < plan.ops.len() && movements < TRANSACTION_MOVEMENTS {
            movements += bulk_movements(plan, plan.ops[end]);
            end += 1;
        }
        let first = start == 0;
        let last = end == plan.ops.len();
        let ops = &plan.ops[start..end];
        let written = conn.write_transaction(|conn| {
            if first && ledger_has_movements(conn)? {
                return Ok(false);
            }
            write_slice(conn, world, plan, ops, &mut ids, &mut |n| {
                done += n;
                progress(done, total);
            })?;
            if last {
                let summary = format!(
                    "{} receipts, {} shipments, {} movements (scale {scale})",
                    plan.receipts.len(),
                    plan.shipments.len(),
                    total
                );
                AuditEntry::record(conn, &Actor::cli(), "create", "demo_history", scale, &summary)?;
            }
            Ok::<_, DemoError>(true)
        })?;
        if !written {
            return Ok(HistorySummary::default());
        }
        start = end;
    }
    Ok(HistorySummary { receipts: plan.receipts.len(), shipments: plan.shipments.len(), movements: total as usize })
}

/// Writes the records of a run of ops, then their movements in order.
fn write_slice(
    conn: &mut DbConn,
    world: &World,
    plan: &Plan,
    ops: &[Op],
    ids: &mut Ids,
    posted: &mut dyn FnMut(u64),
) -> Result<(), DemoError> {
    let new_receipts: Vec<usize> =
        ops.iter().filter_map(|op| if let Op::Receipt(i) = op { Some(*i) } else { None }).collect();
    let new_shipments: Vec<usize> =
        ops.iter().filter_map(|op| if let Op::Dispatch(i) = op { Some(*i) } else { None }).collect();
    let recorded_at = now();

    for (&i, id) in new_receipts.iter().zip(reserve_ids(conn, "receipts", new_receipts.len())?) {
        ids.receipts[i] = id;
    }
    for chunk in new_receipts.chunks(INSERT_PARAMETERS / 9) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let r = &plan.receipts[i];
                let mat = &world.mats[r.material];
                (
                    receipts::id.eq(ids.receipts[i]),
                    receipts::material_id.eq(mat.id),
                    receipts::location_id.eq(r.location_id),
                    receipts::quantity.eq(r.quantity),
                    receipts::received_on.eq(r.date),
                    receipts::supplier.eq(mat.supplier.as_str()),
                    receipts::reference.eq(r.reference.as_str()),
                    receipts::recorded_by.eq(None::<i32>),
                    receipts::recorded_at.eq(recorded_at),
                )
            })
            .collect();
        insert_rows!(conn, receipts::table, &rows);
    }

    let line_count = new_shipments.iter().map(|&i| plan.shipments[i].lines.len()).sum();
    let mut line_ids = reserve_ids(conn, "shipment_lines", line_count)?.into_iter().map(ShipmentLineId);
    for (&i, id) in
        new_shipments.iter().zip(reserve_ids(conn, "shipments", new_shipments.len())?.into_iter().map(ShipmentId))
    {
        ids.shipments[i] = id;
        ids.lines[i] = line_ids.by_ref().take(plan.shipments[i].lines.len()).collect();
    }
    for chunk in new_shipments.chunks(INSERT_PARAMETERS / 15) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let s = &plan.shipments[i];
                (
                    shipments::id.eq(ids.shipments[i]),
                    shipments::reference.eq(format!("SH-{:06}", ids.shipments[i])),
                    shipments::origin_id.eq(s.origin_id),
                    shipments::destination_id.eq(s.destination_id),
                    shipments::carrier.eq(s.carrier),
                    shipments::expected_on.eq(Some(s.expected_on)),
                    shipments::status.eq(s.status()),
                    shipments::dispatched_on.eq(Some(s.dispatched_on)),
                    shipments::delivered_on.eq(s.delivered_on),
                    shipments::received_by.eq(s.received_by.as_str()),
                    shipments::delivery_note.eq(s.delivery_note.as_str()),
                    shipments::note.eq(s.note.as_str()),
                    shipments::created_by.eq(None::<UserId>),
                    shipments::created_at.eq(s.created_at),
                    shipments::updated_at.eq(s.updated_at()),
                )
            })
            .collect();
        insert_rows!(conn, shipments::table, &rows);
    }
    let assigned: &Ids = ids;
    let lines: Vec<(ShipmentLineId, ShipmentId, &PlanLine, bool)> = new_shipments
        .iter()
        .flat_map(|&i| {
            let s = &plan.shipments[i];
            let delivered = s.delivered_on.is_some();
            let shipment_id = assigned.shipments[i];
            s.lines.iter().zip(&assigned.lines[i]).map(move |(l, &line_id)| (line_id, shipment_id, l, delivered))
        })
        .collect();
    for chunk in lines.chunks(INSERT_PARAMETERS / 6) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|&(line_id, shipment_id, l, delivered)| {
                (
                    shipment_lines::id.eq(line_id),
                    shipment_lines::shipment_id.eq(shipment_id),
                    shipment_lines::material_id.eq(world.mats[l.material].id),
                    shipment_lines::quantity.eq(l.quantity),
                    shipment_lines::quantity_received.eq(delivered.then_some(l.received)),
                    shipment_lines::shortfall_reason.eq(if delivered { l.reason } else { None }),
                )
            })
            .collect();
        insert_rows!(conn, shipment_lines::table, &rows);
    }
    let events: Vec<(ShipmentId, &str, NaiveDateTime, &str)> = new_shipments
        .iter()
        .flat_map(|&i| {
            let s = &plan.shipments[i];
            let id = ids.shipments[i];
            let delivered = s.delivered_at.map(|moment| (id, "delivered", moment, s.delivery_note.as_str()));
            [Some((id, "draft", s.created_at, "")), Some((id, "dispatched", s.dispatched_at, "")), delivered]
                .into_iter()
                .flatten()
        })
        .collect();
    for chunk in events.chunks(INSERT_PARAMETERS / 5) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|&(shipment_id, status, moment, note)| {
                (
                    shipment_events::shipment_id.eq(shipment_id),
                    shipment_events::status.eq(status),
                    shipment_events::at.eq(moment),
                    shipment_events::user_id.eq(None::<i32>),
                    shipment_events::note.eq(note),
                )
            })
            .collect();
        insert_rows!(conn, shipment_events::table, &rows);
    }

    let mut postings: Vec<Posting> = Vec::with_capacity(POST_CHUNK + 16);
    for &op in ops {
        match op {
            Op::Receipt(i) => {
                let r = &plan.receipts[i];
                postings.push(Posting {
                    material_id: world.mats[r.material].id,
                    from: None,
                    to: Some(r.location_id),
                    quantity: units(r.quantity)?,
                    kind: MovementKind::Receipt,
                    effective_on: r.date,
                    source: Source { receipt_id: Some(ReceiptId(ids.receipts[i])), ..Default::default() },
                    reason: String::new(),
                });
            }
            Op::Dispatch(i) => {
                shipment_postings(world, &plan.shipments[i], ids.shipments[i], &ids.lines[i], &mut postings)?
            }
            Op::Deliver(_) => {}
        }
        if postings.len() >= POST_CHUNK {
            ledger::post_batch(conn, None, &postings)?;
            posted(postings.len() as u64);
            postings.clear();
        }
    }
    if !postings.is_empty() {
        ledger::post_batch(conn, None, &postings)?;
        posted(postings.len() as u64);
    }
    Ok(())
}

/// A planned quantity as the ledger takes it: the plan never holds a line or receipt of zero.
fn units(n: i32) -> Result<PositiveQuantity, DemoError> {
    PositiveQuantity::new(n)
        .ok_or_else(|| DemoError::BadData { what: "history plan", reason: format!("a quantity of {n}") })
}

/// A shipment's movements as the workflows post them: dispatch into transit, then per line the
/// delivery and any shortfall.
fn shipment_postings(
    world: &World,
    s: &PlanShipment,
    id: ShipmentId,
    line_ids: &[ShipmentLineId],
    out: &mut Vec<Posting>,
) -> Result<(), DemoError> {
    let source = |line_id: ShipmentLineId| Source {
        shipment_id: Some(id),
        shipment_line_id: Some(line_id),
        ..Default::default()
    };
    for (l, &line_id) in s.lines.iter().zip(line_ids) {
        out.push(Posting {
            material_id: world.mats[l.material].id,
            from: Some(s.origin_id),
            to: Some(world.transit_id),
            quantity: units(l.quantity)?,
            kind: MovementKind::Dispatch,
            effective_on: s.dispatched_on,
            source: source(line_id),
            reason: String::new(),
        });
    }
    let Some(delivered_on) = s.delivered_on else { return Ok(()) };
    for (l, &line_id) in s.lines.iter().zip(line_ids) {
        if let Some(received) = PositiveQuantity::new(l.received) {
            out.push(Posting {
                material_id: world.mats[l.material].id,
                from: Some(world.transit_id),
                to: Some(s.destination_id),
                quantity: received,
                kind: MovementKind::Delivery,
                effective_on: delivered_on,
                source: source(line_id),
                reason: String::new(),
            });
        }
        if let Some(shortfall) = PositiveQuantity::new(l.quantity - l.received) {
            out.push(Posting {
                material_id: world.mats[l.material].id,
                from: Some(world.transit_id),
                to: None,
                quantity: shortfall,
                kind: MovementKind::Shortfall,
                effective_on: delivered_on,
                source: source(line_id),
                reason: l.reason.unwrap_or("other").to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::bulk::IdRow;
    use crate::db::schema::stock_balances;
    use crate::db::{connect_pool, run_migrations, Pool};
    use diesel::dsl::{count_star, sum};

    fn demo_database(dir: &tempfile::TempDir) -> Pool {
        let url = dir.path().join("history.db").to_string_lossy().into_owned();
        let pool = connect_pool(&url, 1).expect("pool");
        let mut conn = pool.get().expect("connection");
        run_migrations(&mut conn).expect("migrations");
        crate::demo::load(&mut conn).expect("demo data");
        pool
    }

    fn count(conn: &mut DbConn, sql: &str) -> i64 {
        diesel::sql_query(format!("SELECT CAST(({sql}) AS BIGINT) AS id")).get_result::<IdRow>(conn).expect(sql).id
    }

    /// Per material: received, transferred to depots, dispatched to distribution points,
    /// delivered there, still in transit, lost on the way, left in depots.
    fn material_report(conn: &mut DbConn, code: &str) -> [i64; 7] {
        let m = format!("(SELECT id FROM materials WHERE code = '{code}')");
        let points = "(SELECT id FROM locations WHERE is_depot = FALSE AND code <> 'TRANSIT')";
        let depots = "(SELECT id FROM locations WHERE is_depot = TRUE)";
        let moved = |kind: &str, to: &str| {
            format!("SELECT COALESCE(SUM(quantity), 0) FROM stock_movements WHERE material_id = {m} AND kind = '{kind}'{to}")
        };
        let dispatched_to_points = format!(
            "SELECT COALESCE(SUM(l.quantity), 0) FROM shipment_lines l JOIN shipments s ON s.id = l.shipment_id \
             WHERE l.material_id = {m} AND s.destination_id IN {points}"
        );
        [
            count(conn, &moved("receipt", "")),
            count(conn, &moved("delivery", &format!(" AND to_location_id IN {depots}"))),
            count(conn, &dispatched_to_points),
            count(conn, &moved("delivery", &format!(" AND to_location_id IN {points}"))),
            count(
                conn,
                &format!(
                    "SELECT COALESCE(SUM(on_hand), 0) FROM stock_balances WHERE material_id = {m} \
                     AND location_id = (SELECT id FROM locations WHERE code = 'TRANSIT')"
                ),
            ),
            count(conn, &moved("shortfall", "")),
            count(
                conn,
                &format!("SELECT COALESCE(SUM(on_hand), 0) FROM stock_balances WHERE material_id = {m} AND location_id IN {depots}"),
            ),
        ]
    }

    fn check_consistency(conn: &mut DbConn) {
        assert_eq!(ledger::mismatched_balances(conn).expect("balances"), vec![]);
        let negative: i64 = stock_balances::table
            .filter(stock_balances::on_hand.lt(0))
            .select(count_star())
            .first(conn)
            .expect("count");
        assert_eq!(negative, 0);
        // Every delivered line has its arrival movements; every dispatched one none yet.
        // Per line: dispatched, delivered, and delivered plus short, as the ledger has them.
        let per_line = "SELECT l.id, l.quantity, l.quantity_received, s.status, \
             COALESCE(SUM(CASE WHEN m.kind = 'dispatch' THEN m.quantity END), 0) AS dispatched, \
             COALESCE(SUM(CASE WHEN m.kind = 'delivery' THEN m.quantity END), 0) AS delivered, \
             COALESCE(SUM(CASE WHEN m.kind IN ('delivery', 'shortfall') THEN m.quantity END), 0) AS arrived \
             FROM shipment_lines l JOIN shipments s ON s.id = l.shipment_id \
             LEFT JOIN stock_movements m ON m.shipment_line_id = l.id \
             GROUP BY l.id, l.quantity, l.quantity_received, s.status";
        let inconsistent = count(
            conn,
            &format!(
                "SELECT COUNT(*) FROM ({per_line}) x WHERE x.dispatched <> x.quantity \
                 OR (x.status = 'delivered' AND (x.arrived <> x.quantity OR x.quantity_received IS NULL \
                     OR x.delivered <> x.quantity_received)) \
                 OR (x.status = 'dispatched' AND (x.arrived <> 0 OR x.quantity_received IS NOT NULL))"
            ),
        );
        assert_eq!(inconsistent, 0);
        let dates = count(
            conn,
            "SELECT COUNT(*) FROM stock_movements WHERE effective_on < '2005-02-01' OR effective_on > '2006-11-30'",
        );
        assert_eq!(dates, 0);
    }

    #[test]
    fn the_reference_history_is_consistent_and_loads_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pool = demo_database(&dir);
        let mut conn = pool.get().expect("connection");
        let mut calls = 0;
        let started = std::time::Instant::now();
        let summary = load_history(&mut conn, 1, &mut |done, total| {
            assert!(done <= total);
            calls += 1;
        })
        .expect("history");
        println!("{summary:?} in {:?}, {calls} progress calls", started.elapsed());
        assert!(calls > 0);
        let movements: i64 = stock_movements::table.select(count_star()).first(&mut conn).expect("count");
        assert_eq!(movements as usize, summary.movements);
        check_consistency(&mut conn);

        let in_transit: i64 = shipments::table
            .filter(shipments::status.eq(crate::domain::ShipmentStatus::Dispatched))
            .select(count_star())
            .first(&mut conn)
            .expect("count");
        assert!((3..=6).contains(&in_transit), "{in_transit} in transit");
        let short: i64 = shipment_lines::table
            .filter(shipment_lines::shortfall_reason.is_not_null())
            .select(count_star())
            .first(&mut conn)
            .expect("count");
        assert!((3..=6).contains(&short), "{short} shortfalls");
        let scaled = count(&mut conn, "SELECT COUNT(*) FROM receipts WHERE reference LIKE 'SCALE-%'");
        assert_eq!(scaled, 0);

        println!("material: received, to depots, to points, delivered to points, in transit, lost, in depots");
        for code in ["POSTER", "FLIER", "BANNER", "PAMPHLET", "IOM-LEAFLET"] {
            let r = material_report(&mut conn, code);
            println!("{code}: {r:?} ({:.1} % distributed)", 100.0 * r[2] as f64 / r[0] as f64);
            let run = crate::demo::MATERIALS.iter().find(|m| m.code == code).map(|m| i64::from(m.quantity));
            assert_eq!(Some(r[0]), run, "{code}: the whole print run is received");
            let share = r[2] as f64 / r[0] as f64;
            assert!((0.70..=0.85).contains(&share), "{code}: {share} distributed");
            assert!(r[6] > 0, "{code}: stock is left in depots");
        }
        assert!((1_000..=3_000).contains(&summary.shipments), "{summary:?}");
        let spots = count(
            &mut conn,
            "SELECT COUNT(*) FROM stock_movements WHERE material_id = (SELECT id FROM materials WHERE code = 'SPOT')",
        );
        assert_eq!(spots, 0);
        let first_transfer = count(
            &mut conn,
            "SELECT COUNT(*) FROM shipments s JOIN locations d ON d.id = s.destination_id \
             WHERE d.is_depot = TRUE AND s.dispatched_on < (SELECT MIN(received_on) FROM receipts)",
        );
        assert_eq!(first_transfer, 0);

        let again = load_history(&mut conn, 1, &mut |_, _| {}).expect("second run");
        assert_eq!((again.receipts, again.shipments, again.movements), (0, 0, 0));
        let after: i64 = stock_movements::table.select(count_star()).first(&mut conn).expect("count");
        assert_eq!(after, movements);
    }

    #[test]
    fn a_scaled_history_is_written_in_bulk_and_stays_consistent() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pool = demo_database(&dir);
        let mut conn = pool.get().expect("connection");
        let summary = load_history(&mut conn, 3, &mut |_, _| {}).expect("history");
        let movements: i64 = stock_movements::table.select(count_star()).first(&mut conn).expect("count");
        assert_eq!(movements as usize, summary.movements);
        let shipment_count: i64 = shipments::table.select(count_star()).first(&mut conn).expect("count");
        assert_eq!(shipment_count as usize, summary.shipments);
        check_consistency(&mut conn);
        let scaled = count(&mut conn, "SELECT COUNT(*) FROM receipts WHERE reference LIKE 'SCALE-%'");
        assert!(scaled > 0);
        let events = count(&mut conn, "SELECT COUNT(*) FROM shipment_events");
        let delivered = count(&mut conn, "SELECT COUNT(*) FROM shipments WHERE status = 'delivered'");
        assert_eq!(events, 2 * shipment_count + delivered);
        let bad_refs = count(
            &mut conn,
            "SELECT COUNT(*) FROM shipments WHERE reference <> 'SH-' || substr('000000' || id, -6, 6)",
        );
        assert_eq!(bad_refs, 0);
        let total: Option<i64> =
            shipment_lines::table.select(sum(shipment_lines::quantity)).first(&mut conn).expect("sum");
        assert!(total.unwrap_or(0) > 0);
        // A shipment recorded afterwards through the workflow gets a fresh id and reference.
        let by = Caller { access: Access::everywhere(None), actor: Actor::cli() };
        let central: LocationId = locations::table
            .filter(locations::code.eq(CENTRAL_DEPOT))
            .select(locations::id)
            .first(&mut conn)
            .expect("depot");
        let school: LocationId = locations::table
            .filter(locations::code.like("SCH-%"))
            .select(locations::id)
            .first(&mut conn)
            .expect("school");
        let poster = Material::find_by_code(&mut conn, "POSTER").expect("query").expect("poster");
        let draft = Draft {
            header: ShipmentHeader {
                origin_id: central,
                destination_id: school,
                carrier: "MRW".into(),
                expected_on: None,
                note: String::new(),
                external_ref: None,
            },
            lines: vec![(poster.id, PositiveQuantity::new(10).expect("ten"))],
        };
        let create = CreateShipment { by, draft, dispatch_on: None, answers: Answers::all(), codes: None };
        conn.write_transaction(|conn| app::run(conn, &create)).expect("new shipment");
        let again = load_history(&mut conn, 3, &mut |_, _| {}).expect("second run");
        assert_eq!(again.movements, 0);
    }
}
