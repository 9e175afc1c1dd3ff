//! CodeCommit source: a branch of a repository Sluice hosts. The action takes the branch's head
//! (or the commit the execution is pinned to) and hands on, as its one output artifact:
//! - `CODE_ZIP` (the default): the tree at the commit, zipped by `git archive`;
//! - `CODEBUILD_CLONE_REF`: a full clone (history included) with the branch checked out at the
//!   commit and `origin` pointing at Sluice's clone URL. On AWS this is a reference only
//!   CodeBuild can follow; here the artifact is the clone itself, which any action can use.
//!
//! Variables: CommitId, CommitMessage, RepositoryName, BranchName, AuthorDate, CommitterDate.
//! `git` runs here, outside the sandbox, on Sluice's own repositories with Sluice's own
//! configuration (no hooks, no filters): it reads the pushed content but runs none of it.
use super::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, ActionResult, BoxFuture, FailureKind};
use super::{OutputArtifactPayload, Payload};
use crate::repos::RepoError;
use crate::runs::Revision;
use indexmap::IndexMap;

pub struct CodeCommitSource;

/// What the output artifact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    CodeZip,
    CloneRef,
}

impl Format {
    fn of(setting: Option<&String>) -> Result<Format, ActionFailure> {
        match setting.map(|s| s.trim()) {
            None | Some("") | Some("CODE_ZIP") => Ok(Format::CodeZip),
            Some("CODEBUILD_CLONE_REF") => Ok(Format::CloneRef),
            Some(other) => Err(ActionFailure::configuration(format!(
                "OutputArtifactFormat {other:?} is not one of CODE_ZIP and CODEBUILD_CLONE_REF"
            ))),
        }
    }
}

/// A repository refusal as the action's failure: a missing repository, branch or commit is a
/// revision that is not there; the rest is the server's trouble.
fn failure(err: RepoError) -> ActionFailure {
    let kind = match err {
        RepoError::Internal(_) => FailureKind::JobFailed,
        RepoError::NotFound(_) | RepoError::BranchNotFound { .. } | RepoError::CommitNotFound(_) => {
            FailureKind::RevisionUnavailable
        }
        _ => FailureKind::ConfigurationError,
    };
    let message = match &err {
        RepoError::NotFound(name) => format!("The repository {name} does not exist in Sluice"),
        other => other.to_string(),
    };
    ActionFailure { kind, message }
}

impl ActionProvider for CodeCommitSource {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(async move {
            let setting = |key: &str| {
                ctx.configuration
                    .get(key)
                    .cloned()
                    .ok_or_else(|| ActionFailure::configuration(format!("{key} is required")))
            };
            let (repository, branch) = (setting("RepositoryName")?, setting("BranchName")?);
            let format = Format::of(ctx.configuration.get("OutputArtifactFormat"))?;
            let repos = &ctx.services.repos;
            let commit_id = match &ctx.source_revision {
                Some(pinned) => pinned.clone(),
                None => repos.branch_head(&repository, &branch).await.map_err(failure)?,
            };
            let commit = repos.commit(&repository, &commit_id).await.map_err(failure)?;
            ctx.log.line(format!("Using {repository} {branch} at commit {commit_id}"));
            tokio::fs::create_dir_all(&ctx.workspace)
                .await
                .map_err(|e| ActionFailure::job_failed(format!("cannot create the workspace: {e}")))?;
            let payload = match format {
                Format::CodeZip => {
                    let zip = ctx.workspace.join("source.zip");
                    repos.archive_zip(&repository, &commit_id, &zip).await.map_err(failure)?;
                    Payload::File(zip)
                }
                Format::CloneRef => {
                    let clone = ctx.workspace.join("clone");
                    repos.clone_at(&repository, &commit_id, &branch, &clone).await.map_err(failure)?;
                    Payload::Dir(clone)
                }
            };
            let outputs = ctx
                .action
                .output_artifacts
                .first()
                .map(|a| vec![OutputArtifactPayload { name: a.name.clone(), payload }])
                .unwrap_or_default();
            let first_line = commit.message.lines().next().unwrap_or_default().to_owned();
            let variables = IndexMap::from([
                ("CommitId".to_owned(), commit.id.clone()),
                ("CommitMessage".to_owned(), commit.message.clone()),
                ("RepositoryName".to_owned(), repository.clone()),
                ("BranchName".to_owned(), branch.clone()),
                ("AuthorDate".to_owned(), commit.author.iso_date.clone()),
                ("CommitterDate".to_owned(), commit.committer.iso_date.clone()),
            ]);
            let committed_ms = commit.committer.date.split_whitespace().next().and_then(|s| s.parse::<i64>().ok());
            Ok(ActionOutcome::Succeeded(ActionResult {
                outputs,
                variables,
                summary: Some(first_line.clone()),
                external_execution_id: Some(commit.id.clone()),
                revision: Some(Revision {
                    revision_id: commit.id.clone(),
                    revision_change_id: None,
                    revision_summary: Some(first_line),
                    revision_url: None,
                    created_ms: committed_ms.map(|s| s * 1000),
                }),
                ..ActionResult::default()
            }))
        })
    }
}
