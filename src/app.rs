//! The app shell: opens the event store, provides the lab to every view, and routes. Routes live
//! under the base path the page was built for (`/` locally, `/foldlab/` on GitHub Pages), read from
//! the `<base href>` Trunk writes into index.html. `cargo xtask build` reads the path of every
//! `route(…)` below to give each a page of its own on GitHub Pages.

use crate::address::Address;
use crate::components::chunk::{Lazy, Load};
use crate::components::{header::Header, lab_page::LabPage, start::Start};
use crate::lab::{projections::Projections, snapshots::Folds, Lab};
use crate::lazy;
use leptos::prelude::*;

/// What a route shows. Every route's view has this one type, so the code that draws a route is
/// in the first download once, not once a route.
type Page = fn() -> AnyView;

/// A page whose code is fetched when it is first opened.
fn later(load: Load) -> AnyView {
    view! { <Lazy load /> }.into_any()
}

/// One route: a path under the base path, where `:name` stands for any one segment, and its page.
struct Route {
    path: &'static str,
    page: Page,
}

/// A route; `cargo xtask build` reads each `route("…"` below.
const fn route(path: &'static str, page: Page) -> Route {
    Route { path, page }
}

const START: Page = || view! { <Start /> }.into_any();

/// The routes, tried in order.
const ROUTES: &[Route] = &[
    route("/", START),
    route("/lab", || view! { <LabPage /> }.into_any()),
    route("/choreography", || later(|| Box::pin(lazy::choreography()))),
    route("/time-travel", || later(|| Box::pin(lazy::time_travel()))),
    // The About page folded into the start page; old links still land.
    route("/about", START),
    route("/lessons", || later(|| Box::pin(lazy::lessons()))),
    route("/lessons/:id", || later(|| Box::pin(lazy::lesson()))),
    route("/share", || later(|| Box::pin(lazy::share()))),
    route("/snapshots", || later(|| Box::pin(lazy::snapshots()))),
    route("/projections", || later(|| Box::pin(lazy::projections()))),
    route("/events", || later(|| Box::pin(lazy::events()))),
    route("/faults", || later(|| Box::pin(lazy::faults()))),
    route("/designs", || later(|| Box::pin(lazy::designs()))),
    route("/bench", || later(|| Box::pin(lazy::bench()))),
];

/// Whether `path` (`/lessons/happy_path`) fits the route `pattern` (`/lessons/:id`).
fn fits(pattern: &str, path: &str) -> bool {
    let (mut pattern, mut path) = (pattern.split('/'), path.split('/'));
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p == s || (p.starts_with(':') && !s.is_empty()) => {}
            _ => return false,
        }
    }
}

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    let lab = Lab::open();
    provide_context(lab);
    provide_context(Folds::open(lab));
    provide_context(Projections::open(lab));
    let address = Address::follow();
    provide_context(address);
    // Which route the address fits: a view is drawn again only when this changes, not when the
    // query or a lesson's id does.
    let route = Memo::new(move |_| {
        address.with_path(|path| {
            let path = path?;
            ROUTES.iter().position(|r| fits(r.path, path))
        })
    });
    view! {
        <Header />
        <crate::components::update::UpdateBanner />
        <main id="main">
            {move || match route.get() {
                Some(at) => (ROUTES[at].page)(),
                None => view! { <NotFound /> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Nothing here"</h2>
            <p>
                "This page does not exist in Foldlab. "
                <a href=crate::address::href("/")>"Start here"</a>
                " or "
                <a href=crate::address::href("/lab")>"open the lab"</a>
                "."
            </p>
        </section>
    }
}
