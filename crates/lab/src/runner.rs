//! The one runner: carries out steps (commands, deliveries, redeliveries, crashes, races,
//! repeats, projection steps) against an engine over the fault wrapper, telling a [`Watcher`] of
//! everything as it happens. The app runs lessons through it against its own store, the scenario
//! player and the simulator run through it over memory or IndexedDB; the simulator is this
//! runner plus a watcher that checks invariants.
//!
//! A crash is a crash: the runner arms the fault wrapper to fail the subscriber's next
//! checkpoint, makes the delivery, and the effect stays while the checkpoint does not. Racing
//! steps run as concurrent futures while the store yields before every operation, so they
//! interleave between a read and the append after it.

use crate::step::{Crash, Deliver, ProjectionAction, ProjectionStep, Redeliver, Repeat, Step};
use foldlab_domain::{CustomerId, EventEnvelope, Money, NewEvent, OrderId};
use foldlab_engine::{
    Delivery, Engine, EngineError, Outcome, OutcomeKind, SnapshotPolicy, StepReport,
};
use foldlab_store::{EventStore, ExpectedVersion, FaultSwitch, StoreError, StreamId};
use serde::Serialize;
use std::cell::Cell;

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

/// Told of everything a runner does, as it does it: the app records each in its journal, the
/// simulator checks what must hold. A watcher that returns a [`Violation`] stops the run there.
#[allow(async_fn_in_trait)]
pub trait Watcher<S> {
    /// A user's command stored these events.
    async fn command(
        &self,
        engine: &Engine<FaultSwitch<S>>,
        stored: &[EventEnvelope],
    ) -> Result<(), Violation> {
        let _ = (engine, stored);
        Ok(())
    }

    /// A delivery was made (a redelivery too).
    async fn delivered(
        &self,
        engine: &Engine<FaultSwitch<S>>,
        report: &StepReport,
    ) -> Result<(), Violation> {
        let _ = (engine, report);
        Ok(())
    }

    /// An event already handled was delivered again on purpose; it should have been discarded.
    async fn redelivered(
        &self,
        engine: &Engine<FaultSwitch<S>>,
        report: &StepReport,
    ) -> Result<(), Violation> {
        self.delivered(engine, report).await
    }

    /// The subscriber of `delivery` crashed after its effect (`effect`: the events it stored,
    /// none for a view, whose effect lives in its checkpoint) and before saving its checkpoint.
    async fn crashed(
        &self,
        engine: &Engine<FaultSwitch<S>>,
        delivery: &Delivery,
        effect: &[EventEnvelope],
    ) -> Result<(), Violation> {
        let _ = (engine, delivery, effect);
        Ok(())
    }

    /// A step ended in `error`: a refused command, a lost race, a delivery that failed.
    async fn failed(
        &self,
        engine: &Engine<FaultSwitch<S>>,
        error: &EngineError,
    ) -> Result<(), Violation> {
        let _ = (engine, error);
        Ok(())
    }

    /// A projection's projector was paused, resumed, stepped, caught up or rebuilt.
    async fn projected(
        &self,
        engine: &Engine<FaultSwitch<S>>,
        name: &str,
        action: ProjectionAction,
    ) -> Result<(), Violation> {
        let _ = (engine, name, action);
        Ok(())
    }
}

/// Watches nothing.
impl<S> Watcher<S> for () {}

/// Carries out steps against one engine.
pub struct Runner<'a, S, W> {
    engine: &'a Engine<FaultSwitch<S>>,
    watcher: &'a W,
    correlations: Cell<u64>,
    prefix: String,
}

impl<'a, S: EventStore, W: Watcher<S>> Runner<'a, S, W> {
    /// A runner over `engine` that tells `watcher` what it does.
    pub fn new(engine: &'a Engine<FaultSwitch<S>>, watcher: &'a W) -> Self {
        Self {
            engine,
            watcher,
            correlations: Cell::new(0),
            prefix: "k".to_string(),
        }
    }

    /// Starts every correlation id with `prefix` (`k` by default), so that runs over one store
    /// in parts do not reuse each other's ids.
    pub fn correlation_prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }

    /// Numbers the next correlation id after `used` ids, for a run carried on by a new runner.
    pub fn correlations_from(self, used: u64) -> Self {
        self.correlations.set(used);
        self
    }

    /// How many correlation ids this runner has handed out (counting those it started after).
    pub fn correlations_used(&self) -> u64 {
        self.correlations.get()
    }

    /// Makes the engine ready for a run: its snapshot `policy`, and `seed_events` stored as they
    /// are. The store should be empty (reset first): seed events name their own ids.
    pub async fn prepare(
        &self,
        policy: SnapshotPolicy,
        seed_events: &[EventEnvelope],
    ) -> Result<(), String> {
        self.engine.set_snapshot_policy(policy);
        store_as_written(self.engine.store(), seed_events).await
    }

    /// Carries out `steps` in order and returns what each did, stopping at a violation.
    pub async fn run(&self, steps: &[Step]) -> Result<Vec<StepResult>, Violation> {
        let mut results = Vec::with_capacity(steps.len());
        for step in steps {
            results.push(self.step(step).await?);
        }
        Ok(results)
    }

    /// Carries out one step. A refused command or a step that cannot be carried out is a
    /// [`StepResult::Failed`] with the reason; only the watcher can make it a [`Violation`].
    pub async fn step(&self, step: &Step) -> Result<StepResult, Violation> {
        let engine = self.engine;
        let stored = match step {
            Step::CreateCustomer(c) => {
                let name = c.name.clone().unwrap_or_else(|| c.id.clone());
                engine
                    .create_customer(
                        &CustomerId::new(&c.id),
                        &name,
                        Money::from_cents(c.limit_cents),
                        &self.correlation(),
                    )
                    .await
            }
            Step::PlaceOrder(o) => {
                engine
                    .place_order(
                        &OrderId::new(&o.id),
                        &CustomerId::new(&o.customer),
                        Money::from_cents(o.total_cents),
                        &self.correlation(),
                    )
                    .await
            }
            Step::CancelOrder(o) => {
                engine
                    .cancel_order(&OrderId::new(&o.id), &self.correlation())
                    .await
            }
            Step::ShipOrder(o) => {
                engine
                    .ship_order(&OrderId::new(&o.id), &self.correlation())
                    .await
            }
            Step::ChangeCreditLimit(c) => {
                engine
                    .change_credit_limit(
                        &CustomerId::new(&c.id),
                        Money::from_cents(c.limit_cents),
                        &self.correlation(),
                    )
                    .await
            }
            Step::DeleteCustomer(c) => {
                engine
                    .delete_customer(&CustomerId::new(&c.id), &self.correlation())
                    .await
            }
            Step::Deliver(deliver) => return self.deliver(deliver).await,
            Step::DeliverAgain(redeliver) => return self.deliver_again(redeliver).await,
            Step::Crash(crash) => return self.crash(crash).await,
            Step::Race(steps) => return self.race(steps).await,
            Step::Repeat(repeat) => return self.repeat(repeat).await,
            Step::Projection(step) => return self.projection(step).await,
        };
        match stored {
            Ok(events) => {
                self.watcher.command(engine, &events).await?;
                Ok(StepResult::Stored {
                    event_ids: events.iter().map(|e| e.event_id).collect(),
                })
            }
            Err(error) => self.failed(&error).await,
        }
    }

    fn correlation(&self) -> String {
        self.correlations.set(self.correlations.get() + 1);
        format!("{}{}", self.prefix, self.correlations.get())
    }

    async fn failed(&self, error: &EngineError) -> Result<StepResult, Violation> {
        self.watcher.failed(self.engine, error).await?;
        Ok(StepResult::Failed {
            error: error.to_string(),
        })
    }

    async fn race(&self, steps: &[Step]) -> Result<StepResult, Violation> {
        let faults = self.engine.store().faults();
        faults.set_yielding(true);
        // Boxed: a race holds steps, so this future would otherwise contain itself.
        let racing = steps.iter().map(|s| Box::pin(self.step(s)));
        let results = futures::future::join_all(racing).await;
        faults.set_yielding(false);
        Ok(StepResult::Raced(
            results.into_iter().collect::<Result<_, _>>()?,
        ))
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
                Ok(Some(report)) => {
                    self.watcher.delivered(self.engine, &report).await?;
                    records.push(DeliveryRecord::from_report(&report));
                }
                Ok(None) => break,
                Err(error) => {
                    // The delivery failed before its checkpoint; it stays pending.
                    self.watcher.failed(self.engine, &error).await?;
                    let next = match subscriber {
                        None => self.engine.next_delivery().await,
                        Some(s) => self.engine.next_delivery_for(s).await,
                    };
                    let delivery = next.ok().flatten();
                    records.push(failed_delivery(
                        delivery.as_ref(),
                        &error,
                        OutcomeKind::Failed,
                    ));
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

    async fn deliver_again(&self, redeliver: &Redeliver) -> Result<StepResult, Violation> {
        match self
            .engine
            .deliver_again(redeliver.subscriber, redeliver.event_id)
            .await
        {
            Ok(report) => {
                self.watcher.redelivered(self.engine, &report).await?;
                Ok(StepResult::Delivered(vec![DeliveryRecord::from_report(
                    &report,
                )]))
            }
            Err(error) => self.failed(&error).await,
        }
    }

    /// Delivers the subscriber's next event with a crash armed before its checkpoint: the effect
    /// is stored (a service's append; the view's effect lives in its checkpoint and is lost with
    /// it), the checkpoint is not, so the event comes again.
    async fn crash(&self, crash: &Crash) -> Result<StepResult, Violation> {
        let subscriber = crash.subscriber;
        let engine = self.engine;
        let delivery = match engine.next_delivery_for(subscriber).await {
            Ok(Some(delivery)) => delivery,
            Ok(None) => return Ok(StepResult::Delivered(Vec::new())),
            Err(error) => return self.failed(&error).await,
        };
        let faults = engine.store().faults();
        faults.crash_before_next_checkpoint(subscriber.name());
        let result = engine.deliver_reporting(&delivery).await;
        // Disarm whatever did not fire (a discarded duplicate saves no checkpoint).
        faults.disarm_crash(subscriber.name());
        match result {
            Ok(report) => {
                self.watcher.delivered(engine, &report).await?;
                Ok(StepResult::Delivered(vec![DeliveryRecord::from_report(
                    &report,
                )]))
            }
            Err(EngineError::Store(StoreError::Crashed { .. })) => {
                let effect = match effect_of(engine, &delivery).await {
                    Ok(effect) => effect,
                    Err(error) => return self.failed(&error).await,
                };
                self.watcher.crashed(engine, &delivery, &effect).await?;
                let position = engine
                    .positions()
                    .await
                    .ok()
                    .and_then(|all| all.into_iter().find(|(s, _)| *s == subscriber))
                    .map_or(0, |(_, p)| p);
                Ok(StepResult::Delivered(vec![DeliveryRecord {
                    subscriber: subscriber.name().to_string(),
                    event_id: delivery.event.event_id,
                    event_type: delivery.event.event_type.clone(),
                    outcome: OutcomeKind::Crashed,
                    stored: effect.iter().map(|e| e.event_id).collect(),
                    detail: Some(format!(
                        "the {} stopped after its effect and before saving its checkpoint; it restarts from #{position}",
                        subscriber.label()
                    )),
                }]))
            }
            Err(error) => {
                self.watcher.failed(engine, &error).await?;
                Ok(StepResult::Delivered(vec![failed_delivery(
                    Some(&delivery),
                    &error,
                    OutcomeKind::Failed,
                )]))
            }
        }
    }

    async fn repeat(&self, repeat: &Repeat) -> Result<StepResult, Violation> {
        let mut results = Vec::new();
        for round in 1..=repeat.times {
            // A scenario's repeat was checked when it was read; this only fails for one built in
            // code, and then it is a step that cannot be carried out.
            let steps = match repeat.round(round) {
                Ok(steps) => steps,
                Err(error) => {
                    results.push(StepResult::Failed { error });
                    break;
                }
            };
            for step in &steps {
                // Boxed: a repeat holds steps, so this future would otherwise contain itself.
                results.push(Box::pin(self.step(step)).await?);
            }
        }
        Ok(StepResult::Repeated(results))
    }

    async fn projection(&self, step: &ProjectionStep) -> Result<StepResult, Violation> {
        let engine = self.engine;
        let query = engine.query_side();
        let store = engine.store();
        if let Err(error) = step.apply(query, store).await {
            return Ok(StepResult::Failed { error });
        }
        self.watcher
            .projected(engine, &step.name, step.action)
            .await?;
        match query.lag(&step.name, store).await {
            Ok(lag) => Ok(StepResult::Projected {
                name: step.name.clone(),
                position: lag.position,
                events_behind: lag.events_behind,
                paused: query.control(&step.name).is_some_and(|c| c.is_paused()),
            }),
            Err(error) => self.failed(&EngineError::from(error)).await,
        }
    }
}

/// The events `delivery`'s subscriber stored in reaction to it: a service's effect lives in the
/// log, named by its causation id (the view's lives in its checkpoint: none here).
async fn effect_of<S: EventStore>(
    engine: &Engine<S>,
    delivery: &Delivery,
) -> Result<Vec<EventEnvelope>, EngineError> {
    let actor = delivery.subscriber.name();
    let cause = delivery.event.event_id;
    Ok(engine
        .store()
        .read_all(cause, usize::MAX)
        .await?
        .into_iter()
        .filter(|e| e.metadata.actor == actor && e.metadata.causation_id == Some(cause))
        .collect())
}

/// Stores `events` exactly as written — each with the id and version it names — consecutive events
/// of one stream in one append. Ids must run on from the store's head and versions on from each
/// stream's.
pub async fn store_as_written<S: EventStore>(
    store: &S,
    events: &[EventEnvelope],
) -> Result<(), String> {
    let mut i = 0;
    while i < events.len() {
        let first = &events[i];
        let run = events[i..]
            .iter()
            .take_while(|e| e.entity_type == first.entity_type && e.entity_id == first.entity_id)
            .count();
        let stream = StreamId::new(&first.entity_type, &first.entity_id);
        let expected = ExpectedVersion::after(first.version.saturating_sub(1));
        let batch = events[i..i + run]
            .iter()
            .map(|e| NewEvent::from(e.clone()))
            .collect();
        let stored = store
            .append(&stream, expected, batch)
            .await
            .map_err(|e| format!("event #{} cannot be stored: {e}", first.event_id))?;
        if let Some(moved) = stored
            .iter()
            .zip(&events[i..i + run])
            .find(|(got, want)| got.event_id != want.event_id || got.version != want.version)
        {
            return Err(format!(
                "event #{} was stored as #{} (version {}): the ids must run on from the store's head",
                moved.1.event_id, moved.0.event_id, moved.0.version
            ));
        }
        i += run;
    }
    Ok(())
}

fn failed_delivery(
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
