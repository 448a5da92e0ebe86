//! The data the benchmarks share, so the browser's benchmark page (`/bench`) and the native
//! criterion benchmark (`benches/throughput`) measure the very same work: the long Customer
//! history whose fold they both time, and a realistic lab log (customers, orders and every
//! delivery's events, with checkpoints and snapshots as the engine leaves them) for the read and
//! cold-start figures.

use foldlab_domain::codec::DomainEvent;
use foldlab_domain::customer::{CreditLimitExceeded, CreditReserved, CustomerCreated};
use foldlab_domain::{
    fold, CustomerDecider, CustomerEvent, CustomerId, CustomerState, Decider, Metadata, Money,
    NewEvent, OrderId,
};
use foldlab_engine::{Engine, EngineError, SnapshotPolicy};
use foldlab_store::MemoryStore;
use foldlab_store::{EventStore, Snapshot};
use std::num::NonZeroU64;

/// One event in this many of the long history is a CreditReserved; the rest are refused attempts.
pub const RESERVED_EVERY: u64 = 1_000;

/// Event `n` (1-based) of the long Customer history the fold benchmarks use. The Customer state
/// holds one entry per reservation, so reservations are kept to one in [`RESERVED_EVERY`]: the
/// state (the snapshot) stays about a thousand entries while the history grows to a million events.
/// The rest are CreditLimitExceeded, attempts refused without changing the state.
pub fn history_event(n: u64) -> CustomerEvent {
    if n == 1 {
        CustomerEvent::Created(CustomerCreated {
            name: "Ada".into(),
            credit_limit: Money::from_cents(1_000_000_000),
        })
    } else if n % RESERVED_EVERY == 0 {
        CustomerEvent::CreditReserved(CreditReserved {
            order_id: OrderId::new(format!("o{n}")),
            amount: Money::from_cents(1_000),
        })
    } else {
        CustomerEvent::CreditLimitExceeded(CreditLimitExceeded {
            order_id: OrderId::new(format!("o{n}")),
            amount: Money::from_cents(5_000_000_000),
            available: Money::from_cents(999_000_000),
        })
    }
}

/// Events `from..=to` of the long history, already decoded: what the fold benchmark folds.
pub fn history_events(from: u64, to: u64) -> Vec<CustomerEvent> {
    (from..=to).map(history_event).collect()
}

/// Events `from..=to` of the long history as the store takes them, stamped with fixed times.
pub fn history_new_events(from: u64, to: u64) -> Vec<NewEvent> {
    (from..=to)
        .map(|n| history_event(n).to_new_event(1_700_000_000_000 + n as i64, history_metadata()))
        .collect()
}

fn history_metadata() -> Metadata {
    Metadata {
        actor: "customer-service".into(),
        correlation_id: "bench".into(),
        causation_id: Some(1),
    }
}

/// The fold both benchmarks time: the Customer's own `evolve` over every event, from the initial
/// state.
pub fn fold_history(events: &[CustomerEvent]) -> CustomerState {
    fold::<CustomerDecider>(CustomerDecider::initial_state(), events)
}

/// How many customers the generated lab log has.
pub const LAB_CUSTOMERS: u64 = 200;

/// The snapshot interval the lab uses by default (the Snapshots view's setting), for both types.
pub const LAB_SNAPSHOT_EVERY: u64 = 100;

/// A lab log of at least `events` events, made by the engine itself over a memory store:
/// `customers` customers ([`LAB_CUSTOMERS`] in the benchmarks), then orders placed round-robin, each delivered to the services
/// (OrderCreated, then CreditReserved or CreditLimitExceeded, then OrderApproved or
/// OrderCancelled) and the views, with snapshots every [`LAB_SNAPSHOT_EVERY`] events as the lab's
/// default setting takes them. Every projection is caught up at the end, so every checkpoint stands
/// at the head. One order in seven asks for more than the customer's limit and is cancelled.
pub async fn lab_log(events: u64, customers: u64) -> Result<Engine<MemoryStore>, EngineError> {
    let clock_start = 1_700_000_000_000i64;
    let engine = Engine::new(MemoryStore::new(), Box::new(move || clock_start));
    let every = NonZeroU64::new(LAB_SNAPSHOT_EVERY);
    engine.set_snapshot_policy(SnapshotPolicy::every(every));
    for c in 0..customers.max(1) {
        engine
            .create_customer(
                &customer_id(c),
                &format!("Customer {c}"),
                Money::from_cents(500_000_000),
                &format!("create-c{c}"),
            )
            .await?;
    }
    // The customer view is held back while the services work, then caught up in one go below: it
    // saves its whole view with its checkpoint after each event it applies, which would make the
    // generation quadratic; the stored outcome (the view caught up to the head) is the same.
    let view = engine.query_side().control("customer-view");
    if let Some(view) = view {
        view.pause();
    }
    let mut order = 0u64;
    while engine.store().head().await? < events {
        let customer = customer_id(order % customers.max(1));
        let total = if order % 7 == 6 {
            Money::from_cents(900_000_000)
        } else {
            Money::from_cents(1_000 + (order as i64 * 37) % 9_000)
        };
        engine
            .place_order(
                &OrderId::new(format!("o{order}")),
                &customer,
                total,
                &format!("order-{order}"),
            )
            .await?;
        order += 1;
        if order % 64 == 0 {
            engine.run_to_end(usize::MAX).await?;
        }
    }
    engine.run_to_end(usize::MAX).await?;
    if let Some(view) = view {
        view.resume();
    }
    for control in engine.query_side().controls() {
        engine
            .query_side()
            .catch_up(control.name(), engine.store())
            .await
            .map_err(EngineError::Projection)?;
    }
    Ok(engine)
}

/// The id of generated customer `n`.
pub fn customer_id(n: u64) -> CustomerId {
    CustomerId::new(format!("c{n}"))
}

/// The latest snapshot of every generated customer and order the engine wrote while building the
/// log: what a store holding that log should hold beside it.
pub async fn lab_snapshots(engine: &Engine<MemoryStore>) -> Result<Vec<Snapshot>, EngineError> {
    let mut streams: Vec<foldlab_store::StreamId> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for event in engine.store().read_all(0, usize::MAX).await? {
        let stream = foldlab_store::StreamId::new(&event.entity_type, &event.entity_id);
        if seen.insert(stream.clone()) {
            streams.push(stream);
        }
    }
    let mut snapshots = Vec::new();
    for stream in streams {
        if let Some(snapshot) = engine.store().load_snapshot(&stream).await? {
            snapshots.push(snapshot);
        }
    }
    Ok(snapshots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn the_long_history_folds_to_one_reservation_per_thousand_events() {
        let events = history_events(1, 10_000);
        let state = fold_history(&events);
        let customer = state.customer().expect("created");
        assert_eq!(customer.reservations.len(), 10);
    }

    #[test]
    fn a_lab_log_has_customers_orders_deliveries_checkpoints_and_snapshots() {
        let engine = block_on(lab_log(3_000, 10)).expect("generated");
        let store = engine.store();
        let head = block_on(store.head()).expect("head");
        assert!((3_000..3_200).contains(&head), "{head}");
        let log = block_on(store.read_all(0, usize::MAX)).expect("read");
        let count = |t: &str| log.iter().filter(|e| e.event_type == t).count();
        assert_eq!(count("CustomerCreated"), 10);
        let orders = count("OrderCreated");
        assert_eq!(count("OrderApproved") + count("OrderCancelled"), orders);
        assert!(count("CreditLimitExceeded") > 0);
        assert_eq!(
            block_on(engine.pending()).expect("pending"),
            0,
            "every delivery made"
        );
        let snapshots = block_on(lab_snapshots(&engine)).expect("snapshots");
        assert!(
            snapshots.iter().any(|s| s.entity_type == "Customer"),
            "customers with 100+ events have snapshots"
        );
    }
}
