//! Time travel: one slider over the global log, and a strip of the events around it with the
//! current one marked. At each position, "What #N changed" says which aggregate the event belongs
//! to, which of its fields it changed, and which views it changes; every aggregate is folded from
//! the events up to the position, and every view is shown as it stood while the log was there — as
//! of its own checkpoint at that moment, read from the journal (at "now", the live checkpoints),
//! so a view that lagged is shown lagging.

use super::as_of::{
    aggregates, customer_view, low_credit, new_customers, order_history, store_kind,
};
use super::transport::{Transport, SPEEDS};
use crate::address::{keep_query, query};
use crate::lab::as_of::{model_at, views_at, views_now};
use crate::lab::projections::{Projections, LATE_PROJECTION};
use crate::lab::Lab;
use foldlab_domain::{
    CustomerViewProjection, EventEnvelope, LowCreditLimitProjection, NewCustomersProjection,
    OrderHistoryProjection,
};
use foldlab_lab::changed::{what_changed, Changed};
use foldlab_lab::timeline::{requested_position, strip, view_at};
use leptos::prelude::*;

/// How many marks the strip shows at most.
const MARKS: u64 = 41;

/// The time-travel page.
#[component]
pub fn TimeTravel() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let projections = expect_context::<Projections>();
    let requested = RwSignal::new(query("at"));
    let playing = RwSignal::new(false);
    let speed = RwSignal::new(SPEEDS[1].1);
    let loaded = move || {
        matches!(lab.status.get(), crate::lab::StoreStatus::Ready { .. }) && !lab.busy.get()
    };

    let head = Memo::new(move |_| lab.readout.with(|s| s.head()));
    let position = Memo::new(move |_| requested_position(requested.get().as_deref(), head.get()));
    // At "now" there is nothing further to travel to.
    let can_forward = Signal::derive(move || position.get() < head.get());
    let model = move || lab.readout.with(|s| model_at(&s.events, position.get()));

    // The URL keeps the position (once the log is read, so the request is not clamped to 0 first).
    Effect::new(move |_| {
        if !loaded() {
            return;
        }
        keep_query("/time-travel", &format!("?at={}", position.get()));
    });

    // The projections' live checkpoints, by name (what the views hold now).
    let live = Memo::new(move |_| {
        projections.state.with(|s| {
            s.statuses
                .iter()
                .map(|st| (st.name.clone(), st.lag.position))
                .collect::<Vec<_>>()
        })
    });

    // Every view as it stood while the log was at the position, as of its own checkpoint then; at
    // the head, as of its checkpoint now.
    let then = Memo::new(move |_| {
        lab.status.track();
        let engine = lab.engine()?;
        let at = position.get();
        let now = at >= head.get();
        Some(lab.readout.with(|s| {
            live.with(|live| {
                if now && !live.is_empty() {
                    views_now(engine.query_side(), &s.events, live)
                } else {
                    lab.journal
                        .with(|entries| views_at(engine.query_side(), &s.events, entries, at))
                }
            })
        }))
    });

    // What the event at the position changed.
    let changed = Memo::new(move |_| {
        lab.status.track();
        let engine = lab.engine()?;
        let at = position.get();
        Some(
            lab.readout
                .with(|s| what_changed(engine.query_side(), &s.events, at))
                .map_err(|e| format!("What #{at} changed cannot be told: {e}")),
        )
    });

    let go = Callback::new(move |at: u64| {
        playing.set(false);
        requested.set(Some(at.min(head.get_untracked()).to_string()));
    });
    let forward = Callback::new(move |_: ()| {
        let (at, end) = (position.get_untracked(), head.get_untracked());
        if at < end {
            requested.set(Some((at + 1).to_string()));
        } else {
            playing.set(false);
        }
    });
    let back = Callback::new(move |_: ()| {
        let at = position.get_untracked();
        if at > 0 {
            requested.set(Some((at - 1).to_string()));
        }
    });
    let can_back = Signal::derive(move || position.get() > 0);
    let busy = Signal::derive(move || !loaded());
    let forward_hint = Signal::derive(move || {
        if position.get() >= head.get() {
            "At the head of the log: this is now.".to_string()
        } else {
            format!(
                "Step forward moves to #{}; nothing is written.",
                position.get() + 1
            )
        }
    });

    let event_here = move || {
        let at = position.get();
        lab.readout.with(|s| {
            s.events.iter().find(|e| e.event_id == at).map(|e| {
                format!(
                    "#{at} is {} on {} {}.",
                    e.event_type, e.entity_type, e.entity_id
                )
            })
        })
    };

    // One closure for the four views: they change together with the position.
    let views_panel = move || {
        let at = position.get();
        then.with(|t| {
            let error = match t {
                Some(Err(e)) => Some(view! { <p class="error" role="alert">{e.clone()}</p> }),
                _ => None,
            };
            let panels = match t {
                Some(Ok(v)) => Some(view! {
                    <article class="doc view-then" data-testid="tt-customer-view" aria-label="Customer view">
                        <h3>"Customer view"</h3>
                        <p class="lag">{view_at("customer view", v.customer_view.0, at)}</p>
                        {where_it_lives(CustomerViewProjection::NAME)}
                        {customer_view(&v.customer_view.1)}
                    </article>
                    <article class="doc view-then" data-testid="tt-order-history" aria-label="Order history">
                        <h3>"Order history"</h3>
                        <p class="lag">{view_at("order history", v.order_history.0, at)}</p>
                        {where_it_lives(OrderHistoryProjection::NAME)}
                        {order_history(&v.order_history.1)}
                    </article>
                    <article class="doc view-then" data-testid="tt-low-credit" aria-label="Customers with a low credit limit">
                        <h3>"Customers with a low credit limit"</h3>
                        <p class="lag">{view_at("low-credit list", v.low_credit.0, at)}</p>
                        {where_it_lives(LowCreditLimitProjection::NAME)}
                        {low_credit(&v.low_credit.1)}
                    </article>
                    <article class="doc view-then" data-testid="tt-new-customers" aria-label="New customers with high value orders">
                        <h3>"New customers with high value orders"</h3>
                        <p class="lag">
                            {if projections.is_added(LATE_PROJECTION) {
                                view_at("new-customers list", v.new_customers.0, at)
                            } else {
                                "Not running yet: add it on the Projections page.".to_string()
                            }}
                        </p>
                        {where_it_lives(NewCustomersProjection::NAME)}
                        {new_customers(&v.new_customers.1)}
                    </article>
                }),
                _ => None,
            };
            view! { {panels} {error} }
        })
    };

    view! {
        <div class="time-travel">
            <section class="panel" aria-labelledby="tt-title">
                <h2 id="tt-title">"Time travel"</h2>
                <p class="hint">
                    "The event store keeps every event, so any past moment can be rebuilt; moving the slider writes nothing."
                </p>
                <details class="more">
                    <summary>"What is shown at a position"</summary>
                    <p>
                        "An aggregate as of a position is the fold of its events up to there. A view as of a position shows what it held then — as of its own checkpoint at that moment, so a view that lagged is shown lagging."
                    </p>
                </details>
                <div class="timeline big">
                    <label for="tt-slider">"Log position"</label>
                    <input
                        id="tt-slider"
                        type="range"
                        min="0"
                        max=move || head.get()
                        prop:value=move || position.get().to_string()
                        aria-valuetext=move || format!("#{} of #{}", position.get(), head.get())
                        on:input=move |ev| {
                            playing.set(false);
                            requested.set(Some(event_target_value(&ev)));
                        }
                    />
                    <output for="tt-slider" data-testid="position" aria-live="polite">
                        {move || format!("#{} of #{}", position.get(), head.get())}
                    </output>
                </div>
                <Strip position head go />
                <p class="event-here" data-testid="event-here">
                    {move || event_here().unwrap_or_else(|| "Position 0: before the first event.".to_string())}
                </p>
                {move || (position.get() < head.get()).then(|| view! {
                    <p class="past-note" role="status">
                        {format!("You are looking at the past: the store holds events up to #{}, and none was deleted. ", head.get())}
                        <button class="quiet" on:click=move |_| { playing.set(false); requested.set(None) }>"Back to now"</button>
                    </p>
                })}
                <Transport back forward can_back can_forward busy forward_hint playing speed />
            </section>
            <section class="panel tt-changed" aria-labelledby="tt-changed-title" data-testid="what-changed">
                <h2 id="tt-changed-title">{move || format!("What #{} changed", position.get())}</h2>
                {move || changed.with(|c| match c {
                    Some(Ok(Some(c))) => what_changed_view(c).into_any(),
                    Some(Err(e)) => view! { <p class="error" role="alert">{e.clone()}</p> }.into_any(),
                    _ => view! { <p class="empty">"Nothing yet: at #0 the log is empty."</p> }.into_any(),
                })}
            </section>
            <section class="panel" aria-labelledby="tt-aggregates">
                <h2 id="tt-aggregates">{move || format!("Aggregates as of #{}", position.get())}</h2>
                <div class="tt-scroll">{move || aggregates(&model(), &format!("as of #{}", position.get()))}</div>
            </section>
            <section class="panel" aria-labelledby="tt-views">
                <h2 id="tt-views">{move || format!("Views while the log stood at #{}", position.get())}</h2>
                <div class="docs views-then">
                    {views_panel}
                </div>
            </section>
        </div>
    }
}

/// Where a view would live outside the browser, behind a disclosure.
fn where_it_lives(name: &str) -> impl IntoView {
    view! {
        <details class="more">
            <summary>"Where it would live"</summary>
            {store_kind(name)}
        </details>
    }
}

/// The events around the position, one mark each, the current one marked. A mark is a button;
/// only the current one is in the tab order, and the arrow keys, Home and End move along the
/// strip (the page's own ← → shortcuts do the same from anywhere).
#[component]
fn Strip(position: Memo<u64>, head: Memo<u64>, go: Callback<u64>) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let strip_ref = NodeRef::<leptos::html::Ol>::new();
    let marks = move || {
        let range = strip(position.get(), head.get(), MARKS);
        lab.readout.with(|s| {
            range
                .map(|at| {
                    let event = s
                        .events
                        .binary_search_by_key(&at, |e| e.event_id)
                        .ok()
                        .map(|i| &s.events[i]);
                    (at, event.map(mark_of))
                })
                .collect::<Vec<_>>()
        })
    };
    // Keeps keyboard focus on the current mark when the keys moved it.
    let focus_current = move || {
        request_animation_frame(move || {
            if let Some(list) = strip_ref.get_untracked() {
                if let Ok(Some(current)) = list.query_selector("[aria-current]") {
                    use wasm_bindgen::JsCast;
                    if let Ok(el) = current.dyn_into::<web_sys::HtmlElement>() {
                        let _ = el.focus();
                        el.scroll_into_view_with_bool(false);
                    }
                }
            }
        });
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let (at, end) = (position.get_untracked(), head.get_untracked());
        let to = match ev.key().as_str() {
            "ArrowLeft" => at.saturating_sub(1),
            "ArrowRight" => (at + 1).min(end),
            "Home" => 0,
            "End" => end,
            _ => return,
        };
        ev.prevent_default();
        go.run(to);
        focus_current();
    };
    view! {
        <div class="tt-strip-box">
            <ol class="tt-strip" node_ref=strip_ref aria-label="Events around the position" on:keydown=on_key>
                {move || {
                    let current = position.get();
                    marks()
                        .into_iter()
                        .map(|(at, mark)| {
                            let is = at == current;
                            let (kind, name) = match &mark {
                                Some((kind, name)) => (*kind, name.clone()),
                                None => ("start", "before the first event".to_string()),
                            };
                            view! {
                                <li>
                                    <button
                                        class=format!("tt-mark {kind}{}", if is { " current" } else { "" })
                                        aria-current=is.then_some("step")
                                        tabindex=if is { "0" } else { "-1" }
                                        aria-label=format!("#{at}: {name}")
                                        on:click=move |_| go.run(at)
                                    >
                                        <span class="tt-bar" aria-hidden="true"></span>
                                        <span class="tt-id" aria-hidden="true">{if at == 0 { "0".to_string() } else { at.to_string() }}</span>
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
            <p class="tt-key" aria-hidden="true">
                <span class="tt-swatch customer"></span> "Customer event " <span class="tt-swatch order"></span> "Order event"
            </p>
        </div>
    }
}

/// A mark's colour class and its accessible name.
fn mark_of(event: &EventEnvelope) -> (&'static str, String) {
    let kind = if event.entity_type == "Customer" {
        "customer"
    } else {
        "order"
    };
    (
        kind,
        format!(
            "{} on {} {}",
            event.event_type, event.entity_type, event.entity_id
        ),
    )
}

/// "What #N changed": the aggregate, its fields before and after, and the views the event changes.
fn what_changed_view(c: &Changed) -> impl IntoView {
    let who = match &c.owner {
        Some(name) if c.stream.entity_type == "Customer" => {
            format!("Customer {} ({})", name, c.stream.entity_id)
        }
        Some(name) => format!("Order {} of {}", c.stream.entity_id, name),
        None => format!("{} {}", c.stream.entity_type, c.stream.entity_id),
    };
    let fields = if c.fields.is_empty() {
        view! {
            <p data-testid="changed-fields">
                "No field changed: the event records what happened, and the aggregate's state stayed as it was."
            </p>
        }
        .into_any()
    } else {
        let rows = c
            .fields
            .iter()
            .map(|f| {
                view! {
                    <tr>
                        <th scope="row">{f.field.label()}</th>
                        <td class="before">{f.before.clone()}</td>
                        <td class="arrow" aria-hidden="true">"→"</td>
                        <td class="after">{f.after.clone()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="grid changed-fields" data-testid="changed-fields">
                <caption class="visually-hidden">"Fields before and after the event"</caption>
                <thead><tr><th scope="col">"Field"</th><th scope="col">"Before"</th><th scope="col"><span class="visually-hidden">"becomes"</span></th><th scope="col">"After"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let updated = c.views_updated();
    let views = if updated.is_empty() {
        "Views it changes: none (each view only moves its checkpoint past it).".to_string()
    } else {
        format!("Views it changes: {}.", updated.join(", "))
    };
    view! {
        <p class="changed-who" data-testid="changed-who"><strong>{c.event_type.clone()}</strong> " on " {who}</p>
        {fields}
        <p data-testid="changed-views">{views}</p>
    }
}
