//! The one place where the commands' refusals become what a person is told: a message key
//! shown beside the form, a question to confirm, or a status (404, 403).

use crate::app::adjustments::AdjustmentError;
use crate::app::airings::AiringError;
use crate::app::receipts::{ReceiptError, ReversalError};
use crate::app::reference::{LocationSaveError, MaterialSaveError, SaveError};
use crate::app::settings::LockDateError;
use crate::app::shipments::{CancelError, DeliveryError, DispatchError, DraftError, ProofError, ReverseDeliveryError};
use crate::app::targets::TargetsError;
use crate::app::users::UserError;
use crate::app::{MaterialError, PlaceError};
use crate::domain::Invalid;
use crate::web::AppError;

fn refused(key: &'static str) -> AppError {
    AppError::Refused(Invalid::new(key))
}

impl From<PlaceError> for AppError {
    fn from(e: PlaceError) -> Self {
        match e {
            PlaceError::UnknownDepot => refused("err.unknown_depot"),
            PlaceError::UnknownDestination => refused("err.unknown_destination"),
            PlaceError::NotADepot => refused("err.not_a_depot"),
            PlaceError::Inactive => refused("err.inactive_location"),
            PlaceError::OutsideRegions => AppError::Forbidden,
        }
    }
}

impl From<MaterialError> for AppError {
    fn from(e: MaterialError) -> Self {
        match e {
            MaterialError::Unknown => refused("err.unknown_material"),
            MaterialError::Broadcast => refused("err.broadcast_not_stocked"),
        }
    }
}

impl From<ReceiptError> for AppError {
    fn from(e: ReceiptError) -> Self {
        match e {
            ReceiptError::Place(e) => e.into(),
            ReceiptError::Material(e) => e.into(),
            ReceiptError::Questions(q) => AppError::Questions(q),
            ReceiptError::Ledger(e) => e.into(),
            ReceiptError::Database(e) => e.into(),
        }
    }
}

impl From<ReversalError> for AppError {
    fn from(e: ReversalError) -> Self {
        match e {
            ReversalError::NotFound => AppError::NotFound,
            ReversalError::OutsideRegions => AppError::Forbidden,
            ReversalError::ReasonRequired => refused("err.reason_required"),
            ReversalError::Ledger(e) => e.into(),
            ReversalError::Database(e) => e.into(),
        }
    }
}

impl From<AdjustmentError> for AppError {
    fn from(e: AdjustmentError) -> Self {
        match e {
            AdjustmentError::Place(e) => e.into(),
            AdjustmentError::Material(e) => e.into(),
            AdjustmentError::UnknownKind => refused("err.unknown_choice"),
            AdjustmentError::ReasonRequired => refused("err.reason_required"),
            AdjustmentError::NegativeCount => refused("err.negative"),
            AdjustmentError::Questions(q) => AppError::Questions(q),
            AdjustmentError::Ledger(e) => e.into(),
            AdjustmentError::Database(e) => e.into(),
        }
    }
}

impl From<DraftError> for AppError {
    fn from(e: DraftError) -> Self {
        match e {
            DraftError::NotFound => AppError::NotFound,
            DraftError::OutsideRegions => AppError::Forbidden,
            DraftError::NotDraft => refused("err.not_draft"),
            DraftError::Place(e) => e.into(),
            DraftError::SameOriginDestination => refused("err.same_origin_destination"),
            DraftError::NoLines => refused("err.no_lines"),
            DraftError::DuplicateLine => refused("err.duplicate_line"),
            DraftError::Material(e) => e.into(),
            DraftError::Questions(q) => AppError::Questions(q),
            DraftError::ExpectedBeforeDispatch => refused("err.expected_before_dispatch"),
            DraftError::Ledger(e) => e.into(),
            DraftError::Database(e) => e.into(),
        }
    }
}

impl From<DispatchError> for AppError {
    fn from(e: DispatchError) -> Self {
        match e {
            DispatchError::NotFound => AppError::NotFound,
            DispatchError::OutsideRegions => AppError::Forbidden,
            DispatchError::NotDraft => refused("err.not_draft"),
            DispatchError::Changed => refused("err.changed_meanwhile"),
            DispatchError::OriginInactive => refused("err.inactive_location"),
            DispatchError::ExpectedBeforeDispatch => refused("err.expected_before_dispatch"),
            DispatchError::Questions(q) => AppError::Questions(q),
            DispatchError::Ledger(e) => e.into(),
            DispatchError::Database(e) => e.into(),
        }
    }
}

impl From<DeliveryError> for AppError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::NotFound => AppError::NotFound,
            DeliveryError::OutsideRegions => AppError::Forbidden,
            DeliveryError::NotDispatched => refused("err.not_dispatched"),
            DeliveryError::BeforeDispatch => refused("err.delivered_before_dispatch"),
            DeliveryError::LineMissing => refused("err.line_missing"),
            DeliveryError::Negative => refused("err.negative"),
            DeliveryError::MoreThanSent { sent } => AppError::Refused(Invalid::with("err.more_than_sent", sent)),
            DeliveryError::ShortfallReason => refused("err.shortfall_reason"),
            DeliveryError::Ledger(e) => e.into(),
            DeliveryError::Database(e) => e.into(),
        }
    }
}

impl From<CancelError> for AppError {
    fn from(e: CancelError) -> Self {
        match e {
            CancelError::NotFound => AppError::NotFound,
            CancelError::OutsideRegions => AppError::Forbidden,
            CancelError::ReasonRequired => refused("err.reason_required"),
            CancelError::NotCancellable => refused("err.not_cancellable"),
            CancelError::Ledger(e) => e.into(),
            CancelError::Database(e) => e.into(),
        }
    }
}

impl From<ReverseDeliveryError> for AppError {
    fn from(e: ReverseDeliveryError) -> Self {
        match e {
            ReverseDeliveryError::NotFound => AppError::NotFound,
            ReverseDeliveryError::OutsideRegions => AppError::Forbidden,
            ReverseDeliveryError::ReasonRequired => refused("err.reason_required"),
            ReverseDeliveryError::NotDelivered => refused("err.not_delivered"),
            ReverseDeliveryError::Ledger(e) => e.into(),
            ReverseDeliveryError::Database(e) => e.into(),
        }
    }
}

impl From<AiringError> for AppError {
    fn from(e: AiringError) -> Self {
        match e {
            AiringError::NotFound => AppError::NotFound,
            AiringError::OutsideRegions => AppError::Forbidden,
            AiringError::NotASpot => refused("err.not_a_spot"),
            AiringError::NotAMediaOutlet => refused("err.not_a_media_outlet"),
            AiringError::OutletInactive => refused("err.inactive_location"),
            AiringError::TooManyTimes => refused("err.too_many_times"),
            AiringError::PeriodClosed { lock_date } => AppError::Refused(Invalid::with("err.period_closed", lock_date)),
            AiringError::FutureDate => refused("err.future_date"),
            AiringError::ReasonRequired => refused("err.reason_required"),
            AiringError::ReversalOfReversal => refused("err.reversal_of_reversal"),
            AiringError::AlreadyReversed => refused("err.already_reversed"),
            AiringError::Questions(q) => AppError::Questions(q),
            AiringError::Database(e) => e.into(),
        }
    }
}

impl From<SaveError> for AppError {
    fn from(e: SaveError) -> Self {
        match e {
            SaveError::NotFound => AppError::NotFound,
            // `save_form` shows it beside the code field.
            SaveError::CodeTaken => refused("err.code_taken"),
            SaveError::Database(e) => e.into(),
        }
    }
}

impl From<MaterialSaveError> for AppError {
    fn from(e: MaterialSaveError) -> Self {
        match e {
            MaterialSaveError::UnknownCampaign => refused("err.unknown_campaign"),
            MaterialSaveError::Save(e) => e.into(),
        }
    }
}

impl From<LocationSaveError> for AppError {
    fn from(e: LocationSaveError) -> Self {
        match e {
            LocationSaveError::UnknownType => refused("err.unknown_location_type"),
            LocationSaveError::UnknownRegion => refused("err.unknown_region"),
            LocationSaveError::OwnershipRequired => refused("err.ownership_required"),
            LocationSaveError::CountryRegion => refused("err.country_region"),
            LocationSaveError::Save(e) => e.into(),
        }
    }
}

impl From<crate::app::confirmations::PinError> for AppError {
    fn from(e: crate::app::confirmations::PinError) -> Self {
        use crate::app::confirmations::PinError;
        match e {
            PinError::NotFound => AppError::NotFound,
            PinError::NotAPoint => refused("err.pin_not_a_point"),
            PinError::Inactive => refused("err.pin_inactive"),
            PinError::Database(e) => e.into(),
        }
    }
}

impl From<crate::app::confirmations::CodeError> for AppError {
    fn from(e: crate::app::confirmations::CodeError) -> Self {
        use crate::app::confirmations::CodeError;
        match e {
            CodeError::NotFound => AppError::NotFound,
            CodeError::NotConfirmable => refused("err.code_not_confirmable"),
            CodeError::NotLocked => refused("err.code_not_locked"),
            CodeError::Database(e) => e.into(),
        }
    }
}

impl From<crate::app::confirmations::ConfirmError> for AppError {
    fn from(e: crate::app::confirmations::ConfirmError) -> Self {
        use crate::app::confirmations::ConfirmError;
        match e {
            ConfirmError::LinkDead => refused("recipient.link_dead"),
            ConfirmError::Expired => refused("recipient.expired"),
            ConfirmError::Locked => refused("recipient.locked"),
            ConfirmError::AlreadyDelivered => refused(ALREADY_DELIVERED),
            ConfirmError::LineMissing => AppError::BadRequest("a line's quantity is missing".into()),
            ConfirmError::Negative => refused("err.negative"),
            ConfirmError::MoreThanSent { sent } => AppError::Refused(Invalid::with("err.more_than_sent", sent)),
            ConfirmError::ShortfallReason => refused("err.shortfall_reason"),
            ConfirmError::CorrectionClosed => refused("recipient.correction_closed"),
            ConfirmError::NotYetDelivered => refused("recipient.link_dead"),
            ConfirmError::AlreadyAnswered => refused(ALREADY_DELIVERED),
            ConfirmError::Ledger(e) => e.into(),
            ConfirmError::Database(e) => e.into(),
        }
    }
}

impl From<crate::app::confirmations::DisputeError> for AppError {
    fn from(e: crate::app::confirmations::DisputeError) -> Self {
        use crate::app::confirmations::DisputeError;
        match e {
            DisputeError::NotFound => AppError::NotFound,
            DisputeError::NoDispute => refused("err.no_dispute"),
            DisputeError::Ledger(e) => e.into(),
            DisputeError::Database(e) => e.into(),
        }
    }
}

/// The refusal a confirmation meets when the delivery was recorded first: its page then shows
/// the record that won.
pub const ALREADY_DELIVERED: &str = "recipient.already_delivered";

impl From<UserError> for AppError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::NotFound => AppError::NotFound,
            UserError::UsernameTaken => refused("err.username_taken"),
            UserError::LastAdmin => refused("err.last_admin"),
            UserError::SelfDisable => refused("err.self_disable"),
            UserError::Database(e) => e.into(),
        }
    }
}

impl From<ProofError> for AppError {
    fn from(e: ProofError) -> Self {
        match e {
            ProofError::NotFound => AppError::NotFound,
            ProofError::OutsideRegions => AppError::Forbidden,
            ProofError::NotMoved => refused("err.not_dispatched"),
            ProofError::Database(e) => e.into(),
        }
    }
}

impl From<LockDateError> for AppError {
    fn from(e: LockDateError) -> Self {
        match e {
            LockDateError::Future => refused("err.future_date"),
            LockDateError::Database(e) => e.into(),
        }
    }
}

impl From<TargetsError> for AppError {
    fn from(e: TargetsError) -> Self {
        match e {
            TargetsError::UnknownMaterial => AppError::NotFound,
            TargetsError::Database(e) => e.into(),
        }
    }
}
