//! Configuration properties marked secret (a GitHub OAuthToken, say) never leave Sluice in a read:
//! GetPipeline shows `****`, and an update that sends `****` back keeps the stored value, as on AWS.
use super::find;
use crate::pipeline::{ActionDeclaration, PipelineDeclaration};

pub const MASK: &str = "****";

/// The secret configuration keys of an action's type (none for uncatalogued types).
fn secret_keys(action: &ActionDeclaration) -> impl Iterator<Item = &'static str> {
    let id = &action.action_type_id;
    find(id.category, id.owner, &id.provider, &id.version)
        .map(|spec| spec.properties)
        .unwrap_or_default()
        .iter()
        .filter(|property| property.secret)
        .map(|property| property.name)
}

/// Every secret configuration value of the pipeline, to mask, seal or open in place.
pub fn secret_values_mut(pipeline: &mut PipelineDeclaration) -> Vec<&mut String> {
    let actions = pipeline.stages.iter_mut().flat_map(|stage| stage.actions.iter_mut());
    actions
        .flat_map(|action| {
            let keys: Vec<&str> = secret_keys(action).collect();
            action.configuration.iter_mut().filter(move |(key, _)| keys.contains(&key.as_str())).map(|(_, value)| value)
        })
        .collect()
}

/// The secret configuration keys of an action (for an engine that must open their values).
pub fn secret_configuration_keys(action: &ActionDeclaration) -> Vec<&'static str> {
    secret_keys(action).collect()
}

/// Replaces every secret configuration value with `****`.
pub fn mask_secrets(pipeline: &mut PipelineDeclaration) {
    for value in secret_values_mut(pipeline) {
        *value = MASK.to_owned();
    }
}

/// Where an update sends `****` for a secret, puts back the value `stored` has for the same
/// stage, action and key; a `****` with nothing stored behind it stays as sent.
pub fn keep_masked_secrets(pipeline: &mut PipelineDeclaration, stored: &PipelineDeclaration) {
    for stage in &mut pipeline.stages {
        let stored_stage = stored.stages.iter().find(|s| s.name == stage.name);
        for action in &mut stage.actions {
            let stored_action = stored_stage.and_then(|s| s.actions.iter().find(|a| a.name == action.name));
            let Some(stored_action) = stored_action else { continue };
            for key in secret_keys(action).collect::<Vec<_>>() {
                let masked = action.configuration.get(key).is_some_and(|value| value == MASK);
                if let (true, Some(kept)) = (masked, stored_action.configuration.get(key)) {
                    action.configuration.insert(key.to_owned(), kept.clone());
                }
            }
        }
    }
}
