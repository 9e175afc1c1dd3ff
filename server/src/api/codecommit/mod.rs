//! CodeCommit's JSON 1.1 API (`X-Amz-Target: CodeCommit_20150413.<Operation>`, signed for
//! `codecommit`, IAM actions `codecommit:<Operation>` on `arn:aws:codecommit:REGION:ACCOUNT:NAME`)
//! over the repositories Sluice hosts, so `aws codecommit ... --endpoint-url` and boto3 work; and
//! the repositories themselves over git's smart HTTP protocol (`git_http`). Operations outside
//! the subset below answer `UnknownOperationException`, as the dispatcher does for any name.
mod cgi;
pub mod git_http;
mod operations;

use super::error::{ApiError, ApiResult};
use crate::AppState;
use engine::repos::RepoError;
use serde_json::Value;

pub const TARGET_PREFIX: &str = "CodeCommit_20150413.";
pub const SIGNING_NAME: &str = "codecommit";
pub const EVENT_SOURCE: &str = "codecommit.amazonaws.com";

service_operations!("codecommit";
    CreateRepository,
    GetRepository,
    ListRepositories,
    DeleteRepository,
    UpdateRepositoryDescription,
    GetBranch,
    ListBranches,
    GetCommit,
);

impl Operation {
    /// The repository's ARN; `*` for ListRepositories, which IAM knows only on `*`.
    pub fn resource_arn(self, input: &Value, account: &engine::Account) -> String {
        if self == Operation::ListRepositories {
            return "*".to_owned();
        }
        let name = input.get("repositoryName").and_then(Value::as_str).unwrap_or_default();
        account.repository_arn(name)
    }
}

pub async fn dispatch(state: &AppState, operation: Operation, body: &[u8]) -> ApiResult<Value> {
    use super::parse;
    use operations as op;
    match operation {
        Operation::CreateRepository => op::create(state, parse(body)?).await,
        Operation::GetRepository => op::get(state, parse(body)?).await,
        Operation::ListRepositories => op::list(state, parse(body)?).await,
        Operation::DeleteRepository => op::delete(state, parse(body)?).await,
        Operation::UpdateRepositoryDescription => op::describe(state, parse(body)?).await,
        Operation::GetBranch => op::get_branch(state, parse(body)?).await,
        Operation::ListBranches => op::list_branches(state, parse(body)?).await,
        Operation::GetCommit => op::get_commit(state, parse(body)?).await,
    }
}

/// CodeCommit's exception for each refusal; `None` for git or file system failures, the server's.
pub fn exception(err: &RepoError) -> Option<&'static str> {
    Some(match err {
        RepoError::NameRequired => "RepositoryNameRequiredException",
        RepoError::InvalidName(_) => "InvalidRepositoryNameException",
        RepoError::NameExists(_) => "RepositoryNameExistsException",
        RepoError::NotFound(_) => "RepositoryDoesNotExistException",
        RepoError::BranchNameRequired => "BranchNameRequiredException",
        RepoError::InvalidBranchName(_) => "InvalidBranchNameException",
        RepoError::BranchNotFound { .. } => "BranchDoesNotExistException",
        RepoError::CommitIdRequired => "CommitIdRequiredException",
        RepoError::InvalidCommitId(_) => "InvalidCommitIdException",
        RepoError::CommitNotFound(_) => "CommitIdDoesNotExistException",
        RepoError::InvalidDescription => "InvalidRepositoryDescriptionException",
        RepoError::Internal(_) => return None,
    })
}

impl From<RepoError> for ApiError {
    fn from(err: RepoError) -> Self {
        match exception(&err) {
            Some(exception) => ApiError::new(exception, err.to_string()),
            None => ApiError::Internal(anyhow::anyhow!(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_checked_on_their_repository() {
        let account = engine::Account { id: "000000000000".into(), region: "us-east-1".into() };
        let input = serde_json::json!({ "repositoryName": "app" });
        for &operation in Operation::ALL {
            assert_eq!(Operation::parse(operation.name()), Some(operation));
            let expected = match operation {
                Operation::ListRepositories => "*",
                _ => "arn:aws:codecommit:us-east-1:000000000000:app",
            };
            assert_eq!(operation.resource_arn(&input, &account), expected, "{operation:?}");
        }
        assert_eq!(Operation::parse("MergePullRequestByFastForward"), None);
    }
}
