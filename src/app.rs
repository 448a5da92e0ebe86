//! The app shell: opens the event store, provides the lab to every view, and routes. Routes live
//! under the base path the page was built for (`/` locally, `/foldlab/` on GitHub Pages), read from
//! the `<base href>` Trunk writes into index.html.

use crate::components::bench::BenchPage;
use crate::components::designs::DesignsPage;
use crate::components::{about::About, header::Header, lab_page::LabPage};
use crate::components::{choreography_page::ChoreographyPage, time_travel::TimeTravel};
use crate::components::{events::EventsPage, faults::FaultsPage};
use crate::components::{
    lessons::{LessonPage, Lessons},
    share::Share,
};
use crate::components::{projections::ProjectionsPage, snapshots::SnapshotsPage};
use crate::lab::{folds::Folds, lag::Projections, Lab};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The base path without its trailing slash (`""` at the site root), as the router wants it.
pub fn base_path() -> String {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .and_then(|uri| web_sys::Url::new(&uri).ok())
        .map(|url| url.pathname())
        .unwrap_or_default();
    base.trim_end_matches('/').to_string()
}

/// An in-app link target: `path` (starting with `/`) under the base path. The router's `<A>`
/// passes absolute paths through as they are, so the base must be added here.
pub fn href(path: &str) -> String {
    format!("{}{path}", base_path())
}

/// Puts `query` (`?step=3`) in the address of the route `path` (`/choreography`) unless it is there
/// already, replacing the history entry, so a reload or a copied link returns to the same place.
pub fn keep_query(
    navigate: &impl Fn(&str, leptos_router::NavigateOptions),
    path: &str,
    query: &str,
) {
    let current = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    if current != query {
        navigate(
            &format!("{path}{query}"),
            leptos_router::NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    }
}

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    let lab = Lab::open();
    provide_context(lab);
    provide_context(Folds::open(lab));
    provide_context(Projections::open(lab));
    view! {
        <Router base=base_path()>
            <Header />
            <main id="main">
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=LabPage />
                    <Route path=path!("/choreography") view=ChoreographyPage />
                    <Route path=path!("/time-travel") view=TimeTravel />
                    <Route path=path!("/about") view=About />
                    <Route path=path!("/lessons") view=Lessons />
                    <Route path=path!("/lessons/:id") view=LessonPage />
                    <Route path=path!("/share") view=Share />
                    <Route path=path!("/snapshots") view=SnapshotsPage />
                    <Route path=path!("/projections") view=ProjectionsPage />
                    <Route path=path!("/events") view=EventsPage />
                    <Route path=path!("/faults") view=FaultsPage />
                    <Route path=path!("/designs") view=DesignsPage />
                    <Route path=path!("/bench") view=BenchPage />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Nothing here"</h2>
            <p>"This page does not exist in Foldlab. " <a href="./">"Back to the lab"</a></p>
        </section>
    }
}
