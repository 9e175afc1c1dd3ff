//! Form fields of the side panels. Each commits on `change` (blur, Enter, a pick), so typing
//! is one undo step rather than one per key, and each shows the problems about its field.
use leptos::prelude::*;

use crate::api::Problem;

/// Problems whose field is `field` or inside it (`inputArtifacts` covers `inputArtifacts[0].name`).
pub fn problems_at(problems: &[Problem], field: &str) -> Vec<Problem> {
    problems
        .iter()
        .filter(|p| {
            p.field.as_deref().is_some_and(|f| f == field || f.starts_with(&format!("{field}.")) || f.starts_with(&format!("{field}[")))
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
) -> impl IntoView {
    let input_type = if secret { "password" } else if number { "number" } else { "text" };
    let has_problem = !problems.is_empty();
    view! {
        <label class="field" class:has-problem=has_problem data-field=field.clone()>
            <span class="field-label">{label}{required.then(|| view! { <span class="required" title="Required">" *"</span> })}</span>
            <input type=input_type data-testid=format!("field-{field}") prop:value=value placeholder=hint
                autocomplete="off" on:change=move |ev| on_commit.run(event_target_value(&ev))/>
            <FieldProblems problems/>
        </label>
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
            <span class="field-label">{label}{required.then(|| view! { <span class="required" title="Required">" *"</span> })}</span>
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

#[component]
pub fn FieldProblems(problems: Vec<Problem>) -> impl IntoView {
    problems
        .into_iter()
        .map(|p| view! { <p class="field-problem" data-testid="field-problem" data-code=p.code>{p.message}</p> })
        .collect_view()
}
