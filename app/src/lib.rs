//! Sluice's web app: pages and components, rendered on the server and hydrated in the browser.
//!
//! Layout: `api` holds the server functions and the small types that cross the network,
//! `pages` one module per route, `components` the pieces pages share (the pipeline graph is drawn
//! by one component for both the pipeline page and the editor preview).
// Leptos views are deeply nested types; the graph and editor exceed the default limit.
#![recursion_limit = "256"]

pub mod api;
pub mod auth;
pub mod components;
pub mod live;
pub mod pages;
pub mod time;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use components::header::{Header, SandboxBanner};
use pages::{
    admin::{AccountPage, GroupsPage, UserPage, UsersPage},
    approval_history::ApprovalHistoryPage,
    approvals::ApprovalsPage,
    audit::AuditPage,
    build::{BuildPage, ProjectBuildsPage},
    compare::ComparePage,
    editor::{EditPipelinePage, NewEditorPage},
    history::HistoryPage,
    list::PipelineListPage,
    log::LogPage,
    new::NewPipelinePage,
    notifications::NotificationsPage,
    pipeline::PipelinePage,
};

/// The whole HTML document; the server renders it for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                // In the shell, not the app: only the server knows the bundle's versioned path.
                <link rel="stylesheet" id="leptos" href=format!("/{}/sluice.css", options.site_pkg_dir)/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// True once the wasm app has taken over the page. Effects never run during SSR, so this stays
/// false in the server's HTML; tests and progressive-enhancement code read it.
#[derive(Clone, Copy)]
pub struct Hydrated(pub ReadSignal<bool>);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    provide_context(Hydrated(hydrated));

    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta name="description" content="Sluice: self-hosted pipelines that speak CodePipeline."/>
        <Title formatter=|page: String| if page.is_empty() { "Sluice".to_string() } else { format!("{page} · Sluice") }/>
        <Router>
            <Header/>
            <main class="page" data-hydrated=move || hydrated.get().to_string()>
                <SandboxBanner/>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=PipelineListPage/>
                    <Route path=path!("/new") view=NewEditorPage/>
                    // Pasting JSON works without JavaScript (the form posts to the server), so the
                    // page waits for the server's region rather than streaming the form in later.
                    <Route path=path!("/new/json") view=NewPipelinePage ssr=SsrMode::Async/>
                    // Async: the page's status (404 for a missing pipeline) is known before the
                    // first byte is sent, and a pipeline page is small enough not to need streaming.
                    <Route path=path!("/pipelines/:name") view=PipelinePage ssr=SsrMode::Async/>
                    <Route path=path!("/audit") view=AuditPage/>
                    <Route path=path!("/admin/users") view=UsersPage/>
                    <Route path=path!("/admin/users/:name") view=UserPage/>
                    <Route path=path!("/admin/groups") view=GroupsPage/>
                    <Route path=path!("/account") view=AccountPage/>
                    <Route path=path!("/pipelines/:name/edit") view=EditPipelinePage ssr=SsrMode::Async/>
                    <Route path=path!("/approvals") view=ApprovalsPage/>
                    <Route path=path!("/notifications") view=NotificationsPage/>
                    <Route path=path!("/approvals/history") view=ApprovalHistoryPage/>
                    <Route path=path!("/pipelines/:name/history") view=HistoryPage/>
                    <Route path=path!("/pipelines/:name/compare") view=ComparePage/>
                    <Route path=path!("/pipelines/:name/executions/:execution/logs/:action") view=LogPage/>
                    <Route path=path!("/builds/:id") view=BuildPage/>
                    <Route path=path!("/projects/:name/builds") view=ProjectBuildsPage/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn NotFoundPage() -> impl IntoView {
    api::set_not_found_status();
    view! {
        <Title text="Not found"/>
        <div class="card empty" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p class="muted">"There is nothing at this address."</p>
            <a class="button" href="/">"Back to pipelines"</a>
        </div>
    }
}
