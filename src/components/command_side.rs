//! The command side: forms that send one command to one aggregate, and the aggregates' current
//! state folded from their events.

use crate::lab::Lab;
use foldlab_domain::{CustomerState, OrderState, OrderStatus};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Forms and the aggregates' state.
#[component]
pub fn CommandSide() -> impl IntoView {
    view! {
        <section class="panel command" aria-labelledby="command-title">
            <h2 id="command-title">"Command side"</h2>
            <p class="hint">
                "Each form sends one command to one aggregate, which decides and appends its events in one transaction."
            </p>
            <CreateCustomer />
            <PlaceOrder />
            <Customers />
            <Orders />
        </section>
    }
}

/// A form's outcome: what was stored, or why nothing was.
#[derive(Clone, PartialEq)]
enum Feedback {
    Stored(String),
    Refused(String),
}

/// Empties a field after its command was stored, unless the person has typed something new while
/// the command ran: that must not be wiped.
fn clear_if_unchanged(field: RwSignal<String>, sent: &str) {
    if field.get_untracked() == sent {
        field.set(String::new());
    }
}

fn feedback_view(feedback: RwSignal<Option<Feedback>>) -> impl IntoView {
    move || {
        feedback.get().map(|f| match f {
            Feedback::Stored(text) => view! { <p class="ok" role="status">{text}</p> }.into_any(),
            Feedback::Refused(text) => {
                view! { <p class="error" role="alert">{text}</p> }.into_any()
            }
        })
    }
}

#[component]
fn CreateCustomer() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let name = RwSignal::new(String::new());
    let limit = RwSignal::new(String::new());
    let feedback = RwSignal::new(None::<Feedback>);
    let answered = RwSignal::new(0u32);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (sent_name, sent_limit) = (name.get_untracked(), limit.get_untracked());
        spawn_local(async move {
            match lab
                .create_customer(sent_name.clone(), sent_limit.clone())
                .await
            {
                Ok(text) => {
                    clear_if_unchanged(name, &sent_name);
                    clear_if_unchanged(limit, &sent_limit);
                    feedback.set(Some(Feedback::Stored(text)));
                }
                // What was typed stays in the form, so it can be corrected.
                Err(text) => feedback.set(Some(Feedback::Refused(text))),
            }
            answered.update(|n| *n += 1);
        });
    };
    view! {
        <form class="card" on:submit=submit aria-labelledby="create-customer-title" novalidate data-answered=answered>
            <h3 id="create-customer-title">"Create a customer"</h3>
            <label>
                "Name"
                <input type="text" autocomplete="off" maxlength="200" prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <label>
                "Credit limit ($)"
                <input type="text" inputmode="decimal" autocomplete="off" placeholder="1000" prop:value=limit on:input=move |ev| limit.set(event_target_value(&ev)) />
            </label>
            <button type="submit" disabled=move || lab.busy.get()>"Create customer"</button>
            {feedback_view(feedback)}
        </form>
    }
}

#[component]
fn PlaceOrder() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let customer = RwSignal::new(String::new());
    let total = RwSignal::new(String::new());
    let feedback = RwSignal::new(None::<Feedback>);
    let customers = move || {
        lab.snapshot.with(|s| {
            s.model
                .customer_order
                .iter()
                .filter_map(|id| match s.model.customers.get(id) {
                    Some(CustomerState::Active(c)) => Some((id.to_string(), c.name.clone())),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    };
    // Preselect the newest customer when none is chosen, or when the chosen one is gone (reset).
    Effect::new(move |_| {
        let list = customers();
        let chosen = customer.get();
        if !list.iter().any(|(id, _)| *id == chosen) {
            let newest = list.last().map(|(id, _)| id.clone()).unwrap_or_default();
            // Setting a signal wakes this effect again: only set a value that differs.
            if newest != chosen {
                customer.set(newest);
            }
        }
    });
    let answered = RwSignal::new(0u32);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let sent_total = total.get_untracked();
        spawn_local(async move {
            match lab
                .place_order(customer.get_untracked(), sent_total.clone())
                .await
            {
                Ok(text) => {
                    clear_if_unchanged(total, &sent_total);
                    feedback.set(Some(Feedback::Stored(text)));
                }
                Err(text) => feedback.set(Some(Feedback::Refused(text))),
            }
            answered.update(|n| *n += 1);
        });
    };
    view! {
        <form class="card" on:submit=submit aria-labelledby="place-order-title" novalidate data-answered=answered>
            <h3 id="place-order-title">"Place an order"</h3>
            <label>
                "Customer"
                <select prop:value=customer on:change=move |ev| customer.set(event_target_value(&ev))>
                    <Show when=move || customers().is_empty()>
                        <option value="">"No customers yet"</option>
                    </Show>
                    <For each=customers key=|(id, name)| (id.clone(), name.clone()) let:entry>
                        <option value=entry.0.clone() selected=move || customer.get() == entry.0>
                            {format!("{} ({})", entry.1, entry.0)}
                        </option>
                    </For>
                </select>
            </label>
            <label>
                "Order total ($)"
                <input type="text" inputmode="decimal" autocomplete="off" placeholder="250" prop:value=total on:input=move |ev| total.set(event_target_value(&ev)) />
            </label>
            <button type="submit" disabled=move || lab.busy.get()>"Place order"</button>
            {feedback_view(feedback)}
        </form>
    }
}

#[component]
fn Customers() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let rows = move || {
        lab.snapshot.with(|s| {
            s.model
                .customer_order
                .iter()
                .filter_map(|id| {
                    s.model
                        .customers
                        .get(id)
                        .and_then(|c| c.customer())
                        .map(|c| (id.clone(), c.clone()))
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <table class="grid" aria-labelledby="customers-title">
            <caption id="customers-title">"Customers (folded from their events)"</caption>
            <thead>
                <tr><th scope="col">"Customer"</th><th scope="col">"Credit limit"</th><th scope="col">"Reserved"</th><th scope="col">"Available"</th></tr>
            </thead>
            <tbody>
                {move || {
                    rows()
                        .into_iter()
                        .map(|(id, c)| {
                            view! {
                                <tr>
                                    <td>{c.name.clone()} " " <code>{id.to_string()}</code></td>
                                    <td class="num">{c.credit_limit.to_string()}</td>
                                    <td class="num">{c.reserved().to_string()}</td>
                                    <td class="num">{c.available_credit().to_string()}</td>
                                </tr>
                            }
                        })
                        .collect_view()
                }}
            </tbody>
        </table>
    }
}

#[component]
fn Orders() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let rows = move || {
        lab.snapshot.with(|s| {
            s.model
                .order_order
                .iter()
                .filter_map(|id| match s.model.orders.get(id) {
                    Some(OrderState::Placed(order)) => Some((
                        id.to_string(),
                        s.customer_name(&order.customer_id),
                        order.clone(),
                    )),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <table class="grid" aria-labelledby="orders-title" data-testid="orders">
            <caption id="orders-title">"Orders (folded from their events)"</caption>
            <thead>
                <tr><th scope="col">"Order"</th><th scope="col">"Customer"</th><th scope="col">"Total"</th><th scope="col">"Status"</th></tr>
            </thead>
            <tbody>
                {move || {
                    rows()
                        .into_iter()
                        .map(|(id, customer, order)| {
                            view! {
                                <tr>
                                    <td><code>{id}</code></td>
                                    <td>{customer}</td>
                                    <td class="num">{order.total.to_string()}</td>
                                    <td><StatusBadge status=order.status /></td>
                                </tr>
                            }
                        })
                        .collect_view()
                }}
            </tbody>
        </table>
    }
}

/// An order status as a coloured word.
#[component]
pub fn StatusBadge(status: OrderStatus) -> impl IntoView {
    let class = match status {
        OrderStatus::New => "badge new",
        OrderStatus::Approved => "badge approved",
        OrderStatus::Cancelled => "badge cancelled",
        OrderStatus::Shipped => "badge shipped",
    };
    view! { <span class=class>{status.to_string()}</span> }
}
