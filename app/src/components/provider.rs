//! A provider's name as cards show it, marked when Sluice runs the provider itself (the
//! catalogue's `sluiceRunsLocally`) rather than only storing actions that name it.
use leptos::prelude::*;

#[component]
pub fn ProviderLabel(provider: String, runs_locally: bool) -> impl IntoView {
    let title =
        if runs_locally { "Sluice runs this provider itself" } else { "Sluice does not run this provider itself" };
    view! {
        <span class="provider" title=title data-runs-locally=runs_locally.to_string()>
            {provider}
            {runs_locally.then(|| view! { <span class="runs-here" data-testid="runs-locally">" \u{25cf}"</span> })}
        </span>
    }
}

/// Who runs actions of a provider, as the palette says it.
pub fn who_runs(category: model::ActionCategory, owner: model::ActionOwner, runs_locally: bool) -> &'static str {
    match owner {
        _ if runs_locally => "Sluice runs this itself",
        model::ActionOwner::Custom => "your job worker runs this (PollForJobs)",
        model::ActionOwner::ThirdParty if model::catalog::runs_as_job(category, owner) => {
            "the partner's worker runs this, once an operator gives the action a partner client"
        }
        _ => "not run by Sluice yet",
    }
}

/// Whether Sluice runs the action type `id` itself.
pub fn runs_locally(id: &model::ActionTypeId) -> bool {
    model::catalog::find(id.category, id.owner, &id.provider, &id.version).is_some_and(|spec| spec.runs_locally)
}
