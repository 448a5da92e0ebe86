//! The app shell: opens the event store, provides the lab to every view, and routes. Routes live
//! under the base path the page was built for (`/` locally, `/foldlab/` on GitHub Pages), read from
//! the `<base href>` Trunk writes into index.html.

use crate::components::{
    about::About, events::EventsPage, faults::FaultsPage, header::Header, lab_page::LabPage,
};
use crate::lab::Lab;
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

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    let lab = Lab::open();
    provide_context(lab);
    view! {
        <Router base=base_path()>
            <Header />
            <main id="main">
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=LabPage />
                    <Route path=path!("/about") view=About />
                    <Route path=path!("/events") view=EventsPage />
                    <Route path=path!("/faults") view=FaultsPage />
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
