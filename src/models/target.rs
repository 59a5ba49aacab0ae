//! The allocation plan: per material, region and location type, how many units are meant to go
//! there. Plan data, edited in place (one row per cell, a 0 stays a row at 0); every save is
//! audited by its caller in the same transaction.

use crate::db::schema::{location_types, locations, targets};
use crate::db::DbConn;
use crate::domain::{MaterialId, UserId};
use crate::models::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Timestamp};
use std::collections::HashMap;

/// The location type of stock in transit: a system place, never a target column.
pub const TRANSIT_TYPE: &str = "transit";

/// The source's channels: which kinds of place each material of the reference campaign is meant
/// for, by material code. The split helper includes these by default.
pub const CHANNELS: [(&str, &[&str]); 5] = [
    ("POSTER", &["community_org", "school", "hospital"]),
    ("FLIER", &["airport", "community_org", "public_transport"]),
    ("BANNER", &["airline"]),
    ("PAMPHLET", &["school", "community_org", "government_office", "ngo"]),
    ("IOM-LEAFLET", &["embassy", "consulate", "community_org"]),
];

/// The channel location type codes of a material, when the source names them.
pub fn channel_types(material_code: &str) -> Option<&'static [&'static str]> {
    CHANNELS.iter().find(|(code, _)| *code == material_code).map(|(_, types)| *types)
}

/// One cell of the plan: (region id, location type id, quantity).
pub type Cell = (i32, i32, i32);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = targets)]
pub struct Target {
    pub id: i32,
    pub material_id: MaterialId,
    pub region_id: i32,
    pub location_type_id: i32,
    pub quantity: i32,
    pub updated_by: Option<UserId>,
    pub updated_at: NaiveDateTime,
}

impl Target {
    /// Every cell of one material's plan, by region then type id.
    pub fn grid(conn: &mut DbConn, material_id: MaterialId) -> QueryResult<Vec<Target>> {
        targets::table
            .filter(targets::material_id.eq(material_id))
            .order((targets::region_id, targets::location_type_id))
            .select(Target::as_select())
            .load(conn)
    }

    /// Writes every cell of one material's plan: an existing row is updated (only when its
    /// quantity changes, so `updated_by`/`updated_at` name the last real change), a new one is
    /// inserted, 0 is kept as a row at 0. Cells not given are left as they are. Call inside a
    /// write transaction, with the audit entry of the save. Gives the number of cells given.
    ///
    /// The upsert is written per backend (MultiConnection has no `on_conflict`); both speak
    /// `ON CONFLICT … DO UPDATE … WHERE`.
    pub fn save_grid(
        conn: &mut DbConn,
        material_id: MaterialId,
        cells: &[Cell],
        user_id: Option<UserId>,
    ) -> QueryResult<usize> {
        let query = match conn {
            DbConn::Sqlite(_) => {
                "INSERT INTO targets (material_id, region_id, location_type_id, quantity, updated_by, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (material_id, region_id, location_type_id) DO UPDATE SET \
                 quantity = excluded.quantity, updated_by = excluded.updated_by, updated_at = excluded.updated_at \
                 WHERE targets.quantity <> excluded.quantity"
            }
            DbConn::Postgresql(_) => {
                "INSERT INTO targets (material_id, region_id, location_type_id, quantity, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (material_id, region_id, location_type_id) DO UPDATE SET \
                 quantity = excluded.quantity, updated_by = excluded.updated_by, updated_at = excluded.updated_at \
                 WHERE targets.quantity <> excluded.quantity"
            }
        };
        let at = now();
        // One fixed order, so two concurrent saves lock rows alike.
        let mut sorted: Vec<Cell> = cells.to_vec();
        sorted.sort_unstable();
        sorted.dedup_by_key(|c| (c.0, c.1));
        for (region_id, location_type_id, quantity) in &sorted {
            diesel::sql_query(query)
                .bind::<Integer, _>(material_id)
                .bind::<Integer, _>(*region_id)
                .bind::<Integer, _>(*location_type_id)
                .bind::<Integer, _>(*quantity)
                .bind::<Nullable<Integer>, _>(user_id)
                .bind::<Timestamp, _>(at)
                .execute(conn)?;
        }
        Ok(sorted.len())
    }

    /// One material's plan as ((region id, location type id), quantity), zero cells included.
    pub fn totals(conn: &mut DbConn, material_id: MaterialId) -> QueryResult<Vec<((i32, i32), i64)>> {
        let rows: Vec<(i32, i32, i32)> = targets::table
            .filter(targets::material_id.eq(material_id))
            .order((targets::region_id, targets::location_type_id))
            .select((targets::region_id, targets::location_type_id, targets::quantity))
            .load(conn)?;
        Ok(rows.into_iter().map(|(r, t, q)| ((r, t), i64::from(q))).collect())
    }

    /// Every cell of every material's plan, by material, region, type.
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Target>> {
        targets::table
            .order((targets::material_id, targets::region_id, targets::location_type_id))
            .select(Target::as_select())
            .load(conn)
    }

    /// True when any plan cell exists.
    pub fn any(conn: &mut DbConn) -> QueryResult<bool> {
        Ok(targets::table.select(targets::id).first::<i32>(conn).optional()?.is_some())
    }
}

/// Registered places per (region id, location type id, count): active locations with a region
/// that are neither depots nor system places. The basis of the split helper.
pub fn registered_locations(conn: &mut DbConn) -> QueryResult<Vec<(i32, i32, i64)>> {
    let rows: Vec<(Option<i32>, i32, i64)> = locations::table
        .inner_join(location_types::table)
        .filter(locations::is_active.eq(true))
        .filter(locations::is_depot.eq(false))
        .filter(location_types::code.ne(TRANSIT_TYPE))
        .filter(locations::region_id.is_not_null())
        .group_by((locations::region_id, locations::location_type_id))
        .select((locations::region_id, locations::location_type_id, diesel::dsl::count_star()))
        .load(conn)?;
    let mut out: Vec<(i32, i32, i64)> = rows.into_iter().filter_map(|(r, t, n)| r.map(|r| (r, t, n))).collect();
    out.sort_unstable();
    Ok(out)
}

/// Splits `total` in proportion to `weights` so the parts add up to exactly `total` (largest
/// remainder: everyone gets the floor of their share, the units left go one each to the largest
/// remainders; ties to the larger weight, then the earlier position). All weights 0 (or none):
/// nothing is split and every part is 0. Negative weights count as 0.
pub fn largest_remainder(total: i64, weights: &[i64]) -> Vec<i64> {
    let total = total.max(0);
    let weights: Vec<i128> = weights.iter().map(|w| i128::from((*w).max(0))).collect();
    let sum: i128 = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let t = i128::from(total);
    let mut parts: Vec<i64> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, i128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let share = t * w;
        // The floor fits: it is at most `total`.
        parts.push(i64::try_from(share / sum).unwrap_or(0));
        remainders.push((share % sum, *w, i));
    }
    let given: i64 = parts.iter().sum();
    let left = usize::try_from(total - given).unwrap_or(0);
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    for (_, _, i) in remainders.into_iter().take(left) {
        parts[i] += 1;
    }
    parts
}

/// How the split helper shares a total out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitBasis {
    /// In proportion to the registered locations of each included type in each region.
    Registered,
    /// By a weight per region (region id → weight); within a region in proportion to its
    /// registered locations of the included types, evenly when it has none.
    Weights(HashMap<i32, i64>),
}

/// A proposal for the plan: `total` split over `regions` × `types`, adding up to exactly
/// `total`. None when there is nothing to split by (no registered locations of those types, or
/// every region weighs 0).
pub fn propose(
    total: i64,
    regions: &[i32],
    types: &[i32],
    registered: &[(i32, i32, i64)],
    basis: &SplitBasis,
) -> Option<Vec<Cell>> {
    let count = |r: i32, t: i32| registered.iter().find(|(rr, tt, _)| *rr == r && *tt == t).map_or(0, |x| x.2);
    let to_cell = |(r, t): (i32, i32), q: i64| (r, t, i32::try_from(q).unwrap_or(i32::MAX));
    if types.is_empty() || regions.is_empty() {
        return None;
    }
    match basis {
        SplitBasis::Registered => {
            let keys: Vec<(i32, i32)> = regions.iter().flat_map(|r| types.iter().map(move |t| (*r, *t))).collect();
            let weights: Vec<i64> = keys.iter().map(|(r, t)| count(*r, *t)).collect();
            if weights.iter().all(|w| *w <= 0) {
                return None;
            }
            let parts = largest_remainder(total, &weights);
            Some(keys.into_iter().zip(parts).map(|(k, q)| to_cell(k, q)).collect())
        }
        SplitBasis::Weights(by_region) => {
            let weights: Vec<i64> = regions.iter().map(|r| by_region.get(r).copied().unwrap_or(0)).collect();
            if weights.iter().all(|w| *w <= 0) {
                return None;
            }
            let shares = largest_remainder(total, &weights);
            let mut cells = Vec::with_capacity(regions.len() * types.len());
            for (r, share) in regions.iter().zip(shares) {
                let mut inner: Vec<i64> = types.iter().map(|t| count(*r, *t)).collect();
                if inner.iter().all(|w| *w <= 0) {
                    inner = vec![1; types.len()];
                }
                for (t, q) in types.iter().zip(largest_remainder(share, &inner)) {
                    cells.push(to_cell((*r, *t), q));
                }
            }
            Some(cells)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder_adds_up() {
        assert_eq!(largest_remainder(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(largest_remainder(100, &[3, 1]), vec![75, 25]);
        assert_eq!(largest_remainder(7, &[0, 0]), vec![0, 0]);
        assert_eq!(largest_remainder(0, &[2, 5]), vec![0, 0]);
        // Ties go to the larger weight: 5 × 1/3, 5 × 2/3 → 1.67 and 3.33.
        assert_eq!(largest_remainder(5, &[1, 2]), vec![2, 3]);
        for total in [1_i64, 83, 84, 60_000, 2_147_483_647] {
            let parts = largest_remainder(total, &[7, 3, 11, 0, 1, 13]);
            assert_eq!(parts.iter().sum::<i64>(), total);
            assert_eq!(parts[3], 0);
        }
    }

    #[test]
    fn proposals_follow_the_basis() {
        let registered = vec![(1, 10, 3), (2, 10, 1), (2, 11, 4)];
        let cells = propose(80, &[1, 2, 3], &[10, 11], &registered, &SplitBasis::Registered).unwrap_or_default();
        let get = |r, t| cells.iter().find(|c| c.0 == r && c.1 == t).map_or(-1, |c| c.2);
        assert_eq!((get(1, 10), get(2, 10), get(2, 11), get(3, 10)), (30, 10, 40, 0));
        assert!(propose(80, &[3], &[10], &registered, &SplitBasis::Registered).is_none());

        let weights = SplitBasis::Weights(HashMap::from([(1, 1), (3, 1)]));
        let cells = propose(9, &[1, 2, 3], &[10, 11], &registered, &weights).unwrap_or_default();
        let get = |r, t| cells.iter().find(|c| c.0 == r && c.1 == t).map_or(-1, |c| c.2);
        // Region 1 (5 units) has only type 10 registered; region 3 (4 units) none: evenly.
        assert_eq!((get(1, 10), get(1, 11), get(2, 10), get(3, 10), get(3, 11)), (5, 0, 0, 2, 2));
        assert_eq!(cells.iter().map(|c| i64::from(c.2)).sum::<i64>(), 9);
    }
}
