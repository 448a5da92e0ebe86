//! Snapshots and temporal queries, end to end on the memory store.

use super::*;
use foldlab_domain::{fold, CustomerEvent, Money, OrderEvent, OrderStatus};
use foldlab_store::MemoryStore;
use futures::executor::block_on;
use std::cell::Cell;

fn engine() -> Engine<MemoryStore> {
    let tick = Cell::new(1_700_000_000_000);
    Engine::new(
        MemoryStore::new(),
        Box::new(move || {
            tick.set(tick.get() + 1);
            tick.get()
        }),
    )
}

fn every(n: u64) -> Option<NonZeroU64> {
    NonZeroU64::new(n)
}

fn c1() -> CustomerId {
    CustomerId::new("c1")
}

fn customer_stream() -> StreamId {
    StreamId::new(CustomerEvent::ENTITY_TYPE, "c1")
}

/// Creates customer c1 with a credit limit of `limit` cents.
fn create_customer(e: &Engine<MemoryStore>, limit: i64) {
    block_on(e.create_customer(&c1(), "Ada", Money::from_cents(limit), "k0")).expect("create");
}

/// Places order `o{n}` for c1 and delivers everything, so the Customer service adds one event
/// (CreditReserved or CreditLimitExceeded) to c1's stream.
fn order(e: &Engine<MemoryStore>, n: usize, cents: i64) {
    let id = OrderId::new(format!("o{n}"));
    block_on(e.place_order(&id, &c1(), Money::from_cents(cents), &format!("k{n}"))).expect("order");
    block_on(e.run_to_end(100)).expect("deliveries");
}

/// The reference: every event of the stream decoded and folded from the initial state, without
/// the engine's load path.
fn folded_from_scratch<D: Snapshotting>(e: &Engine<MemoryStore>, id: &str, as_of: u64) -> D::State
where
    D::Event: DomainEvent,
{
    let stream = StreamId::new(D::Event::ENTITY_TYPE, id);
    let events: Vec<D::Event> = block_on(e.store().read_stream(&stream, 0))
        .expect("read")
        .iter()
        .filter(|x| x.event_id <= as_of)
        .map(|x| D::Event::from_stored(&x.event_type, x.schema_version, &x.event_data))
        .collect::<Result<_, _>>()
        .expect("decode");
    fold::<D>(D::initial_state(), &events)
}

fn stored_snapshot(e: &Engine<MemoryStore>) -> Option<Snapshot> {
    block_on(e.store().load_snapshot(&customer_stream())).expect("load snapshot")
}

fn available(state: &CustomerState) -> Option<i64> {
    state.customer().map(|c| c.available_credit().cents())
}

#[test]
fn a_snapshot_is_written_each_time_the_version_crosses_a_multiple_of_n() {
    let e = engine();
    e.set_snapshot_policy(
        e.snapshot_policy()
            .with(CustomerEvent::ENTITY_TYPE, every(3)),
    );
    create_customer(&e, 1_000_000);
    let mut versions = vec![stored_snapshot(&e).map(|s| s.version)];
    for n in 1..=6 {
        order(&e, n, 100);
        versions.push(stored_snapshot(&e).map(|s| s.version));
    }
    // Stream versions 1..=7; the snapshot follows at 3 and 6.
    assert_eq!(
        versions,
        vec![None, None, Some(3), Some(3), Some(3), Some(6), Some(6)]
    );
    let snapshot = stored_snapshot(&e).expect("snapshot");
    let sixth = block_on(e.store().read_stream(&customer_stream(), 5)).expect("read")[0].clone();
    assert_eq!(
        (snapshot.event_id, snapshot.state_schema),
        (sixth.event_id, CustomerDecider::STATE_SCHEMA)
    );
    assert_eq!(
        CustomerDecider::decode_state(snapshot.state_schema, &snapshot.state),
        Ok(folded_from_scratch::<CustomerDecider>(
            &e,
            "c1",
            snapshot.event_id
        ))
    );
}

#[test]
fn a_customer_loads_from_its_latest_snapshot_and_only_the_events_after_it() {
    let e = engine();
    e.set_snapshot_policy(
        e.snapshot_policy()
            .with(CustomerEvent::ENTITY_TYPE, every(3)),
    );
    create_customer(&e, 1_000);
    for n in 1..=6 {
        order(&e, n, 100);
    }
    let (state, report) = block_on(e.load_customer_with_report(&c1())).expect("load");
    assert_eq!(
        state,
        folded_from_scratch::<CustomerDecider>(&e, "c1", u64::MAX)
    );
    assert_eq!(available(&state), Some(400));
    assert_eq!(
        (
            report.snapshot_version,
            report.events_folded,
            report.version,
            report.skipped,
            report.rebuilt
        ),
        (Some(6), 1, 7, None, None)
    );
    assert_eq!(report.stream, customer_stream());
}

#[test]
fn commands_decide_on_the_snapshot_plus_tail_as_they_would_on_the_full_fold() {
    let e = engine();
    e.set_snapshot_policy(
        e.snapshot_policy()
            .with(CustomerEvent::ENTITY_TYPE, every(2)),
    );
    create_customer(&e, 1_000);
    order(&e, 1, 400);
    order(&e, 2, 400);
    // Loaded from the snapshot at version 2 plus one event: 200 left, so 400 is refused.
    order(&e, 3, 400);
    order(&e, 4, 200);
    let status = |n: usize| {
        block_on(e.load_order(&OrderId::new(format!("o{n}"))))
            .expect("load")
            .order()
            .map(|o| o.status)
    };
    assert_eq!(
        [status(1), status(2), status(3), status(4)],
        [
            Some(OrderStatus::Approved),
            Some(OrderStatus::Approved),
            Some(OrderStatus::Cancelled),
            Some(OrderStatus::Approved)
        ]
    );
    let (state, report) = block_on(e.load_customer_with_report(&c1())).expect("load");
    assert_eq!(available(&state), Some(0));
    assert_eq!((report.snapshot_version, report.version), (Some(4), 5));
}

#[test]
fn the_policy_can_change_while_the_lab_runs_and_off_means_every_event_is_folded() {
    let e = engine();
    assert_eq!(
        e.snapshot_policy().interval(CustomerEvent::ENTITY_TYPE),
        None
    );
    create_customer(&e, 1_000);
    order(&e, 1, 10);
    order(&e, 2, 10);
    assert_eq!(stored_snapshot(&e), None, "off: nothing is written");
    let (_, report) = block_on(e.load_customer_with_report(&c1())).expect("load");
    assert_eq!((report.snapshot_version, report.events_folded), (None, 3));

    e.set_snapshot_policy(
        e.snapshot_policy()
            .with(CustomerEvent::ENTITY_TYPE, every(2)),
    );
    assert_eq!(
        e.snapshot_policy().interval(CustomerEvent::ENTITY_TYPE),
        every(2)
    );
    assert_eq!(e.snapshot_policy().interval(OrderEvent::ENTITY_TYPE), None);
    order(&e, 3, 10);
    assert_eq!(stored_snapshot(&e).map(|s| s.version), Some(4));
    let (_, report) = block_on(e.load_customer_with_report(&c1())).expect("load");
    assert_eq!(
        (report.snapshot_version, report.events_folded),
        (Some(4), 0)
    );

    e.set_snapshot_policy(e.snapshot_policy().with(CustomerEvent::ENTITY_TYPE, None));
    let (state, report) = block_on(e.load_customer_with_report(&c1())).expect("load");
    assert_eq!((report.snapshot_version, report.events_folded), (None, 4));
    assert_eq!(available(&state), Some(970));
}

/// Plants `snapshot` as c1's, claiming the stream's current version and event.
fn plant(e: &Engine<MemoryStore>, state_schema: u32, state: &str) -> Snapshot {
    let last = block_on(e.store().read_stream(&customer_stream(), 0))
        .expect("read")
        .pop()
        .expect("an event");
    let snapshot = Snapshot {
        entity_type: "Customer".into(),
        entity_id: "c1".into(),
        version: last.version,
        event_id: last.event_id,
        state_schema,
        state: state.into(),
        caused_through: None,
    };
    block_on(e.store().save_snapshot(&snapshot)).expect("plant");
    snapshot
}

/// Loads c1 with an untrusted snapshot planted, expecting it to be skipped for `why` and rebuilt.
fn check_skipped_and_rebuilt(e: &Engine<MemoryStore>, why: SnapshotSkipped) {
    let (state, report) = block_on(e.load_customer_with_report(&c1())).expect("load");
    assert_eq!(
        state,
        folded_from_scratch::<CustomerDecider>(e, "c1", u64::MAX),
        "the untrusted snapshot must not be read"
    );
    assert_eq!(
        (
            report.skipped,
            report.snapshot_version,
            report.events_folded,
            report.rebuilt
        ),
        (Some(why), None, 3, Some(3))
    );
    let rebuilt = stored_snapshot(e).expect("rebuilt");
    assert_eq!(
        (rebuilt.version, rebuilt.state_schema),
        (3, CustomerDecider::STATE_SCHEMA)
    );
    // The next load trusts the rebuilt snapshot.
    let (again, report) = block_on(e.load_customer_with_report(&c1())).expect("load");
    assert_eq!(again, state);
    assert_eq!(
        (
            report.skipped,
            report.snapshot_version,
            report.events_folded
        ),
        (None, Some(3), 0)
    );
}

fn customer_with_two_reservations() -> Engine<MemoryStore> {
    let e = engine();
    // Policy on, but N is too large to write a snapshot by itself.
    e.set_snapshot_policy(
        e.snapshot_policy()
            .with(CustomerEvent::ENTITY_TYPE, every(100)),
    );
    create_customer(&e, 1_000);
    order(&e, 1, 300);
    order(&e, 2, 200);
    e
}

#[test]
fn a_snapshot_written_under_an_older_state_schema_is_skipped_and_rebuilt() {
    let e = customer_with_two_reservations();
    // Its JSON even parses as today's state, which is exactly why the schema must be checked first.
    plant(
        &e,
        0,
        r#"{"Active":{"name":"Ada","credit_limit":999999,"reservations":{}}}"#,
    );
    check_skipped_and_rebuilt(
        &e,
        SnapshotSkipped::Untrusted(SnapshotRejection::OlderSchema {
            found: 0,
            current: 1,
        }),
    );
    let state = block_on(e.load_customer(&c1())).expect("load");
    assert_eq!(available(&state), Some(500));
}

#[test]
fn a_snapshot_that_does_not_deserialize_is_skipped_and_rebuilt() {
    let e = customer_with_two_reservations();
    plant(&e, 1, r#"{"Active":{"name":"Ada"}}"#);
    let why = match CustomerDecider::decode_state(1, r#"{"Active":{"name":"Ada"}}"#) {
        Err(rejection) => SnapshotSkipped::Untrusted(rejection),
        Ok(state) => panic!("a customer without a limit read back as {state:?}"),
    };
    check_skipped_and_rebuilt(&e, why);
}

#[test]
fn a_snapshot_whose_event_is_not_at_its_place_in_the_stream_is_not_trusted() {
    let e = customer_with_two_reservations();
    let good = plant(
        &e,
        1,
        r#"{"Active":{"name":"Ada","credit_limit":999999,"reservations":{}}}"#,
    );
    let moved = Snapshot {
        event_id: good.event_id + 1,
        ..good.clone()
    };
    block_on(e.store().save_snapshot(&moved)).expect("plant");
    check_skipped_and_rebuilt(
        &e,
        SnapshotSkipped::Detached {
            version: 3,
            event_id: moved.event_id,
        },
    );
    let beyond = Snapshot { version: 9, ..good };
    block_on(e.store().save_snapshot(&beyond)).expect("plant");
    check_skipped_and_rebuilt(
        &e,
        SnapshotSkipped::Detached {
            version: 9,
            event_id: beyond.event_id,
        },
    );
}

#[test]
fn take_snapshot_writes_one_at_the_current_version_whatever_the_policy() {
    let e = engine();
    assert_eq!(
        block_on(e.take_snapshot::<CustomerDecider>("c1")),
        Ok(None),
        "an empty stream has nothing to snapshot"
    );
    create_customer(&e, 1_000);
    order(&e, 1, 300);
    let taken = block_on(e.take_snapshot::<CustomerDecider>("c1"))
        .expect("take")
        .expect("a snapshot");
    assert_eq!(taken.version, 2);
    assert_eq!(stored_snapshot(&e), Some(taken));
}

/// The article's temporal query: the log of one customer whose available credit changes over
/// time, asked about at every event.
fn customer_whose_credit_changes_over_time(e: &Engine<MemoryStore>) {
    create_customer(e, 1_000);
    order(e, 1, 300);
    order(e, 2, 500);
    order(e, 3, 400);
    order(e, 4, 100);
    let log: Vec<(u64, String)> = block_on(e.store().read_all(0, usize::MAX))
        .expect("read")
        .into_iter()
        .map(|x| (x.event_id, x.event_type))
        .collect();
    let expected: Vec<(u64, String)> = [
        "CustomerCreated",
        "OrderCreated",
        "CreditReserved",
        "OrderApproved",
        "OrderCreated",
        "CreditReserved",
        "OrderApproved",
        "OrderCreated",
        "CreditLimitExceeded",
        "OrderCancelled",
        "OrderCreated",
        "CreditReserved",
        "OrderApproved",
    ]
    .iter()
    .zip(1..)
    .map(|(t, id)| (id, t.to_string()))
    .collect();
    assert_eq!(log, expected);
}

/// Available credit (cents) of c1 as of each event id 0..=13.
const CREDIT_OVER_TIME: [Option<i64>; 14] = [
    None,
    Some(1_000),
    Some(1_000),
    Some(700),
    Some(700),
    Some(700),
    Some(200),
    Some(200),
    Some(200),
    Some(200),
    Some(200),
    Some(200),
    Some(100),
    Some(100),
];

#[test]
fn the_available_credit_of_a_customer_as_of_any_past_event() {
    let e = engine();
    customer_whose_credit_changes_over_time(&e);
    let credit: Vec<Option<i64>> = (0..=13)
        .map(|as_of| {
            available(
                &block_on(e.load_as_of::<CustomerDecider>(c1().as_str(), as_of))
                    .map(|(s, _)| s)
                    .expect("as of"),
            )
        })
        .collect();
    assert_eq!(credit, CREDIT_OVER_TIME);
    let o3 = OrderId::new("o3");
    let status = |as_of| {
        block_on(e.load_as_of::<OrderDecider>(o3.as_str(), as_of))
            .map(|(s, _)| s)
            .expect("as of")
            .order()
            .map(|o| o.status)
    };
    assert_eq!(
        [status(7), status(8), status(9), status(10)],
        [
            None,
            Some(OrderStatus::New),
            Some(OrderStatus::New),
            Some(OrderStatus::Cancelled)
        ]
    );
}

#[test]
fn a_temporal_query_uses_the_snapshot_only_at_or_before_its_point_and_writes_nothing() {
    let e = engine();
    e.set_snapshot_policy(
        e.snapshot_policy()
            .with(CustomerEvent::ENTITY_TYPE, every(2)),
    );
    customer_whose_credit_changes_over_time(&e);
    // c1's versions 1..=5 are events 1, 3, 6, 9 and 12: the latest snapshot is version 4, event 9.
    let latest = stored_snapshot(&e).expect("snapshot");
    assert_eq!((latest.version, latest.event_id), (4, 9));
    for (as_of, expected) in CREDIT_OVER_TIME.iter().enumerate() {
        let (state, report) =
            block_on(e.load_as_of::<CustomerDecider>("c1", as_of as u64)).expect("as of");
        assert_eq!(available(&state), *expected, "as of event {as_of}");
        assert_eq!(report.as_of, Some(as_of as u64));
        if as_of >= 9 {
            assert_eq!(report.snapshot_version, Some(4), "as of event {as_of}");
            assert_eq!(report.skipped, None);
        } else {
            assert_eq!(report.snapshot_version, None, "as of event {as_of}");
            assert_eq!(
                report.skipped,
                Some(SnapshotSkipped::AfterPoint { event_id: 9 })
            );
        }
    }
    let (_, report) = block_on(e.load_as_of::<CustomerDecider>("c1", 12)).expect("as of");
    assert_eq!(
        (report.version, report.last_event_id, report.events_folded),
        (5, 12, 1)
    );
    let (_, report) = block_on(e.load_as_of::<CustomerDecider>("c1", 8)).expect("as of");
    assert_eq!(
        (report.version, report.last_event_id, report.events_folded),
        (3, 6, 3)
    );
    assert_eq!(stored_snapshot(&e), Some(latest), "queries write nothing");
}

/// Properties over random histories made by the engine itself.
#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        CreateCustomer { customer: u8, limit: i64 },
        PlaceOrder { customer: u8, cents: i64 },
        Deliver { steps: u8 },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            1 => (0..3u8, 1..5_000i64)
                .prop_map(|(customer, limit)| Op::CreateCustomer { customer, limit }),
            4 => (0..3u8, 1..2_000i64)
                .prop_map(|(customer, cents)| Op::PlaceOrder { customer, cents }),
            3 => (1..6u8).prop_map(|steps| Op::Deliver { steps }),
        ]
    }

    fn run(e: &Engine<MemoryStore>, ops: &[Op]) -> usize {
        let mut orders = 0;
        for op in ops {
            match op {
                Op::CreateCustomer { customer, limit } => {
                    // A second create of the same customer is refused: part of the history.
                    let _ = block_on(e.create_customer(
                        &CustomerId::new(format!("c{customer}")),
                        "Ada",
                        Money::from_cents(*limit),
                        "k",
                    ));
                }
                Op::PlaceOrder { customer, cents } => {
                    let id = OrderId::new(format!("o{orders}"));
                    let customer = CustomerId::new(format!("c{customer}"));
                    if block_on(e.place_order(&id, &customer, Money::from_cents(*cents), "k"))
                        .is_ok()
                    {
                        orders += 1;
                    }
                }
                Op::Deliver { steps } => {
                    block_on(e.run_to_end(usize::from(*steps))).expect("deliveries");
                }
            }
        }
        orders
    }

    /// The load (snapshot + tail) equals the full fold, and the snapshot it starts from is the
    /// policy's latest: less than N events behind.
    fn check_load<D: Snapshotting>(e: &Engine<MemoryStore>, id: &str, every: u64)
    where
        D::Event: DomainEvent,
        D::State: PartialEq + std::fmt::Debug,
    {
        let (state, report) = block_on(e.load_with_report::<D>(id)).expect("load");
        assert_eq!(state, folded_from_scratch::<D>(e, id, u64::MAX), "{id}");
        let start = report.snapshot_version.unwrap_or(0);
        assert_eq!(report.events_folded as u64, report.version - start, "{id}");
        assert!(report.version - start < every, "{id}: {report:?}");
        assert_eq!(report.skipped, None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_history_loads_from_its_snapshot_exactly_as_from_its_first_event(
            ops in prop::collection::vec(op(), 1..40),
            customer_every in 1u64..6,
            order_every in 1u64..4,
        ) {
            let e = engine();
            e.set_snapshot_policy(e.snapshot_policy().with(CustomerEvent::ENTITY_TYPE, every(customer_every)));
            e.set_snapshot_policy(e.snapshot_policy().with(OrderEvent::ENTITY_TYPE, every(order_every)));
            let orders = run(&e, &ops);
            for c in 0..3 {
                check_load::<CustomerDecider>(&e, &format!("c{c}"), customer_every);
            }
            for o in 0..orders {
                check_load::<OrderDecider>(&e, &format!("o{o}"), order_every);
            }
        }

        #[test]
        fn a_temporal_query_equals_the_fold_of_the_events_up_to_its_point(
            ops in prop::collection::vec(op(), 1..30),
            customer_every in prop::option::of(1u64..4),
        ) {
            let e = engine();
            e.set_snapshot_policy(e.snapshot_policy().with(CustomerEvent::ENTITY_TYPE, customer_every.and_then(every)));
            run(&e, &ops);
            let head = block_on(e.store().head()).expect("head");
            for c in 0..3 {
                let id = format!("c{c}");
                for as_of in 0..=head {
                    let (state, report) =
                        block_on(e.load_as_of::<CustomerDecider>(&id, as_of)).expect("as of");
                    prop_assert_eq!(
                        state,
                        folded_from_scratch::<CustomerDecider>(&e, &id, as_of),
                        "{} as of {}", id, as_of
                    );
                    prop_assert!(report.last_event_id <= as_of);
                }
            }
        }
    }
}
