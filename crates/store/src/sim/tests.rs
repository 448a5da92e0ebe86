//! The simulator over many seeds, and the simulator's own machinery (shrinking, determinism, and
//! checks that do catch what they look for).

use super::*;
use crate::engine::Subscriber;
use crate::store::{EventStore, ExpectedVersion, StreamId};
use foldlab_domain::codec::DomainEvent;
use foldlab_domain::customer::CreditReserved;
use foldlab_domain::{CustomerEvent, Metadata, Money, OrderId};
use std::time::Instant;

/// How many seeds the suite runs, split over four tests so that both cores work.
const SEEDS: u64 = 10_000;

fn check_seeds(range: std::ops::Range<u64>) {
    let started = Instant::now();
    for seed in range.clone() {
        if let Err(report) = check_seed(seed, Settings::default()) {
            panic!("{report}");
        }
    }
    eprintln!(
        "seeds {range:?} kept every invariant in {:.1?}",
        started.elapsed()
    );
}

#[test]
fn seeds_0_to_2499_keep_every_invariant() {
    check_seeds(0..SEEDS / 4);
}

#[test]
fn seeds_2500_to_4999_keep_every_invariant() {
    check_seeds(SEEDS / 4..SEEDS / 2);
}

#[test]
fn seeds_5000_to_7499_keep_every_invariant() {
    check_seeds(SEEDS / 2..SEEDS * 3 / 4);
}

#[test]
fn seeds_7500_to_9999_keep_every_invariant() {
    check_seeds(SEEDS * 3 / 4..SEEDS);
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let a = run_seed(42, Settings::default()).expect("runs");
    let b = run_seed(42, Settings::default()).expect("runs");
    let c = run_seed(43, Settings::default()).expect("runs");
    assert_eq!(a, b);
    assert_ne!(a.steps, c.steps);
    assert_eq!(
        replay(&a.steps).map(|r| r.log),
        Ok(a.log),
        "a recorded run replays"
    );
}

/// Counts what a few hundred seeds did, so a generator that stopped producing a fault is noticed.
#[test]
fn the_simulator_exercises_every_fault_it_claims() {
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    let mut errors = std::collections::BTreeMap::<&str, usize>::new();
    let mut races = 0;
    for seed in 0..300 {
        let run = run_seed(seed, Settings::default()).expect("runs");
        for (step, result) in run.steps.iter().zip(&run.results) {
            if matches!(step, Step::Race(_)) {
                races += 1;
            }
            for delivery in result.deliveries() {
                *outcomes.entry(delivery.outcome.clone()).or_default() += 1;
            }
            for error in result.errors() {
                for needle in ["already exists", "There is no customer"] {
                    if error.contains(needle) {
                        *errors.entry(needle).or_default() += 1;
                    }
                }
            }
        }
    }
    for outcome in [
        "appended",
        "view_updated",
        "view_unchanged",
        "duplicate_discarded",
        "crashed",
    ] {
        assert!(
            outcomes.get(outcome).copied().unwrap_or(0) > 10,
            "{outcome}: {outcomes:?}"
        );
    }
    // Racing steps lose appends (and decide again) but, two or three at a time, never exhaust the
    // retries: the engine's own race tests drive enough writers for that.
    for needle in ["already exists", "There is no customer"] {
        assert!(
            errors.get(needle).copied().unwrap_or(0) > 0,
            "{needle}: {errors:?}"
        );
    }
    assert!(races > 100, "{races} races");
}

#[test]
fn a_failing_run_is_shrunk_to_the_steps_that_matter() {
    // A pretend bug: "no order is ever cancelled". Find a seed that breaks it, then shrink.
    let cancels = |steps: &[Step]| match replay(steps) {
        Ok(run) => run.log.iter().any(|e| e.event_type == "OrderCancelled"),
        Err(_) => false,
    };
    let run = (0..100)
        .map(|seed| run_seed(seed, Settings::default()).expect("runs"))
        .find(|run| cancels(&run.steps))
        .expect("some seed cancels an order");
    let shortest = shrink(run.steps.clone(), cancels);
    assert!(cancels(&shortest));
    assert!(shortest.len() < run.steps.len() / 4, "{shortest:?}");
    // Only a customer and orders over its limit remain (the final "deliver all" does the rest),
    // and every one of them is needed.
    assert!(
        shortest
            .iter()
            .all(|s| matches!(s, Step::CreateCustomer(_) | Step::PlaceOrder(_))),
        "{shortest:?}"
    );
    for i in 0..shortest.len() {
        let mut without = shortest.clone();
        without.remove(i);
        assert!(!cancels(&without), "step {i} of {shortest:?} is not needed");
    }
}

#[test]
fn a_failure_report_names_the_seed_and_prints_a_replayable_scenario() {
    let steps = vec![Step::CreateCustomer(CreateCustomer {
        id: "c1".into(),
        name: None,
        limit_cents: 100,
    })];
    let json = scenario_json(9, &steps);
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(value["name"], "simulator seed 9, shrunk");
    let back: Vec<Step> = serde_json::from_value(value["steps"].clone()).expect("steps");
    assert_eq!(back.len(), 2, "ends with everything delivered");
    assert_eq!(back[1], Step::Deliver(Deliver::All));
}

fn sneak_in(harness: &Harness, entity_id: &str, event: CustomerEvent, metadata: Metadata) {
    futures::executor::block_on(harness.engine().store().append(
        &StreamId::new("Customer", entity_id),
        ExpectedVersion::Any,
        vec![event.to_new_event(0, metadata)],
    ))
    .expect("append");
}

fn reserved(order: &str, cents: i64) -> CustomerEvent {
    CustomerEvent::CreditReserved(CreditReserved {
        order_id: OrderId::new(order),
        amount: Money::from_cents(cents),
    })
}

#[test]
fn the_checks_catch_a_reaction_stored_twice() {
    let harness = Harness::new(CLOCK_START_MS);
    futures::executor::block_on(harness.apply(&Step::CreateCustomer(CreateCustomer {
        id: "c1".into(),
        name: None,
        limit_cents: 1_000,
    })))
    .expect("create");
    let by_service = Metadata {
        actor: Subscriber::CustomerService.name().into(),
        correlation_id: "k".into(),
        causation_id: Some(7),
    };
    sneak_in(&harness, "c1", reserved("o1", 10), by_service.clone());
    assert_eq!(futures::executor::block_on(check_always(&harness)), Ok(()));
    sneak_in(&harness, "c1", reserved("o2", 10), by_service);
    let violation = futures::executor::block_on(check_always(&harness)).expect_err("caught");
    assert!(
        violation.0.contains("reacted twice to event #7"),
        "{violation}"
    );
}

#[test]
fn the_checks_catch_credit_over_the_limit_and_a_reservation_without_an_order() {
    let harness = Harness::new(CLOCK_START_MS);
    futures::executor::block_on(harness.apply(&Step::CreateCustomer(CreateCustomer {
        id: "c1".into(),
        name: None,
        limit_cents: 100,
    })))
    .expect("create");
    sneak_in(&harness, "c1", reserved("ghost", 60), Metadata::default());
    futures::executor::block_on(harness.apply(&Step::Deliver(Deliver::All))).expect("deliver");
    let violation = futures::executor::block_on(check_quiescent(&harness)).expect_err("caught");
    assert!(violation.0.contains("order ghost"), "{violation}");
    sneak_in(&harness, "c1", reserved("ghost2", 60), Metadata::default());
    let violation = futures::executor::block_on(check_always(&harness)).expect_err("caught");
    assert!(violation.0.contains("over its $1.00 limit"), "{violation}");
}
