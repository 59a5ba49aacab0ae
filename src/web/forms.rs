//! Posted forms: the body is read once, the CSRF token and Origin are checked before any handler
//! sees a field, and validation errors are collected per field.

use crate::domain::Invalid;
use crate::views::form::{FieldErrors, FormState};
use crate::web::state::AppState;
use crate::web::{security, AppError};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// The largest form body accepted; larger ones are refused before they are read whole.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// A urlencoded POST body whose CSRF token and Origin have been checked.
pub struct PostForm {
    pairs: Vec<(String, String)>,
    /// The language the form was shown in: how its numbers are written.
    lang: crate::domain::Lang,
}

impl PostForm {
    /// The language the person filled the form in; quantities are read as it writes them.
    pub fn lang(&self) -> crate::domain::Lang {
        self.lang
    }

    /// The questions the person answered yes to: the `confirm` boxes they ticked.
    pub fn answers(&self) -> crate::domain::Answers {
        crate::domain::Answers::from_codes(self.all("confirm"))
    }

    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    /// Every value of a repeated field (checkbox lists, multi-selects).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// The body without tokens and passwords, safe to park while the person signs in again.
    pub fn without_secrets(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if k == "csrf_token" || k.contains("password") {
                continue;
            }
            out.append_pair(k, v);
        }
        out.finish()
    }

    /// Every (name, value) pair as posted.
    pub fn values_all(&self) -> Vec<(String, String)> {
        self.pairs.clone()
    }

    /// All fields as a map of first values, for re-rendering a form.
    pub fn values(&self) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        for (k, v) in &self.pairs {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        map
    }
}

impl FromRequest for PostForm {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::BadRequest("application state missing".into()))?;
            if !security::origin_allowed(&req, state.config.public_url.as_deref()) {
                log::warn!("refused a POST to {} from a foreign Origin", req.path());
                return Err(AppError::Forbidden);
            }
            let bytes = actix_web::rt::time::timeout(state.config.body_timeout.form, body)
                .await
                .map_err(|_| AppError::BodyTimeout)?
                .map_err(|_| AppError::BadRequest("unreadable form body".into()))?;
            if bytes.len() > MAX_FORM_BYTES {
                return Err(AppError::BadRequest("form too large".into()));
            }
            // Invalid UTF-8 becomes U+FFFD rather than an error; validation then refuses it.
            let pairs: Vec<(String, String)> =
                url::form_urlencoded::parse(&bytes).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            let form = PostForm { pairs, lang: security::request_lang(&req) };
            let browser = security::browser_id(&req);
            let expected = security::csrf_token(&state.session_key, &browser);
            if browser.is_new() || !security::tokens_match(form.get("csrf_token"), &expected) {
                log::warn!("refused a POST to {} without a valid CSRF token", req.path());
                return Err(AppError::Forbidden);
            }
            Ok(form)
        })
    }
}

/// Why a post was not recorded, for its form to show.
#[derive(Debug)]
pub enum Refusal {
    /// A rule said no.
    Rule(Invalid),
    /// Something unusual to confirm first.
    Questions(Vec<crate::domain::Question>),
    /// The form's one-time key already recorded something else, there.
    KeyUsed { path: String },
}

/// The form as posted, with why it was not recorded.
pub fn refused(form: &PostForm, refusal: Refusal) -> FormState {
    let mut state = FormState::from_values(form.values());
    // A confirmation is asked for each time: boxes come back unticked.
    state.values.remove("confirm");
    match refusal {
        Refusal::Rule(invalid) => state.form_error = Some(invalid),
        Refusal::Questions(questions) => state.questions = questions,
        Refusal::KeyUsed { path } => {
            state.form_error = Some(Invalid::new("err.key_reused"));
            state.already_recorded = Some(path);
            state.set(crate::views::form::SUBMISSION_KEY, crate::views::form::new_submission_key());
        }
    }
    state
}

/// A name in both languages, from `{field}_en` and `{field}_es`: one may be left blank and takes
/// the other; both blank is "required" on both.
pub fn names(form: &PostForm, e: &mut FieldErrors, field: &str, max: usize) -> Option<crate::domain::Names> {
    let (en_field, es_field) = (format!("{field}_en"), format!("{field}_es"));
    let en = e.check(&en_field, crate::domain::OptionalText::parse(form.get(&en_field), max))?.into_inner();
    let es = e.check(&es_field, crate::domain::OptionalText::parse(form.get(&es_field), max))?.into_inner();
    match (en.is_empty(), es.is_empty()) {
        (true, true) => {
            e.add(&en_field, Invalid::new("err.required"));
            e.add(&es_field, Invalid::new("err.required"));
            None
        }
        (true, false) => Some(crate::domain::Names { en: es.clone(), es }),
        (false, true) => Some(crate::domain::Names { es: en.clone(), en }),
        (false, false) => Some(crate::domain::Names { en, es }),
    }
}

/// Parses an optional whole number typed in a form: empty is None.
pub fn optional_int(raw: &str) -> Result<Option<i32>, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.starts_with('-') {
        return Err(Invalid::new("err.negative"));
    }
    if !raw.chars().all(|c| c.is_ascii_digit()) {
        return Err(Invalid::new("err.not_a_number"));
    }
    raw.parse::<i32>().map(Some).map_err(|_| Invalid::with("err.too_large", i32::MAX))
}

/// Parses a required id chosen from a select.
pub fn required_id<Id: From<i32>>(raw: &str) -> Result<Id, Invalid> {
    match optional_int(raw) {
        Ok(Some(id)) => Ok(Id::from(id)),
        Ok(None) => Err(Invalid::new("err.required")),
        Err(_) => Err(Invalid::new("err.unknown_choice")),
    }
}

/// Parses a date typed as YYYY-MM-DD.
pub fn required_date(raw: &str) -> Result<chrono::NaiveDate, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Invalid::new("err.required"));
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| Invalid::new("err.date"))
}

/// The body's declared length, if any.
fn body_length(req: &HttpRequest) -> Option<usize> {
    req.headers().get(actix_web::http::header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Waits for the next piece of a body until `deadline`, the same for every piece.
async fn before<T>(deadline: actix_web::rt::time::Instant, next: impl Future<Output = T>) -> Result<T, AppError> {
    let left = deadline.saturating_duration_since(actix_web::rt::time::Instant::now());
    actix_web::rt::time::timeout(left, next).await.map_err(|_| AppError::BodyTimeout)
}

/// A multipart POST (a form with a file) whose Origin and CSRF token have been checked.
pub struct UploadForm {
    parts: Vec<UploadedPart>,
    /// The body passed the byte limit; reading stopped there and nothing after it is held.
    pub too_large: bool,
}

/// One part of a multipart body: a text field or a file.
pub struct UploadedPart {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

impl UploadForm {
    /// Reads the body up to `limit` bytes (plus room for the other fields), then checks the CSRF
    /// token, before the handler stores or parses anything.
    pub async fn read(
        state: &AppState,
        browser: &security::BrowserId,
        req: &HttpRequest,
        mut payload: actix_multipart::Multipart,
        limit: usize,
    ) -> Result<UploadForm, AppError> {
        use futures_util::StreamExt;
        if !security::origin_allowed(req, state.config.public_url.as_deref()) {
            log::warn!("refused an upload to {} from a foreign Origin", req.path());
            return Err(AppError::Forbidden);
        }
        let deadline = actix_web::rt::time::Instant::now() + state.config.body_timeout.upload;
        let unreadable = |_| AppError::BadRequest("unreadable upload".into());
        let mut form = UploadForm { parts: Vec::new(), too_large: false };
        let mut received = 0usize;
        'parts: while let Some(field) = before(deadline, payload.next()).await? {
            let mut field = field.map_err(unreadable)?;
            let name = field.name().unwrap_or_default().to_string();
            let filename = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_string);
            let mut data = Vec::new();
            // A file is about the body's size: room for it at once, not doubling as it arrives.
            if filename.is_some() {
                data.reserve_exact(body_length(req).unwrap_or(0).min(limit + 64 * 1024));
            }
            while let Some(chunk) = before(deadline, field.next()).await? {
                let chunk = chunk.map_err(unreadable)?;
                received += chunk.len();
                if received > limit + 64 * 1024 {
                    form.too_large = true;
                    break 'parts;
                }
                data.extend_from_slice(&chunk);
            }
            form.parts.push(UploadedPart { name, filename, data });
        }
        let expected = security::csrf_token(&state.session_key, browser);
        if browser.is_new() || !security::tokens_match(&form.text("csrf_token"), &expected) {
            log::warn!("refused an upload to {} without a valid CSRF token", req.path());
            return Err(AppError::Forbidden);
        }
        Ok(form)
    }

    /// The last value of a text field, or "" (invalid UTF-8 becomes U+FFFD; validation refuses it).
    pub fn text(&self, name: &str) -> String {
        self.parts
            .iter()
            .rev()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).into_owned())
            .unwrap_or_default()
    }

    /// The text fields (the parts that are not files), in the order posted, as a form read from
    /// an upload: one handler then serves both encodings.
    pub fn into_post_form(self, lang: crate::domain::Lang) -> PostForm {
        let pairs = self
            .parts
            .into_iter()
            .filter(|p| p.filename.is_none())
            .map(|p| (p.name, String::from_utf8_lossy(&p.data).into_owned()))
            .collect();
        PostForm { pairs, lang }
    }

    /// The last non-empty part posted under `name`, taken out of the form.
    pub fn take_file(&mut self, name: &str) -> Option<UploadedPart> {
        let at = self.parts.iter().rposition(|p| p.name == name && !p.data.is_empty())?;
        Some(self.parts.swap_remove(at))
    }
}
