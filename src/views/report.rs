//! The printable campaign report, written from the data in the manner of the source document:
//! "Design and production of sixty thousand (60,000) posters … distributed among … in N regions".

use crate::domain::Lang;
use crate::i18n::{count_words, gender_of, needs_de, number, number_words, tr, Gender};
use crate::models::campaign::Campaign;
use crate::reports::campaign::{CampaignReport, MaterialReport, TypeLine};
use crate::reports::coverage::DashboardQuery;
use crate::views::layout::page;
use crate::views::page::PageContext;
use maud::{html, Markup};

/// "sixty thousand (60,000)", agreeing with the noun that follows: "una (1)", "un millón
/// (1.000.000) de".
fn quantity(lang: Lang, n: i64, gender: Gender) -> String {
    let mut text = format!("{} ({})", count_words(lang, n, gender), number(lang, n));
    if needs_de(lang, n) {
        text.push_str(" de");
    }
    text
}

/// The same for a number that stands alone, with no noun after it: "veintiuno (21)", but
/// "veintiuna (21)" for a feminine noun.
fn quantity_alone(lang: Lang, n: i64, gender: Gender) -> String {
    let words = if gender == Gender::Feminine { count_words(lang, n, gender) } else { number_words(lang, n) };
    format!("{words} ({})", number(lang, n))
}

/// "a, b and c" / "a, b y c"
fn list(lang: Lang, items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {} {last}", init.join(", "), tr(lang, "report.and")),
    }
}

fn type_phrase(lang: Lang, t: &TypeLine) -> String {
    let key = format!("type_plural.{}", t.code);
    let plural = tr(lang, &key);
    let name = if plural == key {
        match lang {
            Lang::En => t.name_en.clone(),
            Lang::Es => t.name_es.clone(),
        }
    } else {
        plural
    };
    format!("{} {name}", number(lang, t.places))
}

/// The paragraph about one material.
pub fn sentence(lang: Lang, m: &MaterialReport) -> String {
    let noun_key = format!("kind_plural.{}", m.material.kind);
    let gender = gender_of(lang, &noun_key);
    let noun = match m.material.planned_quantity {
        1 => tr(lang, &format!("kind_one.{}", m.material.kind)),
        _ => tr(lang, &noun_key),
    };
    // Keys of sentences whose pronoun agrees with a feminine noun end in `.f`.
    let agreeing = |key: &str| if gender == Gender::Feminine { format!("{key}.f") } else { key.to_string() };
    if m.material.is_broadcast() {
        return tr(lang, "report.broadcast")
            .replace("%{quantity}", &quantity(lang, i64::from(m.material.planned_quantity), gender))
            .replace("%{noun}", &noun)
            .replace("%{airings}", &number(lang, m.airings))
            .replace("%{outlets}", &number(lang, m.outlets_state + m.outlets_private))
            .replace("%{state}", &number(lang, m.outlets_state))
            .replace("%{private}", &number(lang, m.outlets_private));
    }
    let mut text = tr(lang, "report.produced")
        .replace("%{quantity}", &quantity(lang, i64::from(m.material.planned_quantity), gender))
        .replace("%{noun}", &noun)
        .replace("%{name}", m.material.name(lang));
    text.push(' ');
    if m.distributed <= 0 {
        text.push_str(&tr(lang, &agreeing("report.none_distributed")));
        return text;
    }
    let percent = if m.material.planned_quantity > 0 {
        (m.distributed as f64 * 100.0 / f64::from(m.material.planned_quantity)).round() as i64
    } else {
        0
    };
    let types: Vec<String> = m.by_type.iter().filter(|t| t.places > 0).map(|t| type_phrase(lang, t)).collect();
    let regions: Vec<String> = m.by_region.iter().map(|(name, _)| name.get(lang).to_string()).collect();
    let in_regions = (!regions.is_empty()).then(|| {
        let count = regions.len() as i64;
        let word = if count == 1 { "report.region_one" } else { "report.region_many" };
        tr(lang, "report.in_regions")
            .replace("%{regions}", &quantity(lang, count, gender_of(lang, "report.region_many")))
            .replace("%{region_word}", &tr(lang, word))
            .replace("%{region_list}", &list(lang, &regions))
    });
    let abroad =
        (m.abroad_places > 0).then(|| tr(lang, "report.abroad").replace("%{n}", &number(lang, m.abroad_places)));
    let place = match (in_regions, abroad) {
        (Some(r), Some(a)) => format!("{r} {} {a}", tr(lang, "report.and")),
        (Some(r), None) => r,
        (None, Some(a)) => a,
        (None, None) => String::new(),
    };
    let distributed_key = if m.distributed == 1 { "report.distributed.one" } else { "report.distributed" };
    text.push_str(
        &tr(lang, &agreeing(distributed_key))
            .replace("%{distributed}", &quantity_alone(lang, m.distributed, gender))
            .replace("%{percent}", &number(lang, percent))
            .replace("%{places}", &list(lang, &types))
            .replace("%{where}", &place),
    );
    text
}

pub fn page_view(ctx: &PageContext, campaign: &Campaign, q: &DashboardQuery, r: &CampaignReport) -> Markup {
    let title = format!("{} · {}", ctx.t("report.title"), campaign.name(ctx.lang));
    page(
        ctx,
        &title,
        html! {
            article.report {
                header {
                    h1 { (campaign.name(ctx.lang)) }
                    p.meta { (campaign.owner(ctx.lang)) }
                    p.meta { (ctx.t("report.period")) " " (q.from) " – " (q.to) }
                    p.no-print { button.secondary type="button" data-print="" { (ctx.t("action.print")) } " " a href=(format!("/dashboard?campaign={}&from={}&to={}", campaign.id, q.from, q.to)) { (ctx.t("dashboard.title")) } }
                }
                h2 { (ctx.t("report.summary")) }
                ul.report-points {
                    @for m in &r.materials { li { (sentence(ctx.lang, m)) } }
                }
                h2 { (ctx.t("report.tables")) }
                div.table-wrap role="region" aria-label=(ctx.t("dashboard.by_material")) tabindex="0" {
                table {
                    caption { (ctx.t("dashboard.by_material")) }
                    thead { tr {
                        th scope="col" { (ctx.t("field.material")) }
                        th scope="col" .num { (ctx.t("field.planned_quantity")) }
                        th scope="col" .num { (ctx.t("stock.received")) }
                        th scope="col" .num { (ctx.t("stock.distributed")) }
                        th scope="col" .num { (ctx.t("dashboard.share_distributed")) }
                    } }
                    tbody {
                        @for m in &r.materials {
                            tr {
                                th scope="row" { (m.material.name(ctx.lang)) }
                                td.num { (number(ctx.lang, i64::from(m.material.planned_quantity))) }
                                @if m.material.is_broadcast() {
                                    td.num colspan="3" { (crate::i18n::tr_arg(ctx.lang, "dashboard.airings", &number(ctx.lang, m.airings))) }
                                } @else {
                                    td.num { (number(ctx.lang, m.received)) }
                                    td.num { (number(ctx.lang, m.distributed)) }
                                    td.num {
                                        @if m.material.planned_quantity > 0 {
                                            (number(ctx.lang, (m.distributed as f64 * 100.0 / f64::from(m.material.planned_quantity)).round() as i64)) " %"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                }
                @for m in r.materials.iter().filter(|m| !m.by_region.is_empty()) {
                    div.table-wrap role="region" aria-label=(format!("{}: {}", m.material.name(ctx.lang), ctx.t("report.by_region"))) tabindex="0" {
                        table {
                            caption { (m.material.name(ctx.lang)) ": " (ctx.t("report.by_region")) }
                            thead { tr { th scope="col" { (ctx.t("field.region")) } th scope="col" .num { (ctx.t("stock.distributed")) } } }
                            tbody {
                                @for (region, units) in &m.by_region { tr { th scope="row" { (region.get(ctx.lang)) } td.num { (number(ctx.lang, *units)) } } }
                            }
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Names;
    use crate::models::material::Material;
    use crate::reports::campaign::MaterialReport;

    fn material(kind: &str, planned: i32) -> Material {
        let at = chrono::NaiveDate::from_ymd_opt(2005, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("date");
        Material {
            id: crate::domain::MaterialId(1),
            campaign_id: 1,
            code: "X".into(),
            name_en: "The material".into(),
            name_es: "El material".into(),
            kind: kind.into(),
            planned_quantity: planned,
            pack_size: None,
            supplier: String::new(),
            language: "es".into(),
            unit: String::new(),
            created_at: at,
            updated_at: at,
            quantity_limit: None,
        }
    }

    /// A report of `n` distributed to one school in each of `regions` regions, and to places abroad.
    fn report(kind: &str, n: i64, regions: usize, abroad: i64) -> MaterialReport {
        let names = ["Lara", "Mérida", "Zulia", "Aragua", "Barinas"];
        MaterialReport {
            material: material(kind, i32::try_from(n.max(1)).unwrap_or(i32::MAX)),
            received: n,
            distributed: n,
            by_type: vec![TypeLine {
                code: "school".into(),
                name_en: "School".into(),
                name_es: "Escuela".into(),
                places: regions as i64,
                units: n,
            }],
            by_region: (0..regions)
                .map(|i| (Names { en: names[i % 5].into(), es: names[i % 5].into() }, n / regions.max(1) as i64))
                .collect(),
            abroad_places: abroad,
            abroad_units: if abroad > 0 { 1 } else { 0 },
            airings: 0,
            outlets_state: 0,
            outlets_private: 0,
        }
    }

    #[test]
    fn numbers_in_words_agree_with_their_nouns() {
        // Masculine: afiches.
        let es = sentence(Lang::Es, &report("poster", 1, 1, 0));
        assert!(es.starts_with("Diseño y producción de un (1) afiche (El material)."), "{es}");
        assert!(es.contains("De ellos, uno (1) (100 %) se distribuyó entre"), "{es}");
        assert!(es.contains("en una (1) región (Lara)"), "{es}");
        let es = sentence(Lang::Es, &report("poster", 21, 21, 0));
        assert!(es.contains("de veintiún (21) afiches"), "{es}");
        assert!(es.contains("en veintiuna (21) regiones"), "{es}");
        assert!(es.contains("De ellos, veintiuno (21) (100 %) se distribuyeron"), "{es}");
        let es = sentence(Lang::Es, &report("poster", 100, 1, 0));
        assert!(es.contains("de cien (100) afiches"), "{es}");
        let es = sentence(Lang::Es, &report("poster", 1_000_000, 1, 0));
        assert!(es.contains("de un millón (1.000.000) de afiches"), "{es}");
        // Feminine: hojas informativas.
        let es = sentence(Lang::Es, &report("leaflet", 21, 1, 0));
        assert!(es.contains("de veintiuna (21) hojas informativas"), "{es}");
        assert!(es.contains("De ellas, veintiuna (21)"), "{es}");
        let es = sentence(Lang::Es, &report("leaflet", 200, 1, 0));
        assert!(es.contains("de doscientas (200) hojas informativas"), "{es}");
        let es = sentence(Lang::Es, &report("leaflet", 1_000_000, 1, 0));
        assert!(es.contains("de un millón (1.000.000) de hojas informativas"), "{es}");
        let es = sentence(Lang::Es, &report("leaflet", 0, 1, 0));
        assert!(es.ends_with("Ninguna se distribuyó en este período."), "{es}");
        // English keeps its numbers.
        let en = sentence(Lang::En, &report("poster", 21, 21, 0));
        assert!(en.contains("of twenty-one (21) posters") && en.contains("in twenty-one (21) regions"), "{en}");
        let en = sentence(Lang::En, &report("leaflet", 1_000_000, 1, 0));
        assert!(en.contains("of one million (1,000,000) leaflets") && en.contains("in one (1) region (Lara)"), "{en}");
    }

    #[test]
    fn abroad_is_not_a_region() {
        let es = sentence(Lang::Es, &report("leaflet", 5_000, 11, 9));
        assert!(es.contains("en once (11) regiones ("), "{es}");
        assert!(es.contains(") y en 9 embajadas y consulados en el exterior."), "{es}");
        assert!(!es.contains("doce"), "{es}");
        let en = sentence(Lang::En, &report("leaflet", 5_000, 11, 9));
        assert!(
            en.contains("in eleven (11) regions (") && en.contains(") and at 9 embassies and consulates abroad."),
            "{en}"
        );
        let mut only = report("leaflet", 5_000, 0, 3);
        only.by_type = vec![TypeLine {
            code: "embassy".into(),
            name_en: "Embassy".into(),
            name_es: "Embajada".into(),
            places: 3,
            units: 5_000,
        }];
        let only = sentence(Lang::Es, &only);
        assert!(
            only.ends_with("se distribuyeron entre 3 embajadas en 3 embajadas y consulados en el exterior."),
            "{only}"
        );
    }
}
