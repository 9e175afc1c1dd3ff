//! `POST /connections/<id>/webhook`: where a connection's git host posts push and pull-request
//! events, without signing in; the host's signature under the connection's webhook secret is
//! the check (see `engine::connections::webhook`). Answers: 200 with the executions started
//! (or, for a redelivery, started before), 202 with the reason for an event that starts
//! nothing, 400 for a malformed body, 401 for a bad or missing signature, 403 for a connection
//! without a webhook secret, 404 for an unknown connection. Every delivery is audited.
use crate::auth::audit;
use crate::AppState;
use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use engine::connections::webhook::{DeliveryError, DeliveryOutcome, HostDelivery};
use serde_json::{json, Value};
use std::collections::HashMap;

/// GitHub sends payloads of up to 25 MB.
const MAX_DELIVERY_BYTES: usize = 25 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/connections/{id}/webhook", post(deliver))
}

/// Whether a path is a connection's webhook (its deliveries authenticate themselves).
pub fn is_webhook_path(path: &str) -> bool {
    let mut parts = path.split('/');
    matches!((parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(""), Some("connections"), Some(id), Some("webhook"), None) if !id.is_empty())
}

async fn deliver(State(state): State<AppState>, Path(id): Path<String>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let engine = &state.engine;
    let context =
        audit::CallContext::of_request(audit::API_SOURCE, "ConnectionWebhookDelivery".into(), &parts, engine.account());
    let Ok(body) = to_bytes(body, MAX_DELIVERY_BYTES).await else {
        return answer(StatusCode::PAYLOAD_TOO_LARGE, json!({ "message": "The delivery is larger than 25 MB." }));
    };
    let headers: HashMap<String, String> = parts
        .headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    let result = engine.deliver_to_connection(&id, HostDelivery { body: &body, headers: &headers }).await;
    let (status, reply) = match result {
        Ok(DeliveryOutcome::Started { executions, outcome }) => {
            (StatusCode::OK, json!({ "pipelineExecutions": executions, "outcome": outcome }))
        }
        Ok(DeliveryOutcome::Ignored(reason)) => (StatusCode::ACCEPTED, json!({ "ignored": reason })),
        Ok(DeliveryOutcome::Duplicate(earlier)) => (
            StatusCode::OK,
            json!({ "duplicate": true, "pipelineExecutions": earlier.executions, "outcome": earlier.outcome }),
        ),
        Err(err) => {
            let status = match &err {
                DeliveryError::ConnectionNotFound(_) => StatusCode::NOT_FOUND,
                DeliveryError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                DeliveryError::NoSecret(_) => StatusCode::FORBIDDEN,
                DeliveryError::Malformed(_) => StatusCode::BAD_REQUEST,
                DeliveryError::Engine(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let message = match status {
                StatusCode::INTERNAL_SERVER_ERROR => {
                    tracing::error!(error = %err, connection = %id, "a connection webhook delivery failed");
                    "The server could not handle the delivery; its log has the details.".to_owned()
                }
                _ => err.to_string(),
            };
            (status, json!({ "message": message }))
        }
    };
    let parameters = json!({ "connectionId": id, "status": status.as_u16(), "outcome": &reply });
    let code = format!("HTTP{}", status.as_u16());
    let error = (!status.is_success()).then(|| (code.as_str(), reply["message"].as_str().unwrap_or_default()));
    audit::append(engine, &context, &audit::CallIdentity::default(), &parameters, error).await;
    answer(status, reply)
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_connections_webhook_path_is_public() {
        assert!(super::is_webhook_path("/connections/0b1f3b1e-6d8b-4c4e-9d5a-2f9f3c1d7e11/webhook"));
        for other in ["/connections", "/connections//webhook", "/connections/x/webhook/more", "/connections/x"] {
            assert!(!super::is_webhook_path(other), "{other}");
        }
    }
}
