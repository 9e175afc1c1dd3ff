//! Each host's push and pull-request deliveries, normalised into `model::git_trigger::GitEvent`s.
//! The event's name comes from the host's header (`X-GitHub-Event`, `X-Gitlab-Event`,
//! `X-Event-Key`); events Sluice does not act on are `Ignored` with the reason, and a body
//! that lacks what its event must carry is `Malformed`, naming the field.
use super::super::ProviderType;
use model::git_trigger::{GitEvent, GitEventKind, GitRef};
use model::GitPullRequestEventType as Pr;
use serde_json::Value;

/// GitHub lists at most this many commits in a push; a push with this many may have more.
const GITHUB_MAX_COMMITS: usize = 2048;
/// Changed paths past this many are not kept (each is matched against every pattern).
const MAX_FILES: usize = 5000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// The repository (`owner/name`) and its events: one, or for Bitbucket one per pushed ref.
    Events {
        repository: String,
        events: Vec<GitEvent>,
    },
    Ignored(String),
}

/// `kind` is the host's event header, `body` the delivery's JSON.
pub fn parse(provider: ProviderType, kind: Option<&str>, body: &[u8]) -> Result<Parsed, String> {
    let kind = kind.unwrap_or_default();
    let (header, known) = match provider {
        ProviderType::GitHub | ProviderType::GitHubEnterpriseServer => {
            ("X-GitHub-Event", matches!(kind, "push" | "pull_request"))
        }
        ProviderType::GitLab | ProviderType::GitLabSelfManaged => {
            ("X-Gitlab-Event", matches!(kind, "Push Hook" | "Tag Push Hook" | "Merge Request Hook"))
        }
        ProviderType::Bitbucket => ("X-Event-Key", kind == "repo:push" || kind.starts_with("pullrequest:")),
    };
    if !known {
        return Ok(Parsed::Ignored(format!("{header} {kind:?} is not a push or a pull request")));
    }
    let payload: Value = serde_json::from_slice(body).map_err(|e| format!("The delivery's body is not JSON: {e}"))?;
    let payload = Body(&payload);
    match provider {
        ProviderType::GitHub | ProviderType::GitHubEnterpriseServer => github(kind, payload),
        ProviderType::GitLab | ProviderType::GitLabSelfManaged => gitlab(kind, payload),
        ProviderType::Bitbucket => bitbucket(kind, payload),
    }
}

/// A JSON value read by path, each missing field an error naming it.
#[derive(Clone, Copy)]
struct Body<'a>(&'a Value);

impl<'a> Body<'a> {
    fn at(self, path: &str) -> Option<&'a Value> {
        path.split('.').try_fold(self.0, |value, key| value.get(key))
    }

    fn text(self, path: &str) -> Result<&'a str, String> {
        self.at(path).and_then(Value::as_str).ok_or_else(|| format!("The delivery has no {path} (a string)"))
    }

    fn number(self, path: &str) -> Option<u64> {
        self.at(path).and_then(Value::as_u64)
    }

    fn flag(self, path: &str) -> bool {
        self.at(path).and_then(Value::as_bool).unwrap_or(false)
    }
}

fn events(repository: &str, events: Vec<GitEvent>) -> Parsed {
    Parsed::Events { repository: repository.to_owned(), events }
}

/// A commit id as git names it; anything else is refused before it reaches a fetch.
fn commit_id(text: &str, field: &str) -> Result<String, String> {
    match text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        true => Ok(text.to_ascii_lowercase()),
        false => Err(format!("The delivery's {field} {text:?} is not a 40-character commit id")),
    }
}

fn is_deletion(commit: &str) -> bool {
    commit.bytes().all(|b| b == b'0')
}

/// The paths the listed commits added, changed or removed; None when the list may be cut short.
fn changed_files(commits: Option<&Value>, complete: bool) -> Option<Vec<String>> {
    let commits = commits?.as_array()?;
    let mut files: Vec<String> = commits
        .iter()
        .flat_map(|commit| ["added", "modified", "removed"].map(|key| commit.get(key)))
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    files.sort();
    files.dedup();
    (complete && files.len() <= MAX_FILES).then_some(files)
}

/// A pushed ref Sluice can run: a branch or a tag; None (ignored) otherwise.
fn pushed_ref(reference: &str) -> Result<GitRef, Parsed> {
    GitRef::parse(reference).ok_or_else(|| Parsed::Ignored(format!("{reference} is neither a branch nor a tag")))
}

fn github(kind: &str, body: Body<'_>) -> Result<Parsed, String> {
    let repository = body.text("repository.full_name")?;
    if kind == "push" {
        let after = body.text("after")?;
        if body.flag("deleted") || is_deletion(after) {
            return Ok(Parsed::Ignored(format!("{} was deleted", body.text("ref")?)));
        }
        let reference = match pushed_ref(body.text("ref")?) {
            Ok(reference) => reference,
            Err(ignored) => return Ok(ignored),
        };
        let commits = body.at("commits");
        let complete = commits.and_then(Value::as_array).is_some_and(|c| c.len() < GITHUB_MAX_COMMITS);
        // An annotated tag's `after` is the tag object; `head_commit` is its commit.
        let (commit, field) = match body.at("head_commit.id").and_then(Value::as_str) {
            Some(head) => (head, "head_commit.id"),
            None => (after, "after"),
        };
        let event = GitEvent {
            kind: GitEventKind::Push(reference),
            commit: commit_id(commit, field)?,
            changed_files: changed_files(commits, complete),
        };
        return Ok(events(repository, vec![event]));
    }
    let action = match body.text("action")? {
        "opened" | "reopened" => Pr::Open,
        "synchronize" => Pr::Updated,
        "closed" => Pr::Closed,
        other => return Ok(Parsed::Ignored(format!("pull request action {other:?} is not OPEN, UPDATED or CLOSED"))),
    };
    let event = GitEvent {
        kind: GitEventKind::PullRequest {
            action,
            number: body.number("number"),
            source_branch: body.text("pull_request.head.ref")?.to_owned(),
            destination_branch: body.text("pull_request.base.ref")?.to_owned(),
        },
        commit: commit_id(body.text("pull_request.head.sha")?, "pull_request.head.sha")?,
        changed_files: None,
    };
    Ok(events(repository, vec![event]))
}

fn gitlab(kind: &str, body: Body<'_>) -> Result<Parsed, String> {
    let repository = body.text("project.path_with_namespace")?;
    if kind != "Merge Request Hook" {
        let after = body.text("after")?;
        if is_deletion(after) {
            return Ok(Parsed::Ignored(format!("{} was deleted", body.text("ref")?)));
        }
        let reference = match pushed_ref(body.text("ref")?) {
            Ok(reference) => reference,
            Err(ignored) => return Ok(ignored),
        };
        // An annotated tag's `after` is the tag object; `checkout_sha` is its commit.
        let commit = body.at("checkout_sha").and_then(Value::as_str).unwrap_or(after);
        let listed = body.at("commits").and_then(Value::as_array).map_or(0, Vec::len) as u64;
        let complete = body.number("total_commits_count").is_none_or(|total| total <= listed);
        let event = GitEvent {
            kind: GitEventKind::Push(reference),
            commit: commit_id(commit, "checkout_sha")?,
            changed_files: changed_files(body.at("commits"), complete),
        };
        return Ok(events(repository, vec![event]));
    }
    let action = match body.text("object_attributes.action")? {
        "open" | "reopen" => Pr::Open,
        // An update without `oldrev` changed the title or labels, not the code.
        "update" if body.at("object_attributes.oldrev").is_some() => Pr::Updated,
        "close" | "merge" => Pr::Closed,
        other => return Ok(Parsed::Ignored(format!("merge request action {other:?} brings no new commit to run"))),
    };
    let event = GitEvent {
        kind: GitEventKind::PullRequest {
            action,
            number: body.number("object_attributes.iid"),
            source_branch: body.text("object_attributes.source_branch")?.to_owned(),
            destination_branch: body.text("object_attributes.target_branch")?.to_owned(),
        },
        commit: commit_id(body.text("object_attributes.last_commit.id")?, "object_attributes.last_commit.id")?,
        changed_files: None,
    };
    Ok(events(repository, vec![event]))
}

fn bitbucket(kind: &str, body: Body<'_>) -> Result<Parsed, String> {
    let repository = body.text("repository.full_name")?;
    if kind == "repo:push" {
        let changes =
            body.at("push.changes").and_then(Value::as_array).ok_or("The delivery has no push.changes (a list)")?;
        let mut pushed = Vec::new();
        for change in changes.iter().map(Body) {
            // A deleted branch or tag has no `new`.
            let Some(new) = change.at("new").filter(|v| !v.is_null()).map(Body) else { continue };
            let name = new.text("name")?.to_owned();
            let reference = match new.text("type")? {
                "branch" => GitRef::Branch(name),
                "tag" | "annotated_tag" => GitRef::Tag(name),
                _ => continue,
            };
            let commit = commit_id(new.text("target.hash")?, "push.changes[].new.target.hash")?;
            pushed.push(GitEvent { kind: GitEventKind::Push(reference), commit, changed_files: None });
        }
        if pushed.is_empty() {
            return Ok(Parsed::Ignored("the push only deleted branches or tags".into()));
        }
        return Ok(events(repository, pushed));
    }
    let action = match kind {
        "pullrequest:created" => Pr::Open,
        "pullrequest:updated" => Pr::Updated,
        "pullrequest:fulfilled" | "pullrequest:rejected" => Pr::Closed,
        other => return Ok(Parsed::Ignored(format!("X-Event-Key {other:?} is not OPEN, UPDATED or CLOSED"))),
    };
    let event = GitEvent {
        kind: GitEventKind::PullRequest {
            action,
            number: body.number("pullrequest.id"),
            source_branch: body.text("pullrequest.source.branch.name")?.to_owned(),
            destination_branch: body.text("pullrequest.destination.branch.name")?.to_owned(),
        },
        // Bitbucket abbreviates pull requests' commits; only a full id can be pinned.
        commit: commit_id(body.text("pullrequest.source.commit.hash")?, "pullrequest.source.commit.hash")?,
        changed_files: None,
    };
    Ok(events(repository, vec![event]))
}

#[cfg(test)]
mod tests;
