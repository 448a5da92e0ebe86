//! The app shell: opens the event store, provides the lab to every view, and routes. Routes live
//! under the base path the page was built for (`/` locally, `/foldlab/` on GitHub Pages), read from
//! the `<base href>` Trunk writes into index.html. `cargo xtask build` reads the `path!` calls below
//! to give every route a page of its own on GitHub Pages, so keep one route to a `path!` call.

use crate::components::bench::BenchPage;
use crate::components::designs::DesignsPage;
use crate::components::{choreography_page::ChoreographyPage, time_travel::TimeTravel};
use crate::components::{events::EventsPage, faults::FaultsPage};
use crate::components::{header::Header, lab_page::LabPage, start::Start};
use crate::components::{
    lessons::{LessonPage, Lessons},
    share::Share,
};
use crate::components::{projections::ProjectionsPage, snapshots::SnapshotsPage};
use crate::lab::{projections::Projections, snapshots::Folds, Lab};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::address::base_path;

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
            <crate::components::update::UpdateBanner />
            <main id="main">
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=Start />
                    <Route path=path!("/lab") view=LabPage />
                    <Route path=path!("/choreography") view=ChoreographyPage />
                    <Route path=path!("/time-travel") view=TimeTravel />
                    // The About page folded into the start page; old links still land.
                    <Route path=path!("/about") view=Start />
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
            <p>
                "This page does not exist in Foldlab. "
                <A href=crate::address::href("/")>"Start here"</A>
                " or "
                <A href=crate::address::href("/lab")>"open the lab"</A>
                "."
            </p>
        </section>
    }
}
