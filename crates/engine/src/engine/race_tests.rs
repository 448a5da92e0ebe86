//! Races: commands and deliveries that run at the same time against one aggregate. The store yields
//! before every operation, so every racer reads before any appends, and the expected version decides
//! who wins; the losers load, decide again against the latest state, or give up after
//! [`MAX_ATTEMPTS`] with a clear error.

use super::*;
use foldlab_domain::customer::{CreditLimitExceeded, CustomerEvent};
use foldlab_domain::{Customer, OrderStatus};
use foldlab_store::FaultSwitch;
use futures::executor::block_on;
use futures::future::join_all;

fn engine() -> Engine<FaultSwitch> {
    Engine::new(FaultSwitch::default(), Box::new(|| 0))
}

fn cents(c: i64) -> Money {
    Money::from_cents(c)
}

fn stream(e: &Engine<FaultSwitch>, entity_type: &str, id: &str) -> Vec<EventEnvelope> {
    block_on(e.store().read_stream(&StreamId::new(entity_type, id), 0)).expect("read")
}

fn versions(events: &[EventEnvelope]) -> Vec<u64> {
    events.iter().map(|e| e.version).collect()
}

fn customer(e: &Engine<FaultSwitch>) -> Customer {
    block_on(e.load_customer(&CustomerId::new("c1")))
        .expect("load")
        .customer()
        .cloned()
        .expect("c1 exists")
}

#[test]
fn many_reservations_racing_for_one_customer_each_end_applied_once_or_clearly_rejected() {
    let e = engine();
    block_on(e.create_customer(&CustomerId::new("c1"), "Ada", cents(5_000), "k")).expect("create");
    let racers = 8;
    let commands: Vec<(u64, CustomerCommand)> = (1..=racers)
        .map(|i| {
            let order = OrderId::new(format!("o{i}"));
            let placed = block_on(e.place_order(&order, &CustomerId::new("c1"), cents(2_000), "k"))
                .expect("order");
            let command = CustomerCommand::ReserveCredit {
                order_id: order,
                amount: cents(2_000),
            };
            (placed[0].event_id, command)
        })
        .collect();

    // Eight Customer-service workers reserve at once. None starts from the state the engine kept
    // after creating the customer (a racer that did would append before the others read), so
    // every racer reads before any appends.
    e.forget_states();
    e.store().faults().set_yielding(true);
    let results = block_on(join_all(commands.iter().map(|(cause, command)| {
        e.execute_once::<CustomerDecider>(
            "c1",
            command,
            Metadata {
                actor: Subscriber::CustomerService.name().to_string(),
                correlation_id: "k".to_string(),
                causation_id: Some(*cause),
            },
        )
    })));
    e.store().faults().set_yielding(false);

    let mut applied = Vec::new();
    for result in results {
        match result {
            Ok(Executed::Appended(events) | Executed::RefusalRecorded(events)) => {
                assert_eq!(events.len(), 1);
                applied.push(events[0].event_id);
            }
            Err(error @ EngineError::TooManyConflicts { .. }) => {
                assert_eq!(
                    error,
                    EngineError::TooManyConflicts {
                        stream: StreamId::new("Customer", "c1"),
                        attempts: MAX_ATTEMPTS
                    }
                );
                assert!(error.to_string().contains(
                    "3 attempts each lost a concurrency conflict, so nothing was stored"
                ));
            }
            other => panic!("neither applied nor rejected for conflicts: {other:?}"),
        }
    }
    // Each round of reads has exactly one winner; the others try again, at most MAX_ATTEMPTS times.
    assert_eq!(applied.len(), MAX_ATTEMPTS as usize);

    let events = stream(&e, "Customer", "c1");
    assert_eq!(
        versions(&events),
        (1..=1 + applied.len() as u64).collect::<Vec<_>>(),
        "no gap and no duplicate version"
    );
    let stored: Vec<u64> = events[1..].iter().map(|e| e.event_id).collect();
    assert_eq!(stored, applied, "every applied command is stored once");

    // Each was decided against the latest state: 5,000 allows two reservations of 2,000, and the
    // third is refused with the 1,000 that was left.
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        vec![
            "CustomerCreated",
            "CreditReserved",
            "CreditReserved",
            "CreditLimitExceeded"
        ]
    );
    let refused = CustomerEvent::from_stored(
        &events[3].event_type,
        events[3].schema_version,
        &events[3].event_data,
    )
    .expect("decodes");
    assert!(matches!(
        refused,
        CustomerEvent::CreditLimitExceeded(CreditLimitExceeded { available, .. }) if available == cents(1_000)
    ));
    assert_eq!(customer(&e).reserved(), cents(4_000));
}

#[test]
fn two_orders_placed_at_once_are_serialized_by_the_customer_aggregate() {
    let e = engine();
    block_on(e.create_customer(&CustomerId::new("c1"), "Ada", cents(1_000), "k")).expect("create");
    let c1 = CustomerId::new("c1");
    let (o1, o2) = (OrderId::new("o1"), OrderId::new("o2"));

    // Both orders are placed at the same time (different aggregates: both are stored)...
    e.store().faults().set_yielding(true);
    let placed = block_on(join_all([
        e.place_order(&o1, &c1, cents(700), "k1"),
        e.place_order(&o2, &c1, cents(600), "k2"),
    ]));
    assert!(placed.iter().all(Result::is_ok), "{placed:?}");

    // ...and two Customer-service workers handle them at the same time. Each fits alone; together
    // they do not.
    let log = block_on(e.store().read_all(0, usize::MAX)).expect("read");
    let deliveries: Vec<Delivery> = log
        .into_iter()
        .filter(|event| event.event_type == "OrderCreated")
        .map(|event| Delivery {
            subscriber: Subscriber::CustomerService,
            event,
        })
        .collect();
    let outcomes = block_on(join_all(deliveries.iter().map(|d| e.deliver(d))));
    e.store().faults().set_yielding(false);
    let kinds: Vec<OutcomeKind> = outcomes
        .iter()
        .map(|o| o.as_ref().expect("delivered").kind())
        .collect();
    assert_eq!(
        kinds,
        [OutcomeKind::Appended, OutcomeKind::RefusalRecorded],
        "one reservation; the loser's refusal recorded as an event"
    );

    let types: Vec<String> = stream(&e, "Customer", "c1")
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types,
        vec!["CustomerCreated", "CreditReserved", "CreditLimitExceeded"],
        "the loser decided again against the winner's reservation"
    );
    assert!(customer(&e).reserved() <= cents(1_000));

    block_on(e.run_to_end(100)).expect("run");
    let statuses: Vec<Option<OrderStatus>> = [&o1, &o2]
        .iter()
        .map(|o| {
            block_on(e.load_order(o))
                .expect("load")
                .order()
                .map(|o| o.status)
        })
        .collect();
    assert_eq!(
        statuses,
        vec![Some(OrderStatus::Approved), Some(OrderStatus::Cancelled)]
    );
    assert_eq!(customer(&e).available_credit(), cents(300));
    assert_eq!(
        block_on(e.customer_view()).expect("view").customers[&c1].available_credit,
        cents(300)
    );
}

#[test]
fn many_users_creating_one_customer_at_once_store_it_once() {
    let e = engine();
    let c1 = CustomerId::new("c1");
    let names: Vec<String> = (0..6).map(|i| format!("Ada {i}")).collect();
    e.store().faults().set_yielding(true);
    let results = block_on(join_all(
        names
            .iter()
            .map(|name| e.create_customer(&c1, name, cents(1_000), "k")),
    ));
    e.store().faults().set_yielding(false);
    let stored: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(stored.len(), 1, "{results:?}");
    for result in &results {
        match result {
            Ok(events) => assert_eq!(events.len(), 1),
            // The losers load again, and the aggregate now refuses: it exists.
            Err(error) => assert_eq!(error.to_string(), "A customer with this id already exists."),
        }
    }
    assert_eq!(versions(&stream(&e, "Customer", "c1")), vec![1]);
    assert_eq!(customer(&e).name, "Ada 0", "the first append won");
}
