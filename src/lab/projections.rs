//! The Projections view's state: the write side's head, every projection's checkpoint and what its
//! view holds, sampled for a chart of the lag; a runner that moves each running projection wherever
//! the learner is (at once, or one event every `delay` ms); and the controls (pause, step, catch
//! up, rebuild, add a projection, a burst of orders, a stale read and read-your-writes).
//!
//! The runner starts with the app, not with the page, so the views never stand still because the
//! page is closed. The customer view is the exception: it is one of the engine's subscribers, so
//! away from this page it moves with the lab's deliveries (Step, Run to end), and the lab's
//! choreography shows it lagging. While a lesson drives projections itself, the runner leaves them
//! alone and says so.
//!
//! Every checkpoint moved by hand here is written to the lab's journal, so time travel stays true;
//! the runner's own moves are not (they would bury the lab's deliveries), and time travel reads the
//! live checkpoints at "now".

use super::as_of::ViewsThen;
use super::lesson_text::DRIVING_PROJECTIONS;
use super::{Lab, LabEngine};
use crate::lab::snapshots::now_ms;
use foldlab_domain::{
    CustomerId, CustomerViewProjection, CustomerViews, EventEnvelope, Money, OrderId,
};
use foldlab_engine::{OutcomeKind, Progress, ProjectionStatus};
use foldlab_lab::journal::{Happened, ProjectorMove};
use foldlab_store::EventStore;
use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// Where the view's settings are saved.
const SETTINGS_KEY: &str = "foldlab-projections";

/// How often the chart takes a sample while the page is open, in milliseconds.
pub const SAMPLE_MS: f64 = 250.0;

/// How often the runner looks at the projections while the page is closed, in milliseconds.
const AWAY_SAMPLE_MS: f64 = 500.0;

/// How often the runner's timer fires, in milliseconds.
const TICK_MS: u64 = 50;

/// How long the runner waits before fetching its code again after a failure, in milliseconds.
const RETRY_MS: f64 = 5_000.0;

/// How much time the chart shows, in milliseconds.
pub const WINDOW_MS: f64 = 60_000.0;

/// The projection that starts not added: the seed's "new customers with high value orders".
pub const LATE_PROJECTION: &str = foldlab_domain::NewCustomersProjection::NAME;

/// The delay choices, in milliseconds (0: catch up at once).
pub const DELAYS: [u32; 5] = [0, 200, 500, 1_000, 2_000];

/// What the view remembers across reloads.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LagSettings {
    /// Projections paused.
    pub paused: Vec<String>,
    /// Delays by projection, in milliseconds.
    pub delays: BTreeMap<String, u32>,
    /// Whether the late projection has been added.
    pub late_added: bool,
}

/// One sample of the chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// `performance.now()` when taken.
    pub at: f64,
    /// Events behind, by projection label.
    pub behind: Vec<(String, u64)>,
}

/// The stale read, as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct StaleRead {
    /// The order placed.
    pub order: String,
    /// The customer it was placed for (name).
    pub customer: String,
    /// That customer's id.
    pub customer_id: String,
    /// The id of its OrderCreated event.
    pub event_id: u64,
    /// The view's checkpoint when read.
    pub position: u64,
    /// The customer's recent orders as the view returned them.
    pub returned: Vec<String>,
    /// Whether the view held the order when read.
    pub found: bool,
    /// What waiting said, once asked.
    pub waited: Option<Result<String, String>>,
}

/// Everything the Projections view shows, in one signal (one signal type keeps the wasm small).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LagState {
    /// The saved settings.
    pub settings: LagSettings,
    /// The latest statuses (every projection, added or not).
    pub statuses: Vec<ProjectionStatus>,
    /// The last action's answer (ok, text).
    pub note: Option<(bool, String)>,
    /// The stale read, once made.
    pub stale: Option<StaleRead>,
    /// While true the runner leaves the customer view alone (the stale read is being looked at).
    pub hold_view: bool,
    /// The title of the lesson that moves the projections itself; the runner leaves them alone.
    pub held_by: Option<String>,
    /// What each view holds now, read from its checkpoint when a checkpoint moved.
    pub contents: Option<ViewsThen>,
}

/// The chart: the head and the samples, which change four times a second (kept apart from
/// [`LagState`], so the controls are not redrawn under the pointer).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chart {
    /// The head when last sampled.
    pub head: u64,
    /// The wall clock (milliseconds since the epoch, the clock of `recorded_at`) when last sampled.
    pub wall_ms: f64,
    /// The samples, oldest first.
    pub samples: VecDeque<Sample>,
}

/// The runner's bookkeeping (not shown).
#[derive(Default)]
struct Runner {
    /// True while a tick runs, so ticks never overlap.
    ticking: bool,
    /// When each projection was last stepped by the runner.
    last_step: BTreeMap<String, f64>,
    /// When the last sample was taken.
    last_sample: f64,
    /// Whether the Projections page is open (it samples more often, and moves the customer view).
    page_open: bool,
    /// After the runner's code could not be fetched: no tick before this time.
    retry_at: f64,
    /// Whether the saved views were read at a tick of their own since the page loaded.
    views_read: bool,
}

/// The Projections view's state, shared through context. `Copy`: only handles.
#[derive(Clone, Copy)]
pub struct Projections {
    lab: Lab,
    /// What the view shows.
    pub state: RwSignal<LagState>,
    /// The chart.
    pub chart: RwSignal<Chart>,
    runner: StoredValue<Runner>,
}

impl Projections {
    /// Sets one field of the state.
    fn put<T>(&self, field: impl FnOnce(&mut LagState) -> &mut T, value: T) {
        self.state.update(|s| *field(s) = value);
    }

    /// Reads the saved settings and applies them to the lab's projectors once the store is open.
    pub fn open(lab: Lab) -> Projections {
        let projections = Projections {
            lab,
            state: RwSignal::new(LagState {
                settings: LocalStorage::get(SETTINGS_KEY).unwrap_or_default(),
                ..LagState::default()
            }),
            chart: RwSignal::new(Chart::default()),
            runner: StoredValue::new(Runner {
                last_sample: f64::NEG_INFINITY,
                ..Runner::default()
            }),
        };
        Effect::new(move |_| {
            if matches!(lab.status.get(), super::StoreStatus::Ready { .. }) {
                projections.apply_settings();
            }
        });
        // The runner, for the whole app: never cleared, since the app never unmounts.
        let _ = set_interval_with_handle(
            move || projections.tick(),
            std::time::Duration::from_millis(TICK_MS),
        );
        projections
    }

    /// Tells the runner whether the Projections page is open.
    pub fn set_page_open(&self, open: bool) {
        self.runner.update_value(|r| r.page_open = open);
        self.sample_soon();
    }

    fn apply_settings(&self) {
        let Some(engine) = self.lab.engine() else {
            return;
        };
        let settings = self.state.with_untracked(|s| s.settings.clone());
        for control in engine.query_side().controls() {
            if settings.paused.iter().any(|p| p == control.name()) {
                control.pause();
            } else {
                control.resume();
            }
            control.set_delay_ms(settings.delays.get(control.name()).copied().unwrap_or(0));
        }
    }

    fn save(&self, change: impl FnOnce(&mut LagSettings)) {
        self.state.update(|s| change(&mut s.settings));
        let _ = LocalStorage::set(
            SETTINGS_KEY,
            self.state.with_untracked(|s| s.settings.clone()),
        );
        self.apply_settings();
    }

    /// Whether a projection is shown and run (every one but the late one until it is added).
    pub fn is_added(&self, name: &str) -> bool {
        name != LATE_PROJECTION || self.state.with(|st| st.settings.late_added)
    }

    /// Pauses or resumes a projection.
    pub fn set_paused(&self, name: &str, paused: bool) {
        self.save(|s| {
            s.paused.retain(|p| p != name);
            if paused {
                s.paused.push(name.to_string());
            }
        });
        self.sample_soon();
    }

    /// Sets a projection's delay.
    pub fn set_delay(&self, name: &str, delay: u32) {
        self.save(|s| {
            s.delays.insert(name.to_string(), delay);
        });
    }

    fn sample_soon(&self) {
        self.runner
            .update_value(|r| r.last_sample = f64::NEG_INFINITY);
    }

    /// One tick of the page's timer: a sample every [`SAMPLE_MS`], and each running, added
    /// projection moved when its delay is up.
    ///
    /// The runner's code is not in the first download: it is fetched at the first tick after the
    /// lab takes commands (see `crate::lazy`). When that fails, the runner tries again a few
    /// seconds later; the lab's own deliveries do not need it.
    pub fn tick(&self) {
        if !self.lab.ready.get_untracked()
            || self
                .runner
                .with_value(|r| r.ticking || now_ms() < r.retry_at)
        {
            return;
        }
        let Some(engine) = self.lab.engine() else {
            return;
        };
        self.runner.update_value(|r| r.ticking = true);
        let this = *self;
        spawn_local(async move {
            match crate::lazy::run_projections(this, engine).await {
                Ok(run) => run.await,
                Err(_) => this
                    .runner
                    .update_value(|r| r.retry_at = now_ms() + RETRY_MS),
            }
            this.runner.update_value(|r| r.ticking = false);
        });
    }

    /// The work of one tick: a sample when one is due, then each due projection moved.
    pub async fn run_tick(&self, engine: Rc<LabEngine>) {
        // A projector reads its saved view once after a load and keeps it. With a long history
        // that read is the longest part of a command's catch-up, so the first tick does it while
        // the learner has not yet clicked, once the lab has read its log (the tables wait for
        // that, a command's too) and checked its store (which reads the views too: both at once
        // were one wait twice as long for a click). A view that cannot be read is said where it
        // is used.
        if !self.runner.with_value(|r| r.views_read) {
            if !self.lab.settled.get_value() {
                return;
            }
            self.runner.update_value(|r| r.views_read = true);
            let _ = engine.query_side().check_views(engine.store()).await;
            return;
        }
        let now = now_ms();
        let every = if self.runner.with_value(|r| r.page_open) {
            SAMPLE_MS
        } else {
            AWAY_SAMPLE_MS
        };
        if now - self.runner.with_value(|r| r.last_sample) >= every {
            self.runner.update_value(|r| r.last_sample = now);
            self.sample(&engine, now).await;
        }
        if !self.lab.busy.get_untracked() {
            self.run_due().await;
        }
    }

    async fn sample(&self, engine: &LabEngine, now: f64) {
        let Ok(statuses) = engine.query_side().statuses(engine.store()).await else {
            return;
        };
        let head = statuses.first().map_or(0, |s| s.lag.head);
        let behind = statuses
            .iter()
            .filter(|s| self.is_added(&s.name))
            .map(|s| (s.label.clone(), s.lag.events_behind))
            .collect();
        self.chart.update(|chart| {
            chart.head = head;
            chart.wall_ms = js_sys::Date::now();
            chart.samples.push_back(Sample { at: now, behind });
            while chart
                .samples
                .front()
                .is_some_and(|s| now - s.at > WINDOW_MS)
            {
                chart.samples.pop_front();
            }
        });
        let moved = self.state.with_untracked(|st| {
            st.contents.is_none()
                || st.statuses.len() != statuses.len()
                || st
                    .statuses
                    .iter()
                    .zip(&statuses)
                    .any(|(a, b)| a.lag.position != b.lag.position)
        });
        if self.state.with_untracked(|st| st.statuses != statuses) {
            self.put(|s| &mut s.statuses, statuses);
        }
        let held_by = lesson_driving_projections();
        if self.state.with_untracked(|st| st.held_by != held_by) {
            self.put(|s| &mut s.held_by, held_by);
        }
        if moved && self.runner.with_value(|r| r.page_open) {
            if let Ok(contents) = contents(engine).await {
                self.put(|s| &mut s.contents, Some(contents));
            }
        }
    }

    async fn run_due(&self) {
        let Some(engine) = self.lab.engine() else {
            return;
        };
        if self.state.with_untracked(|s| s.held_by.is_some()) {
            return;
        }
        let page_open = self.runner.with_value(|r| r.page_open);
        let statuses = self.state.with_untracked(|s| s.statuses.clone());
        for status in statuses {
            let name = status.name.as_str();
            // The saved setting, not only the projector's flag: a step by hand lifts the flag of a
            // paused projector for one await, and the runner must not take that as a resume.
            let paused = engine
                .query_side()
                .control(name)
                .is_none_or(|c| c.is_paused())
                || self
                    .state
                    .with_untracked(|s| s.settings.paused.iter().any(|p| p == name));
            if !self.is_added(name) || paused || status.lag.events_behind == 0 {
                continue;
            }
            // Away from this page the customer view is the lab's subscriber: Step delivers to it.
            if name == CustomerViewProjection::NAME
                && (!page_open || self.state.with_untracked(|s| s.hold_view))
            {
                continue;
            }
            let now = now_ms();
            let last = self
                .runner
                .with_value(|r| r.last_step.get(name).copied().unwrap_or(f64::NEG_INFINITY));
            let delay_ms = engine
                .query_side()
                .control(name)
                .map_or(0, |c| c.delay_ms());
            if delay_ms == 0 {
                self.catch_up_with(name, false).await;
            } else if now - last >= f64::from(delay_ms) {
                self.runner.update_value(|r| {
                    r.last_step.insert(name.to_string(), now);
                });
                self.step_with(name, false).await;
            }
        }
    }

    /// Applies one event to a projection, by hand: a paused one too (it stays paused).
    pub async fn step(&self, name: &str) {
        self.step_with(name, true).await;
    }

    async fn step_with(&self, name: &str, hand: bool) {
        let Some(engine) = self.lab.engine() else {
            return;
        };
        let paused = hand && by_hand(&engine, name);
        let result = engine.query_side().step(name, engine.store()).await;
        if paused {
            self.apply_settings();
        }
        match result {
            Ok(Progress::Applied { event_id, outcome }) => {
                let verb = match outcome {
                    foldlab_domain::ApplyOutcome::Updated => {
                        Happened::Delivered(OutcomeKind::ViewUpdated)
                    }
                    foldlab_domain::ApplyOutcome::Ignored => {
                        Happened::Delivered(OutcomeKind::ViewUnchanged)
                    }
                    foldlab_domain::ApplyOutcome::Duplicate => {
                        Happened::Delivered(OutcomeKind::DuplicateDiscarded)
                    }
                };
                self.moved(&engine, name, event_id, verb, "applied one event", hand)
                    .await;
            }
            Ok(Progress::UpToDate) if !hand => {}
            Ok(Progress::UpToDate) => self.put(
                |s| &mut s.note,
                Some((
                    true,
                    format!("{}: up to date, nothing to apply.", label(&engine, name)),
                )),
            ),
            Ok(Progress::Paused) => self.put(
                |s| &mut s.note,
                Some((
                    false,
                    format!("{} is paused: resume it to step.", label(&engine, name)),
                )),
            ),
            Err(error) => self.put(|s| &mut s.note, Some((false, error.to_string()))),
        }
        self.sample_soon();
    }

    /// Applies every event after a projection's checkpoint, by hand: a paused one too.
    pub async fn catch_up(&self, name: &str) {
        self.catch_up_with(name, true).await;
    }

    async fn catch_up_with(&self, name: &str, hand: bool) {
        let Some(engine) = self.lab.engine() else {
            return;
        };
        let paused = hand && by_hand(&engine, name);
        let result = engine.query_side().catch_up(name, engine.store()).await;
        if paused {
            self.apply_settings();
        }
        match result {
            Ok(done) if done.paused => self.put(
                |s| &mut s.note,
                Some((
                    false,
                    format!("{} is paused: resume it to catch up.", label(&engine, name)),
                )),
            ),
            Ok(done) if done.applied > 0 => {
                let text = format!("caught up: applied {} events", done.applied);
                self.moved(
                    &engine,
                    name,
                    done.position,
                    Happened::Projector(ProjectorMove::CaughtUp),
                    &text,
                    hand,
                )
                .await;
            }
            Ok(_) => {}
            Err(error) => self.put(|s| &mut s.note, Some((false, error.to_string()))),
        }
        self.sample_soon();
    }

    /// Drops a projection's view and applies every event again from position 0.
    pub async fn rebuild(&self, name: &str) {
        let Some(engine) = self.lab.engine() else {
            return;
        };
        match engine.query_side().rebuild(name, engine.store()).await {
            Ok(done) => {
                let text = if done.paused {
                    "rebuilt: emptied to position 0 (paused, so nothing applied yet)".to_string()
                } else {
                    format!("rebuilt from position 0: applied {} events", done.applied)
                };
                self.moved(
                    &engine,
                    name,
                    done.position,
                    Happened::Projector(ProjectorMove::Rebuilt),
                    &text,
                    true,
                )
                .await;
            }
            Err(error) => self.put(|s| &mut s.note, Some((false, error.to_string()))),
        }
        self.sample_soon();
    }

    /// Adds the late projection: it starts at checkpoint 0 and catches up one event every 200 ms.
    pub async fn add_late(&self) {
        let Some(engine) = self.lab.engine() else {
            return;
        };
        let Some(control) = engine.query_side().control(LATE_PROJECTION) else {
            return;
        };
        control.pause();
        let result = engine
            .query_side()
            .rebuild(LATE_PROJECTION, engine.store())
            .await;
        self.save(|s| {
            s.late_added = true;
            s.paused.retain(|p| p != LATE_PROJECTION);
            s.delays.insert(LATE_PROJECTION.to_string(), 200);
        });
        match result {
            Ok(_) => {
                self.moved(
                    &engine,
                    LATE_PROJECTION,
                    0,
                    Happened::Projector(ProjectorMove::Added),
                    "added at checkpoint 0; it catches up from the first event",
                    true,
                )
                .await
            }
            Err(error) => self.put(|s| &mut s.note, Some((false, error.to_string()))),
        }
        self.sample_soon();
    }

    /// Records a move by hand in the journal and says what happened; a move of the runner's only
    /// refreshes the lab when the customer view moved.
    async fn moved(
        &self,
        engine: &LabEngine,
        name: &str,
        position: u64,
        outcome: Happened,
        what: &str,
        announce: bool,
    ) {
        if !announce {
            if name == CustomerViewProjection::NAME {
                self.lab.refresh().await;
            }
            return;
        }
        let label = label(engine, name);
        let event = event_at(engine, position).await;
        let sentence = format!(
            "The {} {what} and saved its checkpoint at #{position}: the view is the fold of the events up to it.",
            label.to_ascii_lowercase()
        );
        self.lab
            .record(
                engine,
                name,
                &label,
                &event,
                Vec::new(),
                outcome,
                sentence.clone(),
            )
            .await;
        self.put(
            |s| &mut s.note,
            Some((true, format!("{label} {what}; checkpoint #{position}."))),
        );
        if name == CustomerViewProjection::NAME {
            self.lab.refresh().await;
        }
    }

    /// Places `count` orders as fast as the store takes them, for the first customer.
    pub async fn burst(&self, count: usize) {
        let Some(customer) = self.first_customer() else {
            self.put(
                |s| &mut s.note,
                Some((false, "Create a customer on the Lab page first.".into())),
            );
            return;
        };
        for i in 0..count {
            let total = format!("{}", 10 + (i % 7) * 5);
            if let Err(error) = self.lab.place_order(customer.clone(), total).await {
                self.put(|s| &mut s.note, Some((false, error)));
                return;
            }
        }
        self.put(
            |s| &mut s.note,
            Some((
                true,
                format!("Placed {count} orders: the write side's head moved {count} events ahead."),
            )),
        );
        self.sample_soon();
    }

    fn first_customer(&self) -> Option<String> {
        self.lab.readout.with_untracked(|s| {
            s.model
                .customer_order
                .iter()
                .find(|id| {
                    s.model
                        .customers
                        .get(*id)
                        .is_some_and(|c| c.customer().is_some() && !c.is_deleted())
                })
                .map(|id| id.to_string())
        })
    }

    /// Places an order and reads the customer view straight after the command returns.
    pub async fn stale_read(&self) {
        let Some(customer) = self.first_customer() else {
            self.put(
                |s| &mut s.note,
                Some((false, "Create a customer on the Lab page first.".into())),
            );
            return;
        };
        let Some(engine) = self.lab.engine() else {
            return;
        };
        self.put(|s| &mut s.hold_view, true);
        let order = OrderId::new(format!(
            "o-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ));
        let customer_id = CustomerId::new(customer.clone());
        let placed = engine
            .place_order(
                &order,
                &customer_id,
                Money::from_cents(2_500),
                order.as_str(),
            )
            .await;
        let stored = match placed {
            Ok(stored) => stored,
            Err(error) => {
                self.put(|s| &mut s.hold_view, false);
                self.put(|s| &mut s.note, Some((false, error.to_string())));
                return;
            }
        };
        // The read, straight after the command: before the view's projector has run again.
        let read = engine.query_side().customer_view.load(engine.store()).await;
        let event_id = stored.last().map_or(0, |e| e.event_id);
        self.lab.log_command(&engine, &stored).await;
        self.lab.refresh().await;
        match read {
            Ok(projected) => {
                let (name, returned) = view_of(&projected.state, &customer_id);
                let found = returned.iter().any(|o| o.starts_with(order.as_str()));
                self.put(
                    |s| &mut s.stale,
                    Some(StaleRead {
                        order: order.to_string(),
                        customer: name.unwrap_or_else(|| customer.clone()),
                        customer_id: customer,
                        event_id,
                        position: projected.position,
                        returned,
                        found,
                        waited: None,
                    }),
                );
            }
            Err(error) => {
                self.put(|s| &mut s.hold_view, false);
                self.put(|s| &mut s.note, Some((false, error.to_string())));
            }
        }
    }

    /// Read-your-writes: drives the customer view until it has applied the stale read's order.
    pub async fn wait_for_view(&self) {
        let Some(engine) = self.lab.engine() else {
            return;
        };
        let Some(read) = self.state.with_untracked(|s| s.stale.clone()) else {
            return;
        };
        let before = engine
            .query_side()
            .customer_view
            .position(engine.store())
            .await
            .unwrap_or(0);
        let waited = engine
            .query_side()
            .wait_until_applied("customer-view", engine.store(), read.event_id)
            .await;
        let answer = match waited {
            Ok(position) => {
                if position > before {
                    self.moved(
                        &engine,
                        "customer-view",
                        position,
                        Happened::Projector(ProjectorMove::CaughtUp),
                        "applied the events up to the order",
                        true,
                    )
                    .await;
                }
                let returned = engine
                    .customer_view()
                    .await
                    .map(|v| view_of(&v, &CustomerId::new(read.customer_id.clone())).1)
                    .unwrap_or_default();
                let has = returned.iter().any(|o| o.starts_with(&read.order));
                Ok(format!(
                    "The view has applied #{} (its checkpoint is #{position}); order {} is {} its recent orders: {}.",
                    read.event_id,
                    read.order,
                    if has { "now among" } else { "still not among" },
                    if returned.is_empty() { "none".to_string() } else { returned.join(", ") }
                ))
            }
            Err(error) => Err(error.to_string()),
        };
        let done = answer.is_ok();
        self.state.update(|st| {
            let s = &mut st.stale;
            if let Some(s) = s {
                s.waited = Some(answer);
            }
        });
        if done {
            self.put(|s| &mut s.hold_view, false);
        }
        self.sample_soon();
    }

    /// Forgets the stale read and lets the runner move the view again.
    pub fn dismiss_stale(&self) {
        self.put(|s| &mut s.stale, None);
        self.put(|s| &mut s.hold_view, false);
    }
}

/// The customer's name and recent orders (`o-1 $25.00 NEW`) as a view holds them.
fn view_of(view: &CustomerViews, id: &CustomerId) -> (Option<String>, Vec<String>) {
    match view.customers.get(id) {
        Some(c) => (
            Some(c.name.clone()),
            c.recent_orders
                .iter()
                .map(|o| format!("{} {} {}", o.order_id, o.total, o.status))
                .collect(),
        ),
        None => (None, Vec::new()),
    }
}

/// What every view holds now, read from its checkpoint.
async fn contents(engine: &LabEngine) -> Result<ViewsThen, foldlab_engine::ProjectorError> {
    let query = engine.query_side();
    let store = engine.store();
    let cv = query.customer_view.load(store).await?;
    let oh = query.order_history.load(store).await?;
    let lc = query.low_credit_limit.load(store).await?;
    let nc = query.new_customers.load(store).await?;
    Ok(ViewsThen {
        customer_view: (Some(cv.position), cv.state),
        order_history: (Some(oh.position), oh.state),
        low_credit: (Some(lc.position), lc.state),
        new_customers: (Some(nc.position), nc.state),
    })
}

/// The title of the lesson in progress, if it moves projections itself and has not run to its
/// end: the runner must not move them under it.
fn lesson_driving_projections() -> Option<String> {
    let progress = super::lessons::Progress::load()?;
    DRIVING_PROJECTIONS
        .iter()
        .find(|lesson| lesson.id == progress.id)
        .filter(|lesson| progress.walk.ran < lesson.steps)
        .map(|lesson| lesson.title.to_string())
}

/// Lets a paused projector take one move by hand; returns whether it was paused (the caller puts
/// the saved settings back afterwards).
fn by_hand(engine: &LabEngine, name: &str) -> bool {
    match engine.query_side().control(name) {
        Some(control) if control.is_paused() => {
            control.resume();
            true
        }
        _ => false,
    }
}

fn label(engine: &LabEngine, name: &str) -> String {
    engine
        .query_side()
        .control(name)
        .map_or_else(|| name.to_string(), |c| c.label().to_string())
}

/// The event at `position`, for the journal; a placeholder at position 0 (nothing applied).
async fn event_at(engine: &LabEngine, position: u64) -> EventEnvelope {
    if position > 0 {
        if let Ok(page) = engine.store().read_all(position - 1, 1).await {
            if let Some(event) = page.into_iter().next() {
                return event;
            }
        }
    }
    EventEnvelope {
        event_id: 0,
        entity_type: "—".into(),
        entity_id: "—".into(),
        version: 0,
        event_type: "(none: position 0)".into(),
        schema_version: 0,
        event_data: "{}".into(),
        recorded_at: 0,
        metadata: foldlab_domain::Metadata {
            actor: "projector".into(),
            correlation_id: String::new(),
            causation_id: None,
        },
    }
}
