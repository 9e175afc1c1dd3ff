//! S3's wire shapes: XML documents, the `<Error>` answer, and its two date formats.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// An S3 error answer: `<Error><Code>…</Code><Message>…</Message><Resource>…</Resource></Error>`.
#[derive(Debug)]
pub struct S3Error {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The path the request named.
    pub resource: String,
}

impl S3Error {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        S3Error { status, code, message: message.into(), resource: String::new() }
    }

    pub fn access_denied(user: &str, action: &str, resource: &str) -> Self {
        S3Error::new(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            format!("User: {user} is not authorized to perform: {action} on resource: {resource}"),
        )
    }

    pub fn not_implemented(what: impl std::fmt::Display) -> Self {
        S3Error::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", format!("{what} is not supported by Sluice"))
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        S3Error::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
    }

    pub fn with_resource(mut self, resource: &str) -> Self {
        self.resource = resource.to_owned();
        self
    }
}

/// The object store's own errors (`NoSuchKey`, `InvalidBucketName`, …) already carry S3's codes.
impl From<crate::objects::ApiError> for S3Error {
    fn from(err: crate::objects::ApiError) -> Self {
        let (status, code, message) = err.into_parts();
        S3Error::new(status, code, message)
    }
}

impl From<engine::objects::ObjectError> for S3Error {
    fn from(err: engine::objects::ObjectError) -> Self {
        crate::objects::ApiError::from(err).into()
    }
}

impl IntoResponse for S3Error {
    fn into_response(self) -> Response {
        let body = format!(
            "<Error><Code>{}</Code><Message>{}</Message><Resource>{}</Resource></Error>",
            self.code,
            escape(&self.message),
            escape(&self.resource)
        );
        xml_response(self.status, body)
    }
}

/// A document with the XML declaration in front.
pub fn xml_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}")).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    response
}

/// `<name>text</name>`, the text escaped.
pub fn element(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", escape(text))
}

/// Text escaped for XML; characters XML 1.0 cannot carry at all become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push_str(&format!("&#{};", c as u32)),
            c if (c as u32) < 0x20 => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `2026-12-03T18:57:23.000Z`, as S3's listings write times.
pub fn iso_time(ms: i64) -> String {
    let seconds = model::time::rfc3339(ms);
    format!("{}.{:03}Z", seconds.trim_end_matches('Z'), ms.rem_euclid(1000))
}

/// `Thu, 03 Dec 2026 18:57:23 GMT`, as `Last-Modified` carries it.
pub fn http_date(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let seconds = ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let (year, month, day) = model::time::civil_from_days(days);
    let rest = seconds.rem_euclid(86_400);
    format!(
        "{}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1).clamp(0, 11) as usize],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_written_as_s3_writes_them() {
        // 2026-12-03T18:57:23.042Z was a Thursday.
        let ms = 1_796_324_243_042;
        assert_eq!(super::iso_time(ms), "2026-12-03T18:57:23.042Z");
        assert_eq!(super::http_date(ms), "Thu, 03 Dec 2026 18:57:23 GMT");
        assert_eq!(super::http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(super::escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}");
    }
}
