//! The CodeCommit operations Sluice answers, in CodeCommit's wire shapes.
use super::super::error::{ApiError, ApiResult};
use super::super::wire::{epoch_seconds, offset_page};
use crate::AppState;
use engine::repos::{CommitInfo, Repository, Signature};
use serde::Deserialize;
use serde_json::{json, Value};

/// CodeCommit lists up to 1,000 repositories or branches per page.
const PAGE: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInput {
    #[serde(default)]
    repository_name: String,
    repository_description: Option<String>,
    /// Accepted as CodeCommit accepts them; Sluice keeps no tags on repositories yet.
    #[serde(default, rename = "tags")]
    _tags: Option<serde_json::Map<String, Value>>,
    #[serde(default, rename = "kmsKeyId")]
    _kms_key_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NameInput {
    #[serde(default)]
    repository_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescriptionInput {
    #[serde(default)]
    repository_name: String,
    repository_description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    next_token: Option<String>,
    sort_by: Option<String>,
    order: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchInput {
    #[serde(default)]
    repository_name: String,
    #[serde(default)]
    branch_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListBranchesInput {
    #[serde(default)]
    repository_name: String,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitInput {
    #[serde(default)]
    repository_name: String,
    #[serde(default)]
    commit_id: String,
}

pub async fn create(state: &AppState, input: CreateInput) -> ApiResult<Value> {
    let repos = state.engine.repositories();
    let created = repos.create(&input.repository_name, input.repository_description.as_deref()).await?;
    Ok(json!({ "repositoryMetadata": metadata(state, &created) }))
}

pub async fn get(state: &AppState, input: NameInput) -> ApiResult<Value> {
    let repository = state.engine.repositories().get(&input.repository_name).await?;
    Ok(json!({ "repositoryMetadata": metadata(state, &repository) }))
}

pub async fn list(state: &AppState, input: ListInput) -> ApiResult<Value> {
    let mut repositories = state.engine.repositories().list().await?;
    match input.sort_by.as_deref() {
        None | Some("repositoryName") => {}
        Some("lastModifiedDate") => repositories.sort_by_key(|r| (r.last_modified_ms, r.name.clone())),
        Some(other) => {
            return Err(ApiError::new("InvalidSortByException", format!("The sort criterion {other:?} is not valid.")))
        }
    }
    match input.order.as_deref() {
        None | Some("ascending") => {}
        Some("descending") => repositories.reverse(),
        Some(other) => {
            return Err(ApiError::new("InvalidOrderException", format!("The order {other:?} is not valid.")))
        }
    }
    let items = repositories.iter().map(|r| json!({ "repositoryName": r.name, "repositoryId": r.id })).collect();
    let (page, next) = offset_page(items, input.next_token.as_deref(), PAGE)?;
    Ok(with_token(json!({ "repositories": page }), next))
}

pub async fn delete(state: &AppState, input: NameInput) -> ApiResult<Value> {
    // Deleting a repository that is not there succeeds without an id, as on CodeCommit.
    match state.engine.repositories().delete(&input.repository_name).await? {
        Some(id) => Ok(json!({ "repositoryId": id })),
        None => Ok(json!({})),
    }
}

pub async fn describe(state: &AppState, input: DescriptionInput) -> ApiResult<Value> {
    let repos = state.engine.repositories();
    repos.set_description(&input.repository_name, input.repository_description.as_deref()).await?;
    Ok(json!({}))
}

pub async fn get_branch(state: &AppState, input: BranchInput) -> ApiResult<Value> {
    let repos = state.engine.repositories();
    // The repository is named (and must exist) before the branch is looked at.
    repos.existing(&input.repository_name).await?;
    let commit = repos.branch_head(&input.repository_name, &input.branch_name).await?;
    Ok(json!({ "branch": { "branchName": input.branch_name, "commitId": commit } }))
}

pub async fn list_branches(state: &AppState, input: ListBranchesInput) -> ApiResult<Value> {
    let branches = state.engine.repositories().branches(&input.repository_name).await?;
    let names = branches.into_iter().map(|(name, _)| Value::String(name)).collect();
    let (page, next) = offset_page(names, input.next_token.as_deref(), PAGE)?;
    Ok(with_token(json!({ "branches": page }), next))
}

pub async fn get_commit(state: &AppState, input: CommitInput) -> ApiResult<Value> {
    let repos = state.engine.repositories();
    repos.existing(&input.repository_name).await?;
    let commit = repos.commit(&input.repository_name, &input.commit_id).await?;
    Ok(json!({ "commit": commit_json(&commit) }))
}

/// `RepositoryMetadata`. Sluice serves no SSH, so there is no `cloneUrlSsh`.
fn metadata(state: &AppState, repository: &Repository) -> Value {
    let account = state.engine.account();
    let mut metadata = json!({
        "accountId": account.id,
        "repositoryId": repository.id,
        "repositoryName": repository.name,
        "creationDate": epoch_seconds(repository.created_ms),
        "lastModifiedDate": epoch_seconds(repository.last_modified_ms),
        "cloneUrlHttp": state.engine.repositories().clone_url(&repository.name),
        "Arn": account.repository_arn(&repository.name),
    });
    if let Some(description) = &repository.description {
        metadata["repositoryDescription"] = json!(description);
    }
    if let Some(branch) = &repository.default_branch {
        metadata["defaultBranch"] = json!(branch);
    }
    metadata
}

fn commit_json(commit: &CommitInfo) -> Value {
    let person = |who: &Signature| json!({ "name": who.name, "email": who.email, "date": who.date });
    json!({
        "commitId": commit.id,
        "treeId": commit.tree,
        "parents": commit.parents,
        "message": commit.message,
        "author": person(&commit.author),
        "committer": person(&commit.committer),
        "additionalData": "",
    })
}

fn with_token(mut answer: Value, next: Option<String>) -> Value {
    if let Some(token) = next {
        answer["nextToken"] = json!(token);
    }
    answer
}
