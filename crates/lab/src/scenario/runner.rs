//! Runs a scenario's steps against any engine — the app's own store as well as the memory store —
//! one step at a time, telling a [`Watcher`] of every command and delivery as it happens, so a
//! lesson can run part of a scenario against the lab and the lab's journal stays true.
//!
//! [`play`](super::play) is the checked player of the test suite: it runs on the simulator's
//! faulty store, which can crash on demand, and checks invariants after every step. This runner
//! has neither. A crash is therefore carried out by what it leaves behind (the effect stored, the
//! checkpoint put back where it was), and racing steps run as concurrent futures, which interleave
//! wherever the store yields.

use super::Settings;
use crate::sim::{
    Crash, Deliver, DeliveryRecord, ProjectionAction, ProjectionStep, Redeliver, Repeat, Step,
    StepResult, DELIVERY_LIMIT,
};
use foldlab_domain::codec::DomainEvent;
use foldlab_domain::{
    CustomerEvent, CustomerId, EventEnvelope, Money, NewEvent, OrderEvent, OrderId, Projection,
};
use foldlab_engine::{Delivery, Engine, EngineError, OutcomeKind, StepReport, Subscriber};
use foldlab_store::{Checkpoint, EventStore, ExpectedVersion, StreamId};
use std::cell::Cell;

/// Told of everything a runner does, as it does it (the app records each in its journal).
#[allow(async_fn_in_trait)]
pub trait Watcher<S> {
    /// A user's command stored these events.
    async fn command(&self, engine: &Engine<S>, stored: &[EventEnvelope]) {
        let _ = (engine, stored);
    }

    /// A delivery was made.
    async fn delivered(&self, engine: &Engine<S>, report: &StepReport) {
        let _ = (engine, report);
    }

    /// A delivery stored its effect and its subscriber then crashed before its checkpoint, which is
    /// back where it was.
    async fn crashed(&self, engine: &Engine<S>, report: &StepReport) {
        let _ = (engine, report);
    }

    /// A projection's projector was paused, resumed, stepped, caught up or rebuilt.
    async fn projected(&self, engine: &Engine<S>, name: &str, action: ProjectionAction) {
        let _ = (engine, name, action);
    }
}

/// Watches nothing.
impl<S> Watcher<S> for () {}

/// Carries out scenario steps against one engine.
pub struct Runner<'a, S, W> {
    engine: &'a Engine<S>,
    watcher: &'a W,
    correlations: Cell<u64>,
    prefix: String,
}

impl<'a, S: EventStore, W: Watcher<S>> Runner<'a, S, W> {
    /// A runner over `engine` that tells `watcher` what it does.
    pub fn new(engine: &'a Engine<S>, watcher: &'a W) -> Self {
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

    /// Makes the engine ready for a scenario: its snapshot policy, and its `seed_events` stored as
    /// they are. The store should be empty (reset first): seed events name their own ids.
    pub async fn prepare(&self, settings: &Settings) -> Result<(), String> {
        let every = settings.snapshot_every;
        self.engine
            .set_snapshot_every(CustomerEvent::ENTITY_TYPE, every.customer);
        self.engine
            .set_snapshot_every(OrderEvent::ENTITY_TYPE, every.order);
        store_as_written(self.engine.store(), &settings.seed_events).await
    }

    /// Carries out `steps` in order and returns what each did.
    pub async fn run(&self, steps: &[Step]) -> Vec<StepResult> {
        let mut results = Vec::with_capacity(steps.len());
        for step in steps {
            results.push(self.step(step).await);
        }
        results
    }

    /// Carries out one step. A refused command or a step that cannot be carried out is a
    /// [`StepResult::Failed`] with the reason; nothing here panics.
    pub async fn step(&self, step: &Step) -> StepResult {
        let correlation = || {
            self.correlations.set(self.correlations.get() + 1);
            format!("{}{}", self.prefix, self.correlations.get())
        };
        let engine = self.engine;
        let stored = match step {
            Step::CreateCustomer(c) => {
                let name = c.name.clone().unwrap_or_else(|| c.id.clone());
                engine
                    .create_customer(
                        &CustomerId::new(&c.id),
                        &name,
                        Money::from_cents(c.limit_cents),
                        &correlation(),
                    )
                    .await
            }
            Step::PlaceOrder(o) => {
                engine
                    .place_order(
                        &OrderId::new(&o.id),
                        &CustomerId::new(&o.customer),
                        Money::from_cents(o.total_cents),
                        &correlation(),
                    )
                    .await
            }
            Step::CancelOrder(o) => {
                engine
                    .cancel_order(&OrderId::new(&o.id), &correlation())
                    .await
            }
            Step::ShipOrder(o) => {
                engine
                    .ship_order(&OrderId::new(&o.id), &correlation())
                    .await
            }
            Step::ChangeCreditLimit(c) => {
                engine
                    .change_credit_limit(
                        &CustomerId::new(&c.id),
                        Money::from_cents(c.limit_cents),
                        &correlation(),
                    )
                    .await
            }
            Step::DeleteCustomer(c) => {
                engine
                    .delete_customer(&CustomerId::new(&c.id), &correlation())
                    .await
            }
            Step::Deliver(deliver) => return self.deliver(deliver).await,
            Step::DeliverAgain(redeliver) => return self.deliver_again(redeliver).await,
            Step::Crash(crash) => return self.crash(crash).await,
            Step::Race(steps) => {
                // Boxed: a race holds steps, so this future would otherwise contain itself.
                let racing = steps.iter().map(|s| Box::pin(self.step(s)));
                return StepResult::Raced(futures::future::join_all(racing).await);
            }
            Step::Repeat(repeat) => return self.repeat(repeat).await,
            Step::Projection(step) => return self.projection(step).await,
        };
        match stored {
            Ok(events) => {
                self.watcher.command(engine, &events).await;
                StepResult::Stored {
                    event_ids: events.iter().map(|e| e.event_id).collect(),
                }
            }
            Err(error) => failed(&error),
        }
    }

    async fn deliver(&self, deliver: &Deliver) -> StepResult {
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
                    self.watcher.delivered(self.engine, &report).await;
                    records.push(DeliveryRecord::from_report(&report));
                }
                Ok(None) => break,
                Err(error) => {
                    records.push(failed_delivery(None, &error, OutcomeKind::Failed));
                    break;
                }
            }
        }
        StepResult::Delivered(records)
    }

    async fn deliver_again(&self, redeliver: &Redeliver) -> StepResult {
        match self
            .engine
            .deliver_again(redeliver.subscriber, redeliver.event_id)
            .await
        {
            Ok(report) => {
                self.watcher.delivered(self.engine, &report).await;
                StepResult::Delivered(vec![DeliveryRecord::from_report(&report)])
            }
            Err(error) => failed(&error),
        }
    }

    /// What a crash between a handler's effect and its checkpoint leaves behind: the effect stored
    /// (a service's append; the view's effect lives in its checkpoint and is lost with it) and the
    /// checkpoint where it was before the delivery, so the event comes again.
    async fn crash(&self, crash: &Crash) -> StepResult {
        let subscriber = crash.subscriber;
        let engine = self.engine;
        let delivery = match engine.next_delivery_for(subscriber).await {
            Ok(Some(delivery)) => delivery,
            Ok(None) => return StepResult::Delivered(Vec::new()),
            Err(error) => return failed(&error),
        };
        let before = match engine.store().load_checkpoint(subscriber.name()).await {
            Ok(before) => before.unwrap_or_else(|| self.empty_checkpoint(subscriber)),
            Err(error) => return failed(&error.into()),
        };
        let report = match engine.deliver_reporting(&delivery).await {
            Ok(report) => report,
            Err(error) => {
                return StepResult::Delivered(vec![failed_delivery(
                    Some(&delivery),
                    &error,
                    OutcomeKind::Failed,
                )])
            }
        };
        let mut record = DeliveryRecord::from_report(&report);
        if let Err(error) = engine.store().save_checkpoint(&before).await {
            return failed(&error.into());
        }
        self.watcher.crashed(engine, &report).await;
        record.outcome = OutcomeKind::Crashed;
        record.detail = Some(format!(
            "the {} stopped after its effect and before saving its checkpoint; it restarts from #{}",
            subscriber.label(),
            before.position
        ));
        StepResult::Delivered(vec![record])
    }

    /// The checkpoint a subscriber has before its first delivery.
    fn empty_checkpoint(&self, subscriber: Subscriber) -> Checkpoint {
        let state = match subscriber {
            Subscriber::CustomerView => {
                let projection = self.engine.query_side().customer_view.projection();
                serde_json::to_string(&projection.initial_state())
                    .unwrap_or_else(|_| "null".to_string())
            }
            Subscriber::CustomerService | Subscriber::OrderService => "null".to_string(),
        };
        Checkpoint {
            subscriber: subscriber.name().to_string(),
            position: 0,
            state,
        }
    }

    async fn repeat(&self, repeat: &Repeat) -> StepResult {
        let mut results = Vec::new();
        for round in 1..=repeat.times {
            match repeat.round(round) {
                Ok(steps) => {
                    for step in &steps {
                        // Boxed: a repeat holds steps.
                        results.push(Box::pin(self.step(step)).await);
                    }
                }
                Err(error) => {
                    results.push(StepResult::Failed { error });
                    break;
                }
            }
        }
        StepResult::Repeated(results)
    }

    async fn projection(&self, step: &ProjectionStep) -> StepResult {
        let engine = self.engine;
        let query = engine.query_side();
        let store = engine.store();
        if let Err(error) = step.apply(query, store).await {
            return StepResult::Failed { error };
        }
        self.watcher
            .projected(engine, &step.name, step.action)
            .await;
        match query.lag(&step.name, store).await {
            Ok(lag) => StepResult::Projected {
                name: step.name.clone(),
                position: lag.position,
                events_behind: lag.events_behind,
                paused: query.control(&step.name).is_some_and(|c| c.is_paused()),
            },
            Err(error) => StepResult::Failed {
                error: error.to_string(),
            },
        }
    }
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
        let expected = match first.version {
            0 | 1 => ExpectedVersion::NoStream,
            v => ExpectedVersion::Exact(v - 1),
        };
        let batch = events[i..i + run]
            .iter()
            .map(|e| NewEvent {
                event_type: e.event_type.clone(),
                schema_version: e.schema_version,
                event_data: e.event_data.clone(),
                recorded_at: e.recorded_at,
                metadata: e.metadata.clone(),
            })
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

fn failed(error: &EngineError) -> StepResult {
    StepResult::Failed {
        error: error.to_string(),
    }
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
