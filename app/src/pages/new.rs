//! `/new`: paste a pipeline's JSON, see it checked and drawn as you type, then create it.
//!
//! Checking runs in the browser with the same `model` parser and validator the server uses, so
//! what the page accepts is what CreatePipeline accepts; the server's own refusals (a name in use)
//! are listed the same way.
use leptos::html::Textarea;
use leptos::prelude::*;
use leptos_meta::Title;
use model::PipelineDeclaration;

use crate::api::{home_region, AppError, CreatePipeline, Problem};
use crate::components::may_create::MayCreate;
use crate::components::{errors::ProblemList, pipeline_graph::PipelineGraph};
use crate::Hydrated;

/// What the browser knows about the pasted text.
#[derive(Debug, Clone, PartialEq)]
struct Check {
    /// None when the text is empty or does not parse.
    pipeline: Option<PipelineDeclaration>,
    problems: Vec<Problem>,
}

impl Check {
    fn of(text: &str, home_region: &str) -> Self {
        if text.trim().is_empty() {
            return Check { pipeline: None, problems: Vec::new() };
        }
        match model::parse_pipeline(text) {
            Err(err) => Check { pipeline: None, problems: vec![Problem::from(&err)] },
            Ok(pipeline) => {
                let problems = Problem::all_in(&pipeline, home_region);
                Check { pipeline: Some(pipeline), problems }
            }
        }
    }

    fn is_valid(&self) -> bool {
        self.pipeline.is_some() && self.problems.is_empty()
    }
}

#[component]
pub fn NewPipelinePage() -> impl IntoView {
    let region = Resource::new(|| (), |_| home_region());
    view! {
        <Title text="New pipeline"/>
        <div class="page-head">
            <div>
                <p class="crumbs"><a href="/">"Pipelines"</a>" / "</p>
                <h1>"New pipeline"</h1>
                <p class="muted">
                    "Paste a pipeline declaration: the bare "<code>"{\"name\": ...}"</code>" object or the "
                    <code>"{\"pipeline\": ...}"</code>" document that "<code>"get-pipeline"</code>" prints. "
                    "It is checked as you type, with the same rules the API applies."
                </p>
            </div>
        </div>
        <Suspense fallback=|| view! { <div class="card loading">"Loading\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match region.await {
                    Ok(home_region) => view! { <PasteForm home_region/> }.into_any(),
                    Err(err) => view! { <div class="card notice bad">{err.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The pasted text, its check, the create button and the drawing.
#[component]
fn PasteForm(home_region: String) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let check = Memo::new(move |_| text.with(|text| Check::of(text, &home_region)));
    let create = ServerAction::<CreatePipeline>::new();
    let textarea = NodeRef::<Textarea>::new();
    let hydrated = use_context::<Hydrated>().map(|h| h.0);

    // Puts the caret where a parse error is, so the fix is one keystroke away.
    let locate = Callback::new(move |(line, column): (usize, usize)| {
        if let Some(el) = textarea.get() {
            let offset = text.with(|text| utf16_offset(text, line, column));
            let _ = el.focus();
            let _ = el.set_selection_range(offset, offset);
        }
    });
    let server_problems = move || match create.value().get() {
        Some(Err(AppError::Rejected(problems))) => problems,
        Some(Err(other)) => vec![Problem::general("server-error", None, other.to_string())],
        _ => Vec::new(),
    };
    // Before hydration the button stays enabled so the form still posts without JavaScript;
    // the server checks the same rules.
    let disabled = move || {
        let is_hydrated = hydrated.map(|h| h.get()).unwrap_or(true);
        create.pending().get() || (is_hydrated && !check.with(Check::is_valid))
    };

    view! {
        <ActionForm action=create>
            <div class="editor-layout">
                <JsonInput textarea text create/>
                <div class="card status-card">
                    <h2>"Check"</h2>
                    {move || check.with(|c| status_view(c, locate))}
                    {move || {
                        let problems = server_problems();
                        (!problems.is_empty()).then(|| view! {
                            <div data-testid="server-problems"><ProblemList problems/></div>
                        })
                    }}
                    <MayCreate refusal="Your role may not create pipelines.">
                        <button type="submit" class="button primary wide" data-testid="create-button" disabled=disabled>
                            {move || if create.pending().get() { "Creating\u{2026}" } else { "Create pipeline" }}
                        </button>
                    </MayCreate>
                </div>
            </div>
        </ActionForm>
        <Preview check/>
    }
}

/// The JSON text area with its "Load example" button; every change clears the server's last answer.
#[component]
fn JsonInput(
    textarea: NodeRef<Textarea>,
    text: RwSignal<String>,
    create: ServerAction<CreatePipeline>,
) -> impl IntoView {
    // Text pasted (or restored by the browser) before the app hydrated is in the DOM but not in
    // the signal yet.
    Effect::new(move |_| {
        if let Some(el) = textarea.get() {
            let value = el.value();
            if !value.is_empty() && text.get_untracked().is_empty() {
                text.set(value);
            }
        }
    });
    let on_input = move |ev: leptos::ev::Event| {
        text.set(event_target_value(&ev));
        // The server's last answer was about the old text.
        create.value().set(None);
    };
    let load_example = move |_| {
        if let Some(el) = textarea.get() {
            el.set_value(EXAMPLE);
        }
        text.set(EXAMPLE.to_string());
        create.value().set(None);
    };
    view! {
        <div class="card editor-card">
            <div class="editor-toolbar">
                <span class="editor-title">"Pipeline JSON"</span>
                <button type="button" class="button small ghost" on:click=load_example data-testid="load-example">
                    "Load example"
                </button>
            </div>
            <textarea
                node_ref=textarea
                name="json"
                class="code-input"
                data-testid="pipeline-input"
                aria-label="Pipeline JSON"
                spellcheck="false"
                autocomplete="off"
                wrap="off"
                placeholder="{\n  \"pipeline\": {\n    \"name\": \"my-pipeline\",\n    \"roleArn\": \"arn:aws:iam::123456789012:role/pipeline\",\n    \"artifactStore\": { \"type\": \"S3\", \"location\": \"my-bucket\" },\n    \"stages\": [ ... ]\n  }\n}"
                on:input=on_input
            ></textarea>
        </div>
    }
}

/// The pipeline drawn as it parses, with its problems marked.
#[component]
fn Preview(check: Memo<Check>) -> impl IntoView {
    view! {
        <section class="card preview-card" data-testid="preview">
            <h2>"Preview"</h2>
            {move || match check.with(|c| c.pipeline.clone().map(|p| (p, c.problems.clone()))) {
                Some((pipeline, problems)) => view! { <PipelineGraph pipeline problems/> }.into_any(),
                None => view! {
                    <p class="muted preview-empty">"The drawing appears here once the JSON parses."</p>
                }
                .into_any(),
            }}
        </section>
    }
}

fn status_view(check: &Check, locate: Callback<(usize, usize)>) -> AnyView {
    match (&check.pipeline, check.problems.is_empty()) {
        (_, false) => view! { <ProblemList problems=check.problems.clone() on_locate=locate/> }.into_any(),
        (Some(pipeline), true) => {
            let actions = pipeline.actions().count();
            view! {
                <div class="status ok" data-testid="status-valid">
                    <span class="dot good"></span>
                    <div>
                        <strong>{format!("\u{201c}{}\u{201d} looks good", pipeline.name)}</strong>
                        <p class="muted">{format!("{} stages, {actions} actions", pipeline.stages.len())}</p>
                    </div>
                </div>
            }
            .into_any()
        }
        (None, true) => view! {
            <div class="status" data-testid="status-empty">
                <span class="dot"></span>
                <p class="muted">"Paste a pipeline, or load the example, to check it."</p>
            </div>
        }
        .into_any(),
    }
}

/// The textarea offset (UTF-16 units, as the DOM counts) of a 1-based line and column.
fn utf16_offset(text: &str, line: usize, column: usize) -> u32 {
    let mut offset = 0;
    for (index, content) in text.split('\n').enumerate() {
        if index + 1 == line {
            offset += content.chars().take(column.saturating_sub(1)).map(char::len_utf16).sum::<usize>();
            break;
        }
        offset += content.encode_utf16().count() + 1;
    }
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// A typical V1 pipeline: S3 source, CodeBuild with a parallel test, manual approval, CloudFormation.
const EXAMPLE: &str = r#"{
  "pipeline": {
    "name": "web-app",
    "roleArn": "arn:aws:iam::123456789012:role/service-role/web-app-pipeline",
    "artifactStore": { "type": "S3", "location": "web-app-artifacts" },
    "stages": [
      {
        "name": "Source",
        "actions": [
          {
            "name": "Checkout",
            "actionTypeId": { "category": "Source", "owner": "AWS", "provider": "S3", "version": "1" },
            "configuration": { "S3Bucket": "web-app-source", "S3ObjectKey": "web-app.zip", "PollForSourceChanges": "false" },
            "outputArtifacts": [{ "name": "SourceOutput" }]
          }
        ]
      },
      {
        "name": "Build",
        "actions": [
          {
            "name": "Compile",
            "actionTypeId": { "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1" },
            "configuration": { "ProjectName": "web-app-build" },
            "inputArtifacts": [{ "name": "SourceOutput" }],
            "outputArtifacts": [{ "name": "BuildOutput" }]
          },
          {
            "name": "UnitTests",
            "actionTypeId": { "category": "Test", "owner": "AWS", "provider": "CodeBuild", "version": "1" },
            "configuration": { "ProjectName": "web-app-tests" },
            "inputArtifacts": [{ "name": "SourceOutput" }]
          }
        ]
      },
      {
        "name": "Approve",
        "actions": [
          {
            "name": "ReleaseApproval",
            "actionTypeId": { "category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1" },
            "configuration": { "CustomData": "Check the staging site before release." }
          }
        ]
      },
      {
        "name": "Deploy",
        "actions": [
          {
            "name": "DeployStack",
            "actionTypeId": { "category": "Deploy", "owner": "AWS", "provider": "CloudFormation", "version": "1" },
            "configuration": {
              "ActionMode": "CREATE_UPDATE",
              "StackName": "web-app",
              "TemplatePath": "BuildOutput::template.yaml",
              "RoleArn": "arn:aws:iam::123456789012:role/cfn-deploy",
              "Capabilities": "CAPABILITY_IAM"
            },
            "inputArtifacts": [{ "name": "BuildOutput" }]
          }
        ]
      }
    ]
  }
}"#;
