//! Audit records of API calls, shaped like CloudTrail events, appended to the hash-chained trail.
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use engine::audit::AuditEntry;
use serde_json::{json, Map, Value};
use std::net::SocketAddr;

/// What is known about a call before it runs.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// `codepipeline.amazonaws.com` for API calls, `sluice.ui` for the web app's changes.
    pub event_source: &'static str,
    pub request_id: String,
    pub source_ip: String,
    pub user_agent: String,
    pub operation: String,
    pub region: String,
    pub account_id: String,
}

impl CallContext {
    /// The context of a request to this server: a fresh request id, the peer's address, the user agent.
    pub fn of_request(event_source: &'static str, operation: String, parts: &Parts, account: &engine::Account) -> Self {
        CallContext {
            event_source,
            request_id: parts
                .extensions
                .get::<crate::request_id::RequestId>()
                .map_or_else(|| uuid::Uuid::new_v4().to_string(), |id| id.0.clone()),
            source_ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip().to_string())
                .unwrap_or_default(),
            user_agent: parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned(),
            operation,
            region: account.region.clone(),
            account_id: account.id.clone(),
        }
    }
}

/// Who made the call, as far as it got: a verified user, or only the key id it claimed.
#[derive(Debug, Clone, Default)]
pub struct CallIdentity {
    pub user_name: Option<String>,
    pub arn: Option<String>,
    pub access_key_id: Option<String>,
    pub session_id: Option<String>,
}

impl From<&super::Caller> for CallIdentity {
    fn from(caller: &super::Caller) -> Self {
        CallIdentity {
            user_name: Some(caller.user_name.clone()),
            arn: Some(caller.arn.clone()),
            access_key_id: caller.access_key_id.clone(),
            session_id: caller.session_id.clone(),
        }
    }
}

/// Member names whose values never reach the trail.
const SECRET_MEMBERS: [&str; 5] = ["secret", "password", "oauthtoken", "refreshtoken", "credentials"];
pub const MASK: &str = "****";
pub const API_SOURCE: &str = "codepipeline.amazonaws.com";
pub const UI_SOURCE: &str = "sluice.ui";

/// The CloudTrail-shaped record of one call. `error` is `(code, message)` for a refused call.
pub fn record(
    context: &CallContext,
    identity: &CallIdentity,
    parameters: &Value,
    error: Option<(&str, &str)>,
    event_ms: i64,
) -> Value {
    let parameters = masked(parameters);
    let user_identity = match &identity.arn {
        Some(arn) => json!({
            "type": "IAMUser",
            "principalId": identity.user_name,
            "arn": arn,
            "accountId": context.account_id,
            "accessKeyId": identity.access_key_id,
            "userName": identity.user_name,
            "sessionContext": identity.session_id.as_ref().map(|id| json!({ "sessionId": id })),
        }),
        None => json!({ "type": "Unknown", "accessKeyId": identity.access_key_id }),
    };
    let mut event = json!({
        "eventVersion": "1.08",
        "userIdentity": user_identity,
        "eventTime": iso_time(event_ms),
        "eventSource": context.event_source,
        "eventName": context.operation,
        "awsRegion": context.region,
        "sourceIPAddress": context.source_ip,
        "userAgent": context.user_agent,
        "requestParameters": parameters,
        "responseElements": Value::Null,
        "requestID": context.request_id,
        "eventID": uuid::Uuid::new_v4().to_string(),
        "readOnly": is_read_only(&context.operation),
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": context.account_id,
    });
    if let Some((code, message)) = error {
        event["errorCode"] = json!(code);
        event["errorMessage"] = json!(message);
    }
    event
}

/// A copy of `value` with every secret-looking member replaced by `****`.
pub fn masked(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, value)| {
                    let lower = key.to_ascii_lowercase();
                    let secret = SECRET_MEMBERS.iter().any(|word| lower.contains(word))
                        && !value.is_object()
                        && !value.is_array();
                    (key.clone(), if secret { json!(MASK) } else { masked(value) })
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(masked).collect()),
        other => other.clone(),
    }
}

/// Records a finished call. A failure to record is logged, not returned: the call has already
/// happened, and the log line keeps its trace.
pub async fn append(
    engine: &engine::Engine,
    context: &CallContext,
    identity: &CallIdentity,
    parameters: &Value,
    error: Option<(&str, &str)>,
) {
    let event_ms = engine::now_ms();
    let record = record(context, identity, parameters, error, event_ms).to_string();
    let entry = AuditEntry {
        event_ms,
        user_arn: identity.arn.as_deref().unwrap_or("anonymous"),
        event_name: &context.operation,
        failed: error.is_some(),
        record: &record,
    };
    if let Err(err) = engine.audit().append(entry).await {
        tracing::error!(error = %err, request_id = %context.request_id, operation = %context.operation, "could not record the call in the audit trail");
    }
}

/// The parameters of a web form: fields holding JSON (a pasted pipeline) are kept as JSON.
pub fn form_parameters(body: &[u8]) -> Value {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let members = fields.into_iter().map(|(name, text)| {
        let value = serde_json::from_str::<Value>(&text).ok().filter(Value::is_object).unwrap_or(Value::String(text));
        (name, value)
    });
    Value::Object(members.collect())
}

/// Server functions that do what one API operation does, recorded under the operation's name so
/// the trail reads the same whichever way a change was made.
const UI_OPERATIONS: &[(&str, &str)] = &[
    ("AnswerApproval", "PutApprovalResult"),
    ("StartRun", "StartPipelineExecution"),
    ("RerunExecution", "StartPipelineExecution"),
    ("StopRun", "StopPipelineExecution"),
    ("RetryRunStage", "RetryStageExecution"),
];

/// `/api/create_pipeline12345` (a server function's path) as `CreatePipeline`;
/// `/api/answer_approval123` as `PutApprovalResult` (see `UI_OPERATIONS`).
pub fn ui_event_name(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or_default().trim_end_matches(|c: char| c.is_ascii_digit());
    let name: String = name
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| word[..1].to_ascii_uppercase() + &word[1..])
        .collect();
    match UI_OPERATIONS.iter().find(|(ui, _)| *ui == name) {
        Some((_, operation)) => (*operation).to_owned(),
        None => name,
    }
}

pub fn is_read_only(operation: &str) -> bool {
    operation.starts_with("Get") || operation.starts_with("List")
}

/// Milliseconds since the epoch as CloudTrail's `2026-11-27T03:50:00Z`.
pub fn iso_time(ms: i64) -> String {
    let stamp = super::sigv4::format_amz_date(ms.div_euclid(1000));
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &stamp[0..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[9..11],
        &stamp[11..13],
        &stamp[13..15]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_at_any_depth() {
        let input = json!({
            "pipeline": { "stages": [{ "actions": [{ "configuration": { "OAuthToken": "ghp_x", "Repo": "app" } }] }] },
            "SecretToken": "s3cret",
            "token": "approval-token-is-not-a-secret"
        });
        let out = masked(&input);
        assert_eq!(out["pipeline"]["stages"][0]["actions"][0]["configuration"]["OAuthToken"], MASK);
        assert_eq!(out["pipeline"]["stages"][0]["actions"][0]["configuration"]["Repo"], "app");
        assert_eq!(out["SecretToken"], MASK);
        assert_eq!(out["token"], "approval-token-is-not-a-secret");
    }

    #[test]
    fn web_forms_become_parameters() {
        let body = b"json=%7B%22name%22%3A%22web%22%2C%22password%22%3A%22p%22%7D&note=hi";
        assert_eq!(form_parameters(body), json!({ "json": { "name": "web", "password": "p" }, "note": "hi" }));
        assert_eq!(masked(&form_parameters(body))["json"]["password"], MASK);
        assert_eq!(ui_event_name("/api/create_pipeline17627"), "CreatePipeline");
        assert_eq!(ui_event_name("/api/answer_approval4411"), "PutApprovalResult");
        assert_eq!(ui_event_name("/api/rerun_execution901"), "StartPipelineExecution");
        assert_eq!(ui_event_name("/api/rollback_stage12"), "RollbackStage");
    }

    #[test]
    fn times_are_iso_8601() {
        assert_eq!(iso_time(1_795_751_400_123), "2026-11-27T03:50:00Z");
    }
}
