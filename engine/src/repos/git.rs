//! Runs the system `git` on Sluice's bare repositories. Every run starts from an empty
//! environment (no user or system configuration, none of the server's secrets), so what a
//! repository does depends on the repository alone; names and ids are checked before they get
//! here (see `names`), and revisions are always passed in a form git cannot read as an option.
use super::names::RepoError;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;
use tokio::process::Command;

/// The environment every `git` Sluice runs starts from (`git http-backend` included).
pub fn clean_env() -> Vec<(&'static str, std::ffi::OsString)> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    vec![
        ("PATH", path),
        ("GIT_CONFIG_NOSYSTEM", "1".into()),
        ("GIT_CONFIG_GLOBAL", "/dev/null".into()),
        ("HOME", "/nonexistent".into()),
        ("LC_ALL", "C".into()),
        ("TZ", "UTC".into()),
    ]
}

/// `git` with the clean environment, its arguments to follow.
pub fn command() -> Command {
    let mut command = Command::new("git");
    command.env_clear().envs(clean_env()).stdin(Stdio::null()).kill_on_drop(true);
    command
}

/// `git --git-dir <dir> <args...>`, run to the end: its standard output, or why it failed.
pub(crate) async fn run<I, S>(git_dir: &Path, args: I) -> Result<Vec<u8>, RepoError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut git = command();
    git.arg("--git-dir").arg(git_dir).args(args);
    output(git).await
}

/// Runs a prepared `git` command to the end.
pub(crate) async fn output(mut git: Command) -> Result<Vec<u8>, RepoError> {
    let out = git.output().await.map_err(|e| RepoError::internal("could not run git", e))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(RepoError::Internal(format!("git failed ({}): {}", out.status, stderr.trim())));
    }
    Ok(out.stdout)
}

/// Every branch and tag: full reference name → the commit it points to (tags peeled).
pub(crate) async fn refs(git_dir: &Path) -> Result<BTreeMap<String, String>, RepoError> {
    let format = "--format=%(refname)%00%(objectname)%00%(*objectname)";
    let out = run(git_dir, ["for-each-ref", format, "refs/heads", "refs/tags"]).await?;
    let text = String::from_utf8_lossy(&out);
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\0');
            let (name, object, peeled) = (fields.next()?, fields.next()?, fields.next().unwrap_or_default());
            let commit = if peeled.is_empty() { object } else { peeled };
            Some((name.to_owned(), commit.to_owned()))
        })
        .collect())
}

/// The commit a full reference name points to, if it exists.
pub(crate) async fn resolve(git_dir: &Path, reference: &str) -> Result<Option<String>, RepoError> {
    let mut git = command();
    git.arg("--git-dir").arg(git_dir).args(["rev-parse", "--verify", "--quiet", "--end-of-options"]);
    git.arg(format!("{reference}^{{commit}}"));
    let out = git.output().await.map_err(|e| RepoError::internal("could not run git", e))?;
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok((out.status.success() && !id.is_empty()).then_some(id))
}

/// A person and a time, as a commit records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub email: String,
    /// git's raw form, `<epoch seconds> <+hhmm>`, which CodeCommit's GetCommit returns.
    pub date: String,
    /// The same instant in ISO-8601, UTC (`2026-12-03T10:11:19Z`), as the source variables give it.
    pub iso_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    pub tree: String,
    pub parents: Vec<String>,
    pub message: String,
    pub author: Signature,
    pub committer: Signature,
}

/// The commit `id` (a checked full id), or `CommitNotFound`.
pub(crate) async fn commit(git_dir: &Path, id: &str) -> Result<CommitInfo, RepoError> {
    if resolve(git_dir, id).await?.as_deref() != Some(id) {
        return Err(RepoError::CommitNotFound(id.to_owned()));
    }
    let format = "--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%B";
    let out = run(git_dir, ["show", "--no-patch", "--date=raw", format, "--end-of-options", id]).await?;
    let text = String::from_utf8_lossy(&out);
    let fields: Vec<&str> = text.splitn(10, '\0').collect();
    let [id, tree, parents, an, ae, ad, cn, ce, cd, message] = fields[..] else {
        return Err(RepoError::Internal(format!("git show printed {} fields for {id}", fields.len())));
    };
    let signature = |name: &str, email: &str, date: &str| Signature {
        name: name.to_owned(),
        email: email.to_owned(),
        date: date.to_owned(),
        iso_date: iso_of_raw(date),
    };
    Ok(CommitInfo {
        id: id.to_owned(),
        tree: tree.to_owned(),
        parents: parents.split_whitespace().map(str::to_owned).collect(),
        message: message.trim_end_matches('\n').to_owned(),
        author: signature(an, ae, ad),
        committer: signature(cn, ce, cd),
    })
}

/// `1484167798 -0800` as `2017-01-11T20:49:58Z`.
fn iso_of_raw(raw: &str) -> String {
    let seconds: i64 = raw.split_whitespace().next().and_then(|s| s.parse().ok()).unwrap_or_default();
    model::time::rfc3339(seconds * 1000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn raw_dates_become_utc_iso() {
        assert_eq!(super::iso_of_raw("1484167798 -0800"), "2017-01-11T20:49:58Z");
    }
}
