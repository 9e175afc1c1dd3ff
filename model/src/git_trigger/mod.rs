//! Which V2 triggers a git event fires, by CodePipeline's rules ([UG] pipelines-filter): the
//! entries of `push` (or `pullRequest`) are ORed and the criteria inside one are ANDed; a tag
//! push is matched by `tags` filters only and a branch push by the others; a pull request's
//! `branches` are its destination branch; excludes win over includes; a file-path filter passes
//! when some changed file is included and not excluded. Pure: the engine normalises each host's
//! delivery into a `GitEvent` and starts what this says.
mod glob;

pub use glob::Glob;

use crate::pipeline::{
    GitConfiguration, GitFilterCriteria, GitPullRequestEventType, GitPullRequestFilter, GitPushFilter,
};

/// A pushed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitRef {
    Branch(String),
    Tag(String),
}

impl GitRef {
    /// `refs/heads/x` or `refs/tags/x`; None for other references (notes, pull heads, ...).
    pub fn parse(reference: &str) -> Option<GitRef> {
        if let Some(branch) = reference.strip_prefix("refs/heads/") {
            return Some(GitRef::Branch(branch.to_owned()));
        }
        reference.strip_prefix("refs/tags/").map(|tag| GitRef::Tag(tag.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitEventKind {
    Push(GitRef),
    PullRequest {
        action: GitPullRequestEventType,
        /// The host's number for it, for the trigger detail.
        number: Option<u64>,
        source_branch: String,
        destination_branch: String,
    },
}

/// A push or pull-request event, as any host's delivery says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitEvent {
    pub kind: GitEventKind,
    /// The commit a run takes: the pushed head, or the pull request's source head.
    pub commit: String,
    /// The paths the event changed; None when the delivery does not list them all.
    pub changed_files: Option<Vec<String>>,
}

impl GitEvent {
    /// How a trigger detail names the event.
    pub fn describe(&self) -> String {
        let short = self.commit.get(..12).unwrap_or(&self.commit);
        match &self.kind {
            GitEventKind::Push(GitRef::Branch(branch)) => format!("push to branch {branch} at {short}"),
            GitEventKind::Push(GitRef::Tag(tag)) => format!("push of tag {tag} at {short}"),
            GitEventKind::PullRequest { action, number, source_branch, destination_branch } => {
                let number = number.map(|n| format!(" #{n}")).unwrap_or_default();
                format!("pull request{number} {} {source_branch} -> {destination_branch} at {short}", action.as_str())
            }
        }
    }
}

/// Whether a trigger fires on an event, and why (or why not), in words for the delivery record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Fires(String),
    Skips(String),
}

impl Decision {
    pub fn fires(&self) -> bool {
        matches!(self, Decision::Fires(_))
    }
}

/// Whether `git` (the trigger of one source action, whose `BranchName` is `default_branch`)
/// fires on `event`. A trigger without filters starts on pushes to `default_branch`.
pub fn decide(git: &GitConfiguration, default_branch: &str, event: &GitEvent) -> Decision {
    let compiled = match Compiled::of(git) {
        Ok(compiled) => compiled,
        Err(why) => return Decision::Skips(why),
    };
    let files = event.changed_files.as_deref();
    match &event.kind {
        GitEventKind::Push(reference) if git.push.is_empty() && git.pull_request.is_empty() => match reference {
            GitRef::Branch(branch) if branch == default_branch => {
                Decision::Fires(format!("a push to the source action's branch {branch}"))
            }
            _ => Decision::Skips(format!(
                "the trigger has no filters and {} is not a push to {default_branch}",
                event.describe()
            )),
        },
        GitEventKind::Push(reference) => first_passing(&compiled.push, "push", |filter| filter.push(reference, files)),
        GitEventKind::PullRequest { action, destination_branch, .. } => {
            first_passing(&compiled.pull_request, "pullRequest", |filter| {
                filter.pull_request(*action, destination_branch, files)
            })
        }
    }
}

/// The first filter that passes, named by its index; else every filter's reason.
fn first_passing<F>(filters: &[F], what: &str, pass: impl Fn(&F) -> Result<(), String>) -> Decision {
    if filters.is_empty() {
        return Decision::Skips(format!("the trigger has no {what} filters"));
    }
    let mut reasons = Vec::new();
    for (n, filter) in filters.iter().enumerate() {
        match pass(filter) {
            Ok(()) => return Decision::Fires(format!("{what}[{n}]")),
            Err(why) => reasons.push(format!("{what}[{n}]: {why}")),
        }
    }
    Decision::Skips(reasons.join("; "))
}

/// Include and exclude patterns, compiled.
struct Criteria {
    includes: Vec<(String, Glob)>,
    excludes: Vec<(String, Glob)>,
}

impl Criteria {
    fn of(criteria: &GitFilterCriteria) -> Result<Criteria, String> {
        let compile = |patterns: &[String]| {
            patterns.iter().map(|p| Glob::new(p).map(|g| (p.clone(), g))).collect::<Result<Vec<_>, _>>()
        };
        Ok(Criteria { includes: compile(&criteria.includes)?, excludes: compile(&criteria.excludes)? })
    }

    /// None when `name` is selected; else why not. Excludes win; no includes means all.
    fn select(&self, what: &str, name: &str) -> Result<(), String> {
        if let Some((pattern, _)) = self.excludes.iter().find(|(_, g)| g.matches(name)) {
            return Err(format!("{what} {name} is excluded by {pattern:?}"));
        }
        if self.includes.is_empty() || self.includes.iter().any(|(_, g)| g.matches(name)) {
            return Ok(());
        }
        Err(format!("{what} {name} matches no include"))
    }

    /// Some changed file is selected; unknown files select nothing, as they cannot be checked.
    fn select_files(&self, files: Option<&[String]>) -> Result<(), String> {
        let Some(files) = files else {
            return Err("the changed files are not known (not listed, nor readable from the host), and the filePaths filter needs them".into());
        };
        match files.iter().any(|file| self.select("file", file).is_ok()) {
            true => Ok(()),
            false => Err(format!("none of the {} changed files is included and not excluded", files.len())),
        }
    }
}

fn optional(criteria: &Option<GitFilterCriteria>) -> Result<Option<Criteria>, String> {
    criteria.as_ref().map(Criteria::of).transpose()
}

struct PushFilter {
    tags: Option<Criteria>,
    branches: Option<Criteria>,
    file_paths: Option<Criteria>,
}

impl PushFilter {
    fn of(filter: &GitPushFilter) -> Result<PushFilter, String> {
        Ok(PushFilter {
            tags: optional(&filter.tags)?,
            branches: optional(&filter.branches)?,
            file_paths: optional(&filter.file_paths)?,
        })
    }

    fn push(&self, reference: &GitRef, files: Option<&[String]>) -> Result<(), String> {
        match (reference, &self.tags) {
            (GitRef::Tag(tag), Some(tags)) => tags.select("tag", tag),
            (GitRef::Tag(_), None) => Err("a tag push, and the filter has no tags".into()),
            (GitRef::Branch(_), Some(_)) => Err("a branch push, and the filter is on tags".into()),
            (GitRef::Branch(branch), None) => {
                if let Some(branches) = &self.branches {
                    branches.select("branch", branch)?;
                }
                self.file_paths.as_ref().map_or(Ok(()), |paths| paths.select_files(files))
            }
        }
    }
}

struct PullRequestFilter {
    events: Vec<GitPullRequestEventType>,
    branches: Option<Criteria>,
    file_paths: Option<Criteria>,
}

impl PullRequestFilter {
    fn of(filter: &GitPullRequestFilter) -> Result<PullRequestFilter, String> {
        Ok(PullRequestFilter {
            events: filter.events.clone(),
            branches: optional(&filter.branches)?,
            file_paths: optional(&filter.file_paths)?,
        })
    }

    /// No events listed means all three.
    fn pull_request(
        &self,
        action: GitPullRequestEventType,
        destination: &str,
        files: Option<&[String]>,
    ) -> Result<(), String> {
        if !self.events.is_empty() && !self.events.contains(&action) {
            return Err(format!("the event {} is not one of the filter's events", action.as_str()));
        }
        if let Some(branches) = &self.branches {
            branches.select("destination branch", destination)?;
        }
        self.file_paths.as_ref().map_or(Ok(()), |paths| paths.select_files(files))
    }
}

struct Compiled {
    push: Vec<PushFilter>,
    pull_request: Vec<PullRequestFilter>,
}

impl Compiled {
    fn of(git: &GitConfiguration) -> Result<Compiled, String> {
        Ok(Compiled {
            push: git.push.iter().map(PushFilter::of).collect::<Result<_, _>>()?,
            pull_request: git.pull_request.iter().map(PullRequestFilter::of).collect::<Result<_, _>>()?,
        })
    }
}

#[cfg(test)]
mod tests;
