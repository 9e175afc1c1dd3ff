//! The system `git` driving Sluice's hosted repositories over HTTP, with no user or system
//! configuration (no global identity, no credential helper, no prompt), and CodeCommit requests
//! signed as the aws CLI signs them.
use super::{now_seconds, services::signed_service_request, RawAnswer, TestServer};
use std::path::{Path, PathBuf};
use std::process::Output;

impl TestServer {
    /// A CodeCommit request (`CodeCommit_20150413.<operation>`) signed as `tester`.
    pub async fn codecommit(&self, operation: &str, body: serde_json::Value) -> RawAnswer {
        let (id, secret) = &self.key;
        let date = server::auth::sigv4::format_amz_date(now_seconds());
        let target = format!("CodeCommit_20150413.{operation}");
        signed_service_request(
            &self.url,
            "codecommit",
            Some(&target),
            body.to_string().into_bytes(),
            (id, secret),
            date,
        )
        .await
    }

    /// Creates a hosted repository through the API.
    pub async fn create_repository(&self, name: &str) {
        let created = self.codecommit("CreateRepository", serde_json::json!({ "repositoryName": name })).await;
        assert_eq!(created.status, 200, "{}", created.text);
    }

    /// The clone URL of `repository` with `key` as Basic credentials in it.
    pub fn remote(&self, repository: &str, (id, secret): &(String, String)) -> String {
        let host = self.url.trim_start_matches("http://");
        format!("http://{}:{}@{host}/v1/repos/{repository}", encode(id), encode(secret))
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            true => (b as char).to_string(),
            false => format!("%{b:02X}"),
        })
        .collect()
}

/// A fresh, empty folder for a working copy.
pub fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-git-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs git in `dir`, whatever its outcome. Async: the server under test runs on the test's
/// runtime, and a blocking wait for a push would keep it from answering.
pub async fn git_output(dir: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .envs([("GIT_AUTHOR_NAME", "Ada"), ("GIT_AUTHOR_EMAIL", "ada@example.com")])
        .envs([("GIT_COMMITTER_NAME", "Ada"), ("GIT_COMMITTER_EMAIL", "ada@example.com")])
        .output()
        .await
        .expect("git runs")
}

/// Runs git in `dir` and returns its trimmed output; panics with git's words when it fails.
pub async fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args).await;
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A new working copy on `main`, without commits.
pub async fn new_working_copy() -> PathBuf {
    let dir = scratch_dir();
    git(&dir, &["init", "--quiet", "--initial-branch=main"]).await;
    dir
}

/// Writes `file` and commits it; returns the commit id.
pub async fn commit_file(dir: &Path, file: &str, text: &str, message: &str) -> String {
    std::fs::write(dir.join(file), text).unwrap();
    git(dir, &["add", file]).await;
    git(dir, &["commit", "--quiet", "-m", message]).await;
    git(dir, &["rev-parse", "HEAD"]).await
}
