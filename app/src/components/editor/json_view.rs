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
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        match model::parse_pipeline(&value) {
            Ok(pipeline) => {
                parse_problem.set(None);
                text.set(value);
                editor.run(Command::ReplacePipeline(Box::new(pipeline)));
            }
            Err(err) => {
                parse_problem.set(Some(Problem::from(&err)));
                text.set(value);
            }
        }
    };
    view! {
        <div class="json-view" data-testid="json-view">
            {move || parse_problem.get().map(|problem| view! {
                <div class="notice warn" data-testid="json-broken">
                    "The text does not parse, so the drawing keeps the last pipeline that did."
                    <ProblemList problems=vec![problem]/>
                </div>
            })}
            <textarea class="code-input" data-testid="json-input" aria-label="Pipeline JSON" spellcheck="false"
                wrap="off" prop:value=move || text.get() on:input=on_input></textarea>
        </div>
    }
}
