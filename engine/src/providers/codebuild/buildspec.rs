//! Buildspec version 0.2 parsed into typed Rust, so a build runs only what was understood.
//!
//! Every key CodeBuild defines is accepted; keys it does not define (a misspelt phase, `comands`)
//! fail the build with the file, the line and the reason, as does YAML that does not parse.
//! Keys that mean nothing off AWS (`proxy`, `batch`, `runtime-versions`, `run-as`, cache keys)
//! are kept so the runner can say in the log that they were not applied, not silently drop them.
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};

/// Why a buildspec was refused: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {reason}", .line.map(|line| format!(" line {line}")).unwrap_or_default())]
pub struct BuildspecError {
    pub file: String,
    pub line: Option<usize>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buildspec {
    #[serde(deserialize_with = "scalar")]
    pub version: String,
    #[serde(rename = "run-as", default)]
    pub run_as: Option<String>,
    #[serde(default)]
    pub env: Env,
    #[serde(default)]
    pub proxy: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    pub batch: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    pub phases: Phases,
    #[serde(default)]
    pub reports: IndexMap<String, ReportGroup>,
    #[serde(default)]
    pub artifacts: Option<ArtifactSet>,
    #[serde(default)]
    pub cache: Option<Cache>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Env {
    #[serde(default)]
    pub shell: Option<String>,
    #[serde(default, deserialize_with = "scalar_map")]
    pub variables: IndexMap<String, String>,
    #[serde(rename = "parameter-store", default, deserialize_with = "scalar_map")]
    pub parameter_store: IndexMap<String, String>,
    #[serde(rename = "secrets-manager", default, deserialize_with = "scalar_map")]
    pub secrets_manager: IndexMap<String, String>,
    #[serde(rename = "exported-variables", default)]
    pub exported_variables: Vec<String>,
    #[serde(rename = "git-credential-helper", default)]
    pub git_credential_helper: Option<serde_yaml_ng::Value>,
}

/// The four phases, run in this order.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    pub install: Option<Phase>,
    pub pre_build: Option<Phase>,
    pub build: Option<Phase>,
    pub post_build: Option<Phase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseName {
    Install,
    PreBuild,
    Build,
    PostBuild,
}

impl PhaseName {
    pub const ALL: [PhaseName; 4] = [PhaseName::Install, PhaseName::PreBuild, PhaseName::Build, PhaseName::PostBuild];

    /// As CodeBuild's log and API name it.
    pub fn upper(self) -> &'static str {
        match self {
            PhaseName::Install => "INSTALL",
            PhaseName::PreBuild => "PRE_BUILD",
            PhaseName::Build => "BUILD",
            PhaseName::PostBuild => "POST_BUILD",
        }
    }
}

impl Phases {
    /// The phases the buildspec declares, in the order they run.
    pub fn declared(&self) -> Vec<(PhaseName, &Phase)> {
        let all = [&self.install, &self.pre_build, &self.build, &self.post_build];
        PhaseName::ALL.into_iter().zip(all).filter_map(|(name, phase)| phase.as_ref().map(|p| (name, p))).collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    #[serde(rename = "run-as", default)]
    pub run_as: Option<String>,
    #[serde(rename = "on-failure", default)]
    pub on_failure: OnFailure,
    /// Only the install phase may name runtimes; they cannot be switched here.
    #[serde(rename = "runtime-versions", default)]
    pub runtime_versions: Option<IndexMap<String, serde_yaml_ng::Value>>,
    #[serde(deserialize_with = "scalar_list")]
    pub commands: Vec<String>,
    #[serde(default, deserialize_with = "scalar_list")]
    pub finally: Vec<String>,
}

/// What a failed phase does to the build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum OnFailure {
    #[default]
    #[serde(rename = "ABORT")]
    Abort,
    #[serde(rename = "CONTINUE")]
    Continue,
}

/// One artifact's files: what `artifacts` and each of its `secondary-artifacts` say (only the
/// top one may have secondaries).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactSet {
    #[serde(default, deserialize_with = "scalar_list")]
    pub files: Vec<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(rename = "base-directory", default)]
    pub base_directory: Option<String>,
    #[serde(rename = "discard-paths", default, deserialize_with = "yes_no")]
    pub discard_paths: bool,
    #[serde(rename = "exclude-paths", default, deserialize_with = "scalar_list")]
    pub exclude_paths: Vec<String>,
    #[serde(rename = "enable-symlinks", default, deserialize_with = "yes_no")]
    pub enable_symlinks: bool,
    #[serde(rename = "s3-prefix", default)]
    pub s3_prefix: Option<String>,
    #[serde(rename = "secondary-artifacts", default)]
    pub secondary: IndexMap<String, ArtifactSet>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    #[serde(default, deserialize_with = "scalar_list")]
    pub paths: Vec<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(rename = "fallback-keys", default)]
    pub fallback_keys: Vec<String>,
    #[serde(default)]
    pub action: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportGroup {
    #[serde(default, deserialize_with = "scalar_list")]
    pub files: Vec<String>,
    #[serde(rename = "base-directory", default)]
    pub base_directory: Option<String>,
    #[serde(rename = "discard-paths", default, deserialize_with = "yes_no")]
    pub discard_paths: bool,
    #[serde(rename = "file-format", default)]
    pub file_format: Option<String>,
}

/// Parses `text`, read from `file` (named in errors), and checks what serde cannot.
pub fn parse(file: &str, text: &str) -> Result<Buildspec, BuildspecError> {
    let refuse = |line: Option<usize>, reason: String| BuildspecError { file: file.to_owned(), line, reason };
    if text.trim().is_empty() {
        return Err(refuse(None, "the buildspec is empty".into()));
    }
    let spec: Buildspec = serde_yaml_ng::from_str(text).map_err(|err| {
        let line = err.location().map(|at| at.line());
        let full = err.to_string();
        // The location is given separately; the rest is the reason.
        let reason = full.split(" at line ").next().unwrap_or(&full).to_owned();
        refuse(line, reason)
    })?;
    let line_of = |needle: &str| text.lines().position(|line| line.trim_start().starts_with(needle)).map(|i| i + 1);
    match spec.version.as_str() {
        "0.2" => {}
        "0.1" => {
            return Err(refuse(
                line_of("version"),
                "version 0.1 runs each command in its own shell; Sluice runs version 0.2 only".into(),
            ))
        }
        other => return Err(refuse(line_of("version"), format!("unknown buildspec version {other:?}; use 0.2"))),
    }
    if spec.phases.declared().is_empty() {
        return Err(refuse(line_of("phases"), "the buildspec declares no phase with commands".into()));
    }
    if let Some(shell) = &spec.env.shell {
        if !matches!(shell.as_str(), "bash" | "/bin/sh" | "sh") {
            return Err(refuse(
                line_of("shell"),
                format!("env.shell {shell:?} is not available on Linux: use bash or /bin/sh"),
            ));
        }
    }
    for name in spec.env.variables.keys().chain(&spec.env.exported_variables) {
        if !crate::providers::commands::script::is_shell_name(name) {
            return Err(refuse(line_of(name), format!("{name:?} is not a valid environment variable name")));
        }
    }
    if let Some(artifacts) = &spec.artifacts {
        let sets = std::iter::once(("artifacts".to_owned(), artifacts))
            .chain(artifacts.secondary.iter().map(|(id, set)| (format!("secondary-artifacts.{id}"), set)));
        for (path, set) in sets {
            // Secondary artifacts alone are enough; the primary set then has no files.
            if set.files.is_empty() && (path != "artifacts" || set.secondary.is_empty()) {
                return Err(refuse(line_of("artifacts"), format!("{path} needs files")));
            }
            if path != "artifacts" && !set.secondary.is_empty() {
                return Err(refuse(line_of("secondary-artifacts"), format!("{path} cannot have secondary-artifacts")));
            }
        }
    }
    Ok(spec)
}

/// A YAML scalar (string, number or boolean) as the text it was written as.
fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer)
}

fn scalar_map<'de, D: Deserializer<'de>>(deserializer: D) -> Result<IndexMap<String, String>, D::Error> {
    Ok(Option::<IndexMap<String, String>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A list of scalars; a single scalar counts as a list of one, as CodeBuild reads `files: x`.
fn scalar_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    struct ScalarList;
    impl<'de> serde::de::Visitor<'de> for ScalarList {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of strings")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Ok(vec![text.to_owned()])
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<String>()? {
                items.push(item);
            }
            Ok(items)
        }
    }
    deserializer.deserialize_any(ScalarList)
}

/// CodeBuild writes booleans as `yes`/`no` as often as `true`/`false`.
fn yes_no<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(serde::de::Error::custom(format!("expected yes or no, found {text:?}"))),
    }
}

#[cfg(test)]
#[path = "buildspec_tests.rs"]
mod tests;
