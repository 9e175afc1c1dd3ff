//! `/new` and `/pipelines/:name/edit`: the visual editor. The pipeline is drawn on a canvas,
//! changed by commands (drag and drop, buttons, side panel forms, the JSON view) that can be
//! undone, checked by the model's validator on every change, and saved as a new version.
pub mod completion;
pub mod diff;
pub mod document;
pub mod handle;
pub mod history;
pub mod links;
pub mod triggers;
mod workspace;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{get_pipeline, home_region, set_not_found_status, AppError};
use document::blank_pipeline;
use workspace::Workspace;

#[component]
pub fn NewEditorPage() -> impl IntoView {
    let region = Resource::new(|| (), |_| home_region());
    view! {
        <Title text="New pipeline"/>
        <Suspense fallback=|| view! { <div class="card loading">"Loading the editor\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match region.await {
                    Ok(home_region) => view! {
                        <Workspace initial=blank_pipeline() saved_version=None home_region/>
                    }
                    .into_any(),
                    Err(err) => view! { <div class="card notice bad">{err.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn EditPipelinePage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let detail = Resource::new(name, |name| get_pipeline(name, None));
    view! {
        <Title text=move || format!("Edit {}", name())/>
        <Suspense fallback=|| view! { <div class="card loading">"Loading the pipeline\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! {
                        <Workspace
                            initial=detail.declaration
                            saved_version=Some(detail.latest_version)
                            home_region=detail.home_region
                        />
                    }
                    .into_any(),
                    Err(err) => {
                        if matches!(err, AppError::NotFound(_)) {
                            set_not_found_status();
                        }
                        view! {
                            <div class="card notice bad" data-testid="load-error">
                                <h2>"Could not load the pipeline"</h2>
                                <p>{err.to_string()}</p>
                            </div>
                        }
                        .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
