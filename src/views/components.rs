//! Pieces every page reuses: form fields with their messages, tables, pagination, badges.

use crate::i18n::{invalid, number};
use crate::views::form::FormState;
use crate::views::page::PageContext;
use maud::{html, Markup};

/// The hidden CSRF field every POST form carries.
pub fn csrf(ctx: &PageContext) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(ctx.csrf); }
}

fn error_id(name: &str) -> String {
    format!("{name}-error")
}

fn field_error(ctx: &PageContext, form: &FormState, name: &str) -> Markup {
    html! {
        @if let Some(e) = form.errors.get(name) {
            p.field-error id=(error_id(name)) { (invalid(ctx.lang, e)) }
        }
    }
}

/// A labelled input that keeps what was typed and shows its message beside it.
pub fn input(ctx: &PageContext, form: &FormState, name: &str, label_key: &str, kind: &str, required: bool) -> Markup {
    input_with_hint(ctx, form, name, label_key, kind, required, None)
}

/// Like `input`, with a hint line under the label.
pub fn input_with_hint(
    ctx: &PageContext,
    form: &FormState,
    name: &str,
    label_key: &str,
    kind: &str,
    required: bool,
    hint_key: Option<&str>,
) -> Markup {
    let autocomplete = match kind {
        "password" => Some("new-password"),
        _ => None,
    };
    field_input(ctx, form, Field { name, label_key, kind, required, hint_key, autocomplete })
}

/// Like `input`, with an `autocomplete` token (WCAG 1.3.5: fields about the person filling them in).
pub fn input_autocomplete(
    ctx: &PageContext,
    form: &FormState,
    name: &str,
    label_key: &str,
    kind: &str,
    required: bool,
    autocomplete: &str,
) -> Markup {
    field_input(ctx, form, Field { name, label_key, kind, required, hint_key: None, autocomplete: Some(autocomplete) })
}

struct Field<'a> {
    name: &'a str,
    label_key: &'a str,
    kind: &'a str,
    required: bool,
    hint_key: Option<&'a str>,
    autocomplete: Option<&'a str>,
}

fn field_input(ctx: &PageContext, form: &FormState, field: Field<'_>) -> Markup {
    let Field { name, label_key, kind, required, hint_key, autocomplete } = field;
    let has_error = form.errors.get(name).is_some();
    let hint_id = format!("{name}-hint");
    let described = match (has_error, hint_key.is_some()) {
        (true, true) => Some(format!("{} {hint_id}", error_id(name))),
        (true, false) => Some(error_id(name)),
        (false, true) => Some(hint_id.clone()),
        (false, false) => None,
    };
    html! {
        div.field.has-error[has_error] {
            label for=(name) { (ctx.t(label_key)) @if required { " " abbr.req title=(ctx.t("form.required")) { "*" } } }
            @if let Some(hint) = hint_key { p.hint id=(hint_id) { (ctx.t(hint)) } }
            (field_error(ctx, form, name))
            input id=(name) name=(name) type=(kind)
                value=[(kind != "password").then(|| form.value(name))]
                required[required]
                autocomplete=[autocomplete]
                aria-invalid=[has_error.then_some("true")]
                aria-describedby=[described];
        }
    }
}

/// A labelled multi-line text box.
pub fn textarea(ctx: &PageContext, form: &FormState, name: &str, label_key: &str) -> Markup {
    let has_error = form.errors.get(name).is_some();
    html! {
        div.field.has-error[has_error] {
            label for=(name) { (ctx.t(label_key)) }
            (field_error(ctx, form, name))
            textarea id=(name) name=(name) rows="3"
                aria-invalid=[has_error.then_some("true")]
                aria-describedby=[has_error.then(|| error_id(name))] { (form.value(name)) }
        }
    }
}

/// A labelled select; `options` are (value, text); the typed value stays selected.
pub fn select(
    ctx: &PageContext,
    form: &FormState,
    name: &str,
    label_key: &str,
    options: &[(String, String)],
    required: bool,
) -> Markup {
    let has_error = form.errors.get(name).is_some();
    let chosen = form.value(name);
    html! {
        div.field.has-error[has_error] {
            label for=(name) { (ctx.t(label_key)) @if required { " " abbr.req title=(ctx.t("form.required")) { "*" } } }
            (field_error(ctx, form, name))
            select id=(name) name=(name) required[required]
                aria-invalid=[has_error.then_some("true")]
                aria-describedby=[has_error.then(|| error_id(name))] {
                option value="" { (ctx.t("form.choose")) }
                @for (value, text) in options {
                    option value=(value) selected[value == chosen] { (text) }
                }
            }
        }
    }
}

/// A labelled checkbox.
pub fn checkbox(ctx: &PageContext, form: &FormState, name: &str, label_key: &str) -> Markup {
    let checked = crate::views::form::checkbox(form.value(name));
    let has_error = form.errors.get(name).is_some();
    html! {
        div.field.checkbox.has-error[has_error] {
            input id=(name) name=(name) type="checkbox" checked[checked]
                aria-invalid=[has_error.then_some("true")]
                aria-describedby=[has_error.then(|| error_id(name))];
            label for=(name) { (ctx.t(label_key)) }
            (field_error(ctx, form, name))
        }
    }
}

/// The line that explains the asterisk, for forms with required fields (WCAG 3.3.2).
pub fn required_note(ctx: &PageContext) -> Markup {
    html! {
        p.hint.required-note { (ctx.t("form.required_note")) }
    }
}

/// A table that scrolls sideways on its own on narrow screens instead of the whole page
/// (WCAG 1.4.10): a named region that keyboard users can focus to scroll it (axe
/// scrollable-region-focusable).
pub fn table_region(label: &str, table: Markup) -> Markup {
    html! {
        div.table-wrap role="region" aria-label=(label) tabindex="0" { (table) }
    }
}

/// The message about the whole form, if any.
pub fn form_error(ctx: &PageContext, form: &FormState) -> Markup {
    html! {
        @if let Some(e) = &form.form_error {
            div.form-error role="alert" {
                (invalid(ctx.lang, e))
                @if let Some(path) = &form.already_recorded {
                    " " a href=(path) { (ctx.t("form.already_recorded")) }
                }
            }
        } @else if !form.errors.is_empty() {
            div.form-error role="alert" { (ctx.t("form.fix_errors")) }
        } @else if !form.questions.is_empty() {
            div.form-error role="alert" { (ctx.t("question.alert")) }
        }
    }
}

/// What must be confirmed before the same post goes through, inside the form: each question
/// in words, and one box per kind of question to tick.
pub fn questions(ctx: &PageContext, form: &FormState) -> Markup {
    use crate::domain::Question;
    let mut codes: Vec<&'static str> = form.questions.iter().map(Question::code).collect();
    codes.dedup();
    html! {
        @if !form.questions.is_empty() {
            fieldset.questions {
                legend { (ctx.t("question.title")) }
                @for code in codes {
                    ul {
                        @for q in form.questions.iter().filter(|q| q.code() == code) {
                            li { (question(ctx, q)) }
                        }
                    }
                    div.field.checkbox {
                        input id=(format!("confirm-{code}")) type="checkbox" name="confirm" value=(code);
                        label for=(format!("confirm-{code}")) { (ctx.t(&format!("question.confirm.{code}"))) }
                    }
                }
            }
        }
    }
}

/// One question in the reader's language.
fn question(ctx: &PageContext, q: &crate::domain::Question) -> Markup {
    use crate::domain::Question;
    let lang = ctx.lang;
    match q {
        Question::OverLimit { material, quantity, limit, print_run } => {
            let key = if *print_run { "question.over_limit.print_run" } else { "question.over_limit.limit" };
            let text = crate::i18n::tr_args(
                lang,
                key,
                &[
                    ("quantity", &number(lang, i64::from(*quantity))),
                    ("material", material.get(lang)),
                    ("limit", &number(lang, i64::from(*limit))),
                ],
            );
            html! { (text) }
        }
        Question::LikelyDuplicate { earlier, minutes_ago } => {
            let mut what = crate::i18n::tr_args(
                lang,
                &format!("question.what.{}", earlier.kind),
                &[
                    ("units", &number(lang, earlier.units)),
                    ("material", earlier.material.get(lang)),
                    ("place", &earlier.place),
                ],
            );
            if !earlier.reference.is_empty() {
                what.push_str(&crate::i18n::tr_arg(lang, "question.reference", &earlier.reference));
            }
            let when = match minutes_ago {
                0 => ctx.t("question.when.now"),
                1 => ctx.t("question.when.one"),
                n => crate::i18n::tr_arg(lang, "question.when.many", &n.to_string()),
            };
            let text = crate::i18n::tr_args(lang, "question.duplicate", &[("what", &what), ("when", &when)]);
            html! { (text) " " a href=(earlier.path) { (earlier.label) } }
        }
        Question::BeforeCampaign { date, starts_on, campaign } => {
            let text = crate::i18n::tr_args(
                lang,
                "question.before_campaign",
                &[("date", &date.to_string()), ("starts_on", &starts_on.to_string()), ("campaign", campaign.get(lang))],
            );
            html! { (text) }
        }
    }
}

/// Previous/next links that keep the other query parameters.
pub fn pagination(ctx: &PageContext, base_query: &str, page: i64, page_count: i64, total: i64) -> Markup {
    let link = |p: i64| {
        if base_query.is_empty() {
            format!("{}?page={p}", ctx.path)
        } else {
            format!("{}?{base_query}&page={p}", ctx.path)
        }
    };
    html! {
        nav.pagination aria-label=(ctx.t("list.pages")) {
            p {
                (crate::i18n::tr_arg(ctx.lang, "list.total", &number(ctx.lang, total)))
                " · "
                (crate::i18n::tr(ctx.lang, "list.page")) " " (page) " / " (page_count)
            }
            @if page > 1 { a rel="prev" href=(link(page - 1)) { "← " (ctx.t("list.previous")) } }
            @if page < page_count { a rel="next" href=(link(page + 1)) { (ctx.t("list.next")) " →" } }
        }
    }
}

/// Links of a keyset page: first, previous, next, last, each carrying the sort key it starts
/// from, and the total ("1,234" or "more than 10,000").
pub fn keyset_nav<T>(ctx: &PageContext, base_query: &str, window: &crate::models::keyset::Window<T>) -> Markup {
    use crate::models::keyset::Total;
    let link = |extra: Option<(&str, &str)>| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(base_query.as_bytes()) {
            s.append_pair(&k, &v);
        }
        if let Some((k, v)) = extra {
            s.append_pair(k, v);
        }
        let q = s.finish();
        if q.is_empty() {
            ctx.path.clone()
        } else {
            format!("{}?{q}", ctx.path)
        }
    };
    let total = match window.total {
        Total::Exact(n) => crate::i18n::tr_arg(ctx.lang, "list.total", &number(ctx.lang, n)),
        Total::MoreThan(n) => crate::i18n::tr_arg(ctx.lang, "list.total_more", &number(ctx.lang, n)),
        Total::Uncounted => ctx.t("list.total_uncounted"),
    };
    html! {
        nav.pagination aria-label=(ctx.t("list.pages")) {
            p { (total) }
            @if let Some(key) = &window.newer {
                a href=(link(None)) { "« " (ctx.t("list.first")) }
                a rel="prev" href=(link(Some(("before", key)))) { "← " (ctx.t("list.previous")) }
            }
            @if let Some(key) = &window.older {
                a rel="next" href=(link(Some(("after", key)))) { (ctx.t("list.next")) " →" }
                a href=(link(Some(("last", "1")))) { (ctx.t("list.last")) " »" }
            }
        }
    }
}

/// A heading with an optional action button beside it.
pub fn heading(title: &str, action: Option<(&str, String)>) -> Markup {
    html! {
        div.page-heading {
            h1 { (title) }
            @if let Some((href, text)) = action {
                a.button href=(href) { (text) }
            }
        }
    }
}

/// Active/inactive badge.
pub fn status_badge(ctx: &PageContext, active: bool) -> Markup {
    html! {
        @if active {
            span.badge.ok { (ctx.t("status.active")) }
        } @else {
            span.badge.off { (ctx.t("status.inactive")) }
        }
    }
}

/// A filter's control with its label, its hint and, when it was refused, its message beside it.
pub fn filter_field(
    ctx: &PageContext,
    errors: &crate::views::form::FieldErrors,
    name: &str,
    label_key: &str,
    hint_key: Option<&str>,
    control: Markup,
) -> Markup {
    let error = errors.get(name);
    html! {
        div.field.has-error[error.is_some()] {
            label for=(name) { (ctx.t(label_key)) }
            @if let Some(hint) = hint_key { p.hint id=(format!("{name}-hint")) { (ctx.t(hint)) } }
            @if let Some(e) = error { p.field-error id=(format!("{name}-error")) { (crate::i18n::invalid(ctx.lang, e)) } }
            (control)
        }
    }
}

/// What a list's filter form says at its top when a filter was refused.
pub fn filter_refusal(ctx: &PageContext, refusal: Option<&crate::domain::Invalid>) -> Markup {
    html! {
        @if let Some(refusal) = refusal {
            div.form-error.field.full role="alert" { (crate::i18n::invalid(ctx.lang, refusal)) }
        }
    }
}

/// `aria-describedby` for a filter with an optional hint and message.
pub fn described_by(errors: &crate::views::form::FieldErrors, name: &str, hint: bool) -> Option<String> {
    let mut ids = Vec::new();
    if errors.get(name).is_some() {
        ids.push(format!("{name}-error"));
    }
    if hint {
        ids.push(format!("{name}-hint"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A filter's select: "all" first, then the options; its message beside it when refused.
pub fn filter_select(
    ctx: &PageContext,
    errors: &crate::views::form::FieldErrors,
    name: &str,
    label_key: &str,
    chosen: &str,
    options: &[(String, String)],
) -> Markup {
    let invalid = errors.get(name).is_some();
    filter_field(
        ctx,
        errors,
        name,
        label_key,
        None,
        html! {
            select id=(name) name=(name) aria-invalid=[invalid.then_some("true")] aria-describedby=[described_by(errors, name, false)] {
                option value="" { (ctx.t("filter.all")) }
                @for (value, text) in options { option value=(value) selected[chosen == value] { (text) } }
            }
        },
    )
}

/// A filter's text or date input, with an optional hint; its message beside it when refused.
pub fn filter_input(
    ctx: &PageContext,
    errors: &crate::views::form::FieldErrors,
    name: &str,
    label_key: &str,
    kind: &str,
    value: &str,
    hint_key: Option<&str>,
) -> Markup {
    let invalid = errors.get(name).is_some();
    // A date field keeps what was typed even when it is no date: as text, since a date input's
    // value must be a date (the message beside it says what is wrong).
    let unreadable_date =
        kind == "date" && !value.is_empty() && chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err();
    let kind = if unreadable_date { "text" } else { kind };
    filter_field(
        ctx,
        errors,
        name,
        label_key,
        hint_key,
        html! {
            input id=(name) name=(name) type=(kind) value=(value)
                aria-invalid=[invalid.then_some("true")]
                aria-describedby=[described_by(errors, name, hint_key.is_some())];
        },
    )
}

/// "Download CSV · CSV for Excel · Download Excel" for a list or dashboard block; `query` is the
/// page's filters. CSV for Excel has a BOM and, in Spanish, `;` between columns: what a Spanish
/// Excel opens right with a double click, so a Spanish page offers it first.
pub fn download_links(ctx: &PageContext, kind: crate::exchange::export::Kind, query: &str) -> Markup {
    let plain = if query.is_empty() { String::new() } else { format!("?{query}") };
    let excel = if query.is_empty() { "?excel=1".to_string() } else { format!("?{query}&excel=1") };
    let csv =
        html! { a href=(format!("/export/{}.csv{plain}", kind.as_str())) download { (ctx.t("export.download_csv")) } };
    let csv_excel = html! { a href=(format!("/export/{}.csv{excel}", kind.as_str())) download { (ctx.t("export.download_csv_excel")) } };
    html! {
        p.downloads {
            @if ctx.lang == crate::domain::Lang::Es { (csv_excel) " · " (csv) } @else { (csv) " · " (csv_excel) }
            " · "
            a href=(format!("/export/{}.xlsx{plain}", kind.as_str())) download { (ctx.t("export.download_xlsx")) }
        }
    }
}

/// Percent-encodes a value for a query string.
pub fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
