//! The top bar: the name, navigation, where the events are kept, and "Reset lab".

use super::display::DisplayControls;
use crate::address::href;
use crate::lab::{Lab, StoreStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

/// The top bar.
#[component]
pub fn Header() -> impl IntoView {
    let lab = expect_context::<Lab>();
    view! {
        <header class="topbar">
            <div class="brand">
                <h1>"Foldlab"</h1>
                <p class="tagline">"Event sourcing and CQRS, happening in your browser"</p>
            </div>
            <nav aria-label="Views">
                <A href=href("/") exact=true>"Lab"</A>
                <A href=href("/choreography")>"Choreography"</A>
                <A href=href("/time-travel")>"Time travel"</A>
                <A href=href("/snapshots")>"Snapshots"</A>
                <A href=href("/projections")>"Projections"</A>
                <A href=href("/events")>"Events"</A>
                <A href=href("/faults")>"Faults"</A>
                <A href=href("/designs")>"Designs"</A>
                <A href=href("/lessons")>"Lessons"</A>
                <A href=href("/share")>"Share"</A>
                <A href=href("/about")>"About the patterns"</A>
            </nav>
            <BackendBadge />
            <DisplayControls />
            <ResetLab />
        </header>
        {move || lab.load_error.get().map(|e| view! { <p class="banner error" role="alert">{e}</p> })}
        <super::store_closed::StoreClosed />
        <super::integrity::IntegrityPanel />
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
                            format!("Delete all {n} events and every checkpoint from this browser?")
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
