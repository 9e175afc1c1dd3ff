//! The list of problems next to the editor: parse errors, validator errors and server refusals
//! look the same, each naming where it is.
use leptos::prelude::*;

use crate::api::Problem;

#[component]
pub fn ProblemList(problems: Vec<Problem>) -> impl IntoView {
    let count = problems.len();
    let heading = if count == 1 { "1 problem".to_string() } else { format!("{count} problems") };
    view! {
        <section class="problems" data-testid="problems" role="alert">
            <h3 class="problems-head">
                <span class="dot bad"></span>
                {heading}
            </h3>
            <ul>{problems.into_iter().map(|problem| view! { <ProblemItem problem/> }).collect_view()}</ul>
        </section>
    }
}

#[component]
fn ProblemItem(problem: Problem) -> impl IntoView {
    let position = problem.line.map(|line| match problem.column {
        Some(column) => format!("line {line}, column {column}"),
        None => format!("line {line}"),
    });
    view! {
        <li class="problem" data-testid="problem" data-code=problem.code.clone()>
            <div class="where">
                {problem.stage.map(|stage| view! { <span class="chip stage-chip" title="Stage">{stage}</span> })}
                {problem.action.map(|action| view! { <span class="chip action-chip" title="Action">{action}</span> })}
                {problem.field.map(|field| view! { <code class="chip field-chip" title="Field">{field}</code> })}
                {position.map(|position| view! { <span class="chip pos-chip">{position}</span> })}
            </div>
            <p class="message">{problem.message}</p>
        </li>
    }
}
