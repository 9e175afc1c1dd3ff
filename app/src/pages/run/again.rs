//! Running an old execution again from its page: "Re-run with the same revisions" and, per
//! stage, "Roll back to this execution". Both start a new execution and open it.
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::Controls;
use crate::api::rerun::{rerun_execution, rollback_stage};

#[component]
pub fn RerunButton(execution_id: StoredValue<String>, controls: Controls) -> impl IntoView {
    let navigate = use_navigate();
    let rerun = move |_| {
        let (pipeline, id) = (controls.pipeline.get_value(), execution_id.get_value());
        controls.open_started("rerun".into(), rerun_execution(pipeline, id), navigate.clone());
    };
    view! {
        <button class="button" data-testid="rerun" on:click=rerun
            title="Start a new execution with this execution's source revisions and variables">"Re-run with the same revisions"</button>
    }
}

#[component]
pub fn RollbackButton(stage: String, execution_id: StoredValue<String>, controls: Controls) -> impl IntoView {
    let navigate = use_navigate();
    let roll_back = move |_| {
        let (pipeline, id) = (controls.pipeline.get_value(), execution_id.get_value());
        controls.open_started(format!("stage:{stage}"), rollback_stage(pipeline, stage.clone(), id), navigate.clone());
    };
    view! {
        <button class="button" data-testid="rollback" on:click=roll_back
            title="Run this stage again with this execution's artifacts and variables">"Roll back to this execution"</button>
    }
}
