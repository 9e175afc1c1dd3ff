//! The executions a delivery's events start: one per fired trigger and event, on the latest
//! version of each pipeline whose trigger names a CodeStarSourceConnection source action of
//! the delivering connection and repository. The event's commit is pinned on that action, and
//! the delivery's key makes the start idempotent, should the record's check be raced.
use super::StartedRun;
use crate::connections::check::id_of_arn;
use crate::connections::Connection;
use crate::runs::SourceRevisionOverride;
use crate::{Engine, EngineError, Result, StartRequest};
use model::git_trigger::{decide, Decision, GitEvent, GitEventKind};
use model::{ActionDeclaration, PipelineDeclaration, PipelineTriggerDeclaration, TriggerType};

const PROVIDER: &str = "CodeStarSourceConnection";
/// Hosts give up on a delivery after about ten seconds; reading a pull request's files may
/// take longer only for a host that is down.
const FILES_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// What one delivery started, and why each watching trigger that did not fire did not.
#[derive(Debug, Default)]
pub(super) struct Starts {
    pub started: Vec<StartedRun>,
    pub skipped: Vec<String>,
}

impl Starts {
    /// In words, for the delivery's record and answer.
    pub fn summary(&self, repository: &str) -> String {
        let started = self.started.iter().map(|run| format!("{} ({})", run.pipeline_name, run.pipeline_execution_id));
        let mut parts: Vec<String> = started.collect();
        parts.extend(self.skipped.iter().cloned());
        match parts.is_empty() {
            true => format!("no pipeline has a trigger on {repository} through this connection"),
            false => parts.join("; "),
        }
    }
}

/// The source action `trigger` names when it reads `repository` through `connection`.
fn watching<'a>(
    engine: &Engine,
    declaration: &'a PipelineDeclaration,
    trigger: &PipelineTriggerDeclaration,
    connection: &Connection,
    repository: &str,
) -> Option<&'a ActionDeclaration> {
    let action =
        declaration.stages.first()?.actions.iter().find(|a| {
            a.name == trigger.git_configuration.source_action_name && a.action_type_id.provider == PROVIDER
        })?;
    let setting = |key: &str| action.configuration.get(key).map(String::as_str);
    let arn = setting("ConnectionArn")?;
    let watched = setting("FullRepositoryId")?;
    // Hosts compare repository names without regard to case.
    let same_repository = watched.trim_end_matches(".git").eq_ignore_ascii_case(repository.trim_end_matches(".git"));
    (id_of_arn(arn, "connection", &engine.account) == Some(connection.id.as_str()) && same_repository).then_some(action)
}

impl Engine {
    pub(super) async fn start_triggered(
        &self,
        connection: &Connection,
        repository: &str,
        events: &[GitEvent],
        key: &str,
    ) -> Result<Starts> {
        let mut starts = Starts::default();
        let mut events = events.to_vec();
        for head in self.store.pipeline_heads().await? {
            let declaration = match self.declaration(&head.name, head.latest_version).await {
                Ok(declaration) => declaration,
                // Deleted or updated since the list was read.
                Err(EngineError::PipelineNotFound(_) | EngineError::VersionNotFound { .. }) => continue,
                Err(err) => return Err(err),
            };
            for trigger in &declaration.triggers {
                let Some(action) = watching(self, &declaration, trigger, connection, repository) else { continue };
                let branch = action.configuration.get("BranchName").map(String::as_str).unwrap_or_default();
                for (n, event) in events.iter_mut().enumerate() {
                    if needs_files(trigger, event) {
                        event.changed_files = self.pull_request_files(action, repository, event).await;
                    }
                    match decide(&trigger.git_configuration, branch, event) {
                        Decision::Skips(why) => starts.skipped.push(format!("{} not started: {why}", head.name)),
                        Decision::Fires(filter) => {
                            let request = request(action, event, &filter, &format!("{key}:{}:{n}", action.name));
                            match self.start_execution(&head.name, request).await {
                                Ok(id) => starts
                                    .started
                                    .push(StartedRun { pipeline_name: head.name.clone(), pipeline_execution_id: id }),
                                // One pipeline's trouble does not keep the others from starting.
                                Err(err) => starts.skipped.push(format!("{} could not start: {err}", head.name)),
                            }
                        }
                    }
                }
            }
        }
        Ok(starts)
    }
}

/// Whether a pull request's changed files, which no host's delivery lists, must be read for
/// the trigger's file-path filters.
fn needs_files(trigger: &PipelineTriggerDeclaration, event: &GitEvent) -> bool {
    let filters = &trigger.git_configuration.pull_request;
    matches!(event.kind, GitEventKind::PullRequest { .. })
        && event.changed_files.is_none()
        && filters.iter().any(|filter| filter.file_paths.is_some())
}

impl Engine {
    /// The files a pull request changes, read from its host with git; None (the file-path
    /// filters then do not pass) when the host cannot be read in time.
    async fn pull_request_files(
        &self,
        action: &ActionDeclaration,
        repository: &str,
        event: &GitEvent,
    ) -> Option<Vec<String>> {
        let GitEventKind::PullRequest { destination_branch, .. } = &event.kind else { return None };
        let arn = action.configuration.get("ConnectionArn")?;
        let read = async {
            let remote = self.connections().remote(arn, repository).await?;
            remote.changed_files(destination_branch, &event.commit).await
        };
        match tokio::time::timeout(FILES_TIMEOUT, read).await {
            Ok(Ok(files)) => Some(files),
            Ok(Err(err)) => {
                tracing::warn!(%repository, error = %err, "a pull request's changed files could not be read");
                None
            }
            Err(_) => None,
        }
    }
}

/// A `WebhookV2` start of the pipeline of `action` at the event's commit.
fn request(action: &ActionDeclaration, event: &GitEvent, filter: &str, token: &str) -> StartRequest {
    let mut request = StartRequest::new(TriggerType::WebhookV2);
    request.trigger_detail = format!("{}: {} (trigger {filter})", action.name, event.describe());
    request.source_revisions = vec![SourceRevisionOverride::pin(&action.name, PROVIDER, &event.commit)];
    request.client_request_token = Some(token.to_owned());
    request
}
