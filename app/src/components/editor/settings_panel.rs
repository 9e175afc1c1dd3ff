//! The side panel when no stage or action is selected: the pipeline's own settings, triggers
//! included.
use leptos::prelude::*;
use model::{
    ArtifactStore, ArtifactStoreType, EncryptionKey, EncryptionKeyType, ExecutionMode, PipelineDeclaration,
    PipelineType, PipelineVariableDeclaration,
};

use super::field::{problems_at, SelectField, TextField};
use super::triggers::TriggersEditor;
use crate::api::Problem;
use crate::pages::editor::document::Command;
use crate::pages::editor::handle::Editor;

#[component]
pub fn SettingsPanel(editor: Editor) -> impl IntoView {
    let pipeline = Memo::new(move |_| editor.state.with(|s| s.pipeline.clone()));
    let problems = Memo::new(move |_| {
        editor.all_problems().into_iter().filter(|p| p.stage_index.is_none()).collect::<Vec<Problem>>()
    });
    move || view! { <SettingsForm editor pipeline=pipeline.get() problems=problems.get()/> }
}

#[component]
fn SettingsForm(editor: Editor, pipeline: PipelineDeclaration, problems: Vec<Problem>) -> impl IntoView {
    let on = |change: fn(&mut PipelineDeclaration, String)| {
        let pipeline = pipeline.clone();
        Callback::new(move |value: String| {
            let mut with = pipeline.clone();
            change(&mut with, value);
            editor.run(Command::ReplacePipeline(Box::new(with)));
        })
    };
    let store = pipeline.artifact_store.clone();
    let variables = pipeline
        .variables
        .iter()
        .map(|v| match &v.default_value {
            Some(default) => format!("{}={default}", v.name),
            None => v.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let names = |all: &[&str]| all.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    view! {
        <div class="panel-form" data-testid="settings-panel">
            <h2>"Pipeline settings"</h2>
            <TextField label="Name".into() value=pipeline.name.clone() field="name".into() required=true
                problems=problems_at(&problems, "name") on_commit=on(|p, v| p.name = v.trim().to_string())/>
            <TextField label="Service role ARN".into() value=pipeline.role_arn.clone() field="roleArn".into() required=true
                problems=problems_at(&problems, "roleArn") on_commit=on(|p, v| p.role_arn = v.trim().to_string())/>
            <SelectField label="Pipeline type".into() value=pipeline.effective_pipeline_type().as_str().to_string()
                field="pipelineType".into() options=names(&PipelineType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>())
                problems=problems_at(&problems, "pipelineType") on_commit=on(|p, v| p.pipeline_type = PipelineType::from_wire(&v))/>
            <SelectField label="Execution mode".into() value=pipeline.effective_execution_mode().as_str().to_string()
                field="executionMode".into() options=names(&ExecutionMode::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>())
                problems=problems_at(&problems, "executionMode") on_commit=on(|p, v| p.execution_mode = ExecutionMode::from_wire(&v))/>
            <TextField label="Artifact store bucket".into() value=store.as_ref().map(|s| s.location.clone()).unwrap_or_default()
                field="artifactStore".into() problems=problems_at(&problems, "artifactStore")
                on_commit=on(|p, v| set_store(p, |s| s.location = v.trim().to_string()))/>
            <TextField label="Encryption key (KMS id or ARN)".into()
                value=store.as_ref().and_then(|s| s.encryption_key.as_ref()).map(|k| k.id.clone()).unwrap_or_default()
                field="artifactStore.encryptionKey".into() problems=problems_at(&problems, "artifactStore.encryptionKey")
                on_commit=on(|p, v| set_store(p, |s| {
                    let id = v.trim().to_string();
                    s.encryption_key = (!id.is_empty()).then_some(EncryptionKey { id, key_type: EncryptionKeyType::Kms });
                }))/>
            <TextField label="Variables (V2)".into() value=variables field="variables".into() hint="name=default, name2"
                problems=problems_at(&problems, "variables") on_commit=on(|p, v| p.variables = parse_variables(&v))/>
            <TriggersEditor editor pipeline=pipeline.clone() problems=problems.clone()/>
        </div>
    }
}

fn set_store(pipeline: &mut PipelineDeclaration, change: impl FnOnce(&mut ArtifactStore)) {
    let store = pipeline.artifact_store.get_or_insert_with(|| ArtifactStore {
        store_type: ArtifactStoreType::S3,
        location: String::new(),
        encryption_key: None,
    });
    change(store);
}

/// "name=default, other" → variables; descriptions are kept only through the JSON view.
fn parse_variables(text: &str) -> Vec<PipelineVariableDeclaration> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (name, default) = match item.split_once('=') {
                Some((name, default)) => (name.trim(), Some(default.trim().to_string())),
                None => (item, None),
            };
            PipelineVariableDeclaration { name: name.to_string(), default_value: default, description: None }
        })
        .collect()
}
