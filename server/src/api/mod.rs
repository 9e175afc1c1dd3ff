//! The AWS wire APIs: `POST /` with an AWS JSON 1.1 body and `X-Amz-Target: <service
//! prefix>.<Operation>`, `CodePipeline_20150709.` for CodePipeline and `AWSEvents.` for
//! EventBridge, `CodeBuild_20161006.` for CodeBuild; SNS speaks the Query protocol instead (a form body with `Action=`, answered in
//! XML). Routing is on the header (or the form's Action) alone, as AWS does; each service's
//! requests are signed for its own name and checked against IAM actions of its own namespace.
mod action_types;
mod codebuild;
pub mod codecommit;
mod conditions;
pub mod connections;
mod custom_action_types;
mod deploy_targets;
pub mod error;
mod eventbridge;
mod execution_state;
mod executions;
mod jobs;
mod partner_jobs;
mod pipelines;
mod sns;
mod sources;
mod tags;
pub mod webhooks;
mod wire;

use crate::auth::operations::{self, Operation};
use crate::auth::{self, audit, sigv4, sigv4::SignedRequest, Caller};
use crate::AppState;
use axum::{
    body::to_bytes,
    extract::{Request, State},
    http::{request::Parts, HeaderValue},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use error::{ApiError, ApiResult};

const TARGET_PREFIX: &str = "CodePipeline_20150709.";
const EVENTS_PREFIX: &str = "AWSEvents.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// A 500-action pipeline is well under 1 MiB; anything far larger is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", post(handle))
        .route("/sns/confirm", axum::routing::get(sns::confirm_link))
        .merge(codecommit::git_http::router())
        .merge(webhooks::router())
        .merge(connections::webhook::router())
}

async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let header = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let query = sns::is_query(&parts.headers);
    let bytes = to_bytes(body, MAX_BODY_BYTES).await;
    let form = match (&bytes, query) {
        (Ok(bytes), true) => sns::form_json(bytes),
        _ => Value::Null,
    };
    let target = if query { sns::Operation::of_form(&form).map(Target::Sns) } else { Target::parse(header) };
    let (source, operation) = match &target {
        Ok(target) => (target.event_source(), target.name().to_owned()),
        Err(_) if query => (sns::EVENT_SOURCE, form["Action"].as_str().unwrap_or_default().to_owned()),
        Err(_) => (audit::API_SOURCE, header.strip_prefix(TARGET_PREFIX).unwrap_or(header).to_owned()),
    };
    let context = audit::CallContext::of_request(source, operation, &parts, state.engine.account());
    let (bytes, result, identity) = match bytes {
        Ok(bytes) => {
            let (result, identity) = call(&state, &parts, target, &bytes).await;
            (bytes, result, identity)
        }
        Err(_) => {
            let too_large = ApiError::validation(format!("The request body is larger than {MAX_BODY_BYTES} bytes."));
            (Default::default(), Err(too_large), audit::CallIdentity::default())
        }
    };
    let (status, body, error) = match &result {
        Ok(value) => (axum::http::StatusCode::OK, value.clone(), None),
        Err(err) => {
            let (status, exception, body) = err.parts();
            tracing::info!(operation = %context.operation, exception, "request refused");
            (status, body, Some(exception))
        }
    };
    let message = body["message"].as_str().unwrap_or_default();
    let parameters = if query { form } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    audit::append(&state.engine, &context, &identity, &parameters, error.map(|code| (code, message))).await;
    if query {
        let outcome = match error {
            None => Ok(body),
            Some(exception) => Err((status, exception.to_owned(), message.to_owned())),
        };
        return sns::response(&context.operation, &context.request_id, outcome);
    }
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(id) = HeaderValue::from_str(&context.request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    if let Some(exception) = error {
        headers.insert("x-amzn-errortype", HeaderValue::from_static(exception));
    }
    response
}

/// The operation an API call's `X-Amz-Target` names, when it is one Sluice answers: unlike the
/// header's text, its values are bounded (metrics label requests with it).
pub fn operation_name(headers: &axum::http::HeaderMap) -> Option<&'static str> {
    let header = headers.get("x-amz-target")?.to_str().ok()?;
    Target::parse(header).ok().map(Target::name)
}

/// An operation of one of the services the endpoint answers.
#[derive(Debug, Clone, Copy)]
enum Target {
    CodePipeline(Operation),
    Events(eventbridge::Operation),
    Sns(sns::Operation),
    CodeCommit(codecommit::Operation),
    CodeBuild(codebuild::Operation),
    Connections(engine::connections::Namespace, connections::Operation),
}

impl Target {
    /// The operation an `X-Amz-Target` header names; `UnknownOperationException` for any other.
    fn parse(header: &str) -> Result<Target, ApiError> {
        let operation = if let Some(name) = header.strip_prefix(TARGET_PREFIX) {
            Operation::parse(name).map(Target::CodePipeline)
        } else if let Some(name) = header.strip_prefix(EVENTS_PREFIX) {
            eventbridge::Operation::parse(name).map(Target::Events)
        } else if let Some(name) = header.strip_prefix(codecommit::TARGET_PREFIX) {
            codecommit::Operation::parse(name).map(Target::CodeCommit)
        } else if let Some(name) = header.strip_prefix(codebuild::TARGET_PREFIX) {
            codebuild::Operation::parse(name).map(Target::CodeBuild)
        } else if let Some(found) = connections::parse_target(header) {
            found.map(|(namespace, operation)| Target::Connections(namespace, operation))
        } else {
            None
        };
        operation.ok_or_else(|| unknown_operation(header))
    }

    fn name(self) -> &'static str {
        match self {
            Target::CodePipeline(operation) => operation.name(),
            Target::Events(operation) => operation.name(),
            Target::Sns(operation) => operation.name(),
            Target::CodeCommit(operation) => operation.name(),
            Target::CodeBuild(operation) => operation.name(),
            Target::Connections(_, operation) => operation.name(),
        }
    }

    /// The service name requests are signed for.
    fn signing_name(self) -> &'static str {
        match self {
            Target::CodePipeline(_) => sigv4::SERVICE,
            Target::Events(_) => eventbridge::SIGNING_NAME,
            Target::Sns(_) => sns::SIGNING_NAME,
            Target::CodeCommit(_) => codecommit::SIGNING_NAME,
            Target::CodeBuild(_) => codebuild::SIGNING_NAME,
            Target::Connections(namespace, _) => connections::signing_name(namespace),
        }
    }

    /// Where the audit trail says the call went, as CloudTrail's `eventSource`.
    fn event_source(self) -> &'static str {
        match self {
            Target::CodePipeline(_) => audit::API_SOURCE,
            Target::Events(_) => eventbridge::EVENT_SOURCE,
            Target::Sns(_) => sns::EVENT_SOURCE,
            Target::CodeCommit(_) => codecommit::EVENT_SOURCE,
            Target::CodeBuild(_) => codebuild::EVENT_SOURCE,
            Target::Connections(namespace, _) => connections::event_source(namespace),
        }
    }

    /// The IAM action and resource the caller's policies are asked about.
    fn permission(self, input: &Value, account: &engine::Account) -> (String, String) {
        match self {
            Target::CodePipeline(operation) => {
                (operation.iam_action(), operations::resource_arn(operation, input, &account.region, &account.id))
            }
            Target::Events(operation) => (operation.iam_action(), operation.resource_arn(input, account)),
            Target::Sns(operation) => (operation.iam_action(), operation.resource_arn(input, account)),
            Target::CodeCommit(operation) => (operation.iam_action(), operation.resource_arn(input, account)),
            Target::CodeBuild(operation) => (operation.iam_action(), operation.resource_arn(input, account)),
            Target::Connections(namespace, operation) => {
                (operation.iam_action_in(namespace), operation.resource_arn(namespace, input, account))
            }
        }
    }
}

/// Authenticates the signed request, checks the caller's policies for the operation's IAM action
/// and resource, then runs it.
async fn call(
    state: &AppState,
    parts: &Parts,
    target: Result<Target, ApiError>,
    body: &[u8],
) -> (ApiResult<Value>, audit::CallIdentity) {
    let request = SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        body,
    };
    let account = state.engine.account();
    // The session guard has already identified a signed-in browser; anything else must be signed.
    // An unknown target is refused once the caller is known, so the refusal is audited under
    // them; its signature is checked for whichever service it claims.
    let claimed = sigv4::parse_authorization(&parts.headers).map(|claim| claim.service).unwrap_or_default();
    let service = target.as_ref().map_or(claimed.as_str(), |t| t.signing_name());
    let authenticated = match parts.extensions.get::<Caller>() {
        Some(session_caller) => Ok(session_caller.clone()),
        None => auth::authenticate(&state.engine, &request, service).await,
    };
    let caller = match authenticated {
        Ok(caller) => caller,
        Err(err) => {
            let claimed_key = sigv4::parse_authorization(&parts.headers).ok().map(|claim| claim.access_key_id);
            return (Err(err), audit::CallIdentity { access_key_id: claimed_key, ..Default::default() });
        }
    };
    let identity = audit::CallIdentity::from(&caller);
    // An operation without a mapping to its resource is never checked against `*` by default:
    // it is not answered at all.
    let target = match target {
        Ok(target) => target,
        Err(unknown) => return (Err(unknown), identity),
    };
    let input = match target {
        Target::Sns(_) => sns::form_json(body),
        _ => serde_json::from_slice(body).unwrap_or(Value::Null),
    };
    let (action, resource) = target.permission(&input, account);
    let result = match auth::authorize(&caller, &action, &resource) {
        Ok(()) => match target {
            Target::CodePipeline(operation) => dispatch(state, &caller, operation, body).await,
            Target::Events(operation) => eventbridge::dispatch(state, operation, body).await,
            Target::Sns(operation) => sns::dispatch(state, operation, &input).await,
            Target::CodeCommit(operation) => codecommit::dispatch(state, operation, body).await,
            Target::CodeBuild(operation) => codebuild::dispatch(state, &caller, operation, body).await,
            Target::Connections(namespace, operation) => {
                connections::dispatch(state, &caller, namespace, operation, body).await
            }
        },
        Err(denied) => Err(denied),
    };
    (result, identity)
}

fn unknown_operation(target: &str) -> ApiError {
    match target {
        "" => ApiError::new("UnknownOperationException", "The request has no X-Amz-Target header."),
        other => {
            let operation = other.strip_prefix(TARGET_PREFIX).unwrap_or(other);
            ApiError::new("UnknownOperationException", format!("Operation {operation:?} is not supported."))
        }
    }
}

async fn dispatch(state: &AppState, caller: &Caller, operation: Operation, body: &[u8]) -> ApiResult<Value> {
    use Operation::*;
    match operation {
        CreatePipeline => pipelines::create(state, caller, parse(body)?).await,
        GetPipeline => pipelines::get(state, parse(body)?).await,
        UpdatePipeline => pipelines::update(state, caller, parse(body)?).await,
        DeletePipeline => pipelines::delete(state, parse(body)?).await,
        ListPipelines => pipelines::list(state, parse(body)?).await,
        ListActionTypes => action_types::list(state, parse(body)?).await,
        GetActionType => action_types::get(state, parse(body)?).await,
        StartPipelineExecution => executions::start(state, caller, parse(body)?).await,
        StopPipelineExecution => executions::stop(state, parse(body)?).await,
        RetryStageExecution => executions::retry(state, caller, parse(body)?).await,
        RollbackStage => executions::rollback(state, caller, parse(body)?).await,
        PutApprovalResult => executions::approve(state, caller, parse(body)?).await,
        EnableStageTransition => executions::enable_transition(state, caller, parse(body)?).await,
        DisableStageTransition => executions::disable_transition(state, caller, parse(body)?).await,
        GetPipelineExecution => execution_state::get_execution(state, parse(body)?).await,
        ListPipelineExecutions => execution_state::list_executions(state, parse(body)?).await,
        GetPipelineState => execution_state::get_state(state, parse(body)?).await,
        ListActionExecutions => execution_state::list_actions(state, parse(body)?).await,
        PutActionRevision => sources::put_action_revision(state, caller, parse(body)?).await,
        ListRuleTypes => sources::list_rule_types(parse(body)?),
        OverrideStageCondition => conditions::override_condition(state, parse(body)?).await,
        ListRuleExecutions => conditions::list_rule_executions(state, parse(body)?).await,
        TagResource => tags::tag(state, parse(body)?).await,
        UntagResource => tags::untag(state, parse(body)?).await,
        ListTagsForResource => tags::list(state, parse(body)?).await,
        CreateCustomActionType => custom_action_types::create(state, parse(body)?).await,
        DeleteCustomActionType => custom_action_types::delete(state, parse(body)?).await,
        UpdateActionType => custom_action_types::update(state, parse(body)?).await,
        PollForJobs => jobs::poll(state, caller, parse(body)?).await,
        AcknowledgeJob => jobs::acknowledge(state, caller, parse(body)?).await,
        GetJobDetails => jobs::details(state, caller, parse(body)?).await,
        PutJobSuccessResult => jobs::succeed(state, caller, parse(body)?).await,
        PutJobFailureResult => jobs::fail(state, caller, parse(body)?).await,
        PutWebhook => webhooks::put(state, caller, parse(body)?).await,
        ListWebhooks => webhooks::list(state, parse(body)?).await,
        DeleteWebhook => webhooks::delete(state, parse(body)?).await,
        RegisterWebhookWithThirdParty | DeregisterWebhookWithThirdParty => {
            webhooks::third_party(state, parse(body)?).await
        }
        PollForThirdPartyJobs => partner_jobs::poll(state, caller, parse(body)?).await,
        AcknowledgeThirdPartyJob => partner_jobs::acknowledge(state, caller, parse(body)?).await,
        GetThirdPartyJobDetails => partner_jobs::details(state, caller, parse(body)?).await,
        PutThirdPartyJobSuccessResult => partner_jobs::succeed(state, caller, parse(body)?).await,
        PutThirdPartyJobFailureResult => partner_jobs::fail(state, caller, parse(body)?).await,
        ListDeployActionExecutionTargets => deploy_targets::list(state, caller, parse(body)?).await,
    }
}

/// Decodes an operation's input; the error names the member at fault, in AWS's words.
fn parse<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    // Some clients send an empty body for operations without required members.
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new("SerializationException", format!("The request body is not valid JSON: {inner}"))
        } else {
            ApiError::validation(format!("1 validation error detected: at '{path}': {inner}"))
        }
    })
}
