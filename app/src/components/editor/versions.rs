//! The saved versions of a pipeline and what changed between any two of them.
use leptos::prelude::*;

use crate::api::{get_pipeline, pipeline_href, AppError};
use crate::components::client_only::ClientOnly;
use crate::pages::editor::diff::{diff, Change, FieldChange};

#[component]
pub fn VersionsPanel(name: String, latest: ReadSignal<u32>) -> impl IntoView {
    let from = RwSignal::new(latest.get_untracked().saturating_sub(1).max(1));
    let to = RwSignal::new(latest.get_untracked());
    // A new save moves the comparison to the two newest versions.
    Effect::new(move |_| {
        let latest = latest.get();
        from.set(latest.saturating_sub(1).max(1));
        to.set(latest);
    });
    let changes = {
        let name = name.clone();
        LocalResource::new(move || {
            let (name, from, to) = (name.clone(), from.get(), to.get());
            version_changes(name, from, to)
        })
    };
    let comparing = || view! { <p class="muted">"Comparing\u{2026}"</p> };
    let href = pipeline_href(&name);
    let version_links = move || {
        (1..=latest.get())
            .rev()
            .map(|v| {
                let href = format!("{href}?version={v}");
                view! { <li><a href=href data-testid="version-link">{format!("Version {v}")}</a></li> }
            })
            .collect_view()
    };
    let picker = move |label: &'static str, testid: &'static str, value: RwSignal<u32>| {
        view! {
            <label class="version-picker">
                <span class="muted">{label}</span>
                <select data-testid=testid on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse() {
                        value.set(v);
                    }
                }>
                    {move || (1..=latest.get())
                        .rev()
                        .map(|v| view! { <option value=v.to_string() selected=move || value.get() == v>{format!("Version {v}")}</option> })
                        .collect_view()}
                </select>
            </label>
        }
    };
    view! {
        <section class="card versions" data-testid="versions">
            <h2>"Versions"</h2>
            <ul class="version-list">{version_links}</ul>
            <div class="diff-pickers">
                {picker("From", "diff-from", from)}
                {picker("To", "diff-to", to)}
            </div>
            // The comparison is fetched by the browser (a `LocalResource`): drawn after hydration.
            <ClientOnly fallback=comparing>
                <Suspense fallback=comparing>
                    {move || Suspend::new(async move {
                        match changes.await {
                            Ok(changes) => view! { <ChangeList changes/> }.into_any(),
                            Err(err) => view! { <p class="notice bad">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </ClientOnly>
        </section>
    }
    .into_any()
}

/// What changed in pipeline `name` from version `from` to version `to`.
pub async fn version_changes(name: String, from: u32, to: u32) -> Result<Vec<Change>, AppError> {
    let old = get_pipeline(name.clone(), Some(from)).await?;
    let new = get_pipeline(name, Some(to)).await?;
    Ok(diff(&old.declaration, &new.declaration))
}

#[component]
pub fn ChangeList(changes: Vec<Change>) -> impl IntoView {
    if changes.is_empty() {
        return view! { <p class="muted" data-testid="diff-empty">"These versions are the same."</p> }.into_any();
    }
    view! {
        <ul class="diff" data-testid="diff">
            {changes
                .into_iter()
                .map(|change| {
                    let kind = change.kind.as_str();
                    let whole_pipeline = change.stage.is_none();
                    view! {
                        <li class=format!("diff-item {kind}") data-testid="diff-item" data-kind=kind>
                            <span class="diff-kind">{kind}</span>
                            {change.stage.map(|s| view! { <span class="chip stage-chip">{s}</span> })}
                            {change.action.map(|a| view! { <span class="chip action-chip">{a}</span> })}
                            {whole_pipeline.then(|| view! { <span class="chip field-chip">"pipeline"</span> })}
                            {if change.fields.is_empty() {
                                view! { <span class="diff-detail">{change.detail}</span> }.into_any()
                            } else {
                                view! { <FieldChanges fields=change.fields/> }.into_any()
                            }}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// Each changed field with its value before and after ("(none)" where it was absent).
#[component]
fn FieldChanges(fields: Vec<FieldChange>) -> impl IntoView {
    let value = |v: Option<String>| v.unwrap_or_else(|| "(none)".into());
    let rows = fields
        .into_iter()
        .map(|f| {
            let path = f.path.clone();
            view! {
                <li data-testid="diff-field" data-path=path>
                    <code class="diff-path">{f.path}</code>": "
                    <del class="diff-before" data-testid="diff-before">{value(f.before)}</del>
                    " \u{2192} "
                    <ins class="diff-after" data-testid="diff-after">{value(f.after)}</ins>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="diff-fields">{rows}</ul> }
}
