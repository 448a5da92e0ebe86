//! The choreography, step by step: lanes for you, the Order service, the Customer service, the
//! event store and the query side, with every command and delivery of the journal drawn as it
//! happened, one sentence per step, and controls to step forward and back, play, and jump along a
//! timeline. Stepping back re-folds the past from a prefix of the log; it deletes nothing. At
//! "now", stepping forward makes a real delivery.

use super::as_of::{aggregates, customer_view};
use super::choreography::{lane_heads, lane_row, RowText};
use super::marks::new_steps;
use super::transport::{Transport, SPEEDS};
use crate::address::{keep_query, query};
use crate::lab::as_of::{model_at, views_after};
use crate::lab::{Lab, USER};
use foldlab_engine::Subscriber;
use foldlab_lab::timeline::{self, Forward, Steps};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How many steps the lanes draw, ending at the cursor.
const LANE_ROWS: usize = 6;

/// How many steps the timeline lists on each side of the cursor.
const LIST_AROUND: u64 = 20;

/// The choreography page.
#[component]
pub fn ChoreographyPage() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let cursor = RwSignal::new(query("step"));
    let playing = RwSignal::new(false);
    let speed = RwSignal::new(SPEEDS[1].1);
    let note = RwSignal::new(None::<String>);

    let steps = Memo::new(move |_| {
        lab.journal
            .with(|j| Steps::over(j.first().zip(j.last()).map(|(a, b)| (a.number, b.number))))
    });
    let oldest = move || lab.journal.with(|j| j.first().map_or(1, |e| e.number));
    let step = Memo::new(move |_| steps.get().requested(cursor.get().as_deref()));
    let entry = Memo::new(move |_| {
        let index = steps.get().index(step.get(), oldest());
        index.and_then(|i| lab.journal.with(|j| j.get(i).cloned()))
    });
    let head_then = Memo::new(move |_| entry.with(|e| e.as_ref().map_or(0, |e| e.head)));
    let is_now = move || steps.get().is_now(step.get());
    let model = move || lab.readout.with(|s| model_at(&s.events, head_then.get()));

    // The URL keeps the step, so a reload comes back to it.
    Effect::new(move |_| {
        let at = step.get();
        keep_query("/choreography", &format!("?step={at}"));
    });

    // The views as they stood after the step, each folded as of its own checkpoint then.
    let then = Memo::new(move |_| {
        lab.status.track();
        let engine = lab.engine()?;
        let at = entry.get();
        let fallback = at.as_ref().map_or(0, |e| e.head);
        Some(
            lab.readout
                .with(|s| views_after(engine.query_side(), &s.events, at.as_ref(), fallback)),
        )
    });

    let forward = Callback::new(move |_: ()| {
        note.set(None);
        match steps.get_untracked().forward(step.get_untracked()) {
            Forward::To(next) => cursor.set(Some(next.to_string())),
            Forward::Deliver => {
                if lab.readout.with_untracked(|s| s.pending) == 0 {
                    let was_playing = playing.get_untracked();
                    playing.set(false);
                    note.set(Some(if was_playing {
                        "Played to the end: nothing is left to deliver, every subscriber is up to date.".to_string()
                    } else {
                        "Nothing to deliver: every subscriber is up to date with the event store. Send a command on the Lab page to start another story.".to_string()
                    }));
                    return;
                }
                spawn_local(async move {
                    lab.deliver(false).await;
                    let last = lab.journal.with_untracked(|j| j.last().map(|e| e.number));
                    if let Some(last) = last {
                        cursor.set(Some(last.to_string()));
                    }
                    if lab.step_error.get_untracked().is_some() {
                        playing.set(false);
                    }
                });
            }
        }
    });
    let back = Callback::new(move |_: ()| {
        note.set(None);
        if let Some(previous) = steps.get_untracked().back(step.get_untracked()) {
            cursor.set(Some(previous.to_string()));
        }
    });
    let can_back = Signal::derive(move || steps.get().back(step.get()).is_some());
    // In the past a step forward replays the record; at now it needs a delivery waiting.
    let can_forward = Signal::derive(move || !is_now() || lab.readout.with(|s| s.pending) > 0);
    let busy = Signal::derive(move || lab.busy.get());
    let forward_hint = Signal::derive(move || {
        if is_now() {
            match lab.readout.with(|s| s.pending) {
                0 => "At now. Nothing is waiting to be delivered: send a command on the Lab page."
                    .to_string(),
                1 => "At now: Step forward makes a real delivery (1 waiting).".to_string(),
                n => format!("At now: Step forward makes a real delivery ({n} waiting)."),
            }
        } else {
            format!(
                "In the past: Step forward replays step {} as it was recorded; nothing is delivered.",
                step.get() + 1
            )
        }
    });

    let sentence = move || {
        match entry.get() {
        Some(e) => e.sentence,
        None if lab.journal.with(Vec::is_empty) => {
            "Nothing has happened yet. Create a customer and place an order on the Lab page, then come back and step through the deliveries.".to_string()
        }
        None => "Before the first step: the log was empty, and no service had anything to react to.".to_string(),
    }
    };
    let past_note = move || {
        (!is_now()).then(|| {
            let stored = lab.readout.with(|s| s.events.len());
            let head = head_then.get();
            view! {
                <p class="past-note" role="status" data-testid="past-note">
                    {format!(
                        "You are looking at the past: step {} of {}. Nothing was deleted: the event store still holds all {}; what you see is folded from the events up to #{head}. ",
                        step.get(),
                        steps.get().last,
                        foldlab_lab::counted(stored as u64, "event", "events")
                    )}
                    <button class="quiet" on:click=move |_| { playing.set(false); cursor.set(None) }>"Back to now"</button>
                </p>
            }
        })
    };

    let arrived = new_steps(lab);
    let lanes = move || {
        let at = steps.get().index(step.get(), oldest());
        let here = step.get();
        let arrived = arrived.get().now;
        lab.readout.with(|s| {
            lab.journal.with(|j| {
                // A step written since the last read of the store: its render comes next.
                let current = j.last().is_none_or(|e| e.number == arrived.high());
                let rows = at.filter(|i| *i < j.len()).map(|i| {
                    j[(i + 1).saturating_sub(LANE_ROWS)..=i]
                        .iter()
                        .map(|e| {
                            lane_row(e, &s.events, e.number == here, current && arrived.is_new(e.number), RowText::Nothing)
                        })
                        .collect_view()
                });
                let empty = rows.is_none().then(|| {
                    view! { <li class="empty">"No step yet: the lanes fill in as commands and deliveries happen."</li> }
                });
                view! { {rows} {empty} }
            })
        })
    };

    let timeline_list = move || {
        let here = step.get();
        let steps_now = steps.get();
        let low = here.saturating_sub(LIST_AROUND).max(steps_now.first);
        let high = (here + LIST_AROUND).min(steps_now.last);
        let before = (low == 0).then(|| {
            view! {
                <li>
                    <button class="link" aria-current=(here == 0).then_some("step") on:click=move |_| { playing.set(false); cursor.set(Some("0".into())) }>
                        "0 · before anything happened"
                    </button>
                </li>
            }
        });
        let items = lab.journal.with(|j| {
            j.iter()
                .filter(|e| e.number >= low.max(1) && e.number <= high)
                .map(|e| {
                    let number = e.number;
                    let text = if e.subscriber == USER {
                        format!("{number} · you → {}: stored {} · {}", e.source, ids(&e.stored), e.outcome)
                    } else {
                        format!("{number} · {} ← {} #{} · {}", e.label, e.event_type, e.event_id, e.outcome)
                    };
                    view! {
                        <li>
                            <button class="link" aria-current=(here == number).then_some("step") on:click=move |_| { playing.set(false); cursor.set(Some(number.to_string())) }>
                                {text}
                            </button>
                        </li>
                    }
                })
                .collect_view()
        });
        view! { {before} {items} }
    };

    // One closure for the whole panel: it changes as a whole with every step.
    let then_panel = move || {
        let head = head_then.get();
        let title = if is_now() {
            "The lab now".to_string()
        } else {
            format!("The lab as of step {}", step.get())
        };
        let (checkpoints, view_at) = entry.with(|e| {
            let list = Subscriber::ALL
                .iter()
                .map(|s| {
                    let at = e.as_ref().map_or(0, |e| e.position(s.name()));
                    view! { <li><strong>{s.label()}</strong> {format!(" had handled up to #{at} of #{head}")}</li> }
                })
                .collect_view();
            let at = e.as_ref().map_or(0, |e| e.position(Subscriber::CustomerView.name()));
            (list, timeline::view_at("customer view", Some(at), head))
        });
        let (docs, error) = then.with(|t| match t {
            Some(Ok(v)) => (Some(customer_view(&v.customer_view.1)), None),
            Some(Err(e)) => (None, Some(e.clone())),
            None => (None, None),
        });
        view! {
            <h2 id="then-title">{title}</h2>
            <p class="hint">
                {format!("Aggregates folded from the events up to #{head}; each view as of its own checkpoint then.")}
            </p>
            {aggregates(&model(), "(folded from their events)")}
            <h3>"Checkpoints"</h3>
            <ul class="plain" data-testid="checkpoints-then">{checkpoints}</ul>
            <h3>"Customer view (query side)"</h3>
            <p class="lag" data-testid="view-then">{view_at}</p>
            {super::as_of::store_kind(foldlab_domain::CustomerViewProjection::NAME)}
            <div class="docs">{docs}</div>
            {error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
        }
    };

    view! {
        <div class="choreo-page">
            <section class="panel" aria-labelledby="choreo-page-title">
                <h2 id="choreo-page-title">"Choreography, step by step"</h2>
                <p class="hint">
                    {super::choreography::CHOREOGRAPHY_RULE}
                </p>
                <details class="more">
                    <summary>"More"</summary>
                    <p>
                        "You send a command to one aggregate; the event store hands each stored event to the services that subscribe to it, one delivery at a time; each stores new events in turn. These steps form a saga: local transactions linked by events. The saga is named in the companion article “CQRS + Event Sourcing — microservice patterns” (Eventual Consistency & Distributed Transactions). The query side follows the same events, behind. The one call across services is a lookup: placing an order first asks the Customer service's API whether the customer exists."
                    </p>
                </details>
                <div class="step-now" aria-live="polite" data-testid="step-now">
                    <p class="step-title">
                        {move || {
                            let total = steps.get().last;
                            let now = if is_now() { " (now)" } else { "" };
                            format!("Step {} of {total}{now}", step.get())
                        }}
                    </p>
                    <p class="step-sentence" data-testid="step-sentence">{sentence}</p>
                </div>
                {past_note}
                <Transport back forward can_back can_forward busy forward_hint playing speed />
                {move || note.get().map(|n| view! { <p class="note" role="status">{n}</p> })}
                {move || lab.step_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="timeline">
                    <label for="choreo-timeline">"Timeline"</label>
                    <input
                        id="choreo-timeline"
                        type="range"
                        min=move || steps.get().first
                        max=move || steps.get().last
                        prop:value=move || step.get().to_string()
                        aria-valuetext=move || format!("Step {} of {}", step.get(), steps.get().last)
                        on:input=move |ev| {
                            playing.set(false);
                            cursor.set(Some(event_target_value(&ev)));
                        }
                    />
                </div>
                <h3 id="lanes-title">"Lanes"</h3>
                <div class="lanes" role="region" aria-labelledby="lanes-title">
                    {lane_heads()}
                    <ol class="lane-rows" data-testid="lanes">{lanes}</ol>
                </div>
                <details class="steps-list" open>
                    <summary>"Every step (jump to one)"</summary>
                    <ol class="plain" data-testid="timeline-list">{timeline_list}</ol>
                </details>
            </section>
            <section class="panel then" aria-labelledby="then-title" data-testid="then">
                {then_panel}
            </section>
        </div>
    }
}

fn ids(stored: &[u64]) -> String {
    let list: Vec<String> = stored.iter().map(|id| format!("#{id}")).collect();
    list.join(", ")
}
