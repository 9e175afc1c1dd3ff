//! The environment a build sees, in CodeBuild's order of precedence: the Commands action's base
//! (PATH, HOME, the CodePipeline variables, `CODEBUILD_SRC_DIR` and `CODEBUILD_SRC_DIR_<name>`),
//! then the build's own `CODEBUILD_*`, then the buildspec's `env.variables`, then the project's
//! variables, then the action's `EnvironmentVariables` (or StartBuild's overrides): a later one wins.
use super::buildspec::Buildspec;
use crate::build_projects::{BuildProject, BuildVariable};
use crate::providers::commands::{env, files::Layout};
use crate::providers::{ActionContext, ActionFailure};
use indexmap::IndexMap;

/// Who this build is, as CodeBuild tells a build.
pub(super) struct BuildIdentity {
    pub id: String,
    pub arn: String,
    pub number: i64,
    /// `codepipeline/<pipeline>`, or who called StartBuild.
    pub initiator: String,
}

pub(super) fn build(
    ctx: &ActionContext,
    layout: &Layout,
    path: &str,
    primary: usize,
    identity: &BuildIdentity,
    (spec, project, overrides): (&Buildspec, &BuildProject, &[BuildVariable]),
) -> Result<IndexMap<String, String>, ActionFailure> {
    let mut vars = env::build(ctx, layout, path, primary)?;
    vars.insert("CODEBUILD_BUILD_ID".into(), identity.id.clone());
    vars.insert("CODEBUILD_BUILD_ARN".into(), identity.arn.clone());
    vars.insert("CODEBUILD_BUILD_NUMBER".into(), identity.number.to_string());
    vars.insert("CODEBUILD_BUILD_IMAGE".into(), project.environment.image.clone());
    vars.insert("CODEBUILD_INITIATOR".into(), identity.initiator.clone());
    if ctx.pipeline_name.is_empty() {
        // A build started by StartBuild runs for no pipeline.
        vars.retain(|name, _| !name.starts_with("CODEPIPELINE_"));
    }
    let layers = spec
        .env
        .variables
        .iter()
        .chain(project.environment.environment_variables.iter().map(|v| (&v.name, &v.value)))
        .chain(overrides.iter().map(|v| (&v.name, &v.value)));
    for (name, value) in layers {
        if value.contains('\0') {
            return Err(ActionFailure::configuration(format!(
                "Environment variable '{name}' cannot be passed to a process: its value holds a NUL character"
            )));
        }
        vars.insert(name.clone(), value.clone());
    }
    Ok(vars)
}

/// Refuses the variable types Sluice cannot give a build, by name: PARAMETER_STORE (it has no
/// parameter store), and SECRETS_MANAGER unless `secrets_opened` (the scheduler opens the
/// action's, whose readers were checked when the pipeline was saved; nobody is checked for a
/// project's).
pub(super) fn check_types(variables: &[BuildVariable], whose: &str, secrets_opened: bool) -> Result<(), ActionFailure> {
    let refused = |v: &&BuildVariable| v.kind == "PARAMETER_STORE" || (v.kind == "SECRETS_MANAGER" && !secrets_opened);
    match variables.iter().find(refused) {
        Some(v) => Err(ActionFailure::configuration(format!(
            "{whose} environment variable '{}' has type {}, which Sluice cannot give a build: {}",
            v.name,
            v.kind,
            if v.kind == "PARAMETER_STORE" {
                "it has no parameter store"
            } else {
                "only an action's SECRETS_MANAGER variables are read, with the permission check of the pipeline's author"
            }
        ))),
        None => Ok(()),
    }
}

/// The action's `EnvironmentVariables`: a JSON array of `{name, value, type}`.
pub(super) fn action_variables(ctx: &ActionContext) -> Result<Vec<BuildVariable>, ActionFailure> {
    let Some(text) = ctx.configuration.get("EnvironmentVariables").filter(|t| !t.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let variables: Vec<BuildVariable> = serde_json::from_str(text).map_err(|err| {
        ActionFailure::configuration(format!(
            "EnvironmentVariables must be a JSON array of {{\"name\", \"value\", \"type\"}}: {err}"
        ))
    })?;
    crate::build_projects::check_variables(&variables)
        .map_err(|err| ActionFailure::configuration(format!("EnvironmentVariables: {err}")))?;
    Ok(variables)
}
