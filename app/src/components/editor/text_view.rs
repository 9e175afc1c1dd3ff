//! The pipeline as CodePipeline JSON, editable. Text that parses replaces the drawing (one
//! undo step); text that does not keeps the drawing as it was and says why. Changes made on the
//! canvas rewrite the text.
use leptos::prelude::*;
use model::PipelineDeclaration;

use crate::api::Problem;
use crate::components::errors::ProblemList;
use crate::pages::editor::document::Command;
use crate::pages::editor::handle::Editor;

/// The text `export` and the JSON view show: the `{"pipeline": ...}` document that
/// create-pipeline's `--cli-input-json` takes.
pub fn pipeline_document(pipeline: &PipelineDeclaration) -> String {
    #[derive(serde::Serialize)]
    struct Document<'a> {
        pipeline: &'a PipelineDeclaration,
    }
    serde_json::to_string_pretty(&Document { pipeline }).unwrap_or_default()
}

#[component]
pub fn JsonView(editor: Editor) -> impl IntoView {
    let text = RwSignal::new(editor.state.with_untracked(|s| pipeline_document(&s.pipeline)));
    let parse_problem = RwSignal::new(None::<Problem>);
    // The canvas changed: show its pipeline, unless the text already says the same thing (it
    // was just typed), so the caret is not thrown away.
    Effect::new(move |_| {
        let shown = editor.state.with(|s| s.pipeline.clone());
        let same = text.with_untracked(|t| model::parse_pipeline(t).ok().as_ref() == Some(&shown));
        if !same {
            text.set(pipeline_document(&shown));
            parse_problem.set(None);
        }
    });
    // Typed, pasted or imported text goes the same way.
    let take_text = move |value: String| {
        match model::parse_pipeline(&value) {
            Ok(pipeline) => {
                parse_problem.set(None);
                editor.run(Command::ReplacePipeline(Box::new(pipeline)));
            }
            Err(err) => parse_problem.set(Some(Problem::from(&err))),
        }
        text.set(value);
    };
    view! {
        <div class="json-view" data-testid="json-view">
            {move || parse_problem.get().map(|problem| view! {
                <div class="notice warn" data-testid="json-broken">
                    "The text does not parse, so the drawing keeps the last pipeline that did."
                    <ProblemList problems=vec![problem]/>
                </div>
            })}
            <label class="button small ghost import">
                "Import a file\u{2026}"
                <input type="file" accept=".json,application/json" data-testid="import-file"
                    on:change=move |ev| read_chosen_file(&ev, take_text)/>
            </label>
            <textarea class="code-input" data-testid="json-input" aria-label="Pipeline JSON" spellcheck="false"
                wrap="off" prop:value=move || text.get() on:input=move |ev| take_text(event_target_value(&ev))></textarea>
        </div>
    }
}

/// Reads the file picked in an `<input type=file>` as text, then hands it on. Through Reflect
/// because the File API is not among the web-sys features Leptos turns on.
fn read_chosen_file(ev: &leptos::ev::Event, then: impl FnOnce(String) + 'static) {
    use leptos::wasm_bindgen::{closure::Closure, JsCast, JsValue};
    use leptos::web_sys::js_sys::{Function, Promise, Reflect};

    let Some(input) = ev.target() else { return };
    let Ok(file) = Reflect::get(&input, &"files".into()).and_then(|files| Reflect::get(&files, &0.into())) else {
        return;
    };
    let Ok(read) = Reflect::get(&file, &"text".into()) else { return };
    let Some(read) = read.dyn_ref::<Function>() else { return };
    let Ok(promise) = read.call0(&file) else { return };
    let on_text: Closure<dyn FnMut(JsValue)> = Closure::once(move |value: JsValue| {
        if let Some(text) = value.as_string() {
            then(text);
        }
    });
    let _ = promise.unchecked_into::<Promise>().then(&on_text);
    // The promise calls it later; one small closure per imported file is left to the JS heap.
    on_text.forget();
}
