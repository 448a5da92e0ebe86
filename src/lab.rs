//! The lab's state on the page: the engine over the browser's event store, and a snapshot of what
//! the views show, refreshed after every command and delivery. Views call the methods here; the
//! rules themselves stay in the domain crate.

use foldlab_domain::{CustomerId, CustomerViews, EventEnvelope, Money, OrderId, WriteModel};
use foldlab_store::browser::{open_browser_store, BrowserStore};
use foldlab_store::engine::{Engine, EngineError, StepReport, Subscriber};
use foldlab_store::{narrate, Backend, EventStore};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;

/// The name of the IndexedDB database (and the localStorage key prefix) the lab keeps its data in.
const STORE_NAME: &str = "foldlab";

/// How many deliveries "Run to end" makes at most before it stops to let the page breathe.
const RUN_LIMIT: usize = 10_000;

/// How many step sentences the choreography panel keeps.
const STEP_LOG: usize = 60;

/// Where the store stands.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreStatus {
    /// Opening the browser's storage.
    Opening,
    /// Ready: which backend, and why it is not the default one, if it is not.
    Ready {
        backend: Backend,
        note: Option<String>,
    },
}

/// What the views show, read from the store in one go.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// The whole log, oldest first.
    pub events: Vec<EventEnvelope>,
    /// Every aggregate's current state (the command side).
    pub model: WriteModel,
    /// The customer view as the query side holds it.
    pub view: CustomerViews,
    /// Each subscriber's checkpoint.
    pub positions: Vec<(Subscriber, u64)>,
    /// Deliveries waiting.
    pub pending: usize,
}

impl Snapshot {
    /// The highest `event_id` stored.
    pub fn head(&self) -> u64 {
        self.events.last().map_or(0, |e| e.event_id)
    }

    /// A customer's display name on the command side, or its id.
    pub fn customer_name(&self, id: &CustomerId) -> String {
        self.model
            .customers
            .get(id)
            .and_then(|c| c.customer())
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    }
}

/// One line of the choreography log.
#[derive(Clone, Debug, PartialEq)]
pub struct StepLine {
    /// Counts deliveries since the page opened.
    pub number: usize,
    /// Who received the event.
    pub subscriber: Subscriber,
    /// The `event_id` delivered.
    pub event_id: u64,
    /// Ids of events the delivery stored.
    pub stored: Vec<u64>,
    /// A short name for the outcome.
    pub outcome: &'static str,
    /// The plain sentence.
    pub sentence: String,
}

/// The lab, shared by every view through context. `Copy`: it only holds handles.
#[derive(Clone, Copy)]
pub struct Lab {
    engine: StoredValue<Option<Rc<Engine<BrowserStore>>>, LocalStorage>,
    /// Where the store stands.
    pub status: RwSignal<StoreStatus>,
    /// What the views show.
    pub snapshot: RwSignal<Snapshot>,
    /// A failure to read the store, shown at the top.
    pub load_error: RwSignal<Option<String>>,
    /// True while a command or delivery runs (buttons are disabled meanwhile).
    pub busy: RwSignal<bool>,
    /// The choreography log, newest first.
    pub steps: RwSignal<Vec<StepLine>>,
    /// The last delivery's failure, shown by the choreography controls.
    pub step_error: RwSignal<Option<String>>,
    delivered: StoredValue<usize>,
}

impl Lab {
    /// Creates the lab and starts opening the store.
    pub fn open() -> Self {
        let lab = Lab {
            engine: StoredValue::new_local(None),
            status: RwSignal::new(StoreStatus::Opening),
            snapshot: RwSignal::new(Snapshot::default()),
            load_error: RwSignal::new(None),
            busy: RwSignal::new(true),
            steps: RwSignal::new(Vec::new()),
            step_error: RwSignal::new(None),
            delivered: StoredValue::new(0),
        };
        spawn_local(async move {
            let (store, note) = open_browser_store(STORE_NAME).await;
            let backend = store.backend();
            let engine = Engine::new(store, Box::new(|| js_sys::Date::now() as i64));
            lab.engine.set_value(Some(Rc::new(engine)));
            lab.status.set(StoreStatus::Ready { backend, note });
            lab.refresh().await;
            lab.busy.set(false);
        });
        lab
    }

    fn engine(&self) -> Option<Rc<Engine<BrowserStore>>> {
        self.engine.get_value()
    }

    /// Reads everything the views show from the store.
    pub async fn refresh(&self) {
        let Some(engine) = self.engine() else { return };
        match load_snapshot(&engine).await {
            Ok(snapshot) => {
                self.snapshot.set(snapshot);
                self.load_error.set(None);
            }
            Err(error) => self.load_error.set(Some(format!(
                "The lab could not read its event store. {error}"
            ))),
        }
    }

    /// Runs `work` with the engine while marking the lab busy, then refreshes the views.
    async fn with_engine<T>(
        &self,
        work: impl AsyncFnOnce(Rc<Engine<BrowserStore>>) -> Result<T, String>,
    ) -> Result<T, String> {
        let engine = self.engine().ok_or_else(|| {
            "The event store is still opening; try again in a moment.".to_string()
        })?;
        self.busy.set(true);
        let result = work(engine).await;
        self.refresh().await;
        self.busy.set(false);
        result
    }

    /// Creates a customer from what the form holds; returns a confirmation or the reason it was refused.
    pub async fn create_customer(
        &self,
        name: String,
        limit_text: String,
    ) -> Result<String, String> {
        let limit = Money::parse(&limit_text).map_err(|e| format!("Credit limit: {e}"))?;
        let id = CustomerId::new(short_id("c"));
        self.with_engine(async move |engine| {
            let stored = engine
                .create_customer(&id, &name, limit, &short_id("k"))
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "Stored {}: customer {} was created with a {limit} credit limit.",
                ids(&stored),
                id
            ))
        })
        .await
    }

    /// Places an order; returns a confirmation or the reason it was refused.
    pub async fn place_order(
        &self,
        customer: String,
        total_text: String,
    ) -> Result<String, String> {
        if customer.is_empty() {
            return Err("Choose a customer first (create one above if there is none).".to_string());
        }
        let total = Money::parse(&total_text).map_err(|e| format!("Order total: {e}"))?;
        let id = OrderId::new(short_id("o"));
        let customer = CustomerId::new(customer);
        self.with_engine(async move |engine| {
            let stored = engine
                .place_order(&id, &customer, total, &short_id("k"))
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "Stored {}: order {id} is NEW. Step through the deliveries to see the Customer service react.",
                ids(&stored)
            ))
        })
        .await
    }

    /// Makes one delivery (or all of them, with `to_end`), logging a sentence for each.
    pub async fn deliver(&self, to_end: bool) {
        let lab = *self;
        let result = self
            .with_engine(async move |engine| {
                let mut made = 0;
                loop {
                    match engine.step().await {
                        Ok(Some(report)) => {
                            lab.log(&report);
                            made += 1;
                            if !to_end || made >= RUN_LIMIT {
                                return Ok(made);
                            }
                        }
                        Ok(None) => return Ok(made),
                        Err(error) => return Err(delivery_failure(&error)),
                    }
                }
            })
            .await;
        self.step_error.set(match result {
            Ok(0) => Some(
                "Nothing to deliver: every subscriber is up to date with the event store."
                    .to_string(),
            ),
            Ok(_) => None,
            Err(error) => Some(error),
        });
    }

    /// Deletes every event and checkpoint.
    pub async fn reset(&self) -> Result<(), String> {
        let lab = *self;
        self.with_engine(async move |engine| {
            engine.store().clear().await.map_err(|e| e.to_string())?;
            lab.steps.set(Vec::new());
            lab.step_error.set(None);
            Ok(())
        })
        .await
    }

    fn log(&self, report: &StepReport) {
        let number = self.delivered.get_value() + 1;
        self.delivered.set_value(number);
        let line = StepLine {
            number,
            subscriber: report.delivery.subscriber,
            event_id: report.delivery.event.event_id,
            stored: match &report.outcome {
                foldlab_store::engine::Outcome::Appended(events) => {
                    events.iter().map(|e| e.event_id).collect()
                }
                _ => Vec::new(),
            },
            outcome: outcome_label(&report.outcome),
            sentence: narrate(report),
        };
        self.steps.update(|steps| {
            steps.insert(0, line);
            steps.truncate(STEP_LOG);
        });
    }
}

async fn load_snapshot(engine: &Engine<BrowserStore>) -> Result<Snapshot, EngineError> {
    let events = engine.store().read_all(0, usize::MAX).await?;
    let model = WriteModel::from_log(&events);
    Ok(Snapshot {
        view: engine.customer_view().await?,
        positions: engine.positions().await?,
        pending: engine.pending().await?,
        model,
        events,
    })
}

fn outcome_label(outcome: &foldlab_store::engine::Outcome) -> &'static str {
    use foldlab_store::engine::Outcome;
    match outcome {
        Outcome::Appended(_) => "state changed",
        Outcome::Refused(_) => "rule refused",
        Outcome::ViewUpdated => "view updated",
        Outcome::ViewUnchanged => "checkpoint moved",
        Outcome::DuplicateDiscarded => "duplicate discarded",
    }
}

fn delivery_failure(error: &EngineError) -> String {
    format!("The delivery could not be completed, and its checkpoint was not moved, so it will be delivered again: {error}")
}

/// `#1, #2` for the events a command stored.
fn ids(events: &[EventEnvelope]) -> String {
    let list: Vec<String> = events
        .iter()
        .map(|e| format!("{} #{}", e.event_type, e.event_id))
        .collect();
    list.join(", ")
}

/// A short random id such as `c-1f2e3d4c`: short enough to read in a table, random enough that two
/// tabs do not pick the same one (and if they did, creating the stream twice is a conflict).
fn short_id(prefix: &str) -> String {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &uuid[..8])
}
