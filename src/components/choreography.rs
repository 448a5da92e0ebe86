//! The choreography drawn as lanes: you, the Order service, the Customer service, the event store
//! and the query side, one row per command or delivery. The lab's panel (Step, Run to end, each
//! subscriber's checkpoint and the newest rows) and the Choreography page's lanes both draw their
//! rows here. What just happened is marked as it happens (see `change`).

use super::marks::{checkpoints, event_link, fresh, new_steps};
use crate::lab::{Entry, Happened, Lab, USER};
use foldlab_domain::EventEnvelope;
use foldlab_engine::{OutcomeKind, Subscriber};
use foldlab_lab::counted;
use foldlab_store::StreamId;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How many rows the lab's panel keeps (newest first); the Choreography page has every step.
const PANEL_ROWS: usize = 20;

/// A lane: its grid column (the first column holds the step number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    You = 2,
    Order = 3,
    Customer = 4,
    Store = 5,
    Query = 6,
}

const LANES: [(Lane, &str); 5] = [
    (Lane::You, "You"),
    (Lane::Order, "Order service"),
    (Lane::Customer, "Customer service"),
    (Lane::Store, "Event store"),
    (Lane::Query, "Query side"),
];

/// The lane of the service that owns an aggregate (an Order stream → the Order service).
fn lane_of_source(source: &StreamId) -> Lane {
    match source.entity_type.as_str() {
        "Order" => Lane::Order,
        "Customer" => Lane::Customer,
        _ => Lane::Store,
    }
}

/// The lane of whoever received an event: a service, or a projection on the query side.
fn lane_of_receiver(subscriber: &str) -> Lane {
    match Subscriber::from_name(subscriber) {
        Some(Subscriber::OrderService) => Lane::Order,
        Some(Subscriber::CustomerService) => Lane::Customer,
        Some(Subscriber::CustomerView) | None => Lane::Query,
    }
}

/// `OrderApproved #4`, or `#4` for an event no longer in the log.
fn named(events: &[EventEnvelope], id: u64) -> String {
    match events.binary_search_by_key(&id, |e| e.event_id) {
        Ok(i) => format!("{} #{id}", events[i].event_type),
        Err(_) => format!("#{id}"),
    }
}

fn appended(events: &[EventEnvelope], stored: &[u64]) -> String {
    let names: Vec<String> = stored.iter().map(|id| named(events, *id)).collect();
    format!("appends {}", names.join(", "))
}

/// The class an outcome is coloured with: a change, a refusal recorded as an event, a refusal
/// that stored nothing, a discarded duplicate and a view update each have their own colour.
fn outcome_class(outcome: Happened) -> &'static str {
    match outcome {
        Happened::Command | Happened::Delivered(OutcomeKind::Appended) => "outcome changed",
        Happened::Delivered(OutcomeKind::RefusalRecorded) => "outcome refusal",
        Happened::Delivered(OutcomeKind::Refused | OutcomeKind::Crashed | OutcomeKind::Failed) => {
            "outcome refused"
        }
        Happened::Delivered(OutcomeKind::DuplicateDiscarded) => "outcome duplicate",
        Happened::Delivered(OutcomeKind::ViewUpdated) => "outcome view",
        Happened::Delivered(OutcomeKind::ViewUnchanged) | Happened::Projector(_) => "outcome quiet",
    }
}

/// A message drawn from one lane to another in a row's grid `row`.
fn arrow(from: Lane, to: Lane, row: u8, label: String) -> impl IntoView {
    let (a, b) = (from as u8, to as u8);
    let (start, end) = (a.min(b), a.max(b));
    let direction = if b >= a { "msg right" } else { "msg left" };
    // Placed through the CSSOM (`style:`), never a `style` attribute, which the page's
    // Content-Security-Policy blocks; the arrow runs between the middles of its end lanes.
    let columns = format!("{start} / {}", end + 1);
    let inset = format!("calc(50% / {})", end - start + 1);
    view! {
        <div class=direction style:grid-row=row.to_string() style:grid-column=columns style:margin-inline=inset>
            {label}
        </div>
    }
}

/// A note placed in one lane of a row.
fn chip(lane: Lane, class: &'static str, text: String) -> impl IntoView {
    view! { <div class=class style:grid-row="2" style:grid-column=(lane as u8).to_string()>{text}</div> }
}

/// The lanes' names, over the rows.
pub fn lane_heads() -> impl IntoView {
    view! {
        <div class="lane-heads" aria-hidden="true">
            <span></span>
            {LANES.iter().map(|(_, name)| view! { <span>{*name}</span> }).collect_view()}
        </div>
    }
}

/// What a lane row says in words under its arrows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowText {
    /// Nothing: the page says the step's sentence elsewhere, once.
    Nothing,
    /// Who did what, with the event ids as links, and the sentence: shown for the newest row,
    /// behind a disclosure for the others.
    Told {
        /// Whether the sentence shows without opening a disclosure.
        open: bool,
    },
}

/// "Order service received #3 → stored #4", with the ids as links to the Events inspector.
fn step_head(entry: &Entry) -> impl IntoView {
    let links = |ids: &[u64]| {
        ids.iter()
            .enumerate()
            .map(|(i, id)| view! { {(i > 0).then_some(", ")} {event_link(*id)} })
            .collect_view()
    };
    let user = entry.subscriber == USER;
    let received = (!user).then(|| view! { " received " {event_link(entry.event_id)} });
    let stored = (!entry.stored.is_empty()).then(|| {
        let word = if user { " stored " } else { " → stored " };
        view! { {word} {links(&entry.stored)} }
    });
    view! {
        <span class="who">{entry.label.clone()}</span>
        {received}
        {stored}
        " "
        <span class="said-outcome">{entry.outcome.label()}</span>
    }
}

/// One journal entry drawn across the lanes.
pub fn lane_row(
    entry: &Entry,
    events: &[EventEnvelope],
    current: bool,
    fresh_row: bool,
    text: RowText,
) -> impl IntoView {
    let guides = LANES
        .iter()
        .map(|(lane, _)| {
            view! { <div class="guide" style:grid-column=(*lane as u8).to_string() aria-hidden="true"></div> }
        })
        .collect_view();
    // On the stage the words under the arrows are few: the row's own line says the rest.
    let compact = matches!(text, RowText::Told { .. });
    let receiver;
    let first;
    let origin;
    if entry.subscriber == USER {
        receiver = lane_of_source(&entry.source);
        let label = if compact {
            "command".to_string()
        } else {
            format!("command to {}", entry.source)
        };
        first = arrow(Lane::You, receiver, 1, label);
        origin =
            (!compact).then(|| chip(Lane::You, "chip origin", "you send a command".to_string()));
    } else {
        receiver = lane_of_receiver(&entry.subscriber);
        let event = named(events, entry.event_id);
        let label = if compact {
            event.clone()
        } else {
            format!("delivers {event} to the {}", entry.label)
        };
        first = arrow(Lane::Store, receiver, 1, label);
        origin = (!compact).then(|| {
            chip(
                lane_of_source(&entry.source),
                "chip origin",
                format!("{event} came from {}", entry.source),
            )
        });
    }
    // A command is decided by the aggregate it was sent to; a delivery by its subscriber.
    let decided_by = if entry.subscriber == USER {
        entry.source.to_string()
    } else {
        entry.label.clone()
    };
    let said = if compact {
        entry.outcome.to_string()
    } else {
        format!("{decided_by}: {}", entry.outcome)
    };
    let outcome = chip(receiver, outcome_class(entry.outcome), said);
    let second = (!entry.stored.is_empty()).then(|| {
        let label = if compact {
            let names: Vec<String> = entry.stored.iter().map(|id| named(events, *id)).collect();
            names.join(", ")
        } else {
            appended(events, &entry.stored)
        };
        arrow(receiver, Lane::Store, 3, label)
    });
    let class = if current {
        "lane-row current"
    } else {
        "lane-row"
    };
    let words = match text {
        RowText::Nothing => None,
        RowText::Told { open } => {
            let sentence = entry.sentence.clone();
            let said = if open {
                view! { <p class="sentence">{sentence}</p> }.into_any()
            } else {
                view! {
                    <details class="more">
                        <summary>"What it means"</summary>
                        <p class="sentence">{sentence}</p>
                    </details>
                }
                .into_any()
            };
            Some(view! {
                <div class="told">
                    <p class="step-head">{step_head(entry)}</p>
                    {said}
                </div>
            })
        }
    };
    view! {
        <li class=class data-testid="lane-row" data-step=entry.number value=entry.number
            aria-current=current.then_some("step") data-fresh=fresh(fresh_row)>
            <span class="step-no">{entry.number}</span>
            {guides}
            {first}
            {origin}
            {outcome}
            {second}
            {words}
        </li>
    }
}

/// The choreography in one sentence, said by the lab's Choreography panel and the Choreography page.
pub const CHOREOGRAPHY_RULE: &str =
    "No service calls another to change it: each reacts to events by changing only its own aggregate.";

/// The lab's choreography panel: Step and Run to end, the checkpoints, and the newest rows of the
/// lanes, newest first.
#[component]
pub fn Choreography() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let step = move |_| spawn_local(async move { lab.deliver(false).await });
    let run = move |_| spawn_local(async move { lab.deliver(true).await });
    let pending = move || lab.readout.with(|s| s.pending);
    // Nothing to do, or a step running: the buttons wait.
    let idle = move || lab.busy.get() || pending() == 0;
    let waiting = move || match pending() {
        0 => "No deliveries waiting: every subscriber is up to date.".to_string(),
        n => format!("{} waiting.", counted(n as u64, "delivery", "deliveries")),
    };
    let moved = checkpoints(lab);
    let arrived = new_steps(lab);
    // Each checkpoint in its subscriber's lane, under the lane's name, so it moves along with the
    // deliveries; the event store's lane says how far the log goes.
    let checkpoint_list = move || {
        let marks = moved.get();
        lab.readout.with(|s| {
            let head = s.head();
            let share = move |at: u64| {
                format!("{}%", (at.min(head) * 100).checked_div(head).unwrap_or(0))
            };
            let store = view! {
                <li class="store-at" style:grid-column=(Lane::Store as u8).to_string()>
                    <span class="visually-hidden">"Event store"</span>
                    {format!("at #{head}")}
                </li>
            };
            let each = s
                .positions
                .iter()
                .map(|(subscriber, position)| {
                    let name = subscriber.name().to_string();
                    let lane = lane_of_receiver(subscriber.name());
                    let was = marks.now.was(&name).copied();
                    let changed = marks.now.change(&name).is_some();
                    let ghost = was.map(|w| {
                        view! { <span class="mark ghost" style:left=share(w) aria-hidden="true"></span> }
                    });
                    view! {
                        <li data-fresh=fresh(changed) style:grid-column=(lane as u8).to_string()>
                            <span class="visually-hidden">{subscriber.label()}</span>
                            <span class="at">{format!("at #{position}")}</span>
                            {was.map(|w| view! { <span class="was">{format!(" was #{w}")}</span> })}
                            <span class="track" aria-hidden="true">
                                {ghost}
                                <span class="mark" style:left=share(*position)></span>
                            </span>
                        </li>
                    }
                })
                .collect_view();
            view! { {store} {each} }
        })
    };
    let rows = move || {
        let arrived = arrived.get().now;
        lab.readout.with(|s| {
            lab.journal.with(|j| {
                // A step written since the last read of the store: its render comes next.
                let current = j.last().is_none_or(|e| e.number == arrived.high());
                j.iter()
                    .rev()
                    .take(PANEL_ROWS)
                    .enumerate()
                    .map(|(i, e)| {
                        lane_row(
                            e,
                            &s.events,
                            false,
                            current && arrived.is_new(e.number),
                            RowText::Told { open: i == 0 },
                        )
                    })
                    .collect_view()
            })
        })
    };
    view! {
        <section class="panel choreography" aria-labelledby="choreo-title">
            <div class="panel-head">
                <h2 id="choreo-title">"Choreography"</h2>
                <div class="controls">
                    <button on:click=step disabled=idle>"Step"</button>
                    <button on:click=run disabled=idle>"Run to end"</button>
                    <p class="waiting" aria-live="polite" data-testid="waiting">{waiting}</p>
                </div>
            </div>
            <div class="said">
                <p class="hint">
                    {CHOREOGRAPHY_RULE}
                </p>
                <details class="more">
                    <summary>"More"</summary>
                    <p>
                        "The event store hands each stored event to the services that subscribe to it, one delivery at a time. The line under the lanes' names shows each one's checkpoint: the last event it handled. These steps form a saga: local transactions linked by events (the companion article \u{201c}CQRS + Event Sourcing \u{2014} microservice patterns\u{201d}, Eventual Consistency & Distributed Transactions). The one call across services is a lookup: placing an order first asks the Customer service's API whether the customer exists."
                    </p>
                </details>
            </div>
            {move || lab.step_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="lanes" role="region" aria-label="Lanes, newest step first" tabindex="0">
                <div class="lanes-top">
                    {lane_heads()}
                    <ul class="checkpoints" data-testid="checkpoints" aria-label="Checkpoints">
                        {checkpoint_list}
                    </ul>
                </div>
                <ol class="lane-rows steps" reversed data-testid="steps" aria-live="polite">{rows}</ol>
            </div>
            <Show when=move || lab.journal.with(Vec::is_empty)>
                <p class="empty">"Commands and deliveries are drawn here, newest first."</p>
            </Show>
        </section>
    }
}
