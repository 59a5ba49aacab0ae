//! Where a shipment is in its life: draft → dispatched → delivered, or cancelled. Stored as its
//! text in `shipments.status` and `shipment_events.status`.

/// A shipment's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShipmentStatus {
    Draft,
    Dispatched,
    Delivered,
    Cancelled,
}

impl ShipmentStatus {
    pub const ALL: [ShipmentStatus; 4] =
        [ShipmentStatus::Draft, ShipmentStatus::Dispatched, ShipmentStatus::Delivered, ShipmentStatus::Cancelled];

    /// The stored text, which is also the filter value in addresses and the translation key's end.
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::Draft => "draft",
            ShipmentStatus::Dispatched => "dispatched",
            ShipmentStatus::Delivered => "delivered",
            ShipmentStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<ShipmentStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Stock has left the origin: dispatched or delivered.
    pub fn has_moved(self) -> bool {
        matches!(self, ShipmentStatus::Dispatched | ShipmentStatus::Delivered)
    }
}

impl std::fmt::Display for ShipmentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Read from the database's text; a value outside the four is refused as a database error
/// rather than guessed at.
impl TryFrom<String> for ShipmentStatus {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        ShipmentStatus::parse(&raw).ok_or_else(|| format!("unknown shipment status {raw:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_text() {
        for status in ShipmentStatus::ALL {
            assert_eq!(ShipmentStatus::try_from(status.as_str().to_string()), Ok(status));
        }
        assert!(ShipmentStatus::try_from("Draft".to_string()).is_err());
    }
}
