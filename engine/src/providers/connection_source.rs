//! CodeStarSourceConnection source: a branch of a repository on an outside git host (GitHub,
//! GitLab, Bitbucket, a self-managed host), reached through a connection (see `connections`).
//! The action fetches the branch into its workspace with the system `git`, the connection's
//! token passed as a header git reads from its environment, then hands the commit on as the
//! CodeCommit source does (`git_source`): `CODE_ZIP` (the tree; a shallow fetch) or
//! `CODEBUILD_CLONE_REF` (a full clone, `origin` the repository's address without credentials).
//!
//! Variables: AuthorDate, BranchName, CommitId, CommitMessage, ConnectionArn, FullRepositoryName.
//! The fetched content is read, never run: no hooks, no filters, no submodules.
use super::git_source::{commit_variables, hand_on, required, succeeded, Format};
use super::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, BoxFuture, FailureKind};
use crate::connections::remote::RemoteError;
use crate::connections::Connections;

pub struct ConnectionSource {
    connections: Connections,
}

impl ConnectionSource {
    pub fn new(connections: Connections) -> Self {
        ConnectionSource { connections }
    }
}

/// A refusal as the action's failure: what is missing is a revision that is not there, a
/// connection not ready is the configuration's fault, the rest the server's or the host's.
fn failure(err: RemoteError) -> ActionFailure {
    let kind = match &err {
        RemoteError::BranchNotFound { .. } | RemoteError::CommitNotFound { .. } | RemoteError::Unreachable { .. } => {
            FailureKind::RevisionUnavailable
        }
        RemoteError::ConnectionNotFound(_) | RemoteError::InvalidRepository(_) => FailureKind::ConfigurationError,
        RemoteError::Pending { .. } | RemoteError::Broken(_) => FailureKind::PermissionError,
        RemoteError::Internal(_) => FailureKind::JobFailed,
    };
    ActionFailure { kind, message: err.to_string() }
}

fn repo_failure(err: crate::repos::RepoError) -> ActionFailure {
    failure(RemoteError::Internal(err.to_string()))
}

impl ActionProvider for ConnectionSource {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(async move {
            let connection_arn = required(ctx, "ConnectionArn")?;
            let (repository, branch) = (required(ctx, "FullRepositoryId")?, required(ctx, "BranchName")?);
            let format = Format::of(ctx.configuration.get("OutputArtifactFormat"))?;
            let remote = self.connections.remote(&connection_arn, &repository).await.map_err(failure)?;
            ctx.log.line(format!("Fetching {branch} of {} through the connection {}", remote.url, remote.connection));
            tokio::fs::create_dir_all(&ctx.workspace)
                .await
                .map_err(|e| ActionFailure::job_failed(format!("cannot create the workspace: {e}")))?;
            let git_dir = ctx.workspace.join("fetched.git");
            let pinned = ctx.source_revision.as_deref();
            let shallow = format == Format::CodeZip;
            let commit_id = remote.fetch(&branch, pinned, &git_dir, shallow).await.map_err(failure)?;
            let commit = crate::repos::git::commit(&git_dir, &commit_id).await.map_err(repo_failure)?;
            ctx.log.line(format!("Using {repository} {branch} at commit {commit_id}"));
            let payload =
                hand_on(ctx, format, &git_dir, &commit_id, &branch, &remote.url).await.map_err(repo_failure)?;
            let mut variables = commit_variables(&commit, &branch);
            variables.insert("ConnectionArn".to_owned(), connection_arn.clone());
            variables.insert("FullRepositoryName".to_owned(), repository.clone());
            Ok(succeeded(ctx, &commit, payload, variables, remote.commit_url(&commit_id)))
        })
    }
}
