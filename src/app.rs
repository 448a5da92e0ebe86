//! The app shell: opens the event store, provides the lab to every view, and routes. Routes live
//! under the base path the page was built for (`/` locally, `/foldlab/` on GitHub Pages), read from
//! the `<base href>` Trunk writes into index.html. `cargo xtask build` reads the `path!` calls below
//! to give every route a page of its own on GitHub Pages, so keep one route to a `path!` call.

use crate::components::chunk::Lazy;
use crate::components::{header::Header, lab_page::LabPage, start::Start};
use crate::lab::{projections::Projections, snapshots::Folds, Lab};
use crate::lazy;
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
                    <Route path=path!("/choreography") view=|| view! { <Lazy load=|| Box::pin(lazy::choreography()) /> } />
                    <Route path=path!("/time-travel") view=|| view! { <Lazy load=|| Box::pin(lazy::time_travel()) /> } />
                    // The About page folded into the start page; old links still land.
                    <Route path=path!("/about") view=Start />
                    <Route path=path!("/lessons") view=|| view! { <Lazy load=|| Box::pin(lazy::lessons()) /> } />
                    <Route path=path!("/lessons/:id") view=|| view! { <Lazy load=|| Box::pin(lazy::lesson()) /> } />
                    <Route path=path!("/share") view=|| view! { <Lazy load=|| Box::pin(lazy::share()) /> } />
                    <Route path=path!("/snapshots") view=|| view! { <Lazy load=|| Box::pin(lazy::snapshots()) /> } />
                    <Route path=path!("/projections") view=|| view! { <Lazy load=|| Box::pin(lazy::projections()) /> } />
                    <Route path=path!("/events") view=|| view! { <Lazy load=|| Box::pin(lazy::events()) /> } />
                    <Route path=path!("/faults") view=|| view! { <Lazy load=|| Box::pin(lazy::faults()) /> } />
                    <Route path=path!("/designs") view=|| view! { <Lazy load=|| Box::pin(lazy::designs()) /> } />
                    <Route path=path!("/bench") view=|| view! { <Lazy load=|| Box::pin(lazy::bench()) /> } />
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
