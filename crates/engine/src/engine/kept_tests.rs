//! The state the engine keeps between commands: used when the stream is as the engine left it,
//! and never when another writer or a reset came between.

use super::*;
use foldlab_domain::{NewEvent, OrderStatus};
use foldlab_store::MemoryStore;
use futures::executor::block_on;

fn engine() -> Engine<MemoryStore> {
    Engine::new(MemoryStore::new(), Box::new(|| 1_700_000_000_000))
}

fn cents(c: i64) -> Money {
    Money::from_cents(c)
}

fn c1() -> CustomerId {
    CustomerId::new("c1")
}

/// What another writer (a second instance of a service, another tab) stored: the events a second
/// engine with a store of its own made, to append to the engine's store by hand.
fn written_elsewhere(make: impl AsyncFnOnce(&Engine<MemoryStore>)) -> Vec<NewEvent> {
    let other = engine();
    block_on(make(&other));
    block_on(other.store().read_stream(&StreamId::new(CUSTOMER, "c1"), 0))
        .expect("read")
        .into_iter()
        .map(NewEvent::from)
        .collect()
}

/// Places a $20.00 order for c1 and runs the choreography to its end: the order's status, and the
/// races the Customer service reported on the way.
fn order_for_20(e: &Engine<MemoryStore>) -> (Option<OrderStatus>, usize) {
    block_on(e.place_order(&OrderId::new("o1"), &c1(), cents(2_000), "k")).expect("order");
    let reports = block_on(e.run_to_end(100)).expect("run");
    let races = reports
        .iter()
        .filter(|r| r.delivery.subscriber == Subscriber::CustomerService)
        .map(|r| r.conflicts.len())
        .sum();
    let status = block_on(e.load_order(&OrderId::new("o1")))
        .expect("load")
        .order()
        .map(|o| o.status);
    (status, races)
}

#[test]
fn a_command_keeps_the_state_it_leaves_and_the_next_one_decides_on_it() {
    let e = engine();
    block_on(e.create_customer(&c1(), "Ada", cents(10_000), "k")).expect("create");
    assert_eq!(
        e.kept_states(),
        1,
        "the customer's state after its creation is kept"
    );
    assert_eq!(order_for_20(&e), (Some(OrderStatus::Approved), 0));
    let customer = block_on(e.load_customer(&c1())).expect("load");
    assert_eq!(
        customer.customer().map(|c| c.reserved()),
        Some(cents(2_000))
    );
}

#[test]
fn a_kept_state_gives_way_to_an_event_another_writer_appended() {
    let e = engine();
    block_on(e.create_customer(&c1(), "Ada", cents(10_000), "k")).expect("create");
    // Another instance lowers the limit to $10.00 behind this engine's back.
    let lowered = written_elsewhere(async |other| {
        other
            .create_customer(&c1(), "Ada", cents(10_000), "k")
            .await
            .expect("create");
        other
            .change_credit_limit(&c1(), cents(1_000), "k")
            .await
            .expect("lower");
    });
    let stream = StreamId::new(CUSTOMER, "c1");
    block_on(
        e.store()
            .append(&stream, ExpectedVersion::Exact(1), lowered[1..].to_vec()),
    )
    .expect("the other writer's append");
    // The Customer service decided on its kept state ($100.00), lost the race to the other
    // writer's event, loaded the customer and decided again: $20.00 is over $10.00.
    assert_eq!(order_for_20(&e), (Some(OrderStatus::Cancelled), 1));
}

#[test]
fn a_state_kept_before_a_reset_is_not_taken_for_the_same_version_after_it() {
    let e = engine();
    block_on(e.create_customer(&c1(), "Ada", cents(10_000), "k")).expect("create");
    block_on(e.store().clear()).expect("reset");
    // The same customer made again after the reset, at the same version, with a $10.00 limit.
    let again = written_elsewhere(async |other| {
        other
            .create_customer(&c1(), "Ada", cents(1_000), "k")
            .await
            .expect("create");
    });
    let stream = StreamId::new(CUSTOMER, "c1");
    block_on(e.store().append(&stream, ExpectedVersion::NoStream, again)).expect("append");
    // Version 1 either way; only the generation tells them apart. The refusal is not a race (the
    // stream did not move), so none is reported.
    assert_eq!(order_for_20(&e), (Some(OrderStatus::Cancelled), 0));
}
