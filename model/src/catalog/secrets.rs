//! Configuration properties marked secret (a GitHub OAuthToken, say) never leave Sluice in a read:
//! GetPipeline shows `****`, and an update that sends `****` back keeps the stored value, as on AWS.
//!
//! Custom action types declare their own secret properties; the `_with` functions take the custom
//! types to consult (the plain ones know only the built-in catalogue).
use super::custom::CustomActionType;
use super::find;
use crate::pipeline::{ActionDeclaration, PipelineDeclaration};

pub const MASK: &str = "****";

/// The secret configuration keys of an action's type, from the catalogue or `custom`.
fn secret_keys(action: &ActionDeclaration, custom: &[CustomActionType]) -> Vec<String> {
    let id = &action.action_type_id;
    if let Some(declared) = custom.iter().find(|t| t.is(id)) {
        return declared.configuration_properties.iter().filter(|p| p.secret).map(|p| p.name.clone()).collect();
    }
    find(id.category, id.owner, &id.provider, &id.version)
        .map(|spec| spec.properties)
        .unwrap_or_default()
        .iter()
        .filter(|property| property.secret)
        .map(|property| property.name.to_owned())
        .collect()
}

/// Every secret configuration value of the pipeline, to mask, seal or open in place.
pub fn secret_values_mut(pipeline: &mut PipelineDeclaration) -> Vec<&mut String> {
    secret_values_mut_with(pipeline, &[])
}

/// [`secret_values_mut`], knowing the secret properties of the `custom` types too.
pub fn secret_values_mut_with<'a>(
    pipeline: &'a mut PipelineDeclaration,
    custom: &[CustomActionType],
) -> Vec<&'a mut String> {
    let actions = pipeline.stages.iter_mut().flat_map(|stage| stage.actions.iter_mut());
    actions
        .flat_map(|action| {
            let keys = secret_keys(action, custom);
            action.configuration.iter_mut().filter(move |(key, _)| keys.contains(key)).map(|(_, value)| value)
        })
        .collect()
}

/// The secret configuration keys of an action (for an engine that must open their values).
pub fn secret_configuration_keys(action: &ActionDeclaration) -> Vec<String> {
    secret_keys(action, &[])
}

/// Replaces every secret configuration value with `****`.
pub fn mask_secrets(pipeline: &mut PipelineDeclaration) {
    mask_secrets_with(pipeline, &[]);
}

/// [`mask_secrets`], knowing the secret properties of the `custom` types too.
pub fn mask_secrets_with(pipeline: &mut PipelineDeclaration, custom: &[CustomActionType]) {
    for value in secret_values_mut_with(pipeline, custom) {
        *value = MASK.to_owned();
    }
}

/// Where an update sends `****` for a secret, puts back the value `stored` has for the same
/// stage, action and key; a `****` with nothing stored behind it stays as sent.
pub fn keep_masked_secrets(pipeline: &mut PipelineDeclaration, stored: &PipelineDeclaration) {
    keep_masked_secrets_with(pipeline, stored, &[]);
}

/// [`keep_masked_secrets`], knowing the secret properties of the `custom` types too.
pub fn keep_masked_secrets_with(
    pipeline: &mut PipelineDeclaration,
    stored: &PipelineDeclaration,
    custom: &[CustomActionType],
) {
    for stage in &mut pipeline.stages {
        let stored_stage = stored.stages.iter().find(|s| s.name == stage.name);
        for action in &mut stage.actions {
            let stored_action = stored_stage.and_then(|s| s.actions.iter().find(|a| a.name == action.name));
            let Some(stored_action) = stored_action else { continue };
            for key in secret_keys(action, custom) {
                let masked = action.configuration.get(&key).is_some_and(|value| value == MASK);
                if let (true, Some(kept)) = (masked, stored_action.configuration.get(&key)) {
                    action.configuration.insert(key, kept.clone());
                }
            }
        }
    }
}
