//! A repository at one commit, as a git source action hands it on: the tree as a zip (CODE_ZIP),
//! or a full clone with its history and the branch checked out at the commit
//! (CODEBUILD_CLONE_REF). Works on any bare repository: a hosted one, or one a connection fetched.
use super::names::{check_branch_name, check_commit_id};
use super::{git, Result};
use std::path::Path;

/// `git archive --format=zip` of the commit into `zip_path`.
pub async fn archive_zip(git_dir: &Path, commit: &str, zip_path: &Path) -> Result<()> {
    check_commit_id(commit)?;
    let mut output = std::ffi::OsString::from("--output=");
    output.push(zip_path);
    let mut archive = git::command();
    archive.arg("--git-dir").arg(git_dir).args(["archive", "--format=zip"]).arg(output);
    archive.args(["--end-of-options", commit]);
    git::output(archive).await.map(drop)
}

/// A clone of `git_dir` in `dest` (a folder that does not exist yet) with `branch` checked out
/// at `commit` and `origin` set to `origin_url`, so the clone can fetch and push like one made
/// by hand; the path it was cloned from appears nowhere in it.
pub async fn clone_at(git_dir: &Path, commit: &str, branch: &str, dest: &Path, origin_url: &str) -> Result<()> {
    check_commit_id(commit)?;
    check_branch_name(branch)?;
    let mut clone = git::command();
    clone.args(["clone", "--quiet", "--no-checkout", "--no-hardlinks", "--origin", "origin"]);
    clone.arg(git_dir).arg(dest);
    git::output(clone).await?;
    let in_clone = |args: &[&str]| {
        let mut git = git::command();
        git.arg("-C").arg(dest).args(args);
        git::output(git)
    };
    in_clone(&["checkout", "--quiet", "-B", branch, commit]).await?;
    in_clone(&["remote", "set-url", "origin", origin_url]).await?;
    let upstream = format!("origin/{branch}");
    in_clone(&["branch", "--quiet", "--set-upstream-to", upstream.as_str()]).await.ok();
    Ok(())
}
