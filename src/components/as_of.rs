//! What the lab held at a past moment, drawn the same way on the choreography and time-travel
//! pages: the aggregates folded from a prefix of the log, each checkpoint, and the views.

use super::command_side::StatusBadge;
use foldlab_domain::{
    CustomerViews, LowCreditLimits, NewCustomersWithHighValueOrders, OrderHistories, OrderState,
    WriteModel,
};
use leptos::prelude::*;

/// The orders and customers of `model`, as two tables.
pub fn aggregates(model: &WriteModel, caption_suffix: &str) -> impl IntoView {
    let orders = model
        .order_order
        .iter()
        .filter_map(|id| match model.orders.get(id) {
            Some(OrderState::Placed(order)) => Some(view! {
                <tr>
                    <td><code>{id.to_string()}</code></td>
                    <td><code>{order.customer_id.to_string()}</code></td>
                    <td class="num">{order.total.to_string()}</td>
                    <td><StatusBadge status=order.status /></td>
                </tr>
            }),
            _ => None,
        })
        .collect_view();
    let customers = model
        .customer_order
        .iter()
        .filter_map(|id| {
            let state = model.customers.get(id)?;
            let c = state.customer()?;
            let deleted = state.is_deleted();
            Some(view! {
                <tr>
                    <td>{c.name.clone()} " " <code>{id.to_string()}</code> {deleted.then_some(" (deleted)")}</td>
                    <td class="num">{c.credit_limit.to_string()}</td>
                    <td class="num">{c.reserved().to_string()}</td>
                    <td class="num">{c.available_credit().to_string()}</td>
                </tr>
            })
        })
        .collect_view();
    let empty = model.order_order.is_empty() && model.customer_order.is_empty();
    view! {
        <table class="grid" data-testid="orders-then">
            <caption>{format!("Orders {caption_suffix}")}</caption>
            <thead><tr><th scope="col">"Order"</th><th scope="col">"Customer"</th><th scope="col" class="num">"Total"</th><th scope="col">"Status"</th></tr></thead>
            <tbody>{orders}</tbody>
        </table>
        <table class="grid" data-testid="customers-then">
            <caption>{format!("Customers {caption_suffix}")}</caption>
            <thead><tr><th scope="col">"Customer"</th><th scope="col" class="num">"Credit limit"</th><th scope="col" class="num">"Reserved"</th><th scope="col" class="num">"Available"</th></tr></thead>
            <tbody>{customers}</tbody>
        </table>
        {empty.then(|| view! { <p class="empty">"No aggregate existed yet."</p> })}
    }
}

/// The customer view's documents.
pub fn customer_view(view: &CustomerViews) -> impl IntoView {
    let docs = view
        .customers
        .values()
        .map(|c| {
            let orders = c
                .recent_orders
                .iter()
                .map(|o| {
                    view! {
                        <li>
                            <code>{o.order_id.to_string()}</code> " "
                            <span class="num">{o.total.to_string()}</span> " "
                            <StatusBadge status=o.status />
                        </li>
                    }
                })
                .collect_view();
            view! {
                <article class="doc" aria-label=format!("Customer view of {} then", c.name)>
                    <h4>{c.name.clone()} " " <code>{c.customer_id.to_string()}</code></h4>
                    <p>"Available credit " <span class="num">{c.available_credit.to_string()}</span> " of " <span class="num">{c.credit_limit.to_string()}</span></p>
                    <ul class="recent">{orders}</ul>
                </article>
            }
        })
        .collect_view();
    let empty = view
        .customers
        .is_empty()
        .then(|| view! { <p class="empty">"The view held no customers."</p> });
    view! { {docs} {empty} }
}

/// Each customer's orders with every status they went through.
pub fn order_history(view: &OrderHistories) -> impl IntoView {
    let rows = view
        .customers
        .iter()
        .flat_map(|(customer, orders)| orders.iter().map(move |o| (customer.clone(), o.clone())))
        .map(|(customer, o)| {
            let path: Vec<String> = o
                .changes
                .iter()
                .map(|c| format!("{} (#{})", c.status, c.event_id))
                .collect();
            view! {
                <li>
                    <code>{o.order_id.to_string()}</code> " of " <code>{customer.to_string()}</code> ", "
                    <span class="num">{o.total.to_string()}</span> ": " {path.join(" → ")}
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="plain">{rows}</ul>
        {view.customers.is_empty().then(|| view! { <p class="empty">"No order yet."</p> })}
    }
}

/// The customers below the low-credit threshold.
pub fn low_credit(view: &LowCreditLimits) -> impl IntoView {
    let found = view.customers();
    let empty = found.is_empty();
    let rows = found
        .into_iter()
        .map(|c| view! { <li>{c.name.clone()} " " <code>{c.customer_id.to_string()}</code> ": limit " <span class="num">{c.credit_limit.to_string()}</span></li> })
        .collect_view();
    view! {
        <ul class="plain">{rows}</ul>
        {empty.then(|| view! { <p class="empty">{format!("No customer with a limit below {}.", view.threshold)}</p> })}
    }
}

/// Each order of a new customer whose own total is over the threshold, one row per order.
pub fn new_customers(view: &NewCustomersWithHighValueOrders) -> impl IntoView {
    let found = view.high_value_orders();
    let empty = found.is_empty();
    let rows = found
        .into_iter()
        .map(|row| view! {
            <li>
                {row.customer.name.clone()} " " <code>{row.customer.customer_id.to_string()}</code>
                ": order " <code>{row.order_id.to_string()}</code> " of " <span class="num">{row.total.to_string()}</span>
            </li>
        })
        .collect_view();
    view! {
        <details class="more">
            <summary>"What it lists"</summary>
            <p class="hint">
                {format!(
                    "Each order over {} placed by a new customer (created within the last {} events), one row per order; orders are not added up.",
                    view.threshold, view.window
                )}
            </p>
        </details>
        <ul class="plain">{rows}</ul>
        {empty.then(|| view! { <p class="empty">{format!("No new customer has an order over {}.", view.threshold)}</p> })}
    }
}

/// Where the view named `name` would live outside the browser (Part 2, Using CQRS, Table 1).
pub fn store_kind(name: &str) -> impl IntoView {
    foldlab_domain::projection::store_kind(name)
        .map(|kind| view! { <p class="hint store-kind" data-testid="store-kind">{kind}</p> })
}
