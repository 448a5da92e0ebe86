//! The simulator's harness: an engine over the fault wrapper (in front of memory, or of any other
//! store) whose steps the one runner carries out, what each step did, and the watcher that checks
//! deliveries as they happen (after a crash, the redelivered event must be discarded).

use super::invariants::Checked;
use super::step::Step;
use crate::runner::{Runner, Watcher};
use foldlab_domain::EventEnvelope;
use foldlab_engine::{
    Delivery, Engine, EngineError, Outcome, OutcomeKind, SnapshotPolicy, StepReport, Subscriber,
};
use foldlab_store::{EventStore, FaultSwitch, MemoryStore, StoreError};
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// The most deliveries one `deliver` step makes: far more than any run needs, so reaching it means
/// deliveries never stop.
pub const DELIVERY_LIMIT: usize = 10_000;

/// What one step did, for people and for the scenario runner's output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepResult {
    /// A command stored these events.
    Stored {
        /// Their ids.
        event_ids: Vec<u64>,
    },
    /// A command was refused, or a step could not be carried out (in plain words).
    Failed {
        /// Why.
        error: String,
    },
    /// Deliveries made, in order.
    Delivered(Vec<DeliveryRecord>),
    /// The results of racing steps, in the order the steps were written.
    Raced(Vec<StepResult>),
    /// The results of a repeat's steps, round after round.
    Repeated(Vec<StepResult>),
    /// Where a projection stands after a projection step.
    Projected {
        /// The projection.
        name: String,
        /// Its checkpoint.
        position: u64,
        /// How far behind the head it is.
        events_behind: u64,
        /// Whether it is paused.
        paused: bool,
    },
}

/// One delivery and what it came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    /// Who received it.
    pub subscriber: String,
    /// The event delivered.
    pub event_id: u64,
    /// Its type.
    pub event_type: String,
    /// What it came to.
    pub outcome: OutcomeKind,
    /// Ids of events the delivery stored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stored: Vec<u64>,
    /// The refusal or failure, in plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl DeliveryRecord {
    /// The record of a delivery that completed.
    pub fn from_report(report: &StepReport) -> Self {
        DeliveryRecord {
            subscriber: report.delivery.subscriber.name().to_string(),
            event_id: report.delivery.event.event_id,
            event_type: report.delivery.event.event_type.clone(),
            outcome: report.outcome.kind(),
            stored: report.outcome.stored().iter().map(|e| e.event_id).collect(),
            detail: match &report.outcome {
                Outcome::Refused(reason) => Some(reason.clone()),
                Outcome::Appended(_)
                | Outcome::RefusalRecorded(_)
                | Outcome::ViewUpdated
                | Outcome::ViewUnchanged
                | Outcome::DuplicateDiscarded(_) => None,
            },
        }
    }
}

impl StepResult {
    /// Every delivery this step made, races included.
    pub fn deliveries(&self) -> Vec<&DeliveryRecord> {
        match self {
            StepResult::Delivered(records) => records.iter().collect(),
            StepResult::Raced(results) | StepResult::Repeated(results) => {
                results.iter().flat_map(|r| r.deliveries()).collect()
            }
            StepResult::Stored { .. }
            | StepResult::Failed { .. }
            | StepResult::Projected { .. } => Vec::new(),
        }
    }

    /// Every failure message of this step, races included.
    pub fn errors(&self) -> Vec<&str> {
        match self {
            StepResult::Failed { error } => vec![error.as_str()],
            StepResult::Raced(results) | StepResult::Repeated(results) => {
                results.iter().flat_map(|r| r.errors()).collect()
            }
            StepResult::Stored { .. } | StepResult::Delivered(_) | StepResult::Projected { .. } => {
                Vec::new()
            }
        }
    }
}

/// Something that must never happen: an invariant broken, a duplicate not recognised, or an error
/// no step should cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation(pub String);

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The simulator's engine over the fault wrapper (in front of memory unless said otherwise): the
/// one runner carries its steps out, and an [`Invariants`] watcher checks each delivery as it
/// happens.
pub struct Harness<S = MemoryStore> {
    engine: Engine<FaultSwitch<S>>,
    watcher: Invariants,
    correlations: Cell<u64>,
    /// What the invariants saw when they last held (see `invariants::check_always`).
    checked: RefCell<Checked>,
}

impl Harness {
    /// An empty lab in memory whose clock starts at `clock_start_ms` and ticks once per event
    /// batch.
    pub fn new(clock_start_ms: i64) -> Self {
        Self::over(MemoryStore::new(), clock_start_ms, SnapshotPolicy::OFF)
    }

    /// An empty lab like [`Harness::new`] whose engine keeps snapshots as `snapshots` says.
    pub fn with_snapshots(clock_start_ms: i64, snapshots: SnapshotPolicy) -> Self {
        Self::over(MemoryStore::new(), clock_start_ms, snapshots)
    }
}

impl<S: EventStore> Harness<S> {
    /// A lab over `store`, which must be empty (an IndexedDB database of its own, say), with
    /// the fault wrapper in front of it, a clock that starts at `clock_start_ms` and ticks once
    /// per event batch, and snapshots kept as `snapshots` says.
    pub fn over(store: S, clock_start_ms: i64, snapshots: SnapshotPolicy) -> Self {
        let tick = Cell::new(clock_start_ms);
        let clock = Box::new(move || {
            tick.set(tick.get() + 1);
            tick.get()
        });
        let engine = Engine::new(FaultSwitch::new(store), clock);
        engine.set_snapshot_policy(snapshots);
        Self {
            engine,
            watcher: Invariants::default(),
            correlations: Cell::new(0),
            checked: RefCell::new(Checked::default()),
        }
    }

    /// Takes what the last successful check saw, leaving "nothing checked yet" in its place.
    pub(crate) fn take_checked(&self) -> Checked {
        self.checked.take()
    }

    /// Keeps what a successful check saw, for the next one.
    pub(crate) fn keep_checked(&self, checked: Checked) {
        self.checked.replace(checked);
    }

    /// The engine.
    pub fn engine(&self) -> &Engine<FaultSwitch<S>> {
        &self.engine
    }

    /// The whole log.
    pub async fn log(&self) -> Result<Vec<EventEnvelope>, Violation> {
        self.engine
            .store()
            .read_all(0, usize::MAX)
            .await
            .map_err(|e| Violation(format!("the log cannot be read: {e}")))
    }

    /// Carries out one step through the one runner. Refused commands and impossible steps are
    /// results; a [`Violation`] is a bug in the system under test.
    pub async fn apply(&self, step: &Step) -> Result<StepResult, Violation> {
        let runner =
            Runner::new(&self.engine, &self.watcher).correlations_from(self.correlations.get());
        let result = runner.step(step).await;
        self.correlations.set(runner.correlations_used());
        result
    }
}

/// What the simulator checks as steps happen: an event whose effect is stored but whose
/// checkpoint is not must be discarded when it comes again, an event delivered again on purpose
/// must be discarded, and no step may end in an error that only a bug causes.
#[derive(Default)]
struct Invariants {
    /// Per subscriber, an event whose effect is stored but whose checkpoint is not.
    owed: RefCell<BTreeMap<Subscriber, u64>>,
}

impl<S: EventStore> Watcher<S> for Invariants {
    async fn delivered(
        &self,
        _engine: &Engine<FaultSwitch<S>>,
        report: &StepReport,
    ) -> Result<(), Violation> {
        let subscriber = report.delivery.subscriber;
        let event_id = report.delivery.event.event_id;
        let owed = self.owed.borrow().get(&subscriber).copied();
        if owed == Some(event_id) {
            self.owed.borrow_mut().remove(&subscriber);
            if report.outcome.kind() != OutcomeKind::DuplicateDiscarded {
                return Err(Violation(format!(
                    "{} crashed after its effect for event #{event_id}, and when the event came again it did not discard it: {:?}",
                    subscriber.name(),
                    report.outcome
                )));
            }
        }
        Ok(())
    }

    async fn redelivered(
        &self,
        engine: &Engine<FaultSwitch<S>>,
        report: &StepReport,
    ) -> Result<(), Violation> {
        if report.outcome.kind() != OutcomeKind::DuplicateDiscarded {
            return Err(Violation(format!(
                "{} handled event #{} a second time ({:?}) instead of discarding the duplicate",
                report.delivery.subscriber.name(),
                report.delivery.event.event_id,
                report.outcome
            )));
        }
        self.delivered(engine, report).await
    }

    async fn crashed(
        &self,
        _engine: &Engine<FaultSwitch<S>>,
        delivery: &Delivery,
        effect: &[EventEnvelope],
    ) -> Result<(), Violation> {
        // A service's effect is in the log; the view's lived in its checkpoint and is gone.
        if !effect.is_empty() {
            self.owed
                .borrow_mut()
                .insert(delivery.subscriber, delivery.event.event_id);
        }
        Ok(())
    }

    async fn failed(
        &self,
        _engine: &Engine<FaultSwitch<S>>,
        error: &EngineError,
    ) -> Result<(), Violation> {
        allowed(error)
    }
}

/// Errors a step may legitimately end in: a rule, a lost race, or a step that does not apply to
/// the current log (after shrinking removed what it needed). Anything else is a bug.
fn allowed(error: &EngineError) -> Result<(), Violation> {
    match error {
        EngineError::Rejected(_)
        | EngineError::UnknownCustomer(_)
        | EngineError::TooManyConflicts { .. }
        | EngineError::NoSuchEvent(_)
        | EngineError::NotYetDelivered { .. } => Ok(()),
        EngineError::Decode { .. }
        | EngineError::Projection(_)
        | EngineError::Store(
            StoreError::Conflict { .. }
            | StoreError::QuotaExceeded(_)
            | StoreError::Unavailable(_)
            | StoreError::Corrupt(_)
            | StoreError::Crashed { .. },
        ) => Err(Violation(format!("unexpected engine error: {error}"))),
    }
}
