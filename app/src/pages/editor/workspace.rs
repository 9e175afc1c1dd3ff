//! The editor's page around one pipeline: the head with its tools (undo, redo, export, save), the
//! status line, the palette, the canvas or text view, the side panel, and the versions.
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use model::PipelineDeclaration;

use super::document::Selection;
use super::handle::Editor;
use super::history::EditorState;
use crate::api::{percent_encode, pipeline_href, AppError, Problem, SavePipeline};
use crate::components::editor::{
    action_panel::ActionPanel,
    canvas::EditorCanvas,
    palette::Palette,
    settings_panel::SettingsPanel,
    stage_panel::StagePanel,
    text_view::{pipeline_document, TextFormat, TextView},
    versions::VersionsPanel,
};
use crate::components::errors::ProblemList;
use crate::components::may_create::MayCreate;

/// The editor around one pipeline. `saved_version` is None for a pipeline not created yet;
/// `home_region` is the server's, whose rules the pipeline is checked with.
#[component]
pub fn Workspace(initial: PipelineDeclaration, saved_version: Option<u32>, home_region: String) -> impl IntoView {
    let original_name = initial.name.clone();
    let editor = Editor::new(EditorState::new(initial), home_region);
    let (latest, set_latest) = signal(saved_version.unwrap_or(0));
    // None: the canvas; otherwise the pipeline as text in that format.
    let text_tab = RwSignal::new(None::<TextFormat>);
    let save = ServerAction::<SavePipeline>::new();
    let navigate = use_navigate();

    Effect::new(move |_| match save.value().get() {
        Some(Ok(version)) if saved_version.is_some() => {
            editor.state.update(|s| s.mark_saved(version));
            set_latest.set(version);
        }
        // A new pipeline continues in the editor of its saved version.
        Some(Ok(_)) => {
            let name = editor.state.with_untracked(|s| s.pipeline.name.clone());
            navigate(&format!("{}/edit", pipeline_href(&name)), Default::default());
        }
        Some(Err(AppError::Rejected(problems))) => editor.server_problems.set(problems),
        Some(Err(other)) => editor.server_problems.set(vec![Problem::general("server-error", None, other.to_string())]),
        None => {}
    });
    let heading = if saved_version.is_some() { format!("Edit {original_name}") } else { "New pipeline".to_string() };

    view! {
        <div class="page-head">
            <div>
                <p class="crumbs"><a href="/">"Pipelines"</a>" / "
                    {saved_version.map(|_| view! { <a href=pipeline_href(&original_name)>{original_name.clone()}</a>" / " })}
                </p>
                <h1>{heading}</h1>
                {saved_version.is_none().then(|| view! {
                    <p class="muted">"Drag a stage, then actions, from the palette. Have the JSON already? "
                        <a href="/new/json" data-testid="paste-json">"Paste it instead"</a>"."</p>
                })}
            </div>
            <EditorTools editor save update=saved_version.is_some()/>
        </div>
        <EditorStatus editor latest/>
        <div class="workspace">
            <Palette editor/>
            <CanvasCard editor text_tab/>
            <SidePanel editor text_tab/>
        </div>
        {saved_version.map(|_| view! { <VersionsPanel name=original_name.clone() latest/> })}
    }
    .into_any()
}

/// Undo, redo, export, and Save.
#[component]
fn EditorTools(editor: Editor, save: ServerAction<SavePipeline>, update: bool) -> impl IntoView {
    let on_save = move |_| {
        let json = editor.state.with_untracked(|s| serde_json::to_string(&s.pipeline).unwrap_or_default());
        save.dispatch(SavePipeline { json, update });
    };
    let save_disabled = move || save.pending().get() || problem_count(editor) > 0;
    let export_href = move || {
        let text = editor.state.with(|s| pipeline_document(&s.pipeline));
        format!("data:application/json;charset=utf-8,{}", percent_encode(&text, b"-._~"))
    };
    let export_name = move || editor.state.with(|s| format!("{}.json", s.pipeline.name));
    view! {
        <div class="editor-actions">
            <button type="button" class="button small ghost" data-testid="undo" disabled=move || editor.state.with(|s| !s.can_undo())
                on:click=move |_| editor.undo()>"Undo"</button>
            <button type="button" class="button small ghost" data-testid="redo" disabled=move || editor.state.with(|s| !s.can_redo())
                on:click=move |_| editor.redo()>"Redo"</button>
            <a class="button small ghost" data-testid="export" href=export_href download=export_name>"Export JSON"</a>
            <MayCreate refusal="Your role may not save pipelines.">
                <button type="button" class="button primary" data-testid="save-button" disabled=save_disabled on:click=on_save>
                    {move || if save.pending().get() { "Saving\u{2026}" } else { "Save" }}
                </button>
            </MayCreate>
        </div>
    }
}

/// How many problems stand between the pipeline and a save: the validator's and the server's.
fn problem_count(editor: Editor) -> usize {
    editor.problems.with(Vec::len) + editor.server_problems.with(Vec::len)
}

/// Ready to save, or how many problems are left; and the version saved last.
#[component]
fn EditorStatus(editor: Editor, latest: ReadSignal<u32>) -> impl IntoView {
    view! {
        <div class="editor-status" data-testid="editor-status">
            {move || match problem_count(editor) {
                0 => view! { <span class="status-ok" data-testid="status-valid"><span class="dot good"></span>"Ready to save"</span> }.into_any(),
                n => view! { <span class="status-bad"><span class="dot bad"></span>{format!("{n} problem{} to fix before saving", if n == 1 { "" } else { "s" })}</span> }.into_any(),
            }}
            {move || (latest.get() > 0).then(|| view! {
                <span class="muted" data-testid="saved-version">{format!("Saved version {}", latest.get())}</span>
            })}
        </div>
    }
}

/// The canvas, or the pipeline as JSON or YAML text (`text_tab`).
#[component]
fn CanvasCard(editor: Editor, text_tab: RwSignal<Option<TextFormat>>) -> impl IntoView {
    view! {
        <section class="card canvas-card">
            <nav class="tabs" role="tablist">
                <button type="button" role="tab" data-testid="tab-canvas" aria-selected=move || text_tab.get().is_none().to_string()
                    on:click=move |_| text_tab.set(None)>"Canvas"</button>
                {[TextFormat::Json, TextFormat::Yaml].map(|format| view! {
                    <button type="button" role="tab" data-testid=format!("tab-{}", format.id())
                        aria-selected=move || (text_tab.get() == Some(format)).to_string()
                        on:click=move |_| text_tab.set(Some(format))>{format.name()}</button>
                })}
            </nav>
            {move || match text_tab.get() {
                None => view! { <EditorCanvas editor/> }.into_any(),
                Some(format) => view! { <TextView editor format/> }.into_any(),
            }}
        </section>
    }
}

/// The form of what is selected, and every problem; picking a problem selects its place on the
/// canvas and scrolls to it.
#[component]
fn SidePanel(editor: Editor, text_tab: RwSignal<Option<TextFormat>>) -> impl IntoView {
    let pick = Callback::new(move |problem: Problem| {
        let selection = match (problem.stage_index, problem.action_index) {
            (Some(stage), Some(action)) => Selection::Action { stage, action },
            (Some(stage), None) => Selection::Stage(stage),
            _ => Selection::Pipeline,
        };
        text_tab.set(None);
        editor.select(selection);
        request_animation_frame(|| {
            if let Ok(Some(node)) = document().query_selector(".editor-canvas .selected") {
                node.scroll_into_view();
            }
        });
    });
    let selection = Memo::new(move |_| editor.selection());
    view! {
        <aside class="card side-panel" data-testid="side-panel">
            {move || match selection.get() {
                Selection::Pipeline => view! { <SettingsPanel editor/> }.into_any(),
                Selection::Stage(stage) => view! { <StagePanel editor stage/> }.into_any(),
                Selection::Action { stage, action } => view! { <ActionPanel editor stage action/> }.into_any(),
            }}
            {move || (selection.get() != Selection::Pipeline).then(|| view! {
                <button type="button" class="button small ghost wide" data-testid="show-settings"
                    on:click=move |_| editor.select(Selection::Pipeline)>"Pipeline settings"</button>
            })}
            {move || {
                let problems = editor.all_problems();
                (!problems.is_empty()).then(|| view! { <ProblemList problems on_pick=pick/> })
            }}
        </aside>
    }
}
