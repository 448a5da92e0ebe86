//! The user's commands beyond placing an order — cancel, ship, change a credit limit, delete a
//! customer — run through the engine's public API on the memory store, with the choreography they
//! set off; and a log written before line items existed, picked up where it stopped.
#![cfg(not(target_arch = "wasm32"))]

use foldlab_domain::{
    CustomerId, CustomerState, EventEnvelope, LineItem, Money, OrderId, OrderStatus,
};
use foldlab_engine::{Engine, EngineError, Outcome, StepReport, Subscriber};
use foldlab_store::{Checkpoint, EventStore, ExpectedVersion, MemoryStore, StreamId};
use futures::executor::block_on;

fn engine() -> Engine<MemoryStore> {
    Engine::new(MemoryStore::new(), Box::new(|| 1_700_000_000_000))
}

fn cents(c: i64) -> Money {
    Money::from_cents(c)
}

fn ada() -> CustomerId {
    CustomerId::new("c1")
}

fn order(id: &str) -> OrderId {
    OrderId::new(id)
}

/// Given a customer with `limit` and orders of these totals, every delivery made.
fn given(limit: i64, totals: &[i64]) -> Engine<MemoryStore> {
    let e = engine();
    block_on(e.create_customer(&ada(), "Ada", cents(limit), "k0")).expect("customer");
    for (i, total) in totals.iter().enumerate() {
        let id = order(&format!("o{}", i + 1));
        block_on(e.place_order(&id, &ada(), cents(*total), "k")).expect("order");
    }
    run(&e);
    e
}

fn run<S: EventStore>(e: &Engine<S>) -> Vec<StepReport> {
    block_on(e.run_to_end(100)).expect("run")
}

fn types<S: EventStore>(e: &Engine<S>) -> Vec<String> {
    log(e).into_iter().map(|e| e.event_type).collect()
}

fn log<S: EventStore>(e: &Engine<S>) -> Vec<EventEnvelope> {
    block_on(e.store().read_all(0, usize::MAX)).expect("read")
}

fn status<S: EventStore>(e: &Engine<S>, id: &str) -> Option<OrderStatus> {
    block_on(e.load_order(&order(id)))
        .expect("load")
        .order()
        .map(|o| o.status)
}

fn customer<S: EventStore>(e: &Engine<S>, id: &CustomerId) -> CustomerState {
    block_on(e.load_customer(id)).expect("load")
}

fn available<S: EventStore>(e: &Engine<S>, id: &CustomerId) -> Option<Money> {
    customer(e, id).customer().map(|c| c.available_credit())
}

fn view_available<S: EventStore>(e: &Engine<S>, id: &CustomerId) -> Money {
    block_on(e.customer_view()).expect("view").customers[id].available_credit
}

fn refused(result: Result<Vec<EventEnvelope>, EngineError>) -> String {
    match result {
        Err(EngineError::Rejected(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn cancelling_an_approved_order_releases_its_credit_through_the_customer_service() {
    let e = given(10_000, &[4_000]);
    assert_eq!(available(&e, &ada()), Some(cents(6_000)));

    let stored = block_on(e.cancel_order(&order("o1"), "k9")).expect("cancel");
    assert_eq!(stored[0].event_type, "OrderCancelled");
    assert_eq!(
        available(&e, &ada()),
        Some(cents(6_000)),
        "one transaction changed the Order; the Customer learns of it only through the event"
    );
    run(&e);

    assert_eq!(
        types(&e)[4..],
        ["OrderCancelled", "CreditReleased"].map(String::from)
    );
    assert_eq!(status(&e, "o1"), Some(OrderStatus::Cancelled));
    assert_eq!(available(&e, &ada()), Some(cents(10_000)));
    assert_eq!(view_available(&e, &ada()), cents(10_000));
    let released = &log(&e)[5];
    assert_eq!(released.metadata.actor, "customer-service");
    assert_eq!(released.metadata.correlation_id, "k9");
    assert_eq!(released.metadata.causation_id, Some(stored[0].event_id));
    assert_eq!(
        released.event_data,
        r#"{"order_id":"o1","amount_cents":4000}"#
    );
}

#[test]
fn an_order_cancelled_while_new_holds_no_credit_once_the_deliveries_are_made() {
    let e = engine();
    block_on(e.create_customer(&ada(), "Ada", cents(10_000), "k0")).expect("customer");
    block_on(e.place_order(&order("o1"), &ada(), cents(4_000), "k1")).expect("order");
    block_on(e.cancel_order(&order("o1"), "k2")).expect("cancel");
    let reports = run(&e);

    // The Customer service handles OrderCreated before OrderCancelled, as the log orders them:
    // it reserves, then releases; the Order service's late approval is refused.
    assert_eq!(
        types(&e),
        [
            "CustomerCreated",
            "OrderCreated",
            "OrderCancelled",
            "CreditReserved",
            "CreditReleased"
        ]
        .map(String::from)
    );
    assert!(reports.iter().any(|r| r.delivery.subscriber == Subscriber::OrderService
        && matches!(&r.outcome, Outcome::Refused(reason) if reason.contains("already CANCELLED"))));
    assert_eq!(status(&e, "o1"), Some(OrderStatus::Cancelled));
    assert_eq!(available(&e, &ada()), Some(cents(10_000)));
    assert_eq!(view_available(&e, &ada()), cents(10_000));
}

#[test]
fn a_refused_order_cancelled_by_the_user_releases_nothing() {
    let e = engine();
    block_on(e.create_customer(&ada(), "Ada", cents(1_000), "k0")).expect("customer");
    block_on(e.place_order(&order("o1"), &ada(), cents(4_000), "k1")).expect("order");
    block_on(e.cancel_order(&order("o1"), "k2")).expect("cancel");
    let reports = run(&e);
    assert!(reports.iter().any(|r| matches!(&r.outcome,
        Outcome::Refused(reason) if reason == "No credit is reserved for order o1, so there is none to release.")));
    assert!(!types(&e).contains(&"CreditReleased".to_string()));
    assert_eq!(available(&e, &ada()), Some(cents(1_000)));
}

#[test]
fn an_order_cancelled_twice_is_refused() {
    let e = given(10_000, &[4_000]);
    block_on(e.cancel_order(&order("o1"), "k")).expect("cancel");
    assert_eq!(
        refused(block_on(e.cancel_order(&order("o1"), "k"))),
        "The order is already CANCELLED: an order is cancelled once."
    );
    assert_eq!(
        refused(block_on(e.cancel_order(&order("nope"), "k"))),
        "There is no such order."
    );
}

#[test]
fn a_shipped_order_keeps_its_credit_and_cannot_be_cancelled() {
    let e = given(10_000, &[4_000]);
    block_on(e.ship_order(&order("o1"), "k")).expect("ship");
    run(&e);
    assert_eq!(status(&e, "o1"), Some(OrderStatus::Shipped));
    assert_eq!(
        available(&e, &ada()),
        Some(cents(6_000)),
        "shipping uses the credit"
    );
    assert_eq!(
        block_on(e.customer_view()).expect("view").customers[&ada()].recent_orders[0].status,
        OrderStatus::Shipped
    );
    assert_eq!(
        refused(block_on(e.cancel_order(&order("o1"), "k"))),
        "The order has already SHIPPED: it can be neither cancelled nor shipped again."
    );
    assert_eq!(types(&e).last().map(String::as_str), Some("OrderShipped"));
}

#[test]
fn only_an_approved_order_ships() {
    let e = given(1_000, &[4_000]);
    assert_eq!(status(&e, "o1"), Some(OrderStatus::Cancelled));
    assert_eq!(
        refused(block_on(e.ship_order(&order("o1"), "k"))),
        "Only an APPROVED order ships; this one is CANCELLED."
    );
    let e = engine();
    block_on(e.create_customer(&ada(), "Ada", cents(10_000), "k0")).expect("customer");
    block_on(e.place_order(&order("o1"), &ada(), cents(4_000), "k1")).expect("order");
    assert_eq!(
        refused(block_on(e.ship_order(&order("o1"), "k"))),
        "Only an APPROVED order ships; this one is NEW."
    );
}

#[test]
fn a_credit_limit_below_what_is_reserved_is_refused() {
    let e = given(10_000, &[4_000]);
    assert_eq!(
        refused(block_on(e.change_credit_limit(&ada(), cents(3_999), "k"))),
        "A credit limit of $39.99 is below the $40.00 already reserved: cancel orders first, or choose a limit of at least $40.00."
    );
    assert!(
        refused(block_on(e.change_credit_limit(&ada(), cents(0), "k")))
            .contains("credit limit must be more than $0.00")
    );
    assert_eq!(types(&e).len(), 4, "nothing was stored");
}

#[test]
fn a_higher_credit_limit_lets_a_larger_order_through() {
    let e = given(5_000, &[4_000]);
    block_on(e.change_credit_limit(&ada(), cents(20_000), "k")).expect("raise");
    block_on(e.place_order(&order("o2"), &ada(), cents(9_000), "k")).expect("order");
    run(&e);
    assert_eq!(status(&e, "o2"), Some(OrderStatus::Approved));
    assert_eq!(available(&e, &ada()), Some(cents(7_000)));
    let view = block_on(e.customer_view()).expect("view");
    assert_eq!(view.customers[&ada()].credit_limit, cents(20_000));
    assert_eq!(view.customers[&ada()].available_credit, cents(7_000));
}

#[test]
fn an_order_for_a_deleted_customer_is_cancelled_so_every_order_reaches_an_end() {
    let e = given(10_000, &[4_000]);
    block_on(e.place_order(&order("o2"), &ada(), cents(1_000), "k2")).expect("order");
    block_on(e.delete_customer(&ada(), "k3")).expect("delete");
    block_on(e.place_order(&order("o3"), &ada(), cents(1_000), "k4"))
        .expect("the deleted customer's stream is still there to look up");
    run(&e);

    assert_eq!(status(&e, "o1"), Some(OrderStatus::Approved));
    assert_eq!(status(&e, "o2"), Some(OrderStatus::Cancelled));
    assert_eq!(status(&e, "o3"), Some(OrderStatus::Cancelled));
    let after_delete: Vec<String> = types(&e).split_off(7);
    assert_eq!(
        after_delete,
        [
            "CreditReservationRefused",
            "CreditReservationRefused",
            "OrderCancelled",
            "OrderCancelled"
        ]
        .map(String::from)
    );
    let state = customer(&e, &ada());
    assert!(state.is_deleted());
    assert_eq!(
        state.customer().map(|c| c.name.as_str()),
        Some("Ada"),
        "its stream stays readable"
    );
    assert_eq!(available(&e, &ada()), Some(cents(6_000)));
    assert!(block_on(e.customer_view()).expect("view").customers[&ada()].deleted);
}

#[test]
fn a_deleted_customer_takes_no_more_changes_but_its_cancelled_order_releases_credit() {
    let e = given(10_000, &[4_000]);
    block_on(e.delete_customer(&ada(), "k")).expect("delete");
    assert_eq!(
        refused(block_on(e.delete_customer(&ada(), "k"))),
        "The customer was deleted: it takes no more changes."
    );
    assert_eq!(
        refused(block_on(e.change_credit_limit(&ada(), cents(20_000), "k"))),
        "The customer was deleted: it takes no more changes."
    );
    block_on(e.cancel_order(&order("o1"), "k")).expect("cancel");
    run(&e);
    assert_eq!(types(&e).last().map(String::as_str), Some("CreditReleased"));
    assert_eq!(available(&e, &ada()), Some(cents(10_000)));
    assert_eq!(
        refused(block_on(e.delete_customer(&CustomerId::new("ghost"), "k"))),
        "There is no such customer."
    );
}

#[test]
fn an_order_of_several_lines_reserves_their_sum() {
    let e = engine();
    block_on(e.create_customer(&ada(), "Ada", cents(10_000), "k0")).expect("customer");
    let lines = vec![
        LineItem::new("pen", 3, cents(250)),
        LineItem::new("ink", 2, cents(1_000)),
    ];
    block_on(e.place_order_items(&order("o1"), &ada(), lines, "k1")).expect("order");
    run(&e);
    assert_eq!(available(&e, &ada()), Some(cents(7_250)));
    assert_eq!(
        block_on(e.load_order(&order("o1")))
            .expect("load")
            .order()
            .map(|o| o.total),
        Some(cents(2_750))
    );
}

/// The v1 log in the domain crate's fixture, appended as it was stored, with the two services'
/// checkpoints where that run left them (everything but the last OrderCreated handled) and the
/// customer view not yet built.
fn v1_store() -> Engine<MemoryStore> {
    let fixture = include_str!("../../domain/tests/fixtures/v1_events.json");
    let log: Vec<EventEnvelope> = serde_json::from_str(fixture).expect("fixture");
    let e = engine();
    for stored in &log {
        let stream = StreamId::new(&stored.entity_type, &stored.entity_id);
        let expected = match stored.version {
            1 => ExpectedVersion::NoStream,
            v => ExpectedVersion::Exact(v - 1),
        };
        let new = foldlab_domain::NewEvent {
            event_type: stored.event_type.clone(),
            schema_version: stored.schema_version,
            event_data: stored.event_data.clone(),
            recorded_at: stored.recorded_at,
            metadata: stored.metadata.clone(),
        };
        let appended = block_on(e.store().append(&stream, expected, vec![new])).expect("append");
        assert_eq!(appended[0].event_id, stored.event_id);
    }
    for service in [Subscriber::CustomerService, Subscriber::OrderService] {
        block_on(e.store().save_checkpoint(&Checkpoint {
            subscriber: service.name().to_string(),
            position: 11,
            state: "null".to_string(),
        }))
        .expect("checkpoint");
    }
    e
}

#[test]
fn a_log_written_before_line_items_is_picked_up_where_it_stopped() {
    let e = v1_store();
    let grace = CustomerId::new("c-8b0e44d1");
    let lovelace = CustomerId::new("c-3f9a1c27");
    assert_eq!(available(&e, &grace), Some(cents(4_000)));
    assert_eq!(available(&e, &lovelace), Some(cents(75_000)));

    run(&e);
    assert_eq!(status(&e, "o-b9c0d1e2"), Some(OrderStatus::Approved));
    assert_eq!(
        available(&e, &lovelace),
        Some(cents(73_766)),
        "the waiting v1 order reserved its upcast total"
    );
    assert_eq!(view_available(&e, &lovelace), cents(73_766));
    assert_eq!(view_available(&e, &grace), cents(4_000));

    // A legacy order behaves as any other: cancelling it releases what v1 reserved.
    block_on(e.cancel_order(&order("o-5d6e7f80"), "k")).expect("cancel");
    run(&e);
    assert_eq!(available(&e, &lovelace), Some(cents(98_766)));
    let versions: Vec<u32> = log(&e).iter().map(|e| e.schema_version).collect();
    assert_eq!(versions[..12], [1; 12], "stored events are never rewritten");
}
