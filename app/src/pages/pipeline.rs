//! `/pipelines/:name`: one pipeline drawn read-only, with its JSON and metadata.
//! `?version=N` shows an older version; `?tab=json` shows the JSON (links, so both work without
//! JavaScript and can be shared).
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::notifications::{failure_watch, set_failure_watch, WatchState, WatchView};
use crate::api::{get_pipeline, pipeline_href, set_not_found_status, AppError, PipelineDetail};
use crate::components::pipeline_graph::PipelineGraph;
use crate::pages::run::RunPanel;
use crate::time;

#[component]
pub fn PipelinePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let version = move || query.read().get("version").and_then(|v| v.parse::<u32>().ok());
    let show_json = move || query.read().get("tab").as_deref() == Some("json");
    let detail = Resource::new(move || (name(), version()), |(name, version)| get_pipeline(name, version));

    view! {
        <Title text=name/>
        <Suspense fallback=|| view! { <div class="card loading">"Loading the pipeline\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <PipelineView detail show_json=Signal::derive(show_json)/> }.into_any(),
                    Err(AppError::NotFound(message)) => {
                        set_not_found_status();
                        view! {
                            <div class="card empty" data-testid="not-found">
                                <h1>"Pipeline not found"</h1>
                                <p class="muted">{message}</p>
                                <a class="button" href="/">"Back to pipelines"</a>
                            </div>
                        }
                        .into_any()
                    }
                    Err(err) => view! {
                        <div class="card notice bad" data-testid="load-error">
                            <h2>"Could not load the pipeline"</h2>
                            <p>{err.to_string()}</p>
                        </div>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PipelineView(detail: PipelineDetail, show_json: Signal<bool>) -> impl IntoView {
    let pipeline = detail.declaration;
    let name = pipeline.name.clone();
    let shown_version = pipeline.version.unwrap_or(detail.latest_version);
    let is_latest = shown_version == detail.latest_version;
    let base = pipeline_href(&name);
    // Links keep the version when switching tabs, and the tab when switching versions.
    let version_query = (!is_latest).then(|| format!("version={shown_version}"));
    let tab_href = {
        let (base, version_query) = (base.clone(), version_query.clone());
        move |json: bool| {
            let parts: Vec<String> =
                version_query.iter().cloned().chain(json.then(|| "tab=json".to_string())).collect();
            if parts.is_empty() {
                base.clone()
            } else {
                format!("{base}?{}", parts.join("&"))
            }
        }
    };
    let (diagram_href, json_href) = (tab_href(false), tab_href(true));
    let stage_count = pipeline.stages.len();
    let action_count = pipeline.actions().count();
    let pipeline_type = pipeline.effective_pipeline_type().as_str();
    let mode = pipeline.effective_execution_mode().as_str();
    let role_arn = pipeline.role_arn.clone();
    let store = pipeline
        .artifact_store
        .as_ref()
        .map(|s| s.location.clone())
        .or_else(|| pipeline.artifact_stores.as_ref().map(|stores| format!("{} regional stores", stores.len())));

    view! {
        <div class="page-head">
            <div>
                <p class="crumbs"><a href="/">"Pipelines"</a>" / "</p>
                <h1 data-testid="pipeline-name">{name.clone()}</h1>
                <div class="pills">
                    <span class="pill">{pipeline_type}</span>
                    <span class="pill">{mode}</span>
                    <span class="pill">{format!("{stage_count} stages · {action_count} actions")}</span>
                </div>
            </div>
            <div class="head-actions">
                <WatchSwitch pipeline=name.clone()/>
                <VersionPicker base=base.clone() show_json shown=shown_version latest=detail.latest_version/>
                {detail.can_edit.then(|| view! { <a class="button" href=format!("{base}/edit") data-testid="edit-pipeline">"Edit"</a> })}
            </div>
        </div>
        {(!is_latest).then(|| view! {
            <div class="notice warn" data-testid="old-version">
                {format!("You are looking at version {shown_version}; the latest is {}. ", detail.latest_version)}
                <a href=base.clone()>"Show the latest"</a>
            </div>
        })}
        {is_latest.then(|| view! { <RunPanel pipeline=name.clone() can_start=detail.can_start/> })}
        <section class="card meta" data-testid="pipeline-meta" aria-label="Details">
            <dl>
                <div class="meta-item wide">
                    <dt>"ARN"</dt>
                    <dd><code class="arn" data-testid="pipeline-arn">{detail.arn}</code></dd>
                </div>
                <div class="meta-item">
                    <dt>"Version"</dt>
                    <dd>{format!("{shown_version} of {}", detail.latest_version)}</dd>
                </div>
                <div class="meta-item">
                    <dt>"Created"</dt>
                    <dd title=time::utc(detail.created_ms)>{time::ago(detail.now_ms, detail.created_ms)}</dd>
                </div>
                <div class="meta-item">
                    <dt>{if is_latest { "Updated" } else { "Version saved" }}</dt>
                    <dd title=time::utc(detail.updated_ms)>{time::ago(detail.now_ms, detail.updated_ms)}</dd>
                </div>
                <div class="meta-item">
                    <dt>"Artifact store"</dt>
                    <dd>{store.unwrap_or_else(|| "none".to_string())}</dd>
                </div>
                <div class="meta-item wide">
                    <dt>"Service role"</dt>
                    <dd><code class="arn">{role_arn}</code></dd>
                </div>
            </dl>
        </section>
        <section class="card">
            <nav class="tabs" role="tablist">
                <a href=diagram_href role="tab" aria-selected=move || (!show_json.get()).to_string() data-testid="tab-diagram">"Diagram"</a>
                <a href=json_href role="tab" aria-selected=move || show_json.get().to_string() data-testid="tab-json">"JSON"</a>
            </nav>
            <Show
                when=move || show_json.get()
                fallback=move || view! { <PipelineGraph pipeline=pipeline.clone()/> }
            >
                <pre class="json" data-testid="pipeline-json"><code>{detail.json.clone()}</code></pre>
            </Show>
        </section>
    }
}

/// A version selector; navigates on change (the server also accepts `?version=N` typed by hand).
#[component]
fn VersionPicker(base: String, show_json: Signal<bool>, shown: u32, latest: u32) -> impl IntoView {
    if latest <= 1 {
        return None;
    }
    let navigate = use_navigate();
    let on_change = move |ev: leptos::ev::Event| {
        let Ok(version) = event_target_value(&ev).parse::<u32>() else { return };
        let mut query = Vec::new();
        if version != latest {
            query.push(format!("version={version}"));
        }
        if show_json.get_untracked() {
            query.push("tab=json".to_string());
        }
        let href = if query.is_empty() { base.clone() } else { format!("{base}?{}", query.join("&")) };
        navigate(&href, Default::default());
    };
    let options = (1..=latest)
        .rev()
        .map(|v| {
            let label = if v == latest { format!("Version {v} (latest)") } else { format!("Version {v}") };
            view! { <option value=v.to_string() selected={v == shown}>{label}</option> }
        })
        .collect_view();
    Some(view! {
        <label class="version-picker">
            <span class="muted">"Version"</span>
            <select data-testid="version-select" on:change=on_change>{options}</select>
        </label>
    })
}

/// "Notify me on failure": the signed-in user's e-mail subscribed to the pipeline's failures.
/// Drawn once the browser has the user's state; a user without an address is sent to set one.
#[component]
fn WatchSwitch(pipeline: String) -> impl IntoView {
    let state = RwSignal::new(None::<WatchView>);
    let error = RwSignal::new(None::<String>);
    let name = pipeline.clone();
    let loaded = LocalResource::new(move || failure_watch(name.clone()));
    Effect::new(move || {
        if let Some(Ok(view)) = loaded.get() {
            state.set(Some(view));
        }
    });
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        let pipeline = pipeline.clone();
        leptos::task::spawn_local(async move {
            match set_failure_watch(pipeline, on).await {
                Ok(view) => {
                    error.set(None);
                    state.set(Some(view));
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    move || {
        let view = state.get()?;
        let Some(email) = view.email.clone() else {
            return Some(view! { <a class="watch" href="/account" data-testid="watch-needs-email">"Add your e-mail to get failure notices"</a> }.into_any());
        };
        let note = match view.state {
            WatchState::Pending => format!("confirm from the e-mail sent to {email}"),
            WatchState::On => format!("to {email}"),
            WatchState::Off => String::new(),
        };
        Some(view! {
            <label class="watch" data-testid="watch" data-state=format!("{:?}", view.state)>
                <input type="checkbox" data-testid="watch-toggle" prop:checked=view.state != WatchState::Off on:change=toggle.clone()/>
                <span>"Notify me on failure"</span>
                <span class="muted" data-testid="watch-note">{note}</span>
                {move || error.get().map(|message| view! { <span class="notice bad" data-testid="watch-error">{message}</span> })}
            </label>
        }.into_any())
    }
}
