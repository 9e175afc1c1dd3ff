//! Git repositories hosted by Sluice, the repositories of the CodeCommit source provider: bare
//! repositories in `<data-dir>/repos/<name>.git`, made and read with the system `git`. Each one
//! keeps CodeCommit's metadata (its id, description and dates) in a small JSON file beside its
//! objects, so a repository is one folder to back up, move or delete. Pushes arrive through `git
//! http-backend` (the server runs it); what they change is recorded by `push`.
pub mod git;
pub mod names;
pub mod push;
pub mod snapshot;

pub use git::{CommitInfo, Signature};
pub use names::RepoError;
pub use push::{RefUpdate, REPOSITORY_STATE_CHANGE};

use names::{check_branch_name, check_commit_id, check_description, check_repository_name};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const METADATA_FILE: &str = "sluice-repository.json";

type Result<T, E = RepoError> = std::result::Result<T, E>;

/// A repository's CodeCommit metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub name: String,
    pub id: String,
    pub description: Option<String>,
    pub created_ms: i64,
    pub last_modified_ms: i64,
    /// The branch HEAD names, once it exists (the first branch pushed, as on CodeCommit).
    pub default_branch: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredMetadata {
    repository_id: String,
    description: Option<String>,
    created_ms: i64,
    last_modified_ms: i64,
}

/// The hosted repositories. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Repositories {
    root: PathBuf,
    public_url: String,
    /// One lock per repository: pushes to it are recorded one at a time.
    push_locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Repositories {
    /// The repositories under `<data_dir>/repos`, cloned from `<public_url>/v1/repos/<name>`.
    pub fn new(data_dir: &Path, public_url: &str) -> Self {
        let root = data_dir.join("repos");
        let root = std::path::absolute(&root).unwrap_or(root);
        Repositories { root, public_url: public_url.trim_end_matches('/').to_owned(), push_locks: Arc::default() }
    }

    /// The folder `git http-backend` serves as `GIT_PROJECT_ROOT`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The bare repository of a (checked) name; it may not exist.
    pub fn git_dir(&self, name: &str) -> Result<PathBuf> {
        check_repository_name(name)?;
        Ok(self.root.join(format!("{name}.git")))
    }

    /// The HTTPS (or HTTP) address `git clone` takes, as CodeCommit's `cloneUrlHttp`.
    pub fn clone_url(&self, name: &str) -> String {
        format!("{}/v1/repos/{name}", self.public_url)
    }

    /// The bare repository of an existing repository, or `NotFound`.
    pub async fn existing(&self, name: &str) -> Result<PathBuf> {
        let dir = self.git_dir(name)?;
        match tokio::fs::try_exists(dir.join(METADATA_FILE)).await {
            Ok(true) => Ok(dir),
            Ok(false) => Err(RepoError::NotFound(name.to_owned())),
            Err(err) => Err(RepoError::internal(format!("reading {}", dir.display()), err)),
        }
    }

    /// CreateRepository: a new, empty bare repository. It is made under a temporary name and
    /// renamed into place, so a half-made repository is never seen and two creations of one
    /// name cannot both succeed.
    pub async fn create(&self, name: &str, description: Option<&str>) -> Result<Repository> {
        let dir = self.git_dir(name)?;
        if let Some(description) = description {
            check_description(description)?;
        }
        let io = |what: &str| {
            let what = what.to_owned();
            move |err: std::io::Error| RepoError::internal(what, err)
        };
        tokio::fs::create_dir_all(&self.root).await.map_err(io("creating the repositories folder"))?;
        if tokio::fs::try_exists(&dir).await.unwrap_or(false) {
            return Err(RepoError::NameExists(name.to_owned()));
        }
        let staging = self.root.join(format!(".new-{}", uuid::Uuid::new_v4().simple()));
        let mut init = git::command();
        init.args(["init", "--bare", "--quiet", "--initial-branch=main"]).arg(&staging);
        git::output(init).await?;
        // Pushes over HTTP are allowed to authenticated users; Sluice checks GitPush first.
        git::run(&staging, ["config", "http.receivepack", "true"]).await?;
        // Branch histories, so a poller can tell which head was current when a pipeline was saved.
        git::run(&staging, ["config", "core.logAllRefUpdates", "always"]).await?;
        let now = crate::now_ms();
        let metadata = StoredMetadata {
            repository_id: uuid::Uuid::new_v4().to_string(),
            description: description.map(str::to_owned),
            created_ms: now,
            last_modified_ms: now,
        };
        write_metadata(&staging, &metadata).await?;
        // rename(2) refuses to replace a folder that is not empty: the loser of a race learns it here.
        if let Err(err) = tokio::fs::rename(&staging, &dir).await {
            let _ = tokio::fs::remove_dir_all(&staging).await;
            return match tokio::fs::try_exists(&dir).await {
                Ok(true) => Err(RepoError::NameExists(name.to_owned())),
                _ => Err(RepoError::internal("creating the repository", err)),
            };
        }
        self.get(name).await
    }

    /// GetRepository.
    pub async fn get(&self, name: &str) -> Result<Repository> {
        let dir = self.existing(name).await?;
        let metadata = read_metadata(&dir).await?;
        let default_branch = self.default_branch(&dir).await?;
        Ok(Repository {
            name: name.to_owned(),
            id: metadata.repository_id,
            description: metadata.description,
            created_ms: metadata.created_ms,
            last_modified_ms: metadata.last_modified_ms,
            default_branch,
        })
    }

    /// Every repository, by name.
    pub async fn list(&self) -> Result<Vec<Repository>> {
        let mut entries = match tokio::fs::read_dir(&self.root).await {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(RepoError::internal("listing the repositories", err)),
        };
        let mut names = Vec::new();
        while let Some(entry) = entries.next_entry().await.map_err(|e| RepoError::internal("listing", e))? {
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|n| n.strip_suffix(".git")) else { continue };
            if check_repository_name(name).is_ok() {
                names.push(name.to_owned());
            }
        }
        names.sort();
        let mut repositories = Vec::with_capacity(names.len());
        for name in names {
            match self.get(&name).await {
                Ok(repository) => repositories.push(repository),
                // Deleted since the folder was listed.
                Err(RepoError::NotFound(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(repositories)
    }

    /// DeleteRepository: the id of the repository deleted, or None when there was none.
    pub async fn delete(&self, name: &str) -> Result<Option<String>> {
        let dir = match self.existing(name).await {
            Ok(dir) => dir,
            Err(RepoError::NotFound(_)) => return Ok(None),
            Err(err) => return Err(err),
        };
        let id = read_metadata(&dir).await?.repository_id;
        // Moved out of the way first, so the name is free at once and no clone sees half of it.
        let doomed = self.root.join(format!(".deleted-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::rename(&dir, &doomed).await.map_err(|e| RepoError::internal("deleting the repository", e))?;
        tokio::fs::remove_dir_all(&doomed).await.map_err(|e| RepoError::internal("deleting the repository", e))?;
        Ok(Some(id))
    }

    /// UpdateRepositoryDescription.
    pub async fn set_description(&self, name: &str, description: Option<&str>) -> Result<()> {
        if let Some(description) = description {
            check_description(description)?;
        }
        let dir = self.existing(name).await?;
        let mut metadata = read_metadata(&dir).await?;
        metadata.description = description.map(str::to_owned);
        metadata.last_modified_ms = crate::now_ms();
        write_metadata(&dir, &metadata).await
    }

    /// Every branch and tag of a repository: full reference name → commit id.
    pub async fn refs(&self, name: &str) -> Result<BTreeMap<String, String>> {
        git::refs(&self.existing(name).await?).await
    }

    /// The branches of a repository, by name, with their commits.
    pub async fn branches(&self, name: &str) -> Result<Vec<(String, String)>> {
        let refs = self.refs(name).await?;
        Ok(refs
            .into_iter()
            .filter_map(|(reference, commit)| Some((reference.strip_prefix("refs/heads/")?.to_owned(), commit)))
            .collect())
    }

    /// GetBranch: the commit at the head of `branch`, or `BranchNotFound`.
    pub async fn branch_head(&self, name: &str, branch: &str) -> Result<String> {
        check_branch_name(branch)?;
        let dir = self.existing(name).await?;
        git::resolve(&dir, &format!("refs/heads/{branch}"))
            .await?
            .ok_or_else(|| RepoError::BranchNotFound { repository: name.to_owned(), branch: branch.to_owned() })
    }

    /// The head `branch` had at `at_ms`, from its reflog: the newest entry whose second ended
    /// before then. None when the branch did not exist then (or has no reflog).
    pub async fn branch_head_at(&self, name: &str, branch: &str, at_ms: i64) -> Result<Option<String>> {
        check_branch_name(branch)?;
        let dir = self.existing(name).await?;
        let reference = format!("refs/heads/{branch}");
        let args = ["log", "--walk-reflogs", "--date=unix", "--format=%H %gd", "--end-of-options", reference.as_str()];
        let Ok(out) = git::run(&dir, args).await else { return Ok(None) };
        let text = String::from_utf8_lossy(&out);
        Ok(text.lines().find_map(|line| {
            let (commit, selector) = line.split_once(' ')?;
            let seconds: i64 = selector.rsplit_once("@{")?.1.trim_end_matches('}').parse().ok()?;
            (seconds * 1000 + 999 < at_ms).then(|| commit.to_owned())
        }))
    }

    /// GetCommit.
    pub async fn commit(&self, name: &str, id: &str) -> Result<CommitInfo> {
        check_commit_id(id)?;
        git::commit(&self.existing(name).await?, id).await
    }

    /// Waits for the repository's push lock: a push is recorded while it is held, so two
    /// pushes to one repository are never told apart from each other's changes.
    pub async fn lock_pushes(&self, name: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.push_locks.lock().unwrap_or_else(|e| e.into_inner());
            locks.entry(name.to_owned()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// After a push: the repository was modified now, and if HEAD names no branch yet, the first
    /// branch pushed becomes the default one.
    pub(crate) async fn pushed(&self, name: &str, created_branch: Option<&str>) -> Result<()> {
        let dir = self.existing(name).await?;
        let mut metadata = read_metadata(&dir).await?;
        metadata.last_modified_ms = crate::now_ms();
        write_metadata(&dir, &metadata).await?;
        if let Some(branch) = created_branch {
            if self.default_branch(&dir).await?.is_none() {
                git::run(&dir, ["symbolic-ref", "HEAD", format!("refs/heads/{branch}").as_str()]).await?;
            }
        }
        Ok(())
    }

    /// The branch HEAD points to, if that branch exists.
    async fn default_branch(&self, dir: &Path) -> Result<Option<String>> {
        let head = git::run(dir, ["symbolic-ref", "--quiet", "HEAD"]).await.unwrap_or_default();
        let head = String::from_utf8_lossy(&head).trim().to_owned();
        let Some(branch) = head.strip_prefix("refs/heads/") else { return Ok(None) };
        Ok(git::resolve(dir, &head).await?.map(|_| branch.to_owned()))
    }
}

async fn read_metadata(dir: &Path) -> Result<StoredMetadata> {
    let path = dir.join(METADATA_FILE);
    let text =
        tokio::fs::read(&path).await.map_err(|e| RepoError::internal(format!("reading {}", path.display()), e))?;
    serde_json::from_slice(&text).map_err(|e| RepoError::internal(format!("reading {}", path.display()), e))
}

/// Written to a temporary file and renamed over the old one, so a reader never sees half of it.
async fn write_metadata(dir: &Path, metadata: &StoredMetadata) -> Result<()> {
    let path = dir.join(METADATA_FILE);
    let staging = dir.join(format!(".{METADATA_FILE}.{}", uuid::Uuid::new_v4().simple()));
    let text = serde_json::to_vec_pretty(metadata).map_err(|e| RepoError::internal("encoding metadata", e))?;
    let io = |e: std::io::Error| RepoError::internal(format!("writing {}", path.display()), e);
    tokio::fs::write(&staging, text).await.map_err(io)?;
    tokio::fs::rename(&staging, &path).await.map_err(io)
}
