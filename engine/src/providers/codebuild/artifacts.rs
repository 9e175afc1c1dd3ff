//! A build's output artifacts: the buildspec's `artifacts` for a single output, and its
//! `secondary-artifacts`, keyed by the output artifact's name, for several (as CodePipeline maps
//! them). Files are chosen with the Commands action's CodeBuild-style patterns, relative to the
//! `base-directory`; a set whose patterns match no file fails the build, as on CodeBuild.
use super::buildspec::{ArtifactSet, Buildspec};
use crate::providers::commands::files::{self, Layout, Selection};
use crate::providers::{ActionFailure, LogSink, OutputArtifactPayload, Payload};
use model::OutputArtifact;
use std::path::{Component, Path};

pub(super) async fn collect(
    layout: &Layout,
    spec: &Buildspec,
    outputs: &[OutputArtifact],
    log: &LogSink,
) -> Result<Vec<OutputArtifactPayload>, ActionFailure> {
    if outputs.is_empty() {
        return Ok(Vec::new());
    }
    let Some(artifacts) = &spec.artifacts else {
        return Err(ActionFailure::job_failed(format!(
            "The action has output artifact '{}' but the buildspec has no artifacts section",
            outputs[0].name
        )));
    };
    let mut payloads = Vec::new();
    for (index, output) in outputs.iter().enumerate() {
        let primary = (index == 0 && !artifacts.files.is_empty()).then_some(artifacts);
        let Some(set) = artifacts.secondary.get(&output.name).or(primary) else {
            return Err(ActionFailure::job_failed(format!(
                "The buildspec's secondary-artifacts has no artifact named '{}' for that output artifact",
                output.name
            )));
        };
        if set.enable_symlinks {
            log.line(
                "[Container] enable-symlinks is not applied: links inside the source are followed and stored as files",
            );
        }
        let dest = layout.artifacts.join(&output.name);
        let selection = Selection {
            root: base_directory(&layout.src, set)?,
            files: &set.files,
            exclude: &set.exclude_paths,
            discard_paths: set.discard_paths,
        };
        files::collect(selection, dest.clone(), &output.name, log).await?;
        payloads.push(OutputArtifactPayload { name: output.name.clone(), payload: Payload::Dir(dest) });
    }
    Ok(payloads)
}

/// `src/` or the folder in it that the set's `base-directory` names.
fn base_directory(src: &Path, set: &ArtifactSet) -> Result<std::path::PathBuf, ActionFailure> {
    let Some(base) = set.base_directory.as_deref().map(|b| b.trim().trim_start_matches("./")) else {
        return Ok(src.to_owned());
    };
    let inside = Path::new(base).components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside {
        return Err(ActionFailure::job_failed(format!("base-directory '{base}' must stay inside the source")));
    }
    // A linked folder could lead to the server's files: the real folder must be in the source.
    let real = src.join(base).canonicalize().ok().filter(|dir| dir.is_dir());
    match (real, src.canonicalize()) {
        (Some(dir), Ok(src)) if dir.starts_with(&src) => Ok(dir),
        (Some(_), _) => Err(ActionFailure::job_failed(format!("base-directory '{base}' leads outside the source"))),
        (None, _) => Err(ActionFailure::job_failed(format!("base-directory '{base}' does not exist after the build"))),
    }
}
