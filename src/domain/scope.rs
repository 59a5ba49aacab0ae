//! Which regions a person sees: a region-limited user sees only their regions' operational
//! records and figures (shipments, receipts, stock, ledgers, airings, targets, coverage);
//! reference data (places, materials, regions, types) stays visible to everyone.

/// Every region, or only some.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RegionScope {
    #[default]
    All,
    /// A region-limited user's regions (never empty: an empty list means every region).
    Only(Vec<i32>),
}

impl RegionScope {
    /// The scope of a user limited to `regions`; none means every region.
    pub fn of(regions: &[i32]) -> RegionScope {
        if regions.is_empty() {
            RegionScope::All
        } else {
            RegionScope::Only(regions.to_vec())
        }
    }

    /// True when a record in `region` (None: in no region, as stock in transit) is visible.
    pub fn covers(&self, region: Option<i32>) -> bool {
        match (self, region) {
            (RegionScope::All, _) => true,
            (RegionScope::Only(ids), Some(id)) => ids.contains(&id),
            (RegionScope::Only(_), None) => false,
        }
    }

    /// The regions a query must filter on; None when it need not filter.
    pub fn ids(&self) -> Option<&[i32]> {
        match self {
            RegionScope::All => None,
            RegionScope::Only(ids) => Some(ids),
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self, RegionScope::All)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_list_is_every_region() {
        assert_eq!(RegionScope::of(&[]), RegionScope::All);
        assert!(RegionScope::All.covers(None));
        let lara = RegionScope::of(&[7]);
        assert!(lara.covers(Some(7)));
        assert!(!lara.covers(Some(8)));
        assert!(!lara.covers(None), "stock in transit belongs to no region");
        assert_eq!(lara.ids(), Some(&[7][..]));
    }
}
