//! Server functions and the small types that cross the network.
//!
//! The pipeline itself travels as `model::PipelineDeclaration` (one shape everywhere); everything
//! else is a view struct shaped for the page that shows it.
pub mod admin;
pub mod approvals;
pub mod builds;
pub mod codec;
pub mod error;
pub mod failure;
pub mod history;
pub mod logs;
pub mod notifications;
pub mod rerun;
pub mod run_view;
pub mod runs;

use leptos::prelude::*;
use model::PipelineDeclaration;
use serde::{Deserialize, Serialize};

pub use error::{AppError, Problem};

/// A row of the pipeline list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineRow {
    pub name: String,
    pub version: i64,
    pub pipeline_type: String,
    pub execution_mode: String,
    pub updated_ms: i64,
    /// The newest execution, when there is one and the user may list executions.
    pub latest: Option<LatestRun>,
}

/// A pipeline's newest execution, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatestRun {
    pub execution_id: String,
    pub status: String,
    pub started_ms: i64,
    /// The source revision it ran (the last source action's, when there are several).
    pub revision: Option<String>,
    /// What the revision says about itself (a commit message, an object's revision summary).
    pub message: Option<String>,
}

/// The list page's data. `now_ms` is the server's clock, so "5 minutes ago" renders the same on
/// the server and during hydration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineList {
    pub now_ms: i64,
    pub pipelines: Vec<PipelineRow>,
    /// Whether the user may create pipelines (the New pipeline buttons).
    pub can_create: bool,
}

/// One version of a pipeline, with what the pipeline page shows around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineDetail {
    pub declaration: PipelineDeclaration,
    /// Pretty JSON of `declaration`: exactly GetPipeline's `pipeline` member.
    pub json: String,
    pub arn: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub latest_version: u32,
    pub now_ms: i64,
    /// Whether the user may save new versions (the Edit button).
    pub can_edit: bool,
    /// Whether the user may start executions (the Start button).
    pub can_start: bool,
    /// The region the server's pipelines live in, for the rules that depend on it.
    pub home_region: String,
}

/// The address of a pipeline's page. Names are usually URL-safe, but the path must not break if
/// one is not.
pub fn pipeline_href(name: &str) -> String {
    format!("/pipelines/{}", percent_encode(name, b"-._~@"))
}

/// Percent-encodes every byte that is not ASCII alphanumeric or in `keep`.
pub fn percent_encode(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || keep.contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `key=value&...` of the pairs whose value is not empty, the values percent-encoded: the query
/// of a link that keeps a page's filters.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let given = pairs.iter().filter(|(_, value)| !value.is_empty());
    given.map(|(key, value)| format!("{key}={}", percent_encode(value, b"-._~"))).collect::<Vec<_>>().join("&")
}

/// Marks the current SSR response as 404; does nothing in the browser.
pub fn set_not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        // `try_into` names http's StatusCode through set_status's signature, so app needs no
        // direct `http` dependency.
        if let Ok(status) = 404u16.try_into() {
            response.set_status(status);
        }
    }
}

/// Most pipelines an account may have (CodePipeline's quota), so one page lists them all.
#[cfg(feature = "ssr")]
const MAX_PIPELINES: i64 = 1000;

#[server(output = crate::api::codec::Json)]
pub async fn list_pipelines() -> Result<PipelineList, AppError> {
    use self::ssr::*;
    let can_create = crate::auth::authorize("codepipeline:ListPipelines", "*")?.can_create_pipelines;
    let permissions = crate::auth::permissions()?;
    let engine = engine()?;
    let summaries = engine.list_pipelines(None, MAX_PIPELINES).await.map_err(engine_error)?;
    let mut pipelines = Vec::with_capacity(summaries.len());
    for s in summaries {
        let may_list = permissions.allow("codepipeline:ListPipelineExecutions", &engine.pipeline_arn(&s.name));
        let latest = if may_list { latest_run(&engine, &s.name).await? } else { None };
        pipelines.push(PipelineRow {
            name: s.name,
            version: s.version,
            pipeline_type: s.pipeline_type,
            execution_mode: s.execution_mode,
            updated_ms: s.updated_ms,
            latest,
        });
    }
    Ok(PipelineList { now_ms: now_ms(), pipelines, can_create })
}

/// The newest execution of `pipeline` with the source revision it ran.
#[cfg(feature = "ssr")]
async fn latest_run(engine: &engine::Engine, pipeline: &str) -> Result<Option<LatestRun>, AppError> {
    use self::ssr::engine_error;
    let Some(execution) = engine.executions(pipeline, None, 1).await.map_err(engine_error)?.pop() else {
        return Ok(None);
    };
    let actions = engine.action_runs(pipeline, &execution.execution_id).await.map_err(engine_error)?;
    let revision = actions.iter().rev().find_map(|a| a.output.revision.as_ref());
    Ok(Some(LatestRun {
        execution_id: execution.execution_id.clone(),
        status: execution.status.as_str().to_owned(),
        started_ms: execution.created_ms,
        revision: revision.map(|r| r.revision_id.clone()),
        message: revision.and_then(|r| r.revision_summary.clone()).filter(|m| !m.trim().is_empty()),
    }))
}

#[server(output = crate::api::codec::Json)]
pub async fn get_pipeline(name: String, version: Option<u32>) -> Result<PipelineDetail, AppError> {
    use self::ssr::*;
    let engine = engine()?;
    let arn = engine.pipeline_arn(&name);
    crate::auth::authorize("codepipeline:GetPipeline", &arn)?;
    let permissions = crate::auth::permissions()?;
    let (can_edit, can_start) = (
        permissions.allow("codepipeline:UpdatePipeline", &arn),
        permissions.allow("codepipeline:StartPipelineExecution", &arn),
    );
    let latest = engine.pipeline(&name, None).await.map_err(engine_error)?;
    let latest_version = latest.declaration.version.unwrap_or(1);
    let record = match version {
        Some(v) if v != latest_version => engine.pipeline(&name, Some(v)).await.map_err(engine_error)?,
        _ => latest,
    };
    let mut record = record;
    record.declaration = engine.masked(record.declaration).await.map_err(engine_error)?;
    let json = serde_json::to_string_pretty(&record.declaration)
        .map_err(|err| AppError::Server(format!("could not show the pipeline as JSON: {err}")))?;
    Ok(PipelineDetail {
        arn: engine.pipeline_arn(&name),
        declaration: record.declaration,
        json,
        created_ms: record.created_ms,
        updated_ms: record.updated_ms,
        latest_version,
        now_ms: now_ms(),
        can_edit,
        can_start,
        home_region: engine.account().region.clone(),
    })
}

/// The region the server's pipelines live in, for checking a new pipeline as the API will.
#[server(output = crate::api::codec::Json)]
pub async fn home_region() -> Result<String, AppError> {
    crate::auth::current_user()?;
    Ok(self::ssr::engine()?.account().region.clone())
}

/// Creates a pipeline from pasted JSON (bare or `{"pipeline": ...}`). Takes the text rather than
/// a parsed declaration so the same function serves the no-JS form post, and so the server
/// parses with the same code the browser used. On success the browser is sent to the new page.
#[server(output = crate::api::codec::Json)]
pub async fn create_pipeline(json: String) -> Result<String, AppError> {
    use self::ssr::*;
    let pipeline = model::parse_pipeline(&json).map_err(|err| AppError::Rejected(vec![Problem::from(&err)]))?;
    let engine = engine()?;
    crate::auth::authorize("codepipeline:CreatePipeline", &engine.pipeline_arn(&pipeline.name))?;
    let by = crate::auth::principal()?;
    let record = engine.create_pipeline(pipeline, &[], &by).await.map_err(engine_error)?;
    let name = record.declaration.name;
    leptos_axum::redirect(&pipeline_href(&name));
    Ok(name)
}

/// Saves the editor's pipeline: creates it, or (with `update`) saves its next version, as
/// UpdatePipeline does. Takes JSON text so the server parses with the browser's parser. Returns
/// the version saved.
#[server(endpoint = "pipelines/save_pipeline", output = crate::api::codec::Json)]
pub async fn save_pipeline(json: String, update: bool) -> Result<u32, AppError> {
    use self::ssr::*;
    let pipeline = model::parse_pipeline(&json).map_err(|err| AppError::Rejected(vec![Problem::from(&err)]))?;
    let engine = engine()?;
    let action = if update { "codepipeline:UpdatePipeline" } else { "codepipeline:CreatePipeline" };
    crate::auth::authorize(action, &engine.pipeline_arn(&pipeline.name))?;
    let by = crate::auth::principal()?;
    let record = if update {
        engine.update_pipeline(pipeline, &by).await
    } else {
        engine.create_pipeline(pipeline, &[], &by).await
    }
    .map_err(engine_error)?;
    Ok(record.declaration.version.unwrap_or(1))
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::{AppError, Problem};
    use engine::{Engine, EngineError, StoreError};
    use leptos::prelude::*;

    /// The engine the server provides as context to every page render and server function.
    pub fn engine() -> Result<Engine, AppError> {
        use_context::<Engine>().ok_or_else(|| AppError::Server("the Sluice engine is not available".into()))
    }

    pub fn now_ms() -> i64 {
        engine::now_ms()
    }

    pub fn engine_error(err: EngineError) -> AppError {
        match err {
            EngineError::Invalid(errors) => AppError::Rejected(errors.iter().map(Problem::from).collect()),
            EngineError::NameInUse(name) => AppError::Rejected(vec![Problem::general(
                "name-in-use",
                Some("name"),
                format!("A pipeline named \u{201c}{name}\u{201d} already exists. Choose another name."),
            )]),
            EngineError::PipelineNotFound(name) => {
                AppError::NotFound(format!("There is no pipeline named \u{201c}{name}\u{201d}."))
            }
            EngineError::VersionNotFound { name, version } => {
                AppError::NotFound(format!("Pipeline \u{201c}{name}\u{201d} has no version {version}."))
            }
            EngineError::Store(err) => store_error(err),
            EngineError::StaleVersion { name, based_on } => AppError::Rejected(vec![Problem::general(
                "stale-version",
                Some("version"),
                format!(
                    "\u{201c}{name}\u{201d} changed since version {based_on}; reload the editor to see the latest."
                ),
            )]),
            // What the user may not do (read a secret or an object through the pipeline): listed
            // with the pipeline's other problems, the message naming the stage and action.
            EngineError::Refused { why: engine::Refusal::NotAuthorized, message } => {
                AppError::Rejected(vec![Problem::general("access-denied", None, message)])
            }
            // The rest of CodePipeline's refusals are the caller's to fix (not stoppable, a stale
            // approval token, a stage that cannot be retried): said as they are.
            EngineError::Refused { message, .. } => AppError::Refused(message),
            other => AppError::Server(other.to_string()),
        }
    }

    /// The ARN of `who`, a user name or already an ARN (filters accept either).
    pub fn user_arn(engine: &Engine, who: String) -> String {
        if who.starts_with("arn:") {
            who
        } else {
            format!("arn:aws:iam::{}:user/{who}", engine.account().id)
        }
    }

    /// Database details go to the log, not to the browser.
    pub fn store_error(err: StoreError) -> AppError {
        leptos::logging::error!("store error: {err}");
        AppError::Server("The database could not complete the request; see the server log.".into())
    }
}
