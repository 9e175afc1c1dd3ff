//! PutWebhook, ListWebhooks, DeleteWebhook, RegisterWebhookWithThirdParty and
//! DeregisterWebhookWithThirdParty, and the URL each webhook listens at
//! (`POST /webhooks/<token>`), which git hosts post to without signing in: the webhook's own
//! authentication (GitHub's HMAC, an address range, or none) is the check, and every delivery
//! is in the audit trail.
use super::error::{ApiError, ApiResult};
use super::tags::{check_tags, WireTag};
use super::wire::{epoch_seconds, offset_page, page_size};
use crate::auth::{audit, authorize, Caller};
use crate::AppState;
use axum::body::to_bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use engine::webhooks::delivery::{Delivery, Outcome};
use engine::webhooks::{Webhook, WebhookDefinition};
use engine::{EngineError, Refusal};
use serde::Deserialize;
use serde_json::{json, Value};

/// GitHub sends payloads of up to 25 MB.
const MAX_DELIVERY_BYTES: usize = 25 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/{token}", post(deliver))
}

/// Whether a path is a webhook's (its deliveries authenticate themselves).
pub fn is_webhook_path(path: &str) -> bool {
    path.starts_with("/webhooks/")
}

#[derive(Deserialize)]
pub struct PutInput {
    webhook: WebhookDefinition,
    #[serde(default)]
    tags: Vec<WireTag>,
}

pub async fn put(state: &AppState, caller: &Caller, input: PutInput) -> ApiResult<Value> {
    let engine = &state.engine;
    let arn = engine.webhook_arn(&input.webhook.name);
    // Checked on the target pipeline by the dispatcher; AWS checks the webhook's ARN as well,
    // and PutWebhook with tags needs TagResource.
    authorize(caller, "codepipeline:PutWebhook", &arn)?;
    if !input.tags.is_empty() {
        authorize(caller, "codepipeline:TagResource", &arn)?;
    }
    let existing = engine.tags(&arn).await?;
    let tags = check_tags(&input.tags, &existing, &arn)?;
    let webhook = engine.put_webhook(input.webhook, &tags).await?;
    let tags = engine.tags(&arn).await?;
    Ok(json!({ "webhook": item(state, &webhook, tags, arn) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListInput {
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub async fn list(state: &AppState, input: ListInput) -> ApiResult<Value> {
    let limit = page_size(input.max_results, 100, 100)? as usize;
    let webhooks = state.engine.webhooks().await?;
    let (page, next) = offset_page(webhooks, input.next_token.as_deref(), limit)?;
    let arns: Vec<String> = page.iter().map(|webhook| state.engine.webhook_arn(&webhook.definition.name)).collect();
    let mut tags = state.engine.tags_of(&arns).await?;
    let items: Vec<Value> = page
        .iter()
        .zip(arns)
        .map(|(webhook, arn)| item(state, webhook, tags.remove(&arn).unwrap_or_default(), arn))
        .collect();
    let mut answer = json!({ "webhooks": items });
    if let Some(next) = next {
        answer["NextToken"] = json!(next);
    }
    Ok(answer)
}

#[derive(Deserialize)]
pub struct DeleteInput {
    name: String,
}

pub async fn delete(state: &AppState, input: DeleteInput) -> ApiResult<Value> {
    state.engine.delete_webhook(&input.name).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThirdPartyInput {
    webhook_name: String,
}

/// Register and Deregister: AWS registers a webhook with GitHub through the OAuth token of a
/// GitHub (version 1) source action. Sluice does not run that action, so it holds no token to
/// register with; the webhook's URL and secret are added on the host by hand (README).
pub async fn third_party(state: &AppState, input: ThirdPartyInput) -> ApiResult<Value> {
    let webhook = state.engine.webhook(&input.webhook_name).await?;
    Err(ApiError::validation(format!(
        "Sluice does not register webhooks with GitHub itself: add {} to the repository's webhooks \
         (content type application/json, the webhook's SecretToken as its secret).",
        state.engine.webhook_url(&webhook)
    )))
}

/// CodePipeline's `ListWebhookItem`.
fn item(state: &AppState, webhook: &Webhook, tags: Vec<engine::Tag>, arn: String) -> Value {
    let engine = &state.engine;
    let mut item = json!({ "definition": webhook.redacted(), "url": engine.webhook_url(webhook), "arn": arn });
    if let Some(at) = webhook.last_triggered_ms {
        item["lastTriggered"] = json!(epoch_seconds(at));
    }
    if let Some((code, message)) = &webhook.error {
        item["errorCode"] = json!(code);
        item["errorMessage"] = json!(message);
    }
    if !tags.is_empty() {
        item["tags"] = json!(tags);
    }
    item
}

/// A git host's POST to a webhook's URL.
async fn deliver(State(state): State<AppState>, Path(token): Path<String>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let engine = &state.engine;
    let context = audit::CallContext::of_request(audit::API_SOURCE, "WebhookDelivery".into(), &parts, engine.account());
    let Ok(body) = to_bytes(body, MAX_DELIVERY_BYTES).await else {
        return answer(StatusCode::PAYLOAD_TOO_LARGE, json!({ "message": "The delivery is larger than 25 MB." }));
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let delivery = Delivery {
        body: &body,
        signature: header("x-hub-signature-256"),
        remote_ip: parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip()),
        delivery_id: delivery_id(&parts.headers),
        event: header("x-github-event"),
    };
    let result = engine.deliver_webhook(&token, delivery).await;
    let mut parameters = json!({ "deliveryId": delivery.delivery_id, "event": delivery.event });
    let (status, reply, error) = match result {
        Ok((name, outcome)) => {
            parameters["webhookName"] = json!(name);
            let reply = match outcome {
                Outcome::Started { execution_id } => json!({ "pipelineExecutionId": execution_id }),
                Outcome::Ignored { reason } => json!({ "ignored": reason }),
            };
            parameters["outcome"] = reply.clone();
            (StatusCode::OK, reply, None)
        }
        Err(err) => {
            let (status, code) = refusal_status(&err);
            let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
                tracing::error!(error = %err, "a webhook delivery failed");
                "The server could not handle the delivery; its log has the details.".to_owned()
            } else {
                err.to_string()
            };
            (status, json!({ "message": message }), Some((code, message)))
        }
    };
    let error = error.as_ref().map(|(code, message)| (*code, message.as_str()));
    audit::append(engine, &context, &audit::CallIdentity::default(), &parameters, error).await;
    answer(status, reply)
}

/// The host's id of a delivery: GitHub's, GitLab's, Gitea's or Bitbucket's header.
fn delivery_id(headers: &HeaderMap) -> Option<&str> {
    ["x-github-delivery", "x-gitlab-event-uuid", "x-gitea-delivery", "x-request-uuid"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
}

fn refusal_status(err: &EngineError) -> (StatusCode, &'static str) {
    match err {
        EngineError::Refused { why: Refusal::WebhookNotFound, .. } => {
            (StatusCode::NOT_FOUND, "WebhookNotFoundException")
        }
        EngineError::Refused { why: Refusal::NotAuthorized, .. } => (StatusCode::UNAUTHORIZED, "AccessDeniedException"),
        EngineError::Refused { why: Refusal::InvalidRequest, .. } => (StatusCode::BAD_REQUEST, "ValidationException"),
        EngineError::Refused { .. } => (StatusCode::CONFLICT, "ConflictException"),
        EngineError::PipelineNotFound(_) => (StatusCode::NOT_FOUND, "PipelineNotFoundException"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure"),
    }
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}
