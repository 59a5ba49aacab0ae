//! Pieces of the stock pages: submission keys, quantities with packs, status badges.

use crate::domain::{Lang, ShipmentStatus};
use crate::i18n::{number, tr, tr_arg};
use crate::views::form::FormState;
use crate::views::page::PageContext;
use maud::{html, Markup};

/// The hidden one-time key of a stock form; kept when the form is shown again.
pub fn submission_key(form: &FormState) -> Markup {
    let key = match form.value(crate::views::form::SUBMISSION_KEY) {
        "" => crate::views::form::new_submission_key(),
        kept => kept.to_string(),
    };
    html! { input type="hidden" name=(crate::views::form::SUBMISSION_KEY) value=(key); }
}

/// "1 pack + 471", "120 packs", "1 paquete": whole packs and the units left over, when the
/// material comes in packs and there is at least one.
pub fn packs(lang: Lang, units: i64, pack_size: Option<i32>) -> Option<String> {
    let size = i64::from(pack_size.filter(|s| *s > 1)?);
    let (whole, rest) = (units / size, units % size);
    if whole == 0 {
        return None;
    }
    let key = if whole == 1 { "material.pack_one" } else { "material.packs" };
    let mut text = tr_arg(lang, key, &number(lang, whole));
    if rest != 0 {
        text.push_str(&format!(" + {}", number(lang, rest)));
    }
    Some(text)
}

/// "12,000" or, with a pack size, "12,000 (120 packs)"; less than a pack shows units only.
pub fn units(lang: Lang, units: i64, pack_size: Option<i32>) -> String {
    match packs(lang, units, pack_size) {
        Some(packs) => format!("{} ({packs})", number(lang, units)),
        None => number(lang, units),
    }
}

pub fn shipment_status(ctx: &PageContext, status: ShipmentStatus) -> Markup {
    let class = match status {
        ShipmentStatus::Delivered => "badge ok",
        ShipmentStatus::Dispatched => "badge transit",
        ShipmentStatus::Cancelled => "badge off",
        ShipmentStatus::Draft => "badge",
    };
    html! { span class=(class) { (ctx.t(&format!("shipment.status.{status}"))) } }
}

/// A movement kind in words, "reversal of …" for a reversal.
pub fn movement_kind(lang: Lang, kind: &str, is_reversal: bool) -> String {
    let name = tr(lang, &format!("movement.{kind}"));
    if is_reversal {
        tr_arg(lang, "movement.reversal_of", &name)
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_show_whole_packs_only_when_there_are_some() {
        assert_eq!(units(Lang::En, 12_000, Some(100)), "12,000 (120 packs)");
        assert_eq!(units(Lang::En, 12_040, Some(100)), "12,040 (120 packs + 40)");
        assert_eq!(units(Lang::En, 40, Some(100)), "40");
        assert_eq!(units(Lang::Es, 84, None), "84");
        assert_eq!(packs(Lang::En, 571, Some(100)).as_deref(), Some("5 packs + 71"));
        assert_eq!(packs(Lang::En, 571, Some(500)).as_deref(), Some("1 pack + 71"));
        assert_eq!(packs(Lang::Es, 500, Some(500)).as_deref(), Some("1 paquete"));
        assert_eq!(packs(Lang::Es, 200, Some(250)), None, "never 0 + 200");
        assert_eq!(packs(Lang::En, 200, None), None);
    }
}
