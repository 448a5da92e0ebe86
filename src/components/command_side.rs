//! The command side: forms that send one command to one aggregate, and the aggregates' current
//! state folded from their events.

use super::marks::{customer_cells, fresh, newest, order_statuses, MoneyCell, SHOWN_ROWS};
use crate::lab::Lab;
use foldlab_domain::{CustomerState, OrderState, OrderStatus};
use gloo_storage::{LocalStorage, Storage};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

/// The aggregates' state, each row with its commands, and (unless `forms` is false, as on the
/// stage, which has its own "Send a command" bar) the forms.
#[component]
pub fn CommandSide(#[prop(default = true)] forms: bool) -> impl IntoView {
    let feedback = RwSignal::new(None::<Feedback>);
    let answered = RwSignal::new(0u32);
    let place = NodeRef::<leptos::html::Div>::new();
    provide_context(RowFeedback {
        feedback,
        answered,
        place,
    });
    view! {
        <section class="panel command" aria-labelledby="command-title">
            <h2 id="command-title">"Command side"</h2>
            <p class="hint">"A command changes one aggregate, which stores its events in one transaction."</p>
            {forms.then(|| view! { <SendCommand /> })}
            <Customers />
            <Orders />
            <div class="table-feedback" data-testid="table-feedback" data-answered=move || answered.get() tabindex="-1" node_ref=place>
                {feedback_view(feedback)}
            </div>
        </section>
    }
}

/// "Send a command": the forms, folded away or not as the person left them last (open the first
/// time).
#[component]
pub fn SendCommand() -> impl IntoView {
    let open = !LocalStorage::get::<bool>(FOLDED_KEY).unwrap_or(false);
    view! {
        <details class="send" open=open on:toggle=|ev| remember_fold(&ev)>
            <summary>"Send a command"</summary>
            <div class="send-forms">
                <CreateCustomer />
                <PlaceOrder />
            </div>
            <details class="more">
                <summary>"More"</summary>
                <p>
                    "Placing an order first looks the customer up through the Customer service's API: a read across services, not a change. The Command side's tables are folded from each aggregate's events; their buttons send the other commands."
                </p>
            </details>
        </details>
    }
}

/// Where the "Send a command" disclosure remembers being folded.
const FOLDED_KEY: &str = "foldlab-commands-folded";

/// Saves whether the disclosure an event came from is now folded.
fn remember_fold(ev: &web_sys::Event) {
    if let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    {
        // Not being able to save only means the choice is not remembered.
        let _ = LocalStorage::set(FOLDED_KEY, !el.has_attribute("open"));
    }
}

/// What the tables' row buttons answered last: shared by every row, shown under the tables.
#[derive(Clone, Copy)]
struct RowFeedback {
    feedback: RwSignal<Option<Feedback>>,
    answered: RwSignal<u32>,
    /// Where the answer is shown: focused when the row's command took away what had focus.
    place: NodeRef<leptos::html::Div>,
}

impl RowFeedback {
    /// Shows a row command's answer. A command often takes away the button that sent it (a
    /// cancelled order has no Cancel, a deleted customer no Delete), and the page's focus with
    /// it: focus then moves to the answer, so a person at the keyboard hears what happened and
    /// goes on from the table rather than from the top of the page.
    fn show(self, result: Result<String, String>) {
        self.feedback.set(Some(match result {
            Ok(text) => Feedback::Stored(text),
            Err(text) => Feedback::Refused(text),
        }));
        self.answered.update(|n| *n += 1);
        request_animation_frame(move || {
            let Some(document) = web_sys::window().and_then(|w| w.document()) else {
                return;
            };
            let lost = match document.active_element() {
                None => true,
                Some(active) => {
                    !active.is_connected() || document.body().is_some_and(|body| *body == active)
                }
            };
            if let (true, Some(place)) = (lost, self.place.get_untracked()) {
                let _ = place.focus();
            }
        });
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
    // One list for the menu, its placeholder and the preselection, made once per change of the
    // lab (a lab may hold hundreds of customers), and passed on only when it differs: most
    // commands and deliveries leave it as it was.
    let customers = Memo::new(move |_| {
        lab.readout.with(|s| {
            s.model
                .customer_order
                .iter()
                .filter_map(|id| match s.model.customers.get(id) {
                    Some(CustomerState::Active(c)) => Some((id.to_string(), c.name.clone())),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    });
    // Preselect the newest customer when none is chosen, or when the chosen one is gone (reset).
    Effect::new(move |_| {
        let chosen = customer.get();
        let newest = customers.with(|list| {
            (!list.iter().any(|(id, _)| *id == chosen))
                .then(|| list.last().map(|(id, _)| id.clone()).unwrap_or_default())
        });
        if let Some(newest) = newest {
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
                    <Show when=move || customers.with(Vec::is_empty)>
                        <option value="">"No customers yet"</option>
                    </Show>
                    <For each=move || customers.get() key=|(id, name)| (id.clone(), name.clone()) let:entry>
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
    // Which row is asking for a new limit or confirming a delete, and the limit typed so far: kept
    // here, not in the rows, so that a row drawn again (deleted, say) does not lose them.
    let editing = RwSignal::new(None::<(String, RowMode)>);
    let limit = RwSignal::new(String::new());
    let cells = customer_cells(lab);
    let rows = Memo::new(move |_| {
        let marks = cells.get();
        lab.readout.with(|s| {
            newest(&s.model.customer_order)
                .iter()
                .filter_map(|id| {
                    let state = s.model.customers.get(id)?;
                    let c = state.customer()?;
                    let id = id.to_string();
                    let cell = |column, value: String| MoneyCell::of(&marks, &id, column, value);
                    Some(CustomerRow {
                        is_new: marks.now.change(&(id.clone(), "limit"))
                            == Some(&foldlab_lab::marks::Change::New),
                        limit: cell("limit", c.credit_limit.to_string()),
                        reserved: cell("reserved", c.reserved().to_string()),
                        available: cell("available", c.available_credit().to_string()),
                        name: c.name.clone(),
                        deleted: state.is_deleted(),
                        id,
                    })
                })
                .collect::<Vec<_>>()
        })
    });
    // A row is kept while its customer is (keyed by id, name and whether it is deleted), and only
    // its figures are drawn again: a change from another tab leaves a field being typed in, and
    // its focus, where they were.
    let keys = move || {
        rows.with(|rows| {
            rows.iter()
                .map(|row| (row.id.clone(), row.name.clone(), row.deleted))
                .collect::<Vec<_>>()
        })
    };
    let note = move || {
        lab.readout
            .with(|s| shown_note(s.model.customer_order.len(), "customers"))
    };
    view! {
        {move || note().map(|text| view! { <p class="hint" data-testid="customers-note">{text}</p> })}
        <div class="table-scroll">
        <table class="grid" aria-labelledby="customers-title" data-testid="customers">
            <caption id="customers-title">"Customers (folded from their events)"</caption>
            <thead>
                <tr><th scope="col">"Customer"</th><th scope="col">"Credit limit"</th><th scope="col">"Reserved"</th><th scope="col">"Available"</th></tr>
            </thead>
            <tbody>
                <For each=keys key=|key| key.clone() let((id, name, deleted))>
                    {
                        let actions = if deleted {
                            view! { <span class="badge cancelled">"DELETED"</span> }.into_any()
                        } else {
                            view! { <CustomerActions id=id.clone() name=name.clone() editing=editing limit=limit /> }.into_any()
                        };
                        // This row's figures, which change only when this customer's do.
                        let shown = id.clone();
                        let row = Memo::new(move |_| {
                            rows.with(|rows| rows.iter().find(|row| row.id == shown).cloned())
                        });
                        // Each figure is drawn anew when it changes, so its mark plays again.
                        let figure = move |cell: fn(CustomerRow) -> MoneyCell| move || row.get().map(|row| cell(row).view());
                        view! {
                            <tr class:deleted=deleted data-fresh=move || row.with(|row| row.as_ref().and_then(|row| fresh(row.is_new)))>
                                <td>
                                    {name} " " <code>{id}</code>
                                    <div class="actions">{actions}</div>
                                </td>
                                <td class="num">{figure(|row| row.limit)}</td>
                                <td class="num">{figure(|row| row.reserved)}</td>
                                <td class="num">{figure(|row| row.available)}</td>
                            </tr>
                        }
                    }
                </For>
            </tbody>
        </table>
        </div>
    }
}

/// One row of the customers table: everything it shows.
#[derive(Clone, PartialEq)]
struct CustomerRow {
    id: String,
    name: String,
    deleted: bool,
    is_new: bool,
    limit: MoneyCell,
    reserved: MoneyCell,
    available: MoneyCell,
}

/// One row of the orders table, likewise its own key.
#[derive(Clone, PartialEq, Eq, Hash)]
struct OrderRow {
    id: String,
    customer: String,
    total: String,
    status: OrderStatus,
    changed: bool,
}

/// What a customer row is showing: its buttons, the credit-limit field, or the delete question.
#[derive(Clone, Copy, PartialEq)]
enum RowMode {
    Buttons,
    ChangingLimit,
    ConfirmingDelete,
}

/// A customer's commands: change its credit limit, delete it (asked once, in place).
#[component]
fn CustomerActions(
    id: String,
    name: String,
    editing: RwSignal<Option<(String, RowMode)>>,
    limit: RwSignal<String>,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let answer = expect_context::<RowFeedback>();
    let row = id.clone();
    let mode = Signal::derive(move || match editing.get() {
        Some((id, mode)) if id == row => mode,
        _ => RowMode::Buttons,
    });
    let row = StoredValue::new(id.clone());
    let set_mode = move |mode: RowMode| {
        editing.set((mode != RowMode::Buttons).then(|| (row.get_value(), mode)));
    };
    let (id_limit, id_delete) = (id.clone(), id.clone());
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (id, text) = (id_limit.clone(), limit.get_untracked());
        spawn_local(async move {
            let result = lab.change_credit_limit(id, text).await;
            if result.is_ok() {
                set_mode(RowMode::Buttons);
                limit.set(String::new());
            }
            answer.show(result);
        });
    };
    let delete = move |_| {
        let id = id_delete.clone();
        spawn_local(async move {
            let result = lab.delete_customer(id).await;
            set_mode(RowMode::Buttons);
            answer.show(result);
        });
    };
    let limit_label = format!("New credit limit for {name} ($)");
    let question =
        format!("Delete {name}? The customer's events stay; a CustomerDeleted event is added.");
    view! {
        {move || match mode.get() {
            RowMode::Buttons => view! {
                <button class="small" on:click=move |_| set_mode(RowMode::ChangingLimit) disabled=move || lab.busy.get()
                    aria-label=format!("Change the credit limit of {name}")>"Change limit"</button>
                <button class="small quiet" on:click=move |_| set_mode(RowMode::ConfirmingDelete) disabled=move || lab.busy.get()
                    aria-label=format!("Delete {name}")>"Delete…"</button>
            }.into_any(),
            RowMode::ChangingLimit => view! {
                <form class="inline" on:submit=save.clone() novalidate>
                    <label>
                        <span class="visually-hidden">{limit_label.clone()}</span>
                        <input type="text" inputmode="decimal" autocomplete="off" size="8" placeholder="1000"
                            prop:value=limit on:input=move |ev| limit.set(event_target_value(&ev)) />
                    </label>
                    <button class="small" type="submit" disabled=move || lab.busy.get()>"Save limit"</button>
                    <button class="small quiet" type="button" on:click=move |_| set_mode(RowMode::Buttons)>"Keep"</button>
                </form>
            }.into_any(),
            RowMode::ConfirmingDelete => view! {
                <span role="group" aria-label="Confirm delete" class="confirm">
                    <span>{question.clone()}</span>
                    <button class="small danger" on:click=delete.clone() disabled=move || lab.busy.get()>"Yes, delete"</button>
                    <button class="small quiet" on:click=move |_| set_mode(RowMode::Buttons)>"No"</button>
                </span>
            }.into_any(),
        }}
    }
}

#[component]
fn Orders() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let statuses = order_statuses(lab);
    // Keyed by everything a row shows: after a command only the rows that changed are drawn again.
    let rows = move || {
        let marks = statuses.get();
        lab.readout.with(|s| {
            newest(&s.model.order_order)
                .iter()
                .filter_map(|id| match s.model.orders.get(id) {
                    Some(OrderState::Placed(order)) => {
                        let id = id.to_string();
                        Some(OrderRow {
                            changed: marks.now.change(&id).is_some(),
                            customer: s.customer_name(&order.customer_id),
                            total: order.total.to_string(),
                            status: order.status,
                            id,
                        })
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    };
    let note = move || {
        lab.readout
            .with(|s| shown_note(s.model.order_order.len(), "orders"))
    };
    view! {
        {move || note().map(|text| view! { <p class="hint" data-testid="orders-note">{text}</p> })}
        <div class="table-scroll">
        <table class="grid" aria-labelledby="orders-title" data-testid="orders">
            <caption id="orders-title">"Orders (folded from their events)"</caption>
            <thead>
                <tr><th scope="col">"Order"</th><th scope="col">"Customer"</th><th scope="col">"Total"</th><th scope="col">"Status"</th></tr>
            </thead>
            <tbody>
                <For each=rows key=|row| row.clone() let(row)>
                    <tr data-fresh=fresh(row.changed)>
                        <td><code>{row.id.clone()}</code></td>
                        <td>{row.customer}</td>
                        <td class="num">{row.total}</td>
                        <td>
                            <StatusBadge status=row.status />
                            <div class="actions"><OrderActions id=row.id status=row.status /></div>
                        </td>
                    </tr>
                </For>
            </tbody>
        </table>
        </div>
    }
}

/// An order's commands, offered only where the order's state allows them (the Order aggregate would
/// refuse the others anyway).
#[component]
fn OrderActions(id: String, status: OrderStatus) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let answer = expect_context::<RowFeedback>();
    let ship_id = id.clone();
    let cancel_id = id.clone();
    let cancel_id_label = id.clone();
    let ship = move |_| {
        let id = ship_id.clone();
        spawn_local(async move { answer.show(lab.ship_order(id).await) });
    };
    let cancel = move |_| {
        let id = cancel_id.clone();
        spawn_local(async move { answer.show(lab.cancel_order(id).await) });
    };
    let can_ship = status == OrderStatus::Approved;
    let can_cancel = matches!(status, OrderStatus::New | OrderStatus::Approved);
    view! {
        <Show when=move || can_ship>
            <button class="small" on:click=ship.clone() disabled=move || lab.busy.get()
                aria-label=format!("Ship order {id}")>"Ship"</button>
        </Show>
        <Show when=move || can_cancel>
            <button class="small quiet" on:click=cancel.clone() disabled=move || lab.busy.get()
                aria-label=format!("Cancel order {}", cancel_id_label)>"Cancel"</button>
        </Show>
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

/// A note above a table that leaves rows out: "Showing the newest 30 of 25,000 orders. …". It
/// stands above the table's sideways-scrolling box, so a narrow screen shows all of it.
pub fn shown_note(total: usize, what: &str) -> Option<String> {
    (total > SHOWN_ROWS).then(|| {
        format!(
            "Showing the newest {SHOWN_ROWS} of {} {what}. The Events view has every event.",
            crate::lab::snapshots::group(total as u64)
        )
    })
}
