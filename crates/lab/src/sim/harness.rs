//! The simulator's harness: an engine over the fault wrapper (in front of memory, or of any other
//! store) whose steps the one runner carries out, what each step did, and the watcher that checks
//! deliveries as they happen (after a crash, the redelivered event must be discarded).

use crate::runner::{Runner, StepResult, Violation, Watcher};
use crate::step::Step;
use foldlab_domain::{CustomerViews, EventEnvelope, WriteModel};
use foldlab_engine::{
    Delivery, Engine, EngineError, OutcomeKind, SnapshotPolicy, StepReport, Subscriber,
};
use foldlab_store::{EventStore, FaultSwitch, MemoryStore, StoreError};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// What the invariants' checks saw when they last held, so that the next check needs to look only
/// at what was written since. The harness keeps it; `invariants` reads and fills it.
#[derive(Debug, Default)]
pub struct Checked {
    /// The store's write count then; `None` before the first check.
    pub(super) writes: Option<u64>,
    /// The log's head then.
    pub(super) head: u64,
    /// Every aggregate folded from the log up to that head.
    pub(super) model: WriteModel,
    /// The customer view rebuilt from position 0 up to the view's checkpoint then.
    pub(super) reference: CustomerViews,
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
