//! The contract every [`EventStore`] backend must keep, written once and run against each: memory
//! natively, IndexedDB and localStorage in Chromium, Firefox and WebKit.
//!
//! Each check takes an empty store. [`for_each_contract_check!`](crate::for_each_contract_check)
//! lists them, so a backend's test file turns every check into a test with a small macro.

use crate::store::{EventStore, ExpectedVersion, Generation, StoreError, StreamId};
use crate::{Checkpoint, Replacing, Snapshot, ViewMark, ViewSave};
use foldlab_domain::{EventEnvelope, Metadata, NewEvent, PartChange};
use futures::future::join_all;
use std::cell::RefCell;
use std::rc::Rc;

/// Calls `$callback!(name)` for every check in this module.
#[macro_export]
macro_rules! for_each_contract_check {
    ($callback:ident) => {
        $callback!(an_empty_store_has_head_zero_and_no_events);
        $callback!(append_assigns_consecutive_versions_and_global_ids);
        $callback!(a_stale_expected_version_is_a_conflict_and_stores_nothing);
        $callback!(no_stream_refuses_an_existing_stream);
        $callback!(a_kept_expectation_holds_only_in_the_generation_it_was_kept_in);
        $callback!(read_stream_returns_only_that_stream_after_a_version);
        $callback!(read_all_pages_through_the_log_in_order);
        $callback!(event_data_and_metadata_come_back_unchanged);
        $callback!(checkpoints_round_trip_and_replace);
        $callback!(a_view_saved_in_parts_reads_back_whole_and_changes_only_from_its_base);
        $callback!(a_view_in_groups_reads_back_whole_and_changes_only_parts_kept_the_same_way);
        $callback!(a_view_is_set_back_only_by_a_save_that_replaces_anything);
        $callback!(subscribers_learn_the_new_head);
        $callback!(snapshots_round_trip_per_stream_and_the_latest_replaces_the_last);
        $callback!(a_snapshot_is_kept_apart_from_the_log);
        $callback!(clear_removes_events_checkpoints_and_snapshots);
        $callback!(a_large_batch_is_stored_whole);
        $callback!(concurrent_appends_to_different_streams_are_all_stored_gap_free);
        $callback!(a_wrong_expectation_among_concurrent_appends_fails_alone);
        $callback!(of_two_concurrent_appends_with_one_expectation_exactly_one_wins);
    };
}

/// An event for tests: `event_type` with a small JSON body.
pub fn new_event(event_type: &str, n: u64) -> NewEvent {
    NewEvent {
        event_type: event_type.to_string(),
        schema_version: 1,
        event_data: format!("{{\"n\":{n}}}"),
        recorded_at: 1_700_000_000_000 + n as i64,
        metadata: Metadata {
            actor: "test".into(),
            correlation_id: format!("corr-{n}"),
            causation_id: None,
        },
    }
}

fn order(id: &str) -> StreamId {
    StreamId::new("Order", id)
}

async fn must_append<S: EventStore>(
    store: &S,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> Vec<EventEnvelope> {
    match store.append(stream, expected, events).await {
        Ok(stored) => stored,
        Err(e) => panic!("append to {stream} failed: {e}"),
    }
}

async fn all<S: EventStore>(store: &S) -> Vec<EventEnvelope> {
    store.read_all(0, usize::MAX).await.expect("read_all")
}

/// A new store is empty.
pub async fn an_empty_store_has_head_zero_and_no_events<S: EventStore>(store: &S) {
    assert_eq!(store.head().await, Ok(0));
    assert!(all(store).await.is_empty());
    assert!(store
        .read_stream(&order("o1"), 0)
        .await
        .expect("read")
        .is_empty());
    assert_eq!(store.load_checkpoint("nobody").await, Ok(None));
}

/// Versions count within a stream; event ids count across the whole log.
pub async fn append_assigns_consecutive_versions_and_global_ids<S: EventStore>(store: &S) {
    let a = must_append(
        store,
        &order("a"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 1), new_event("OrderApproved", 2)],
    )
    .await;
    let b = must_append(
        store,
        &order("b"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 3)],
    )
    .await;
    let c = must_append(
        store,
        &order("a"),
        ExpectedVersion::Exact(2),
        vec![new_event("OrderShipped", 4)],
    )
    .await;
    let ids: Vec<(u64, u64)> = a
        .iter()
        .chain(&b)
        .chain(&c)
        .map(|e| (e.event_id, e.version))
        .collect();
    assert_eq!(ids, vec![(1, 1), (2, 2), (3, 1), (4, 3)]);
    assert_eq!(c[0].entity_id, "a");
    assert_eq!(c[0].entity_type, "Order");
    assert_eq!(store.head().await, Ok(4));
    let log: Vec<u64> = all(store).await.iter().map(|e| e.event_id).collect();
    assert_eq!(log, vec![1, 2, 3, 4]);
}

/// Optimistic concurrency: the second writer with the same expectation loses, and stores nothing.
pub async fn a_stale_expected_version_is_a_conflict_and_stores_nothing<S: EventStore>(store: &S) {
    must_append(
        store,
        &order("a"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 1)],
    )
    .await;
    must_append(
        store,
        &order("a"),
        ExpectedVersion::Exact(1),
        vec![new_event("OrderApproved", 2)],
    )
    .await;
    let stale = store
        .append(
            &order("a"),
            ExpectedVersion::Exact(1),
            vec![new_event("OrderCancelled", 3), new_event("X", 4)],
        )
        .await;
    assert_eq!(
        stale,
        Err(StoreError::Conflict {
            stream: order("a"),
            expected: ExpectedVersion::Exact(1),
            actual: 2
        })
    );
    assert_eq!(store.head().await, Ok(2));
    let types: Vec<String> = all(store).await.into_iter().map(|e| e.event_type).collect();
    assert_eq!(types, vec!["OrderCreated", "OrderApproved"]);
    // The store is still usable after a conflict, and `Any` always appends.
    must_append(
        store,
        &order("a"),
        ExpectedVersion::Any,
        vec![new_event("OrderShipped", 5)],
    )
    .await;
    assert_eq!(store.head().await, Ok(3));
}

/// A writer that kept a stream's state from an earlier command states its version with the store's
/// generation: it is an exact expectation while the store is the one the state was read from, and
/// a conflict once the store was reset, even when the stream was written back to the same version
/// since. A backend without generations refuses it.
pub async fn a_kept_expectation_holds_only_in_the_generation_it_was_kept_in<S: EventStore>(
    store: &S,
) {
    let stream = order("kept");
    let create = || vec![new_event("OrderCreated", 1)];
    must_append(store, &stream, ExpectedVersion::NoStream, create()).await;
    let conflict = |expected, actual| {
        Err(StoreError::Conflict {
            stream: stream.clone(),
            expected,
            actual,
        })
    };
    let Some(generation) = store.generation() else {
        let kept = ExpectedVersion::Kept {
            version: 1,
            generation: Generation(0),
        };
        let refused = store.append(&stream, kept, vec![new_event("X", 2)]).await;
        assert_eq!(refused, conflict(kept, 1));
        assert_eq!(all(store).await.len(), 1);
        return;
    };
    let kept = |version| ExpectedVersion::Kept {
        version,
        generation,
    };
    must_append(store, &stream, kept(1), vec![new_event("OrderApproved", 2)]).await;
    let moved = store
        .append(&stream, kept(1), vec![new_event("X", 3)])
        .await;
    assert_eq!(moved, conflict(kept(1), 2));

    store.clear().await.expect("clear");
    assert_ne!(
        store.generation(),
        Some(generation),
        "a reset gives a new generation"
    );
    must_append(store, &stream, ExpectedVersion::NoStream, create()).await;
    must_append(
        store,
        &stream,
        ExpectedVersion::Exact(1),
        vec![new_event("OrderCancelled", 4)],
    )
    .await;
    let before_reset = store
        .append(&stream, kept(2), vec![new_event("X", 5)])
        .await;
    assert_eq!(before_reset, conflict(kept(2), 2));
    let types: Vec<String> = all(store).await.into_iter().map(|e| e.event_type).collect();
    assert_eq!(types, vec!["OrderCreated", "OrderCancelled"]);

    let now = store.generation().expect("a generation after the reset");
    let current = ExpectedVersion::Kept {
        version: 2,
        generation: now,
    };
    must_append(store, &stream, current, vec![new_event("OrderShipped", 6)]).await;
    assert_eq!(store.head().await, Ok(3));
}

/// Creating a stream twice is a conflict.
pub async fn no_stream_refuses_an_existing_stream<S: EventStore>(store: &S) {
    must_append(
        store,
        &order("a"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 1)],
    )
    .await;
    let again = store
        .append(
            &order("a"),
            ExpectedVersion::NoStream,
            vec![new_event("OrderCreated", 2)],
        )
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { actual: 1, .. })),
        "{again:?}"
    );
    let future = store
        .append(
            &order("a"),
            ExpectedVersion::Exact(5),
            vec![new_event("X", 3)],
        )
        .await;
    assert!(
        matches!(future, Err(StoreError::Conflict { actual: 1, .. })),
        "{future:?}"
    );
    assert_eq!(store.head().await, Ok(1));
}

/// Reading a stream skips other streams and other entity types with the same id.
pub async fn read_stream_returns_only_that_stream_after_a_version<S: EventStore>(store: &S) {
    must_append(
        store,
        &order("a"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 1)],
    )
    .await;
    must_append(
        store,
        &StreamId::new("Customer", "a"),
        ExpectedVersion::NoStream,
        vec![new_event("CustomerCreated", 2)],
    )
    .await;
    must_append(
        store,
        &order("b"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 3)],
    )
    .await;
    must_append(
        store,
        &order("a"),
        ExpectedVersion::Exact(1),
        vec![new_event("OrderApproved", 4), new_event("OrderShipped", 5)],
    )
    .await;
    let a: Vec<(u64, String)> = store
        .read_stream(&order("a"), 0)
        .await
        .expect("read")
        .into_iter()
        .map(|e| (e.version, e.event_type))
        .collect();
    assert_eq!(
        a,
        vec![
            (1, "OrderCreated".into()),
            (2, "OrderApproved".into()),
            (3, "OrderShipped".into())
        ]
    );
    let tail: Vec<u64> = store
        .read_stream(&order("a"), 2)
        .await
        .expect("read")
        .iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(tail, vec![5]);
    assert!(store
        .read_stream(&order("a"), 3)
        .await
        .expect("read")
        .is_empty());
}

/// `read_all` is how a subscriber catches up: everything after its checkpoint, a page at a time.
pub async fn read_all_pages_through_the_log_in_order<S: EventStore>(store: &S) {
    for i in 0..7u64 {
        must_append(
            store,
            &order(&format!("o{i}")),
            ExpectedVersion::NoStream,
            vec![new_event("OrderCreated", i)],
        )
        .await;
    }
    let page = |after, limit| async move {
        store
            .read_all(after, limit)
            .await
            .expect("read_all")
            .iter()
            .map(|e| e.event_id)
            .collect::<Vec<_>>()
    };
    // The whole log first, named in full if it is not ids 1 to 7: a failure below then tells a
    // log numbered wrongly from a page read wrongly.
    let log: Vec<(u64, String, u64)> = all(store)
        .await
        .into_iter()
        .map(|e| (e.event_id, e.entity_id, e.version))
        .collect();
    let ids: Vec<u64> = log.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(ids, (1..=7).collect::<Vec<u64>>(), "the log: {log:?}");
    assert_eq!(page(0, 3).await, vec![1, 2, 3], "the log: {log:?}");
    assert_eq!(page(3, 3).await, vec![4, 5, 6]);
    assert_eq!(page(6, 3).await, vec![7]);
    assert_eq!(page(7, 3).await, Vec::<u64>::new());
    assert_eq!(page(100, 3).await, Vec::<u64>::new());
}

/// What goes in comes out byte for byte, markup and all.
pub async fn event_data_and_metadata_come_back_unchanged<S: EventStore>(store: &S) {
    let event = NewEvent {
        event_type: "CustomerCreated".into(),
        schema_version: 3,
        event_data: r#"{"name":"<script>alert('x')</script> Zoë \"quoted\" 😀","credit_limit_cents":9007199254740991}"#.into(),
        recorded_at: 1_732_000_000_123,
        metadata: Metadata { actor: "user".into(), correlation_id: "c-1".into(), causation_id: Some(42) },
    };
    let stored = must_append(
        store,
        &StreamId::new("Customer", "ü/1"),
        ExpectedVersion::Any,
        vec![event.clone()],
    )
    .await;
    let back = &all(store).await[0];
    assert_eq!(back, &stored[0]);
    assert_eq!(back.event_data, event.event_data);
    assert_eq!(back.schema_version, 3);
    assert_eq!(back.recorded_at, event.recorded_at);
    assert_eq!(back.metadata, event.metadata);
    assert_eq!(back.entity_id, "ü/1");
}

/// A subscriber's checkpoint is saved, read back and replaced.
pub async fn checkpoints_round_trip_and_replace<S: EventStore>(store: &S) {
    let first = Checkpoint {
        subscriber: "customer-view".into(),
        position: 3,
        state: r#"{"a":1}"#.into(),
    };
    store.save_checkpoint(&first).await.expect("save");
    assert_eq!(
        store.load_checkpoint("customer-view").await,
        Ok(Some(first.clone()))
    );
    assert_eq!(store.load_position("customer-view").await, Ok(Some(3)));
    assert_eq!(store.holds_checkpoint(&first).await, Ok(true));
    let second = Checkpoint {
        subscriber: "customer-view".into(),
        position: 9,
        state: "null".into(),
    };
    store.save_checkpoint(&second).await.expect("save");
    assert_eq!(
        store.load_checkpoint("customer-view").await,
        Ok(Some(second.clone()))
    );
    assert_eq!(store.load_position("customer-view").await, Ok(Some(9)));
    assert_eq!(store.holds_checkpoint(&second).await, Ok(true));
    // The same position with another view, or the old one, is not what the store holds.
    assert_eq!(store.holds_checkpoint(&first).await, Ok(false));
    let same_position = Checkpoint {
        state: r#"{"b":2}"#.into(),
        ..second.clone()
    };
    assert_eq!(store.holds_checkpoint(&same_position).await, Ok(false));
    assert_eq!(store.load_checkpoint("order-service").await, Ok(None));
    assert_eq!(store.load_position("order-service").await, Ok(None));
}

fn part(map: &'static str, key: &str, json: Option<&str>) -> PartChange {
    PartChange {
        map,
        key: key.to_string(),
        json: json.map(str::to_string),
    }
}

async fn save_view<S: EventStore>(
    store: &S,
    subscriber: &str,
    position: u64,
    head: &str,
    parts: &[PartChange],
    replacing: Replacing<'_>,
) -> Option<ViewMark> {
    let save = ViewSave {
        subscriber,
        position,
        head,
        parts,
        replacing,
    };
    store.save_view(&save).await.expect("save a view in parts")
}

/// The view `subscriber` reads back, as a JSON value.
async fn view_json<S: EventStore>(store: &S, subscriber: &str) -> Option<serde_json::Value> {
    let checkpoint = store.load_checkpoint(subscriber).await.expect("load")?;
    Some(serde_json::from_str(&checkpoint.state).expect("the view reads back as JSON"))
}

/// A view saved in parts reads back whole; a save of changes goes ahead only while the store
/// holds the save it was made on (not after another save, a whole checkpoint or a reset), and a
/// stamp is never given twice. A store that keeps views whole says so and refuses parts.
pub async fn a_view_saved_in_parts_reads_back_whole_and_changes_only_from_its_base<
    S: EventStore,
>(
    store: &S,
) {
    let head = |n: u64| format!(r#"{{"last_event_id":{n},"customers":{{}},"owners":{{}}}}"#);
    let first = [
        part("customers", "c1", Some(r#"{"n":1}"#)),
        part("customers", "c\"2", Some(r#"{"n":2}"#)),
        part("owners", "o1", Some(r#""c1""#)),
    ];
    if !store.saves_views_in_parts() {
        let save = ViewSave {
            subscriber: "v",
            position: 3,
            head: &head(3),
            parts: &first,
            replacing: Replacing::Anything,
        };
        assert!(store.save_view(&save).await.is_err());
        assert_eq!(store.load_checkpoint("v").await, Ok(None));
        return;
    }
    let m1 = save_view(store, "v", 3, &head(3), &first, Replacing::Anything)
        .await
        .expect("a save with no base always goes ahead");
    assert_eq!(m1.position, 3);
    assert_eq!(
        view_json(store, "v").await,
        Some(
            serde_json::json!({"last_event_id": 3, "customers": {"c1": {"n": 1}, "c\"2": {"n": 2}}, "owners": {"o1": "c1"}})
        )
    );
    assert_eq!(store.load_position("v").await, Ok(Some(3)));
    assert_eq!(store.holds_view(&m1).await, Ok(true));
    let (_, mark) = store.load_view("v").await.expect("load").expect("saved");
    assert_eq!(mark.as_ref(), Some(&m1));

    // Changes on the save they were made on: one document changed, one removed, one added.
    let changes = [
        part("customers", "c\"2", Some(r#"{"n":20}"#)),
        part("customers", "c1", None),
        part("customers", "c3", Some(r#"{"n":3}"#)),
    ];
    let m2 = save_view(store, "v", 5, &head(5), &changes, Replacing::Save(&m1))
        .await
        .expect("the store holds m1");
    let after_m2 = Some(
        serde_json::json!({"last_event_id": 5, "customers": {"c\"2": {"n": 20}, "c3": {"n": 3}}, "owners": {"o1": "c1"}}),
    );
    assert_eq!(view_json(store, "v").await, after_m2);
    assert_eq!(store.holds_view(&m1).await, Ok(false));
    assert_eq!(store.holds_view(&m2).await, Ok(true));

    // Changes made on an older save are refused, and change nothing.
    let stale = [part("owners", "o1", None)];
    assert_eq!(
        save_view(store, "v", 6, &head(6), &stale, Replacing::Save(&m1)).await,
        None
    );
    assert_eq!(view_json(store, "v").await, after_m2);
    assert_eq!(store.holds_view(&m2).await, Ok(true));

    // Another view is another checkpoint.
    let other = save_view(store, "w", 1, &head(1), &[], Replacing::Anything)
        .await
        .expect("saved");
    assert_eq!(store.holds_view(&m2).await, Ok(true));
    assert_eq!(store.holds_view(&other).await, Ok(true));

    // A checkpoint saved whole (an import) replaces the view in parts.
    let whole = Checkpoint {
        subscriber: "v".into(),
        position: 5,
        state: r#"{"last_event_id":5,"customers":{},"owners":{}}"#.into(),
    };
    store.save_checkpoint(&whole).await.expect("save");
    assert_eq!(store.load_checkpoint("v").await, Ok(Some(whole.clone())));
    assert_eq!(store.load_view("v").await, Ok(Some((whole, None))));
    assert_eq!(store.holds_view(&m2).await, Ok(false));
    assert_eq!(
        save_view(store, "v", 6, &head(6), &stale, Replacing::Save(&m2)).await,
        None
    );

    // After a reset nothing is held, and a new save at the same position is told apart.
    let m3 = save_view(store, "v", 5, &head(5), &changes, Replacing::Anything)
        .await
        .expect("saved");
    store.clear().await.expect("clear");
    assert_eq!(store.load_checkpoint("v").await, Ok(None));
    assert_eq!(store.load_checkpoint("w").await, Ok(None));
    assert_eq!(store.holds_view(&m3).await, Ok(false));
    let m4 = save_view(store, "v", 5, &head(5), &changes, Replacing::Anything)
        .await
        .expect("saved");
    assert_ne!(m4.stamp, m3.stamp);
    assert_eq!(store.holds_view(&m3).await, Ok(false));
    assert_eq!(store.holds_view(&m4).await, Ok(true));
    assert_eq!(
        view_json(store, "v").await,
        Some(
            serde_json::json!({"last_event_id": 5, "customers": {"c\"2": {"n": 20}, "c3": {"n": 3}}, "owners": {}})
        )
    );
}

/// A map kept in groups (its head says `[]`) reads back as one map of every group's entries; a
/// save whose head keeps a map another way than its base's did is refused (its parts would not fit
/// the ones stored), and then a save with no base replaces the view.
pub async fn a_view_in_groups_reads_back_whole_and_changes_only_parts_kept_the_same_way<
    S: EventStore,
>(
    store: &S,
) {
    if !store.saves_views_in_parts() {
        return;
    }
    let grouped = |n: u64| format!(r#"{{"last_event_id":{n},"owners":[]}}"#);
    let per_key = |n: u64| format!(r#"{{"last_event_id":{n},"owners":{{}}}}"#);
    let empty = save_view(store, "v", 1, &grouped(1), &[], Replacing::Anything)
        .await
        .expect("saved");
    assert_eq!(
        view_json(store, "v").await,
        Some(serde_json::json!({"last_event_id": 1, "owners": {}})),
        "a grouped map with no groups is an empty map"
    );
    let groups = [
        part("owners", "7", Some(r#"{"o1":"c1","o3":"c2"}"#)),
        part("owners", "200", Some(r#"{"o2":"c1"}"#)),
    ];
    let m1 = save_view(store, "v", 3, &grouped(3), &groups, Replacing::Save(&empty))
        .await
        .expect("the store holds the empty view");
    assert_eq!(
        view_json(store, "v").await,
        Some(
            serde_json::json!({"last_event_id": 3, "owners": {"o1": "c1", "o2": "c1", "o3": "c2"}})
        )
    );
    let regrouped = [
        part("owners", "7", Some(r#"{"o3":"c2"}"#)),
        part("owners", "200", None),
    ];
    let m2 = save_view(store, "v", 4, &grouped(4), &regrouped, Replacing::Save(&m1))
        .await
        .expect("the store holds m1");
    let after_m2 = Some(serde_json::json!({"last_event_id": 4, "owners": {"o3": "c2"}}));
    assert_eq!(view_json(store, "v").await, after_m2);

    // The same map kept a document per key: changes to it do not fit the groups stored.
    let documents = [part("owners", "o4", Some(r#""c3""#))];
    assert_eq!(
        save_view(store, "v", 5, &per_key(5), &documents, Replacing::Save(&m2)).await,
        None
    );
    assert_eq!(view_json(store, "v").await, after_m2);
    assert_eq!(store.holds_view(&m2).await, Ok(true));
    let m3 = save_view(store, "v", 5, &per_key(5), &documents, Replacing::Anything)
        .await
        .expect("a save with no base always goes ahead");
    assert_eq!(
        view_json(store, "v").await,
        Some(serde_json::json!({"last_event_id": 5, "owners": {"o4": "c3"}}))
    );
    // And back: groups onto documents are refused too.
    assert_eq!(
        save_view(store, "v", 6, &grouped(6), &groups, Replacing::Save(&m3)).await,
        None
    );
    assert_eq!(store.holds_view(&m3).await, Ok(true));
}

/// A save of every document goes ahead over the same view at its own position or an earlier one,
/// or none, but not over a save further on (another tab's, an import's): that one stays, whole.
/// Only a save that replaces anything (a rebuild) sets a view back.
pub async fn a_view_is_set_back_only_by_a_save_that_replaces_anything<S: EventStore>(store: &S) {
    if !store.saves_views_in_parts() {
        return;
    }
    let head = |n: u64| format!(r#"{{"last_event_id":{n},"customers":{{}}}}"#);
    let doc = |n: u64| [part("customers", "c1", Some(&format!(r#"{{"n":{n}}}"#)))];
    let at = |n: u64| Some(serde_json::json!({"last_event_id": n, "customers": {"c1": {"n": n}}}));
    let m10 = save_view(store, "v", 10, &head(10), &doc(10), Replacing::NotFurther)
        .await
        .expect("nothing was saved before");
    assert_eq!(
        save_view(store, "v", 5, &head(5), &doc(5), Replacing::NotFurther).await,
        None,
        "an older view does not replace a newer one"
    );
    assert_eq!(view_json(store, "v").await, at(10));
    assert_eq!(store.holds_view(&m10).await, Ok(true));
    let again = save_view(store, "v", 10, &head(10), &doc(10), Replacing::NotFurther)
        .await
        .expect("a view at the same position replaces it");
    assert_eq!(store.holds_view(&m10).await, Ok(false));
    assert_eq!(store.holds_view(&again).await, Ok(true));
    save_view(store, "v", 12, &head(12), &doc(12), Replacing::NotFurther)
        .await
        .expect("a view further on replaces it");
    assert_eq!(view_json(store, "v").await, at(12));

    // A view saved whole (an import) further on stays too.
    let imported = Checkpoint {
        subscriber: "v".into(),
        position: 20,
        state: r#"{"last_event_id":20,"customers":{}}"#.into(),
    };
    store.save_checkpoint(&imported).await.expect("save");
    assert_eq!(
        save_view(store, "v", 15, &head(15), &doc(15), Replacing::NotFurther).await,
        None
    );
    assert_eq!(store.load_checkpoint("v").await, Ok(Some(imported)));

    // A rebuild starts again from 0.
    let empty = save_view(store, "v", 0, &head(0), &[], Replacing::Anything)
        .await
        .expect("replacing anything always goes ahead");
    assert_eq!(store.load_position("v").await, Ok(Some(0)));
    assert_eq!(store.holds_view(&empty).await, Ok(true));
}

/// A listener hears the new head after each append, and nothing after a conflict.
pub async fn subscribers_learn_the_new_head<S: EventStore>(store: &S) {
    let heard = Rc::new(RefCell::new(Vec::new()));
    let sink = heard.clone();
    store.subscribe(Rc::new(move |head| sink.borrow_mut().push(head)));
    must_append(
        store,
        &order("a"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 1), new_event("OrderApproved", 2)],
    )
    .await;
    let _ = store
        .append(
            &order("a"),
            ExpectedVersion::NoStream,
            vec![new_event("OrderCreated", 3)],
        )
        .await;
    must_append(
        store,
        &order("b"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 4)],
    )
    .await;
    assert_eq!(*heard.borrow(), vec![2, 3]);
}

/// A snapshot for tests: the state of `entity_type`/`entity_id` at `version` (event `event_id`).
pub fn snapshot(entity_type: &str, entity_id: &str, version: u64, event_id: u64) -> Snapshot {
    Snapshot {
        entity_type: entity_type.to_string(),
        entity_id: entity_id.to_string(),
        version,
        event_id,
        state_schema: 1,
        state: format!("{{\"Active\":{{\"version\":{version}}}}}"),
        caused_through: None,
    }
}

async fn must_save_snapshot<S: EventStore>(store: &S, snapshot: &Snapshot) {
    if let Err(e) = store.save_snapshot(snapshot).await {
        panic!("saving the snapshot of {} failed: {e}", snapshot.stream());
    }
}

/// Each stream keeps its own latest snapshot, byte for byte; another type with the same id is
/// another stream.
pub async fn snapshots_round_trip_per_stream_and_the_latest_replaces_the_last<S: EventStore>(
    store: &S,
) {
    let customer = StreamId::new("Customer", "ü/1");
    assert_eq!(store.load_snapshot(&customer).await, Ok(None));
    let first = Snapshot {
        state_schema: 7,
        state: r#"{"Active":{"name":"<b>Zoë</b> \"quoted\" 😀","reservations":{"o/1":300}}}"#
            .into(),
        caused_through: Some(9_007_199_254_740_990),
        ..snapshot("Customer", "ü/1", 3, 9_007_199_254_740_991)
    };
    must_save_snapshot(store, &first).await;
    assert_eq!(
        store.load_snapshot(&customer).await,
        Ok(Some(first.clone()))
    );

    let same_id_other_type = snapshot("Order", "ü/1", 2, 5);
    must_save_snapshot(store, &same_id_other_type).await;
    assert_eq!(store.load_snapshot(&customer).await, Ok(Some(first)));
    assert_eq!(
        store.load_snapshot(&StreamId::new("Order", "ü/1")).await,
        Ok(Some(same_id_other_type))
    );
    assert_eq!(
        store.load_snapshot(&StreamId::new("Customer", "ü")).await,
        Ok(None)
    );

    let later = snapshot("Customer", "ü/1", 8, 20);
    must_save_snapshot(store, &later).await;
    assert_eq!(store.load_snapshot(&customer).await, Ok(Some(later)));
}

/// Saving a snapshot is not an append: the log, the head and the listeners do not see it.
pub async fn a_snapshot_is_kept_apart_from_the_log<S: EventStore>(store: &S) {
    let heard = Rc::new(RefCell::new(Vec::new()));
    let sink = heard.clone();
    store.subscribe(Rc::new(move |head| sink.borrow_mut().push(head)));
    let stored = must_append(
        store,
        &StreamId::new("Customer", "c1"),
        ExpectedVersion::NoStream,
        vec![new_event("CustomerCreated", 1)],
    )
    .await;
    must_save_snapshot(store, &snapshot("Customer", "c1", 1, 1)).await;
    assert_eq!(store.head().await, Ok(1));
    assert_eq!(all(store).await, stored);
    assert_eq!(
        store.read_stream(&StreamId::new("Customer", "c1"), 0).await,
        Ok(stored)
    );
    assert_eq!(*heard.borrow(), vec![1]);
}

/// "Reset lab" leaves an empty store that numbers from 1 again, with no snapshot left behind.
pub async fn clear_removes_events_checkpoints_and_snapshots<S: EventStore>(store: &S) {
    must_append(
        store,
        &order("a"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 1)],
    )
    .await;
    let checkpoint = Checkpoint {
        subscriber: "s".into(),
        position: 1,
        state: "null".into(),
    };
    store.save_checkpoint(&checkpoint).await.expect("save");
    must_save_snapshot(store, &snapshot("Order", "a", 1, 1)).await;
    store.clear().await.expect("clear");
    assert_eq!(store.head().await, Ok(0));
    assert!(all(store).await.is_empty());
    assert_eq!(store.load_checkpoint("s").await, Ok(None));
    assert_eq!(store.holds_checkpoint(&checkpoint).await, Ok(false));
    assert_eq!(store.load_snapshot(&order("a")).await, Ok(None));
    let again = must_append(
        store,
        &order("a"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 2)],
    )
    .await;
    assert_eq!((again[0].event_id, again[0].version), (1, 1));
}

/// A batch of 500 events lands whole, in order, in one append.
pub async fn a_large_batch_is_stored_whole<S: EventStore>(store: &S) {
    let batch: Vec<NewEvent> = (0..500).map(|i| new_event("CreditReserved", i)).collect();
    let stored = must_append(
        store,
        &StreamId::new("Customer", "big"),
        ExpectedVersion::NoStream,
        batch,
    )
    .await;
    assert_eq!(stored.len(), 500);
    assert_eq!(store.head().await, Ok(500));
    let back = store
        .read_stream(&StreamId::new("Customer", "big"), 0)
        .await
        .expect("read");
    assert!(back
        .iter()
        .enumerate()
        .all(|(i, e)| e.version == i as u64 + 1 && e.event_id == i as u64 + 1));
    assert_eq!(back[499].event_data, "{\"n\":499}");
}

/// Appends made together (as commands on different aggregates made at once), each awaited later.
async fn concurrently<S: EventStore>(
    store: &S,
    appends: Vec<(StreamId, ExpectedVersion, Vec<NewEvent>)>,
) -> Vec<Result<Vec<EventEnvelope>, StoreError>> {
    join_all(
        appends
            .iter()
            .map(|(stream, expected, events)| store.append(stream, *expected, events.clone())),
    )
    .await
}

/// Twenty appends to twenty streams made at once are all stored, with ids 1 to 20 in the order
/// they were made and no gap, each stream at version 1; a listener hears each of them.
pub async fn concurrent_appends_to_different_streams_are_all_stored_gap_free<S: EventStore>(
    store: &S,
) {
    let heard = Rc::new(RefCell::new(Vec::new()));
    let sink = heard.clone();
    store.subscribe(Rc::new(move |head| sink.borrow_mut().push(head)));
    let appends = (1..=20u64)
        .map(|i| {
            (
                order(&format!("c{i}")),
                ExpectedVersion::NoStream,
                vec![new_event("OrderCreated", i)],
            )
        })
        .collect();
    let outcomes = concurrently(store, appends).await;
    for (i, outcome) in (1..=20u64).zip(&outcomes) {
        match outcome {
            Ok(stored) => {
                let got: Vec<_> = stored
                    .iter()
                    .map(|e| (e.event_id, e.entity_id.as_str(), e.version))
                    .collect();
                assert_eq!(got, vec![(i, format!("c{i}").as_str(), 1)]);
            }
            Err(e) => panic!("append {i} failed: {e}"),
        }
    }
    assert_eq!(store.head().await, Ok(20));
    let log: Vec<(u64, String)> = all(store)
        .await
        .into_iter()
        .map(|e| (e.event_id, e.entity_id))
        .collect();
    let made: Vec<(u64, String)> = (1..=20u64).map(|i| (i, format!("c{i}"))).collect();
    assert_eq!(log, made);
    for i in 1..=20u64 {
        let stream = store
            .read_stream(&order(&format!("c{i}")), 0)
            .await
            .expect("read");
        assert_eq!(stream.len(), 1, "stream c{i}");
        assert_eq!(stream[0].version, 1);
    }
    let mut heads = heard.borrow().clone();
    heads.sort_unstable();
    assert_eq!(heads, (1..=20u64).collect::<Vec<_>>());
}

/// Among appends made at once, the one that states a wrong expected version fails alone with a
/// conflict and stores nothing of its batch; the others are stored, their ids following on
/// without a gap where it would have been.
pub async fn a_wrong_expectation_among_concurrent_appends_fails_alone<S: EventStore>(store: &S) {
    must_append(
        store,
        &order("a"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 1)],
    )
    .await;
    let outcomes = concurrently(
        store,
        vec![
            (
                order("b"),
                ExpectedVersion::NoStream,
                vec![new_event("OrderCreated", 2)],
            ),
            (
                order("a"),
                ExpectedVersion::Exact(1),
                vec![new_event("OrderApproved", 3)],
            ),
            (
                order("c"),
                ExpectedVersion::Exact(4),
                vec![new_event("OrderApproved", 4), new_event("OrderShipped", 5)],
            ),
            (
                order("d"),
                ExpectedVersion::NoStream,
                vec![new_event("OrderCreated", 6), new_event("OrderApproved", 7)],
            ),
            (
                order("a"),
                ExpectedVersion::Exact(2),
                vec![new_event("OrderShipped", 8)],
            ),
        ],
    )
    .await;
    let ids = |i: usize| -> Vec<(u64, u64)> {
        match &outcomes[i] {
            Ok(stored) => stored.iter().map(|e| (e.event_id, e.version)).collect(),
            Err(e) => panic!("append {i} failed: {e}"),
        }
    };
    assert_eq!(ids(0), vec![(2, 1)]);
    assert_eq!(ids(1), vec![(3, 2)]);
    assert_eq!(
        outcomes[2],
        Err(StoreError::Conflict {
            stream: order("c"),
            expected: ExpectedVersion::Exact(4),
            actual: 0
        })
    );
    assert_eq!(ids(3), vec![(4, 1), (5, 2)]);
    // Checked against the version the earlier append to "a" made at the same time left.
    assert_eq!(ids(4), vec![(6, 3)]);
    assert_eq!(store.head().await, Ok(6));
    assert!(store
        .read_stream(&order("c"), 0)
        .await
        .expect("read")
        .is_empty());
    let log: Vec<u64> = all(store).await.iter().map(|e| e.event_id).collect();
    assert_eq!(log, vec![1, 2, 3, 4, 5, 6]);
}

/// Two appends made at once to one stream with the same expected version: exactly one is
/// stored (the one made first), the other is a conflict that sees the winner's version.
pub async fn of_two_concurrent_appends_with_one_expectation_exactly_one_wins<S: EventStore>(
    store: &S,
) {
    must_append(
        store,
        &order("a"),
        ExpectedVersion::NoStream,
        vec![new_event("OrderCreated", 1)],
    )
    .await;
    // An append to another stream first, so on a store that commits appends together the two
    // racing ones meet in the same group.
    let outcomes = concurrently(
        store,
        vec![
            (
                order("b"),
                ExpectedVersion::NoStream,
                vec![new_event("OrderCreated", 2)],
            ),
            (
                order("a"),
                ExpectedVersion::Exact(1),
                vec![new_event("OrderApproved", 3)],
            ),
            (
                order("a"),
                ExpectedVersion::Exact(1),
                vec![new_event("OrderCancelled", 4)],
            ),
        ],
    )
    .await;
    assert!(outcomes[0].is_ok(), "{:?}", outcomes[0]);
    let winner = outcomes[1].as_ref().expect("the first racer wins");
    assert_eq!((winner[0].event_id, winner[0].version), (3, 2));
    assert_eq!(
        outcomes[2],
        Err(StoreError::Conflict {
            stream: order("a"),
            expected: ExpectedVersion::Exact(1),
            actual: 2
        })
    );
    let types: Vec<String> = store
        .read_stream(&order("a"), 0)
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, vec!["OrderCreated", "OrderApproved"]);
    assert_eq!(store.head().await, Ok(3));
}

/// Helpers the browser tests of every crate share: fresh names, raw IndexedDB access behind a
/// store's back, and the app's way of opening localStorage.
#[cfg(target_arch = "wasm32")]
pub mod browser {
    use crate::{open_browser_store_with, BrowserStore, OpenOptions};
    use js_sys::{Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    /// A database name or key prefix no earlier test or run has used, so every test starts empty.
    pub fn fresh_name(test: &str) -> String {
        format!(
            "foldlab-test-{test}-{}-{}",
            js_sys::Date::now(),
            (js_sys::Math::random() * 1e9) as u64
        )
    }

    /// The page's localStorage, to read or write behind a store's back.
    pub fn local_storage() -> web_sys::Storage {
        Reflect::get(&js_sys::global(), &"localStorage".into())
            .expect("window.localStorage")
            .unchecked_into()
    }

    /// Resolves when an IndexedDB request succeeds; its error otherwise.
    pub async fn settle(request: &web_sys::IdbRequest) -> Result<JsValue, String> {
        let promise = Promise::new(&mut |resolve, reject| {
            request.set_onsuccess(Some(&resolve));
            request.set_onerror(Some(&reject));
        });
        match JsFuture::from(promise).await {
            Ok(_) => request.result().map_err(|e| format!("{e:?}")),
            Err(_) => Err(request
                .error()
                .ok()
                .flatten()
                .map_or_else(|| "unknown".into(), |e| e.name())),
        }
    }

    /// Opens the database `name` behind the store's back, as the browser's developer tools would.
    pub async fn raw_idb(name: &str) -> web_sys::IdbDatabase {
        let factory: web_sys::IdbFactory = Reflect::get(&js_sys::global(), &"indexedDB".into())
            .expect("indexedDB")
            .unchecked_into();
        settle(&factory.open(name).expect("open"))
            .await
            .expect("raw open")
            .unchecked_into()
    }

    /// The store `name` opened as the app opens it when IndexedDB is off: localStorage.
    pub async fn open_local(name: &str) -> BrowserStore {
        let options = OpenOptions {
            skip_indexed_db: Some("this test is about localStorage".into()),
        };
        open_browser_store_with(name, &options).await.0
    }
}
