//! A repository on an outside host, reached through a connection: `git ls-remote` for a branch's
//! head and `git fetch` of a branch, with the system `git` in the clean environment of
//! `repos::git`. The token travels in an `Authorization` header given to git through
//! `GIT_CONFIG_*` variables: never on a command line, in a URL or in a file, so neither `ps`,
//! git's messages nor a clone handed to the next action can show it.
use super::check::{check_repository_id, id_of_arn};
use super::{ConnectionStatus, Connections, ProviderType};
use crate::repos::git;
use base64::Engine as _;
use std::path::Path;

/// Why a repository could not be reached through a connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    #[error("The connection {0} does not exist in Sluice")]
    ConnectionNotFound(String),
    #[error("The connection {name} is PENDING: an administrator must give it a token first (sluice connection set-token {name})")]
    Pending { name: String },
    #[error("The connection {0} is in ERROR: its host no longer exists")]
    Broken(String),
    #[error("{0}")]
    InvalidRepository(String),
    #[error("The repository {repository} could not be read through the connection {connection}: {why}")]
    Unreachable { repository: String, connection: String, why: String },
    #[error("Branch {branch} does not exist in repository {repository}")]
    BranchNotFound { repository: String, branch: String },
    #[error("Commit {commit} does not exist in repository {repository}")]
    CommitNotFound { repository: String, commit: String },
    /// `git` or the database failed: the server's trouble.
    #[error("{0}")]
    Internal(String),
}

/// A repository of a connection's host, ready to be read.
#[derive(Clone)]
pub struct Remote {
    /// `<host URL>/<FullRepositoryId>.git`, without credentials: safe to log and to keep.
    pub url: String,
    pub repository: String,
    pub connection: String,
    pub provider_type: ProviderType,
    /// The `Authorization` header's value, when the connection has a token.
    authorization: Option<String>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("url", &self.url)
            .field("token", &self.authorization.as_ref().map(|_| "****"))
            .finish()
    }
}

impl Connections {
    /// The repository `repository` (a FullRepositoryId) of the connection `arn`, refused unless
    /// the connection exists and is AVAILABLE.
    pub async fn remote(&self, arn: &str, repository: &str) -> Result<Remote, RemoteError> {
        check_repository_id(repository).map_err(RemoteError::InvalidRepository)?;
        let internal = |err: crate::StoreError| RemoteError::Internal(err.to_string());
        let id =
            id_of_arn(arn, "connection", &self.account).ok_or_else(|| RemoteError::ConnectionNotFound(arn.into()))?;
        let connection = self
            .store
            .connection(id)
            .await
            .map_err(internal)?
            .ok_or_else(|| RemoteError::ConnectionNotFound(arn.into()))?;
        let base = match (&connection.host_id, connection.provider_type.public_url()) {
            (Some(host), _) => match self.store.connection_host(host).await.map_err(internal)? {
                Some(host) => host.endpoint,
                None => return Err(RemoteError::Broken(connection.name)),
            },
            (None, Some(public)) => public.to_owned(),
            (None, None) => return Err(RemoteError::Broken(connection.name)),
        };
        match connection.status {
            ConnectionStatus::Available => {}
            ConnectionStatus::Pending => return Err(RemoteError::Pending { name: connection.name }),
            ConnectionStatus::Error => return Err(RemoteError::Broken(connection.name)),
        }
        let token = self.store.connection_token(&connection.id).await.map_err(internal)?;
        let authorization = token.map(|token| {
            let user_and_token = match token.contains(':') {
                true => token,
                false => format!("{}:{token}", connection.provider_type.token_user()),
            };
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(user_and_token))
        });
        let path = repository.strip_suffix(".git").unwrap_or(repository);
        Ok(Remote {
            url: format!("{base}/{path}.git"),
            repository: repository.to_owned(),
            connection: connection.name,
            provider_type: connection.provider_type,
            authorization,
        })
    }
}

impl Remote {
    /// The commit's page on the host, for the hosts whose addresses Sluice knows.
    pub fn commit_url(&self, commit: &str) -> Option<String> {
        self.provider_type.commit_url(&self.url, commit)
    }

    /// `git` for this remote: no prompt, only the transports a host URL may use, and the token
    /// (if any) as a header that redirects cannot carry elsewhere.
    fn git(&self) -> tokio::process::Command {
        let mut command = git::command();
        command.env("GIT_TERMINAL_PROMPT", "0").env("GIT_ALLOW_PROTOCOL", "https:http:file");
        if let Some(authorization) = &self.authorization {
            command.env("GIT_CONFIG_COUNT", "2");
            command.env("GIT_CONFIG_KEY_0", "http.extraHeader");
            command.env("GIT_CONFIG_VALUE_0", format!("Authorization: {authorization}"));
            command.env("GIT_CONFIG_KEY_1", "http.followRedirects").env("GIT_CONFIG_VALUE_1", "false");
        }
        command
    }

    /// Runs a prepared git command; its failure worded as the repository being unreachable.
    async fn run(&self, mut command: tokio::process::Command) -> Result<Vec<u8>, RemoteError> {
        let out = command.output().await.map_err(|e| RemoteError::Internal(format!("could not run git: {e}")))?;
        if out.status.success() {
            return Ok(out.stdout);
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let why = stderr.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("git failed").to_owned();
        Err(RemoteError::Unreachable { repository: self.repository.clone(), connection: self.connection.clone(), why })
    }

    /// The commit at the head of `branch` (a checked name), or None when there is no such branch.
    pub async fn branch_head(&self, branch: &str) -> Result<Option<String>, RemoteError> {
        crate::repos::names::check_branch_name(branch).map_err(|e| RemoteError::InvalidRepository(e.to_string()))?;
        let mut command = self.git();
        command.args(["ls-remote", "--heads", "--end-of-options", &self.url, &format!("refs/heads/{branch}")]);
        let out = self.run(command).await?;
        let text = String::from_utf8_lossy(&out);
        Ok(text.lines().find_map(|line| {
            let (commit, reference) = line.split_once('\t')?;
            (reference == format!("refs/heads/{branch}")).then(|| commit.to_owned())
        }))
    }

    /// Fetches `branch` into a new bare repository at `git_dir` and returns its head, or with
    /// `commit` that commit (as `refs/heads/<branch>`). `shallow` fetches one commit alone.
    pub async fn fetch(
        &self,
        branch: &str,
        commit: Option<&str>,
        git_dir: &Path,
        shallow: bool,
    ) -> Result<String, RemoteError> {
        let internal = |e: crate::repos::RepoError| RemoteError::Internal(e.to_string());
        if let Some(wanted) = commit {
            crate::repos::names::check_commit_id(wanted).map_err(|e| RemoteError::InvalidRepository(e.to_string()))?;
            crate::repos::names::check_branch_name(branch)
                .map_err(|e| RemoteError::InvalidRepository(e.to_string()))?;
            return self.fetch_commit(branch, wanted, git_dir, shallow).await;
        }
        let head = self.branch_head(branch).await?.ok_or_else(|| RemoteError::BranchNotFound {
            repository: self.repository.clone(),
            branch: branch.to_owned(),
        })?;
        self.init(git_dir).await?;
        let refspec = format!("+refs/heads/{branch}:refs/heads/{branch}");
        self.run(self.fetch_command(git_dir, depth(shallow), &[refspec.as_str()])).await?;
        let fetched = git::resolve(git_dir, &format!("refs/heads/{branch}")).await.map_err(internal)?;
        Ok(fetched.unwrap_or(head))
    }

    /// A pinned commit, which a webhook may name on no branch (a tag's, a pull request's): asked
    /// for by its id, which hosts speaking git's protocol v2 serve, else with every branch and tag.
    async fn fetch_commit(
        &self,
        branch: &str,
        wanted: &str,
        git_dir: &Path,
        shallow: bool,
    ) -> Result<String, RemoteError> {
        let internal = |e: crate::repos::RepoError| RemoteError::Internal(e.to_string());
        self.init(git_dir).await?;
        let by_id = format!("+{wanted}:refs/heads/{branch}");
        if self.run(self.fetch_command(git_dir, depth(shallow), &[by_id.as_str()])).await.is_err() {
            let every = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];
            self.run(self.fetch_command(git_dir, &[], &every)).await?;
            let mut pin = git::command();
            pin.arg("--git-dir").arg(git_dir).args(["update-ref", &format!("refs/heads/{branch}"), wanted]);
            git::output(pin).await.ok();
        }
        match git::resolve(git_dir, wanted).await.map_err(internal)? {
            Some(found) if found == wanted => Ok(found),
            _ => Err(RemoteError::CommitNotFound { repository: self.repository.clone(), commit: wanted.to_owned() }),
        }
    }

    /// The paths `head` changes against the branch `base` (since their merge base), as a pull
    /// request's file-path filters see them. Only commits and trees are fetched where the host
    /// allows it (`blob:none`), into a scratch repository removed afterwards.
    pub async fn changed_files(&self, base: &str, head: &str) -> Result<Vec<String>, RemoteError> {
        crate::repos::names::check_branch_name(base).map_err(|e| RemoteError::InvalidRepository(e.to_string()))?;
        crate::repos::names::check_commit_id(head).map_err(|e| RemoteError::InvalidRepository(e.to_string()))?;
        let git_dir = std::env::temp_dir().join(format!("sluice-diff-{}", uuid::Uuid::new_v4().simple()));
        let diff = async {
            self.init(&git_dir).await?;
            let refspecs = [format!("+refs/heads/{base}:refs/heads/{base}"), format!("+{head}:refs/heads/head")];
            let refspecs = [refspecs[0].as_str(), refspecs[1].as_str()];
            self.run(self.fetch_command(&git_dir, &["--filter=blob:none"], &refspecs)).await?;
            let mut diff = git::command();
            diff.arg("--git-dir").arg(&git_dir).args(["diff", "--name-only", "-z", "--no-renames"]);
            diff.arg(format!("refs/heads/{base}...refs/heads/head"));
            let out = git::output(diff).await.map_err(|e| RemoteError::Internal(e.to_string()))?;
            let names = out.split(|b| *b == 0).filter(|name| !name.is_empty());
            Ok(names.map(|name| String::from_utf8_lossy(name).into_owned()).collect())
        };
        let found = diff.await;
        tokio::fs::remove_dir_all(&git_dir).await.ok();
        found
    }

    /// A new bare repository; no template, so nothing of the system's git set-up (sample hooks
    /// included) comes along.
    async fn init(&self, git_dir: &Path) -> Result<(), RemoteError> {
        let mut init = git::command();
        init.args(["init", "--bare", "--quiet", "--template="]).arg(git_dir);
        git::output(init).await.map_err(|e| RemoteError::Internal(e.to_string()))?;
        Ok(())
    }

    /// `git fetch` of `refspecs` with `options` (`--depth=1`, `--filter=...`).
    fn fetch_command(&self, git_dir: &Path, options: &[&str], refspecs: &[&str]) -> tokio::process::Command {
        let mut fetch = self.git();
        fetch.arg("--git-dir").arg(git_dir).args(["fetch", "--quiet", "--no-tags", "--no-recurse-submodules"]);
        fetch.args(options);
        fetch.args(["--end-of-options", self.url.as_str()]).args(refspecs);
        fetch
    }
}

/// A shallow fetch takes one commit alone.
fn depth(shallow: bool) -> &'static [&'static str] {
    match shallow {
        true => &["--depth=1"],
        false => &[],
    }
}
