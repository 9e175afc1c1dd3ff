//! The Commands action's own fields, which live beside `configuration` in the declaration: its
//! shell commands (one a line), the environment variables it sets (plain text, or a secret's
//! name), the variables it exports and the files its output artifact keeps.
use leptos::prelude::*;
use model::{ActionDeclaration, EnvironmentVariable, EnvironmentVariableType};

use super::edits::{split_names, Edits};
use super::field::{problems_at, FieldProblems, SelectField, TextAreaField, TextField};
use crate::api::Problem;

#[component]
pub fn CommandsFields(edits: Edits, problems: Vec<Problem>, references: Vec<String>) -> impl IntoView {
    let declared = edits.declared.clone();
    let files = declared.output_artifacts.iter().enumerate().map(|(index, output)| {
        let field = format!("outputArtifacts[{index}].files");
        view! {
            <TextField label=format!("Files of {}", output.name) value=output.files.join(", ") field=field.clone()
                problems=problems_at(&problems, &field) hint="paths or globs, comma-separated"
                on_commit=edits.on(move |a, v| if let Some(output) = a.output_artifacts.get_mut(index) {
                    output.files = split_names(&v).collect();
                })/>
        }
    });
    let files = files.collect_view();
    view! {
        <h3>"Commands"</h3>
        <TextAreaField label="Commands".into() value=declared.commands.join("\n") field="commands".into()
            problems=problems_at(&problems, "commands") required=true hint="one shell command a line"
            on_commit=edits.on(|a, v| a.commands = command_lines(&v))/>
        <EnvironmentVariables edits=edits.clone() problems=problems_at(&problems, "environmentVariables") references/>
        <TextField label="Output variables".into() value=declared.output_variables.join(", ") field="outputVariables".into()
            problems=problems_at(&problems, "outputVariables") hint="environment variables to export, comma-separated"
            on_commit=edits.on(|a, v| a.output_variables = split_names(&v).collect())/>
        {files}
    }
}

/// The non-blank lines of the commands box, each one command.
fn command_lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim_end).filter(|line| !line.trim().is_empty()).map(str::to_string).collect()
}

/// One row a variable: name, value, type; a button adds a row, each row's button removes it.
#[component]
fn EnvironmentVariables(edits: Edits, problems: Vec<Problem>, references: Vec<String>) -> impl IntoView {
    let rows = edits
        .declared
        .environment_variables
        .iter()
        .enumerate()
        .map(|(index, variable)| {
            let at = format!("environmentVariables[{index}]");
            let kind = variable.variable_type.unwrap_or(EnvironmentVariableType::Plaintext).as_str().to_string();
            let kinds = EnvironmentVariableType::ALL.iter().map(|t| t.as_str().to_string()).collect();
            let remove = edits.on(move |a, _| {
                a.environment_variables.remove(index);
            });
            view! {
                <div class="env-row" data-testid="env-row">
                    <TextField label="Name".into() value=variable.name.clone() field=format!("{at}.name")
                        problems=problems_at(&problems, &format!("{at}.name"))
                        on_commit=edits.on(move |a, v| with_variable(a, index, |var| var.name = v.trim().to_string()))/>
                    <TextField label="Value".into() value=variable.value.clone() field=format!("{at}.value")
                        problems=problems_at(&problems, &format!("{at}.value")) references=references.clone()
                        on_commit=edits.on(move |a, v| with_variable(a, index, |var| var.value = v))/>
                    <SelectField label="Type".into() value=kind field=format!("{at}.type") options=kinds
                        problems=problems_at(&problems, &format!("{at}.type"))
                        on_commit=edits.on(move |a, v| with_variable(a, index, |var| var.variable_type = variable_type(&v)))/>
                    <button type="button" class="button small ghost" data-testid="env-remove" title="Remove this variable"
                        on:click=move |_| remove.run(String::new())>"Remove"</button>
                </div>
            }
        })
        .collect_view();
    let add = edits.on(|a, _| {
        a.environment_variables.push(EnvironmentVariable {
            name: String::new(),
            value: String::new(),
            variable_type: None,
        })
    });
    let whole_list: Vec<Problem> =
        problems.iter().filter(|p| p.field.as_deref() == Some("environmentVariables")).cloned().collect();
    view! {
        <div class="env-vars" data-testid="environment-variables">
            <span class="field-label">"Environment variables"</span>
            {rows}
            <FieldProblems problems=whole_list/>
            <button type="button" class="button small ghost" data-testid="env-add" on:click=move |_| add.run(String::new())>
                "+ Environment variable"
            </button>
        </div>
    }
}

fn with_variable(action: &mut ActionDeclaration, index: usize, change: impl FnOnce(&mut EnvironmentVariable)) {
    if let Some(variable) = action.environment_variables.get_mut(index) {
        change(variable);
    }
}

/// PLAINTEXT is the default, so it is left out of the declaration as AWS leaves it out.
fn variable_type(value: &str) -> Option<EnvironmentVariableType> {
    EnvironmentVariableType::ALL
        .iter()
        .copied()
        .find(|t| t.as_str() == value && *t != EnvironmentVariableType::Plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_the_non_blank_lines() {
        assert_eq!(command_lines("make\n\n  \nmake test  \n"), ["make", "make test"]);
    }

    #[test]
    fn plain_text_is_the_default_type() {
        assert_eq!(variable_type("PLAINTEXT"), None);
        assert_eq!(variable_type("SECRETS_MANAGER"), Some(EnvironmentVariableType::SecretsManager));
    }
}
