//! Renders every error response that has no page of its own (403, 404, 500, …) as a friendly
//! page in the person's language.

use crate::views;
use crate::web::security;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::HttpMessage;

/// For `ErrorHandlers::default_handler`: replace bodiless error responses with a page.
pub fn render<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let status = res.status();
    if is_html || status.is_redirection() || status.is_success() {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, res) = res.into_parts();
    let lang = security::request_lang(&req);
    let signed_in = req.extensions().get::<crate::web::ctx::CurrentUser>().is_some();
    let markup = views::errors::page(lang, status.as_u16(), signed_in);
    let mut new_res = res.set_body(BoxBody::new(markup.into_string()));
    new_res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, new_res).map_into_right_body()))
}
