//! The app shell: opens the event store, provides the lab to every view, and routes. Routes live
//! under the base path the page was built for (`/` locally, `/foldlab/` on GitHub Pages), read from
//! the `<base href>` Trunk writes into index.html. `cargo xtask build` reads the `path!` calls below
//! to give every route a page of its own on GitHub Pages, so keep one route to a `path!` call.

use crate::components::chunk::{Lazy, Load};
use crate::components::{header::Header, lab_page::LabPage, start::Start};
use crate::lab::{projections::Projections, snapshots::Folds, Lab};
use crate::lazy;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::address::base_path;

/// What a route shows. Every route's view has this one type, so the router's code for choosing
/// and drawing a route is in the first download once, not once a route.
type Page = fn() -> AnyView;

/// A page whose code is fetched when it is first opened.
fn later(load: Load) -> AnyView {
    view! { <Lazy load /> }.into_any()
}

const START: Page = || view! { <Start /> }.into_any();
const LAB: Page = || view! { <LabPage /> }.into_any();
const CHOREOGRAPHY: Page = || later(|| Box::pin(lazy::choreography()));
const TIME_TRAVEL: Page = || later(|| Box::pin(lazy::time_travel()));
const LESSONS: Page = || later(|| Box::pin(lazy::lessons()));
const LESSON: Page = || later(|| Box::pin(lazy::lesson()));
const SHARE: Page = || later(|| Box::pin(lazy::share()));
const SNAPSHOTS: Page = || later(|| Box::pin(lazy::snapshots()));
const PROJECTIONS: Page = || later(|| Box::pin(lazy::projections()));
const EVENTS: Page = || later(|| Box::pin(lazy::events()));
const FAULTS: Page = || later(|| Box::pin(lazy::faults()));
const DESIGNS: Page = || later(|| Box::pin(lazy::designs()));
const BENCH: Page = || later(|| Box::pin(lazy::bench()));

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
                    <Route path=path!("/") view=START />
                    <Route path=path!("/lab") view=LAB />
                    <Route path=path!("/choreography") view=CHOREOGRAPHY />
                    <Route path=path!("/time-travel") view=TIME_TRAVEL />
                    // The About page folded into the start page; old links still land.
                    <Route path=path!("/about") view=START />
                    <Route path=path!("/lessons") view=LESSONS />
                    <Route path=path!("/lessons/:id") view=LESSON />
                    <Route path=path!("/share") view=SHARE />
                    <Route path=path!("/snapshots") view=SNAPSHOTS />
                    <Route path=path!("/projections") view=PROJECTIONS />
                    <Route path=path!("/events") view=EVENTS />
                    <Route path=path!("/faults") view=FAULTS />
                    <Route path=path!("/designs") view=DESIGNS />
                    <Route path=path!("/bench") view=BENCH />
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
