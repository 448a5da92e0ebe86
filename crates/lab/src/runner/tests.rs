//! The runner carries every shipped scenario out on a plain memory store and meets the scenario's
//! own expectations, as the checked player does; a lesson that runs a scenario in parts ends where
//! one run does; the watcher hears of every command and delivery.

use super::*;
use crate::scenario::Scenario;
use foldlab_domain::WriteModel;
use foldlab_engine::{Outcome, OutcomeKind, Recognised, Subscriber};
use futures::executor::block_on;
use std::cell::RefCell;
use std::collections::BTreeMap;

fn engine() -> Engine<FaultSwitch> {
    let tick = Cell::new(1_700_000_000_000_i64);
    Engine::new(
        FaultSwitch::default(),
        Box::new(move || {
            tick.set(tick.get() + 1);
            tick.get()
        }),
    )
}

fn shipped() -> Vec<(String, Scenario)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            (name.to_string(), Scenario::parse(&text).expect("parses"))
        })
        .collect()
}

/// Runs `scenario` in the given parts (step counts) and returns the results and the log.
fn run_in_parts(scenario: &Scenario, parts: &[usize]) -> (Vec<StepResult>, Vec<EventEnvelope>) {
    let engine = engine();
    block_on(async {
        let runner = Runner::new(&engine, &());
        runner
            .prepare(
                scenario.settings.snapshot_every,
                &scenario.settings.seed_events,
            )
            .await
            .expect("prepared");
        let mut results = Vec::new();
        let mut at = 0;
        for part in parts {
            let end = (at + part).min(scenario.steps.len());
            results.extend(
                runner
                    .run(&scenario.steps[at..end])
                    .await
                    .expect("no violation"),
            );
            at = end;
        }
        results.extend(
            runner
                .run(&scenario.steps[at..])
                .await
                .expect("no violation"),
        );
        let log = engine.store().read_all(0, usize::MAX).await.expect("log");
        (results, log)
    })
}

/// Every expectation of `scenario` the runner's end state does not meet, in words.
fn unmet(scenario: &Scenario, results: &[StepResult], log: &[EventEnvelope]) -> Vec<String> {
    let model = WriteModel::from_log(log);
    let expect = &scenario.expect;
    let mut unmet = Vec::new();
    for (id, want) in expect.orders.iter().flatten() {
        let got = model
            .orders
            .get(&OrderId::new(id))
            .and_then(|o| o.order())
            .map(|o| o.status);
        if got != Some(*want) {
            unmet.push(format!("order {id}: expected {want}, found {got:?}"));
        }
    }
    for (id, want) in expect.available_credit.iter().flatten() {
        let got = model
            .customers
            .get(&CustomerId::new(id))
            .and_then(|c| c.customer())
            .map(|c| c.available_credit().cents());
        if got != Some(*want) {
            unmet.push(format!(
                "customer {id}: expected {want} available, found {got:?}"
            ));
        }
    }
    // Racers interleave only where the store yields, and the memory store never does, so here they
    // run one after another: the same outcome, the events in another order.
    let races = scenario.steps.iter().any(|s| matches!(s, Step::Race(_)));
    if let Some(types) = expect.event_types.as_ref().filter(|_| !races) {
        let got: Vec<&str> = log.iter().map(|e| e.event_type.as_str()).collect();
        if got != types.iter().map(String::as_str).collect::<Vec<_>>() {
            unmet.push(format!("event types: expected {types:?}, found {got:?}"));
        }
    }
    if let Some(outcomes) = &expect.outcomes {
        let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
        for result in results {
            for delivery in result.deliveries() {
                *counted.entry(delivery.outcome.name()).or_default() += 1;
            }
        }
        for (outcome, want) in outcomes {
            let got = counted.get(outcome.as_str()).copied().unwrap_or(0);
            if got != *want {
                unmet.push(format!("outcome {outcome}: expected {want}, found {got}"));
            }
        }
    }
    let errors: Vec<&str> = results.iter().flat_map(|r| r.errors()).collect();
    let wanted = expect.errors.clone().unwrap_or_default();
    if errors.len() != wanted.len()
        || !errors
            .iter()
            .zip(&wanted)
            .all(|(got, want)| got.contains(want.as_str()))
    {
        unmet.push(format!("errors: expected {wanted:?}, found {errors:?}"));
    }
    unmet
}

#[test]
fn every_shipped_scenario_meets_its_expectations_on_a_plain_memory_store() {
    // Statuses, credit, event types (but for races, see `unmet`), delivery outcomes and errors.
    let scenarios = shipped();
    assert!(scenarios.len() >= 13, "found {}", scenarios.len());
    for (name, scenario) in scenarios {
        let (results, log) = run_in_parts(&scenario, &[]);
        let unmet = unmet(&scenario, &results, &log);
        assert!(unmet.is_empty(), "{name}: {unmet:#?}");
    }
}

#[test]
fn a_scenario_run_in_parts_ends_with_the_log_of_one_run() {
    for (name, scenario) in shipped() {
        let (_, whole) = run_in_parts(&scenario, &[]);
        let (_, parts) = run_in_parts(&scenario, &[1, 2, 1]);
        let types = |log: &[EventEnvelope]| -> Vec<(u64, String)> {
            log.iter()
                .map(|e| (e.event_id, e.event_type.clone()))
                .collect()
        };
        assert_eq!(types(&whole), types(&parts), "{name}");
    }
}

#[test]
fn a_crash_leaves_the_effect_stored_and_the_checkpoint_where_it_was_so_the_redelivery_is_discarded()
{
    let scenario = Scenario::parse(
        r#"{"name": "crash", "steps": [
            {"create_customer": {"id": "c1", "limit_cents": 10000}},
            {"place_order": {"id": "o1", "customer": "c1", "total_cents": 4000}},
            {"crash": {"subscriber": "customer-service"}}
        ]}"#,
    )
    .expect("parses");
    let engine = engine();
    block_on(async {
        let runner = Runner::new(&engine, &());
        let results = runner.run(&scenario.steps).await.expect("no violation");
        let crashed = results[2].deliveries();
        assert_eq!(crashed[0].outcome, OutcomeKind::Crashed);
        assert_eq!(crashed[0].stored, vec![3], "CreditReserved #3 is stored");
        let position = engine
            .store()
            .load_checkpoint("customer-service")
            .await
            .expect("readable")
            .map_or(0, |c| c.position);
        assert_eq!(
            position, 0,
            "the checkpoint is where it was before the delivery"
        );
        let again = engine
            .step_for(Subscriber::CustomerService)
            .await
            .expect("delivered")
            .expect("one waiting");
        assert_eq!(
            again.outcome,
            Outcome::DuplicateDiscarded(Recognised::ByCausation)
        );
    });
}

#[derive(Default)]
struct Heard {
    commands: RefCell<Vec<Vec<u64>>>,
    deliveries: RefCell<Vec<(String, u64)>>,
    projections: RefCell<Vec<String>>,
}

impl<S> Watcher<S> for Heard {
    async fn command(
        &self,
        _: &Engine<FaultSwitch<S>>,
        stored: &[EventEnvelope],
    ) -> Result<(), Violation> {
        self.commands
            .borrow_mut()
            .push(stored.iter().map(|e| e.event_id).collect());
        Ok(())
    }
    async fn delivered(
        &self,
        _: &Engine<FaultSwitch<S>>,
        report: &StepReport,
    ) -> Result<(), Violation> {
        self.deliveries.borrow_mut().push((
            report.delivery.subscriber.name().to_string(),
            report.delivery.event.event_id,
        ));
        Ok(())
    }
    async fn projected(
        &self,
        _: &Engine<FaultSwitch<S>>,
        name: &str,
        _: ProjectionAction,
    ) -> Result<(), Violation> {
        self.projections.borrow_mut().push(name.to_string());
        Ok(())
    }
}

#[test]
fn the_watcher_hears_of_every_command_delivery_and_projection_step_as_it_happens() {
    let scenario = Scenario::parse(
        r#"{"name": "heard", "steps": [
            {"create_customer": {"id": "c1", "limit_cents": 10000}},
            {"place_order": {"id": "o1", "customer": "c1", "total_cents": 4000}},
            {"place_order": {"id": "o2", "customer": "nobody", "total_cents": 4000}},
            {"deliver": 2},
            {"projection": {"name": "order-history", "action": "catch_up"}}
        ]}"#,
    )
    .expect("parses");
    let engine = engine();
    let heard = Heard::default();
    let results =
        block_on(Runner::new(&engine, &heard).run(&scenario.steps)).expect("no violation");
    assert_eq!(
        *heard.commands.borrow(),
        vec![vec![1], vec![2]],
        "the refused order stored nothing"
    );
    assert!(matches!(&results[2], StepResult::Failed { error } if error.contains("nobody")));
    assert_eq!(
        *heard.deliveries.borrow(),
        vec![
            ("customer-view".to_string(), 1),
            ("customer-service".to_string(), 2)
        ]
    );
    assert_eq!(
        *heard.projections.borrow(),
        vec!["order-history".to_string()]
    );
}

#[test]
fn events_stored_as_written_keep_their_ids_and_a_gap_is_refused() {
    let scenario = shipped()
        .into_iter()
        .find(|(name, _)| name == "loading_v1_events")
        .expect("shipped")
        .1;
    let seed = &scenario.settings.seed_events;
    assert!(!seed.is_empty());
    let engine = engine();
    block_on(async {
        store_as_written(engine.store(), seed)
            .await
            .expect("stored");
        let log = engine.store().read_all(0, usize::MAX).await.expect("log");
        assert_eq!(&log, seed);
        let fresh = self::engine();
        let error = store_as_written(fresh.store(), &seed[1..])
            .await
            .expect_err("ids must run on from the head");
        assert!(error.contains("was stored as #1"), "{error}");
    });
}
