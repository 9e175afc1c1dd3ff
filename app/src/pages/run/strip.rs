//! The run's overview: one segment per stage, coloured by status, sharing the width whatever the
//! number of stages (a name that does not fit is cut with an ellipsis, whole in its tooltip). It
//! stays at the top of the window while the stages scroll by, so a stage that waits for an
//! approval far down (or far right) is always in sight; a click goes to what needs attention.
use leptos::prelude::*;

use super::summary::action_anchor;
use crate::api::runs::{ActionRun, StageRun};

/// The id of a stage's box on the run view.
pub fn stage_anchor(stage: &str) -> String {
    format!("stage-{stage}")
}

/// Whether `action` is a manual approval waiting for an answer.
fn waiting(action: &ActionRun) -> bool {
    action.category == "Approval" && action.attempt.as_ref().is_some_and(|a| a.status == "InProgress")
}

/// Where a click on a stage's segment goes: its approval that waits, else its failed action,
/// else the stage.
fn target(stage: &StageRun) -> String {
    let failed = |a: &&ActionRun| a.attempt.as_ref().is_some_and(|t| t.status == "Failed");
    match stage.actions.iter().find(|a| waiting(a)).or_else(|| stage.actions.iter().find(failed)) {
        Some(action) => action_anchor(&stage.name, &action.name),
        None => stage_anchor(&stage.name),
    }
}

#[component]
pub fn StageStrip(stages: Vec<StageRun>) -> impl IntoView {
    let segments = stages
        .iter()
        .map(|stage| {
            let status = stage.status.clone().unwrap_or_else(|| "NotStarted".into());
            let is_waiting = stage.actions.iter().any(waiting);
            let title = if is_waiting {
                format!("{}: waiting for approval", stage.name)
            } else {
                format!("{}: {status}", stage.name)
            };
            view! {
                <a class=format!("strip-stage status-{}", status.to_lowercase()) class:waiting=is_waiting
                    href=format!("#{}", target(stage)) title=title.clone() aria-label=title
                    data-testid="strip-stage" data-stage=stage.name.clone() data-status=status
                    data-waiting=is_waiting.to_string()>
                    {is_waiting.then(|| view! { <span class="strip-mark" aria-hidden="true">"\u{25cf}"</span> })}
                    <span class="strip-name">{stage.name.clone()}</span>
                </a>
            }
        })
        .collect_view();
    view! { <nav class="stage-strip" data-testid="stage-strip" aria-label="Stages">{segments}</nav> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::runs::fixtures::{action, attempt, stage};

    fn approval(status: Option<&str>) -> ActionRun {
        action("Ask", "Approval", status.map(|s| attempt("a", s, 0, 0)))
    }

    #[test]
    fn a_click_goes_to_the_waiting_approval_then_the_failure_then_the_stage() {
        let build = action("Build", "Build", Some(attempt("b", "Failed", 0, 0)));
        let gate = |actions| stage("Gate", Some("InProgress"), actions);
        assert_eq!(target(&gate(vec![build.clone(), approval(Some("InProgress"))])), "action-Gate-Ask");
        assert_eq!(target(&gate(vec![approval(Some("Succeeded")), build])), "action-Gate-Build");
        assert_eq!(target(&gate(vec![approval(None)])), "stage-Gate");
    }
}
