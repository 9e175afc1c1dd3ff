//! Form fields of the side panels. Each commits on `change` (blur, Enter, a pick), so typing
//! is one undo step rather than one per key, and each shows the problems about its field.
use leptos::prelude::*;

use crate::api::Problem;
use crate::pages::editor::completion::{byte_offset, complete, matching, open_reference, utf16_offset};

/// Problems whose field is `field` or inside it (`inputArtifacts` covers `inputArtifacts[0].name`).
pub fn problems_at(problems: &[Problem], field: &str) -> Vec<Problem> {
    problems
        .iter()
        .filter(|p| {
            p.field.as_deref().is_some_and(|f| {
                f == field || f.starts_with(&format!("{field}.")) || f.starts_with(&format!("{field}["))
            })
        })
        .cloned()
        .collect()
}

#[component]
pub fn TextField(
    label: String,
    value: String,
    /// The field's path, as the validator names it; also the test id suffix.
    field: String,
    problems: Vec<Problem>,
    on_commit: Callback<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] secret: bool,
    #[prop(optional)] number: bool,
    #[prop(optional)] hint: &'static str,
    /// Variable references (`namespace.key`) offered when `#{` is typed.
    #[prop(optional)]
    references: Vec<String>,
) -> impl IntoView {
    let input_type = if secret {
        "password"
    } else if number {
        "number"
    } else {
        "text"
    };
    let has_problem = !problems.is_empty();
    let input = NodeRef::<leptos::html::Input>::new();
    let completion =
        Completion { input, references: StoredValue::new(references), open: RwSignal::new(None), at: RwSignal::new(0) };
    view! {
        <label class="field" class:has-problem=has_problem data-field=field.clone()>
            <FieldLabel label required/>
            <input type=input_type data-testid=format!("field-{field}") prop:value=value placeholder=hint node_ref=input
                autocomplete="off" on:change=move |ev| on_commit.run(event_target_value(&ev))
                on:input=move |_| completion.refresh() on:keydown=move |ev| completion.key(ev, on_commit)
                on:blur=move |_| completion.open.set(None)/>
            <Suggestions completion on_commit/>
            <FieldProblems problems/>
        </label>
    }
}

/// A multi-line field (one item a line); commits on `change`, as `TextField` does.
#[component]
pub fn TextAreaField(
    label: String,
    value: String,
    field: String,
    problems: Vec<Problem>,
    on_commit: Callback<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    let has_problem = !problems.is_empty();
    let rows = (value.lines().count() + 1).clamp(3, 12);
    view! {
        <label class="field" class:has-problem=has_problem data-field=field.clone()>
            <FieldLabel label required/>
            <textarea class="code-lines" data-testid=format!("field-{field}") rows=rows prop:value=value placeholder=hint
                spellcheck="false" autocomplete="off" on:change=move |ev| on_commit.run(event_target_value(&ev))></textarea>
            <FieldProblems problems/>
        </label>
    }
}

/// The reference list of one field: open while a `#{` before the caret is being typed.
#[derive(Clone, Copy)]
struct Completion {
    input: NodeRef<leptos::html::Input>,
    references: StoredValue<Vec<String>>,
    /// Where the open `#{` starts, and the references matching what follows it.
    open: RwSignal<Option<(usize, Vec<String>)>>,
    /// The highlighted suggestion.
    at: RwSignal<usize>,
}

impl Completion {
    /// The field's text and caret (a byte offset).
    fn text_and_caret(&self) -> Option<(String, usize)> {
        let input = self.input.get_untracked()?;
        let text = input.value();
        let caret = input.selection_start().ok().flatten().map_or(text.len(), |c| byte_offset(&text, c as usize));
        Some((text, caret))
    }

    fn refresh(&self) {
        let found = self.text_and_caret().and_then(|(text, caret)| {
            let (start, typed) = open_reference(&text, caret)?;
            let matches: Vec<String> =
                self.references.with_value(|r| matching(r, typed).into_iter().cloned().collect());
            (!matches.is_empty()).then_some((start, matches))
        });
        self.open.set(found);
        self.at.set(0);
    }

    /// Completes the reference and commits the field: one undo step, as a typed change is.
    fn choose(&self, reference: &str, on_commit: Callback<String>) {
        let (Some((text, caret)), Some((start, _))) = (self.text_and_caret(), self.open.get_untracked()) else {
            return;
        };
        let (completed, after) = complete(&text, start, caret, reference);
        if let Some(input) = self.input.get_untracked() {
            input.set_value(&completed);
            let caret = utf16_offset(&completed, after) as u32;
            let _ = input.set_selection_range(caret, caret);
        }
        self.open.set(None);
        // Last: the commit redraws the panel, and this field with it.
        on_commit.run(completed);
    }

    /// Arrow keys move through the list, Enter or Tab picks, Escape closes it.
    fn key(&self, ev: leptos::ev::KeyboardEvent, on_commit: Callback<String>) {
        let Some((_, matches)) = self.open.get_untracked() else { return };
        let count = matches.len();
        match ev.key().as_str() {
            "ArrowDown" => self.at.update(|at| *at = (*at + 1) % count),
            "ArrowUp" => self.at.update(|at| *at = (*at + count - 1) % count),
            "Enter" | "Tab" => self.choose(&matches[self.at.get_untracked().min(count - 1)], on_commit),
            "Escape" => self.open.set(None),
            _ => return,
        }
        ev.prevent_default();
    }
}

#[component]
fn Suggestions(completion: Completion, on_commit: Callback<String>) -> impl IntoView {
    move || {
        let (_, matches) = completion.open.get()?;
        let items = matches
            .into_iter()
            .enumerate()
            .map(|(index, reference)| {
                let highlighted = move || completion.at.get() == index;
                let pick = reference.clone();
                // On mousedown, before the input loses focus and commits what was typed.
                view! {
                    <li role="option" data-testid="reference-suggestion" aria-selected=move || highlighted().to_string()
                        class:highlighted=highlighted
                        on:mousedown=move |ev| {
                            ev.prevent_default();
                            completion.choose(&pick, on_commit);
                        }>{format!("#{{{reference}}}")}</li>
                }
            })
            .collect_view();
        Some(view! { <ul class="suggestions" role="listbox" data-testid="reference-suggestions">{items}</ul> })
    }
}

#[component]
pub fn SelectField(
    label: String,
    value: String,
    field: String,
    options: Vec<String>,
    problems: Vec<Problem>,
    on_commit: Callback<String>,
    #[prop(optional)] required: bool,
    /// Offer "(not set)" as the first choice.
    #[prop(optional)]
    optional: bool,
) -> impl IntoView {
    let has_problem = !problems.is_empty();
    let mut choices: Vec<(String, String)> = options.into_iter().map(|o| (o.clone(), o)).collect();
    if optional {
        choices.insert(0, (String::new(), "(not set)".to_string()));
    }
    if !choices.iter().any(|(v, _)| *v == value) {
        // A value typed in the JSON that the list does not know still shows.
        choices.push((value.clone(), value.clone()));
    }
    view! {
        <label class="field" class:has-problem=has_problem data-field=field.clone()>
            <FieldLabel label required/>
            <select data-testid=format!("field-{field}") on:change=move |ev| on_commit.run(event_target_value(&ev))>
                {choices
                    .into_iter()
                    .map(|(v, text)| {
                        let selected = v == value;
                        view! { <option value=v selected=selected>{text}</option> }
                    })
                    .collect_view()}
            </select>
            <FieldProblems problems/>
        </label>
    }
}

/// A field's name, marked when it is required.
#[component]
fn FieldLabel(label: String, required: bool) -> impl IntoView {
    view! { <span class="field-label">{label}{required.then(|| view! { <span class="required" title="Required">" *"</span> })}</span> }
}

#[component]
pub fn FieldProblems(problems: Vec<Problem>) -> impl IntoView {
    problems
        .into_iter()
        .map(|p| view! { <p class="field-problem" data-testid="field-problem" data-code=p.code>{p.message}</p> })
        .collect_view()
}
