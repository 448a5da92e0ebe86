//! The top bar, one row on a 1024 px projector with Large text: the name (a link to the start
//! page), the main views, a "More views" menu with the rest, and a "Settings" menu with the theme,
//! Large text, where the events are kept, and "Reset lab". Under it, the banners every view needs.

use super::chunk::Lazy;
use super::display::DisplayControls;
use crate::address::{href, Address};
use crate::lab::quota;
use crate::lab::{Lab, StoreStatus};
use foldlab_lab::quota::StorageUse;
use foldlab_store::Backend;
use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

/// A link to a view, marked as the current page (`aria-current`) while the view is open: exactly
/// at `to`, or anywhere under it unless `exact`.
#[component]
fn NavLink(to: &'static str, #[prop(optional)] exact: bool, children: Children) -> impl IntoView {
    let address = expect_context::<Address>();
    let current = move || address.is_at(to, exact).then_some("page");
    view! { <a href=href(to) aria-current=current>{children()}</a> }
}

/// The top bar and the banners under it.
#[component]
pub fn Header() -> impl IntoView {
    let lab = expect_context::<Lab>();
    // The integrity panel's code is fetched only when there is damage to show.
    let damaged = Memo::new(move |_| lab.integrity.with(Option::is_some));
    view! {
        <header class="topbar">
            <h1 class="brand">
                <NavLink to="/" exact=true>"Foldlab"</NavLink>
            </h1>
            <nav aria-label="Views">
                <NavLink to="/lab">"Lab"</NavLink>
                <NavLink to="/lessons">"Lessons"</NavLink>
                <NavLink to="/choreography">"Choreography"</NavLink>
                <NavLink to="/designs">"Designs"</NavLink>
                <Menu label="More views" panel="more-views">
                    <ul class="menu-list">
                        <li><NavLink to="/time-travel">"Time travel"</NavLink></li>
                        <li><NavLink to="/snapshots">"Snapshots"</NavLink></li>
                        <li><NavLink to="/projections">"Projections"</NavLink></li>
                        <li><NavLink to="/events">"Events"</NavLink></li>
                        <li><NavLink to="/faults">"Faults"</NavLink></li>
                        <li><NavLink to="/share">"Share"</NavLink></li>
                        <li><NavLink to="/" exact=true>"Start here"</NavLink></li>
                    </ul>
                </Menu>
            </nav>
            <Menu label="Settings" panel="settings">
                <DisplayControls />
                <div class="storage" role="group" aria-labelledby="storage-heading">
                    <p class="menu-heading" id="storage-heading">"Where the events are kept"</p>
                    <BackendBadge />
                    <p class="storage-hint">"In this browser only."</p>
                    <StorageUseNote />
                    {move || match lab.status.get() {
                        StoreStatus::Ready { note: Some(note), .. } => Some(view! { <p class="storage-note">{note}</p> }),
                        _ => None,
                    }}
                </div>
                <ResetLab />
            </Menu>
        </header>
        {move || lab.load_error.get().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
        <super::store_closed::StoreClosed />
        {move || damaged.get().then(|| view! {
            <Lazy load=|| Box::pin(crate::lazy::integrity_panel()) failed="The damaged records could not be shown" />
        })}
        {move || lab.loading.get().map(|(read, head)| view! {
            <p class="banner" role="status" data-testid="log-loading">
                {format!("Reading the log into the tables: {read} of {head} events so far. Commands work already: they load each aggregate from its snapshot.")}
            </p>
        })}
        {move || match lab.status.get() {
            StoreStatus::Ready { note: Some(note), .. } => {
                Some(view! { <p class="banner warning" role="status" data-testid="fallback-note">{note}</p> })
            }
            _ => None,
        }}
    }
}

/// A disclosure menu: a button that shows or hides the panel under it. Escape closes it and gives
/// the focus back to the button; a click or the focus moving anywhere outside it, or following
/// a link in it, closes it too. Its contents stay in the page while it is closed (hidden), so what they
/// say can still be read by the page, as the storage line is.
#[component]
fn Menu(
    /// The button's text.
    label: &'static str,
    /// The panel's id, also the menu's class.
    panel: &'static str,
    children: Children,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let root = NodeRef::<html::Div>::new();
    let button = NodeRef::<html::Button>::new();
    let inside = move |target: Option<web_sys::EventTarget>| -> bool {
        let node = target.and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        match (root.get_untracked(), node) {
            (Some(root), Some(node)) => root.contains(Some(&node)),
            _ => false,
        }
    };
    let close_and_focus = move || {
        open.set(false);
        if let Some(button) = button.get_untracked() {
            let _ = button.focus();
        }
    };
    let outside_click = window_event_listener(ev::pointerdown, move |ev| {
        if open.get_untracked() && !inside(ev.target()) {
            open.set(false);
        }
    });
    on_cleanup(move || outside_click.remove());
    view! {
        <div
            class=format!("menu {panel}")
            node_ref=root
            on:keydown=move |ev: ev::KeyboardEvent| {
                if ev.key() == "Escape" && open.get_untracked() {
                    ev.prevent_default();
                    close_and_focus();
                }
            }
            on:focusout=move |ev: ev::FocusEvent| {
                // Only a focus that lands outside closes: a click on the panel's text moves the
                // focus nowhere (no related target).
                if ev.related_target().is_some() && !inside(ev.related_target()) {
                    open.set(false);
                }
            }
        >
            <button
                class="menu-button quiet"
                node_ref=button
                aria-expanded=move || open.get().to_string()
                aria-controls=panel
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {label}
            </button>
            <div
                id=panel
                class="menu-panel"
                hidden=move || !open.get()
                on:click=move |ev: ev::MouseEvent| {
                    // Following a link in the menu closes it.
                    let link = ev
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .and_then(|e| e.closest("a").ok().flatten());
                    if link.is_some() {
                        open.set(false);
                    }
                }
            >
                {children()}
            </div>
        </div>
    }
}

/// Which storage holds the events. In the page even while the Settings menu is closed.
#[component]
fn BackendBadge() -> impl IntoView {
    let lab = expect_context::<Lab>();
    view! {
        <p class="backend" data-testid="backend" aria-live="polite">
            {move || match lab.status.get() {
                StoreStatus::Opening => "Opening the event store…".to_string(),
                StoreStatus::Ready { backend, .. } => format!("Events kept in {backend}"),
            }}
        </p>
    }
}

/// "Reset lab" asks once, in place, before deleting anything.
#[component]
fn ResetLab() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let reset = move |_| {
        spawn_local(async move {
            let result = lab.reset().await;
            if result.is_ok() {
                // A lesson midway no longer matches an empty lab.
                crate::lab::lessons::Progress::clear();
            }
            confirming.set(false);
            error.set(result.err());
        });
    };
    view! {
        <div class="reset">
            <Show
                when=move || confirming.get()
                fallback=move || {
                    view! {
                        <button class="quiet" on:click=move |_| confirming.set(true) disabled=move || lab.busy.get()>
                            "Reset lab…"
                        </button>
                    }
                }
            >
                <div role="group" aria-label="Confirm reset" class="confirm">
                    <span>
                        {move || {
                            let n = lab.readout.with(|s| s.events.len());
                            format!("Delete all {} and every checkpoint from this browser?", foldlab_lab::counted(n as u64, "event", "events"))
                        }}
                    </span>
                    <button class="danger" on:click=reset disabled=move || lab.busy.get()>
                        "Yes, delete everything"
                    </button>
                    <button on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}

/// How much of the browser's quota the lab uses, and whether the browser keeps it for good. The lab
/// asks once, when it opens, for its storage to be kept; it is read
/// again whenever the log grows. localStorage has its own small quota that the browser does not
/// report, so nothing is said there but the fallback note.
#[component]
fn StorageUseNote() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let measured = RwSignal::new(None::<StorageUse>);
    // Measured before asking: Firefox answers only once the user has, which may be never.
    spawn_local(async move {
        measured.set(quota::measure().await);
        if quota::ask_to_keep().await.is_some() {
            measured.set(quota::measure().await);
        }
    });
    let head = Memo::new(move |_| lab.readout.with(|s| s.head()));
    Effect::new(move |seen: Option<u64>| {
        let now = head.get();
        if seen.is_some_and(|seen| seen != now) {
            spawn_local(async move { measured.set(quota::measure().await) });
        }
        now
    });
    let on_indexed_db = move || matches!(lab.status.get(), StoreStatus::Ready { backend, .. } if backend == Backend::IndexedDb);
    move || {
        let usage = measured.get().filter(|_| on_indexed_db())?;
        Some(view! {
            <p class="storage-use" data-testid="storage-use">{usage.used()} " " {usage.kept()}</p>
        })
    }
}
