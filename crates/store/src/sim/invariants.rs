//! What must hold of the lab after every step, and what must hold once every delivery is made.
//! Each check reads only the store, so it holds for any run, generated or written by hand.

use super::harness::{Harness, Violation};
use crate::engine::Subscriber;
use foldlab_domain::{ApplyOutcome, CustomerViews, EventEnvelope, OrderStatus, WriteModel};
use std::collections::BTreeMap;

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
pub async fn check_always(harness: &Harness) -> Result<(), Violation> {
    let log = harness.log().await?;
    no_event_lost_or_stored_twice(&log)?;
    let model = WriteModel::from_log(&log);
    if let Some((event_id, error)) = model.unreadable.first() {
        return fail(format!("event #{event_id} cannot be read: {error}"));
    }
    each_reaction_stored_once(&log)?;
    credit_within_limits(&model)?;
    let view = harness
        .engine()
        .customer_view()
        .await
        .map_err(|e| Violation(format!("the customer view cannot be read: {e}")))?;
    let upto: Vec<EventEnvelope> = log
        .iter()
        .filter(|e| e.event_id <= view.last_event_id)
        .cloned()
        .collect();
    if view.last_event_id > log.len() as u64 {
        return fail(format!(
            "the customer view claims event #{} but the log ends at #{}",
            view.last_event_id,
            log.len()
        ));
    }
    let rebuilt = rebuild(&upto)?;
    if view != rebuilt {
        return fail(format!(
            "the customer view differs from a rebuild of events 1..=#{}:\n  kept:    {view:?}\n  rebuilt: {rebuilt:?}",
            view.last_event_id
        ));
    }
    Ok(())
}

/// Checks what holds once nothing is pending: every order settled, every reservation held for an
/// approved order, and the view caught up with the log.
pub async fn check_quiescent(harness: &Harness) -> Result<(), Violation> {
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
    for (order_id, state) in &model.orders {
        match state.order() {
            Some(order) if settled(order.status) => {}
            Some(order) => {
                return fail(format!(
                    "order {order_id} is still {} with nothing left to deliver",
                    order.status
                ))
            }
            None => return fail(format!("order {order_id} has events but no OrderCreated")),
        }
    }
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

/// Event ids run 1..=head with no gap; each stream's versions run 1..=n in `event_id` order.
fn no_event_lost_or_stored_twice(log: &[EventEnvelope]) -> Result<(), Violation> {
    let mut versions: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for (i, event) in log.iter().enumerate() {
        if event.event_id != i as u64 + 1 {
            return fail(format!(
                "event ids are not contiguous: position {} holds #{}",
                i + 1,
                event.event_id
            ));
        }
        let last = versions
            .entry((&event.entity_type, &event.entity_id))
            .or_insert(0);
        if event.version != *last + 1 {
            return fail(format!(
                "{} {} jumps from version {} to {} at event #{}",
                event.entity_type, event.entity_id, last, event.version, event.event_id
            ));
        }
        *last = event.version;
    }
    Ok(())
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
    for event in log {
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
    Ok(views)
}
