//! The reference campaign of the source document (Venezuela, 2005–2006) as demo data:
//! regions, location types, the campaign and its six materials, the location registry and
//! one user per role. Loading twice changes nothing the second time.

pub mod airings;
pub mod history;
pub mod targets;

use crate::accounts::{self, AccountError};
use crate::db::bulk::ReserveError;
use crate::db::DbConn;
use crate::domain::{Password, Role};
use crate::ledger::LedgerError;
use crate::models::audit::{Actor, AuditEntry};
use crate::models::campaign::{Campaign, CampaignChanges};
use crate::models::location::{Location, LocationChanges};
use crate::models::location_type::{LocationType, LocationTypeChanges};
use crate::models::material::{Material, MaterialChanges};
use crate::models::region::{Region, RegionChanges};
use crate::models::user::{NewUser, User};
use chrono::NaiveDate;

const REGIONS_CSV: &str = include_str!("regions.csv");
const LOCATIONS_CSV: &str = include_str!("locations.csv");

pub const CAMPAIGN_CODE: &str = "VE-TIP-2005";

/// One demo account per role; the README and the command's output give the same list.
pub const DEMO_USERS: [(&str, &str, &str, Role); 4] = [
    ("admin", "Demo Administrator", "demo-admin-pass", Role::Admin),
    ("manager", "Demo Manager", "demo-manager-pass", Role::Manager),
    ("logistics", "Demo Logistics", "demo-logistics-pass", Role::Logistics),
    ("viewer", "Demo Viewer", "demo-viewer-pass", Role::Viewer),
];

/// (code, English name, Spanish name, is a depot)
pub const LOCATION_TYPES: [(&str, &str, &str, bool); 13] = [
    ("depot", "Depot", "Depósito", true),
    ("airport", "Airport", "Aeropuerto", false),
    ("school", "School", "Escuela", false),
    ("hospital", "Hospital", "Hospital", false),
    ("community_org", "Community organization", "Organización comunitaria", false),
    ("public_transport", "Public transport", "Transporte público", false),
    ("airline", "Flight / airline", "Vuelo / aerolínea", false),
    ("embassy", "Embassy", "Embajada", false),
    ("consulate", "Consulate", "Consulado", false),
    ("media_outlet", "Media outlet", "Medio de comunicación", false),
    ("government_office", "Government office", "Oficina de gobierno", false),
    ("ngo", "NGO", "ONG", false),
    ("other", "Other", "Otro", false),
];

/// A material of the reference campaign, as the source document lists it.
pub struct DemoMaterial {
    pub code: &'static str,
    /// The Spanish name, as the campaign printed it, and the English beside it.
    pub name_es: &'static str,
    pub name_en: &'static str,
    pub kind: &'static str,
    pub quantity: i32,
    pub pack_size: Option<i32>,
    pub supplier: &'static str,
    pub unit: &'static str,
}

const MINISTRY: &str = "Dirección de Prevención del Delito";

/// The six materials with the print runs the source gives.
pub const MATERIALS: [DemoMaterial; 6] = [
    DemoMaterial {
        code: "SPOT",
        name_es: "Micros informativos (TV y radio)",
        name_en: "Information spots (TV/radio)",
        kind: "broadcast_spot",
        quantity: 4,
        pack_size: None,
        supplier: MINISTRY,
        unit: "spots",
    },
    DemoMaterial {
        code: "POSTER",
        name_es: "Afiches sobre el delito de trata de personas",
        name_en: "Posters on the crime of trafficking in persons",
        kind: "poster",
        quantity: 60_000,
        pack_size: Some(100),
        supplier: MINISTRY,
        unit: "posters",
    },
    DemoMaterial {
        code: "FLIER",
        name_es: "Volantes con los números de contacto",
        name_en: "Fliers with contact numbers",
        kind: "flier",
        quantity: 50_000,
        pack_size: Some(250),
        supplier: MINISTRY,
        unit: "fliers",
    },
    DemoMaterial {
        code: "BANNER",
        name_es: "Pendones para vuelos nacionales e internacionales",
        name_en: "Banners for domestic and international flights",
        kind: "banner",
        quantity: 84,
        pack_size: None,
        supplier: "Dirección de Prevención del Delito con el Instituto Nacional de Aeronáutica Civil",
        unit: "banners",
    },
    DemoMaterial {
        code: "PAMPHLET",
        name_es: "Trípticos: definición, captación, marco legal",
        name_en: "Pamphlets: definition, recruitment, legal framework",
        kind: "pamphlet",
        quantity: 30_000,
        pack_size: Some(100),
        supplier: MINISTRY,
        unit: "pamphlets",
    },
    DemoMaterial {
        code: "IOM-LEAFLET",
        name_es: "Folletos de la OIM",
        name_en: "IOM leaflets",
        kind: "leaflet",
        quantity: 5_000,
        pack_size: Some(500),
        supplier: "Organización Internacional para las Migraciones (OIM)",
        unit: "leaflets",
    },
];

/// What a demo load created (zero everywhere on a second run).
#[derive(Debug, Default)]
pub struct DemoSummary {
    pub regions: usize,
    pub location_types: usize,
    pub campaigns: usize,
    pub materials: usize,
    pub locations: usize,
    pub users: usize,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Why the demo data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// The demo's own files do not read as expected.
    #[error("demo data ({what}): {reason}")]
    BadData { what: &'static str, reason: String },
    /// The history and plan build on the reference data, which is not there.
    #[error("the demo history needs the reference data: run the demo load first")]
    NoReference,
    /// A delivered shipment line the history did not plan.
    #[error("not found")]
    UnplannedLine,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Ids(#[from] ReserveError),
    /// The ledger refused a movement of the bulk history.
    #[error(transparent)]
    Ledger(LedgerError),
    /// A stock workflow refused or failed while the history went through it.
    #[error(transparent)]
    Workflow(Box<dyn std::error::Error + Send + Sync>),
}

impl DemoError {
    /// A stock workflow's error, whatever its type.
    fn workflow(e: impl std::error::Error + Send + Sync + 'static) -> DemoError {
        DemoError::Workflow(Box::new(e))
    }
}

impl From<LedgerError> for DemoError {
    fn from(e: LedgerError) -> Self {
        match e {
            // Worded as every other database failure of the load.
            LedgerError::Database(e) => DemoError::Database(e),
            refused => DemoError::Ledger(refused),
        }
    }
}

fn bad_data(what: &'static str, e: impl std::fmt::Display) -> DemoError {
    DemoError::BadData { what, reason: e.to_string() }
}

/// Loads everything that is missing; existing rows (matched by code or username) are left alone.
pub fn load(conn: &mut DbConn) -> Result<DemoSummary, DemoError> {
    load_with(conn, true)
}

/// The campaign, its materials, regions, location types and users, but no location: an empty
/// deployment of the reference campaign, ready to import its places and records.
pub fn load_reference(conn: &mut DbConn) -> Result<DemoSummary, DemoError> {
    load_with(conn, false)
}

fn load_with(conn: &mut DbConn, with_locations: bool) -> Result<DemoSummary, DemoError> {
    // Hash outside the transaction: argon2 is slow on purpose, the write lock should not wait.
    let mut new_users = Vec::new();
    for (username, display, password, role) in DEMO_USERS {
        if User::find_by_username(conn, username)?.is_none() {
            let password = Password::parse(password).map_err(|e| bad_data("password", e.key))?;
            new_users.push((username, display, accounts::hash_password(&password)?, role));
        }
    }
    let actor = Actor::cli();
    conn.write_transaction(|conn| {
        let mut summary = DemoSummary::default();
        load_regions(conn, &actor, &mut summary)?;
        load_location_types(conn, &actor, &mut summary)?;
        load_campaign(conn, &actor, &mut summary)?;
        if with_locations {
            load_locations(conn, &actor, &mut summary)?;
        }
        for (username, display, hash, role) in &new_users {
            // Checked again inside the lock: another loader may have run meanwhile.
            if User::find_by_username(conn, username)?.is_none() {
                let user =
                    User::insert(conn, &NewUser { username, display_name: display, password_hash: hash, role: *role })?;
                AuditEntry::record(conn, &actor, "create", "user", user.id, &format!("{username} (demo)"))?;
                summary.users += 1;
            }
        }
        Ok(summary)
    })
}

fn load_regions(conn: &mut DbConn, actor: &Actor, summary: &mut DemoSummary) -> Result<(), DemoError> {
    let mut reader = csv::Reader::from_reader(REGIONS_CSV.as_bytes());
    let mut rows: Vec<RegionChanges> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad_data("regions", e))?;
        rows.push(RegionChanges {
            code: record.get(0).unwrap_or_default().to_string(),
            // Venezuela's states have one name in both languages.
            name_en: record.get(1).unwrap_or_default().to_string(),
            name_es: record.get(1).unwrap_or_default().to_string(),
            tile_col: record.get(2).and_then(|v| v.parse().ok()),
            tile_row: record.get(3).and_then(|v| v.parse().ok()),
            is_abroad: false,
        });
    }
    // Abroad: embassies and consulates, on a tile of its own at the map's south-east corner.
    rows.push(RegionChanges {
        code: "ABROAD".into(),
        name_en: "Abroad".into(),
        name_es: "Exterior".into(),
        tile_col: Some(9),
        tile_row: Some(5),
        is_abroad: true,
    });
    for row in rows {
        if Region::find_by_code(conn, &row.code)?.is_none() {
            let id = Region::insert(conn, &row)?;
            AuditEntry::record(conn, actor, "create", "region", id, &format!("{} {} (demo)", row.code, row.name_es))?;
            summary.regions += 1;
        }
    }
    Ok(())
}

fn load_location_types(conn: &mut DbConn, actor: &Actor, summary: &mut DemoSummary) -> Result<(), DemoError> {
    for (code, en, es, is_depot) in LOCATION_TYPES {
        if LocationType::find_by_code(conn, code)?.is_none() {
            let id = LocationType::insert(
                conn,
                &LocationTypeChanges { code: code.into(), name_en: en.into(), name_es: es.into(), is_depot },
            )?;
            AuditEntry::record(conn, actor, "create", "location_type", id, &format!("{code} (demo)"))?;
            summary.location_types += 1;
        }
    }
    Ok(())
}

fn load_campaign(conn: &mut DbConn, actor: &Actor, summary: &mut DemoSummary) -> Result<(), DemoError> {
    let campaign_id = match Campaign::find_by_code(conn, CAMPAIGN_CODE)? {
        Some(c) => c.id,
        None => {
            let new = CampaignChanges {
                code: CAMPAIGN_CODE.into(),
                name_es: "Campaña de prevención contra la trata de personas 2005–2006".into(),
                name_en: "Prevention campaign against trafficking in persons 2005–2006".into(),
                owner_es: "Ministerio del Interior y Justicia – Dirección de Prevención del Delito".into(),
                owner_en: "Ministry of the Interior and Justice – Crime Prevention Directorate".into(),
                description: "Campaña nacional de sensibilización sobre el delito de trata de personas. \
                    Líneas impresas en el material: 0800CONTIGO y 0212-5061348."
                    .into(),
                starts_on: date(2005, 1, 1),
                ends_on: date(2006, 12, 31),
            };
            let id = Campaign::insert(conn, &new)?;
            AuditEntry::record(conn, actor, "create", "campaign", id, &format!("{} (demo)", new.code))?;
            summary.campaigns += 1;
            id
        }
    };
    for m in &MATERIALS {
        if Material::find_by_code(conn, m.code)?.is_none() {
            let new = MaterialChanges {
                campaign_id,
                code: m.code.into(),
                name_en: m.name_en.into(),
                name_es: m.name_es.into(),
                kind: m.kind.into(),
                planned_quantity: m.quantity,
                pack_size: m.pack_size,
                supplier: m.supplier.into(),
                language: "es".into(),
                unit: m.unit.into(),
                quantity_limit: None,
            };
            let id = Material::insert(conn, &new)?;
            AuditEntry::record(conn, actor, "create", "material", id, &format!("{} {} (demo)", m.code, m.quantity))?;
            summary.materials += 1;
        }
    }
    Ok(())
}

fn load_locations(conn: &mut DbConn, actor: &Actor, summary: &mut DemoSummary) -> Result<(), DemoError> {
    let regions = Region::all(conn)?;
    let types = LocationType::all(conn)?;
    let mut reader = csv::Reader::from_reader(LOCATIONS_CSV.as_bytes());
    for record in reader.records() {
        let r = record.map_err(|e| bad_data("locations", e))?;
        let field = |i: usize| r.get(i).unwrap_or_default().trim().to_string();
        let code = field(0);
        if Location::find_by_code(conn, &code)?.is_some() {
            continue;
        }
        let type_code = field(2);
        let location_type = types
            .iter()
            .find(|t| t.code == type_code)
            .ok_or_else(|| bad_data("locations", format!("unknown type {type_code}")))?;
        let region_code = field(3);
        let region = regions
            .iter()
            .find(|g| g.code == region_code)
            .ok_or_else(|| bad_data("locations", format!("unknown region {region_code}")))?;
        let ownership = field(6);
        let new = LocationChanges {
            code: code.clone(),
            name: field(1),
            location_type_id: location_type.id,
            region_id: Some(region.id),
            city: field(4),
            country: field(5),
            ownership: (!ownership.is_empty()).then_some(ownership),
            contact: String::new(),
            is_depot: location_type.is_depot,
        };
        let id = Location::insert(conn, &new)?;
        AuditEntry::record(conn, actor, "create", "location", id, &format!("{code} (demo)"))?;
        summary.locations += 1;
    }
    Ok(())
}
