//! Parse-don't-validate value types: a value of these types is already known to be valid.

mod code;
pub mod collation;
mod delivery_code;
mod ids;
mod lang;
pub mod password;
mod photo;
mod pin;
mod quantity;
pub mod question;
mod role;
mod scope;
mod status;
mod stored;
mod text;
mod username;

pub use code::Code;
pub use delivery_code::{new_nonce, DeliveryKey, LinkToken, ShortCode};
pub use ids::{
    AdjustmentId, AiringId, LocationId, MaterialId, MovementId, ReceiptId, ShipmentId, ShipmentLineId, UserId,
};
pub use lang::{Lang, Names};
pub use password::{Password, MIN_PASSWORD_LEN};
pub use photo::Photo;
pub use pin::PlacePin;
pub use quantity::{PositiveQuantity, Quantity};
pub use question::{Answers, Question, Recorded};
pub use role::{Permission, Role};
pub use scope::RegionScope;
pub use status::{ShipmentEventKind, ShipmentStatus};
pub(crate) use stored::stored_as_text;
pub use text::{OptionalText, RequiredText};
pub use username::Username;

/// Why a value was refused: a translation key and an optional argument for `%{n}`, or named
/// arguments already written in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub key: &'static str,
    pub arg: Option<String>,
    pub args: Vec<(&'static str, String)>,
}

impl Invalid {
    pub fn new(key: &'static str) -> Self {
        Invalid { key, arg: None, args: Vec::new() }
    }

    pub fn with(key: &'static str, arg: impl ToString) -> Self {
        Invalid { key, arg: Some(arg.to_string()), args: Vec::new() }
    }

    pub fn named(key: &'static str, args: Vec<(&'static str, String)>) -> Self {
        Invalid { key, arg: None, args }
    }
}
