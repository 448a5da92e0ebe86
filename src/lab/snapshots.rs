//! The Snapshots view's state: the snapshot interval both engines use, long generated histories
//! kept in a second event store, and the two folds of one aggregate side by side (the latest
//! snapshot plus the events after it, and a full replay from the first event), each timed in the
//! browser with `performance.now()`.
//!
//! Long histories live in their own store (`foldlab-history`) with their own engine, so that the
//! lab's log, which the other views read whole after every change, stays small and quick.

use super::{Lab, LabEngine, StoreStatus};
use foldlab_domain::codec::DomainEvent;
use foldlab_domain::{
    CustomerDecider, CustomerEvent, CustomerState, Decider, EventEnvelope, OrderDecider,
    OrderEvent, OrderState, Snapshotting,
};
use foldlab_engine::replay::{latest_multiple, Generation, GenerationError, Replay};
use foldlab_engine::Engine;
use foldlab_engine::{fold_stored, EngineError, SnapshotPolicy, SnapshotSkipped};
use foldlab_store::browser::open_browser_store;
use foldlab_store::{Backend, EventStore, Snapshot, StreamId};
use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use std::num::NonZeroU64;
use std::rc::Rc;

/// The name of the second store (IndexedDB database, or localStorage key prefix).
pub const HISTORY_STORE: &str = "foldlab-history";

/// Where the view's settings are saved.
const SETTINGS_KEY: &str = "foldlab-folds";

/// Where the list of generated histories is saved.
const HISTORIES_KEY: &str = "foldlab-histories";

/// Events appended per transaction while generating.
pub const BATCH: usize = 5_000;

/// Events read per page by the full replay.
pub const PAGE: usize = 5_000;

/// A history longer than this is not loaded in one read: without a snapshot, the engine's load
/// would hold every event in memory at once.
const ONE_READ_LIMIT: u64 = 100_000;

/// The interval choices (0 = snapshots off).
pub const INTERVALS: [u64; 8] = [0, 10, 100, 300, 1_000, 10_000, 100_000, 1_000_000];

/// The history length choices.
pub const LENGTHS: [u64; 5] = [1_000, 5_000, 100_000, 500_000, 1_000_000];

/// What the view remembers across reloads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FoldSettings {
    /// Snapshot every this many events (0: off).
    pub interval: u64,
    /// The aggregate picked (see [`Target`]).
    pub target: String,
    /// How many events a generated history gets.
    pub length: u64,
}

impl Default for FoldSettings {
    fn default() -> Self {
        Self {
            interval: 100,
            target: String::new(),
            length: 5_000,
        }
    }
}

/// A generated long history in the second store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The customer's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// How many events are stored (its stream's version).
    pub events: u64,
    /// The `event_id` of its first event: its events follow one another in that store.
    pub first_event_id: u64,
}

/// An aggregate to fold: in the lab's store or the history store.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Whether it lives in the history store.
    pub history: bool,
    /// `Customer` or `Order`.
    pub entity_type: String,
    /// Its id.
    pub id: String,
}

impl Target {
    /// Reads `lab:Customer:c-1` / `history:Customer:h-1`.
    pub fn parse(text: &str) -> Option<Target> {
        let mut parts = text.splitn(3, ':');
        let history = match parts.next()? {
            "lab" => false,
            "history" => true,
            _ => return None,
        };
        let entity_type = parts.next()?.to_string();
        let id = parts.next()?.to_string();
        (matches!(entity_type.as_str(), "Customer" | "Order") && !id.is_empty()).then_some(Target {
            history,
            entity_type,
            id,
        })
    }

    /// The inverse of [`Target::parse`].
    pub fn key(history: bool, entity_type: &str, id: &str) -> String {
        format!(
            "{}:{entity_type}:{id}",
            if history { "history" } else { "lab" }
        )
    }
}

/// One side of the comparison, as shown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Side {
    /// Still folding.
    pub running: bool,
    /// Events folded so far, and of how many.
    pub progress: Option<(u64, u64)>,
    /// The time the fold took, in milliseconds.
    pub ms: Option<f64>,
    /// How many events were folded.
    pub folded: Option<u64>,
    /// Where the fold started, in words.
    pub from: String,
    /// The state reached (JSON), or as far as the animation has got.
    pub state: String,
    /// The event the animation is folding.
    pub current: Option<String>,
    /// Anything else to say.
    pub note: Option<String>,
}

/// Where the snapshot sits in the folded aggregate's history, for the strip drawn over it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    /// The stream's version: how many events its history holds.
    pub version: u64,
    /// The version the snapshot is at (the latest multiple of the interval), if there is one: the
    /// load folds only the events after it.
    pub snapshot_at: Option<u64>,
}

impl Placement {
    /// How many events a load from the snapshot folds: those after it, or all without one.
    pub fn tail(&self) -> u64 {
        self.version - self.snapshot_at.unwrap_or(0).min(self.version)
    }
}

/// Everything the Snapshots view shows, in one signal (one signal type keeps the wasm small).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FoldsState {
    /// The history store's backend and its fallback note, once open.
    pub history_backend: Option<(Backend, Option<String>)>,
    /// The saved settings.
    pub settings: FoldSettings,
    /// The generated histories.
    pub histories: Vec<History>,
    /// Generating: events stored so far, of how many.
    pub generating: Option<(u64, u64)>,
    /// Asked to stop generating.
    pub cancel: bool,
    /// What generating last said (done, cancelled, or why it stopped).
    pub generate_note: Option<(bool, String)>,
    /// The snapshot side.
    pub snap: Side,
    /// The full replay side.
    pub full: Side,
    /// What the last run did besides folding (a snapshot written) and whether the folds agree.
    pub run_note: Option<String>,
    /// Why the last run failed.
    pub run_error: Option<String>,
    /// True while a run goes.
    pub running: bool,
    /// Where the snapshot sits in the history folded last.
    pub placement: Option<Placement>,
}

/// The Snapshots view's state, shared through context. `Copy`: only handles.
#[derive(Clone, Copy)]
pub struct Folds {
    lab: Lab,
    history: StoredValue<Option<Rc<LabEngine>>, leptos::prelude::LocalStorage>,
    /// Asked to fold again while a fold ran (the interval or the pick changed meanwhile).
    again: StoredValue<bool>,
    /// What the view shows.
    pub state: RwSignal<FoldsState>,
}

impl Folds {
    /// Sets one field of the state.
    pub fn put<T>(&self, field: impl FnOnce(&mut FoldsState) -> &mut T, value: T) {
        self.state.update(|s| *field(s) = value);
    }

    /// Reads one field, tracked.
    pub fn with_of<T, R>(
        &self,
        field: impl FnOnce(&FoldsState) -> &T,
        read: impl FnOnce(&T) -> R,
    ) -> R {
        self.state.with(|s| read(field(s)))
    }

    /// Reads one field, untracked.
    pub fn with_untracked_of<T, R>(
        &self,
        field: impl FnOnce(&FoldsState) -> &T,
        read: impl FnOnce(&T) -> R,
    ) -> R {
        self.state.with_untracked(|s| read(field(s)))
    }

    /// Changes one field.
    pub fn update_of<T>(
        &self,
        field: impl FnOnce(&mut FoldsState) -> &mut T,
        change: impl FnOnce(&mut T),
    ) {
        self.state.update(|s| change(field(s)));
    }

    /// Reads the saved settings, opens the history store, and applies the interval to the lab's
    /// engine once it is open.
    pub fn open(lab: Lab) -> Folds {
        let folds = Folds {
            lab,
            history: StoredValue::new_local(None),
            again: StoredValue::new(false),
            state: RwSignal::new(FoldsState {
                settings: LocalStorage::get(SETTINGS_KEY).unwrap_or_default(),
                histories: LocalStorage::get(HISTORIES_KEY).unwrap_or_default(),
                ..FoldsState::default()
            }),
        };
        spawn_local(async move {
            let (store, note) = open_browser_store(HISTORY_STORE).await;
            let backend = store.backend();
            // The lab's store type (with its fault switch, never armed here): one engine type in
            // the wasm instead of two.
            let engine = Engine::new(
                super::LabStore::new(store),
                Box::new(|| js_sys::Date::now() as i64),
            );
            folds.history.set_value(Some(Rc::new(engine)));
            folds.put(|s| &mut s.history_backend, Some((backend, note)));
            folds.apply_interval();
        });
        Effect::new(move |_| {
            if matches!(lab.status.get(), StoreStatus::Ready { .. }) {
                folds.apply_interval();
            }
        });
        folds
    }

    /// The interval as the engine takes it (`None`: off).
    pub fn every(&self) -> Option<NonZeroU64> {
        NonZeroU64::new(self.with_untracked_of(|s| &s.settings, |s| s.interval))
    }

    /// Sets the snapshot policy of both engines to the saved interval.
    fn apply_interval(&self) {
        let every = self.every();
        for engine in [self.lab.engine(), self.history.get_value()]
            .into_iter()
            .flatten()
        {
            engine.set_snapshot_policy(SnapshotPolicy::every(every));
        }
    }

    /// Changes a setting and saves them all.
    pub fn update(&self, change: impl FnOnce(&mut FoldSettings)) {
        self.update_of(|s| &mut s.settings, change);
        let _ = LocalStorage::set(
            SETTINGS_KEY,
            self.state.with_untracked(|s| s.settings.clone()),
        );
    }

    /// Changes the interval, applies it, and folds the picked aggregate again.
    pub fn set_interval(&self, interval: u64) {
        self.update(|s| s.interval = interval);
        self.apply_interval();
        self.run();
    }

    fn save_histories(&self) {
        let _ = LocalStorage::set(
            HISTORIES_KEY,
            self.state.with_untracked(|s| s.histories.clone()),
        );
    }

    /// Asks a running generation to stop after its current batch.
    pub fn cancel_generation(&self) {
        self.put(|s| &mut s.cancel, true);
    }

    /// Generates a new customer with a history of the chosen length in the history store, a batch
    /// at a time; then picks it and folds it.
    pub fn generate(&self) {
        let folds = *self;
        let Some(engine) = self.history.get_value() else {
            self.put(
                |s| &mut s.generate_note,
                Some((
                    false,
                    "The history store is still opening; try again in a moment.".into(),
                )),
            );
            return;
        };
        let total = self.with_untracked_of(|s| &s.settings, |s| s.length);
        let number = self.with_untracked_of(|s| &s.histories, |h| h.len()) + 1;
        let id = format!("h-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let name = format!("Long history {number}");
        self.put(|s| &mut s.cancel, false);
        self.put(|s| &mut s.generate_note, None);
        self.put(|s| &mut s.generating, Some((0, total)));
        spawn_local(async move {
            let mut generation = Generation::new(&id, &name, total);
            let mut outcome: Result<(), String> = Ok(());
            while !generation.done() {
                if folds.state.with_untracked(|s| s.cancel) {
                    outcome = Err(format!(
                        "Cancelled: the {} events stored before that stay in {HISTORY_STORE}.",
                        group(generation.stored)
                    ));
                    break;
                }
                let batch = generation
                    .next_batch(engine.store(), BATCH, js_sys::Date::now() as i64)
                    .await;
                match batch {
                    Ok(envelopes) => {
                        let stored = generation.stored;
                        let first = envelopes.first().map_or(0, |e| e.event_id);
                        folds.update_of(
                            |s| &mut s.histories,
                            |list| match list.iter_mut().find(|h| h.id == id) {
                                Some(h) => h.events = stored,
                                None => list.push(History {
                                    id: id.clone(),
                                    name: name.clone(),
                                    events: stored,
                                    first_event_id: first,
                                }),
                            },
                        );
                        folds.save_histories();
                        folds.put(|s| &mut s.generating, Some((stored, total)));
                    }
                    Err(refused @ GenerationError::Refused(_)) => {
                        outcome = Err(refused.to_string());
                        break;
                    }
                    Err(GenerationError::Store(error)) => {
                        outcome = Err(format!(
                            "Stopped after {} events: {error} The batches stored before it are intact.",
                            group(generation.stored)
                        ));
                        break;
                    }
                }
                pause(0).await;
            }
            let stored = generation.stored;
            folds.put(|s| &mut s.generating, None);
            folds.put(
                |s| &mut s.generate_note,
                Some(match outcome {
                    Ok(()) => (
                        true,
                        format!("Stored {} events for {name} ({id}).", group(stored)),
                    ),
                    Err(message) => (false, message),
                }),
            );
            if stored > 0 {
                folds.update(|s| s.target = Target::key(true, "Customer", &id));
                folds.run();
            }
        });
    }

    /// Deletes every generated history (the lab's own events are untouched).
    pub fn delete_histories(&self) {
        let folds = *self;
        let Some(engine) = self.history.get_value() else {
            return;
        };
        spawn_local(async move {
            match engine.store().clear().await {
                Ok(()) => {
                    folds.put(|s| &mut s.histories, Vec::new());
                    folds.save_histories();
                    if folds
                        .with_untracked_of(|s| &s.settings, |s| s.target.starts_with("history:"))
                    {
                        folds.update(|s| s.target.clear());
                    }
                    folds.put(|s| &mut s.snap, Side::default());
                    folds.put(|s| &mut s.full, Side::default());
                    folds.put(|s| &mut s.run_note, None);
                    folds.put(
                        |s| &mut s.generate_note,
                        Some((
                            true,
                            format!("Deleted the long histories from {HISTORY_STORE}."),
                        )),
                    );
                }
                Err(error) => folds.put(
                    |s| &mut s.generate_note,
                    Some((
                        false,
                        format!("The long histories could not be deleted: {error}"),
                    )),
                ),
            }
        });
    }

    /// Folds the picked aggregate both ways.
    pub fn run(&self) {
        let folds = *self;
        let Some(target) = self.with_untracked_of(|s| &s.settings, |s| Target::parse(&s.target))
        else {
            return;
        };
        if self.state.with_untracked(|s| s.running) {
            // Fold again once this fold ends, with the settings as they are then.
            self.again.set_value(true);
            return;
        }
        let engine = if target.history {
            self.history.get_value()
        } else {
            self.lab.engine()
        };
        let Some(engine) = engine else { return };
        let history = target
            .history
            .then(|| {
                self.state
                    .with_untracked(|s| s.histories.iter().find(|h| h.id == target.id).cloned())
            })
            .flatten();
        self.put(|s| &mut s.running, true);
        self.put(|s| &mut s.run_error, None);
        self.put(|s| &mut s.run_note, None);
        spawn_local(async move {
            let kind = if target.entity_type == "Order" {
                Kind::Order
            } else {
                Kind::Customer
            };
            let result = folds.compare(&engine, kind, &target.id, history).await;
            if let Err(error) = result {
                folds.put(|s| &mut s.run_error, Some(error));
            }
            folds.put(|s| &mut s.running, false);
            if folds.again.get_value() {
                folds.again.set_value(false);
                folds.run();
            }
        });
    }

    async fn compare(
        &self,
        engine: &LabEngine,
        kind: Kind,
        id: &str,
        history: Option<History>,
    ) -> Result<(), String> {
        let stream = StreamId::new(kind.entity_type(), id);
        let every = self.every();
        // The stream's length: known for a generated history, read for a lab aggregate (small).
        let (start_after, version) = match &history {
            Some(h) => (h.first_event_id.saturating_sub(1), h.events),
            None => {
                let events = engine
                    .store()
                    .read_stream(&stream, 0)
                    .await
                    .map_err(|e| crate::lab::said(&e))?;
                (0, events.last().map_or(0, |e| e.version))
            }
        };
        let capture_at = every
            .map(|n| latest_multiple(version, n))
            .filter(|v| *v > 0);
        self.put(
            |s| &mut s.placement,
            Some(Placement {
                version,
                snapshot_at: capture_at,
            }),
        );

        // The full replay: every event from the first, a page at a time.
        self.put(
            |s| &mut s.full,
            Side {
                running: true,
                progress: Some((0, version)),
                from: "the first event (no snapshot)".into(),
                ..Side::default()
            },
        );
        self.put(
            |s| &mut s.snap,
            Side {
                running: true,
                from: "waiting for the full replay".into(),
                ..Side::default()
            },
        );
        let mut replay = AnyReplay::new(
            kind,
            id,
            start_after,
            history.as_ref().map(|h| h.events),
            capture_at,
        );
        let mut spent = 0.0;
        loop {
            let t0 = now_ms();
            let done = replay
                .next_page(engine.store())
                .await
                .map_err(|e| crate::lab::said(&e))?;
            spent += now_ms() - t0;
            let folded = replay.folded();
            self.update_of(|s| &mut s.full, |s| s.progress = Some((folded, version)));
            if done {
                break;
            }
            pause(0).await;
        }
        let full_json = replay.json();
        self.put(
            |s| &mut s.full,
            Side {
                ms: Some(spent),
                folded: Some(replay.folded()),
                from: "the first event (no snapshot)".into(),
                state: full_json.clone(),
                note: Some(format!(
                    "Read {} of {} log in pages of {}, decoded and folded the {} of this stream.",
                    events(replay.read()),
                    if history.is_some() {
                        "the long histories'"
                    } else {
                        "the lab's"
                    },
                    group(PAGE as u64),
                    group(replay.folded())
                )),
                ..Side::default()
            },
        );

        // The snapshot at the latest multiple of the interval.
        let mut notes = Vec::new();
        let stored = engine.store().load_snapshot(&stream).await.ok().flatten();
        match (every, replay.captured()) {
            (None, _) => notes.push("Snapshots are off: a load folds every event.".to_string()),
            (Some(n), None) => notes.push(format!(
                "The stream is at version {}: no multiple of {} reached yet, so no snapshot was taken now.",
                group(version),
                group(n.get())
            )),
            (Some(_), Some(snapshot)) => {
                if stored.as_ref().map(|s| s.version) != Some(snapshot.version) {
                    engine
                        .store()
                        .save_snapshot(snapshot)
                        .await
                        .map_err(|e| format!("The snapshot could not be written: {e}"))?;
                    notes.push(format!(
                        "Took a snapshot at version {} (the latest multiple of the interval): {} bytes of JSON.",
                        group(snapshot.version),
                        snapshot.state.len()
                    ));
                }
            }
        }

        // The load from the latest snapshot and the events after it (the engine's load path).
        let snapshot_now = engine.store().load_snapshot(&stream).await.ok().flatten();
        if every.is_none() || (snapshot_now.is_none() && version > ONE_READ_LIMIT) {
            self.put(
                |s| &mut s.placement,
                Some(Placement {
                    version,
                    snapshot_at: None,
                }),
            );
            self.put(
                |s| &mut s.snap,
                Side {
                    from: "no snapshot".into(),
                    note: Some(if every.is_none() {
                        "Snapshots are off, so a load is the full replay on the right.".into()
                    } else {
                        "There is no snapshot yet, so a load would be the full replay on the right."
                            .into()
                    }),
                    ..Side::default()
                },
            );
            self.put(|s| &mut s.run_note, Some(notes.join(" ")));
            return Ok(());
        }
        let t0 = now_ms();
        let loaded = match kind {
            Kind::Customer => engine
                .load_with_report::<CustomerDecider>(id)
                .await
                .map(|(state, report)| (Folded::Customer(state), report)),
            Kind::Order => engine
                .load_with_report::<OrderDecider>(id)
                .await
                .map(|(state, report)| (Folded::Order(state), report)),
        };
        let (state, report) = loaded.map_err(|e| crate::lab::said(&e))?;
        let ms = now_ms() - t0;
        // Where the snapshot the load started from sits (none, if the load did not trust it).
        self.put(
            |s| &mut s.placement,
            Some(Placement {
                version,
                snapshot_at: report.snapshot_version,
            }),
        );
        let snap_json = state.json();
        let from = match report.snapshot_version {
            Some(v) => format!(
                "the snapshot at version {} (event #{})",
                group(v),
                group(snapshot_now.as_ref().map_or(0, |s| s.event_id))
            ),
            None => "the first event (no snapshot to start from)".into(),
        };
        let mut note = format!(
            "The engine's load read {} and the {} after it, and folded them.",
            if report.snapshot_version.is_some() {
                "the snapshot"
            } else {
                "no snapshot"
            },
            events(report.events_folded as u64)
        );
        if let Some(skipped) = &report.skipped {
            note = format!(
                "The stored snapshot was not used ({}), so the load folded every event.",
                match skipped {
                    SnapshotSkipped::Untrusted(why) => why.to_string(),
                    SnapshotSkipped::Corrupt(why) => why.clone(),
                    SnapshotSkipped::Detached { .. } =>
                        "its event is no longer at its version".into(),
                    SnapshotSkipped::AfterPoint { .. } =>
                        "it lies after the point asked for".into(),
                }
            );
        }

        // Show the tail folded event by event, starting from the snapshot's state.
        let start = match (&snapshot_now, report.snapshot_version) {
            (Some(s), Some(_)) => Folded::from_snapshot(kind, s),
            _ => Some(Folded::initial(kind)),
        };
        let after_version = report.snapshot_version.unwrap_or(0);
        self.put(
            |s| &mut s.snap,
            Side {
                running: true,
                ms: Some(ms),
                folded: Some(report.events_folded as u64),
                from: from.clone(),
                note: Some(note.clone()),
                state: start.as_ref().map(Folded::json).unwrap_or_default(),
                ..Side::default()
            },
        );
        if let Some(mut shown) = start {
            let tail = engine
                .store()
                .read_stream(&stream, after_version)
                .await
                .map_err(|e| crate::lab::said(&e))?;
            let per_frame = tail.len().div_ceil(60).max(1);
            for (i, envelope) in tail.iter().enumerate() {
                shown = shown.evolve(envelope).map_err(|e| crate::lab::said(&e))?;
                if (i + 1) % per_frame == 0 || i + 1 == tail.len() {
                    let label = format!(
                        "#{} v{} {} {}",
                        group(envelope.event_id),
                        group(envelope.version),
                        envelope.event_type,
                        envelope.event_data
                    );
                    let state = shown.json();
                    self.update_of(
                        |s| &mut s.snap,
                        |s| {
                            s.current = Some(label);
                            s.progress = Some(((i + 1) as u64, tail.len() as u64));
                            s.state = state;
                        },
                    );
                    pause(if tail.len() <= 60 { 120 } else { 50 }).await;
                }
            }
        }
        self.put(
            |s| &mut s.snap,
            Side {
                ms: Some(ms),
                folded: Some(report.events_folded as u64),
                from,
                state: snap_json.clone(),
                note: Some(note),
                ..Side::default()
            },
        );
        notes.push(if snap_json == full_json {
            "Both folds reached the same state: the snapshot only changed how many events were read.".into()
        } else {
            "The two folds disagree: the snapshot does not match the events.".into()
        });
        self.put(|s| &mut s.run_note, Some(notes.join(" ")));
        Ok(())
    }
}

/// Which aggregate a fold is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A Customer.
    Customer,
    /// An Order.
    Order,
}

impl Kind {
    fn entity_type(self) -> &'static str {
        match self {
            Kind::Customer => CustomerEvent::ENTITY_TYPE,
            Kind::Order => OrderEvent::ENTITY_TYPE,
        }
    }
}

/// Either aggregate's state, so the view's flow is written once for both.
enum Folded {
    Customer(CustomerState),
    Order(OrderState),
}

impl Folded {
    fn initial(kind: Kind) -> Folded {
        match kind {
            Kind::Customer => Folded::Customer(CustomerDecider::initial_state()),
            Kind::Order => Folded::Order(OrderDecider::initial_state()),
        }
    }

    fn from_snapshot(kind: Kind, snapshot: &Snapshot) -> Option<Folded> {
        match kind {
            Kind::Customer => CustomerDecider::decode_state(snapshot.state_schema, &snapshot.state)
                .ok()
                .map(Folded::Customer),
            Kind::Order => OrderDecider::decode_state(snapshot.state_schema, &snapshot.state)
                .ok()
                .map(Folded::Order),
        }
    }

    /// Folds one stored event in through the engine's load path; an event that cannot be read
    /// stops the fold with an error, as it stops every load.
    fn evolve(self, e: &EventEnvelope) -> Result<Folded, EngineError> {
        let one = std::slice::from_ref(e);
        Ok(match self {
            Folded::Customer(state) => {
                Folded::Customer(fold_stored::<CustomerDecider>(state, one)?)
            }
            Folded::Order(state) => Folded::Order(fold_stored::<OrderDecider>(state, one)?),
        })
    }

    fn json(&self) -> String {
        let json = match self {
            Folded::Customer(state) => foldlab_lab::json::to_pretty(state),
            Folded::Order(state) => foldlab_lab::json::to_pretty(state),
        };
        json.unwrap_or_else(|e| format!("(cannot show: {e})"))
    }
}

/// A full replay of either aggregate.
enum AnyReplay {
    Customer(Replay<CustomerDecider>),
    Order(Replay<OrderDecider>),
}

impl AnyReplay {
    fn new(
        kind: Kind,
        id: &str,
        after: u64,
        until: Option<u64>,
        capture: Option<u64>,
    ) -> AnyReplay {
        match kind {
            Kind::Customer => AnyReplay::Customer(Replay::new(id, after, until, capture)),
            Kind::Order => AnyReplay::Order(Replay::new(id, after, until, capture)),
        }
    }

    async fn next_page(&mut self, store: &super::LabStore) -> Result<bool, EngineError> {
        match self {
            AnyReplay::Customer(r) => r.next_page(store, PAGE).await,
            AnyReplay::Order(r) => r.next_page(store, PAGE).await,
        }
    }

    fn folded(&self) -> u64 {
        match self {
            AnyReplay::Customer(r) => r.folded as u64,
            AnyReplay::Order(r) => r.folded as u64,
        }
    }

    fn read(&self) -> u64 {
        match self {
            AnyReplay::Customer(r) => r.read as u64,
            AnyReplay::Order(r) => r.read as u64,
        }
    }

    fn captured(&self) -> Option<&Snapshot> {
        match self {
            AnyReplay::Customer(r) => r.captured(),
            AnyReplay::Order(r) => r.captured(),
        }
    }

    fn json(&self) -> String {
        match self {
            AnyReplay::Customer(r) => Folded::Customer(r.state.clone()).json(),
            AnyReplay::Order(r) => Folded::Order(r.state.clone()).json(),
        }
    }
}

/// `performance.now()`: milliseconds with sub-millisecond precision.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Waits `ms` milliseconds, letting the browser render meanwhile.
pub async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// `1 event`, `5,000 events`.
pub fn events(n: u64) -> String {
    format!("{} event{}", group(n), if n == 1 { "" } else { "s" })
}

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
