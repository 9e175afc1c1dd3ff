//! CodeBuild-style build projects: what a CodeBuild action (or a StartBuild) needs to run a
//! build. A project keeps the buildspec (inline YAML, or a path in the primary source), its
//! environment variables and timeout; its image and compute type are recorded as given, since
//! builds run in the host sandbox. Checked here so every edge gets the same answers.
use crate::{now_ms, Engine, EngineError, Refusal, Result, StoreError};
use indexmap::IndexMap;
use model::{ActionCategory, ActionDeclaration, ActionOwner};
use serde::{Deserialize, Serialize};

/// CodeBuild's bounds on `timeoutInMinutes`, and its default.
pub const TIMEOUT_MINUTES: (u32, u32) = (5, 2160);
pub const DEFAULT_TIMEOUT_MINUTES: u32 = 60;

/// What is stored of a project (as CodeBuild's `Project` names its members).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildProject {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub source: ProjectSource,
    pub artifacts: ProjectArtifacts,
    pub environment: ProjectEnvironment,
    #[serde(default)]
    pub service_role: Option<String>,
    pub timeout_in_minutes: u32,
    /// Set by the store.
    #[serde(default)]
    pub created_ms: i64,
    #[serde(default)]
    pub updated_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSource {
    /// CODEPIPELINE, NO_SOURCE, ... (recorded).
    #[serde(rename = "type")]
    pub kind: String,
    /// Inline YAML, or a path relative to the primary source; none means `buildspec.yml`.
    #[serde(default)]
    pub buildspec: Option<String>,
    /// Where a StartBuild gets the source: `bucket/key` for S3, the clone URL for CODECOMMIT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectArtifacts {
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectEnvironment {
    #[serde(rename = "type")]
    pub kind: String,
    pub image: String,
    pub compute_type: String,
    #[serde(default)]
    pub environment_variables: Vec<BuildVariable>,
}

/// An environment variable of a project or of a CodeBuild action's `EnvironmentVariables`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildVariable {
    pub name: String,
    pub value: String,
    #[serde(rename = "type", default = "plaintext")]
    pub kind: String,
}

fn plaintext() -> String {
    "PLAINTEXT".to_owned()
}

/// The variables a CodeBuild action's `EnvironmentVariables` (in `configuration`) declares; none
/// for other actions, or when the JSON does not parse (the action then fails when it runs).
pub(crate) fn action_variables(
    action: &ActionDeclaration,
    configuration: &IndexMap<String, String>,
) -> Vec<BuildVariable> {
    let id = &action.action_type_id;
    let is_codebuild = matches!(id.category, ActionCategory::Build | ActionCategory::Test)
        && id.owner == ActionOwner::Aws
        && id.provider == "CodeBuild";
    match configuration.get("EnvironmentVariables").filter(|_| is_codebuild) {
        Some(text) => serde_json::from_str(text).unwrap_or_default(),
        None => Vec::new(),
    }
}

impl BuildProject {
    /// Where a build of this project finds its buildspec: inline text, or a file in the source.
    pub fn buildspec(&self) -> BuildspecSource<'_> {
        match self.source.buildspec.as_deref().map(str::trim) {
            None | Some("") => BuildspecSource::File("buildspec.yml"),
            // A path is one line; inline YAML has at least `version:` and `phases:` lines.
            Some(text) if text.contains('\n') => BuildspecSource::Inline(text),
            Some(path) => BuildspecSource::File(path),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildspecSource<'a> {
    Inline(&'a str),
    File(&'a str),
}

/// CodeBuild's project name rule: 2 to 255 of letters, digits, `-` and `_`, starting with a letter or digit.
fn check(project: &BuildProject) -> Result<()> {
    let invalid = |message: String| Err(EngineError::refused(Refusal::InvalidRequest, message));
    let name = &project.name;
    let name_ok = (2..=255).contains(&name.len())
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        return invalid(format!(
            "Invalid project name: {name:?}; a name is 2 to 255 letters, digits, '-' and '_', starting with a letter or digit"
        ));
    }
    let (low, high) = TIMEOUT_MINUTES;
    if !(low..=high).contains(&project.timeout_in_minutes) {
        return invalid(format!("timeoutInMinutes must be between {low} and {high}"));
    }
    check_variables(&project.environment.environment_variables)
}

/// Names the shell can expand, and the types Sluice can resolve.
pub fn check_variables(variables: &[BuildVariable]) -> Result<()> {
    for variable in variables {
        let mut chars = variable.name.chars();
        let name_ok = chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
            && chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
        if !name_ok {
            return Err(EngineError::refused(
                Refusal::InvalidRequest,
                format!("Invalid environment variable name: {:?}", variable.name),
            ));
        }
        if !matches!(variable.kind.as_str(), "PLAINTEXT" | "PARAMETER_STORE" | "SECRETS_MANAGER") {
            return Err(EngineError::refused(
                Refusal::InvalidRequest,
                format!(
                    "Environment variable {:?} has type {:?}; use PLAINTEXT, PARAMETER_STORE or SECRETS_MANAGER",
                    variable.name, variable.kind
                ),
            ));
        }
    }
    Ok(())
}

impl Engine {
    pub fn build_project_arn(&self, name: &str) -> String {
        format!("arn:aws:codebuild:{}:{}:project/{name}", self.account().region, self.account().id)
    }

    /// Stores a new project; `Conflict` when the name is taken.
    pub async fn create_build_project(&self, mut project: BuildProject) -> Result<BuildProject> {
        check(&project)?;
        (project.created_ms, project.updated_ms) = (now_ms(), now_ms());
        match self.store.insert_build_project(&project).await {
            Ok(()) => Ok(project),
            Err(StoreError::Conflict) => Err(EngineError::refused(
                Refusal::Conflict,
                format!(
                    "Project already exists: arn:aws:codebuild:{}:{}:project/{}",
                    self.account().region,
                    self.account().id,
                    project.name
                ),
            )),
            Err(err) => Err(err.into()),
        }
    }

    /// Replaces a project's settings with what `change` makes of them.
    pub async fn update_build_project(
        &self,
        name: &str,
        change: impl FnOnce(&mut BuildProject),
    ) -> Result<BuildProject> {
        let mut project = self.build_project(name).await?;
        change(&mut project);
        project.name = name.to_owned();
        check(&project)?;
        project.updated_ms = now_ms();
        self.store.replace_build_project(&project).await?;
        Ok(project)
    }

    /// `ResourceNotFound` when there is no such project.
    pub async fn build_project(&self, name: &str) -> Result<BuildProject> {
        self.store.build_project(name).await?.ok_or_else(|| not_found(name))
    }

    /// Every project, in name order.
    pub async fn build_projects(&self) -> Result<Vec<BuildProject>> {
        Ok(self.store.build_projects().await?)
    }

    /// Deleting a project that is not there succeeds, as on CodeBuild.
    pub async fn delete_build_project(&self, name: &str) -> Result<()> {
        Ok(self.store.delete_build_project(name).await?)
    }
}

fn not_found(name: &str) -> EngineError {
    EngineError::refused(Refusal::ResourceNotFound, format!("Project cannot be found: {name}"))
}
