//! The list of problems next to the editor: parse errors, validator errors and server refusals
//! look the same, each naming where it is.
use leptos::prelude::*;

use crate::api::Problem;

#[component]
pub fn ProblemList(
    problems: Vec<Problem>,
    /// Called with (line, column) when the position of a parse error is clicked.
    #[prop(optional)]
    on_locate: Option<Callback<(usize, usize)>>,
    /// Called with a problem that names a stage when its "Show" button is clicked.
    #[prop(optional)]
    on_pick: Option<Callback<Problem>>,
) -> impl IntoView {
    let count = problems.len();
    let heading = if count == 1 { "1 problem".to_string() } else { format!("{count} problems") };
    view! {
        <section class="problems" data-testid="problems" role="alert">
            <h3 class="problems-head">
                <span class="dot bad"></span>
                {heading}
            </h3>
            <ul>{problems.into_iter().map(|problem| view! { <ProblemItem problem on_locate on_pick/> }).collect_view()}</ul>
        </section>
    }
}

#[component]
fn ProblemItem(
    problem: Problem,
    on_locate: Option<Callback<(usize, usize)>>,
    on_pick: Option<Callback<Problem>>,
) -> impl IntoView {
    let pick = on_pick.filter(|_| problem.stage_index.is_some()).map(|pick| {
        let problem = problem.clone();
        view! {
            <button type="button" class="chip pos-chip" data-testid="problem-show" title="Select it on the canvas"
                on:click=move |_| pick.run(problem.clone())>"Show"</button>
        }
    });
    let position = problem.line.map(|line| {
        let column = problem.column.unwrap_or(1);
        let label = match problem.column {
            Some(column) => format!("line {line}, column {column}"),
            None => format!("line {line}"),
        };
        match on_locate {
            Some(locate) => view! {
                <button type="button" class="chip pos-chip" title="Show in the editor"
                    on:click=move |_| locate.run((line, column))>{label}</button>
            }
            .into_any(),
            None => view! { <span class="chip pos-chip">{label}</span> }.into_any(),
        }
    });
    view! {
        <li class="problem" data-testid="problem" data-code=problem.code.clone()>
            <div class="where">
                {problem.stage.map(|stage| view! { <span class="chip stage-chip" title="Stage">{stage}</span> })}
                {problem.action.map(|action| view! { <span class="chip action-chip" title="Action">{action}</span> })}
                {problem.field.map(|field| view! { <code class="chip field-chip" title="Field">{field}</code> })}
                {position}
                {pick}
            </div>
            <p class="message">{problem.message}</p>
        </li>
    }
}
