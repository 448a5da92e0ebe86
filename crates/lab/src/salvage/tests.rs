//! The integrity check names every damaged record and stream, keeps the rest readable, and what
//! it salvages imports again.

use super::*;
use crate::runner::Runner;
use crate::scenario::Scenario;
use crate::sharing::{check_folds, export, read_lab_file};
use foldlab_domain::EventEnvelope;
use foldlab_engine::Engine;
use foldlab_store::integrity::*;
use foldlab_store::{EventStore, FaultSwitch};
use futures::executor::block_on;
use std::collections::BTreeSet;

/// A lab with two customers and three orders, every delivery made, snapshots every 2 Customer
/// events.
fn a_lab() -> Engine<FaultSwitch> {
    let scenario = Scenario::parse(
        r#"{"name": "a lab",
            "settings": {"snapshot_every": {"Customer": 2}},
            "steps": [
            {"create_customer": {"id": "c1", "name": "Ada", "limit_cents": 10000}},
            {"create_customer": {"id": "c2", "name": "Zoë", "limit_cents": 500}},
            {"place_order": {"id": "o1", "customer": "c1", "total_cents": 4000}},
            {"place_order": {"id": "o2", "customer": "c2", "total_cents": 4000}},
            {"deliver": "all"},
            {"place_order": {"id": "o3", "customer": "c1", "total_cents": 100}},
            {"deliver": "all"}
        ]}"#,
    )
    .expect("parses");
    let engine = Engine::new(FaultSwitch::default(), Box::new(|| 1_700_000_000_000));
    block_on(async {
        let runner = Runner::new(&engine, &());
        runner
            .prepare(
                scenario.settings.snapshot_every,
                &scenario.settings.seed_events,
            )
            .await
            .expect("prepared");
        let results = runner.run(&scenario.steps).await.expect("no violation");
        assert!(results.iter().all(|r| r.errors().is_empty()), "{results:?}");
    });
    engine
}

fn log(engine: &Engine<FaultSwitch>) -> Vec<EventEnvelope> {
    block_on(engine.store().read_all(0, usize::MAX)).expect("log")
}

fn c1() -> StreamId {
    StreamId::new("Customer", "c1")
}

/// The salvaged file, written out and read back as an import would, must pass every check.
fn imports_again(salvage: &Salvage) {
    let text = serde_json::to_string(&salvage.file).expect("serializes");
    let file = read_lab_file(&text).expect("the import reads it");
    block_on(check_folds(&file)).expect("the import replays it");
}

#[test]
fn an_untouched_store_is_intact_and_salvages_to_the_same_export() {
    let engine = a_lab();
    let report = engine.store().inner().check_integrity();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.readable, log(&engine));
    assert!(report.summary().starts_with("Every record reads"));

    let salvage = salvage(&report, LabSettings::default(), 7);
    assert_eq!(salvage.left_out, Vec::new());
    let exported = block_on(export(&engine, Vec::new(), 7)).expect("export");
    assert_eq!(salvage.file.events, exported.events);
    let mut checkpoints = salvage.file.checkpoints.clone();
    let mut expected = exported.checkpoints.clone();
    checkpoints.sort_by(|a, b| a.subscriber.cmp(&b.subscriber));
    expected.sort_by(|a, b| a.subscriber.cmp(&b.subscriber));
    assert_eq!(checkpoints, expected);
    assert_eq!(salvage.file.snapshots.len(), exported.snapshots.len());
    imports_again(&salvage);
}

#[test]
fn bad_event_data_in_the_middle_of_a_stream_is_named_and_that_stream_left_out_of_the_export() {
    let engine = a_lab();
    let mut events = log(&engine);
    let c1_events: Vec<u64> = events
        .iter()
        .filter(|e| e.entity_id == "c1")
        .map(|e| e.event_id)
        .collect();
    assert!(c1_events.len() >= 3, "c1 has a middle: {c1_events:?}");
    let victim = c1_events[1];
    events[victim as usize - 1].event_data = r#"{"credit_limit": "#.to_string();
    let report = check_log(events.clone(), Vec::new(), Vec::new());

    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    let problem = &report.problems[0];
    assert_eq!(problem.kind, ProblemKind::UnreadableData);
    assert_eq!(problem.event_id, Some(victim));
    assert_eq!(problem.stream, Some(c1()));
    assert!(problem.what.contains("not JSON"), "{}", problem.what);
    assert_eq!(report.readable.len(), events.len() - 1);
    assert!(report.readable.iter().all(|e| e.event_id != victim));
    assert_eq!(report.damaged_streams(), BTreeSet::from([c1()]));

    let salvage = salvage(&report, LabSettings::default(), 7);
    assert!(salvage.file.events.iter().all(|e| e.entity_id != "c1"));
    let others = events.iter().filter(|e| e.entity_id != "c1").count();
    assert_eq!(
        salvage.file.events.len(),
        others,
        "every other stream is whole"
    );
    assert_eq!(
        salvage.left_out[0].what,
        format!("Customer c1 ({} readable events)", c1_events.len() - 1)
    );
    assert!(salvage.left_out[0]
        .why
        .contains(&format!("event #{victim}")));
    imports_again(&salvage);
}

#[test]
fn data_the_domain_cannot_decode_is_named_even_when_it_is_json() {
    let engine = a_lab();
    let mut events = log(&engine);
    let first = &mut events[0];
    assert_eq!(first.event_type, "CustomerCreated");
    first.event_data = r#"{"name": 12}"#.to_string();
    let report = check_log(events, Vec::new(), Vec::new());
    assert_eq!(report.problems[0].kind, ProblemKind::UnreadableData);
    assert_eq!(report.problems[0].event_id, Some(1));
    assert!(
        report.problems[0].what.contains("cannot be decoded"),
        "{}",
        report.problems[0].what
    );
}

#[test]
fn a_lost_event_is_a_missing_id_and_a_version_gap_in_its_stream_and_the_rest_still_imports() {
    let engine = a_lab();
    let mut events = log(&engine);
    let lost = events
        .iter()
        .filter(|e| e.entity_id == "c1")
        .nth(1)
        .expect("c1's second event")
        .clone();
    events.retain(|e| e.event_id != lost.event_id);
    let checkpoints = block_on(export(&engine, Vec::new(), 7))
        .expect("export")
        .checkpoints;
    assert!(!checkpoints.is_empty());
    let report = check_log(events.clone(), checkpoints, Vec::new());
    let kinds: Vec<(ProblemKind, Option<StreamId>)> = report
        .problems
        .iter()
        .map(|p| (p.kind, p.stream.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (ProblemKind::MissingEvent, None),
            (ProblemKind::VersionGap, Some(c1())),
        ],
        "{:?}",
        report.problems
    );
    assert_eq!(report.problems[0].event_id, Some(lost.event_id));
    assert!(
        report.problems[1].what.contains("version 2 is missing"),
        "{}",
        report.problems[1].what
    );
    assert_eq!(report.readable, events);

    let salvage = salvage(&report, LabSettings::default(), 7);
    assert_eq!(
        salvage
            .file
            .events
            .iter()
            .map(|e| e.event_id)
            .collect::<Vec<_>>(),
        (1..=salvage.file.events.len() as u64).collect::<Vec<_>>(),
        "renumbered without gaps"
    );
    assert!(salvage.file.checkpoints.is_empty());
    assert!(salvage
        .left_out
        .iter()
        .any(|l| l.what.ends_with("checkpoints")));
    assert!(salvage
        .left_out
        .iter()
        .any(|l| l.what == format!("event #{}", lost.event_id)));
    // Causation ids follow their events, or go when the cause was left out.
    let ids: BTreeSet<u64> = salvage.file.events.iter().map(|e| e.event_id).collect();
    assert!(salvage
        .file
        .events
        .iter()
        .filter_map(|e| e.metadata.causation_id)
        .all(|cause| ids.contains(&cause)));
    imports_again(&salvage);
}

#[test]
fn a_repeated_version_and_versions_out_of_order_are_named() {
    let engine = a_lab();
    let mut events = log(&engine);
    let c1_ids: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.entity_id == "c1")
        .map(|(i, _)| i)
        .collect();
    // c1's third event claims version 2 again.
    events[c1_ids[2]].version = 2;
    let report = check_log(events.clone(), Vec::new(), Vec::new());
    assert!(report
        .problems
        .iter()
        .any(|p| p.kind == ProblemKind::RepeatedVersion && p.stream == Some(c1())));

    let mut events = log(&engine);
    events.swap(c1_ids[0], c1_ids[1]);
    // Swap only the envelopes' places, keeping each id's position: versions now go 2, 1.
    let (a, b) = (events[c1_ids[0]].event_id, events[c1_ids[1]].event_id);
    events[c1_ids[0]].event_id = b;
    events[c1_ids[1]].event_id = a;
    let report = check_log(events, Vec::new(), Vec::new());
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::OutOfOrder && p.stream == Some(c1())),
        "{:?}",
        report.problems
    );
}

#[test]
fn records_that_are_not_events_are_named_by_their_key_and_stream() {
    let engine = a_lab();
    let events = log(&engine);
    let mut raw: Vec<RawEvent> = events
        .iter()
        .map(|e| RawEvent {
            record: format!("event #{}", e.event_id),
            filed_as: Some(e.event_id),
            read: Ok(e.clone()),
        })
        .collect();
    raw[2].read = Err(NotAnEvent {
        why: "missing field `event_type`".to_string(),
        stream: Some(StreamId::new(&events[2].entity_type, &events[2].entity_id)),
        version: Some(events[2].version),
    });
    raw[4].read = Err(NotAnEvent {
        why: "EOF while parsing a string".to_string(),
        stream: None,
        version: None,
    });
    let mut misfiled = events[5].clone();
    misfiled.event_id = 99;
    raw[5].read = Ok(misfiled);
    let report = check_records(
        raw,
        Some(events.len() as u64),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let named: Vec<(ProblemKind, Option<u64>)> = report
        .problems
        .iter()
        .filter(|p| p.kind != ProblemKind::VersionGap)
        .map(|p| (p.kind, p.event_id))
        .collect();
    assert_eq!(
        named,
        vec![
            (ProblemKind::NotAnEvent, Some(3)),
            (ProblemKind::NotAnEvent, Some(5)),
            (ProblemKind::Misfiled, Some(6)),
        ],
        "{:?}",
        report.problems
    );
    assert_eq!(
        report.problems[0]
            .stream
            .as_ref()
            .map(|s| s.entity_id.as_str()),
        Some(events[2].entity_id.as_str())
    );
    assert!(report.problems[0]
        .to_string()
        .contains("missing field `event_type`"));
    assert_eq!(report.readable.len(), events.len() - 3);
}

#[test]
fn unreadable_checkpoints_and_snapshots_are_named_and_the_events_stay_whole() {
    let engine = a_lab();
    let events = log(&engine);
    let checkpoints = vec![RawRecord {
        record: "the checkpoint of customer-view".to_string(),
        stream: None,
        read: Err("expected value at line 1 column 1".to_string()),
    }];
    let snapshots = vec![RawRecord {
        record: "the snapshot of Customer c1".to_string(),
        stream: Some(c1()),
        read: Ok(Snapshot {
            entity_type: "Customer".into(),
            entity_id: "c1".into(),
            version: 2,
            event_id: 3,
            state_schema: 1,
            state: "{not json".into(),
            caused_through: None,
        }),
    }];
    let raw = events
        .iter()
        .map(|e| RawEvent {
            record: format!("event #{}", e.event_id),
            filed_as: Some(e.event_id),
            read: Ok(e.clone()),
        })
        .collect();
    let report = check_records(raw, None, Vec::new(), checkpoints, snapshots);
    let kinds: Vec<ProblemKind> = report.problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ProblemKind::UnreadableCheckpoint,
            ProblemKind::UnreadableSnapshot
        ]
    );
    assert_eq!(report.readable, events);
    assert!(
        report.summary().contains("2 problems found"),
        "{}",
        report.summary()
    );
}
