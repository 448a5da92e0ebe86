//! At-least-once delivery, handler by handler: every subscriber discards an event it has handled,
//! whether its checkpoint says so or — after a crash between effect and checkpoint — its effect.

use super::*;
use foldlab_domain::OrderStatus;
use foldlab_store::{FaultSwitch, StoreError};
use futures::executor::block_on;
use std::cell::Cell;
use std::num::NonZeroU64;

fn engine() -> Engine<FaultSwitch> {
    let tick = Cell::new(1_700_000_000_000);
    Engine::new(
        FaultSwitch::default(),
        Box::new(move || {
            tick.set(tick.get() + 1);
            tick.get()
        }),
    )
}

/// Given customer c1 with `limit` cents and order o1 of `total` cents, nothing delivered yet:
/// event #1 is CustomerCreated, #2 OrderCreated.
fn given_an_order(limit: i64, total: i64) -> Engine<FaultSwitch> {
    let e = engine();
    block_on(e.create_customer(
        &CustomerId::new("c1"),
        "Ada",
        Money::from_cents(limit),
        "k1",
    ))
    .expect("create");
    block_on(e.place_order(
        &OrderId::new("o1"),
        &CustomerId::new("c1"),
        Money::from_cents(total),
        "k2",
    ))
    .expect("order");
    e
}

fn count(e: &Engine<FaultSwitch>, event_type: &str) -> usize {
    block_on(e.store().read_all(0, usize::MAX))
        .expect("read")
        .iter()
        .filter(|ev| ev.event_type == event_type)
        .count()
}

fn position(e: &Engine<FaultSwitch>, subscriber: Subscriber) -> u64 {
    block_on(e.positions())
        .expect("positions")
        .into_iter()
        .find(|(s, _)| *s == subscriber)
        .map_or(0, |(_, p)| p)
}

fn status(e: &Engine<FaultSwitch>) -> Option<OrderStatus> {
    block_on(e.load_order(&OrderId::new("o1")))
        .expect("load")
        .order()
        .map(|o| o.status)
}

/// The next delivery to `subscriber` crashes it after its effect, before its checkpoint.
fn crash(e: &Engine<FaultSwitch>, subscriber: Subscriber) -> u64 {
    e.store()
        .faults()
        .crash_before_next_checkpoint(subscriber.name());
    let delivery = block_on(e.next_delivery_for(subscriber))
        .expect("read")
        .expect("something to deliver");
    assert_eq!(
        block_on(e.deliver(&delivery)),
        Err(EngineError::Store(StoreError::Crashed {
            subscriber: subscriber.name().to_string()
        }))
    );
    delivery.event.event_id
}

#[test]
fn the_customer_service_discards_an_order_created_it_has_handled() {
    let e = given_an_order(1_000, 700);
    block_on(e.run_to_end(100)).expect("run");
    let again = block_on(e.deliver_again(Subscriber::CustomerService, 2)).expect("redeliver");
    assert_eq!(
        again.outcome,
        Outcome::DuplicateDiscarded(Recognised::ByCheckpoint)
    );
    assert_eq!(count(&e, "CreditReserved"), 1);
    assert_eq!(
        block_on(e.pending()),
        Ok(0),
        "a discarded duplicate causes nothing"
    );
}

#[test]
fn the_customer_service_that_crashed_after_reserving_discards_the_redelivered_order() {
    let e = given_an_order(1_000, 700);
    let event_id = crash(&e, Subscriber::CustomerService);
    assert_eq!(count(&e, "CreditReserved"), 1, "the effect was stored");
    assert_eq!(
        position(&e, Subscriber::CustomerService),
        0,
        "the checkpoint was not"
    );

    // It restarts from its old checkpoint, so OrderCreated comes again.
    let report = block_on(e.step_for(Subscriber::CustomerService))
        .expect("deliver")
        .expect("redelivered");
    assert_eq!(report.delivery.event.event_id, event_id);
    assert_eq!(
        report.outcome,
        Outcome::DuplicateDiscarded(Recognised::ByCausation)
    );
    assert_eq!(position(&e, Subscriber::CustomerService), event_id);

    block_on(e.run_to_end(100)).expect("run");
    assert_eq!(count(&e, "CreditReserved"), 1);
    assert_eq!(status(&e), Some(OrderStatus::Approved));
}

#[test]
fn the_customer_service_that_crashed_after_refusing_credit_does_not_refuse_twice() {
    // CreditLimitExceeded changes no state, so only the recorded causation can tell it was sent.
    let e = given_an_order(1_000, 1_500);
    crash(&e, Subscriber::CustomerService);
    let report = block_on(e.step_for(Subscriber::CustomerService))
        .expect("deliver")
        .expect("redelivered");
    assert_eq!(
        report.outcome,
        Outcome::DuplicateDiscarded(Recognised::ByCausation)
    );
    block_on(e.run_to_end(100)).expect("run");
    assert_eq!(count(&e, "CreditLimitExceeded"), 1);
    assert_eq!(status(&e), Some(OrderStatus::Cancelled));
}

#[test]
fn the_order_service_discards_a_credit_decision_it_has_handled() {
    let e = given_an_order(1_000, 700);
    block_on(e.run_to_end(100)).expect("run");
    let again = block_on(e.deliver_again(Subscriber::OrderService, 3)).expect("redeliver");
    assert_eq!(again.delivery.event.event_type, "CreditReserved");
    assert_eq!(
        again.outcome,
        Outcome::DuplicateDiscarded(Recognised::ByCheckpoint)
    );
    assert_eq!(count(&e, "OrderApproved"), 1);
}

#[test]
fn the_order_service_that_crashed_after_approving_discards_the_redelivered_reservation() {
    let e = given_an_order(1_000, 700);
    block_on(e.step_for(Subscriber::CustomerService)).expect("reserve");
    let event_id = crash(&e, Subscriber::OrderService);
    assert_eq!(
        status(&e),
        Some(OrderStatus::Approved),
        "the effect was stored"
    );
    let report = block_on(e.step_for(Subscriber::OrderService))
        .expect("deliver")
        .expect("redelivered");
    assert_eq!(report.delivery.event.event_id, event_id);
    assert_eq!(
        report.outcome,
        Outcome::DuplicateDiscarded(Recognised::ByCausation)
    );
    block_on(e.run_to_end(100)).expect("run");
    assert_eq!(count(&e, "OrderApproved"), 1);
}

#[test]
fn the_customer_view_discards_an_event_it_has_applied() {
    let e = given_an_order(1_000, 700);
    block_on(e.run_to_end(100)).expect("run");
    let before = block_on(e.customer_view()).expect("view");
    for event_id in 1..=4 {
        let again =
            block_on(e.deliver_again(Subscriber::CustomerView, event_id)).expect("redeliver");
        assert_eq!(
            again.outcome,
            Outcome::DuplicateDiscarded(Recognised::ByCheckpoint),
            "#{event_id}"
        );
    }
    assert_eq!(block_on(e.customer_view()), Ok(before));
}

#[test]
fn the_customer_view_that_crashed_applies_the_event_once_when_it_comes_again() {
    // The view keeps its document in its checkpoint, so a crash loses effect and checkpoint
    // together, and the event is simply applied when it comes again.
    let e = given_an_order(1_000, 700);
    block_on(e.step_for(Subscriber::CustomerView)).expect("CustomerCreated");
    crash(&e, Subscriber::CustomerView);
    let view = block_on(e.customer_view()).expect("view");
    assert_eq!(view.last_event_id, 1);
    assert!(view.customers[&CustomerId::new("c1")]
        .recent_orders
        .is_empty());
    let report = block_on(e.step_for(Subscriber::CustomerView))
        .expect("deliver")
        .expect("redelivered");
    assert_eq!(report.outcome, Outcome::ViewUpdated);
    let view = block_on(e.customer_view()).expect("view");
    assert_eq!(
        view.customers[&CustomerId::new("c1")].recent_orders.len(),
        1
    );
}

#[test]
fn deliver_again_refuses_an_event_not_handled_yet_or_not_stored() {
    let e = given_an_order(1_000, 700);
    let err = block_on(e.deliver_again(Subscriber::CustomerService, 2)).expect_err("not yet");
    assert_eq!(
        err,
        EngineError::NotYetDelivered {
            subscriber: Subscriber::CustomerService,
            event_id: 2,
            position: 0
        }
    );
    assert!(
        err.to_string().contains("has not handled event #2 yet"),
        "{err}"
    );
    let err = block_on(e.deliver_again(Subscriber::CustomerView, 9)).expect_err("no such event");
    assert_eq!(err, EngineError::NoSuchEvent(9));
    assert_eq!(count(&e, "CreditReserved"), 0, "nothing was delivered");
}

#[test]
fn a_held_back_subscriber_gets_its_events_late_but_in_order() {
    let e = given_an_order(1_000, 700);
    let pending: Vec<(Subscriber, u64)> = block_on(e.pending_deliveries())
        .expect("pending")
        .iter()
        .map(|d| (d.subscriber, d.event.event_id))
        .collect();
    assert_eq!(
        pending,
        vec![
            (Subscriber::CustomerView, 1),
            (Subscriber::CustomerService, 2)
        ]
    );

    // The services run the whole choreography while the view is held back.
    block_on(e.step_for(Subscriber::CustomerService)).expect("reserve");
    block_on(e.step_for(Subscriber::OrderService)).expect("approve");
    assert_eq!(status(&e), Some(OrderStatus::Approved));
    assert_eq!(position(&e, Subscriber::CustomerView), 0, "the view lags");

    // Then it catches up, one event after another.
    let late: Vec<u64> = std::iter::from_fn(|| {
        block_on(e.step_for(Subscriber::CustomerView))
            .expect("deliver")
            .map(|r| r.delivery.event.event_id)
    })
    .collect();
    assert_eq!(late, vec![1, 2, 3, 4]);
    let view = block_on(e.customer_view()).expect("view");
    assert_eq!(
        view.customers[&CustomerId::new("c1")].recent_orders[0].status,
        OrderStatus::Approved
    );
    assert_eq!(block_on(e.pending_deliveries()), Ok(Vec::new()));
}

#[test]
fn subscribers_are_named_as_their_checkpoints_are() {
    for subscriber in Subscriber::ALL {
        assert_eq!(Subscriber::from_name(subscriber.name()), Some(subscriber));
    }
    assert_eq!(Subscriber::from_name("billing"), None);
}

#[test]
fn after_a_crash_the_snapshot_alone_tells_the_service_it_has_handled_the_event() {
    let e = given_an_order(1_000, 700);
    e.set_snapshot_policy(SnapshotPolicy::every(NonZeroU64::new(1)));
    let event_id = crash(&e, Subscriber::CustomerService);
    let c1 = StreamId::new("Customer", "c1");

    // The reservation's snapshot keeps the highest event its stream reacted to.
    let snapshot = block_on(e.store().load_snapshot(&c1))
        .expect("readable")
        .expect("a snapshot every event");
    assert_eq!(snapshot.version, 2);
    assert_eq!(snapshot.caused_through, Some(event_id));

    // A load from it folds nothing and still knows: no read of the stream from its first event.
    let (_, report) =
        block_on(e.load_with_report::<CustomerDecider>("c1")).expect("loads from the snapshot");
    assert_eq!(
        (report.snapshot_version, report.events_folded),
        (Some(2), 0)
    );
    assert_eq!(report.caused_through, Some(event_id));

    let again = block_on(e.step_for(Subscriber::CustomerService))
        .expect("deliver")
        .expect("redelivered");
    assert_eq!(
        again.outcome,
        Outcome::DuplicateDiscarded(Recognised::ByCausation)
    );
    assert_eq!(count(&e, "CreditReserved"), 1);
}

#[test]
fn a_snapshot_written_before_foldlab_kept_the_causation_falls_back_to_reading_the_stream() {
    let e = given_an_order(1_000, 700);
    e.set_snapshot_policy(SnapshotPolicy::every(NonZeroU64::new(1)));
    crash(&e, Subscriber::CustomerService);
    let c1 = StreamId::new("Customer", "c1");
    let mut older = block_on(e.store().load_snapshot(&c1))
        .expect("readable")
        .expect("a snapshot");
    older.caused_through = None;
    block_on(e.store().save_snapshot(&older)).expect("saved");

    let again = block_on(e.step_for(Subscriber::CustomerService))
        .expect("deliver")
        .expect("redelivered");
    assert_eq!(
        again.outcome,
        Outcome::DuplicateDiscarded(Recognised::ByCausation)
    );
    assert_eq!(count(&e, "CreditReserved"), 1);
}
