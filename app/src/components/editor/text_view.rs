//! The pipeline as text, CodePipeline JSON or the same document in YAML, editable. Text that
//! parses replaces the drawing (one undo step); text that does not keeps the drawing as it was
//! and says why. Changes made on the canvas rewrite the text.
use leptos::prelude::*;
use model::PipelineDeclaration;

use crate::api::Problem;
use crate::components::errors::ProblemList;
use crate::pages::editor::document::Command;
use crate::pages::editor::handle::Editor;

/// The `{"pipeline": ...}` document that create-pipeline's `--cli-input-json` takes.
#[derive(serde::Serialize)]
struct Document<'a> {
    pipeline: &'a PipelineDeclaration,
}

/// The text `export` and the JSON view show.
pub fn pipeline_document(pipeline: &PipelineDeclaration) -> String {
    serde_json::to_string_pretty(&Document { pipeline }).unwrap_or_default()
}

/// How the text view writes the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    Json,
    Yaml,
}

impl TextFormat {
    pub fn name(self) -> &'static str {
        match self {
            TextFormat::Json => "JSON",
            TextFormat::Yaml => "YAML",
        }
    }

    /// The lower-case name test ids use (`json-input`, `tab-yaml`).
    pub fn id(self) -> &'static str {
        match self {
            TextFormat::Json => "json",
            TextFormat::Yaml => "yaml",
        }
    }

    /// The pipeline as this format's text.
    pub fn write(self, pipeline: &PipelineDeclaration) -> String {
        match self {
            TextFormat::Json => pipeline_document(pipeline),
            TextFormat::Yaml => serde_yaml_ng::to_string(&Document { pipeline }).unwrap_or_default(),
        }
    }

    /// Reads a pipeline (or a `{pipeline: ...}` document). YAML is read into JSON's data model
    /// first, so both go through the model's parser and report the same paths.
    pub fn read(self, text: &str) -> Result<PipelineDeclaration, Problem> {
        let json = match self {
            TextFormat::Json => text.to_string(),
            TextFormat::Yaml => match serde_yaml_ng::from_str::<serde_json::Value>(text) {
                Ok(value) => value.to_string(),
                Err(err) => return Err(Problem::general("parse-error", None, format!("YAML: {err}"))),
            },
        };
        model::parse_pipeline(&json).map_err(|err| Problem::from(&err))
    }

    fn accept(self) -> &'static str {
        match self {
            TextFormat::Json => ".json,application/json",
            TextFormat::Yaml => ".yaml,.yml,application/yaml,text/yaml",
        }
    }
}

#[component]
pub fn TextView(editor: Editor, format: TextFormat) -> impl IntoView {
    let text = RwSignal::new(editor.state.with_untracked(|s| format.write(&s.pipeline)));
    let parse_problem = RwSignal::new(None::<Problem>);
    // The canvas changed: show its pipeline, unless the text already says the same thing (it
    // was just typed), so the caret is not thrown away.
    Effect::new(move |_| {
        let shown = editor.state.with(|s| s.pipeline.clone());
        let same = text.with_untracked(|t| format.read(t).ok().as_ref() == Some(&shown));
        if !same {
            text.set(format.write(&shown));
            parse_problem.set(None);
        }
    });
    // Typed, pasted or imported text goes the same way.
    let take_text = move |value: String| {
        match format.read(&value) {
            Ok(pipeline) => {
                parse_problem.set(None);
                editor.run(Command::ReplacePipeline(Box::new(pipeline)));
            }
            Err(problem) => parse_problem.set(Some(problem)),
        }
        text.set(value);
    };
    let id = format.id();
    view! {
        <div class="json-view" data-testid=format!("{id}-view")>
            {move || parse_problem.get().map(|problem| view! {
                <div class="notice warn" data-testid=format!("{id}-broken")>
                    "The text does not parse, so the drawing keeps the last pipeline that did."
                    <ProblemList problems=vec![problem]/>
                </div>
            })}
            <label class="button small ghost import">
                "Import a file\u{2026}"
                <input type="file" accept=format.accept() data-testid=format!("import-{id}-file")
                    on:change=move |ev| read_chosen_file(&ev, take_text)/>
            </label>
            <textarea class="code-input" data-testid=format!("{id}-input") aria-label=format!("Pipeline {}", format.name())
                spellcheck="false" wrap="off" prop:value=move || text.get() on:input=move |ev| take_text(event_target_value(&ev))></textarea>
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::editor::document::{apply, blank_pipeline, Command};

    #[test]
    fn yaml_says_what_json_says() {
        let mut pipeline = blank_pipeline();
        apply(&mut pipeline, Command::AddStage { at: 0 });
        let yaml = TextFormat::Yaml.write(&pipeline);
        assert!(yaml.starts_with("pipeline:\n  name: my-pipeline\n"), "{yaml}");
        assert_eq!(TextFormat::Yaml.read(&yaml), Ok(pipeline.clone()));
        assert_eq!(TextFormat::Json.read(&TextFormat::Json.write(&pipeline)), Ok(pipeline));
    }

    #[test]
    fn broken_yaml_and_wrong_fields_say_why() {
        let broken = TextFormat::Yaml.read("pipeline:\n  name: [unclosed").expect_err("not YAML");
        assert!(broken.message.starts_with("YAML: "), "{}", broken.message);
        let wrong = TextFormat::Yaml.read("pipeline:\n  name: p\n  stages: 7\n").expect_err("wrong shape");
        assert_eq!(wrong.code, "parse-error");
        assert!(wrong.field.as_deref().is_some_and(|f| f.contains("stages")), "{wrong:?}");
    }
}
