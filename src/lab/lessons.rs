//! Running scenarios against the lab's own store, for lessons and for scenario files: every
//! command and delivery the runner makes is recorded in the journal as it happens, so the
//! timeline and time travel stay true. Also where a lesson stands, kept in localStorage so that a
//! reload never loses a lesson midway.

use super::{Lab, LabEngine};
use foldlab_domain::EventEnvelope;
use foldlab_engine::{Delivery, OutcomeKind, StepReport};
use foldlab_lab::journal::{Happened, ProjectorMove};
use foldlab_lab::lesson::{Readout, Task, Walk};
use foldlab_lab::runner::{Runner, Watcher};
use foldlab_lab::scenario::Settings;
use foldlab_lab::sim::Violation;
use foldlab_lab::sim::{Deliver, ProjectionAction, Step, StepResult};
use foldlab_store::{BrowserStore, EventStore};
use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::WithUntracked;
use serde::{Deserialize, Serialize};

/// Records what the runner does in the lab's journal.
struct Journal(Lab);

impl Watcher<BrowserStore> for Journal {
    async fn command(&self, engine: &LabEngine, stored: &[EventEnvelope]) -> Result<(), Violation> {
        self.0.log_command(engine, stored).await;
        Ok(())
    }

    async fn delivered(&self, engine: &LabEngine, report: &StepReport) -> Result<(), Violation> {
        self.0.log(engine, report).await;
        Ok(())
    }

    async fn crashed(
        &self,
        engine: &LabEngine,
        delivery: &Delivery,
        effect: &[EventEnvelope],
    ) -> Result<(), Violation> {
        let subscriber = delivery.subscriber;
        let received = format!("{} #{}", delivery.event.event_type, delivery.event.event_id);
        let sentence = if effect.is_empty() {
            format!(
                "The {} applied {received}, then crashed before saving its checkpoint: the update lived in the checkpoint and is lost with it, so the event will be delivered again.",
                subscriber.label().to_ascii_lowercase()
            )
        } else {
            let stored: Vec<String> = effect
                .iter()
                .map(|e| format!("{} #{}", e.event_type, e.event_id))
                .collect();
            format!(
                "The {} handled {received} and stored {}, then crashed before saving its checkpoint, so the event will be delivered again.",
                subscriber.label(),
                stored.join(", ")
            )
        };
        self.0
            .record(
                engine,
                subscriber.name(),
                subscriber.label(),
                &delivery.event,
                effect.iter().map(|e| e.event_id).collect(),
                Happened::Delivered(OutcomeKind::Crashed),
                sentence,
            )
            .await;
        Ok(())
    }

    async fn projected(
        &self,
        engine: &LabEngine,
        name: &str,
        action: ProjectionAction,
    ) -> Result<(), Violation> {
        let Ok(lag) = engine.query_side().lag(name, engine.store()).await else {
            return Ok(());
        };
        // A journal entry names an event: the one the projection now stands at.
        let Ok(events) = engine
            .store()
            .read_all(lag.position.saturating_sub(1), 1)
            .await
        else {
            return Ok(());
        };
        let Some(event) = events.first() else {
            return Ok(());
        };
        let (did, projector_move) = match action {
            ProjectionAction::Pause => ("was paused", ProjectorMove::Paused),
            ProjectionAction::Resume => ("was resumed", ProjectorMove::Resumed),
            ProjectionAction::Step => ("applied one more event", ProjectorMove::Stepped),
            ProjectionAction::CatchUp => ("caught up", ProjectorMove::CaughtUp),
            ProjectionAction::Rebuild => ("was rebuilt from position 0", ProjectorMove::Rebuilt),
        };
        let sentence = format!(
            "The {name} projection {did}: it has applied the events up to #{}, {} behind the event store.",
            lag.position, lag.events_behind
        );
        self.0
            .record(
                engine,
                name,
                name,
                event,
                Vec::new(),
                Happened::Projector(projector_move),
                sentence,
            )
            .await;
        Ok(())
    }
}

impl Lab {
    /// Replaces the lab with a fresh run of a scenario: deletes every event and checkpoint, sets
    /// the scenario's snapshot policy, stores its seed events, resumes every projection, then
    /// runs `steps`.
    pub async fn start_scenario(
        &self,
        settings: &Settings,
        steps: &[Step],
    ) -> Result<Vec<StepResult>, String> {
        self.reset().await?;
        let lab = *self;
        let settings = settings.clone();
        let steps = steps.to_vec();
        self.with_engine(async move |engine| {
            for control in engine.query_side().controls() {
                control.resume();
            }
            let watcher = Journal(lab);
            let runner = runner(&engine, &watcher);
            runner
                .prepare(settings.snapshot_every, &settings.seed_events)
                .await?;
            runner.run(&steps).await.map_err(|v| v.to_string())
        })
        .await
    }

    /// Runs more of a scenario against the lab as it is.
    pub async fn run_steps(&self, steps: &[Step]) -> Result<Vec<StepResult>, String> {
        let lab = *self;
        let steps = steps.to_vec();
        self.with_engine(async move |engine| {
            let watcher = Journal(lab);
            runner(&engine, &watcher)
                .run(&steps)
                .await
                .map_err(|v| v.to_string())
        })
        .await
    }
}

impl Lab {
    /// "Do it for me": the learner's task, through the same commands the lab's forms and Step
    /// button send.
    pub async fn do_task(&self, task: Task) -> Result<String, String> {
        let amount = |cents: i64| format!("{}.{:02}", cents / 100, cents % 100);
        match task {
            Task::CreateCustomer { name, limit_cents } => {
                self.create_customer(name.to_string(), amount(limit_cents))
                    .await
            }
            Task::PlaceOrder { total_cents } => {
                let customer = self.readout.with_untracked(|s| {
                    Readout {
                        events: &s.events,
                        pending: s.pending,
                    }
                    .newest_customer()
                });
                let customer = customer.ok_or("Create the customer first.")?;
                self.place_order(customer, amount(total_cents)).await
            }
            Task::DeliverAll => {
                self.deliver(true).await;
                Ok("Every waiting delivery was made.".to_string())
            }
        }
    }
}

fn runner<'a>(engine: &'a LabEngine, watcher: &'a Journal) -> Runner<'a, BrowserStore, Journal> {
    // Correlation ids of their own per run, so that a scenario run in parts repeats none.
    let run = uuid::Uuid::new_v4().simple().to_string();
    Runner::new(engine, watcher).correlation_prefix(&format!("k-{}-", &run[..6]))
}

/// The localStorage key where the current lesson's progress is kept.
const KEY: &str = "foldlab-lesson";
/// The localStorage key of the lessons completed in this browser.
const DONE_KEY: &str = "foldlab-lessons-done";

/// Where a lesson stands in this browser.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    /// The lesson.
    pub id: String,
    /// The step shown.
    pub shown: usize,
    /// Which steps have happened, what ran and what was answered.
    pub walk: Walk,
}

impl Progress {
    /// The saved progress, if any.
    pub fn load() -> Option<Progress> {
        LocalStorage::get(KEY).ok()
    }

    /// Saves it; a browser that refuses keeps only the route.
    pub fn save(&self) {
        let _ = LocalStorage::set(KEY, self);
    }

    /// Forgets it and every done mark (the lab was reset or replaced).
    pub fn clear() {
        LocalStorage::delete(KEY);
        LocalStorage::delete(DONE_KEY);
    }

    /// The lessons completed in this browser since the lab was last reset.
    pub fn done() -> Vec<String> {
        LocalStorage::get(DONE_KEY).unwrap_or_default()
    }

    /// Marks a lesson completed.
    pub fn mark_done(id: &str) {
        let mut done = Self::done();
        if !done.iter().any(|d| d == id) {
            done.push(id.to_string());
            let _ = LocalStorage::set(DONE_KEY, &done);
        }
    }
}

/// A scenario step in a few words.
pub fn describe(step: &Step) -> String {
    match step {
        Step::CreateCustomer(c) => format!(
            "Create customer {} ({}) with a {} limit",
            c.id,
            c.name.as_deref().unwrap_or(&c.id),
            foldlab_domain::Money::from_cents(c.limit_cents)
        ),
        Step::PlaceOrder(o) => format!(
            "Place order {} for {}, {}",
            o.id,
            o.customer,
            foldlab_domain::Money::from_cents(o.total_cents)
        ),
        Step::CancelOrder(o) => format!("Cancel order {}", o.id),
        Step::ShipOrder(o) => format!("Ship order {}", o.id),
        Step::ChangeCreditLimit(c) => format!(
            "Change {}'s credit limit to {}",
            c.id,
            foldlab_domain::Money::from_cents(c.limit_cents)
        ),
        Step::DeleteCustomer(c) => format!("Delete customer {}", c.id),
        Step::Deliver(Deliver::All) => "Deliver everything waiting".to_string(),
        Step::Deliver(Deliver::Next(n)) => format!("Make the next {n} deliveries"),
        Step::Deliver(Deliver::To { subscriber, count }) => match count {
            1 => format!("Make 1 delivery to the {} only", subscriber.label()),
            n => format!("Make {n} deliveries to the {} only", subscriber.label()),
        },
        Step::DeliverAgain(r) => format!(
            "Deliver event #{} to the {} again",
            r.event_id,
            r.subscriber.label()
        ),
        Step::Crash(c) => format!(
            "The {} crashes after its next effect, before its checkpoint",
            c.subscriber.label()
        ),
        Step::Race(steps) => format!(
            "At the same time: {}",
            steps.iter().map(describe).collect::<Vec<_>>().join("; ")
        ),
        Step::Repeat(r) => format!("{} rounds of {} steps", r.times, r.steps.len()),
        Step::Projection(p) => {
            format!("Projection {}: {:?}", p.name, p.action).to_ascii_lowercase()
        }
    }
}

/// What a step did, in a few words.
pub fn outcome(result: &StepResult) -> String {
    match result {
        StepResult::Stored { event_ids } => {
            let ids: Vec<String> = event_ids.iter().map(|id| format!("#{id}")).collect();
            format!("stored {}", ids.join(", "))
        }
        StepResult::Failed { error } => format!("refused: {error}"),
        StepResult::Delivered(records) => match records.len() {
            0 => "nothing to deliver".to_string(),
            1 => format!("1 delivery ({})", records[0].outcome.label()),
            n => format!("{n} deliveries"),
        },
        StepResult::Raced(results) | StepResult::Repeated(results) => {
            let refused = results.iter().flat_map(|r| r.errors()).count();
            let deliveries = result.deliveries().len();
            format!(
                "{}, {}, {refused} refused",
                foldlab_lab::counted(results.len() as u64, "step", "steps"),
                foldlab_lab::counted(deliveries as u64, "delivery", "deliveries")
            )
        }
        StepResult::Projected {
            position,
            events_behind,
            paused,
            ..
        } => format!(
            "at #{position}, {events_behind} behind{}",
            if *paused { ", paused" } else { "" }
        ),
    }
}
