//! A lab exported and imported comes back the same; every kind of bad file is refused with a
//! message that names what is wrong; links carry scenarios intact.

use super::*;
use crate::runner::Runner;
use foldlab_store::FaultSwitch;
use futures::executor::block_on;

fn engine() -> Engine<FaultSwitch> {
    let tick = std::cell::Cell::new(1_700_000_000_000_i64);
    Engine::new(
        FaultSwitch::default(),
        Box::new(move || {
            tick.set(tick.get() + 1);
            tick.get()
        }),
    )
}

/// A lab with two customers, an approved and a cancelled order, a Customer snapshot every 2
/// events, a paused order-history projection and one delivery still waiting.
fn a_lab() -> Engine<FaultSwitch> {
    let scenario = Scenario::parse(
        r#"{"name": "a lab",
            "settings": {"snapshot_every": {"Customer": 2}},
            "steps": [
            {"create_customer": {"id": "c1", "name": "Ada", "limit_cents": 10000}},
            {"create_customer": {"id": "c2", "name": "Zoë", "limit_cents": 500}},
            {"place_order": {"id": "o1", "customer": "c1", "total_cents": 4000}},
            {"place_order": {"id": "o2", "customer": "c2", "total_cents": 4000}},
            {"projection": {"name": "order-history", "action": "catch_up"}},
            {"projection": {"name": "order-history", "action": "pause"}},
            {"deliver": "all"},
            {"place_order": {"id": "o3", "customer": "c1", "total_cents": 100}}
        ]}"#,
    )
    .expect("parses");
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
        let results = runner.run(&scenario.steps).await.expect("no violation");
        assert!(results.iter().all(|r| r.errors().is_empty()), "{results:?}");
    });
    engine
}

fn exported(engine: &Engine<FaultSwitch>) -> LabFile {
    let journal = vec![serde_json::json!({"number": 1, "sentence": "You sent a command."})];
    block_on(export(engine, journal, 42)).expect("exported")
}

fn text_of(file: &LabFile) -> String {
    serde_json::to_string_pretty(file).expect("serializes")
}

/// A valid export as a JSON value, to be spoiled by a test.
fn valid_value() -> Value {
    serde_json::to_value(exported(&a_lab())).expect("value")
}

fn refusal(value: &Value) -> String {
    let text = serde_json::to_string(value).expect("serializes");
    match read_lab_file(&text) {
        Ok(file) => block_on(check_folds(&file))
            .expect_err("refused")
            .to_string(),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_lab_exported_and_imported_is_the_same_lab() {
    let original = a_lab();
    let file = exported(&original);
    assert!(
        !file.snapshots.is_empty(),
        "the Customer snapshots are exported"
    );
    assert_eq!(file.settings.paused, vec!["order-history".to_string()]);
    assert_eq!(
        file.settings.snapshot_every.customer.map(|n| n.get()),
        Some(2)
    );
    let read = read_lab_file(&text_of(&file)).expect("read");
    assert_eq!(read, file);
    block_on(check_folds(&read)).expect("folds");
    let copy = engine();
    block_on(restore(&copy, &read)).expect("restored");
    let again = exported(&copy);
    assert_eq!(again, file);
    block_on(async {
        assert_eq!(
            copy.pending().await.expect("pending"),
            original.pending().await.expect("pending"),
            "the waiting delivery waits in the copy too"
        );
        assert_eq!(
            copy.customer_view().await.expect("view"),
            original.customer_view().await.expect("view")
        );
    });
    assert!(copy.query_side().order_history.is_paused());
}

#[test]
fn a_file_over_the_limit_is_refused_before_it_is_parsed() {
    let text = " ".repeat(MAX_LAB_FILE_BYTES + 1);
    let error = read_lab_file(&text).expect_err("refused").to_string();
    assert!(error.contains("too large"), "{error}");
    assert!(error.contains("20 MB"), "{error}");
}

#[test]
fn a_file_nested_too_deeply_is_refused_before_it_is_parsed() {
    let text = format!("{{\"format\": {}{}}}", "[".repeat(40), "]".repeat(40));
    let error = read_lab_file(&text).expect_err("refused").to_string();
    assert!(error.contains("nested too deeply"), "{error}");
    // Brackets inside strings are text, not nesting.
    let quoted = format!("[\"{}\"]", "[".repeat(100));
    assert_eq!(check_size_and_depth(&quoted, MAX_LAB_FILE_BYTES), Ok(()));
}

#[test]
fn malformed_json_is_refused_with_its_position() {
    let error = read_lab_file("{\"format\": \"foldlab-lab\",\n \"events\": [}")
        .expect_err("refused")
        .to_string();
    assert!(error.starts_with("The file is not valid JSON"), "{error}");
    assert!(error.contains("line 2"), "{error}");
}

#[test]
fn json_that_is_not_a_lab_export_is_refused() {
    assert!(refusal(&serde_json::json!([1, 2])).contains("no JSON object"));
    assert!(refusal(&serde_json::json!({"name": "happy"})).contains("no `format` field"));
    let mut value = valid_value();
    value["format"] = Value::from("something-else");
    assert!(refusal(&value).contains("\"something-else\""));
}

#[test]
fn another_format_version_is_refused() {
    let mut value = valid_value();
    value["format_version"] = Value::from(2);
    let error = refusal(&value);
    assert!(
        error.contains("version 2") && error.contains("reads version 1"),
        "{error}"
    );
}

#[test]
fn a_lab_export_of_the_wrong_shape_is_refused_naming_the_field() {
    let mut value = valid_value();
    value.as_object_mut().expect("object").remove("events");
    assert!(refusal(&value).contains("missing field `events`"));
    let mut value = valid_value();
    value["colour"] = Value::from("red");
    assert!(refusal(&value).contains("unknown field `colour`"));
    let mut value = valid_value();
    value["events"][0]["event_id"] = Value::from("one");
    assert!(refusal(&value).contains("not shaped like a lab export"));
}

#[test]
fn markup_in_a_customer_name_is_refused_naming_the_field() {
    let mut value = valid_value();
    let data = value["events"][0]["event_data"]
        .as_str()
        .expect("text")
        .to_string();
    value["events"][0]["event_data"] =
        Value::from(data.replace("Ada", "<script>alert(1)</script>"));
    let error = refusal(&value);
    assert!(
        error.contains("the field events[0].event_data.name contains \u{201c}<\u{201d}"),
        "{error}"
    );
}

#[test]
fn script_urls_control_characters_and_markup_in_keys_are_refused() {
    let mut value = valid_value();
    value["events"][2]["entity_id"] = Value::from("JavaScript:alert(1)");
    assert!(refusal(&value).contains("events[2].entity_id contains \u{201c}javascript:\u{201d}"));
    let mut value = valid_value();
    value["events"][1]["metadata"]["actor"] = Value::from("user\u{7}");
    assert!(
        refusal(&value).contains("events[1].metadata.actor contains a control character (U+0007)")
    );
    let mut value = valid_value();
    value["journal"][0]["<b>"] = Value::from(1);
    assert!(refusal(&value).contains("journal[0].<b> (a key)"));
}

#[test]
fn events_that_do_not_fold_are_refused() {
    let mut value = valid_value();
    value["events"][0]["event_type"] = Value::from("CustomerTeleported");
    let error = refusal(&value);
    assert!(
        error.contains("do not fold") && error.contains("events[0]"),
        "{error}"
    );
    let mut value = valid_value();
    value["events"][3]["event_id"] = Value::from(9);
    assert!(refusal(&value).contains("events[3] has event_id 9, expected 4"));
    let mut value = valid_value();
    value["events"][1]["version"] = Value::from(3);
    assert!(refusal(&value).contains("events[1] is version 3 of Customer c2, expected 1"));
    let mut value = valid_value();
    value["checkpoints"][0]["position"] = Value::from(999);
    assert!(refusal(&value).contains("past the last event"));
    let mut value = valid_value();
    value["snapshots"][0]["version"] = Value::from(77);
    assert!(refusal(&value).contains("snapshots[0]"));
    let mut value = valid_value();
    value["checkpoints"][2]["state"] = Value::from("{\"customers\": 5}");
    assert!(
        refusal(&value).contains("checkpoint cannot be read"),
        "{}",
        refusal(&value)
    );
}

#[test]
fn a_scenario_with_markup_in_a_name_is_refused_but_its_description_is_prose() {
    let scenario = |name: &str, description: &str| {
        format!(
            r#"{{"name": "s", "description": "{description}", "steps": [
                {{"create_customer": {{"id": "c1", "name": "{name}", "limit_cents": 100}}}}]}}"#
        )
    };
    let error = read_scenario(&scenario("<img src=x>", ""))
        .expect_err("refused")
        .to_string();
    assert!(error.contains("steps[0].create_customer.name"), "{error}");
    let read = read_scenario(&scenario("Ada", "a total > the limit is refused")).expect("read");
    assert_eq!(read.description, "a total > the limit is refused");
    let error = read_scenario("{\"name\": \"s\", \"steps\": []}")
        .expect_err("refused")
        .to_string();
    assert!(error.contains("`steps` is empty"), "{error}");
    let deep = format!("{{\"name\": {}{}}}", "[".repeat(33), "]".repeat(33));
    assert!(read_scenario(&deep)
        .expect_err("refused")
        .to_string()
        .contains("nested too deeply"));
}

#[test]
fn base64url_carries_any_text_and_refuses_what_it_cannot_read() {
    for text in [
        "",
        "a",
        "ab",
        "abc",
        "abcd",
        "{\"name\": \"Zoë – ✓\"}",
        "?&#/+=",
    ] {
        let encoded = base64url::encode(text.as_bytes());
        assert!(
            encoded
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{encoded}"
        );
        assert_eq!(
            base64url::decode(&encoded).expect("decodes"),
            text.as_bytes(),
            "{text}"
        );
    }
    assert_eq!(base64url::encode(b"Man"), "TWFu");
    assert_eq!(base64url::encode(&[0xfb, 0xff]), "-_8");
    assert!(base64url::decode("TW*u")
        .expect_err("refused")
        .contains("\u{201c}*\u{201d}"));
    assert!(base64url::decode("TWFuT").is_err());
}

/// A memory store whose snapshot writes fail while `failing` is set: a write that fails part way.
struct FailingSnapshots {
    inner: MemoryStore,
    failing: std::cell::Cell<bool>,
}

impl EventStore for FailingSnapshots {
    fn backend(&self) -> foldlab_store::Backend {
        self.inner.backend()
    }
    async fn append(
        &self,
        stream: &StreamId,
        expected: foldlab_store::ExpectedVersion,
        events: Vec<foldlab_domain::NewEvent>,
    ) -> Result<Vec<EventEnvelope>, foldlab_store::StoreError> {
        self.inner.append(stream, expected, events).await
    }
    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, foldlab_store::StoreError> {
        self.inner.read_stream(stream, after_version).await
    }
    async fn read_all(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, foldlab_store::StoreError> {
        self.inner.read_all(after, limit).await
    }
    async fn head(&self) -> Result<u64, foldlab_store::StoreError> {
        self.inner.head().await
    }
    async fn load_checkpoint(
        &self,
        subscriber: &str,
    ) -> Result<Option<Checkpoint>, foldlab_store::StoreError> {
        self.inner.load_checkpoint(subscriber).await
    }
    async fn save_checkpoint(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<(), foldlab_store::StoreError> {
        self.inner.save_checkpoint(checkpoint).await
    }
    async fn save_snapshot(&self, snapshot: &Snapshot) -> Result<(), foldlab_store::StoreError> {
        if self.failing.get() {
            return Err(foldlab_store::StoreError::QuotaExceeded("full".to_string()));
        }
        self.inner.save_snapshot(snapshot).await
    }
    async fn load_snapshot(
        &self,
        stream: &StreamId,
    ) -> Result<Option<Snapshot>, foldlab_store::StoreError> {
        self.inner.load_snapshot(stream).await
    }
    async fn clear(&self) -> Result<(), foldlab_store::StoreError> {
        self.inner.clear().await
    }
    fn subscribe(&self, listener: foldlab_store::Listener) {
        self.inner.subscribe(listener)
    }
}

#[test]
fn a_restore_that_fails_part_way_is_undone_by_restoring_the_export_taken_before() {
    let lab = Engine::new(
        FaultSwitch::new(FailingSnapshots {
            inner: MemoryStore::new(),
            failing: std::cell::Cell::new(false),
        }),
        Box::new(|| 1),
    );
    let incoming = exported(&a_lab());
    assert!(!incoming.snapshots.is_empty());
    block_on(async {
        let runner = Runner::new(&lab, &());
        let steps = Scenario::parse(
            r#"{"name": "before", "steps": [{"create_customer": {"id": "b1", "name": "Before", "limit_cents": 100}}]}"#,
        )
        .expect("parses")
        .steps;
        runner.run(&steps).await.expect("no violation");
        let before = export(&lab, Vec::new(), 0).await.expect("exported");
        lab.store().inner().failing.set(true);
        let error = restore(&lab, &incoming)
            .await
            .expect_err("the snapshot write fails");
        assert!(error.contains("snapshot"), "{error}");
        lab.store().inner().failing.set(false);
        restore(&lab, &before)
            .await
            .expect("the previous lab is written back");
        assert_eq!(export(&lab, Vec::new(), 0).await.expect("exported"), before);
    });
}
