//! A CODECOMMIT project's source for a build without a pipeline: a clone of one of Sluice's
//! repositories at the `sourceVersion` (a branch, `refs/heads/<branch>`, or a commit id), or at
//! the head of its default branch.
use crate::repos::{snapshot, Repositories};
use std::path::Path;

/// Clones into `dest` (which must not exist) and answers the commit checked out.
pub(super) async fn checkout(
    repos: &Repositories,
    repository: &str,
    version: Option<&str>,
    dest: &Path,
) -> Result<String, String> {
    let text = |err: crate::repos::RepoError| err.to_string();
    let info = repos.get(repository).await.map_err(text)?;
    let default_branch = info.default_branch.ok_or_else(|| format!("the repository {repository} has no branch yet"))?;
    let version = version.map(|v| v.strip_prefix("refs/heads/").unwrap_or(v));
    let (branch, commit) = match version {
        Some(commit) if commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()) => {
            (default_branch, commit.to_owned())
        }
        Some(branch) => (branch.to_owned(), repos.branch_head(repository, branch).await.map_err(text)?),
        None => {
            let head = repos.branch_head(repository, &default_branch).await.map_err(text)?;
            (default_branch, head)
        }
    };
    let git_dir = repos.existing(repository).await.map_err(text)?;
    let _ = tokio::fs::remove_dir(dest).await;
    snapshot::clone_at(&git_dir, &commit, &branch, dest, &repos.clone_url(repository)).await.map_err(text)?;
    Ok(commit)
}
