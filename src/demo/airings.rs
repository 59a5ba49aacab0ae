//! The broadcast schedule of the reference campaign's information spots, March 2005 to November
//! 2006: the demo's TV and radio outlets (codes MED-…, state and private) air the SPOT material
//! in six flights of a few weeks each, with a trickle between them. State outlets air it most;
//! private national outlets give it public-service time; the regional channels less. A few
//! airings are corrected afterwards (a correcting row, as a person would record it).
//!
//! Reference data, not stock: rows are inserted directly, with one audit entry for the load.
//! Deterministic (seed 2006) and loaded once: nothing happens when any airing exists. Run it
//! after `demo::load`.

use crate::domain::UserId;
use crate::domain::{LocationId, MaterialId};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::DemoError;
use crate::db::schema::airings;
use crate::db::DbConn;
use crate::models::airing::{self, Airing};
use crate::models::audit::{Actor, AuditEntry};
use crate::models::material::Material;

const SEED: u64 = 2006;
const SPOT: &str = "SPOT";
const FIRST_DAY: Day = (2005, 3, 1);
const LAST_DAY: Day = (2006, 11, 30);
/// Rows per multi-row INSERT: 11 parameters each, far below either backend's limit.
const CHUNK: usize = 1_000;

/// A day as (year, month, day).
type Day = (i32, u32, u32);

/// The campaign's flights: first day, last day, intensity (1.0: the launch).
const FLIGHTS: [(Day, Day, f64); 6] = [
    ((2005, 3, 7), (2005, 4, 30), 1.0),
    ((2005, 6, 1), (2005, 7, 15), 0.7),
    ((2005, 9, 19), (2005, 11, 11), 0.8),
    ((2006, 1, 16), (2006, 3, 10), 0.6),
    ((2006, 5, 15), (2006, 7, 7), 0.7),
    ((2006, 9, 25), (2006, 11, 24), 0.9),
];
/// Chance that an outlet of weight 1 airs the spot on a weekday of a flight at intensity 1.
const FLIGHT_CHANCE: f64 = 0.22;
/// The same between flights, whatever the intensity.
const TRICKLE_CHANCE: f64 = 0.04;

/// Radio stations among the demo outlets; the others are TV channels.
const RADIO: [&str; 8] =
    ["MED-RNV", "MED-YVKE", "MED-URAD", "MED-EXITOS", "MED-ONDA", "MED-CNB", "MED-RCR", "MED-RFYA"];
/// Regional TV channels.
const REGIONAL: [&str; 3] = ["MED-TRT", "MED-TAM", "MED-PROMAR"];

/// Time slots and the programmes the spot ran in.
const TV_SLOTS: [(&str, &[&str]); 7] = [
    ("06:00–09:00", &["Noticiero matutino", "Revista de la mañana"]),
    ("12:00–13:00", &["Noticiero del mediodía"]),
    ("13:00–15:00", &["Telenovela de la tarde", "Programa de variedades"]),
    ("18:00–19:00", &["Programa juvenil", "Resumen deportivo"]),
    ("19:00–20:00", &["Noticiero estelar"]),
    ("horario estelar (20:00–22:00)", &["Telenovela estelar", "Programa de opinión"]),
    ("22:00–23:00", &["Cine de la noche", "Noticiero de cierre"]),
];
const RADIO_SLOTS: [(&str, &[&str]); 7] = [
    ("05:00–07:00", &["Noticias al amanecer", "Informativo matinal"]),
    ("07:00–09:00", &["Primera edición", "Magazine matutino"]),
    ("09:00–12:00", &["Música y variedades", "Consultorio radial"]),
    ("12:00–14:00", &["Noticiero del mediodía", "Deportes al mediodía"]),
    ("14:00–17:00", &["Tarde musical", "Espacio comunitario"]),
    ("17:00–19:00", &["Edición vespertina", "Regreso a casa"]),
    ("rotativo", &["Cuñas rotativas"]),
];

/// Why a demo airing was corrected.
const CORRECTIONS: [&str; 5] = [
    "Registrada dos veces en la planilla del canal.",
    "El canal confirmó que el micro no salió al aire: falla de transmisión.",
    "Fecha equivocada en el reporte de pauta; se registra de nuevo.",
    "El micro salió en otro canal del mismo grupo; se registró aquí por error.",
    "La emisora reportó el micro de otra campaña.",
];

#[derive(Insertable)]
#[diesel(table_name = airings)]
struct Row {
    material_id: MaterialId,
    location_id: LocationId,
    aired_on: NaiveDate,
    times: i32,
    time_slot: String,
    programme: String,
    external_ref: Option<String>,
    reverses_id: Option<i32>,
    reason: String,
    recorded_by: Option<UserId>,
    recorded_at: NaiveDateTime,
}

struct Outlet {
    id: LocationId,
    radio: bool,
    /// How readily it airs the spot (1.0: a state outlet).
    weight: f64,
    /// The most times a day it airs it.
    max_times: i32,
}

fn date((y, m, d): Day) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The intensity of the flight `day` falls in, if any.
fn flight(day: NaiveDate) -> Option<f64> {
    FLIGHTS.iter().find(|(from, to, _)| day >= date(*from) && day <= date(*to)).map(|(_, _, i)| *i)
}

/// When a person typed the airing in: one to three working mornings after it ran.
fn recorded_at(rng: &mut StdRng, day: NaiveDate) -> NaiveDateTime {
    let mut when = day + Duration::days(rng.gen_range(1..=3));
    while matches!(when.weekday(), Weekday::Sat | Weekday::Sun) {
        when += Duration::days(1);
    }
    let time =
        NaiveTime::from_hms_opt(rng.gen_range(8..=11), rng.gen_range(0..60), rng.gen_range(0..60)).unwrap_or_default();
    when.and_time(time)
}

fn insert_rows(conn: &mut DbConn, rows: &[Row]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        written += match conn {
            DbConn::Sqlite(c) => diesel::insert_into(airings::table).values(chunk).execute(c)?,
            DbConn::Postgresql(c) => diesel::insert_into(airings::table).values(chunk).execute(c)?,
        };
    }
    Ok(written)
}

/// Loads the demo airings; gives how many rows it wrote (0 when any airing already exists, or
/// when the SPOT material or the MED- outlets are missing).
pub fn load_airings(conn: &mut DbConn) -> Result<usize, DemoError> {
    conn.write_transaction(|conn| {
        if Airing::count(conn)? > 0 {
            return Ok(0);
        }
        let Some(spot) = Material::find_by_code(conn, SPOT)? else {
            return Ok(0);
        };
        let mut outlets: Vec<Outlet> = airing::media_outlets(conn, false, None)?
            .into_iter()
            .filter(|l| l.code.starts_with("MED-"))
            .map(|l| {
                let state = l.ownership.as_deref() == Some("state");
                let regional = REGIONAL.contains(&l.code.as_str());
                Outlet {
                    id: l.id,
                    radio: RADIO.contains(&l.code.as_str()),
                    weight: if state {
                        1.0
                    } else if regional {
                        0.35
                    } else {
                        0.45
                    },
                    max_times: if state { 6 } else { 4 },
                }
            })
            .collect();
        if outlets.is_empty() {
            return Ok(0);
        }
        // A stable order whatever order the database gave: ids follow the CSV.
        outlets.sort_by_key(|o| o.id);

        let mut rng = StdRng::seed_from_u64(SEED);
        let mut rows: Vec<Row> = Vec::new();
        let mut day = date(FIRST_DAY);
        while day <= date(LAST_DAY) {
            let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            let chance = match flight(day) {
                Some(intensity) => FLIGHT_CHANCE * intensity,
                None => TRICKLE_CHANCE,
            } * if weekend { 0.6 } else { 1.0 };
            for outlet in &outlets {
                if !rng.gen_bool((chance * outlet.weight).clamp(0.0, 1.0)) {
                    continue;
                }
                let slots: &[(&str, &[&str])] = if outlet.radio { &RADIO_SLOTS } else { &TV_SLOTS };
                let (slot, programmes) = slots[rng.gen_range(0..slots.len())];
                let programme = programmes.choose(&mut rng).copied().unwrap_or_default();
                let times = rng.gen_range(1..=outlet.max_times);
                rows.push(Row {
                    material_id: spot.id,
                    location_id: outlet.id,
                    aired_on: day,
                    times,
                    time_slot: slot.to_string(),
                    programme: programme.to_string(),
                    external_ref: Some(format!("DEMO-AIR-{:04}", rows.len() + 1)),
                    reverses_id: None,
                    reason: String::new(),
                    recorded_by: None,
                    recorded_at: recorded_at(&mut rng, day),
                });
            }
            day += Duration::days(1);
        }
        let mut written = insert_rows(conn, &rows)?;

        // A few airings corrected afterwards, each by a row pointing at it.
        let mut picked: Vec<usize> = (0..rows.len()).collect();
        picked.shuffle(&mut rng);
        let mut corrections = Vec::new();
        for (n, index) in picked.into_iter().take(CORRECTIONS.len()).enumerate() {
            let original = &rows[index];
            let original_id: i32 = airings::table
                .filter(airings::external_ref.eq(original.external_ref.clone()))
                .select(airings::id)
                .first(conn)?;
            corrections.push(Row {
                material_id: original.material_id,
                location_id: original.location_id,
                aired_on: original.aired_on,
                times: original.times,
                time_slot: original.time_slot.clone(),
                programme: original.programme.clone(),
                external_ref: None,
                reverses_id: Some(original_id),
                reason: CORRECTIONS[n].to_string(),
                recorded_by: None,
                recorded_at: original.recorded_at + Duration::days(rng.gen_range(2..=10)),
            });
        }
        written += insert_rows(conn, &corrections)?;

        let summary = format!(
            "{} airings and {} corrections of {} on {} outlets, {} to {} (demo)",
            rows.len(),
            corrections.len(),
            spot.code,
            outlets.len(),
            date(FIRST_DAY),
            date(LAST_DAY)
        );
        AuditEntry::record(conn, &Actor::cli(), "create", "airing", "demo", &summary)?;
        Ok(written)
    })
}
