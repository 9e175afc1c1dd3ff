//! The secrets of one action attempt, opened only now, at run time: its sealed configuration
//! values and the secret-store values its `SECRETS_MANAGER` environment variables (or a CodeBuild
//! action's `EnvironmentVariables` of that type) name. Each is
//! noted in a `Masker`, which the runner applies to the log, the summary, errors and variables.
use crate::providers::{ActionFailure, ActionOutcome};
use crate::secrets::{context, is_sealed, pick, Masker, SecretReference};
use crate::Engine;
use indexmap::IndexMap;
use model::{ActionDeclaration, EnvironmentVariableType};

/// An action's resolved configuration and environment with every secret in plain text.
pub(crate) struct Unsealed {
    pub configuration: IndexMap<String, String>,
    pub environment: IndexMap<String, String>,
    pub masker: Masker,
}

impl Engine {
    /// Opens what `configuration` and `environment` (as resolved when the action was created)
    /// hold sealed or by reference; a missing or unreadable secret fails the action.
    pub(crate) async fn unseal(
        &self,
        action: &ActionDeclaration,
        mut configuration: IndexMap<String, String>,
        mut environment: IndexMap<String, String>,
    ) -> Result<Unsealed, ActionFailure> {
        let mut masker = Masker::default();
        let secret_keys = model::catalog::secret_configuration_keys(action);
        for (key, value) in configuration.iter_mut() {
            if !(is_sealed(value) || secret_keys.contains(key)) {
                continue;
            }
            if is_sealed(value) {
                let sealer = self.store.sealer().map_err(|err| unreadable(key, &err.to_string()))?;
                *value = sealer.open(context::CONFIGURATION, value).map_err(|err| unreadable(key, &err.to_string()))?;
            }
            masker.add(value);
        }
        let secret_variables = action
            .environment_variables
            .iter()
            .filter(|variable| variable.variable_type == Some(EnvironmentVariableType::SecretsManager));
        for variable in secret_variables {
            let Some(value) = environment.get_mut(&variable.name) else { continue };
            *value = self.open_reference(&variable.name, value, &mut masker).await?;
        }
        let mut codebuild = crate::build_projects::action_variables(action, &configuration);
        if codebuild.iter().any(|v| v.kind == "SECRETS_MANAGER") {
            for variable in codebuild.iter_mut().filter(|v| v.kind == "SECRETS_MANAGER") {
                variable.value = self.open_reference(&variable.name, &variable.value, &mut masker).await?;
            }
            let opened = serde_json::to_string(&codebuild).unwrap_or_default();
            configuration.insert("EnvironmentVariables".to_owned(), opened);
        }
        Ok(Unsealed { configuration, environment, masker })
    }

    /// The value the secret reference `value` of `variable` names, noted in `masker`.
    async fn open_reference(&self, variable: &str, value: &str, masker: &mut Masker) -> Result<String, ActionFailure> {
        let reference = SecretReference::parse(value);
        let failed = |why: String| {
            ActionFailure::configuration(format!(
                "Environment variable '{variable}' names the secret '{}', {why}",
                reference.name
            ))
        };
        let secret = match self.store.secret_value(reference.name).await {
            Ok(Some(secret)) => secret,
            Ok(None) => {
                return Err(failed("which is not in Sluice's secret store (add it with `sluice secret put`).".into()))
            }
            Err(err) => return Err(failed(format!("which could not be read: {err}"))),
        };
        let picked = pick(&secret, reference.json_key).map_err(|why| failed(format!("but {why}.")))?;
        masker.add(&secret);
        masker.add(&picked);
        Ok(picked)
    }
}

fn unreadable(key: &str, why: &str) -> ActionFailure {
    ActionFailure::configuration(format!("The secret configuration value '{key}' could not be decrypted: {why}"))
}

/// The outcome with every secret value replaced by `****` in what is kept and shown of it.
pub(super) fn masked(
    outcome: Result<ActionOutcome, ActionFailure>,
    masker: &Masker,
) -> Result<ActionOutcome, ActionFailure> {
    if masker.is_empty() {
        return outcome;
    }
    let mask = |text: &mut Option<String>| {
        if let Some(text) = text {
            *text = masker.mask(text);
        }
    };
    match outcome {
        Ok(ActionOutcome::Succeeded(mut result)) => {
            mask(&mut result.summary);
            mask(&mut result.external_execution_id);
            mask(&mut result.external_execution_url);
            masker.mask_all(&mut result.variables);
            Ok(ActionOutcome::Succeeded(result))
        }
        Ok(ActionOutcome::Waiting { token, expires_ms, mut summary }) => {
            mask(&mut summary);
            Ok(ActionOutcome::Waiting { token, expires_ms, summary })
        }
        Err(mut failure) => {
            failure.message = masker.mask(&failure.message);
            Err(failure)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ActionResult;

    #[test]
    fn outcomes_keep_no_secret_in_summaries_errors_or_variables() {
        let mut masker = Masker::default();
        masker.add("hunter2");
        let result = ActionResult {
            summary: Some("logged in with hunter2".into()),
            variables: [("PASSWORD".to_owned(), "hunter2".to_owned()), ("USER".to_owned(), "ci".to_owned())]
                .into_iter()
                .collect(),
            ..Default::default()
        };
        let Ok(ActionOutcome::Succeeded(result)) = masked(Ok(ActionOutcome::Succeeded(result)), &masker) else {
            panic!("still succeeded")
        };
        assert_eq!(result.summary.as_deref(), Some("logged in with ****"));
        assert_eq!((result.variables["PASSWORD"].as_str(), result.variables["USER"].as_str()), ("****", "ci"));
        let failed = masked(Err(ActionFailure::job_failed("bad password hunter2")), &masker).unwrap_err();
        assert_eq!(failed.message, "bad password ****");
    }
}
