//! Variable substitution in an action's or rule's configuration when its run is created.
use super::Run;
use crate::runs::ArtifactName;
use indexmap::IndexMap;
use model::{ActionDeclaration, ActionExecutionStatus};

pub(super) type Resolved = (IndexMap<String, String>, IndexMap<String, String>);

pub(super) fn artifact_names(artifacts: &[model::InputArtifact]) -> Vec<ArtifactName> {
    artifacts.iter().map(|a| ArtifactName { name: a.name.clone() }).collect()
}

/// The action's configuration and environment with `#{namespace.key}` replaced.
pub(super) fn resolve(run: &Run, action: &ActionDeclaration) -> std::result::Result<Resolved, String> {
    let configuration =
        substitute_all(run, action.configuration.iter().map(|(k, v)| (k.clone(), v.clone())).collect())?;
    let environment =
        substitute_all(run, action.environment_variables.iter().map(|e| (e.name.clone(), e.value.clone())).collect())?;
    Ok((configuration, environment))
}

/// Each (name, text) with `#{namespace.key}` replaced by the execution's values.
pub(super) fn substitute_all(
    run: &Run,
    pairs: Vec<(String, String)>,
) -> std::result::Result<IndexMap<String, String>, String> {
    let lookup = |namespace: &str, key: &str| -> Option<String> {
        match namespace {
            "codepipeline" => (key == "PipelineExecutionId").then(|| run.exec.execution_id.clone()),
            "variables" => run.exec.variables.iter().find(|v| v.name == key).map(|v| v.resolved_value.clone()),
            _ => {
                let (stage, producer) = run.decl.actions().find(|(_, a)| a.namespace.as_deref() == Some(namespace))?;
                let row = run
                    .actions
                    .iter()
                    .filter(|r| r.stage_name == stage.name && r.action_name == producer.name)
                    .filter(|r| r.state.status == ActionExecutionStatus::Succeeded)
                    .max_by_key(|r| (r.stage_attempt, r.state.started_ms))?;
                row.output.output_variables.get(key).cloned()
            }
        }
    };
    pairs
        .into_iter()
        .map(|(name, text)| {
            model::variables::substitute(&text, lookup)
                .map(|value| (name.clone(), value))
                .map_err(|reference| format!("{name}: the variable {reference} has no value in this execution"))
        })
        .collect()
}
