//! Small inline SVG icons (stroke-only, drawn in `currentColor`, so CSS colours them).
use leptos::prelude::*;
use model::ActionCategory;

/// The Sluice mark: a gate letting water through.
#[component]
pub fn Logo() -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 32 32" aria-hidden="true">
            <rect x="1" y="1" width="30" height="30" rx="8" fill="currentColor"/>
            <path d="M9 7v11M23 7v11" stroke="#fff" stroke-width="2.5" stroke-linecap="round" fill="none"/>
            <path d="M5 22c2.5-2 5-2 7.5 0s5 2 7 0 5-2 7.5 0" stroke="#fff" stroke-width="2.5" stroke-linecap="round" fill="none"/>
        </svg>
    }
}

/// One icon per action category, so the graph reads at a glance.
#[component]
pub fn CategoryIcon(category: ActionCategory) -> impl IntoView {
    let shape = match category {
        ActionCategory::Source => view! {
            <circle cx="6" cy="6" r="2.2"/>
            <circle cx="6" cy="18" r="2.2"/>
            <circle cx="18" cy="8" r="2.2"/>
            <path d="M6 8.2v7.6M18 10.2c0 4-4.5 4.5-10.5 6.6"/>
        }
        .into_any(),
        ActionCategory::Build => {
            view! { <path d="M12 3l8 4.5v9L12 21l-8-4.5v-9zM4 7.5l8 4.5 8-4.5M12 12v9"/> }.into_any()
        }
        ActionCategory::Test => view! {
            <circle cx="12" cy="12" r="9"/>
            <path d="M8 12.5l2.7 2.7L16.2 9.6"/>
        }
        .into_any(),
        ActionCategory::Deploy => view! {
            <path d="M7 18a4 4 0 0 1-.6-8A6 6 0 0 1 17.8 9a4.5 4.5 0 0 1 .2 9"/>
            <path d="M12 20v-8M9 15l3-3 3 3"/>
        }
        .into_any(),
        ActionCategory::Approval => view! {
            <circle cx="9" cy="8" r="3.5"/>
            <path d="M3 20c0-3.5 2.5-6 6-6s6 2.5 6 6M16 11l2 2 4-4"/>
        }
        .into_any(),
        ActionCategory::Invoke => view! { <path d="M13 2L4 14h7l-1 8 9-12h-7z"/> }.into_any(),
        ActionCategory::Compute => view! {
            <rect x="3" y="4" width="18" height="16" rx="2"/>
            <path d="M7 9l3 3-3 3M13 15h4"/>
        }
        .into_any(),
    };
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor"
            stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            {shape}
        </svg>
    }
}

/// The arrow drawn between two stages.
#[component]
pub fn TransitionArrow() -> impl IntoView {
    view! {
        <svg class="arrow" viewBox="0 0 40 16" aria-hidden="true" fill="none" stroke="currentColor"
            stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            <path d="M2 8h34M30 2l6 6-6 6"/>
        </svg>
    }
}

/// Two overlapping sheets: "duplicate".
#[component]
pub fn CopyIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor"
            stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            <rect x="8" y="8" width="12" height="12" rx="2"/>
            <path d="M16 8V6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h2"/>
        </svg>
    }
}
