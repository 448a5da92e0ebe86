//! Faults on demand: one card per fault, each with a button that performs it on the lab's real
//! store and then tells what happened and which mechanism survived it.

use crate::lab::faults::{indexed_db_skipped, set_indexed_db_skipped, FaultReport};
use crate::lab::{Lab, StoreStatus};
use foldlab_store::Backend;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The faults the page offers.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    DeliverTwice,
    Crash,
    Race,
    OldSchema,
}

impl Fault {
    async fn run(self, lab: Lab) -> Result<FaultReport, String> {
        match self {
            Fault::DeliverTwice => lab.fault_deliver_twice().await,
            Fault::Crash => lab.fault_crash_before_checkpoint().await,
            Fault::Race => lab.fault_race_for_credit().await,
            Fault::OldSchema => lab.fault_old_schema().await,
        }
    }
}

/// The page.
#[component]
pub fn FaultsPage() -> impl IntoView {
    view! {
        <section class="panel faults" aria-labelledby="faults-title">
            <h2 id="faults-title">"Faults on demand"</h2>
            <p class="hint">
                "Break the lab on purpose. Each button performs its fault on the real event store in this browser; the events it stores stay in the log, and every delivery appears in the Lab page's steps."
            </p>
            <div class="fault-cards">
                <FaultCard
                    fault=Fault::DeliverTwice
                    id="fault-twice"
                    title="Deliver an event twice"
                    button="Deliver an event twice"
                    about="Message brokers usually deliver at least once. The lab takes an event the Customer service has already handled and hands it over again."
                />
                <FaultCard
                    fault=Fault::Crash
                    id="fault-crash"
                    title="Crash a service between its effect and its checkpoint"
                    button="Crash the Customer service before its checkpoint"
                    about="A new order is placed; the Customer service reserves its credit (its effect) and then crashes before saving its checkpoint. The event is delivered again."
                />
                <FaultCard
                    fault=Fault::Race
                    id="fault-race"
                    title="Race two orders for the last credit"
                    button="Race two orders for the last credit"
                    about="A customer with a $100.00 limit places two $60.00 orders. Two instances of the Customer service handle both at once, over two connections to the store."
                />
                <FaultCard
                    fault=Fault::OldSchema
                    id="fault-v1"
                    title="Load old-schema (v1) events"
                    button="Load a v1 OrderCreated"
                    about="Events are stored forever, so a store holds events written by older code. This appends an OrderCreated as Foldlab's first schema wrote it: a total and no line items."
                />
                <IndexedDbCard />
            </div>
        </section>
    }
}

#[component]
fn FaultCard(
    fault: Fault,
    id: &'static str,
    title: &'static str,
    button: &'static str,
    about: &'static str,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let result = RwSignal::new(None::<Result<FaultReport, String>>);
    let runs = RwSignal::new(0u32);
    let run = move |_| {
        spawn_local(async move {
            let outcome = fault.run(lab).await;
            result.set(Some(outcome));
            runs.update(|n| *n += 1);
        });
    };
    view! {
        <article class="card fault" aria-labelledby=id data-runs=move || runs.get()>
            <h3 id=id>{title}</h3>
            <p>{about}</p>
            <div>
                <button on:click=run disabled=move || lab.busy.get()>{button}</button>
            </div>
            <div aria-live="polite">
                {move || result.get().map(|r| match r {
                    Ok(report) => report_view(report).into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error}</p> }.into_any(),
                })}
            </div>
        </article>
    }
}

fn report_view(report: FaultReport) -> impl IntoView {
    let compare = report.compare.map(|c| {
        view! {
            <div class="compare">
                <figure>
                    <figcaption>{format!("Stored in the event store (schema_version {})", c.stored_schema)}</figcaption>
                    <pre data-testid="stored-json" tabindex="0">{c.stored}</pre>
                </figure>
                <figure>
                    <figcaption>{format!("What the fold sees (schema_version {})", c.folded_schema)}</figcaption>
                    <pre data-testid="folded-json" tabindex="0">{c.folded}</pre>
                </figure>
            </div>
            <p>{c.order}</p>
        }
    });
    view! {
        <div class="fault-result">
            <h4>"What happened"</h4>
            <ol class="happened">
                {report.happened.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ol>
            {compare}
            <h4>"What survived it"</h4>
            <p class="survived">{report.survived}</p>
        </div>
    }
}

/// IndexedDB off and on: a setting in localStorage read when the page loads.
#[component]
fn IndexedDbCard() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let skipped = indexed_db_skipped();
    let error = RwSignal::new(None::<String>);
    let toggle = move |_| {
        if let Err(e) = set_indexed_db_skipped(!skipped) {
            error.set(Some(e));
        }
    };
    let backend = move || match lab.status.get() {
        StoreStatus::Ready { backend, .. } => Some(backend),
        StoreStatus::Opening => None,
    };
    view! {
        <article class="card fault" aria-labelledby="fault-idb">
            <h3 id="fault-idb">"Disable IndexedDB for the localStorage fallback"</h3>
            <p>
                "The lab keeps its events in IndexedDB and falls back to localStorage when IndexedDB cannot be opened. Turning IndexedDB off saves a setting in localStorage and reloads the page, which then opens localStorage instead; the note at the top says why."
            </p>
            <p>
                "The two are separate stores: the events kept in IndexedDB are not visible from the localStorage store, and the other way round. Nothing is copied or deleted; turning IndexedDB back on shows its events again."
            </p>
            <p class="idb-state" aria-live="polite" data-testid="idb-state">
                {move || match (skipped, backend()) {
                    (_, None) => "The event store is opening…".to_string(),
                    (true, Some(b)) => format!("IndexedDB is turned off: this page load keeps its events in {b}."),
                    (false, Some(Backend::IndexedDb)) => "IndexedDB is on: the events are kept in IndexedDB.".to_string(),
                    (false, Some(b)) => format!("IndexedDB is on, but it could not be opened, so the events are kept in {b}."),
                }}
            </p>
            <div>
                <button on:click=toggle>
                    {if skipped { "Turn IndexedDB back on and reload" } else { "Turn IndexedDB off and reload" }}
                </button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </article>
    }
}
