//! Every request gets an id: on the logs of everything done for it (a tracing span around the
//! request), in the `x-request-id` answer header, and for an API call as its `x-amzn-RequestId`
//! and the audit record's `requestID`. One id ties a client's report to the server's logs and
//! the audit trail.
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The id of the request being served (in the request's extensions).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Middleware: assigns the id, logs under it, and answers it.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path());
    let mut response = next.run(request).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
