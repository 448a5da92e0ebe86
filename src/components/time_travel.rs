//! Time travel: one slider over the global log. At each position, every aggregate is folded from the
//! events up to it, and every view is shown as it stood while the log was there — as of its own
//! checkpoint at that moment, read from the journal, so a view that lagged is shown lagging.

use super::as_of::{
    aggregates, customer_view, low_credit, new_customers, order_history, store_kind,
};
use super::transport::{Transport, SPEEDS};
use crate::address::keep_query;
use crate::lab::as_of::{model_at, views_at};
use crate::lab::Lab;
use foldlab_domain::{
    CustomerViewProjection, LowCreditLimitProjection, NewCustomersProjection,
    OrderHistoryProjection,
};
use foldlab_lab::timeline::{requested_position, view_at};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

/// The time-travel page.
#[component]
pub fn TimeTravel() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let navigate = use_navigate();
    let query = use_query_map();
    let requested = RwSignal::new(query.with_untracked(|q| q.get("at")));
    let playing = RwSignal::new(false);
    let speed = RwSignal::new(SPEEDS[1].1);
    let loaded = move || {
        matches!(lab.status.get(), crate::lab::StoreStatus::Ready { .. }) && !lab.busy.get()
    };

    let head = Memo::new(move |_| lab.readout.with(|s| s.head()));
    let position = Memo::new(move |_| requested_position(requested.get().as_deref(), head.get()));
    let model = move || lab.readout.with(|s| model_at(&s.events, position.get()));

    // The URL keeps the position (once the log is read, so the request is not clamped to 0 first).
    Effect::new(move |_| {
        if !loaded() {
            return;
        }
        keep_query(
            &navigate,
            "/time-travel",
            &format!("?at={}", position.get()),
        );
    });

    // Every view as it stood while the log was at the position, as of its own checkpoint then.
    let then = Memo::new(move |_| {
        lab.status.track();
        let engine = lab.engine()?;
        let at = position.get();
        Some(lab.journal.with(|entries| {
            lab.readout
                .with(|s| views_at(engine.query_side(), &s.events, entries, at))
        }))
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
                        {store_kind(CustomerViewProjection::NAME)}
                        {customer_view(&v.customer_view.1)}
                    </article>
                    <article class="doc view-then" data-testid="tt-order-history" aria-label="Order history">
                        <h3>"Order history"</h3>
                        <p class="lag">{view_at("order history", v.order_history.0, at)}</p>
                        {store_kind(OrderHistoryProjection::NAME)}
                        {order_history(&v.order_history.1)}
                    </article>
                    <article class="doc view-then" data-testid="tt-low-credit" aria-label="Customers with a low credit limit">
                        <h3>"Customers with a low credit limit"</h3>
                        <p class="lag">{view_at("low-credit list", v.low_credit.0, at)}</p>
                        {store_kind(LowCreditLimitProjection::NAME)}
                        {low_credit(&v.low_credit.1)}
                    </article>
                    <article class="doc view-then" data-testid="tt-new-customers" aria-label="New customers with high value orders">
                        <h3>"New customers with high value orders"</h3>
                        <p class="lag">{view_at("new-customers list", v.new_customers.0, at)}</p>
                        {store_kind(NewCustomersProjection::NAME)}
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
                    "The event store keeps every event, so any past moment can be rebuilt: an aggregate as of a position is the fold of its events up to there. A view as of a position shows what it held then — as of its own checkpoint at that moment, so a view that lagged is shown lagging. Moving the slider writes nothing."
                </p>
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
                <p class="event-here" data-testid="event-here">
                    {move || event_here().unwrap_or_else(|| "Position 0: before the first event.".to_string())}
                </p>
                {move || (position.get() < head.get()).then(|| view! {
                    <p class="past-note" role="status">
                        {format!("You are looking at the past: the store holds events up to #{}, and none was deleted. ", head.get())}
                        <button class="quiet" on:click=move |_| { playing.set(false); requested.set(None) }>"Back to now"</button>
                    </p>
                })}
                <Transport back forward can_back busy forward_hint playing speed />
            </section>
            <section class="panel" aria-labelledby="tt-aggregates">
                <h2 id="tt-aggregates">{move || format!("Aggregates as of #{}", position.get())}</h2>
                {move || aggregates(&model(), &format!("as of #{}", position.get()))}
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
