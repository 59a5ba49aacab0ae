//! Row ids, one type per table, so a material's id can never be passed where a place's is
//! expected. Each reads and writes as the plain integer column on both backends.

use diesel_derive_newtype::DieselNewType;

macro_rules! row_id {
    ($($(#[$doc:meta])* $name:ident,)*) => {$(
        $(#[$doc])*
        #[derive(DieselNewType, Debug, Default, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i32);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i32> for $name {
            fn from(raw: i32) -> Self {
                $name(raw)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                raw.parse().map($name)
            }
        }
    )*};
}

row_id! {
    /// A row of `materials`.
    MaterialId,
    /// A row of `locations`: a depot, a distribution point, or the transit place.
    LocationId,
    /// A row of `shipments`.
    ShipmentId,
    /// A row of `shipment_lines`.
    ShipmentLineId,
    /// A row of `users`.
    UserId,
    /// A row of `receipts`.
    ReceiptId,
    /// A row of `adjustments`.
    AdjustmentId,
    /// A row of `airings`.
    AiringId,
    /// A row of `stock_movements`: the ledger.
    MovementId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_as_their_number_in_addresses_and_json() {
        assert_eq!("42".parse::<MaterialId>(), Ok(MaterialId(42)));
        assert!("4x".parse::<MaterialId>().is_err());
        assert_eq!(serde_json::to_string(&ShipmentId(7)).unwrap(), "7");
        let form: Vec<(String, LocationId)> = serde_urlencoded::from_str("to=12").unwrap();
        assert_eq!(form, vec![("to".to_string(), LocationId(12))]);
        assert_eq!(LocationId(12).to_string(), "12");
    }
}
