//! The live execution view on the pipeline page: the chosen (or newest) execution's stages and
//! actions coloured by status, refetched whenever the pipeline's event stream pushes something,
//! with the run's controls. `?execution=ID` chooses the execution.
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::builds::build_href;
use crate::api::logs::log_href;
use crate::api::pipeline_href;
use crate::api::runs::{
    answer_approval, load_run, retry_run_stage, set_transition, start_run, stop_run, ActionAttempt, ActionRun,
    RunSummary, RunView, StageRun,
};
use crate::components::client_only::ClientOnly;
use crate::components::confirm::ConfirmButton;
use crate::components::link::ExternalLink;
use crate::components::provider::ProviderLabel;
use crate::live::{live_log, live_ticks};
use crate::pages::approval_history::DecisionList;
use crate::pages::approvals::REJECT_QUESTION;
use crate::time;

mod again;
mod controls;
mod strip;
mod summary;
mod timeline;

use controls::{ControlError, Controls};
pub use summary::action_anchor;

#[component]
pub fn RunPanel(pipeline: String, can_start: bool) -> impl IntoView {
    let query = use_query_map();
    let chosen = move || query.read().get("execution");
    let ticks = live_ticks(format!("/api/v1{}/events", pipeline_href(&pipeline)));
    let controls = Controls::new(pipeline);
    let scrolled = StoredValue::new(false);
    // Fetched and drawn by the browser only (`ClientOnly`): the run changes while the page loads.
    let loading = || view! { <div class="loading">"Loading the execution\u{2026}"</div> };
    let view_data = LocalResource::new(move || {
        let (chosen, _, _) = (chosen(), ticks.get(), controls.changed.get());
        load_run(controls.pipeline.get_value(), chosen)
    });
    let navigate = use_navigate();
    let start = move |_| {
        let (pipeline, variables) = (controls.pipeline.get_value(), controls.variables.get_untracked());
        controls.open_started("start".into(), start_run(pipeline, variables), navigate.clone());
    };
    let start_controls = can_start.then(|| {
        view! {
            <div class="run-controls">
                <label class="run-variables">
                    <span class="muted">"Variables (name=value per line)"</span>
                    <textarea rows="1" data-testid="run-variables" bind:value=controls.variables></textarea>
                </label>
                <button class="button primary" data-testid="start-run" on:click=start>"Start execution"</button>
            </div>
            <ControlError controls at="start"/>
        }
    });

    view! {
        <section class="card run" data-testid="run-panel" aria-label="Execution">
            {start_controls}
            <ClientOnly fallback=loading>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    match view_data.await {
                        Ok(run) => view! { <RunDetail run controls scrolled/> }.into_any(),
                        Err(err) => view! { <div class="notice bad">{err.to_string()}</div> }.into_any(),
                    }
                })}
            </Transition>
            </ClientOnly>
        </section>
    }
}

#[component]
fn RunDetail(run: RunView, controls: Controls, scrolled: StoredValue<bool>) -> impl IntoView {
    let RunView { now_ms, pipeline, execution, stages, recent, revisions, can_start, can_stop, failure } = run;
    let Some(execution) = execution else {
        // The transitions can still be disabled (or enabled) before the first run.
        let stages =
            StageRow(StageRowProps { stages, execution_id: StoredValue::new(String::new()), controls, now_ms });
        return view! { <p class="muted" data-testid="no-runs">"This pipeline has not run yet."</p>{stages} }
            .into_any();
    };
    summary::scroll_to_attention(scrolled);
    let execution_id = StoredValue::new(execution.id.clone());
    let stoppable = matches!(execution.status.as_str(), "InProgress" | "Stopping");
    let rerunnable = can_start && !stoppable;
    let timeline = view! { <timeline::Timeline stages=stages.clone() now_ms/> };
    let strip = view! { <strip::StageStrip stages=stages.clone()/> };
    let stop = move |abandon: bool| {
        let (pipeline, id, reason) =
            (controls.pipeline.get_value(), execution_id.get_value(), controls.reason.get_untracked());
        controls.run("stop".into(), stop_run(pipeline, id, abandon, reason));
    };
    view! {
        <div class="run-head">
            <h2>"Execution "<code data-testid="run-id">{execution.id.clone()}</code></h2>
            <span class=format!("pill status status-{}", execution.status.to_lowercase()) data-testid="run-status">{execution.status.clone()}</span>
            <a href=format!("{}/history", pipeline_href(&pipeline)) data-testid="history-link">"History"</a>
            <RunPicker pipeline recent shown=execution.id.clone()/>
        </div>
        {failure.map(|failure| view! { <summary::FailureSummary failure pipeline=controls.pipeline.get_value() execution_id=execution.id.clone()/> })}
        {strip}
        <RunFacts execution=execution.clone() revisions now_ms/>
        {rerunnable.then(|| view! { <div class="run-controls"><again::RerunButton execution_id controls/></div><ControlError controls at="rerun"/> })}
        {(stoppable && can_stop).then(|| view! {
            <div class="run-controls" data-testid="stop-controls">
                <input type="text" placeholder="Why stop? (optional)" data-testid="stop-reason" bind:value=controls.reason/>
                <button class="button" data-testid="stop-wait" on:click=move |_| stop(false)>"Stop and wait"</button>
                <ConfirmButton label="Stop and abandon" question="Stop now? Actions in progress are abandoned, not waited for." confirm="Abandon" testid="stop-abandon" on_confirm=Callback::new(move |()| stop(true))/>
            </div>
            <ControlError controls at="stop"/>
        })}
        <StageRow stages execution_id controls now_ms/>
        {timeline}
    }
    .into_any()
}

#[component]
fn RunFacts(execution: RunSummary, revisions: Vec<(String, String)>, now_ms: i64) -> impl IntoView {
    let pairs =
        |items: &[(String, String)]| items.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
    let (variables, revisions) = (pairs(&execution.variables), pairs(&revisions));
    view! {
        <dl class="run-facts">
            <div><dt>"Trigger"</dt><dd data-testid="run-trigger" title=execution.trigger_detail.clone()>{execution.trigger}</dd></div>
            {(!execution.trigger_detail.is_empty()).then(|| view! { <div><dt>"Trigger detail"</dt><dd data-testid="run-trigger-detail">{execution.trigger_detail}</dd></div> })}
            <div><dt>"Version"</dt><dd>{execution.pipeline_version}</dd></div>
            {(!revisions.is_empty()).then(|| view! { <div><dt>"Revisions"</dt><dd data-testid="run-revisions"><code>{revisions}</code></dd></div> })}
            <div><dt>"Started"</dt><dd title=time::utc(execution.started_ms)>{time::ago(now_ms, execution.started_ms)}</dd></div>
            <div><dt>"Updated"</dt><dd title=time::utc(execution.updated_ms)>{time::ago(now_ms, execution.updated_ms)}</dd></div>
            {(!variables.is_empty()).then(|| view! { <div><dt>"Variables"</dt><dd data-testid="run-variables-used">{variables}</dd></div> })}
            {execution.stop_reason.map(|reason| view! { <div><dt>"Stop reason"</dt><dd>{reason}</dd></div> })}
        </dl>
    }
}

/// Chooses which recent execution the page shows.
#[component]
fn RunPicker(pipeline: String, recent: Vec<RunSummary>, shown: String) -> impl IntoView {
    let navigate = use_navigate();
    let base = pipeline_href(&pipeline);
    let on_change = move |ev: leptos::ev::Event| {
        navigate(&format!("{base}?execution={}", event_target_value(&ev)), Default::default());
    };
    let options = recent
        .into_iter()
        .map(|run| {
            let label = format!("{} \u{b7} {}", &run.id[..8.min(run.id.len())], run.status);
            view! { <option value=run.id.clone() selected={run.id == shown}>{label}</option> }
        })
        .collect_view();
    view! {
        <label class="version-picker">
            <span class="muted">"Show"</span>
            <select data-testid="run-select" on:change=on_change>{options}</select>
        </label>
    }
}

/// The stages side by side (stacked on a phone), with the transitions between them.
#[component]
fn StageRow(
    stages: Vec<StageRun>,
    execution_id: StoredValue<String>,
    controls: Controls,
    now_ms: i64,
) -> impl IntoView {
    let stage_count = stages.len();
    let stages = stages
        .into_iter()
        .enumerate()
        .map(|(index, stage)| {
            view! {
                {(index > 0).then(|| view! { <TransitionGate stage=stage.name.clone() enabled=stage.transition_enabled reason=stage.disabled_reason.clone() may_flip=stage.can_set_transition controls/> })}
                <StageBox stage execution_id controls now_ms/>
            }
        })
        .collect_view();
    view! { <div class="run-stages" data-stage-count=stage_count>{stages}</div> }
}

/// The transition into a stage: enabled, or disabled with its reason. Enabling is one click;
/// disabling asks for the reason first (CodePipeline requires one), with or without a run going.
#[component]
fn TransitionGate(
    stage: String,
    enabled: bool,
    reason: Option<String>,
    may_flip: bool,
    controls: Controls,
) -> impl IntoView {
    let title =
        if enabled { "Transition enabled".to_owned() } else { format!("Disabled: {}", reason.unwrap_or_default()) };
    let at = format!("transition:{stage}");
    let stage_name = stage.clone();
    let asking = RwSignal::new(false);
    let why = RwSignal::new(String::new());
    let flip = {
        let at = at.clone();
        move || {
            let (pipeline, stage, reason) = (controls.pipeline.get_value(), stage.clone(), why.get_untracked());
            controls.run(at.clone(), set_transition(pipeline, stage, !enabled, reason));
        }
    };
    let flip_now = flip.clone();
    let button = may_flip.then(|| {
        let label = if enabled { "Disable" } else { "Enable" };
        let on_click = move |_| if enabled { asking.update(|a| *a = !*a) } else { flip_now() };
        view! { <button class="link-button" data-testid="flip-transition" aria-expanded=move || asking.get().to_string() on:click=on_click title=title.clone()>{label}</button> }
    });
    let form = move || {
        let flip = flip.clone();
        asking.get().then(|| view! {
            <form class="transition-form" data-testid="transition-form" on:submit=move |ev| { ev.prevent_default(); flip(); }>
                <input type="text" placeholder="Why? (required)" aria-label="Why disable the transition" data-testid="transition-reason" bind:value=why/>
                <button class="button small" type="submit" data-testid="transition-disable">"Disable"</button>
            </form>
        })
    };
    view! {
        <div class="run-transition" class:disabled=!enabled data-testid="run-transition" data-stage=stage_name data-enabled=enabled.to_string() title=title>
            <span class="arrow" aria-hidden="true">"\u{2192}"</span>
            {button}
            {form}
            <ControlError controls at/>
        </div>
    }
}

#[component]
fn StageBox(stage: StageRun, execution_id: StoredValue<String>, controls: Controls, now_ms: i64) -> impl IntoView {
    let StageRun { name, status, actions, can_roll_back, can_retry, .. } = stage;
    let status_name = status.clone().unwrap_or_else(|| "NotStarted".into());
    let retryable = can_retry && matches!(status.as_deref(), Some("Failed" | "Stopped"));
    let retry = {
        let name = name.clone();
        move |all: bool| {
            let (pipeline, stage, id) = (controls.pipeline.get_value(), name.clone(), execution_id.get_value());
            controls.run(format!("stage:{stage}"), retry_run_stage(pipeline, stage, id, all));
        }
    };
    let retry_all = retry.clone();
    let actions = actions
        .into_iter()
        .map(|action| view! { <ActionBox action stage=name.clone() execution_id controls now_ms/> })
        .collect_view();
    view! {
        <section class=format!("run-stage status-{}", status_name.to_lowercase()) id=strip::stage_anchor(&name) data-testid="run-stage" data-stage=name.clone() data-status=status_name.clone()>
            <header class="stage-head">
                <h3 class="stage-name" title=name.clone()>{name.clone()}</h3>
                <span class="stage-summary">{status_name.clone()}</span>
            </header>
            {retryable.then(|| view! {
                <div class="run-controls">
                    <button class="button" data-testid="retry-failed" on:click=move |_| retry(false)>"Retry failed"</button>
                    <button class="button" data-testid="retry-all" on:click=move |_| retry_all(true)>"Retry all"</button>
                </div>
            })}
            {can_roll_back.then(|| view! { <div class="run-controls"><again::RollbackButton stage=name.clone() execution_id controls/></div> })}
            <ControlError controls at=format!("stage:{name}")/>
            <div class="run-actions">{actions}</div>
        </section>
    }
}

#[component]
fn ActionBox(
    action: ActionRun,
    stage: String,
    execution_id: StoredValue<String>,
    controls: Controls,
    now_ms: i64,
) -> impl IntoView {
    let ActionRun { name, category, provider, attempt, can_answer, runs_locally } = action;
    let status = attempt.as_ref().map(|a| a.status.clone()).unwrap_or_else(|| "NotStarted".into());
    let anchor = summary::action_anchor(&stage, &name);
    let details = attempt.map(
        |attempt| view! { <AttemptDetail attempt stage name=name.clone() provider=provider.clone() execution_id can_answer controls now_ms/> },
    );
    let class = format!("run-action status-{}", status.to_lowercase());
    view! {
        <article class=class id=anchor data-testid="run-action" data-action=name.clone() data-status=status.clone()>
            <div class="action-top">
                <span class="badge">{category}</span>
                <ProviderLabel provider=provider.clone() runs_locally/>
            </div>
            <h4 class="action-name" title=name.clone()>{name.clone()}</h4>
            <span class="action-status">{status.clone()}</span>
            {details}
        </article>
    }
}

#[component]
fn AttemptDetail(
    attempt: ActionAttempt,
    stage: String,
    name: String,
    provider: String,
    execution_id: StoredValue<String>,
    can_answer: bool,
    controls: Controls,
    now_ms: i64,
) -> impl IntoView {
    let pairs = |items: Vec<(String, String)>| {
        items.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()
    };
    let has_config = !attempt.configuration.is_empty();
    // An answered approval's summary and error repeat its answers' comments: the answers say it once.
    let answered = !attempt.decisions.is_empty();
    let (summary, error) = if answered { (None, None) } else { (attempt.summary, attempt.error) };
    let has_outputs = !attempt.output_variables.is_empty() || !attempt.output_artifacts.is_empty();
    let artifacts = attempt.output_artifacts.join(", ");
    let approval = attempt.approval_token.clone().filter(|_| can_answer).map(|token| {
        let at = format!("approval:{stage}/{name}");
        let answer = {
            let at = at.clone();
            move |approve: bool| {
                let (pipeline, comment) = (controls.pipeline.get_value(), controls.comment.get_untracked());
                let call = answer_approval(pipeline, stage.clone(), name.clone(), token.clone(), approve, comment);
                controls.run(at.clone(), call);
            }
        };
        let reject = answer.clone();
        view! {
            <div class="approval-form" data-testid="approval-form">
                <input type="text" placeholder="Comment" data-testid="approval-comment" bind:value=controls.comment/>
                <button class="button primary" data-testid="approve" on:click=move |_| answer(true)>"Approve"</button>
                <ConfirmButton label="Reject" question=REJECT_QUESTION confirm="Reject" testid="reject" on_confirm=Callback::new(move |()| reject(false))/>
            </div>
            <ControlError controls at/>
        }
    });
    let log = (provider == "Commands").then(|| view! { <LiveLog id=attempt.id.clone()/> });
    let full_log = log_href(&controls.pipeline.get_value(), &execution_id.get_value(), &attempt.id);
    view! {
        <p class="muted small" title=time::utc(attempt.started_ms)>{format!("started {}", time::ago(now_ms, attempt.started_ms))}</p>
        {summary.map(|summary| view! { <p class="action-summary" data-testid="action-summary">{summary}</p> })}
        {error.map(|error| view! { <p class="action-error" data-testid="action-error">{error}</p> })}
        {attempt.external_url.map(|url| view! { <ExternalLink url text="External link"/> })}
        {attempt.build_id.map(|id| view! { <a class="small" href=build_href(&id) data-testid="build-link">"Build details, phases and log"</a> })}
        {approval}
        {answered.then(|| view! { <DecisionList decisions=attempt.decisions now_ms/> })}
        {has_config.then(|| view! { <details><summary>"Configuration"</summary><dl class="pairs">{pairs(attempt.configuration)}</dl></details> })}
        {has_outputs.then(|| view! {
            <details>
                <summary>"Outputs"</summary>
                <dl class="pairs">
                    {pairs(attempt.output_variables)}
                    {(!artifacts.is_empty()).then(|| view! { <dt>"Artifacts"</dt><dd>{artifacts}</dd> })}
                </dl>
            </details>
        })}
        {log}
        <a class="small" href=full_log data-testid="full-log">"Full log"</a>
    }
}

/// An action's log, following it while it runs.
#[component]
fn LiveLog(id: String) -> impl IntoView {
    let lines = live_log(format!("/api/v1/action-executions/{id}/log/events"));
    view! {
        <pre class="log" data-testid="action-log">
            <For
                each=move || lines.get()
                key=|(n, _)| *n
                children=|(_, text)| view! { <span class="log-line">{text}"\n"</span> }
            />
        </pre>
    }
}
