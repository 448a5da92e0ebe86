//! The benchmark the `/bench` page runs: each figure is our store (or our wasm) against a baseline
//! measured in the same page and the same run, after a warm-up run, as the median of several runs.
//! The baselines are plain IndexedDB code in `raw.js`. Each figure uses a database of its own
//! (`foldlab-bench-*`), never the lab's `foldlab`; only [`seed_lab`] writes to the lab's database,
//! and only when it is empty (for the cold-start figure, which `cargo xtask bench` measures).

use foldlab_domain::{CustomerDecider, CustomerId, NewEvent};
use foldlab_engine::replay::{generated_limit, Generation, HistoryGenerator, Replay};
use foldlab_engine::{snapshot_of, Engine, Subscriber};
use foldlab_lab::bench_data::{
    fold_history, history_events, history_new_events, lab_log, lab_snapshots, LAB_CUSTOMERS,
};
use foldlab_store::{Checkpoint, EventStore, ExpectedVersion, IndexedDbStore, StreamId};
use serde::{Deserialize, Serialize};
use std::hint::black_box;
use std::num::NonZeroU64;
use wasm_bindgen::prelude::*;

mod group;

// The baselines' functions, from `raw.js` once [`load_baselines`] has added it to the page.
#[wasm_bindgen(js_namespace = foldlabRaw)]
extern "C" {
    #[wasm_bindgen(catch, js_name = rawOpen)]
    async fn raw_open(name: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = rawClose)]
    fn raw_close(db: &JsValue);
    #[wasm_bindgen(catch, js_name = rawDelete)]
    async fn raw_delete(name: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = rawBatch)]
    async fn raw_batch(
        db: &JsValue,
        first_id: f64,
        entity_id: &str,
        template: &JsValue,
        types: &js_sys::Array,
        datas: &js_sys::Array,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = rawSingles)]
    async fn raw_singles(
        db: &JsValue,
        first_id: f64,
        entity_id: &str,
        template: &JsValue,
        types: &js_sys::Array,
        datas: &js_sys::Array,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = rawGetAll)]
    async fn raw_get_all(db: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = rawHistoryBatch)]
    #[allow(clippy::too_many_arguments)]
    async fn raw_history_batch(
        db: &JsValue,
        first_id: f64,
        first_version: f64,
        entity_id: &str,
        template: &JsValue,
        types: &js_sys::Array,
        datas: &js_sys::Array,
        correlations: &js_sys::Array,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = rawReplay)]
    async fn raw_replay(db: &JsValue, page: u32) -> Result<JsValue, JsValue>;
}

/// Where the latest results are kept, for the lab's "measured in this browser" panels.
pub const RESULTS_KEY: &str = "foldlab-bench";

/// The lab's own database (only [`seed_lab`] touches it, and only when it is empty).
const LAB_DB: &str = "foldlab";

/// Events after the snapshot in figure e: the average tail for a snapshot every 1,000 events.
const TAIL: u64 = 500;

/// Events per transaction when a benchmark database is filled.
const FILL_BATCH: u64 = 50_000;

/// The checkpoint that marks a filled benchmark database as complete, with its size as position.
const FILLED: &str = "bench-filled";

/// How big each figure's work is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sizes {
    /// Events in figure a's batch.
    pub batch: usize,
    /// Single-event appends in figure b.
    pub singles: usize,
    /// Events in figure c's log.
    pub read: u64,
    /// Events figure d folds.
    pub fold: u64,
    /// Events in figure e's history (figure i replays it).
    pub history: u64,
    /// Events in each history figure h generates.
    #[serde(default)]
    pub generate: u64,
    /// Measured runs per figure (after one warm-up run).
    pub runs: usize,
}

impl Sizes {
    /// The sizes the issue names.
    pub const FULL: Sizes = Sizes {
        batch: 1_000,
        singles: 1_000,
        read: 100_000,
        fold: 1_000_000,
        history: 1_000_000,
        generate: 100_000,
        runs: 11,
    };

    /// Small sizes, for a quick look and the end-to-end test (the ratios mean less).
    pub const QUICK: Sizes = Sizes {
        batch: 1_000,
        singles: 100,
        read: 5_000,
        fold: 100_000,
        history: 20_000,
        generate: 20_000,
        runs: 10,
    };
}

/// Times of the measured runs of one side, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// The median.
    pub median_ms: f64,
    /// The fastest run.
    pub min_ms: f64,
    /// The slowest run.
    pub max_ms: f64,
    /// Every measured run, in order.
    pub runs_ms: Vec<f64>,
}

impl Stats {
    fn of(runs: Vec<f64>) -> Stats {
        let mut sorted = runs.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n == 0 {
            f64::NAN
        } else if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Stats {
            median_ms: median,
            min_ms: sorted.first().copied().unwrap_or(f64::NAN),
            max_ms: sorted.last().copied().unwrap_or(f64::NAN),
            runs_ms: runs,
        }
    }
}

/// One line of the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// `a` to `g`, or `b+` for an extra line.
    pub id: String,
    /// What is measured.
    pub name: String,
    /// What "ours" is.
    pub ours_label: String,
    /// What the baseline is.
    pub baseline_label: String,
    /// Our runs.
    pub ours: Stats,
    /// The baseline's runs (`None` when the baseline is measured outside the page).
    pub baseline: Option<Stats>,
    /// How the ratio is computed, in words.
    pub ratio_rule: String,
    /// The ratio (`None` until both sides are known).
    pub ratio: Option<f64>,
    /// `>=` or `<=`.
    pub goal_op: String,
    /// The goal the ratio is held to.
    pub goal: f64,
    /// Whether the goal is met (`None` until the ratio is known).
    pub met: Option<bool>,
    /// Anything else worth knowing (sizes, per-event times).
    pub note: String,
}

/// How a figure's ratio is taken from the medians of its two sides.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Raw time / our time: 1.0 is as fast as raw, higher is better (the goal is a floor).
    Throughput,
    /// Our time / raw time: 1.0 is as fast as raw, lower is better (the goal is a ceiling).
    Slowdown,
}

impl Figure {
    /// A figure of `ours` against `baseline` by `rule`, judged against `goal`; the caller adds
    /// what it measured (id, name, labels, note).
    fn compared(ours: Stats, baseline: Stats, rule: Rule, goal: f64) -> Figure {
        let (ratio, ratio_rule, goal_op) = match rule {
            Rule::Throughput => (
                baseline.median_ms / ours.median_ms,
                "raw time / our time (throughput)",
                ">=",
            ),
            Rule::Slowdown => (
                ours.median_ms / baseline.median_ms,
                "our time / raw time",
                "<=",
            ),
        };
        Figure {
            id: String::new(),
            name: String::new(),
            ours_label: String::new(),
            baseline_label: String::new(),
            ours,
            baseline: Some(baseline),
            ratio_rule: ratio_rule.into(),
            ratio: Some(ratio),
            goal_op: goal_op.into(),
            goal,
            met: None,
            note: String::new(),
        }
        .judge()
    }

    fn judge(mut self) -> Figure {
        self.met = self.ratio.map(|r| match self.goal_op.as_str() {
            ">=" => r >= self.goal,
            _ => r <= self.goal,
        });
        self
    }
}

/// Everything one run of the page measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// When it ran (ISO 8601).
    pub date: String,
    /// `full` or `quick`.
    pub mode: String,
    /// The browser.
    pub user_agent: String,
    /// The sizes used.
    pub sizes: Sizes,
    /// The figures, in table order.
    pub figures: Vec<Figure>,
}

/// Milliseconds since the page's time origin.
fn now() -> f64 {
    crate::lab::snapshots::now_ms()
}

fn js_error(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .or_else(|| {
            js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Deletes a benchmark database, refusing the lab's own.
async fn delete_db(name: &str) -> Result<(), String> {
    if name == LAB_DB {
        return Err("the benchmark never deletes the lab's database".into());
    }
    raw_delete(name).await.map(|_| ()).map_err(js_error)
}

/// The events figures a and b write, and the same events as plain values for the baseline.
struct WriteSet {
    events: Vec<NewEvent>,
    template: JsValue,
    types: js_sys::Array,
    datas: js_sys::Array,
}

fn write_set(count: usize) -> Result<WriteSet, String> {
    let events = history_new_events(2, count as u64 + 1);
    let template = template_of(events.first().ok_or("no events to write")?)?;
    let (types, datas) = plain_values(&events);
    Ok(WriteSet {
        events,
        template,
        types,
        datas,
    })
}

/// The fields the baselines' records share, taken from `first`.
fn template_of(first: &NewEvent) -> Result<JsValue, String> {
    let template = js_sys::Object::new();
    let set = |k: &str, v: JsValue| js_sys::Reflect::set(&template, &k.into(), &v).map(|_| ());
    set("entity_type", "Customer".into()).map_err(js_error)?;
    set("schema_version", JsValue::from(first.schema_version)).map_err(js_error)?;
    set("recorded_at", JsValue::from(first.recorded_at as f64)).map_err(js_error)?;
    set("actor", first.metadata.actor.as_str().into()).map_err(js_error)?;
    set(
        "correlation_id",
        first.metadata.correlation_id.as_str().into(),
    )
    .map_err(js_error)?;
    set(
        "causation_id",
        first
            .metadata
            .causation_id
            .map_or(JsValue::NULL, |c| JsValue::from(c as f64)),
    )
    .map_err(js_error)?;
    Ok(template.into())
}

/// The events' types and `event_data` as JS strings, for a baseline to put.
fn plain_values(events: &[NewEvent]) -> (js_sys::Array, js_sys::Array) {
    let types = events
        .iter()
        .map(|e| JsValue::from_str(&e.event_type))
        .collect();
    let datas = events
        .iter()
        .map(|e| JsValue::from_str(&e.event_data))
        .collect();
    (types, datas)
}

/// The average size of one stored event as JSON, for the figures' notes.
fn record_bytes(events: &[NewEvent]) -> usize {
    let total: usize = events
        .iter()
        .map(|e| {
            serde_json::to_string(&foldlab_domain::EventEnvelope {
                event_id: 1_000_000,
                entity_type: "Customer".into(),
                entity_id: "a-10".into(),
                version: 1_000,
                event_type: e.event_type.clone(),
                schema_version: e.schema_version,
                event_data: e.event_data.clone(),
                recorded_at: e.recorded_at,
                metadata: e.metadata.clone(),
            })
            .map_or(0, |s| s.len())
        })
        .sum();
    total / events.len().max(1)
}

/// Runs `ours` and `raw` alternately (which goes first swaps every run), one warm-up run then
/// `runs` measured ones; each closure gets the run number and returns its time in ms.
async fn alternate<O, R>(runs: usize, mut ours: O, mut raw: R) -> Result<(Stats, Stats), String>
where
    O: AsyncFnMut(usize) -> Result<f64, String>,
    R: AsyncFnMut(usize) -> Result<f64, String>,
{
    let (mut o, mut r) = (Vec::new(), Vec::new());
    for run in 0..=runs {
        let (to, tr) = if run % 2 == 0 {
            let to = ours(run).await?;
            (to, raw(run).await?)
        } else {
            let tr = raw(run).await?;
            (ours(run).await?, tr)
        };
        if run > 0 {
            o.push(to);
            r.push(tr);
        }
        crate::lab::snapshots::pause(0).await;
    }
    Ok((Stats::of(o), Stats::of(r)))
}

fn store_error(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Figure a: one batch append of `sizes.batch` events, ours against a raw put loop.
async fn figure_a(sizes: Sizes) -> Result<Figure, String> {
    let (ours_db, raw_db) = ("foldlab-bench-write", "foldlab-bench-write-raw");
    delete_db(ours_db).await?;
    delete_db(raw_db).await?;
    let store = IndexedDbStore::open(ours_db).await.map_err(store_error)?;
    let raw = raw_open(raw_db).await.map_err(js_error)?;
    let set = write_set(sizes.batch)?;
    let n = set.events.len();
    let (ours, base) = alternate(
        sizes.runs,
        async |run| {
            let stream = StreamId::new("Customer", format!("a-{run}"));
            let batch = set.events.clone();
            let start = now();
            let stored = store
                .append(&stream, ExpectedVersion::NoStream, batch)
                .await
                .map_err(store_error)?;
            let took = now() - start;
            if stored.len() != n {
                return Err(format!("stored {} of {n} events", stored.len()));
            }
            Ok(took)
        },
        async |run| {
            let first = (run * n + 1) as f64;
            let start = now();
            raw_batch(
                &raw,
                first,
                &format!("a-{run}"),
                &set.template,
                &set.types,
                &set.datas,
            )
            .await
            .map_err(js_error)?;
            Ok(now() - start)
        },
    )
    .await?;
    raw_close(&raw);
    drop(store);
    Ok(Figure {
        id: "a".into(),
        name: format!("append {n} events in one batch"),
        ours_label: "IndexedDbStore::append, one call".into(),
        baseline_label: "raw put loop, one transaction".into(),
        note: format!(
            "about {} bytes per event as JSON",
            record_bytes(&set.events)
        ),
        ..Figure::compared(ours, base, Rule::Throughput, 0.8)
    })
}

/// Figure b: `sizes.singles` appends of one event each, ours (the store append with an Exact
/// expected version, as a command makes it) against one raw put per transaction; and, as an extra
/// line, the engine's whole command path (load with snapshots, decide, append).
async fn figure_b(sizes: Sizes) -> Result<Vec<Figure>, String> {
    let (ours_db, raw_db) = ("foldlab-bench-single", "foldlab-bench-single-raw");
    delete_db(ours_db).await?;
    delete_db(raw_db).await?;
    let store = IndexedDbStore::open(ours_db).await.map_err(store_error)?;
    let raw = raw_open(raw_db).await.map_err(js_error)?;
    let set = write_set(sizes.singles)?;
    let n = set.events.len();
    let (ours, base) = alternate(
        sizes.runs,
        async |run| {
            let stream = StreamId::new("Customer", format!("b-{run}"));
            let start = now();
            for (i, event) in set.events.iter().enumerate() {
                let expected = ExpectedVersion::after(i as u64);
                store
                    .append(&stream, expected, vec![event.clone()])
                    .await
                    .map_err(store_error)?;
            }
            Ok(now() - start)
        },
        async |run| {
            let first = (run * n + 1) as f64;
            let start = now();
            raw_singles(
                &raw,
                first,
                &format!("b-{run}"),
                &set.template,
                &set.types,
                &set.datas,
            )
            .await
            .map_err(js_error)?;
            Ok(now() - start)
        },
    )
    .await?;
    raw_close(&raw);
    let early = if store.commits_early().await {
        "committed early, as this browser showed it may"
    } else {
        "not committed early (this browser did not show it may)"
    };
    drop(store);
    let store_line = Figure {
        id: "b".into(),
        name: format!("{n} single-event appends"),
        ours_label: "IndexedDbStore::append, Exact expected version, one call per event".into(),
        baseline_label: "raw put, one transaction per event".into(),
        note: format!(
            "{:.3} ms per append, {:.3} ms per raw put; appends {early}",
            ours.median_ms / n as f64,
            base.median_ms / n as f64
        ),
        ..Figure::compared(ours, base.clone(), Rule::Throughput, 0.9)
    };

    // The engine's command path on its own database: change a customer's credit limit n times.
    let engine_db = "foldlab-bench-commands";
    delete_db(engine_db).await?;
    let engine = Engine::new(
        IndexedDbStore::open(engine_db).await.map_err(store_error)?,
        Box::new(|| js_sys::Date::now() as i64),
    );
    engine.set_snapshot_policy(
        engine
            .snapshot_policy()
            .with("Customer", NonZeroU64::new(100)),
    );
    let mut runs = Vec::new();
    for run in 0..=sizes.runs {
        let id = CustomerId::new(format!("b-engine-{run}"));
        engine
            .create_customer(&id, "Bench", generated_limit(1), "bench")
            .await
            .map_err(store_error)?;
        let start = now();
        for i in 0..n {
            engine
                .change_credit_limit(&id, generated_limit(i as u64 + 2), "bench")
                .await
                .map_err(store_error)?;
        }
        if run > 0 {
            runs.push(now() - start);
        }
        crate::lab::snapshots::pause(0).await;
    }
    drop(engine);
    let commands = Stats::of(runs);
    let engine_line = Figure {
        id: "b+".into(),
        name: format!("{n} commands through the engine"),
        ours_label:
            "Engine::change_credit_limit: the kept state (or a load: snapshot every 100) + decide + append"
                .into(),
        baseline_label: "raw put, one transaction per event (as in b)".into(),
        note: format!("{:.3} ms per command", commands.median_ms / n as f64),
        ..Figure::compared(commands, base, Rule::Throughput, 0.6)
    };
    Ok(vec![store_line, engine_line])
}

/// Whether database `store` holds a complete fill of `size` (its marker checkpoint says so).
async fn filled(store: &IndexedDbStore, size: u64) -> Result<bool, String> {
    Ok(store
        .load_checkpoint(FILLED)
        .await
        .map_err(store_error)?
        .is_some_and(|c| c.position == size))
}

async fn mark_filled(store: &IndexedDbStore, size: u64) -> Result<(), String> {
    store
        .save_checkpoint(&Checkpoint {
            subscriber: FILLED.into(),
            position: size,
            state: "null".into(),
        })
        .await
        .map_err(store_error)
}

/// Writes a lab log of `events` events, its checkpoints and its snapshots into `store`, in big
/// transactions. `progress` is told how far it got.
async fn write_lab(
    store: &IndexedDbStore,
    events: u64,
    progress: &dyn Fn(String),
) -> Result<u64, String> {
    progress(format!("building a lab log of {events} events in memory…"));
    crate::lab::snapshots::pause(0).await;
    let engine = lab_log(events, LAB_CUSTOMERS).await.map_err(store_error)?;
    let log = engine
        .store()
        .read_all(0, usize::MAX)
        .await
        .map_err(store_error)?;
    for (i, chunk) in log.chunks(FILL_BATCH as usize).enumerate() {
        progress(format!(
            "writing events {}–{} of {}…",
            i * FILL_BATCH as usize + 1,
            i * FILL_BATCH as usize + chunk.len(),
            log.len()
        ));
        store.write_log(chunk).await.map_err(store_error)?;
    }
    let mut names: Vec<String> = Subscriber::ALL
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    for control in engine.query_side().controls() {
        if !names.iter().any(|n| n == control.name()) {
            names.push(control.name().to_string());
        }
    }
    for name in names {
        if let Some(checkpoint) = engine
            .store()
            .load_checkpoint(&name)
            .await
            .map_err(store_error)?
        {
            store
                .save_checkpoint(&checkpoint)
                .await
                .map_err(store_error)?;
        }
    }
    // Saved in parts, as a lab that has run keeps its views (the checkpoints above are whole).
    for control in engine.query_side().controls() {
        engine
            .query_side()
            .resave(control.name(), store)
            .await
            .map_err(|e| e.to_string())?;
    }
    for snapshot in lab_snapshots(&engine).await.map_err(store_error)? {
        store.save_snapshot(&snapshot).await.map_err(store_error)?;
    }
    Ok(log.len() as u64)
}

/// Figure c: reading the whole log of `sizes.read` events, ours against a raw getAll.
async fn figure_c(sizes: Sizes, progress: &dyn Fn(String)) -> Result<Figure, String> {
    let name = format!("foldlab-bench-read-{}", sizes.read);
    let store = IndexedDbStore::open(&name).await.map_err(store_error)?;
    if !filled(&store, sizes.read).await? {
        store.clear().await.map_err(store_error)?;
        write_lab(&store, sizes.read, progress).await?;
        mark_filled(&store, sizes.read).await?;
    }
    let head = store.head().await.map_err(store_error)?;
    let raw = raw_open(&name).await.map_err(js_error)?;
    progress(format!("c: reading {head} events…"));
    let (ours, base) = alternate(
        sizes.runs,
        async |_| {
            let start = now();
            let events = store.read_all(0, usize::MAX).await.map_err(store_error)?;
            let took = now() - start;
            if events.len() as u64 != head {
                return Err(format!("read {} of {head} events", events.len()));
            }
            drop(black_box(events));
            Ok(took)
        },
        async |_| {
            let start = now();
            let count = raw_get_all(&raw).await.map_err(js_error)?;
            let took = now() - start;
            if count.as_f64() != Some(head as f64) {
                return Err(format!("getAll read {count:?} of {head} events"));
            }
            Ok(took)
        },
    )
    .await?;
    raw_close(&raw);
    Ok(Figure {
        id: "c".into(),
        name: format!("read the whole log of {head} events"),
        ours_label: "read_all(0, usize::MAX) into EventEnvelopes".into(),
        baseline_label: "raw getAll() on the events store".into(),
        note: format!(
            "{:.2} µs per event ours, {:.2} µs raw",
            ours.median_ms * 1e3 / head as f64,
            base.median_ms * 1e3 / head as f64
        ),
        ..Figure::compared(ours, base, Rule::Throughput, 0.7)
    })
}

/// Figure d, the wasm half: folding `sizes.fold` already-decoded events with the Customer's
/// `evolve` (the same events and the same function as the native criterion benchmark).
async fn figure_d(sizes: Sizes) -> Result<Figure, String> {
    let events = history_events(1, sizes.fold);
    let mut runs = Vec::new();
    for run in 0..=sizes.runs {
        let start = now();
        let state = fold_history(black_box(&events));
        let took = now() - start;
        black_box(state);
        if run > 0 {
            runs.push(took);
        }
        crate::lab::snapshots::pause(0).await;
    }
    let ours = Stats::of(runs);
    Ok(Figure {
        id: "d".into(),
        name: format!("fold {} already-loaded events", sizes.fold),
        ours_label: "fold in wasm (this page)".into(),
        baseline_label: "the same fold natively (criterion, cargo xtask bench)".into(),
        note: format!(
            "{:.2} ns per event in wasm",
            ours.median_ms * 1e6 / sizes.fold as f64
        ),
        ours,
        baseline: None,
        ratio_rule: "wasm time per event / native time per event".into(),
        ratio: None,
        goal_op: "<=".into(),
        goal: 2.0,
        met: None,
    })
}

/// Fills figure e's database: one customer with `size` events, and a snapshot `TAIL` events
/// before the end.
async fn fill_history(
    store: &IndexedDbStore,
    size: u64,
    progress: &dyn Fn(String),
) -> Result<(), String> {
    let stream = StreamId::new("Customer", "c1");
    let snapshot_at = size.saturating_sub(TAIL).max(1);
    // A fill that was cut short goes on where it stopped: the database holds only c1's events,
    // numbered from 1, so the head is the version reached. Anything else starts again.
    let mut version = store.head().await.map_err(store_error)?;
    let snapshot_missing = version >= snapshot_at
        && store
            .load_snapshot(&stream)
            .await
            .map_err(store_error)?
            .is_none_or(|s| s.version != snapshot_at);
    let resumable = version < size
        && store
            .read_stream(&stream, version.saturating_sub(1))
            .await
            .map_err(store_error)?
            .len()
            == usize::from(version > 0);
    if !resumable || snapshot_missing {
        store.clear().await.map_err(store_error)?;
        version = 0;
    }
    while version < size {
        let last = (version + FILL_BATCH)
            .min(size)
            .min(if version < snapshot_at {
                snapshot_at
            } else {
                size
            });
        progress(format!(
            "e: writing events {}–{last} of {size}…",
            version + 1
        ));
        crate::lab::snapshots::pause(0).await;
        let expected = if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        };
        store
            .append(&stream, expected, history_new_events(version + 1, last))
            .await
            .map_err(store_error)?;
        version = last;
        if version == snapshot_at {
            // The state at the snapshot's version, folded here from the same generated events.
            let state = fold_history(&history_events(1, snapshot_at));
            let snapshot = snapshot_of::<CustomerDecider>(&stream, &state, version, version)
                .map_err(store_error)?;
            store.save_snapshot(&snapshot).await.map_err(store_error)?;
        }
    }
    mark_filled(store, size).await
}

/// Figure e: loading a customer with `sizes.history` events from its snapshot (`TAIL` events
/// before the end) against a full replay, both from IndexedDB through the engine.
async fn figure_e(sizes: Sizes, progress: &dyn Fn(String)) -> Result<Figure, String> {
    let size = sizes.history;
    let name = format!("foldlab-bench-history-{size}");
    let store = IndexedDbStore::open(&name).await.map_err(store_error)?;
    if !filled(&store, size).await? {
        let start = now();
        fill_history(&store, size, progress).await?;
        progress(format!(
            "e: {size} events written in {:.1} s",
            (now() - start) / 1e3
        ));
    }
    let engine = Engine::new(store, Box::new(|| 0));
    let id = CustomerId::new("c1");
    let every = NonZeroU64::new(1_000);
    let load = async |snapshots: bool| -> Result<f64, String> {
        engine.set_snapshot_policy(
            engine
                .snapshot_policy()
                .with("Customer", if snapshots { every } else { None }),
        );
        let start = now();
        let (state, report) = engine
            .load_customer_with_report(&id)
            .await
            .map_err(store_error)?;
        let took = now() - start;
        black_box(state);
        let expected = if snapshots { TAIL.min(size - 1) } else { size };
        if report.events_folded as u64 != expected || report.version != size {
            return Err(format!(
                "the load folded {} events to version {} (expected {expected} to {size})",
                report.events_folded, report.version
            ));
        }
        Ok(took)
    };
    let (mut snap, mut full) = (Vec::new(), Vec::new());
    for run in 0..=sizes.runs {
        progress(format!("e: run {run} of {}…", sizes.runs));
        let s = load(true).await?;
        let f = load(false).await?;
        if run > 0 {
            snap.push(s);
            full.push(f);
        }
        crate::lab::snapshots::pause(0).await;
    }
    let (ours, base) = (Stats::of(snap), Stats::of(full));
    let ratio = ours.median_ms / base.median_ms;
    Ok(Figure {
        id: "e".into(),
        name: format!("load a customer of {size} events"),
        ours_label: format!(
            "from its snapshot at version {} + {TAIL} events",
            size - TAIL
        ),
        baseline_label: format!("full replay of all {size} events"),
        note: "both from IndexedDB through the engine's load".into(),
        ours,
        baseline: Some(base),
        ratio_rule: "snapshot load time / full replay time".into(),
        ratio: Some(ratio),
        goal_op: "<=".into(),
        goal: 0.01,
        met: None,
    }
    .judge())
}

/// Figure h: generating a long Customer history the way the Snapshots view's button does (the
/// engine's `Generation`, batches of the view's size, a pause after each for the page to draw),
/// against raw puts of the same records in transactions of the same size. The raw side's records
/// are decided by the same generator outside its timed part.
async fn figure_h(sizes: Sizes, progress: &dyn Fn(String)) -> Result<Figure, String> {
    let (ours_db, raw_db) = ("foldlab-bench-generate", "foldlab-bench-generate-raw");
    delete_db(ours_db).await?;
    delete_db(raw_db).await?;
    let store = IndexedDbStore::open(ours_db).await.map_err(store_error)?;
    let raw = raw_open(raw_db).await.map_err(js_error)?;
    let total = sizes.generate;
    let batch = crate::lab::snapshots::BATCH;
    let mut raw_head = 0u64;
    let (ours, base) = alternate(
        sizes.runs,
        async |run| {
            progress(format!(
                "h: run {run} of {}, generating {total} events…",
                sizes.runs
            ));
            let mut generation = Generation::new(&format!("h-{run}"), "Long history", total);
            let start = now();
            while !generation.done() {
                generation
                    .next_batch(&store, batch, js_sys::Date::now() as i64)
                    .await
                    .map_err(store_error)?;
                crate::lab::snapshots::pause(0).await;
            }
            Ok(now() - start)
        },
        async |run| {
            let id = format!("h-{run}");
            let mut generator = HistoryGenerator::new("Long history");
            let mut took = 0.0;
            while generator.version < total {
                let first_version = generator.version + 1;
                let take = (total - generator.version).min(batch as u64) as usize;
                let events = generator
                    .next_batch(take, js_sys::Date::now() as i64, &id)
                    .map_err(store_error)?;
                let template = template_of(events.first().ok_or("no events generated")?)?;
                let (types, datas) = plain_values(&events);
                let correlations: js_sys::Array = events
                    .iter()
                    .map(|e| JsValue::from_str(&e.metadata.correlation_id))
                    .collect();
                let start = now();
                raw_history_batch(
                    &raw,
                    (raw_head + 1) as f64,
                    first_version as f64,
                    &id,
                    &template,
                    &types,
                    &datas,
                    &correlations,
                )
                .await
                .map_err(js_error)?;
                took += now() - start;
                raw_head += events.len() as u64;
            }
            Ok(took)
        },
    )
    .await?;
    raw_close(&raw);
    drop(store);
    // Every run wrote a whole history to each side: give the space back.
    delete_db(ours_db).await?;
    delete_db(raw_db).await?;
    Ok(Figure {
        id: "h".into(),
        name: format!("generate a {total}-event Customer history"),
        ours_label: format!(
            "the Snapshots view's generation: decide, append in batches of {batch}, pause to draw"
        ),
        baseline_label: format!("raw puts of the same records, {batch} per transaction"),
        note: format!(
            "{:.1} µs per event generated, {:.1} µs per raw put",
            ours.median_ms * 1e3 / total as f64,
            base.median_ms * 1e3 / total as f64
        ),
        ..Figure::compared(ours, base, Rule::Slowdown, 1.5)
    })
}

/// Figure i: the Snapshots view's full replay of figure e's history (read the log a page at a
/// time, decode, upcast, fold every event) against raw `getAll` pages of the same size with every
/// record's `event_data` parsed by `JSON.parse`.
async fn figure_i(sizes: Sizes, progress: &dyn Fn(String)) -> Result<Figure, String> {
    let size = sizes.history;
    let name = format!("foldlab-bench-history-{size}");
    let store = IndexedDbStore::open(&name).await.map_err(store_error)?;
    if !filled(&store, size).await? {
        return Err(format!(
            "figure e's history of {size} events is not complete"
        ));
    }
    let raw = raw_open(&name).await.map_err(js_error)?;
    let page = crate::lab::snapshots::PAGE;
    let (ours, base) = alternate(
        sizes.runs,
        async |run| {
            progress(format!(
                "i: run {run} of {}, replaying {size} events…",
                sizes.runs
            ));
            let mut replay = Replay::<CustomerDecider>::new("c1", 0, Some(size), None);
            let start = now();
            replay.run(&store, page).await.map_err(store_error)?;
            let took = now() - start;
            if replay.folded as u64 != size {
                return Err(format!(
                    "the replay folded {} of {size} events",
                    replay.folded
                ));
            }
            black_box(&replay.state);
            Ok(took)
        },
        async |_| {
            let start = now();
            let parsed = raw_replay(&raw, page as u32).await.map_err(js_error)?;
            let took = now() - start;
            if parsed.as_f64() != Some(size as f64) {
                return Err(format!("the raw replay parsed {parsed:?} of {size} events"));
            }
            Ok(took)
        },
    )
    .await?;
    raw_close(&raw);
    drop(store);
    Ok(Figure {
        id: "i".into(),
        name: format!("full replay of a {size}-event history"),
        ours_label: format!("the Snapshots view's full replay: pages of {page}, decode, fold"),
        baseline_label: format!("raw getAll, pages of {page}, JSON.parse of every event_data"),
        note: format!(
            "{:.2} µs per event replayed, {:.2} µs per raw read and parse",
            ours.median_ms * 1e3 / size as f64,
            base.median_ms * 1e3 / size as f64
        ),
        ..Figure::compared(ours, base, Rule::Slowdown, 1.5)
    })
}

/// Adds `raw.js`, the baselines, to the page, once: a script of its own, so that its code is
/// fetched by a run of the benchmark and not by every visit (wasm-bindgen's module imports are all
/// in the first download).
async fn load_baselines() -> Result<(), String> {
    let global = js_sys::global();
    if js_sys::Reflect::has(&global, &JsValue::from_str("foldlabRaw")).unwrap_or(false) {
        return Ok(());
    }
    let failed = |_| "The benchmark's baselines (raw.js) could not be loaded.".to_string();
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("The benchmark needs a page to run in.")?;
    let script: web_sys::HtmlScriptElement = document
        .create_element("script")
        .map_err(failed)?
        .unchecked_into();
    script.set_src(&crate::address::href("/raw.js"));
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
    });
    document
        .head()
        .ok_or("The page has no head to add the baselines to.")?
        .append_child(&script)
        .map_err(failed)?;
    wasm_bindgen_futures::JsFuture::from(loaded)
        .await
        .map_err(failed)?;
    Ok(())
}

/// Runs the figures the page can measure (those `only` names, or every one), telling `progress`
/// what it is doing.
pub async fn run(
    mode: &str,
    only: Option<&[String]>,
    progress: &dyn Fn(String),
) -> Result<Results, String> {
    load_baselines().await?;
    let sizes = if mode == "full" {
        Sizes::FULL
    } else {
        Sizes::QUICK
    };
    let wants = |id: &str| only.is_none_or(|ids| ids.iter().any(|i| i == id));
    let mut figures = Vec::new();
    if wants("a") {
        progress("a: batch appends…".into());
        figures.push(figure_a(sizes).await?);
    }
    if wants("b") {
        progress("b: single-event appends…".into());
        figures.extend(figure_b(sizes).await?);
    }
    if wants("c") {
        progress("c: preparing the log…".into());
        figures.push(figure_c(sizes, progress).await?);
    }
    if wants("d") {
        progress("d: folding in wasm…".into());
        figures.push(figure_d(sizes).await?);
    }
    if wants("e") {
        progress("e: preparing the long history…".into());
        figures.push(figure_e(sizes, progress).await?);
    }
    if wants("h") {
        progress("h: generating long histories…".into());
        figures.push(figure_h(sizes, progress).await?);
    }
    if wants("i") {
        progress("i: replaying the long history…".into());
        figures.push(figure_i(sizes, progress).await?);
    }
    if wants("k") {
        progress("k: twenty commands at once…".into());
        figures.push(group::figure_k().await?);
    }
    let results = Results {
        date: String::from(js_sys::Date::new_0().to_iso_string()),
        mode: mode.to_string(),
        user_agent: web_sys::window()
            .and_then(|w| w.navigator().user_agent().ok())
            .unwrap_or_default(),
        sizes,
        figures,
    };
    Ok(results)
}

/// Fills the lab's own (empty) database with a lab log of `events` events, its checkpoints and
/// snapshots, for the cold-start figure and the event table's test. Refuses a lab that holds
/// anything: it never overwrites a visitor's work.
pub async fn seed_lab(events: u64, progress: &dyn Fn(String)) -> Result<u64, String> {
    let store = IndexedDbStore::open(LAB_DB).await.map_err(store_error)?;
    if store.head().await.map_err(store_error)? != 0 {
        return Err(
            "The lab's store already holds events; seeding only fills an empty lab (Reset lab first)."
                .into(),
        );
    }
    write_lab(&store, events, progress).await
}

/// The latest results saved in this browser, if any.
pub fn saved() -> Option<Results> {
    let storage = web_sys::window()?.local_storage().ok()??;
    let text = storage.get_item(RESULTS_KEY).ok()??;
    serde_json::from_str(&text).ok()
}

/// Saves `results` as this browser's latest.
pub fn save(results: &Results) {
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    if let (Some(storage), Ok(text)) = (storage, serde_json::to_string(results)) {
        let _ = storage.set_item(RESULTS_KEY, &text);
    }
}
