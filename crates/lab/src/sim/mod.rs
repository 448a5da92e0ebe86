//! A deterministic fault simulator. From a seed it draws a snapshot policy and a few dozen steps —
//! every user command (customers created, changed and deleted; orders placed, cancelled and
//! shipped), deliveries in whatever order the subscribers allow, events delivered twice, handlers
//! crashing between their effect and their checkpoint, commands racing — and checks the invariants
//! after every step and once every delivery is made. The same seed gives the same run;
//! a failing run is shrunk to the fewest steps that still fail and printed as a scenario file
//! (see `scenarios/README.md`) that the `scenario` binary replays.

mod generate;
mod harness;
mod invariants;
mod rng;

pub use crate::runner::{DeliveryRecord, StepResult, Violation, DELIVERY_LIMIT};
pub use crate::step::{
    subscriber_name, CancelOrder, ChangeCreditLimit, Crash, CreateCustomer, DeleteCustomer,
    Deliver, PlaceOrder, ProjectionAction, ProjectionStep, Redeliver, Repeat, ShipOrder, Step,
    MAX_ROUNDS,
};
pub use foldlab_engine::SnapshotPolicy;
pub use generate::{Generator, Settings};
pub use harness::Harness;
pub use invariants::{check_always, check_quiescent, rebuild, settled};
pub use rng::Rng;

use crate::scenario::{Expect, Scenario, Settings as ScenarioSettings};
use foldlab_domain::EventEnvelope;
use foldlab_store::MemoryStore;
use foldlab_store::{EventStore, StoreError};
use futures::executor::block_on;
use futures::FutureExt;
use std::fmt;
use std::future::Future;

/// The clock every simulated run starts at (milliseconds since the Unix epoch).
pub const CLOCK_START_MS: i64 = 1_700_000_000_000;

/// What a run did: its snapshot policy, its steps (the final "deliver all" included), what each
/// did, and the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The snapshot policy it ran with.
    pub snapshots: SnapshotPolicy,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// What each step did.
    pub results: Vec<StepResult>,
    /// The event log it left.
    pub log: Vec<EventEnvelope>,
}

/// A broken invariant, and the steps that led to it (the failing step is the last).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The steps carried out, the failing one last.
    pub steps: Vec<Step>,
    /// What went wrong.
    pub violation: Violation,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "after step {}: {}", self.steps.len(), self.violation)
    }
}

/// Whether a run checks the invariants as it goes (a run to compare with another need not: the
/// checks only read, so they cannot change what the run does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checks {
    On,
    Off,
}

/// Carries out `step` and checks the invariants that hold at any time.
async fn apply_checked<S: EventStore>(
    harness: &Harness<S>,
    step: &Step,
    checks: Checks,
) -> Result<StepResult, Violation> {
    let result = harness.apply(step).await?;
    if checks == Checks::On {
        check_always(harness).await?;
    }
    Ok(result)
}

/// Makes every pending delivery and checks what holds at quiescence.
async fn finish<S: EventStore>(
    harness: &Harness<S>,
    run: &mut Run,
    checks: Checks,
) -> Result<(), Failure> {
    let all = Step::Deliver(Deliver::All);
    run.steps.push(all.clone());
    let result = apply_checked(harness, &all, checks).await;
    let quiescent = match result {
        Ok(result) => {
            run.results.push(result);
            match checks {
                Checks::On => check_quiescent(harness).await,
                Checks::Off => Ok(()),
            }
        }
        Err(violation) => Err(violation),
    };
    quiescent.map_err(|violation| Failure {
        steps: run.steps.clone(),
        violation,
    })?;
    run.log = harness.log().await.map_err(|violation| Failure {
        steps: run.steps.clone(),
        violation,
    })?;
    Ok(())
}

/// Draws and runs the steps of `seed`, then delivers everything, checking every invariant.
pub fn run_seed(seed: u64, settings: Settings) -> Result<Run, Failure> {
    block_on(run_generated(
        seed,
        settings,
        MemoryStore::new(),
        Checks::On,
    ))
}

/// [`run_seed`] over `store`, which must be empty (a fresh IndexedDB database, say): the same
/// steps drawn from the seed, and the same invariants checked after each.
pub async fn run_seed_on<S: EventStore>(
    seed: u64,
    settings: Settings,
    store: S,
) -> Result<Run, Failure> {
    run_generated(seed, settings, store, Checks::On).await
}

async fn run_generated<S: EventStore>(
    seed: u64,
    settings: Settings,
    store: S,
    checks: Checks,
) -> Result<Run, Failure> {
    let mut generator = Generator::new(seed, settings);
    let harness = Harness::over(store, CLOCK_START_MS, generator.snapshots());
    let mut run = Run {
        snapshots: generator.snapshots(),
        steps: Vec::new(),
        results: Vec::new(),
        log: Vec::new(),
    };
    for _ in 0..settings.steps {
        let step = generator
            .next(&harness)
            .await
            .map_err(|violation| Failure {
                steps: run.steps.clone(),
                violation,
            })?;
        run.steps.push(step.clone());
        let result = apply_checked(&harness, &step, checks)
            .await
            .map_err(|violation| Failure {
                steps: run.steps.clone(),
                violation,
            })?;
        run.results.push(result);
    }
    finish(&harness, &mut run, checks).await?;
    Ok(run)
}

/// Runs recorded steps with a snapshot policy (a trailing "deliver all" is made whether or not they
/// end with one).
pub fn replay(snapshots: SnapshotPolicy, steps: &[Step]) -> Result<Run, Failure> {
    block_on(replay_on(MemoryStore::new(), snapshots, steps))
}

/// [`replay`] over `store`, which must be empty.
pub async fn replay_on<S: EventStore>(
    store: S,
    snapshots: SnapshotPolicy,
    steps: &[Step],
) -> Result<Run, Failure> {
    let harness = Harness::over(store, CLOCK_START_MS, snapshots);
    let mut run = Run {
        snapshots,
        steps: Vec::new(),
        results: Vec::new(),
        log: Vec::new(),
    };
    for step in steps {
        run.steps.push(step.clone());
        let result = apply_checked(&harness, step, Checks::On)
            .await
            .map_err(|violation| Failure {
                steps: run.steps.clone(),
                violation,
            })?;
        run.results.push(result);
    }
    finish(&harness, &mut run, Checks::On).await?;
    Ok(run)
}

/// The shortest sub-list of `steps` it finds for which `fails` still holds: removes chunks of
/// halving size while the run keeps failing, then runs racing steps one after another.
pub fn shrink(steps: Vec<Step>, mut fails: impl FnMut(&[Step]) -> bool) -> Vec<Step> {
    // Every future `fails` gives is ready at once, so one poll finishes the search, without an
    // executor (which `fails` may well use itself).
    shrink_async(steps.clone(), |candidate| {
        std::future::ready(fails(&candidate))
    })
    .now_or_never()
    .unwrap_or(steps)
}

/// [`shrink`] with a test that takes its time: `fails` replays the steps it is given (on a fresh
/// IndexedDB database, say) and says whether the run still fails.
pub async fn shrink_async<F, Fut>(mut steps: Vec<Step>, mut fails: F) -> Vec<Step>
where
    F: FnMut(Vec<Step>) -> Fut,
    Fut: Future<Output = bool>,
{
    loop {
        let before = steps.len();
        let mut chunk = (steps.len() / 2).max(1);
        loop {
            let mut start = 0;
            while start < steps.len() {
                let mut candidate = steps.clone();
                candidate.drain(start..(start + chunk).min(steps.len()));
                if fails(candidate.clone()).await {
                    steps = candidate;
                } else {
                    start += chunk;
                }
            }
            if chunk == 1 {
                break;
            }
            chunk /= 2;
        }
        for i in 0..steps.len() {
            if let Step::Race(racing) = &steps[i] {
                let mut candidate = steps.clone();
                candidate.splice(i..=i, racing.iter().cloned());
                if fails(candidate.clone()).await {
                    steps = candidate;
                    break;
                }
            }
        }
        if steps.len() >= before {
            return steps;
        }
    }
}

/// Runs `seed` twice, checking every invariant and that both runs are identical. On failure the
/// report names the seed and the shortest failing run found, as a scenario file.
pub fn check_seed(seed: u64, settings: Settings) -> Result<Run, String> {
    let first = run_seed(seed, settings);
    let second = block_on(run_generated(
        seed,
        settings,
        MemoryStore::new(),
        Checks::Off,
    ));
    match (first, second) {
        (Ok(a), Ok(b)) if a == b => Ok(a),
        (Ok(a), Ok(b)) => Err(format!(
            "seed {seed} is not deterministic: two runs differ.\nfirst steps:  {}\nsecond steps: {}\nfirst log has {} events, second {}",
            steps_json(&a.steps),
            steps_json(&b.steps),
            a.log.len(),
            b.log.len()
        )),
        (Err(failure), _) | (_, Err(failure)) => {
            let snapshots = Generator::new(seed, settings).snapshots();
            let shortest = shrink(failure.steps.clone(), |steps| {
                replay(snapshots, steps).is_err()
            });
            let why = match replay(snapshots, &shortest) {
                Err(shrunk) => shrunk.to_string(),
                Ok(_) => failure.to_string(),
            };
            Err(failure_report(seed, snapshots, &failure, &shortest, &why))
        }
    }
}

/// [`check_seed`] against another backend: runs `seed` on a store `open` gives (it must give a
/// fresh, empty one each time: a new IndexedDB database, say), checking every invariant. On
/// failure it shrinks the run, replaying each candidate on a fresh store, and reports the seed and
/// the shortest failing run as a scenario file, as the native runner does.
///
/// Unlike [`check_seed`] it does not run the seed a second time to compare: a browser store's
/// operations take real turns of the event loop, so which of two racing commands wins may differ
/// from run to run there, and that is not a bug.
pub async fn check_seed_on<S, F, Fut>(
    seed: u64,
    settings: Settings,
    mut open: F,
) -> Result<Run, String>
where
    S: EventStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<S, StoreError>>,
{
    let store = open()
        .await
        .map_err(|e| format!("seed {seed}: the store cannot be opened: {e}"))?;
    let failure = match run_seed_on(seed, settings, store).await {
        Ok(run) => return Ok(run),
        Err(failure) => failure,
    };
    let snapshots = Generator::new(seed, settings).snapshots();
    let shortest = shrink_async(failure.steps.clone(), |steps| {
        let store = open();
        async move {
            match store.await {
                Ok(store) => replay_on(store, snapshots, &steps).await.is_err(),
                Err(_) => false,
            }
        }
    })
    .await;
    let why = match open().await {
        Ok(store) => match replay_on(store, snapshots, &shortest).await {
            Err(shrunk) => shrunk.to_string(),
            Ok(_) => failure.to_string(),
        },
        Err(_) => failure.to_string(),
    };
    Err(failure_report(seed, snapshots, &failure, &shortest, &why))
}

fn failure_report(
    seed: u64,
    snapshots: SnapshotPolicy,
    failure: &Failure,
    shortest: &[Step],
    why: &str,
) -> String {
    format!(
        "seed {seed} failed {failure}\n\nshortest failing run found ({} steps; then everything is delivered): {why}\nsave it as a file and replay it with `cargo run -p foldlab-lab --bin scenario -- FILE`:\n{}",
        shortest.len(),
        scenario_json(seed, snapshots, shortest)
    )
}

fn steps_json(steps: &[Step]) -> String {
    serde_json::to_string(steps).unwrap_or_else(|e| format!("<unprintable: {e}>"))
}

/// The steps as a scenario file with the run's snapshot policy, ending with everything delivered.
pub fn scenario_json(seed: u64, snapshots: SnapshotPolicy, steps: &[Step]) -> String {
    let mut steps = steps.to_vec();
    if steps.last() != Some(&Step::Deliver(Deliver::All)) {
        steps.push(Step::Deliver(Deliver::All));
    }
    let scenario = Scenario {
        name: format!("simulator seed {seed}, shrunk"),
        description: "The shortest failing run the simulator found for this seed.".to_string(),
        settings: ScenarioSettings {
            snapshot_every: snapshots,
            ..ScenarioSettings::default()
        },
        steps,
        expect: Expect::default(),
    };
    crate::json::to_pretty(&scenario).unwrap_or_else(|e| format!("<unprintable: {e}>"))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
