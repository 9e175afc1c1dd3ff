//! Server functions' errors, answered with the HTTP status their kind calls for. Leptos answers
//! every server function error with a 500; a refusal or a request the caller must fix is not a
//! server failure, and the audit trail, the logs and the browser's network panel should say so.
//! The error's body is unchanged (the page still reads it as `AppError`).
use axum::{body::Body, extract::Request, http::StatusCode, middleware::Next, response::Response};

/// Server function error bodies are a sentence or a list of problems; anything larger is passed on.
const MAX_ERROR_BYTES: usize = 1 << 20;

/// Middleware: a server function's `AppError` gets `AppError::status()`.
pub async fn status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<app::api::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}
