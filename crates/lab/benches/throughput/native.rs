//! The benchmarks themselves (see `main.rs`), native only: criterion and the timings need an OS.

use criterion::{Criterion, SamplingMode, Throughput};
use foldlab_domain::codec::DomainEvent;
use foldlab_domain::customer::{CreditReserved, CustomerCreated};
use foldlab_domain::order::OrderCreated;
use foldlab_domain::LineItem;
use foldlab_domain::{
    CustomerDecider, CustomerEvent, CustomerId, CustomerViews, Metadata, Money, NewEvent,
    OrderEvent, OrderId,
};
use foldlab_engine::Engine;
use foldlab_lab::bench_data::{fold_history, history_events, history_new_events};
use foldlab_store::{EventStore, ExpectedVersion, MemoryStore, StreamId};
use futures::executor::block_on;
use std::hint::black_box;
use std::num::NonZeroU64;
use std::time::{Duration, Instant};

/// The length of the long Customer history.
const HISTORY: u64 = 1_000_000;
/// Events after the snapshot: half of N for a policy of every 1,000 events, the average tail.
const TAIL: u64 = 500;
const BATCH: u64 = 10_000;
/// The snapshot load may take at most this share of the full fold's time.
const BUDGET: f64 = 0.01;

fn metadata() -> Metadata {
    Metadata {
        actor: "customer-service".into(),
        correlation_id: "bench".into(),
        causation_id: Some(1),
    }
}

fn append_history(store: &MemoryStore, stream: &StreamId, from: u64, to: u64) {
    let mut n = from;
    while n <= to {
        let last = (n + BATCH - 1).min(to);
        let batch: Vec<NewEvent> = history_new_events(n, last);
        block_on(store.append(stream, ExpectedVersion::Any, batch)).expect("append");
        n = last + 1;
    }
}

/// An engine whose store holds customer `c1` with [`HISTORY`] events and a snapshot taken
/// [`TAIL`] events before the end.
fn long_customer() -> Engine<MemoryStore> {
    let engine = Engine::new(MemoryStore::new(), Box::new(|| 1_700_000_000_000));
    let stream = StreamId::new(CustomerEvent::ENTITY_TYPE, "c1");
    append_history(engine.store(), &stream, 1, HISTORY - TAIL);
    let snapshot = block_on(engine.take_snapshot::<CustomerDecider>("c1"))
        .expect("snapshot")
        .expect("a stream");
    assert_eq!(snapshot.version, HISTORY - TAIL);
    append_history(engine.store(), &stream, HISTORY - TAIL + 1, HISTORY);
    engine
}

/// Loads c1 and checks the load did what the benchmark claims.
fn load(engine: &Engine<MemoryStore>, expect_snapshot: bool) {
    let (state, report) =
        block_on(engine.load_customer_with_report(&CustomerId::new("c1"))).expect("load");
    let expected = if expect_snapshot { TAIL } else { HISTORY };
    assert_eq!(report.events_folded as u64, expected, "{report:?}");
    black_box(state);
}

fn snapshots_on(engine: &Engine<MemoryStore>, on: bool) {
    engine.set_snapshot_policy(engine.snapshot_policy().with(
        CustomerEvent::ENTITY_TYPE,
        on.then(|| NonZeroU64::new(1_000)).flatten(),
    ));
}

/// The fold alone, over the same generated events the browser's benchmark page folds in wasm
/// (`foldlab_lab::bench_data`): `cargo xtask bench` compares the two.
fn bench_fold(c: &mut Criterion) {
    let decoded: Vec<CustomerEvent> = history_events(1, HISTORY);
    let mut group = c.benchmark_group("customer with 1,000,000 events");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(HISTORY));
    group.bench_function("evolve only (events already decoded)", |b| {
        b.iter(|| fold_history(black_box(&decoded)))
    });
    group.finish();
}

fn bench_loads(c: &mut Criterion, engine: &Engine<MemoryStore>) {
    let mut group = c.benchmark_group("customer with 1,000,000 events");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(HISTORY));
    snapshots_on(engine, false);
    group.bench_function("full load (read + decode + fold)", |b| {
        b.iter(|| load(engine, false))
    });
    group.finish();

    let mut group = c.benchmark_group("customer with 1,000,000 events, snapshot");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(TAIL));
    snapshots_on(engine, true);
    group.bench_function("snapshot load (snapshot + 500-event tail)", |b| {
        b.iter(|| load(engine, true))
    });
    group.finish();
}

fn bench_commands(c: &mut Criterion) {
    let engine = Engine::new(MemoryStore::new(), Box::new(|| 1_700_000_000_000));
    let customer = CustomerId::new("c1");
    block_on(engine.create_customer(&customer, "Ada", Money::from_cents(100), "k"))
        .expect("create");
    let mut group = c.benchmark_group("commands on the memory store");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(1));
    let mut n = 0u64;
    group.bench_function("place an order (load, decide, append)", |b| {
        b.iter(|| {
            n += 1;
            let order = OrderId::new(format!("o{n}"));
            block_on(engine.place_order(&order, &customer, Money::from_cents(1), "k"))
                .expect("placed")
        })
    });
    let mut n = 0u64;
    group.bench_function("create a customer (load, decide, append)", |b| {
        b.iter(|| {
            n += 1;
            let id = CustomerId::new(format!("new{n}"));
            block_on(engine.create_customer(&id, "Ada", Money::from_cents(100), "k"))
                .expect("created")
        })
    });
    group.finish();
}

/// A long log for the customer view: 1,000 customers and 100,000 approved orders, as the
/// choreography writes them (OrderCreated, CreditReserved, OrderApproved).
fn long_log() -> MemoryStore {
    let store = MemoryStore::new();
    let at = |i: u64| 1_700_000_000_000 + i as i64;
    for c in 0..1_000u64 {
        let created = CustomerEvent::Created(CustomerCreated {
            name: format!("Customer {c}"),
            credit_limit: Money::from_cents(1_000_000_000),
        });
        let stream = StreamId::new(CustomerEvent::ENTITY_TYPE, format!("c{c}"));
        block_on(store.append(
            &stream,
            ExpectedVersion::NoStream,
            vec![created.to_new_event(at(c), metadata())],
        ))
        .expect("append");
    }
    for o in 0..100_000u64 {
        let order_id = OrderId::new(format!("o{o}"));
        let customer = format!("c{}", o % 1_000);
        let order = StreamId::new(OrderEvent::ENTITY_TYPE, order_id.as_str());
        let created = OrderEvent::Created(OrderCreated {
            customer_id: CustomerId::new(&customer),
            line_items: vec![LineItem::new("item", 1, Money::from_cents(1_000))],
        });
        block_on(store.append(
            &order,
            ExpectedVersion::NoStream,
            vec![created.to_new_event(at(o), metadata())],
        ))
        .expect("append");
        let reserved = CustomerEvent::CreditReserved(CreditReserved {
            order_id,
            amount: Money::from_cents(1_000),
        });
        block_on(store.append(
            &StreamId::new(CustomerEvent::ENTITY_TYPE, customer),
            ExpectedVersion::Any,
            vec![reserved.to_new_event(at(o), metadata())],
        ))
        .expect("append");
        block_on(store.append(
            &order,
            ExpectedVersion::Exact(1),
            vec![OrderEvent::Approved.to_new_event(at(o), metadata())],
        ))
        .expect("append");
    }
    store
}

fn rebuild_view(store: &MemoryStore) -> CustomerViews {
    let mut views = CustomerViews::default();
    for event in block_on(store.read_all(0, usize::MAX)).expect("read") {
        views.apply(&event).expect("applies");
    }
    views
}

fn bench_projection(c: &mut Criterion) {
    let store = long_log();
    let events = block_on(store.head()).expect("head");
    let mut group = c.benchmark_group("customer view");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(events));
    group.bench_function(format!("rebuild from a {events}-event log"), |b| {
        b.iter(|| rebuild_view(&store))
    });
    group.finish();
}

/// The median time of `runs` calls of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

/// The summary: the full fold and the snapshot load measured side by side in this run.
fn summary(engine: &Engine<MemoryStore>) -> bool {
    snapshots_on(engine, false);
    let full = median(5, || load(engine, false));
    snapshots_on(engine, true);
    let snap = median(101, || load(engine, true));
    let ratio = snap.as_secs_f64() / full.as_secs_f64();
    let within = ratio <= BUDGET;
    println!();
    println!(
        "summary: full load of {HISTORY} Customer events: {:.3} s ({:.0} events/s)",
        full.as_secs_f64(),
        HISTORY as f64 / full.as_secs_f64()
    );
    println!(
        "summary: snapshot at version {} + {TAIL}-event tail: {:.3} ms",
        HISTORY - TAIL,
        snap.as_secs_f64() * 1e3
    );
    println!(
        "summary: snapshot load / full load = {:.3} % ({:.0}x faster); budget {:.0} %: {}",
        ratio * 100.0,
        1.0 / ratio,
        BUDGET * 100.0,
        if within { "within" } else { "OVER" }
    );
    within
}

/// Runs every benchmark, then the summary; exits with 1 when the snapshot load is over budget.
///
/// With `FOLDLAB_BENCH=fold` only the fold runs (what `cargo xtask bench` needs for its wasm/native
/// figure), without building the long store.
pub fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_fold(&mut criterion);
    if std::env::var("FOLDLAB_BENCH").as_deref() == Ok("fold") {
        criterion.final_summary();
        return;
    }
    let engine = long_customer();
    bench_loads(&mut criterion, &engine);
    bench_commands(&mut criterion);
    bench_projection(&mut criterion);
    criterion.final_summary();
    if !summary(&engine) {
        std::process::exit(1);
    }
}
