//! The lab's fault switches over a real store: a crash between effect and checkpoint, and two
//! engines over two handles of one store racing for the last credit.

use super::*;
use foldlab_domain::{CustomerId, Money, OrderId};
use foldlab_store::MemoryStore;
use foldlab_store::{FaultSwitch, StoreError};
use futures::executor::block_on;

type Store = FaultSwitch<MemoryStore>;

fn engine(store: Store) -> Engine<Store> {
    Engine::new(store, Box::new(|| 1_700_000_000_000))
}

fn cents(c: i64) -> Money {
    Money::from_cents(c)
}

fn event_types(e: &Engine<Store>) -> Vec<String> {
    block_on(e.store().read_all(0, usize::MAX))
        .expect("read")
        .into_iter()
        .map(|ev| ev.event_type)
        .collect()
}

fn position(e: &Engine<Store>, subscriber: Subscriber) -> u64 {
    block_on(e.positions())
        .expect("positions")
        .into_iter()
        .find(|(s, _)| *s == subscriber)
        .map_or(0, |(_, p)| p)
}

/// Customer c1 (limit 100.00) and two orders of 60.00 each: #1 CustomerCreated, #2 and #3
/// OrderCreated, nothing delivered.
fn given_two_orders_for_the_last_credit(e: &Engine<Store>) -> (Delivery, Delivery) {
    let c1 = CustomerId::new("c1");
    block_on(e.create_customer(&c1, "Ada", cents(10_000), "k1")).expect("create");
    let first = block_on(e.place_order(&OrderId::new("o1"), &c1, cents(6_000), "k2"))
        .expect("order 1")
        .remove(0);
    let second = block_on(e.place_order(&OrderId::new("o2"), &c1, cents(6_000), "k3"))
        .expect("order 2")
        .remove(0);
    let to_service = |event| Delivery {
        subscriber: Subscriber::CustomerService,
        event,
    };
    (to_service(first), to_service(second))
}

#[test]
fn a_crash_before_the_checkpoint_keeps_the_effect_and_the_redelivery_is_recognised_by_it() {
    let e = engine(FaultSwitch::new(MemoryStore::new()));
    let (first, _) = given_two_orders_for_the_last_credit(&e);
    e.store()
        .faults()
        .crash_before_next_checkpoint(Subscriber::CustomerService.name());

    let crashed = block_on(e.step_for(Subscriber::CustomerService));

    assert_eq!(
        crashed,
        Err(EngineError::Store(StoreError::Crashed {
            subscriber: "customer-service".to_string()
        }))
    );
    assert!(event_types(&e).contains(&"CreditReserved".to_string()));
    assert_eq!(position(&e, Subscriber::CustomerService), 0);

    let again = block_on(e.step_for(Subscriber::CustomerService))
        .expect("redelivery")
        .expect("something to deliver");
    assert_eq!(again.delivery.event.event_id, first.event.event_id);
    assert_eq!(
        again.outcome,
        Outcome::DuplicateDiscarded(Recognised::ByCausation)
    );
    assert_eq!(position(&e, Subscriber::CustomerService), 2);
    let reserved = event_types(&e)
        .iter()
        .filter(|t| *t == "CreditReserved")
        .count();
    assert_eq!(reserved, 1);
}

#[test]
fn two_engines_racing_for_the_last_credit_conflict_and_the_loser_decides_again_and_is_refused() {
    let store = FaultSwitch::new(MemoryStore::new());
    let a = engine(store.clone());
    let b = engine(store.clone());
    let (first, second) = given_two_orders_for_the_last_credit(&a);
    store
        .faults()
        .race_next_appends(StreamId::new("Customer", "c1"), 2);

    // The second order's delivery starts first: the gate still lets the first order's go first.
    let (late, early) = block_on(deliver_at_once((&b, &second), (&a, &first)));
    let (early, late) = (early.expect("first"), late.expect("second"));

    assert!(early.conflicts.is_empty());
    assert!(
        matches!(&early.outcome, Outcome::Appended(ev) if ev[0].event_type == "CreditReserved")
    );
    assert_eq!(
        late.conflicts,
        vec![Conflict {
            stream: StreamId::new("Customer", "c1"),
            expected: ExpectedVersion::Exact(1),
            actual: 2,
        }]
    );
    assert!(
        matches!(&late.outcome, Outcome::RefusalRecorded(ev) if ev[0].event_type == "CreditLimitExceeded")
    );
    assert_eq!(
        event_types(&a),
        [
            "CustomerCreated",
            "OrderCreated",
            "OrderCreated",
            "CreditReserved",
            "CreditLimitExceeded"
        ]
    );
    let c1 = block_on(a.load_customer(&CustomerId::new("c1"))).expect("load");
    assert_eq!(
        c1.customer().expect("c1").reserved(),
        cents(6_000),
        "exactly one reservation"
    );
}

#[test]
fn without_a_gate_appends_through_the_switch_go_straight_through_and_report_no_conflict() {
    let e = engine(FaultSwitch::new(MemoryStore::new()));
    let (first, _) = given_two_orders_for_the_last_credit(&e);

    let report = block_on(e.deliver_reporting(&first)).expect("deliver");

    assert!(report.conflicts.is_empty());
    assert!(matches!(report.outcome, Outcome::Appended(_)));
    assert_eq!(position(&e, Subscriber::CustomerService), 2);
}

#[test]
fn opening_the_gate_lets_a_lone_racer_through() {
    let store = FaultSwitch::new(MemoryStore::new());
    let e = engine(store.clone());
    let (first, _) = given_two_orders_for_the_last_credit(&e);
    store
        .faults()
        .race_next_appends(StreamId::new("Customer", "c1"), 2);

    let (report, ()) = block_on(futures::future::join(e.deliver_reporting(&first), async {
        store.faults().open_gate();
    }));

    assert!(matches!(
        report.expect("deliver").outcome,
        Outcome::Appended(_)
    ));
}

#[test]
fn two_user_commands_racing_on_one_customer_both_land_and_the_switch_tells_the_lost_race() {
    let store = FaultSwitch::new(MemoryStore::new());
    let a = engine(store.clone());
    let b = engine(store.clone());
    let c1 = CustomerId::new("c1");
    block_on(a.create_customer(&c1, "Ada", cents(10_000), "k1")).expect("create");
    assert!(store.faults().take_conflicts().is_empty());
    store
        .faults()
        .race_next_appends(StreamId::new("Customer", "c1"), 2);

    let (first, second) = block_on(futures::future::join(
        a.change_credit_limit(&c1, cents(20_000), "k2"),
        b.change_credit_limit(&c1, cents(30_000), "k3"),
    ));
    let (first, second) = (first.expect("first"), second.expect("second"));

    // Neither write is lost: the loser loaded version 2 and appended after the winner.
    let mut versions = vec![first[0].version, second[0].version];
    versions.sort_unstable();
    assert_eq!(versions, [2, 3]);
    assert_eq!(
        store.faults().take_conflicts(),
        vec![Conflict {
            stream: StreamId::new("Customer", "c1"),
            expected: ExpectedVersion::Exact(1),
            actual: 2,
        }]
    );
    assert!(store.faults().take_conflicts().is_empty(), "taken once");
}
