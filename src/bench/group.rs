//! Figure k: commands on different aggregates made at once, as several learners' clicks or a
//! service's reactions arrive together. The IndexedDB store commits the appends that arrive while
//! one is in flight together, in one transaction (group commit); the baseline is what one
//! transaction per write costs, the same number of raw puts awaited one after another.

use super::{
    alternate, delete_db, js_error, now, raw_close, raw_open, raw_singles, store_error, write_set,
    Figure, Rule,
};
use foldlab_domain::CustomerId;
use foldlab_engine::replay::generated_limit;
use foldlab_engine::Engine;
use foldlab_store::IndexedDbStore;
use futures::future::join_all;

/// Commands made at once (the figure: 20, in quick and full runs alike).
const COMMANDS: usize = 20;

/// Measured runs (after one warm-up): the work is small, so more runs than the other figures.
const RUNS: usize = 61;

/// Figure k: [`COMMANDS`] `change_credit_limit` commands on as many customers (created before
/// the clock starts), started together and awaited together, against [`COMMANDS`] raw puts of
/// one record each, one transaction each, each awaited before the next.
pub(super) async fn figure_k() -> Result<Figure, String> {
    let (ours_db, raw_db) = ("foldlab-bench-group", "foldlab-bench-group-raw");
    delete_db(ours_db).await?;
    delete_db(raw_db).await?;
    let engine = Engine::new(
        IndexedDbStore::open(ours_db).await.map_err(store_error)?,
        Box::new(|| js_sys::Date::now() as i64),
    );
    let raw = raw_open(raw_db).await.map_err(js_error)?;
    let set = write_set(COMMANDS)?;
    let n = set.events.len();
    // The append transactions each measured run of ours used.
    let mut transactions = Vec::new();
    let (ours, base) = alternate(
        RUNS,
        async |run| {
            let customers: Vec<CustomerId> = (0..COMMANDS)
                .map(|i| CustomerId::new(format!("k-{run}-{i}")))
                .collect();
            for id in &customers {
                engine
                    .create_customer(id, "Bench", generated_limit(1), "bench")
                    .await
                    .map_err(store_error)?;
            }
            let before = engine.store().append_transactions();
            let start = now();
            let outcomes = join_all(
                customers
                    .iter()
                    .map(|id| engine.change_credit_limit(id, generated_limit(2), "bench")),
            )
            .await;
            let took = now() - start;
            for outcome in outcomes {
                if outcome.map_err(store_error)?.len() != 1 {
                    return Err("a command stored other than one event".into());
                }
            }
            if run > 0 {
                transactions.push(engine.store().append_transactions() - before);
            }
            Ok(took)
        },
        async |run| {
            let first = (run * n + 1) as f64;
            let start = now();
            raw_singles(
                &raw,
                first,
                &format!("k-{run}"),
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
    drop(engine);
    transactions.sort_unstable();
    let (fewest, most) = (
        transactions.first().copied().unwrap_or(0),
        transactions.last().copied().unwrap_or(0),
    );
    let used = if fewest == most {
        foldlab_lab::counted(fewest, "readwrite transaction", "readwrite transactions")
    } else {
        format!("{fewest} to {most} readwrite transactions")
    };
    Ok(Figure {
        id: "k".into(),
        name: format!("{COMMANDS} commands on different customers at once"),
        ours_label: "Engine::change_credit_limit × 20, started together (group commit)".into(),
        baseline_label: "raw put, one transaction per event, one after another".into(),
        note: format!(
            "the {COMMANDS} commands' appends used {used} in each run; {:.2} ms per command, {:.2} ms per raw put",
            ours.median_ms / COMMANDS as f64,
            base.median_ms / COMMANDS as f64
        ),
        ..Figure::compared(ours, base, Rule::Throughput, 5.0)
    })
}
