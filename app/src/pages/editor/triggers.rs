//! Editing V2 triggers from the settings panel. Each trigger is drawn as one source action, one
//! git event (push or pull request) and one filter of glob lists, written `main, release/*,
//! !release/old` (a `!` excludes). Further filters, if the JSON has them, are kept as they are.
use model::{
    GitConfiguration, GitFilterCriteria, GitPullRequestEventType, GitPullRequestFilter, GitPushFilter,
    PipelineDeclaration, PipelineTriggerDeclaration, TriggerProviderType,
};

/// Which git event a trigger reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitEvent {
    Push,
    PullRequest,
}

/// One glob list of a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criteria {
    Branches,
    /// Push only.
    Tags,
    FilePaths,
}

/// Source actions a trigger can name: those reading through a connection.
pub fn connection_sources(pipeline: &PipelineDeclaration) -> Vec<String> {
    pipeline
        .actions()
        .filter(|(_, a)| a.action_type_id.provider == TriggerProviderType::CodeStarSourceConnection.as_str())
        .map(|(_, a)| a.name.clone())
        .collect()
}

/// A push trigger on `main` for the first connection source without one (or for none yet, which
/// the validator then points out).
pub fn new_trigger(pipeline: &PipelineDeclaration) -> PipelineTriggerDeclaration {
    let taken = |name: &String| pipeline.triggers.iter().any(|t| t.git_configuration.source_action_name == *name);
    let source = connection_sources(pipeline).into_iter().find(|name| !taken(name)).unwrap_or_default();
    PipelineTriggerDeclaration {
        provider_type: TriggerProviderType::CodeStarSourceConnection,
        git_configuration: GitConfiguration {
            source_action_name: source,
            push: vec![GitPushFilter { tags: None, branches: Some(globs("main")), file_paths: None }],
            pull_request: Vec::new(),
        },
    }
}

pub fn event(trigger: &PipelineTriggerDeclaration) -> GitEvent {
    let git = &trigger.git_configuration;
    if git.push.is_empty() && !git.pull_request.is_empty() {
        GitEvent::PullRequest
    } else {
        GitEvent::Push
    }
}

/// Switches the drawn filter to the other event, keeping its branches and file paths.
pub fn set_event(trigger: &mut PipelineTriggerDeclaration, to: GitEvent) {
    if event(trigger) == to {
        return;
    }
    let git = &mut trigger.git_configuration;
    match to {
        GitEvent::PullRequest => {
            let from = if git.push.is_empty() { None } else { Some(git.push.remove(0)) };
            let (branches, file_paths) = from.map(|f| (f.branches, f.file_paths)).unwrap_or_default();
            let events = vec![GitPullRequestEventType::Open, GitPullRequestEventType::Updated];
            git.pull_request.insert(0, GitPullRequestFilter { events, branches, file_paths });
        }
        GitEvent::Push => {
            let from = if git.pull_request.is_empty() { None } else { Some(git.pull_request.remove(0)) };
            let (branches, file_paths) = from.map(|f| (f.branches, f.file_paths)).unwrap_or_default();
            git.push.insert(0, GitPushFilter { tags: None, branches, file_paths });
        }
    }
}

/// The drawn filter's list, as text.
pub fn criteria_text(trigger: &PipelineTriggerDeclaration, which: Criteria) -> String {
    let git = &trigger.git_configuration;
    let found = match event(trigger) {
        GitEvent::Push => git.push.first().and_then(|f| push_slot_ref(f, which).as_ref()),
        GitEvent::PullRequest => git.pull_request.first().and_then(|f| pull_request_slot_ref(f, which)),
    };
    found
        .map(|c| {
            let excludes = c.excludes.iter().map(|g| format!("!{g}"));
            c.includes.iter().cloned().chain(excludes).collect::<Vec<_>>().join(", ")
        })
        .unwrap_or_default()
}

/// Sets one list of the drawn filter from text (empty text removes the list).
pub fn set_criteria(trigger: &mut PipelineTriggerDeclaration, which: Criteria, text: &str) {
    let value = (!text.trim().is_empty()).then(|| globs(text));
    let kind = event(trigger);
    let git = &mut trigger.git_configuration;
    match kind {
        GitEvent::Push => {
            if git.push.is_empty() {
                git.push.push(GitPushFilter { tags: None, branches: None, file_paths: None });
            }
            *push_slot(&mut git.push[0], which) = value;
        }
        GitEvent::PullRequest => {
            if let Some(slot) = pull_request_slot(&mut git.pull_request[0], which) {
                *slot = value;
            }
        }
    }
}

/// Whether the drawn pull-request filter reacts to `kind`.
pub fn has_pull_request_event(trigger: &PipelineTriggerDeclaration, kind: GitPullRequestEventType) -> bool {
    trigger.git_configuration.pull_request.first().is_some_and(|f| f.events.contains(&kind))
}

pub fn toggle_pull_request_event(trigger: &mut PipelineTriggerDeclaration, kind: GitPullRequestEventType) {
    let Some(filter) = trigger.git_configuration.pull_request.first_mut() else { return };
    match filter.events.iter().position(|e| *e == kind) {
        Some(at) => {
            filter.events.remove(at);
        }
        None => {
            filter.events.push(kind);
            // In the API's order, so the JSON reads the same whichever box was ticked first.
            filter.events.sort();
        }
    }
}

/// "a, !b" → includes a, excludes b.
fn globs(text: &str) -> GitFilterCriteria {
    let mut criteria = GitFilterCriteria::default();
    for glob in text.split(',').map(str::trim).filter(|g| !g.is_empty()) {
        match glob.strip_prefix('!') {
            Some(excluded) => criteria.excludes.push(excluded.trim().to_string()),
            None => criteria.includes.push(glob.to_string()),
        }
    }
    criteria
}

fn push_slot(filter: &mut GitPushFilter, which: Criteria) -> &mut Option<GitFilterCriteria> {
    match which {
        Criteria::Branches => &mut filter.branches,
        Criteria::Tags => &mut filter.tags,
        Criteria::FilePaths => &mut filter.file_paths,
    }
}

fn push_slot_ref(filter: &GitPushFilter, which: Criteria) -> &Option<GitFilterCriteria> {
    match which {
        Criteria::Branches => &filter.branches,
        Criteria::Tags => &filter.tags,
        Criteria::FilePaths => &filter.file_paths,
    }
}

/// Pull-request filters have no tags.
fn pull_request_slot(filter: &mut GitPullRequestFilter, which: Criteria) -> Option<&mut Option<GitFilterCriteria>> {
    match which {
        Criteria::Branches => Some(&mut filter.branches),
        Criteria::Tags => None,
        Criteria::FilePaths => Some(&mut filter.file_paths),
    }
}

fn pull_request_slot_ref(filter: &GitPullRequestFilter, which: Criteria) -> Option<&GitFilterCriteria> {
    match which {
        Criteria::Branches => filter.branches.as_ref(),
        Criteria::Tags => None,
        Criteria::FilePaths => filter.file_paths.as_ref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::editor::document::{apply, blank_pipeline, Command, Place};
    use model::{catalog, ActionCategory, ActionOwner, PipelineType};

    /// A valid V2 pipeline: a connection source named `Repo`, then an approval.
    fn with_connection_source() -> PipelineDeclaration {
        let mut p = blank_pipeline();
        p.pipeline_type = Some(PipelineType::V2);
        apply(&mut p, Command::AddStage { at: 0 });
        apply(&mut p, Command::AddStage { at: 1 });
        let spec = |category, provider| catalog::find(category, ActionOwner::Aws, provider, "1").expect("catalogued");
        let first_step = Place::NewGroupBefore(0);
        apply(
            &mut p,
            Command::AddAction {
                stage: 0,
                place: first_step,
                spec: spec(ActionCategory::Source, "CodeStarSourceConnection"),
            },
        );
        apply(
            &mut p,
            Command::AddAction { stage: 1, place: first_step, spec: spec(ActionCategory::Approval, "Manual") },
        );
        let source = &mut p.stages[0].actions[0];
        source.name = "Repo".into();
        for (key, value) in [
            ("ConnectionArn", "arn:aws:codeconnections:us-east-1:1:connection/x"),
            ("FullRepositoryId", "o/r"),
            ("BranchName", "main"),
        ] {
            source.configuration.insert(key.into(), value.into());
        }
        p
    }

    #[test]
    fn a_new_trigger_is_a_valid_push_on_main() {
        let mut p = with_connection_source();
        let trigger = new_trigger(&p);
        assert_eq!(trigger.git_configuration.source_action_name, "Repo");
        assert_eq!(criteria_text(&trigger, Criteria::Branches), "main");
        p.triggers.push(trigger);
        let errors = model::validate(&p);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn globs_with_bang_are_excludes_and_bad_shapes_are_caught() {
        let mut p = with_connection_source();
        let mut trigger = new_trigger(&p);
        set_criteria(&mut trigger, Criteria::Branches, "main, release/*, !release/old");
        let branches = trigger.git_configuration.push[0].branches.clone().expect("set");
        assert_eq!(branches.includes, ["main", "release/*"]);
        assert_eq!(branches.excludes, ["release/old"]);
        assert_eq!(criteria_text(&trigger, Criteria::Branches), "main, release/*, !release/old");
        // Tags with branches is not a push filter CodePipeline accepts.
        set_criteria(&mut trigger, Criteria::Tags, "v*");
        p.triggers.push(trigger);
        let codes: Vec<_> = model::validate(&p).into_iter().map(|e| e.code).collect();
        assert_eq!(codes, ["trigger-push-filter-invalid"]);
    }

    #[test]
    fn switching_to_pull_requests_keeps_branches_and_paths() {
        let p = with_connection_source();
        let mut trigger = new_trigger(&p);
        set_criteria(&mut trigger, Criteria::FilePaths, "src/**");
        set_event(&mut trigger, GitEvent::PullRequest);
        assert!(trigger.git_configuration.push.is_empty());
        assert_eq!(event(&trigger), GitEvent::PullRequest);
        assert_eq!(criteria_text(&trigger, Criteria::FilePaths), "src/**");
        assert!(has_pull_request_event(&trigger, GitPullRequestEventType::Open));
        toggle_pull_request_event(&mut trigger, GitPullRequestEventType::Closed);
        toggle_pull_request_event(&mut trigger, GitPullRequestEventType::Open);
        assert_eq!(
            trigger.git_configuration.pull_request[0].events,
            [GitPullRequestEventType::Updated, GitPullRequestEventType::Closed]
        );
        set_event(&mut trigger, GitEvent::Push);
        assert_eq!(criteria_text(&trigger, Criteria::Branches), "main");
        assert_eq!(criteria_text(&trigger, Criteria::FilePaths), "src/**");
    }
}
