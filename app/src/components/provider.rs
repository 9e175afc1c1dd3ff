//! A provider's name as cards show it, marked when Sluice runs the provider itself (the
//! catalogue's `sluiceRunsLocally`) rather than only storing actions that name it.
use leptos::prelude::*;

#[component]
pub fn ProviderLabel(provider: String, runs_locally: bool) -> impl IntoView {
    let title = if runs_locally { "Sluice runs this provider itself" } else { "Sluice does not run this provider yet" };
    view! {
        <span class="provider" title=title data-runs-locally=runs_locally.to_string()>
            {provider}
            {runs_locally.then(|| view! { <span class="runs-here" data-testid="runs-locally">" \u{25cf}"</span> })}
        </span>
    }
}

/// Whether Sluice runs the action type `id` itself.
pub fn runs_locally(id: &model::ActionTypeId) -> bool {
    model::catalog::find(id.category, id.owner, &id.provider, &id.version).is_some_and(|spec| spec.runs_locally)
}
