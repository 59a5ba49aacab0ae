//! A property test of the ledger: concurrent workers run a seeded random mix of stock work over
//! HTTP (many of the requests are refused, which is fine); afterwards the books must balance,
//! checked with raw SQL independently of the application's report code.

use crate::helpers::*;
use crate::stock::*;
use futures_util::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

both_backends!(ledger_invariants_hold_under_random_concurrent_work);

const WORKERS: usize = 6;
const OPERATIONS: usize = 2000;
const SEED: u64 = 0x5EED_2005;

#[derive(Default)]
struct Known {
    receipts: Vec<i64>,
    adjustments: Vec<i64>,
    shipments: Vec<i64>,
}

#[derive(Default, Debug)]
struct Tally {
    /// (operation, status) → count
    by_op: BTreeMap<(&'static str, u16), usize>,
    problems: Vec<String>,
}

struct World {
    materials: Vec<i64>,
    depots: Vec<i64>,
    destinations: Vec<i64>,
}

/// A POST as sent, to replay it with the same key.
#[derive(Clone)]
struct Sent {
    path: String,
    fields: Fields,
    status: u16,
    location: Option<String>,
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> Option<T> {
    if items.is_empty() {
        None
    } else {
        Some(items[rng.gen_range(0..items.len())])
    }
}

/// One of the most recent `window` items (work tends to follow recent records).
fn recent<T: Copy>(rng: &mut StdRng, items: &[T], window: usize) -> Option<T> {
    let start = items.len().saturating_sub(window);
    pick(rng, &items[start..])
}

fn with_key(mut fields: Fields) -> Fields {
    fields.push(f("submission_key", submission_key()));
    // Random work repeats itself on purpose.
    fields.push(f("confirm", "duplicate"));
    fields
}

async fn worker(
    app: &TestApp,
    b: Browser,
    world: &World,
    known: &RefCell<Known>,
    seed: u64,
    operations: usize,
) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tally = Tally::default();
    let mut last: Option<Sent> = None;
    let reasons = ["lost", "damaged", "stolen", "other"];
    let kinds = ["loss", "damage", "count_up", "count_down"];
    for _ in 0..operations {
        let roll = rng.gen_range(0..100);
        let mut replayed = false;
        // (name, path, fields) of the request to send; None when there is nothing to act on yet.
        let request: Option<(&'static str, String, Fields)> = match roll {
            0..=13 => {
                let m = pick(&mut rng, &world.materials).expect("materials");
                let d = pick(&mut rng, &world.depots).expect("depots");
                let q = rng.gen_range(1..=300).to_string();
                Some(("receipt", "/receipts/new".into(), receipt_fields(m, d, &q, &day(-rng.gen_range(0..20)))))
            }
            14..=36 => {
                let origin = pick(&mut rng, &world.depots).expect("depots");
                let mut destination = pick(&mut rng, &world.destinations).expect("destinations");
                if destination == origin && rng.gen_bool(0.9) {
                    destination = world.destinations[0];
                }
                let first = pick(&mut rng, &world.materials).expect("materials");
                let q1 = rng.gen_range(1..=120).to_string();
                let second = pick(&mut rng, &world.materials).expect("materials");
                let q2 = rng.gen_range(1..=60).to_string();
                let mut lines = vec![(first, q1.as_str())];
                if second != first && rng.gen_bool(0.6) {
                    lines.push((second, q2.as_str()));
                }
                let mut fields = shipment_fields(origin, destination, &lines);
                let action = if roll <= 30 { "dispatch" } else { "draft" };
                fields.push(f("action", action));
                fields.push(f("dispatched_on", day(0)));
                Some(if action == "dispatch" {
                    ("ship+dispatch", "/shipments/new".into(), fields)
                } else {
                    ("draft", "/shipments/new".into(), fields)
                })
            }
            37..=42 => {
                let id = recent(&mut rng, &known.borrow().shipments, 20);
                id.map(|id| ("dispatch", format!("/shipments/{id}/dispatch"), vec![f("dispatched_on", day(0))]))
            }
            43..=58 => {
                let id = recent(&mut rng, &known.borrow().shipments, 30);
                id.map(|id| {
                    let lines = shipment_lines(app, id);
                    let mut typed: Vec<(i64, String, &str)> = Vec::new();
                    for (line, _, sent) in lines {
                        let roll = rng.gen_range(0..100);
                        let (received, reason) = if roll < 55 {
                            (sent, "")
                        } else if roll < 95 {
                            (rng.gen_range(0..=sent), pick(&mut rng, &reasons).expect("reasons"))
                        } else {
                            (sent + 1, "")
                        };
                        let reason = if received < sent { reason } else { "" };
                        typed.push((line, received.to_string(), reason));
                    }
                    ("deliver", format!("/shipments/{id}/deliver"), delivery_fields(&typed, &day(0)))
                })
            }
            59..=65 => {
                let id = recent(&mut rng, &known.borrow().shipments, 30);
                id.map(|id| ("cancel", format!("/shipments/{id}/cancel"), vec![f("reason", "changed plans")]))
            }
            66..=69 => {
                let id = recent(&mut rng, &known.borrow().shipments, 40);
                id.map(|id| {
                    ("reverse-delivery", format!("/shipments/{id}/reverse-delivery"), vec![f("reason", "wrong count")])
                })
            }
            70..=81 => {
                let d = pick(&mut rng, &world.depots).expect("depots");
                let m = pick(&mut rng, &world.materials).expect("materials");
                let kind = pick(&mut rng, &kinds).expect("kinds");
                let q = rng.gen_range(1..=80).to_string();
                let reason = if rng.gen_bool(0.05) { "" } else { "found on inspection" };
                Some((
                    "adjustment",
                    "/adjustments/new".into(),
                    adjustment_fields(d, m, kind, &q, &day(-rng.gen_range(0..10)), reason),
                ))
            }
            82..=87 => {
                let id = pick(&mut rng, &known.borrow().receipts);
                id.map(|id| ("reverse-receipt", format!("/receipts/{id}/reverse"), vec![f("reason", "entered twice")]))
            }
            88..=92 => {
                let id = pick(&mut rng, &known.borrow().adjustments);
                id.map(|id| ("reverse-adjustment", format!("/adjustments/{id}/reverse"), vec![f("reason", "mistake")]))
            }
            93..=95 => {
                let d = pick(&mut rng, &world.depots).expect("depots");
                let mut fields = vec![f("location_id", d), f("counted_on", day(0)), f("note", "")];
                for m in &world.materials {
                    if rng.gen_bool(0.5) {
                        fields.push(f(&format!("counted_{m}"), rng.gen_range(0..=400)));
                    }
                }
                Some(("count", format!("/counts/new?location={d}"), fields))
            }
            _ => {
                // The previous POST again, key and all (a double click or a retry).
                if let Some(prev) = last.clone() {
                    replayed = true;
                    let page = post(app, &b, &prev.path, &prev.fields).await;
                    let status = page.status;
                    *tally.by_op.entry(("replay", status)).or_default() += 1;
                    if status >= 500 {
                        tally.problems.push(format!("replay: {}", page.describe()));
                    } else if prev.status == 303 && (status != 303 || page.location() != prev.location) {
                        tally.problems.push(format!(
                            "replay of a recorded submission gave {status} {:?} instead of 303 {:?}\n{}",
                            page.location(),
                            prev.location,
                            page.describe()
                        ));
                    }
                }
                None
            }
        };
        if replayed {
            continue;
        }
        // Nothing to act on yet: record a receipt instead, so that every turn sends one request.
        let (name, path, fields) = request.unwrap_or_else(|| {
            let m = pick(&mut rng, &world.materials).expect("materials");
            let d = pick(&mut rng, &world.depots).expect("depots");
            ("receipt", "/receipts/new".to_string(), receipt_fields(m, d, &rng.gen_range(1..=300).to_string(), &day(0)))
        });
        let fields = with_key(fields);
        let page = post(app, &b, &path, &fields).await;
        let status = page.status;
        *tally.by_op.entry((name, status)).or_default() += 1;
        match status {
            303 => {
                let to = page.location().unwrap_or_default();
                let mut k = known.borrow_mut();
                if let Some(id) = id_in(&to, "/receipts/") {
                    if name == "receipt" {
                        k.receipts.push(id);
                    }
                } else if let Some(id) = id_in(&to, "/adjustments/") {
                    if name == "adjustment" {
                        k.adjustments.push(id);
                    }
                } else if let Some(id) = id_in(&to, "/shipments/") {
                    if name == "ship+dispatch" || name == "draft" {
                        k.shipments.push(id);
                    }
                }
            }
            422 | 409 => {
                if page.texts(".form-error, p.field-error").is_empty() {
                    tally.problems.push(format!("{name}: refusal without a message\n{}", page.describe()));
                }
            }
            _ => tally.problems.push(format!("{name}: unexpected status\n{}", page.describe())),
        }
        last = Some(Sent { path, fields, status, location: page.location() });
    }
    tally
}

/// One movement row as read back with raw SQL.
struct Row {
    material: i64,
    from: Option<i64>,
    to: Option<i64>,
    quantity: i64,
    kind: String,
    reversal: bool,
}

fn parse_opt(s: &str) -> Option<i64> {
    if s.is_empty() {
        None
    } else {
        Some(s.parse().expect("an id"))
    }
}

fn movements(app: &TestApp) -> Vec<Row> {
    app.strings(
        "SELECT CAST(material_id AS TEXT) || '|' || COALESCE(CAST(from_location_id AS TEXT), '') || '|' || \
                COALESCE(CAST(to_location_id AS TEXT), '') || '|' || CAST(quantity AS TEXT) || '|' || kind || '|' || \
                CASE WHEN reverses_id IS NULL THEN '0' ELSE '1' END AS s \
         FROM stock_movements",
    )
    .into_iter()
    .map(|line| {
        let parts: Vec<&str> = line.split('|').collect();
        Row {
            material: parts[0].parse().expect("material"),
            from: parse_opt(parts[1]),
            to: parse_opt(parts[2]),
            quantity: parts[3].parse().expect("quantity"),
            kind: parts[4].to_string(),
            reversal: parts[5] == "1",
        }
    })
    .collect()
}

/// (material, location) → on_hand, from the balance cache.
fn cached(app: &TestApp) -> HashMap<(i64, i64), i64> {
    app.strings(
        "SELECT CAST(material_id AS TEXT) || '|' || CAST(location_id AS TEXT) || '|' || CAST(on_hand AS TEXT) AS s FROM stock_balances",
    )
    .into_iter()
    .map(|line| {
        let parts: Vec<i64> = line.split('|').map(|p| p.parse().expect("number")).collect();
        ((parts[0], parts[1]), parts[2])
    })
    .collect()
}

async fn ledger_invariants_hold_under_random_concurrent_work(backend: Backend) {
    // The application logs the cause of a 500 at error level; show it next to the failure.
    let _ = env_logger::builder().is_test(true).try_init();
    let app = spawn_demo_app(backend).await;
    let materials: Vec<i64> = ["POSTER", "FLIER", "PAMPHLET"].iter().map(|c| app.material_id(c)).collect();
    let depots: Vec<i64> = ["DEP-CCS", "DEP-ANZ", "DEP-TAC", "DEP-MER"].iter().map(|c| app.location_id(c)).collect();
    let mut destinations = depots.clone();
    destinations.extend(app.numbers(
        "SELECT CAST(MIN(id) AS BIGINT) AS n FROM locations WHERE is_depot = false AND is_active = true \
         AND region_id IS NOT NULL GROUP BY region_id ORDER BY MIN(id) LIMIT 4",
    ));
    let world = World { materials, depots, destinations };
    let known = RefCell::new(Known::default());
    let mut browsers = Vec::new();
    for i in 0..WORKERS {
        let who = if i % 2 == 0 { LOGISTICS } else { ADMIN };
        browsers.push(app.browser(who.0, who.1).await);
    }

    let started = std::time::Instant::now();
    let per_worker = OPERATIONS / WORKERS;
    let runs = browsers.into_iter().enumerate().map(|(i, b)| {
        let extra = if i < OPERATIONS % WORKERS { 1 } else { 0 };
        worker(&app, b, &world, &known, SEED + i as u64, per_worker + extra)
    });
    let tallies: Vec<Tally> = join_all(runs).await;
    let elapsed = started.elapsed();

    let mut by_op: BTreeMap<(&'static str, u16), usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for t in tallies {
        for (k, v) in t.by_op {
            *by_op.entry(k).or_default() += v;
        }
        problems.extend(t.problems);
    }
    let total: usize = by_op.values().sum();
    assert_eq!(total, OPERATIONS, "one request per operation");
    let refused: usize = by_op.iter().filter(|((_, s), _)| *s == 422 || *s == 409).map(|(_, v)| v).sum();
    let server_errors: usize = by_op.iter().filter(|((_, s), _)| *s >= 500).map(|(_, v)| v).sum();
    eprintln!("{backend:?}: {total} requests in {elapsed:?}; {refused} refused; {server_errors} 5xx; by (operation, status): {by_op:?}");
    for op in [
        "receipt",
        "ship+dispatch",
        "dispatch",
        "deliver",
        "cancel",
        "reverse-delivery",
        "adjustment",
        "reverse-receipt",
        "reverse-adjustment",
        "count",
    ] {
        assert!(by_op.get(&(op, 303)).copied().unwrap_or(0) > 0, "some {op} succeeded: {by_op:?}");
    }
    assert!(refused > 0, "some requests were refused");

    // ---- The books, from raw SQL ----
    let rows = movements(&app);
    let balances = cached(&app);
    // Every balance equals the signed sum of its movements; every ledger position has its balance.
    let mut derived: HashMap<(i64, i64), i64> = HashMap::new();
    for r in &rows {
        if let Some(to) = r.to {
            *derived.entry((r.material, to)).or_default() += r.quantity;
        }
        if let Some(from) = r.from {
            *derived.entry((r.material, from)).or_default() -= r.quantity;
        }
    }
    let mut wrong = Vec::new();
    for (key, on_hand) in &balances {
        let ledger = derived.get(key).copied().unwrap_or(0);
        if *on_hand != ledger {
            wrong.push(format!("material {} at {}: cached {on_hand}, movements {ledger}", key.0, key.1));
        }
    }
    for (key, ledger) in &derived {
        if !balances.contains_key(key) && *ledger != 0 {
            wrong.push(format!("material {} at {}: no balance row, movements {ledger}", key.0, key.1));
        }
    }
    assert!(wrong.is_empty(), "balances differ from the ledger: {wrong:?}");
    let negative: Vec<_> = balances.iter().filter(|(_, q)| **q < 0).collect();
    assert!(negative.is_empty(), "negative balances: {negative:?}");
    let negative: Vec<_> = derived.iter().filter(|(_, q)| **q < 0).collect();
    assert!(negative.is_empty(), "negative ledger positions: {negative:?}");

    // Per material: what came in minus what went out equals what is held.
    let transit = app.transit_id();
    let depot_ids: Vec<i64> = app.numbers("SELECT CAST(id AS BIGINT) AS n FROM locations WHERE is_depot = true");
    let mut net: HashMap<(i64, String), i64> = HashMap::new();
    for r in &rows {
        let sign = if r.reversal { -1 } else { 1 };
        *net.entry((r.material, r.kind.clone())).or_default() += sign * r.quantity;
    }
    let all_materials: std::collections::BTreeSet<i64> =
        rows.iter().map(|r| r.material).chain(balances.keys().map(|k| k.0)).collect();
    for m in all_materials {
        let k = |kind: &str| net.get(&(m, kind.to_string())).copied().unwrap_or(0);
        let came_in = k("receipt") + k("count_up") - (k("loss") + k("damage") + k("shortfall")) - k("count_down");
        let (mut in_depots, mut in_transit, mut distributed) = (0, 0, 0);
        for ((material, location), q) in &balances {
            if *material != m {
                continue;
            }
            if *location == transit {
                in_transit += q;
            } else if depot_ids.contains(location) {
                in_depots += q;
            } else {
                distributed += q;
            }
        }
        assert_eq!(
            came_in,
            in_depots + in_transit + distributed,
            "material {m}: received {} + count_up {} - loss {} - damage {} - shortfall {} - count_down {} \
             vs depots {in_depots} + transit {in_transit} + distributed {distributed}",
            k("receipt"),
            k("count_up"),
            k("loss"),
            k("damage"),
            k("shortfall"),
            k("count_down")
        );
        // What sits in transit is exactly what dispatched shipments carry.
        let carried = app.scalar(&format!(
            "SELECT COALESCE(SUM(l.quantity), 0) FROM shipment_lines l JOIN shipments s ON s.id = l.shipment_id \
             WHERE s.status = 'dispatched' AND l.material_id = {m}"
        ));
        assert_eq!(in_transit, carried, "material {m}: transit holds what dispatched shipments carry");
        // Internal moves net to nothing per shipment state: dispatch = delivery + shortfall + return.
        assert_eq!(
            k("dispatch"),
            k("delivery") + k("shortfall") + k("return") + carried,
            "material {m}: every dispatched unit is delivered, short, returned or still in transit"
        );
    }
    // Each record's movements agree with its state.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM shipments s WHERE s.status = 'delivered' AND EXISTS (SELECT 1 FROM shipment_lines l WHERE l.shipment_id = s.id AND l.quantity_received IS NULL)"
        ),
        0,
        "delivered shipments have their received quantities"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM shipments s WHERE s.status = 'draft' AND EXISTS (SELECT 1 FROM stock_movements m WHERE m.shipment_id = s.id)"),
        0,
        "drafts moved nothing"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM stock_movements m WHERE m.reverses_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM stock_movements o WHERE o.id = m.reverses_id AND o.kind = m.kind AND o.quantity = m.quantity AND o.material_id = m.material_id)"),
        0,
        "every reversal mirrors its original"
    );
    let mismatched = campaign_tracker::ledger::mismatched_balances(&mut app.conn()).expect("mismatched_balances");
    assert!(mismatched.is_empty(), "the application's own check: {mismatched:?}");

    // The pages agree with the raw numbers: the overview's totals, and each ledger's running balance.
    let viewer = app.browser(VIEWER.0, VIEWER.1).await;
    let overview = app.get(&viewer.client, "/stock").await;
    overview.assert_status(200);
    for m in &world.materials {
        let k = |kind: &str| net.get(&(*m, kind.to_string())).copied().unwrap_or(0);
        let held = |class: u8| -> i64 {
            balances
                .iter()
                .filter(|((material, location), _)| {
                    *material == *m
                        && match class {
                            0 => depot_ids.contains(location),
                            1 => *location == transit,
                            _ => *location != transit && !depot_ids.contains(location),
                        }
                })
                .map(|(_, q)| *q)
                .sum()
        };
        let expected = vec![k("receipt"), held(0), held(1), held(2), k("loss") + k("damage") + k("shortfall")];
        let shown = overview_row(&overview, *m);
        assert_eq!(
            shown.get(..5).map(<[i64]>::to_vec),
            Some(expected.clone()),
            "/stock row of material {m}: received, in depots, in transit, distributed, lost"
        );
        for d in &world.depots {
            let newest = newest_running_balance(&app, &viewer, *m, *d).await;
            assert_eq!(newest, Some(app.on_hand(*m, *d)), "running balance of material {m} at {d} ends at the balance");
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems ({server_errors} server errors); first:\n{}",
        problems.len(),
        problems.iter().take(3).cloned().collect::<Vec<_>>().join("\n\n")
    );
}

fn number_cell(text: &str) -> Option<i64> {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().ok()
}

/// The numbers of the overview's row for `material` (received, in depots, in transit, distributed, lost).
fn overview_row(page: &Page, material: i64) -> Vec<i64> {
    let doc = page.html();
    let link = format!("/stock/materials/{material}");
    for row in doc.select(&sel("table tbody tr")) {
        let linked = row.select(&sel("th a[href]")).any(|a| a.value().attr("href") == Some(link.as_str()));
        if linked {
            return row.select(&sel("td.num")).filter_map(|td| number_cell(&td.text().collect::<String>())).collect();
        }
    }
    panic!("no overview row for material {material}\n{}", page.describe());
}

/// The balance column of the newest ledger line of `material` at `location` (the ledger opens
/// on its newest movements: the first line of the first page).
async fn newest_running_balance(app: &TestApp, b: &Browser, material: i64, location: i64) -> Option<i64> {
    let lines = app.scalar(&format!(
        "SELECT COUNT(*) FROM stock_movements WHERE material_id = {material} AND (from_location_id = {location} OR to_location_id = {location})"
    ));
    if lines == 0 {
        return Some(0);
    }
    let page = app.get(&b.client, &format!("/stock/materials/{material}?location={location}")).await;
    page.assert_status(200);
    let doc = page.html();
    let row = doc.select(&sel("table tbody tr")).next()?;
    let cells: Vec<String> = row.select(&sel("td")).map(|td| collapse(&td.text().collect::<String>())).collect();
    number_cell(cells.get(6)?)
}
