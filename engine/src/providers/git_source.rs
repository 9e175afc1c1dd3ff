//! What the git source actions (CodeCommit, CodeStarSourceConnection) share: the output
//! artifact's format, handing on a bare repository at a commit, the commit's variables and the
//! revision the execution runs. Each provider finds its repository and commit its own way.
use super::{ActionContext, ActionFailure, ActionOutcome, ActionResult, OutputArtifactPayload, Payload};
use crate::repos::{snapshot, CommitInfo, RepoError};
use crate::runs::Revision;
use indexmap::IndexMap;
use std::path::Path;

/// What the output artifact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// The tree at the commit, zipped by `git archive`.
    CodeZip,
    /// A full clone, history included, with the branch checked out at the commit. On AWS this
    /// is a reference only CodeBuild can follow; here it is the clone itself.
    CloneRef,
}

impl Format {
    pub(super) fn of(setting: Option<&String>) -> Result<Format, ActionFailure> {
        match setting.map(|s| s.trim()) {
            None | Some("") | Some("CODE_ZIP") => Ok(Format::CodeZip),
            Some("CODEBUILD_CLONE_REF") => Ok(Format::CloneRef),
            Some(other) => Err(ActionFailure::configuration(format!(
                "OutputArtifactFormat {other:?} is not one of CODE_ZIP and CODEBUILD_CLONE_REF"
            ))),
        }
    }
}

/// A configuration value the action cannot run without.
pub(super) fn required(ctx: &ActionContext, key: &str) -> Result<String, ActionFailure> {
    ctx.configuration.get(key).cloned().ok_or_else(|| ActionFailure::configuration(format!("{key} is required")))
}

/// The bare repository `git_dir` at `commit`, as `format` says, made in the workspace; a clone's
/// `origin` is `origin_url`.
pub(super) async fn hand_on(
    ctx: &ActionContext,
    format: Format,
    git_dir: &Path,
    commit: &str,
    branch: &str,
    origin_url: &str,
) -> Result<Payload, RepoError> {
    tokio::fs::create_dir_all(&ctx.workspace).await.map_err(|e| RepoError::internal("creating the workspace", e))?;
    match format {
        Format::CodeZip => {
            let zip = ctx.workspace.join("source.zip");
            snapshot::archive_zip(git_dir, commit, &zip).await?;
            Ok(Payload::File(zip))
        }
        Format::CloneRef => {
            let clone = ctx.workspace.join("clone");
            snapshot::clone_at(git_dir, commit, branch, &clone, origin_url).await?;
            Ok(Payload::Dir(clone))
        }
    }
}

/// The variables every git source exports about its commit; each provider adds its own.
pub(super) fn commit_variables(commit: &CommitInfo, branch: &str) -> IndexMap<String, String> {
    IndexMap::from([
        ("CommitId".to_owned(), commit.id.clone()),
        ("CommitMessage".to_owned(), commit.message.clone()),
        ("BranchName".to_owned(), branch.to_owned()),
        ("AuthorDate".to_owned(), commit.author.iso_date.clone()),
    ])
}

/// The action's success: its one output artifact, its variables, and the commit as the
/// execution's source revision (its message's first line the summary).
pub(super) fn succeeded(
    ctx: &ActionContext,
    commit: &CommitInfo,
    payload: Payload,
    variables: IndexMap<String, String>,
    revision_url: Option<String>,
) -> ActionOutcome {
    let outputs = ctx
        .action
        .output_artifacts
        .first()
        .map(|a| vec![OutputArtifactPayload { name: a.name.clone(), payload }])
        .unwrap_or_default();
    let first_line = commit.message.lines().next().unwrap_or_default().to_owned();
    let committed_ms = commit.committer.date.split_whitespace().next().and_then(|s| s.parse::<i64>().ok());
    ActionOutcome::Succeeded(ActionResult {
        outputs,
        variables,
        summary: Some(first_line.clone()),
        external_execution_id: Some(commit.id.clone()),
        external_execution_url: revision_url.clone(),
        revision: Some(Revision {
            revision_id: commit.id.clone(),
            revision_change_id: None,
            revision_summary: Some(first_line),
            revision_url,
            created_ms: committed_ms.map(|s| s * 1000),
        }),
    })
}
