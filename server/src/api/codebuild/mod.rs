//! The CodeBuild API (`X-Amz-Target: CodeBuild_20161006.<Operation>`, signed for `codebuild`,
//! IAM actions `codebuild:<Operation>` on `arn:aws:codebuild:REGION:ACCOUNT:project/NAME`), so
//! `aws codebuild ... --endpoint-url` and boto3 manage the build projects CodeBuild actions run.
//! Build operations are checked on the ARN of the build's project. Errors carry CodeBuild's
//! names: InvalidInputException, ResourceAlreadyExistsException, ResourceNotFoundException.
mod builds;
mod projects;

use super::error::{ApiError, ApiResult};
use crate::AppState;
use engine::{Caller, EngineError, Refusal};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub const TARGET_PREFIX: &str = "CodeBuild_20161006.";
pub const SIGNING_NAME: &str = "codebuild";
pub const EVENT_SOURCE: &str = "codebuild.amazonaws.com";

service_operations!("codebuild";
    CreateProject, UpdateProject, BatchGetProjects, ListProjects, DeleteProject,
    StartBuild, StopBuild, RetryBuild, BatchGetBuilds, ListBuilds, ListBuildsForProject, BatchDeleteBuilds,
);

impl Operation {
    /// The project's ARN (for a build, its project's; for a batch, the first one's: `dispatch`
    /// checks every other); `*` for ListProjects and ListBuilds, as IAM has it.
    pub fn resource_arn(self, input: &Value, account: &engine::Account) -> String {
        let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or_default().to_owned();
        let name = match self {
            Operation::ListProjects | Operation::ListBuilds => return "*".to_owned(),
            Operation::BatchGetProjects => project_name(&text(input["names"].get(0))),
            Operation::StartBuild | Operation::ListBuildsForProject => project_name(&text(input.get("projectName"))),
            Operation::StopBuild | Operation::RetryBuild => builds::project_of(&text(input.get("id"))),
            Operation::BatchGetBuilds | Operation::BatchDeleteBuilds => builds::project_of(&text(input["ids"].get(0))),
            Operation::CreateProject | Operation::UpdateProject | Operation::DeleteProject => {
                project_name(&text(input.get("name")))
            }
        };
        project_arn(account, &name)
    }
}

pub fn project_arn(account: &engine::Account, name: &str) -> String {
    format!("arn:aws:codebuild:{}:{}:project/{name}", account.region, account.id)
}

/// A project is named by its name or its ARN.
pub fn project_name(name_or_arn: &str) -> String {
    match name_or_arn.split_once(":project/") {
        Some((prefix, name)) if prefix.starts_with("arn:") => name.to_owned(),
        _ => name_or_arn.to_owned(),
    }
}

pub async fn dispatch(state: &AppState, caller: &Caller, operation: Operation, body: &[u8]) -> ApiResult<Value> {
    let result = match operation {
        Operation::CreateProject => projects::create(state, parse(body)?).await,
        Operation::UpdateProject => projects::update(state, parse(body)?).await,
        Operation::BatchGetProjects => projects::batch_get(state, caller, parse(body)?).await,
        Operation::ListProjects => projects::list(state, parse(body)?).await,
        Operation::DeleteProject => projects::delete(state, parse(body)?).await,
        Operation::StartBuild => builds::start(state, caller, parse(body)?).await,
        Operation::StopBuild => builds::stop(state, parse(body)?).await,
        Operation::RetryBuild => builds::retry(state, caller, parse(body)?).await,
        Operation::BatchGetBuilds => builds::batch_get(state, caller, parse(body)?).await,
        Operation::BatchDeleteBuilds => builds::batch_delete(state, caller, parse(body)?).await,
        Operation::ListBuilds => builds::list(state, parse(body)?, false).await,
        Operation::ListBuildsForProject => builds::list(state, parse(body)?, true).await,
    };
    result.map_err(codebuild_error)
}

/// The shared decoder, with CodeBuild's name for a malformed input.
fn parse<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    super::parse(body).map_err(codebuild_error)
}

/// CodeBuild's names for what the engine and the decoder call otherwise.
fn codebuild_error(err: ApiError) -> ApiError {
    match err {
        ApiError::Client { exception: "ValidationException", message } => {
            ApiError::new("InvalidInputException", message)
        }
        ApiError::Client { exception: "ConflictException", message } => {
            ApiError::new("ResourceAlreadyExistsException", message)
        }
        other => other,
    }
}

/// Engine refusals in CodeBuild's words.
fn engine_error(err: EngineError) -> ApiError {
    match err {
        EngineError::Refused { why: Refusal::Conflict, message } => {
            ApiError::new("ResourceAlreadyExistsException", message)
        }
        EngineError::Refused { why: Refusal::InvalidRequest, message } => {
            ApiError::new("InvalidInputException", message)
        }
        other => other.into(),
    }
}
