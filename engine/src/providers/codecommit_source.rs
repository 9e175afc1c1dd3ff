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
use super::git_source::{commit_variables, hand_on, required, succeeded, Format};
use super::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, BoxFuture, FailureKind};
use crate::repos::RepoError;

pub struct CodeCommitSource;

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
            let (repository, branch) = (required(ctx, "RepositoryName")?, required(ctx, "BranchName")?);
            let format = Format::of(ctx.configuration.get("OutputArtifactFormat"))?;
            let repos = &ctx.services.repos;
            let commit_id = match &ctx.source_revision {
                Some(pinned) => pinned.clone(),
                None => repos.branch_head(&repository, &branch).await.map_err(failure)?,
            };
            let commit = repos.commit(&repository, &commit_id).await.map_err(failure)?;
            ctx.log.line(format!("Using {repository} {branch} at commit {commit_id}"));
            let git_dir = repos.existing(&repository).await.map_err(failure)?;
            let origin = repos.clone_url(&repository);
            let payload = hand_on(ctx, format, &git_dir, &commit_id, &branch, &origin).await.map_err(failure)?;
            let mut variables = commit_variables(&commit, &branch);
            variables.insert("RepositoryName".to_owned(), repository.clone());
            variables.insert("CommitterDate".to_owned(), commit.committer.iso_date.clone());
            Ok(succeeded(ctx, &commit, payload, variables, None))
        })
    }
}
