//! The environment the commands see: built from nothing, so the server's own variables (database
//! URLs, keys) never reach user code.
use super::super::{ActionContext, ActionFailure};
use super::files::Layout;
use indexmap::IndexMap;

/// Used when the server itself has no PATH.
pub(in crate::providers) const FALLBACK_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// `primary` is the index of the input placed in `src/`; every other gets its own variable.
pub(in crate::providers) fn build(
    ctx: &ActionContext,
    layout: &Layout,
    path: &str,
    primary: usize,
) -> Result<IndexMap<String, String>, ActionFailure> {
    let dir = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let mut env = IndexMap::new();
    let mut set = |name: &str, value: String| {
        env.insert(name.to_owned(), value);
    };
    set("PATH", path.to_owned());
    set("HOME", dir(&layout.home));
    set("TMPDIR", dir(&layout.tmp));
    set("LANG", "C.UTF-8".to_owned());
    set("CI", "true".to_owned());
    set("CODEBUILD_CI", "true".to_owned());
    set("CODEBUILD_BUILD_ID", format!("{}:{}", ctx.pipeline_name, ctx.action_execution_id));
    set("CODEBUILD_INITIATOR", format!("codepipeline/{}", ctx.pipeline_name));
    set("CODEBUILD_SRC_DIR", dir(&layout.src));
    for (_, input) in ctx.inputs.iter().enumerate().filter(|(index, _)| *index != primary) {
        set(&format!("CODEBUILD_SRC_DIR_{}", shell_safe(&input.name)), dir(&input.dir));
    }
    set("CODEPIPELINE_PIPELINE_NAME", ctx.pipeline_name.clone());
    set("CODEPIPELINE_PIPELINE_EXECUTION_ID", ctx.pipeline_execution_id.clone());
    set("CODEPIPELINE_STAGE_NAME", ctx.stage_name.clone());
    set("CODEPIPELINE_ACTION_NAME", ctx.action.name.clone());
    set("CODEPIPELINE_ACTION_EXECUTION_ID", ctx.action_execution_id.clone());
    for (name, value) in &ctx.environment {
        // The OS environment cannot carry these; refusing beats a confusing spawn error.
        if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
            return Err(ActionFailure::configuration(format!(
                "Environment variable '{}' cannot be passed to a process",
                name.replace('\0', "\\0")
            )));
        }
        env.insert(name.clone(), value.clone());
    }
    Ok(env)
}

/// Artifact names may contain `-`, which a shell variable name cannot.
pub(in crate::providers) fn shell_safe(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}
