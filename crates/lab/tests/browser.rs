#![cfg(target_arch = "wasm32")]
//! What sits above the store, checked against the browser's real storage in each engine (Chromium, Firefox, WebKit):
//! integrity reports and salvage of an IndexedDB or localStorage edited behind the store's back,
//! and the simulator's invariants on IndexedDB. Run with
//! `cargo test -p foldlab-lab --target wasm32-unknown-unknown --features foldlab-store/contract --tests`.

use foldlab_domain::EventEnvelope;
use foldlab_lab::salvage::{salvage, Salvage};
use foldlab_lab::sharing::{check_folds, read_lab_file, LabSettings};
use foldlab_lab::sim::{check_seed_on, Settings};
use foldlab_store::contract::browser::{fresh_name, local_storage, raw_idb, settle};
use foldlab_store::{
    open_browser_store, Backend, Checkpoint, EventStore, ExpectedVersion, IndexedDbStore,
    LocalStorageStore, ProblemKind, Snapshot, StoreError, StreamId,
};
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn order(id: &str) -> StreamId {
    StreamId::new("Order", id)
}

/// A small real lab in `store`: two customers, an order, every delivery made. The events are the
/// domain's own, so the integrity check's decoding finds nothing wrong with them.
async fn a_real_lab<S: EventStore>(store: S) -> Vec<EventEnvelope> {
    use foldlab_domain::{CustomerId, Money, OrderId};
    let engine = foldlab_engine::Engine::new(store, Box::new(|| 1_700_000_000_000));
    for (id, name) in [("c1", "Ada"), ("c2", "Zoë")] {
        engine
            .create_customer(&CustomerId::new(id), name, Money::from_cents(10_000), "k")
            .await
            .expect("customer");
    }
    engine
        .place_order(
            &OrderId::new("o1"),
            &CustomerId::new("c1"),
            Money::from_cents(4_000),
            "k",
        )
        .await
        .expect("order");
    while engine.step().await.expect("delivery").is_some() {}
    engine.store().read_all(0, usize::MAX).await.expect("log")
}

/// The id of the `nth` (from 1) event of `entity_id` in `log`.
fn nth_of(log: &[EventEnvelope], entity_id: &str, nth: usize) -> u64 {
    log.iter()
        .filter(|e| e.entity_id == entity_id)
        .nth(nth - 1)
        .unwrap_or_else(|| panic!("{entity_id} has an event number {nth}"))
        .event_id
}

/// Rewrites event `event_id`'s record in the database `name` with `edit`, around the store.
async fn edit_idb_event(name: &str, event_id: u64, edit: impl FnOnce(&Object)) {
    let db = raw_idb(name).await;
    let tx = db
        .transaction_with_str_and_mode("events", web_sys::IdbTransactionMode::Readwrite)
        .expect("transaction");
    let events = tx.object_store("events").expect("events");
    let record: Object = settle(
        &events
            .get(&JsValue::from_f64(event_id as f64))
            .expect("get"),
    )
    .await
    .expect("the record")
    .unchecked_into();
    edit(&record);
    settle(&events.put(&record).expect("put"))
        .await
        .expect("the edited record is stored");
    db.close();
}

/// How many records the database `name` holds in `store`.
async fn idb_count(name: &str, store: &str) -> u32 {
    let db = raw_idb(name).await;
    let tx = db.transaction_with_str(store).expect("transaction");
    let count = settle(
        &tx.object_store(store)
            .expect("store")
            .count()
            .expect("count"),
    )
    .await
    .expect("counted")
    .as_f64()
    .expect("a number") as u32;
    db.close();
    count
}

/// The salvaged export of `report` goes through an import's checks.
async fn salvage_imports_again(report: &foldlab_store::IntegrityReport) -> Salvage {
    let salvage = salvage(report, LabSettings::default(), 7);
    let text = serde_json::to_string(&salvage.file).expect("serializes");
    let file = read_lab_file(&text).expect("the import reads the salvage");
    check_folds(&file)
        .await
        .expect("the import replays the salvage");
    salvage
}

#[wasm_bindgen_test]
async fn indexed_db_records_edited_behind_the_stores_back_are_each_named_and_nothing_is_deleted() {
    let name = fresh_name("idb-integrity");
    let (store, _) = open_browser_store(&name).await;
    let log = a_real_lab(store.open_again(&name).await.expect("handle")).await;
    let c1 = StreamId::new("Customer", "c1");
    let c2 = StreamId::new("Customer", "c2");
    let o1 = order("o1");
    // Bad event data in the middle of c1 (its second event), a field removed from o1's first
    // event, and a version of the wrong type in c2's only event.
    let bad_data = nth_of(&log, "c1", 2);
    let no_type = nth_of(&log, "o1", 1);
    let wrong_type = nth_of(&log, "c2", 1);
    edit_idb_event(&name, bad_data, |r| {
        Reflect::set(r, &"event_data".into(), &"{\"order_id\": ".into()).expect("set");
    })
    .await;
    edit_idb_event(&name, no_type, |r| {
        Reflect::delete_property(r, &"event_type".into()).expect("delete");
    })
    .await;
    edit_idb_event(&name, wrong_type, |r| {
        Reflect::set(r, &"version".into(), &"one".into()).expect("set");
    })
    .await;
    let records_before = idb_count(&name, "events").await;

    // The normal read path stops, naming a record; the store says what failed, and leaves what to
    // do next to the page.
    let error = store
        .read_all(0, usize::MAX)
        .await
        .expect_err("corrupt")
        .to_string();
    assert!(
        error.contains(&format!("event #{}", no_type.min(wrong_type)))
            && !error.contains("integrity report"),
        "{error}"
    );

    let report = store.check_integrity().await.expect("the check runs");
    let named: Vec<(ProblemKind, Option<u64>, Option<StreamId>)> = report
        .problems
        .iter()
        .map(|p| (p.kind, p.event_id, p.stream.clone()))
        .collect();
    let mut expected = vec![
        (
            ProblemKind::UnreadableData,
            Some(bad_data),
            Some(c1.clone()),
        ),
        (ProblemKind::NotAnEvent, Some(no_type), Some(o1.clone())),
        (ProblemKind::NotAnEvent, Some(wrong_type), Some(c2.clone())),
    ];
    expected.sort_by_key(|(_, id, _)| *id);
    assert_eq!(named, expected, "{:#?}", report.problems);
    assert!(report
        .problems
        .iter()
        .any(|p| p.what.contains("event_type")));
    let unreadable = [bad_data, no_type, wrong_type];
    assert_eq!(
        report.readable,
        log.iter()
            .filter(|e| !unreadable.contains(&e.event_id))
            .cloned()
            .collect::<Vec<_>>(),
        "everything else reads"
    );
    assert_eq!(report.damaged_streams(), [c1, c2, o1].into_iter().collect());

    // Nothing was deleted or repaired.
    assert_eq!(idb_count(&name, "events").await, records_before);
    assert_eq!(records_before as usize, log.len());
    assert!(
        store.read_all(0, usize::MAX).await.is_err(),
        "still as it was"
    );

    // Every stream is damaged here, so the salvage holds no events, and says why for each.
    let salvage = salvage_imports_again(&report).await;
    assert!(salvage.file.events.is_empty());
    assert_eq!(salvage.left_out.len(), 4, "{:#?}", salvage.left_out);
}

#[wasm_bindgen_test]
async fn indexed_db_damage_in_one_stream_leaves_the_others_exportable() {
    let name = fresh_name("idb-salvage");
    let (store, _) = open_browser_store(&name).await;
    let log = a_real_lab(store.open_again(&name).await.expect("handle")).await;
    let bad = nth_of(&log, "c2", 1);
    edit_idb_event(&name, bad, |r| {
        Reflect::set(r, &"event_data".into(), &"{\"name\": 12}".into()).expect("set");
    })
    .await;
    let report = store.check_integrity().await.expect("the check runs");
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert_eq!(
        report.problems[0].stream,
        Some(StreamId::new("Customer", "c2"))
    );
    let salvage = salvage_imports_again(&report).await;
    assert_eq!(
        salvage.file.events.len(),
        log.len() - 1,
        "c1 and o1 are exported whole"
    );
    assert!(salvage.file.events.iter().all(|e| e.entity_id != "c2"));
}

#[wasm_bindgen_test]
async fn local_storage_truncated_json_is_named_by_key_and_stream_and_nothing_is_deleted() {
    let prefix = fresh_name("local-integrity");
    let store = LocalStorageStore::open(&prefix).expect("open");
    let log = a_real_lab(LocalStorageStore::open(&prefix).expect("handle")).await;
    let victim = nth_of(&log, "o1", 1);
    let key = format!("{prefix}/event/{victim}");
    let raw = local_storage();
    let json = raw.get_item(&key).expect("get").expect("the record");
    let truncated = &json[..json.len() / 2];
    raw.set_item(&key, truncated).expect("set");

    let error = store
        .read_all(0, usize::MAX)
        .await
        .expect_err("corrupt")
        .to_string();
    assert!(
        error.contains(&format!("event #{victim}")) && !error.contains("integrity report"),
        "{error}"
    );
    let report = store.check_integrity().await.expect("the check runs");
    assert!(!report.problems.is_empty());
    let first = &report.problems[0];
    assert_eq!(
        (first.kind, first.event_id),
        (ProblemKind::NotAnEvent, Some(victim)),
        "{:#?}",
        report.problems
    );
    assert!(first.record.contains(&key), "{}", first.record);
    assert!(first.what.contains("cut short"), "{}", first.what);
    // Half a record no longer says its stream; the gap it leaves in o1 does.
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::VersionGap && p.stream == Some(order("o1"))),
        "{:#?}",
        report.problems
    );
    assert_eq!(report.readable.len(), log.len() - 1);
    // Nothing was deleted or repaired.
    assert_eq!(raw.get_item(&key).expect("get").as_deref(), Some(truncated));
    for event in &log {
        assert!(raw
            .get_item(&format!("{prefix}/event/{}", event.event_id))
            .expect("get")
            .is_some());
    }
    let salvage = salvage_imports_again(&report).await;
    assert!(salvage.file.events.iter().all(|e| e.entity_id != "o1"));
    assert_eq!(
        salvage.file.events.len(),
        log.iter().filter(|e| e.entity_id != "o1").count(),
        "both customers are exported whole"
    );
}

/// How many of the simulator's seeds run against IndexedDB (the native suite runs 10,000 against
/// memory). Chosen so the test takes well under a minute in headless Chromium: 40 seeds took 21 s
/// on two cores shared with other builds (about half a second a seed, each on a fresh database).
const SIMULATED_SEEDS: u64 = 40;

/// A fresh IndexedDB database for each run and each replay of the shrinker.
fn fresh_databases(
    test: &str,
) -> impl FnMut() -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<IndexedDbStore, StoreError>>>,
> {
    let base = fresh_name(test);
    let mut opened = 0u32;
    move || {
        opened += 1;
        let name = format!("{base}-{opened}");
        Box::pin(async move { IndexedDbStore::open(&name).await })
    }
}

#[wasm_bindgen_test]
async fn the_simulators_invariants_hold_against_indexed_db() {
    let started = js_sys::Date::now();
    for seed in 0..SIMULATED_SEEDS {
        let run = check_seed_on(
            seed,
            Settings::default(),
            fresh_databases(&format!("sim-{seed}")),
        )
        .await
        .unwrap_or_else(|report| panic!("against IndexedDB, {report}"));
        assert!(!run.log.is_empty(), "seed {seed} stored nothing");
    }
    wasm_bindgen_test::console_log!(
        "simulator: seeds 0..{SIMULATED_SEEDS} kept every invariant against IndexedDB in {:.1} s",
        (js_sys::Date::now() - started) / 1000.0
    );
}

/// IndexedDB behind a fault of its own: every full read of the log shows event #2 twice, as a
/// broken backend might.
struct ShowsAnEventTwice(IndexedDbStore);

impl EventStore for ShowsAnEventTwice {
    fn backend(&self) -> Backend {
        self.0.backend()
    }
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<foldlab_domain::NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.0.append(stream, expected, events).await
    }
    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.0.read_stream(stream, after_version).await
    }
    async fn read_all(&self, after: u64, limit: usize) -> Result<Vec<EventEnvelope>, StoreError> {
        let mut events = self.0.read_all(after, limit).await?;
        if let Some(i) = events.iter().position(|e| e.event_id == 2) {
            let again = events[i].clone();
            events.insert(i, again);
        }
        Ok(events)
    }
    async fn head(&self) -> Result<u64, StoreError> {
        self.0.head().await
    }
    async fn load_checkpoint(&self, subscriber: &str) -> Result<Option<Checkpoint>, StoreError> {
        self.0.load_checkpoint(subscriber).await
    }
    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.0.save_checkpoint(checkpoint).await
    }
    async fn save_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.0.save_snapshot(snapshot).await
    }
    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.0.load_snapshot(stream).await
    }
    async fn clear(&self) -> Result<(), StoreError> {
        self.0.clear().await
    }
    fn subscribe(&self, listener: foldlab_store::Listener) {
        self.0.subscribe(listener)
    }
}

#[wasm_bindgen_test]
async fn a_broken_backend_fails_the_simulator_in_the_browser_with_its_seed_and_a_shrunk_scenario() {
    let mut databases = fresh_databases("sim-broken");
    let report = check_seed_on(1, Settings::default(), move || {
        let opened = databases();
        async move { opened.await.map(ShowsAnEventTwice) }
    })
    .await
    .expect_err("a log that shows an event twice breaks an invariant");
    assert!(report.starts_with("seed 1 failed"), "{report}");
    assert!(report.contains("event ids are not contiguous"), "{report}");
    let scenario = &report[report.find("\n{").expect("a scenario file") + 1..];
    let scenario = foldlab_lab::scenario::Scenario::parse(scenario).expect("the scenario reads");
    // Two events are the least that show the fault; a command stores at most two here.
    assert!(scenario.steps.len() <= 3, "shrunk: {:?}", scenario.steps);
}
