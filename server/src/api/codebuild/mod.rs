//! The CodeBuild API (`X-Amz-Target: CodeBuild_20161006.<Operation>`, signed for `codebuild`,
//! IAM actions `codebuild:<Operation>` on `arn:aws:codebuild:REGION:ACCOUNT:project/NAME`), so
//! `aws codebuild ... --endpoint-url` and boto3 manage the build projects CodeBuild actions run.
//! Errors carry CodeBuild's names: InvalidInputException, ResourceAlreadyExistsException,
//! ResourceNotFoundException.
mod projects;

use super::error::{ApiError, ApiResult};
use crate::AppState;
use engine::{Caller, EngineError, Refusal};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub const TARGET_PREFIX: &str = "CodeBuild_20161006.";
pub const SIGNING_NAME: &str = "codebuild";
pub const EVENT_SOURCE: &str = "codebuild.amazonaws.com";

service_operations!("codebuild";CreateProject, UpdateProject, BatchGetProjects, ListProjects, DeleteProject);

impl Operation {
    /// The project's ARN (BatchGetProjects: the first one; `dispatch` checks every other);
    /// `*` for ListProjects, as IAM has it.
    pub fn resource_arn(self, input: &Value, account: &engine::Account) -> String {
        let name = match self {
            Operation::ListProjects => return "*".to_owned(),
            Operation::BatchGetProjects => input["names"].get(0),
            _ => input.get("name"),
        };
        project_arn(account, &project_name(name.and_then(Value::as_str).unwrap_or_default()))
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
