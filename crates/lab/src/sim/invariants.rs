//! What must hold of the lab after every step, and what must hold once every delivery is made.
//! Each check reads only the store, so it holds for any run, generated or written by hand.
//!
//! The checks after every step are the simulator's main cost, so they remember what they saw when
//! the invariants last held and look again only at what is new: nothing at all when the store took
//! no write since, and otherwise only the new events, folded onto the aggregates and the view
//! rebuilt last time. The checks at quiescence start from nothing: a fold and a rebuild from
//! position 0.

use super::harness::{Checked, Harness};
use crate::runner::Violation;
use foldlab_domain::codec::DomainEvent;
use foldlab_domain::{
    project, ApplyOutcome, CustomerDecider, CustomerEvent, CustomerViews, EventEnvelope,
    OrderDecider, OrderEvent, OrderStatus, Projection, WriteModel,
};
use foldlab_engine::Projector;
use foldlab_engine::{EngineError, LoadReport, Subscriber};
use foldlab_store::integrity::{check_shape, ShapeBreak};
use foldlab_store::EventStore;
use std::collections::BTreeMap;
use std::fmt::Debug;

/// Whether an order has reached the end of the choreography: approved (and perhaps shipped since,
/// which uses the reserved credit) or cancelled.
pub fn settled(status: OrderStatus) -> bool {
    match status {
        OrderStatus::New => false,
        OrderStatus::Approved | OrderStatus::Shipped | OrderStatus::Cancelled => true,
    }
}

fn fail<T>(message: String) -> Result<T, Violation> {
    Err(Violation(message))
}

/// Checks every invariant that holds between any two steps.
pub async fn check_always<S: EventStore>(harness: &Harness<S>) -> Result<(), Violation> {
    let writes = harness.engine().store().faults().writes();
    // Taken rather than borrowed: if a check fails, the next starts from nothing.
    let checked = harness.take_checked();
    if checked.writes == Some(writes) {
        // Nothing was written (a refused command, a discarded duplicate, an empty delivery), so
        // everything the checks read is as it was when they held.
        harness.keep_checked(checked);
        return Ok(());
    }
    let checked = check_store(harness, checked).await?;
    harness.keep_checked(Checked {
        writes: Some(writes),
        ..checked
    });
    Ok(())
}

async fn check_store<S: EventStore>(
    harness: &Harness<S>,
    checked: Checked,
) -> Result<Checked, Violation> {
    let log = harness.log().await?;
    no_event_lost_or_stored_twice(&log)?;
    // The log only grows (its ids and versions were just checked), so the events up to the last
    // head are the ones folded then.
    let since = usize::try_from(checked.head).unwrap_or(usize::MAX);
    let new = log.get(since..).unwrap_or_default();
    let mut model = checked.model;
    for event in new {
        model.apply(event);
    }
    if let Some((event_id, error)) = model.unreadable.first() {
        return fail(format!("event #{event_id} cannot be read: {error}"));
    }
    each_reaction_stored_once(&log)?;
    credit_within_limits(&model)?;
    loads_equal_the_full_fold(harness, &log, &model).await?;
    let view = harness
        .engine()
        .customer_view()
        .await
        .map_err(|e| Violation(format!("the customer view cannot be read: {e}")))?;
    let reference = view_equals_a_rebuild(&log, &view, checked.reference)?;
    Ok(Checked {
        writes: None,
        head: log.len() as u64,
        model,
        reference,
    })
}

/// The view kept in its checkpoint equals the log's events up to that checkpoint folded from
/// position 0. `reference` is that fold up to an earlier checkpoint of the view (the events
/// before are the same, since the log only grows); it is carried on to the current one.
fn view_equals_a_rebuild(
    log: &[EventEnvelope],
    view: &CustomerViews,
    mut reference: CustomerViews,
) -> Result<CustomerViews, Violation> {
    if view.last_event_id > log.len() as u64 {
        return fail(format!(
            "the customer view claims event #{} but the log ends at #{}",
            view.last_event_id,
            log.len()
        ));
    }
    if view.last_event_id < reference.last_event_id {
        return fail(format!(
            "the customer view went back from event #{} to #{}",
            reference.last_event_id, view.last_event_id
        ));
    }
    // Event ids run 1..=head (checked before), so event #n is at index n - 1.
    let from = usize::try_from(reference.last_event_id).unwrap_or(usize::MAX);
    let upto = usize::try_from(view.last_event_id).unwrap_or(usize::MAX);
    fold_view(&mut reference, log.get(from..upto).unwrap_or_default())?;
    if *view != reference {
        return fail(format!(
            "the customer view differs from a rebuild of events 1..=#{}:\n  kept:    {view:?}\n  rebuilt: {reference:?}",
            view.last_event_id
        ));
    }
    Ok(reference)
}

/// Checks what holds once nothing is pending, from position 0: every aggregate loads as it folds,
/// every order ended with its credit where its status says, every reservation held for an approved
/// or shipped order, and the view caught up with the log and agreeing with the aggregates.
pub async fn check_quiescent<S: EventStore>(harness: &Harness<S>) -> Result<(), Violation> {
    let engine = harness.engine();
    let pending = engine
        .pending_deliveries()
        .await
        .map_err(|e| Violation(format!("pending deliveries cannot be read: {e}")))?;
    if let Some(first) = pending.first() {
        return fail(format!(
            "not quiescent: event #{} still waits for {}",
            first.event.event_id,
            first.subscriber.name()
        ));
    }
    let log = harness.log().await?;
    let model = WriteModel::from_log(&log);
    loads_equal_the_full_fold(harness, &log, &model).await?;
    every_order_ended_and_its_credit_with_it(&model)?;
    every_reservation_backs_an_approved_order(&model)?;
    let view = engine
        .customer_view()
        .await
        .map_err(|e| Violation(format!("the customer view cannot be read: {e}")))?;
    let rebuilt = rebuild(&log)?;
    if view != rebuilt {
        return fail(format!(
            "at quiescence the customer view differs from a rebuild from position 0:\n  kept:    {view:?}\n  rebuilt: {rebuilt:?}"
        ));
    }
    the_view_agrees_with_the_command_side(&view, &model)?;
    let query = &engine.query_side();
    let store = engine.store();
    caught_up_equals_a_rebuild(&query.order_history, store, &log).await?;
    caught_up_equals_a_rebuild(&query.low_credit_limit, store, &log).await?;
    caught_up_equals_a_rebuild(&query.new_customers, store, &log).await?;
    let head = log.len() as u64;
    for (subscriber, position) in engine
        .positions()
        .await
        .map_err(|e| Violation(format!("checkpoints cannot be read: {e}")))?
    {
        if subscriber == Subscriber::CustomerView && position != head {
            return fail(format!(
                "the customer view's checkpoint is #{position}, the log's head #{head}"
            ));
        }
    }
    Ok(())
}

/// The query side's other projections move only when told: caught up now, each must hold what a
/// fresh fold of the whole log holds.
async fn caught_up_equals_a_rebuild<P: Projection, S: EventStore>(
    projector: &Projector<P>,
    store: &S,
    log: &[EventEnvelope],
) -> Result<(), Violation> {
    let name = projector.projection().name();
    projector
        .catch_up(store)
        .await
        .map_err(|e| Violation(format!("the {name} projection cannot catch up: {e}")))?;
    let kept = projector
        .state(store)
        .await
        .map_err(|e| Violation(format!("the {name} projection cannot be read: {e}")))?;
    let projection = projector.projection();
    let rebuilt = project(projection, projection.initial_state(), log)
        .map_err(|e| Violation(format!("the {name} projection cannot be rebuilt: {e}")))?;
    if kept != rebuilt {
        return fail(format!(
            "at quiescence the {name} projection differs from a rebuild from position 0:\n  kept:    {kept:?}\n  rebuilt: {rebuilt:?}"
        ));
    }
    Ok(())
}

/// Every order is in exactly one terminal state, and its credit is where that state says: an
/// APPROVED or SHIPPED order holds a reservation of its total on its customer (shipping uses the
/// credit, it does not free it), and a CANCELLED one holds none (it was released, or never
/// reserved).
fn every_order_ended_and_its_credit_with_it(model: &WriteModel) -> Result<(), Violation> {
    for (order_id, state) in &model.orders {
        let Some(order) = state.order() else {
            return fail(format!("order {order_id} has events but no OrderCreated"));
        };
        let held = model
            .customers
            .get(&order.customer_id)
            .and_then(|c| c.customer())
            .and_then(|c| c.reservations.get(order_id).copied());
        match (order.status, held) {
            (OrderStatus::New, _) => {
                return fail(format!(
                    "order {order_id} is still NEW with nothing left to deliver"
                ))
            }
            (OrderStatus::Approved | OrderStatus::Shipped, Some(amount)) if amount == order.total => {}
            (OrderStatus::Approved | OrderStatus::Shipped, held) => {
                return fail(format!(
                    "order {order_id} is {} for {}, but customer {} holds {held:?} for it",
                    order.status, order.total, order.customer_id
                ))
            }
            (OrderStatus::Cancelled, None) => {}
            (OrderStatus::Cancelled, Some(amount)) => {
                return fail(format!(
                    "order {order_id} is CANCELLED, but customer {} still holds {amount} for it: its credit was not released",
                    order.customer_id
                ))
            }
        }
    }
    Ok(())
}

/// Every reservation belongs to an approved (or shipped) order of that customer, for its total.
fn every_reservation_backs_an_approved_order(model: &WriteModel) -> Result<(), Violation> {
    for (customer_id, state) in &model.customers {
        let Some(customer) = state.customer() else {
            continue;
        };
        for (order_id, amount) in &customer.reservations {
            let order = model.orders.get(order_id).and_then(|o| o.order());
            match order {
                Some(o)
                    if matches!(o.status, OrderStatus::Approved | OrderStatus::Shipped)
                        && &o.customer_id == customer_id
                        && o.total == *amount => {}
                _ => {
                    return fail(format!(
                        "customer {customer_id} holds {amount} for order {order_id}, which is not an approved (or shipped) order of theirs for that amount: {order:?}"
                    ))
                }
            }
        }
    }
    Ok(())
}

/// Once caught up, the query side says what the command side says: each customer's limit,
/// available credit and deletion, and the status and total of each order it lists.
pub(super) fn the_view_agrees_with_the_command_side(
    view: &CustomerViews,
    model: &WriteModel,
) -> Result<(), Violation> {
    let created = model
        .customers
        .iter()
        .filter_map(|(id, state)| state.customer().map(|c| (id, state, c)));
    if view.customers.len() != created.clone().count() {
        return fail(format!(
            "the customer view has {} customers, the command side {}",
            view.customers.len(),
            created.count()
        ));
    }
    for (id, state, customer) in created {
        let Some(document) = view.customers.get(id) else {
            return fail(format!("customer {id} is missing from the customer view"));
        };
        let said = (
            document.credit_limit,
            document.available_credit,
            document.deleted,
        );
        let is = (
            customer.credit_limit,
            customer.available_credit(),
            state.is_deleted(),
        );
        if said != is {
            return fail(format!(
                "the customer view says customer {id} has (limit, available, deleted) {said:?}, the command side {is:?}"
            ));
        }
        for summary in &document.recent_orders {
            let order = model.orders.get(&summary.order_id).and_then(|o| o.order());
            if order.map(|o| (o.status, o.total)) != Some((summary.status, summary.total)) {
                return fail(format!(
                    "the customer view lists order {} as {} for {}, the command side has {order:?}",
                    summary.order_id, summary.status, summary.total
                ));
            }
        }
    }
    Ok(())
}

/// Loading each aggregate the way commands do — from its latest snapshot when the run keeps them —
/// gives the same state as folding all its events, at the stream's last version, and trusts every
/// snapshot it finds (none is ever detached or of another schema here, so none is skipped).
async fn loads_equal_the_full_fold<S: EventStore>(
    harness: &Harness<S>,
    log: &[EventEnvelope],
    model: &WriteModel,
) -> Result<(), Violation> {
    let engine = harness.engine();
    let policy = engine.snapshot_policy();
    let (customers, orders) = (policy.customer.is_some(), policy.order.is_some());
    if !customers && !orders {
        // Without snapshots a load is the same fold from the first event as the model's.
        return Ok(());
    }
    let mut versions: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for event in log {
        versions.insert((&event.entity_type, &event.entity_id), event.version);
    }
    let version = |entity_type: &str, id: &str| {
        versions
            .get(&(entity_type, id))
            .copied()
            .unwrap_or_default()
    };
    if customers {
        for (id, folded) in &model.customers {
            let loaded = engine
                .load_with_report::<CustomerDecider>(id.as_str())
                .await;
            same_as_fold(
                loaded,
                folded,
                version(CustomerEvent::ENTITY_TYPE, id.as_str()),
            )?;
        }
    }
    if orders {
        for (id, folded) in &model.orders {
            let loaded = engine.load_with_report::<OrderDecider>(id.as_str()).await;
            same_as_fold(
                loaded,
                folded,
                version(OrderEvent::ENTITY_TYPE, id.as_str()),
            )?;
        }
    }
    Ok(())
}

fn same_as_fold<State: PartialEq + Debug>(
    loaded: Result<(State, LoadReport), EngineError>,
    folded: &State,
    version: u64,
) -> Result<(), Violation> {
    let (state, report) =
        loaded.map_err(|e| Violation(format!("an aggregate cannot be loaded: {e}")))?;
    if report.skipped.is_some() || report.version != version || &state != folded {
        return fail(format!(
            "loading {} gives another state than folding its {version} events:\n  loaded: {state:?}\n  folded: {folded:?}\n  report: {report:?}",
            report.stream
        ));
    }
    Ok(())
}

/// Event ids run 1..=head with no gap; each stream's versions run 1..=n in `event_id` order.
fn no_event_lost_or_stored_twice(log: &[EventEnvelope]) -> Result<(), Violation> {
    match check_shape(log) {
        Ok(()) => Ok(()),
        Err(ShapeBreak::Id { index, found }) => fail(format!(
            "event ids are not contiguous: position {} holds #{found}",
            index + 1
        )),
        Err(ShapeBreak::Version {
            index,
            stream,
            found,
            expected,
        }) => fail(format!(
            "{stream} jumps from version {} to {found} at event #{}",
            expected - 1,
            index + 1
        )),
    }
}

/// A handler reacts to one event once: no two stored events share an actor and a causation.
fn each_reaction_stored_once(log: &[EventEnvelope]) -> Result<(), Violation> {
    let mut seen: BTreeMap<(&str, u64), u64> = BTreeMap::new();
    for event in log {
        let Some(cause) = event.metadata.causation_id else {
            continue;
        };
        if let Some(first) = seen.insert((&event.metadata.actor, cause), event.event_id) {
            return fail(format!(
                "{} reacted twice to event #{cause}: #{first} and #{}",
                event.metadata.actor, event.event_id
            ));
        }
    }
    Ok(())
}

/// No customer ever has more credit reserved than its limit.
fn credit_within_limits(model: &WriteModel) -> Result<(), Violation> {
    for (id, state) in &model.customers {
        if let Some(customer) = state.customer() {
            if customer.reserved() > customer.credit_limit {
                return fail(format!(
                    "customer {id} has {} reserved, over its {} limit",
                    customer.reserved(),
                    customer.credit_limit
                ));
            }
        }
    }
    Ok(())
}

/// The customer view folded afresh from `log`.
pub fn rebuild(log: &[EventEnvelope]) -> Result<CustomerViews, Violation> {
    let mut views = CustomerViews::default();
    fold_view(&mut views, log)?;
    Ok(views)
}

/// Applies `events` to `views`, each exactly once.
fn fold_view(views: &mut CustomerViews, events: &[EventEnvelope]) -> Result<(), Violation> {
    for event in events {
        match views.apply(event) {
            Ok(ApplyOutcome::Updated | ApplyOutcome::Ignored) => {}
            Ok(ApplyOutcome::Duplicate) => {
                return fail(format!("event #{} came twice in the log", event.event_id))
            }
            Err(error) => {
                return fail(format!("event #{} cannot be read: {error}", event.event_id))
            }
        }
    }
    Ok(())
}
