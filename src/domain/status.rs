//! Where a shipment is in its life: draft → dispatched → delivered, or cancelled. Stored as its
//! text in `shipments.status`; the history (`shipment_events.status`) stores the same texts
//! and two more steps, as `ShipmentEventKind`.

/// A shipment's status.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
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

    /// Stock has left the origin: dispatched or delivered.
    pub fn has_moved(self) -> bool {
        matches!(self, ShipmentStatus::Dispatched | ShipmentStatus::Delivered)
    }
}

super::stored_as_text!(ShipmentStatus);

impl std::fmt::Display for ShipmentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step in a shipment's history (`shipment_events.status`): each status it reached, and the
/// corrections and proof recorded on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum ShipmentEventKind {
    Reached(ShipmentStatus),
    DeliveryReversed,
    ProofAttached,
    /// The recipient confirmed what arrived through the delivery note's code.
    RecipientConfirmed,
    /// Staff settled the units a recipient said did not arrive.
    DisputeResolved,
}

impl ShipmentEventKind {
    pub const ALL: [ShipmentEventKind; 8] = [
        ShipmentEventKind::Reached(ShipmentStatus::Draft),
        ShipmentEventKind::Reached(ShipmentStatus::Dispatched),
        ShipmentEventKind::Reached(ShipmentStatus::Delivered),
        ShipmentEventKind::Reached(ShipmentStatus::Cancelled),
        ShipmentEventKind::DeliveryReversed,
        ShipmentEventKind::ProofAttached,
        ShipmentEventKind::RecipientConfirmed,
        ShipmentEventKind::DisputeResolved,
    ];

    /// The stored text, which is also the translation key's end.
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentEventKind::Reached(status) => status.as_str(),
            ShipmentEventKind::DeliveryReversed => "delivery_reversed",
            ShipmentEventKind::ProofAttached => "proof_attached",
            ShipmentEventKind::RecipientConfirmed => "recipient_confirmed",
            ShipmentEventKind::DisputeResolved => "dispute_resolved",
        }
    }
}

super::stored_as_text!(ShipmentEventKind);

impl From<ShipmentStatus> for ShipmentEventKind {
    fn from(status: ShipmentStatus) -> Self {
        ShipmentEventKind::Reached(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_text() {
        for status in ShipmentStatus::ALL {
            assert_eq!(ShipmentStatus::from_text(status.as_str()), Some(status));
        }
        assert_eq!(ShipmentStatus::from_text("Draft"), None);
        for kind in ShipmentEventKind::ALL {
            assert_eq!(ShipmentEventKind::from_text(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn event_kinds_have_distinct_texts() {
        let mut texts: Vec<&str> = ShipmentEventKind::ALL.iter().map(|k| k.as_str()).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), ShipmentEventKind::ALL.len());
        assert_eq!(ShipmentEventKind::from(ShipmentStatus::Delivered).as_str(), "delivered");
    }
}
