//! `/builds/:id`: one CodeBuild build, started by a pipeline's CodeBuild action or by StartBuild:
//! its phases with their status and duration, its live log, its environment and the variables it
//! exported, and Stop and Retry for users whose policies allow them (the server checks again).
//! `/projects/:name/builds`: a project's builds, newest first.
//!
//! A build's phases change while it runs and no event announces them, so its page polls while
//! the build runs; the log streams on its own.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use std::time::Duration;

use crate::api::builds::{
    build_href, load_build, load_project_builds, project_builds_href, retry_build, stop_build, BuildView, PhaseView,
    ProjectBuilds,
};
use crate::api::{percent_encode, pipeline_href};
use crate::components::client_only::ClientOnly;
use crate::components::confirm::ConfirmButton;
use crate::live::{live_log, poll_ticks};
use crate::pages::log::LogLines;
use crate::pages::run::action_anchor;
use crate::time;

/// How often a running build's page reads its phases again.
const POLL: Duration = Duration::from_secs(2);

/// `status-inprogress`, `status-timedout`, ...: the wire status, lower-cased, as the CSS names it.
fn status_class(status: &str) -> String {
    format!("status-{}", status.to_lowercase().replace('_', ""))
}

#[component]
pub fn BuildPage() -> impl IntoView {
    let params = use_params_map();
    // Drawn anew when the address names another build: its log stream is another one.
    move || {
        let id = params.read().get("id").unwrap_or_default();
        view! { <ClientOnly fallback=|| view! { <div class="card loading">"Loading the build\u{2026}"</div> }>
            <BuildBody id=id.clone()/>
        </ClientOnly> }
    }
}

#[component]
fn BuildBody(id: String) -> impl IntoView {
    let path_id = percent_encode(&id, b"-._~:");
    let lines = live_log(format!("/api/v1/builds/{path_id}/log/events"));
    let ticks = poll_ticks(POLL);
    let changed = RwSignal::new(0u64);
    let running = RwSignal::new(true);
    let build = {
        let id = id.clone();
        LocalResource::new(move || {
            changed.track();
            // Once the build has ended its record no longer changes: polling stops.
            if running.get_untracked() {
                ticks.track();
            }
            load_build(id.clone())
        })
    };
    let failure = RwSignal::new(None::<String>);
    let body = move || {
        Suspend::new(async move {
            match build.await {
                Ok(view) => {
                    running.set(view.running());
                    view! { <BuildHead view=view.clone() changed failure/><BuildFacts view/> }.into_any()
                }
                Err(err) => {
                    view! { <div class="card notice bad" data-testid="build-error">{err.to_string()}</div> }.into_any()
                }
            }
        })
    };
    view! {
        <section class="build-page" data-testid="build-page">
            <Transition fallback=|| view! { <div class="card loading">"Loading\u{2026}"</div> }>{body}</Transition>
            {move || failure.get().map(|why| view! { <div class="notice bad" data-testid="build-control-error">{why}</div> })}
            <h2 class="build-section">"Log"</h2>
            <LogLines lines raw=format!("/api/v1/builds/{path_id}/log.txt") download=format!("{}.log", id.replace(':', "-"))/>
        </section>
    }
}

/// Title, status, where the build comes from, and its controls.
#[component]
fn BuildHead(view: BuildView, changed: RwSignal<u64>, failure: RwSignal<Option<String>>) -> impl IntoView {
    let title = format!("{}:{}", view.project, view.number);
    let stop = view.can_stop.then(|| {
        let id = view.id.clone();
        let on_confirm = Callback::new(move |()| {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match stop_build(id).await {
                    Ok(()) => failure.set(None),
                    Err(err) => failure.set(Some(err.to_string())),
                }
                changed.update(|n| *n += 1);
            });
        });
        view! { <ConfirmButton label="Stop build" question="Stop this build? Its commands are killed." confirm="Stop" testid="build-stop" on_confirm/> }
    });
    let retry = view.can_retry.then(|| {
        let id = view.id.clone();
        let on_click = move |_| {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match retry_build(id).await {
                    Ok(new_id) => use_navigate()(&build_href(&new_id), Default::default()),
                    Err(err) => failure.set(Some(err.to_string())),
                }
            });
        };
        view! { <button type="button" class="button primary" data-testid="build-retry" on:click=on_click>"Retry build"</button> }
    });
    let back = view.pipeline.clone().map(|(pipeline, execution, stage, action)| {
        let href = format!("{}?execution={execution}#{}", pipeline_href(&pipeline), action_anchor(&stage, &action));
        view! { <a href=href data-testid="build-run">{format!("Run of {pipeline}")}</a> }
    });
    view! {
        <Title text=format!("Build {title}")/>
        <div class="page-head">
            <div>
                <p class="crumbs"><a href=project_builds_href(&view.project)>{format!("{} builds", view.project)}</a>" /"</p>
                <h1 data-testid="build-title">{title}</h1>
            </div>
            <div class="head-actions">
                <span class=format!("pill status {}", status_class(&view.status)) data-testid="build-status">{view.status.clone()}</span>
                {back}
                {stop}
                {retry}
            </div>
        </div>
        {view.message.clone().map(|message| view! { <p class="notice bad" data-testid="build-message">{message}</p> })}
    }
}

/// The facts, the phases, the environment and the exported variables.
#[component]
fn BuildFacts(view: BuildView) -> impl IntoView {
    let took = match view.end_ms {
        Some(end) => time::seconds(end - view.start_ms),
        None => format!("running for {}", time::seconds(view.now_ms - view.start_ms)),
    };
    let source = match &view.source_version {
        Some(version) => format!("{} at {version}", view.source),
        None => view.source.clone(),
    };
    let now_ms = view.now_ms;
    view! {
        <dl class="run-facts build-facts" data-testid="build-facts">
            <div><dt>"Initiator"</dt><dd data-testid="build-initiator">{view.initiator}</dd></div>
            <div><dt>"Started"</dt><dd title=time::utc(view.start_ms)>{time::ago(now_ms, view.start_ms)}</dd></div>
            <div><dt>"Duration"</dt><dd>{took}</dd></div>
            <div><dt>"Source"</dt><dd>{source}</dd></div>
            <div><dt>"Image"</dt><dd>{view.image}</dd></div>
            <div><dt>"ARN"</dt><dd><code>{view.arn}</code></dd></div>
        </dl>
        <div class="build-columns">
            <div class="card build-phases">
                <h2>"Phases"</h2>
                <ol class="phase-list" data-testid="build-phases">
                    {view.phases.into_iter().map(|phase| view! { <PhaseRow phase now_ms/> }).collect_view()}
                </ol>
            </div>
            <div class="card build-variables">
                <h2>"Environment"</h2>
                <VariableList testid="build-environment" empty="No environment variables." rows=view.environment.into_iter().map(|(name, kind, value)| {
                    let value = if kind == "PLAINTEXT" { value } else { format!("({kind})") };
                    (name, value)
                }).collect()/>
                <h2>"Exported variables"</h2>
                <VariableList testid="build-exported" empty="None exported." rows=view.exported/>
            </div>
        </div>
    }
}

#[component]
fn PhaseRow(phase: PhaseView, now_ms: i64) -> impl IntoView {
    let (label, class) = match phase.status.as_deref() {
        Some(status) => (status.to_owned(), status_class(status)),
        None if phase.name == "COMPLETED" => (String::new(), "status-completed".to_owned()),
        None => ("IN_PROGRESS".to_owned(), status_class("IN_PROGRESS")),
    };
    let duration = match phase.end_ms {
        Some(end) => time::seconds(end - phase.start_ms),
        None if phase.name == "COMPLETED" => String::new(),
        None => time::seconds(now_ms - phase.start_ms),
    };
    let name = phase.name.clone();
    view! {
        <li class=format!("phase {class}") data-testid="build-phase" data-phase=name>
            <span class="phase-name">{phase.name}</span>
            <span class="phase-status" data-testid="phase-status">{label}</span>
            <span class="phase-duration muted small">{duration}</span>
            {phase.message.map(|m| view! { <span class="phase-message small">{m}</span> })}
        </li>
    }
}

#[component]
fn VariableList(testid: &'static str, empty: &'static str, rows: Vec<(String, String)>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted small" data-testid=testid>{empty}</p> }.into_any();
    }
    view! {
        <dl class="pairs" data-testid=testid>
            {rows.into_iter().map(|(name, value)| view! { <dt>{name}</dt><dd>{value}</dd> }).collect_view()}
        </dl>
    }
    .into_any()
}

#[component]
pub fn ProjectBuildsPage() -> impl IntoView {
    let params = use_params_map();
    let page = Resource::new(move || params.read().get("name").unwrap_or_default(), load_project_builds);
    view! {
        <Transition fallback=|| view! { <div class="card loading">"Loading the builds\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <BuildTable page/> }.into_any(),
                    Err(err) => view! { <div class="card notice bad">{err.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BuildTable(page: ProjectBuilds) -> impl IntoView {
    let ProjectBuilds { now_ms, project, builds } = page;
    let rows = builds
        .into_iter()
        .map(|b| {
            let took = b.end_ms.map(|end| time::seconds(end - b.start_ms)).unwrap_or_default();
            let class = format!("pill status {}", status_class(&b.status));
            view! {
                <tr data-testid="project-build">
                    <td><a href=build_href(&b.id)>{format!("#{}", b.number)}</a></td>
                    <td><span class=class>{b.status}</span></td>
                    <td>{b.initiator}</td>
                    <td title=time::utc(b.start_ms)>{time::ago(now_ms, b.start_ms)}</td>
                    <td>{took}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Title text=format!("Builds of {project}")/>
        <div class="page-head"><div><h1 data-testid="project-builds-title">{format!("Builds of {project}")}</h1>
            <p class="muted">"Every build of the project, newest first: from pipelines and from StartBuild."</p></div></div>
        <div class="card table-card">
            <table class="table" data-testid="project-builds">
                <thead><tr><th>"Build"</th><th>"Status"</th><th>"Initiator"</th><th>"Started"</th><th>"Duration"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
