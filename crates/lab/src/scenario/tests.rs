//! Every shipped scenario plays and meets its expectations; malformed files are refused with a
//! reason; an unmet expectation fails a scenario and says why.

use super::*;

fn scenarios_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn parse_err(text: &str) -> String {
    Scenario::parse(text).expect_err("refused").to_string()
}

#[test]
fn every_shipped_scenario_plays_and_meets_its_expectations() {
    let mut played = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(scenarios_dir())
        .expect("scenarios/ exists")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("readable");
        let scenario = Scenario::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let result = play(&scenario);
        assert!(result.passed, "{}: {:#?}", path.display(), result.failures);
        played.push(path.file_stem().and_then(|s| s.to_str()).map(String::from));
    }
    for name in [
        "happy_path",
        "credit_limit_exceeded",
        "racing_for_the_last_credit",
        "duplicate_delivery",
        "crash_before_checkpoint",
        "late_delivery",
        "refused_commands",
        "cancel_an_approved_order",
        "ship_an_approved_order",
        "change_a_limit_and_delete_a_customer",
        "snapshot_fold_over_a_long_history",
        "loading_v1_events",
    ] {
        assert!(
            played.contains(&Some(name.to_string())),
            "{name} is shipped"
        );
    }
}

const HAPPY: &str = r#"{
  "name": "happy",
  "steps": [
    {"create_customer": {"id": "c1", "limit_cents": 10000}},
    {"place_order": {"id": "o1", "customer": "c1", "total_cents": 4000}},
    {"deliver": "all"}
  ]
}"#;

#[test]
fn a_file_that_is_not_json_is_refused_with_its_position() {
    let err = Scenario::parse("{\n  \"name\": \"x\",\n  \"steps\": [,]\n}").expect_err("bad");
    assert!(
        matches!(err, ScenarioError::Malformed { line: 3, .. }),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .starts_with("the scenario is malformed at line 3, column"));
    assert!(parse_err("").contains("EOF while parsing"));
}

#[test]
fn an_unknown_step_or_field_is_named() {
    let err = parse_err(r#"{"name": "x", "steps": [{"refund_order": {"id": "o1"}}]}"#);
    assert!(err.contains("unknown variant `refund_order`"), "{err}");
    assert!(
        err.contains("create_customer"),
        "lists the known steps: {err}"
    );
    let err = parse_err(r#"{"name": "x", "stepz": []}"#);
    assert!(err.contains("unknown field `stepz`"), "{err}");
    let err =
        parse_err(r#"{"name": "x", "steps": [{"create_customer": {"id": "c1", "limit": 5}}]}"#);
    assert!(err.contains("unknown field `limit`"), "{err}");
    let err = parse_err(r#"{"name": "x", "steps": [{"deliver": -1}]}"#);
    assert!(err.contains("`deliver` takes"), "{err}");
}

#[test]
fn an_unknown_order_status_or_outcome_is_refused() {
    let with_expect =
        |expect: &str| HAPPY.replace("\n  ]\n}", &format!("\n  ], \"expect\": {expect}\n}}"));
    let err = parse_err(&with_expect(r#"{"orders": {"o1": "PAID"}}"#));
    assert!(err.contains("unknown variant `PAID`"), "{err}");
    let err = parse_err(&with_expect(r#"{"outcomes": {"exploded": 1}}"#));
    assert_eq!(
        err,
        "the scenario is invalid: expect.outcomes: unknown outcome `exploded`, expected one of appended, refusal_recorded, refused, view_updated, view_unchanged, duplicate_discarded, crashed, failed"
    );
    let err = parse_err(&with_expect(r#"{"orderz": {}}"#));
    assert!(err.contains("unknown field `orderz`"), "{err}");
}

#[test]
fn a_scenario_without_a_name_or_steps_or_with_an_impossible_race_is_invalid() {
    assert!(parse_err(r#"{"steps": []}"#).contains("missing field `name`"));
    assert_eq!(
        parse_err(r#"{"name": "x", "steps": []}"#),
        "the scenario is invalid: `steps` is empty: a scenario needs at least one step"
    );
    assert_eq!(
        parse_err(r#"{"name": " ", "steps": [{"deliver": "all"}]}"#),
        "the scenario is invalid: `name` is empty"
    );
    let err = parse_err(
        r#"{"name": "x", "steps": [{"deliver": 1}, {"race": [
            {"deliver": {"subscriber": "customer-view"}},
            {"crash": {"subscriber": "customer-view"}}
        ]}]}"#,
    );
    assert_eq!(
        err,
        "the scenario is invalid: step 2: a race can deliver to customer-view only once"
    );
}

#[test]
fn an_unmet_expectation_fails_the_scenario_and_says_why() {
    let text = HAPPY.replace(
        "\n  ]\n}",
        r#"
  ],
  "expect": {
    "orders": {"o1": "CANCELLED", "o9": "APPROVED"},
    "event_types": ["CustomerCreated"],
    "available_credit": {"c1": 1},
    "view_available_credit": {"c1": 2},
    "outcomes": {"duplicate_discarded": 1},
    "errors": ["nope"],
    "pending": 5,
    "order_totals": {"o1": 4001},
    "order_lines": {"o1": [{"product_id": "pen", "quantity": 1, "unit_price_cents": 4000}]},
    "customer_loads": {"c1": {"version": 9, "snapshot_version": 1, "events_folded": 0}},
    "order_loads": {"o1": {"events_folded": 2}}
  }
}"#,
    );
    let played = play(&Scenario::parse(&text).expect("parses"));
    assert!(!played.passed);
    assert_eq!(
        played.failures,
        vec![
            "order o1: expected CANCELLED, found APPROVED",
            "order o9: expected APPROVED, found no such order",
            "order o1's total: expected 4001 cents, found 4000 cents",
            r#"order o1's line items: expected [{"product_id":"pen","quantity":1,"unit_price_cents":4000}], found [{"product_id":"item","quantity":1,"unit_price_cents":4000}]"#,
            "loading Customer c1: expected version 9, found 2",
            "loading Customer c1: expected snapshot_version 1, found 0",
            "loading Customer c1: expected events_folded 0, found 2",
            "event types: expected [\"CustomerCreated\"], found [\"CustomerCreated\", \"OrderCreated\", \"CreditReserved\", \"OrderApproved\"]",
            "customer c1's available credit: expected 1 cents, found 6000 cents",
            "customer c1's available credit in the view: expected 2 cents, found 6000 cents",
            "deliveries with outcome duplicate_discarded: expected 1, found 0",
            "failed steps: expected [\"nope\"], found []",
            "pending deliveries: expected 5, found 0",
        ]
    );
}

#[test]
fn seed_events_must_be_numbered_as_the_store_would_number_them() {
    let seeded = |events: &str| {
        format!(
            r#"{{"name": "x", "settings": {{"seed_events": [{events}]}}, "steps": [{{"deliver": "all"}}]}}"#
        )
    };
    let created = |event_id: u64, version: u64| {
        format!(
            r#"{{"event_id": {event_id}, "entity_type": "Customer", "entity_id": "c1", "version": {version}, "event_type": "CustomerCreated", "schema_version": 1, "event_data": "{{\"name\":\"Ada\",\"credit_limit_cents\":100}}", "recorded_at": 1, "metadata": {{"actor": "user", "correlation_id": "k", "causation_id": null}}}}"#
        )
    };
    assert!(Scenario::parse(&seeded(&created(1, 1))).is_ok());
    assert_eq!(
        parse_err(&seeded(&created(2, 1))),
        "the scenario is invalid: settings.seed_events[0] has event_id 2, expected 1: ids run 1, 2, …"
    );
    assert_eq!(
        parse_err(&seeded(&format!("{}, {}", created(1, 1), created(2, 3)))),
        "the scenario is invalid: settings.seed_events[1] is version 3 of Customer c1, expected 2"
    );
    let err = parse_err(&seeded(r#"{"event_id": 1}"#));
    assert!(err.contains("missing field `entity_type`"), "{err}");
}

#[test]
fn seed_events_are_stored_as_written_and_delivered_from_the_start() {
    let text =
        std::fs::read_to_string(scenarios_dir().join("loading_v1_events.json")).expect("readable");
    let scenario = Scenario::parse(&text).expect("parses");
    let played = play(&scenario);
    assert!(played.passed, "{:?}", played.failures);
    // The old events are kept as they were written (upcast on read, never rewritten), and the
    // order placed now is written in the current schema.
    let seeded = &scenario.settings.seed_events;
    assert_eq!(&played.events[..seeded.len()], seeded.as_slice());
    let created = |id: &str| {
        played
            .events
            .iter()
            .find(|e| e.entity_id == id && e.event_type == "OrderCreated")
            .map(|e| e.schema_version)
    };
    assert_eq!(created("o-b9c0d1e2"), Some(1));
    assert_eq!(created("o-new"), Some(2));
}

#[test]
fn a_snapshot_policy_and_loads_read_and_show_in_the_result() {
    let text = r#"{"name": "x", "settings": {"snapshot_every": {"Customer": 1}}, "steps": [
        {"create_customer": {"id": "c1", "limit_cents": 100}}
    ], "expect": {"customer_loads": {"c1": {"snapshot_version": 1, "events_folded": 0}}}}"#;
    let played = play(&Scenario::parse(text).expect("parses"));
    assert!(played.passed, "{:?}", played.failures);
    let json = serde_json::to_value(&played).expect("serializes");
    assert_eq!(json["loads"]["Customer c1"]["snapshot_version"], 1);
    let err = parse_err(
        r#"{"name": "x", "settings": {"snapshot_every": {"Custmer": 1}}, "steps": [{"deliver": "all"}]}"#,
    );
    assert!(err.contains("unknown field `Custmer`"), "{err}");
    let err = parse_err(
        r#"{"name": "x", "settings": {"snapshot_every": {"Order": 0}}, "steps": [{"deliver": "all"}]}"#,
    );
    assert!(err.contains("nonzero"), "{err}");
}

#[test]
fn a_step_that_fails_without_being_expected_fails_the_scenario() {
    let text = r#"{"name": "x", "steps": [
        {"place_order": {"id": "o1", "customer": "ghost", "total_cents": 100}}
    ]}"#;
    let played = play(&Scenario::parse(text).expect("parses"));
    assert_eq!(
        played.failures,
        vec!["failed steps: expected [], found [\"No order was placed: a lookup through the Customer service's API found no customer ghost. The Order aggregate did not decide this.\"]"]
    );
}

#[test]
fn the_played_result_carries_the_log_and_the_views_as_json() {
    let played = play(&Scenario::parse(HAPPY).expect("parses"));
    assert!(played.passed, "{:?}", played.failures);
    let json = serde_json::to_value(&played).expect("serializes");
    assert_eq!(json["events"].as_array().map(Vec::len), Some(4));
    assert_eq!(json["events"][2]["event_type"], "CreditReserved");
    assert_eq!(json["orders"]["o1"], "APPROVED");
    assert_eq!(
        json["customer_view"]["customers"]["c1"]["available_credit"],
        6000
    );
    assert_eq!(json["checkpoints"]["customer-view"], 4);
    assert_eq!(json["steps"][0]["result"]["stored"]["event_ids"][0], 1);
}

#[test]
fn a_shrunk_simulator_run_is_a_playable_scenario() {
    let run = crate::sim::run_seed(3, crate::sim::Settings::default()).expect("runs");
    let text = crate::sim::scenario_json(3, run.snapshots, &run.steps);
    let scenario = Scenario::parse(&text).expect("the simulator writes valid scenarios");
    assert!(
        text.trim_start()
            .starts_with("{\n  \"name\": \"simulator seed 3"),
        "{text}"
    );
    let played = play(&scenario);
    assert_eq!(
        played.events, run.log,
        "the scenario replays the seed's run"
    );
}
