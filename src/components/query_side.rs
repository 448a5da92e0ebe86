//! The query side: the customer view, a materialized view built only from events, asynchronously,
//! and so behind the event store until its deliveries run.

use super::command_side::StatusBadge;
use super::marks::{view_cells, MoneyCell};
use crate::lab::{Lab, Readout};
use foldlab_domain::CustomerView;
use foldlab_engine::Subscriber;
use foldlab_lab::counted;
use leptos::prelude::*;

/// The customer view and its lag.
#[component]
pub fn QuerySide() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let lag = move || {
        lab.readout.with(|s| {
            let head = s.head();
            let at = s
                .positions
                .iter()
                .find(|(sub, _)| *sub == Subscriber::CustomerView)
                .map_or(0, |(_, p)| *p);
            let behind = head.saturating_sub(at);
            if head == 0 {
                "Up to date: there are no events yet.".to_string()
            } else if behind == 0 {
                format!("Up to date: applied every event up to #{head}.")
            } else if at == 0 {
                format!(
                    "Lagging: none of the {} applied yet.",
                    counted(head, "event", "events")
                )
            } else {
                format!("Lagging: applied events up to #{at} of #{head}.")
            }
        })
    };
    let cells = view_cells(lab);
    let documents_note = move || {
        lab.readout.with(|s| {
            let total = s.view.customers.len();
            (total > SHOWN_DOCUMENTS).then(|| {
                format!(
                    "Showing the documents of the newest {SHOWN_DOCUMENTS} of {} customers.",
                    crate::lab::snapshots::group(total as u64)
                )
            })
        })
    };
    // Keyed by everything a card shows: after a command only the documents that changed are drawn
    // again.
    let cards = move || {
        let marks = cells.get();
        lab.readout.with(|s| {
            shown_documents(s)
                .into_iter()
                .map(|c| {
                    let id = c.customer_id.to_string();
                    Card {
                        limit: MoneyCell::of(&marks, &id, "limit", c.credit_limit.to_string()),
                        available: MoneyCell::of(
                            &marks,
                            &id,
                            "available",
                            c.available_credit.to_string(),
                        ),
                        name: c.name.clone(),
                        orders: c
                            .recent_orders
                            .iter()
                            .map(|o| (o.order_id.to_string(), o.total.to_string(), o.status))
                            .collect(),
                        id,
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="panel query" aria-labelledby="query-title">
            <h2 id="query-title">"Query side: customer view"</h2>
            <div class="said">
            <p class="hint">"One document per customer, built only from events, so it can lag behind."</p>
            <details class="more">
                <summary>"More"</summary>
                <p>
                    "It joins two services' data. No one service can query it, and the event store, which looks events up by aggregate, does not answer it simply or efficiently. It is kept up to date by subscribing to their events; until its deliveries run, it shows what was true before."
                </p>
                {super::as_of::store_kind(foldlab_domain::CustomerViewProjection::NAME)}
            </details>
            </div>
            <p class="lag" data-testid="view-lag" aria-live="polite">{lag}</p>
            {move || documents_note().map(|text| view! { <p class="hint" data-testid="customer-view-note">{text}</p> })}
            <div class="docs" data-testid="customer-view">
                <For each=cards key=|card| card.clone() let(card)>
                    <article class="doc" aria-label=format!("Customer view of {}", card.name)>
                        <h3>{card.name.clone()} " " <code>{card.id}</code></h3>
                        <dl>
                            <dt>"Credit limit"</dt>
                            <dd class="num">{card.limit.view()}</dd>
                            <dt>"Available credit"</dt>
                            <dd class="num">{card.available.view()}</dd>
                        </dl>
                        <h4>"Recent orders"</h4>
                        <ul class="recent">
                            {card
                                .orders
                                .into_iter()
                                .map(|(id, total, status)| {
                                    view! {
                                        <li>
                                            <code>{id}</code>
                                            " "
                                            <span class="num">{total}</span>
                                            " "
                                            <StatusBadge status=status />
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </article>
                </For>
                <Show when=move || lab.readout.with(|s| s.view.customers.is_empty())>
                    <p class="empty">"The view holds no customers yet."</p>
                </Show>
            </div>
        </section>
    }
}

/// One customer document as the stage shows it: everything in it, so it doubles as its key.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Card {
    id: String,
    name: String,
    limit: MoneyCell,
    available: MoneyCell,
    orders: Vec<(String, String, foldlab_domain::OrderStatus)>,
}

/// How many customer documents the stage shows: each is a card with its recent orders, so a lab
/// with hundreds of customers would otherwise draw thousands of elements after every command.
const SHOWN_DOCUMENTS: usize = 20;

/// The documents the stage shows: all of them, or when there are more than [`SHOWN_DOCUMENTS`],
/// those of the newest customers (in the order the command side created them).
fn shown_documents(s: &Readout) -> Vec<&CustomerView> {
    if s.view.customers.len() <= SHOWN_DOCUMENTS {
        return s.view.customers.values().collect();
    }
    let mut newest: Vec<&CustomerView> = s
        .model
        .customer_order
        .iter()
        .rev()
        .filter_map(|id| s.view.customers.get(id))
        .take(SHOWN_DOCUMENTS)
        .collect();
    newest.reverse();
    newest
}
