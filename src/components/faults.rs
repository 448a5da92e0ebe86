//! Faults on demand: one card per fault. Each asks what will happen, performs the fault on the lab's
//! real store, then says whether the prediction was right, what happened and which mechanism
//! survived it; two also run the same fault with the mechanism switched off, on a scratch store.

use super::ask::{AnswerVerdict, Choices};
use crate::lab::faults::{
    indexed_db_skipped, set_indexed_db_skipped, FaultReport, CRASH, OLD_SCHEMA, RACE, TWICE,
};
use crate::lab::{Lab, StoreStatus};
use foldlab_lab::counterfactual::{
    duplicate_without_detection, race_without_expected_version, Counterfactual,
};
use foldlab_lab::lesson::Prediction;
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

    fn prediction(self) -> &'static Prediction {
        match self {
            Fault::DeliverTwice => &TWICE,
            Fault::Crash => &CRASH,
            Fault::Race => &RACE,
            Fault::OldSchema => &OLD_SCHEMA,
        }
    }

    /// The same fault with its mechanism switched off: the button, and what is switched off.
    fn counterfactual(self) -> Option<(&'static str, &'static str)> {
        match self {
            Fault::DeliverTwice => Some((
                "Run it with duplicate detection off",
                "The same redelivery on a scratch store, to a Customer service that checks nothing: not its checkpoint, not its earlier effects, not the reservations the Customer holds.",
            )),
            Fault::Race => Some((
                "Run it without the expected version",
                "The same race on a scratch store, with appends that accept any version of the stream.",
            )),
            Fault::Crash | Fault::OldSchema => None,
        }
    }

    async fn run_counterfactual(self) -> Result<Counterfactual, String> {
        match self {
            Fault::Race => race_without_expected_version().await,
            _ => duplicate_without_detection().await,
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
                "Break the lab on purpose: predict what happens, run the fault on this browser's real event store, then see what kept the data right."
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
    let chosen = RwSignal::new(None::<usize>);
    let prediction = fault.prediction();
    // The answer as it stood when the fault ran: changing the choice afterwards changes no verdict.
    let answered = RwSignal::new(None::<usize>);
    let run = move |_| {
        answered.set(chosen.get_untracked());
        spawn_local(async move {
            let outcome = fault.run(lab).await;
            result.set(Some(outcome));
            runs.update(|n| *n += 1);
        });
    };
    let counter = RwSignal::new(None::<Result<Counterfactual, String>>);
    let name = format!("{id}-predict");
    let verdict = move || {
        let chosen = answered.get()?;
        result.with(|r| matches!(r, Some(Ok(_))).then_some(()))?;
        Some(view! { <AnswerVerdict prediction chosen /> })
    };
    view! {
        <article class="card fault" aria-labelledby=id data-runs=move || runs.get()>
            <h3 id=id>{title}</h3>
            <p>{about}</p>
            <Choices prediction name chosen />
            <div>
                <button on:click=run disabled=move || lab.busy.get() || chosen.get().is_none()>{button}</button>
                <Show when=move || chosen.get().is_none()>
                    <span class="hint">" Predict first."</span>
                </Show>
            </div>
            <div aria-live="polite">
                {verdict}
                {move || result.get().map(|r| match r {
                    Ok(report) => report_view(report).into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error}</p> }.into_any(),
                })}
            </div>
            {fault.counterfactual().map(|(label, what)| view! {
                <Show when=move || matches!(result.get(), Some(Ok(_)))>
                    <div class="counterfactual">
                        <h4>"Without the mechanism"</h4>
                        <p>{what}</p>
                        <button on:click=move |_| spawn_local(async move {
                            counter.set(Some(fault.run_counterfactual().await));
                        })>{label}</button>
                        <div aria-live="polite">
                            {move || counter.get().map(|r| match r {
                                Ok(c) => view! {
                                    <ol class="happened" data-testid="counterfactual">
                                        {c.happened.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                                    </ol>
                                }
                                .into_any(),
                                Err(error) => view! { <p class="error" role="alert">{error}</p> }.into_any(),
                            })}
                        </div>
                    </div>
                </Show>
            })}
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
