//! The harness that carries out steps: an engine over a [`FaultSwitch`] (in front of memory, or of
//! any other store), what each step did, and what the handlers owe after a crash (the redelivered
//! event must be discarded as a duplicate).

use super::invariants::Checked;
use super::step::{Crash, Deliver, ProjectionStep, Redeliver, Repeat, Step};
use foldlab_domain::codec::DomainEvent;
use foldlab_domain::{CustomerEvent, OrderEvent};
use foldlab_domain::{CustomerId, EventEnvelope, Money, OrderId};
use foldlab_engine::{Delivery, Engine, EngineError, Outcome, OutcomeKind, StepReport, Subscriber};
use foldlab_store::FaultSwitch;
use foldlab_store::MemoryStore;
use foldlab_store::{EventStore, StoreError};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::num::NonZeroU64;

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

/// A run's snapshot policy: a snapshot every N events of each aggregate type, or none.
/// `{"Customer": 10, "Order": 2}`; a type left out keeps no snapshots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotEvery {
    /// Every how many Customer events.
    #[serde(rename = "Customer", default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<NonZeroU64>,
    /// Every how many Order events.
    #[serde(rename = "Order", default, skip_serializing_if = "Option::is_none")]
    pub order: Option<NonZeroU64>,
}

impl SnapshotEvery {
    /// Whether no type keeps snapshots.
    pub fn is_off(&self) -> bool {
        self.customer.is_none() && self.order.is_none()
    }
}

/// An engine over a faulty store (memory unless said otherwise), ready to carry out steps.
pub struct Harness<S = MemoryStore> {
    engine: Engine<FaultSwitch<S>>,
    /// Per subscriber, an event whose effect is stored but whose checkpoint is not: when it comes
    /// again it must be discarded as a duplicate.
    owed: RefCell<BTreeMap<Subscriber, u64>>,
    correlations: Cell<u64>,
    /// What the invariants saw when they last held (see `invariants::check_always`).
    checked: RefCell<Checked>,
}

impl Harness {
    /// An empty lab in memory whose clock starts at `clock_start_ms` and ticks once per event
    /// batch.
    pub fn new(clock_start_ms: i64) -> Self {
        Self::over(MemoryStore::new(), clock_start_ms, SnapshotEvery::default())
    }

    /// An empty lab like [`Harness::new`] whose engine keeps snapshots as `snapshots` says.
    pub fn with_snapshots(clock_start_ms: i64, snapshots: SnapshotEvery) -> Self {
        Self::over(MemoryStore::new(), clock_start_ms, snapshots)
    }
}

impl<S: EventStore> Harness<S> {
    /// A lab over `store`, which must be empty (an IndexedDB database of its own, say), with
    /// the fault switches in front of it, a clock that starts at `clock_start_ms` and ticks once
    /// per event batch, and snapshots kept as `snapshots` says.
    pub fn over(store: S, clock_start_ms: i64, snapshots: SnapshotEvery) -> Self {
        let tick = Cell::new(clock_start_ms);
        let clock = Box::new(move || {
            tick.set(tick.get() + 1);
            tick.get()
        });
        let engine = Engine::new(FaultSwitch::new(store), clock);
        engine.set_snapshot_every(CustomerEvent::ENTITY_TYPE, snapshots.customer);
        engine.set_snapshot_every(OrderEvent::ENTITY_TYPE, snapshots.order);
        Self {
            engine,
            owed: RefCell::new(BTreeMap::new()),
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

    /// Carries out one step. Refused commands and impossible steps are results; a [`Violation`] is
    /// a bug in the system under test.
    pub async fn apply(&self, step: &Step) -> Result<StepResult, Violation> {
        match step {
            Step::CreateCustomer(c) => {
                let name = c.name.clone().unwrap_or_else(|| c.id.clone());
                let result = self
                    .engine
                    .create_customer(
                        &CustomerId::new(&c.id),
                        &name,
                        Money::from_cents(c.limit_cents),
                        &self.correlation(),
                    )
                    .await;
                command_result(result)
            }
            Step::PlaceOrder(o) => {
                let result = self
                    .engine
                    .place_order(
                        &OrderId::new(&o.id),
                        &CustomerId::new(&o.customer),
                        Money::from_cents(o.total_cents),
                        &self.correlation(),
                    )
                    .await;
                command_result(result)
            }
            Step::CancelOrder(o) => {
                let result = self
                    .engine
                    .cancel_order(&OrderId::new(&o.id), &self.correlation())
                    .await;
                command_result(result)
            }
            Step::ShipOrder(o) => {
                let result = self
                    .engine
                    .ship_order(&OrderId::new(&o.id), &self.correlation())
                    .await;
                command_result(result)
            }
            Step::ChangeCreditLimit(c) => {
                let result = self
                    .engine
                    .change_credit_limit(
                        &CustomerId::new(&c.id),
                        Money::from_cents(c.limit_cents),
                        &self.correlation(),
                    )
                    .await;
                command_result(result)
            }
            Step::DeleteCustomer(c) => {
                let result = self
                    .engine
                    .delete_customer(&CustomerId::new(&c.id), &self.correlation())
                    .await;
                command_result(result)
            }
            Step::Deliver(deliver) => self.deliver(deliver).await,
            Step::DeliverAgain(redeliver) => self.deliver_again(redeliver).await,
            Step::Crash(crash) => self.crash(crash).await,
            Step::Race(steps) => {
                let store = self.engine.store();
                store.faults().set_yielding(true);
                // Boxed: a race holds steps, so this future would otherwise contain itself.
                let racing = steps.iter().map(|s| Box::pin(self.apply(s)));
                let results = futures::future::join_all(racing).await;
                store.faults().set_yielding(false);
                Ok(StepResult::Raced(
                    results.into_iter().collect::<Result<_, _>>()?,
                ))
            }
            Step::Repeat(repeat) => self.repeat(repeat).await,
            Step::Projection(step) => self.projection(step).await,
        }
    }

    async fn projection(&self, step: &ProjectionStep) -> Result<StepResult, Violation> {
        let query = self.engine.query_side();
        let store = self.engine.store();
        if let Err(error) = step.apply(query, store).await {
            return Ok(StepResult::Failed { error });
        }
        let lag = query.lag(&step.name, store).await.map_err(|e| {
            Violation(format!(
                "the {} projection's lag cannot be read: {e}",
                step.name
            ))
        })?;
        Ok(StepResult::Projected {
            name: step.name.clone(),
            position: lag.position,
            events_behind: lag.events_behind,
            paused: query.control(&step.name).is_some_and(|c| c.is_paused()),
        })
    }

    async fn repeat(&self, repeat: &Repeat) -> Result<StepResult, Violation> {
        let mut results = Vec::new();
        for round in 1..=repeat.times {
            // A scenario's repeat was checked when it was read; this only fails for one built in
            // code, and then it is a step that cannot be carried out, not a bug of the lab.
            let steps = match repeat.round(round) {
                Ok(steps) => steps,
                Err(error) => {
                    results.push(StepResult::Failed { error });
                    break;
                }
            };
            for step in &steps {
                // Boxed: a repeat holds steps, so this future would otherwise contain itself.
                results.push(Box::pin(self.apply(step)).await?);
            }
        }
        Ok(StepResult::Repeated(results))
    }

    fn correlation(&self) -> String {
        self.correlations.set(self.correlations.get() + 1);
        format!("k{}", self.correlations.get())
    }

    async fn deliver(&self, deliver: &Deliver) -> Result<StepResult, Violation> {
        let (subscriber, limit) = match deliver {
            Deliver::All => (None, DELIVERY_LIMIT),
            Deliver::Next(n) => (None, *n as usize),
            Deliver::To { subscriber, count } => (Some(*subscriber), *count as usize),
        };
        let mut records = Vec::new();
        while records.len() < limit {
            let made = match subscriber {
                None => self.engine.step().await,
                Some(s) => self.engine.step_for(s).await,
            };
            match made {
                Ok(Some(report)) => records.push(self.record(&report)?),
                Ok(None) => break,
                Err(error) => {
                    // The delivery failed before its checkpoint; it stays pending.
                    allowed(&error)?;
                    let delivery = self.next(subscriber).await?;
                    records.push(failed(delivery.as_ref(), &error, OutcomeKind::Failed));
                    break;
                }
            }
        }
        if matches!(deliver, Deliver::All) && records.len() >= DELIVERY_LIMIT {
            return Err(Violation(format!(
                "deliveries did not stop after {DELIVERY_LIMIT}"
            )));
        }
        Ok(StepResult::Delivered(records))
    }

    async fn next(&self, subscriber: Option<Subscriber>) -> Result<Option<Delivery>, Violation> {
        let next = match subscriber {
            None => self.engine.next_delivery().await,
            Some(s) => self.engine.next_delivery_for(s).await,
        };
        next.map_err(|e| Violation(format!("the next delivery cannot be found: {e}")))
    }

    async fn deliver_again(&self, redeliver: &Redeliver) -> Result<StepResult, Violation> {
        match self
            .engine
            .deliver_again(redeliver.subscriber, redeliver.event_id)
            .await
        {
            Ok(report) => {
                if report.outcome.kind() != OutcomeKind::DuplicateDiscarded {
                    return Err(Violation(format!(
                        "{} handled event #{} a second time ({:?}) instead of discarding the duplicate",
                        redeliver.subscriber.name(),
                        redeliver.event_id,
                        report.outcome
                    )));
                }
                Ok(StepResult::Delivered(vec![self.record(&report)?]))
            }
            Err(error) => {
                allowed(&error)?;
                Ok(StepResult::Failed {
                    error: error.to_string(),
                })
            }
        }
    }

    async fn crash(&self, crash: &Crash) -> Result<StepResult, Violation> {
        let subscriber = crash.subscriber;
        let Some(delivery) = self.next(Some(subscriber)).await? else {
            return Ok(StepResult::Delivered(Vec::new()));
        };
        let store = self.engine.store();
        store
            .faults()
            .crash_before_next_checkpoint(subscriber.name());
        let result = self.engine.deliver(&delivery).await;
        // Disarm whatever did not fire (a discarded duplicate saves no checkpoint).
        store.faults().disarm_crash(subscriber.name());
        match result {
            Ok(outcome) => Ok(StepResult::Delivered(vec![self.record(&StepReport {
                delivery,
                outcome,
                conflicts: Vec::new(),
            })?])),
            Err(error @ EngineError::Store(StoreError::Crashed { .. })) => {
                let event_id = delivery.event.event_id;
                if self.effect_stored(subscriber, event_id).await? {
                    self.owed.borrow_mut().insert(subscriber, event_id);
                }
                Ok(StepResult::Delivered(vec![failed(
                    Some(&delivery),
                    &error,
                    OutcomeKind::Crashed,
                )]))
            }
            Err(error) => {
                allowed(&error)?;
                Ok(StepResult::Delivered(vec![failed(
                    Some(&delivery),
                    &error,
                    OutcomeKind::Failed,
                )]))
            }
        }
    }

    /// Whether `subscriber` stored a reaction to `event_id` (a service's effect lives in the log;
    /// the view's lives in its checkpoint, which a crash loses with it).
    async fn effect_stored(
        &self,
        subscriber: Subscriber,
        event_id: u64,
    ) -> Result<bool, Violation> {
        Ok(self.log().await?.iter().any(|e| {
            e.metadata.actor == subscriber.name() && e.metadata.causation_id == Some(event_id)
        }))
    }

    /// Turns a report into a record, checking first that an event owed as a duplicate was
    /// discarded.
    fn record(&self, report: &StepReport) -> Result<DeliveryRecord, Violation> {
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
        Ok(DeliveryRecord::from_report(report))
    }
}

fn failed(
    delivery: Option<&Delivery>,
    error: &EngineError,
    outcome: OutcomeKind,
) -> DeliveryRecord {
    DeliveryRecord {
        subscriber: delivery.map_or_else(String::new, |d| d.subscriber.name().to_string()),
        event_id: delivery.map_or(0, |d| d.event.event_id),
        event_type: delivery.map_or_else(String::new, |d| d.event.event_type.clone()),
        outcome,
        stored: Vec::new(),
        detail: Some(error.to_string()),
    }
}

fn command_result(
    result: Result<Vec<EventEnvelope>, EngineError>,
) -> Result<StepResult, Violation> {
    match result {
        Ok(events) => Ok(StepResult::Stored {
            event_ids: events.iter().map(|e| e.event_id).collect(),
        }),
        Err(error) => {
            allowed(&error)?;
            Ok(StepResult::Failed {
                error: error.to_string(),
            })
        }
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
