//! Runs a projection against an event store: the query side's moving part. A projector keeps its
//! projection's checkpoint in the store under the projection's name — the position and the view as
//! JSON, saved together, so a view is always exactly the fold of the events up to its position —
//! and applies the events after it: one ([`Projector::step`]), all of them in pages
//! ([`Projector::catch_up`]), or all of them again from nothing ([`Projector::rebuild`]). A
//! projection registered after events were stored has no checkpoint yet, so it starts at position
//! 0 and catches up from the whole history.
//!
//! The seed calls the distance between the command side and a view its "lag", and a projector
//! measures it at any moment ([`Projector::lag`]); pausing or slowing a projector makes it grow, and
//! [`Projector::wait_until_applied`] is how a client reads its own writes despite it.
//!
//! Pausing and the delay are settings of this handle, not of the store: they last as long as the
//! page does. The projector itself never sleeps, so natively everything stays synchronous and
//! deterministic; the app reads [`Projector::delay_ms`] and waits between steps.

use foldlab_domain::{project, ApplyOutcome, EventEnvelope, InParts, Projection, UnreadableEvent};
use foldlab_store::{Checkpoint, EventStore, Replacing, StoreError, ViewMark, ViewSave};
use futures::lock::Mutex;
use std::cell::{Cell, RefCell};
use std::fmt;

/// How many events a projector reads, applies and checkpoints at a time while catching up.
pub const PAGE: usize = 256;

/// A view and the position it was folded up to, as saved in its checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Projected<S> {
    /// The highest `event_id` the view has applied or skipped past (0 before any).
    pub position: u64,
    /// The view.
    pub state: S,
}

/// How far a view is behind the event store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lag {
    /// The view's checkpoint.
    pub position: u64,
    /// The highest `event_id` stored.
    pub head: u64,
    /// `head - position`: events stored that the view has not applied.
    pub events_behind: u64,
    /// When the first event the view has not applied yet was stored (its `recorded_at`, in
    /// milliseconds since the epoch): the view has been stale since then. `None` when caught up.
    pub stale_since: Option<i64>,
}

impl Lag {
    /// How long the view has been stale at `now_ms` (same clock as `recorded_at`): since the first
    /// event it has not applied was stored until now, in milliseconds; 0 when caught up. The caller
    /// supplies the clock, so the engine keeps none.
    pub fn stale_ms(&self, now_ms: i64) -> i64 {
        self.stale_since
            .map_or(0, |since| now_ms.saturating_sub(since).max(0))
    }
}

/// What a UI lists about one projection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectionStatus {
    /// The name its checkpoint is saved under.
    pub name: String,
    /// A name for people.
    pub label: String,
    /// How far behind it is.
    pub lag: Lag,
    /// Whether it is paused.
    pub paused: bool,
    /// How long the app waits before each of its steps, in milliseconds.
    pub delay_ms: u32,
}

/// What one step did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The next event was applied.
    Applied {
        /// Which event.
        event_id: u64,
        /// What it did to the view.
        outcome: ApplyOutcome,
    },
    /// There was no event after the checkpoint.
    UpToDate,
    /// The projector is paused: nothing was applied.
    Paused,
}

/// What catching up (or rebuilding) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatchUp {
    /// How many events were applied.
    pub applied: usize,
    /// The checkpoint afterwards.
    pub position: u64,
    /// Whether the projector was paused, and so applied nothing.
    pub paused: bool,
}

/// Why a projector could not do what was asked. A value, never a panic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectorError {
    /// The projector is paused, so an event it was asked to apply was not applied.
    Paused {
        /// The projection, for people.
        projection: String,
        /// Its checkpoint.
        position: u64,
        /// The position it was asked to reach.
        waiting_for: u64,
    },
    /// A wait for a position that no stored event has reached yet: it could only hang.
    NotStoredYet {
        /// The position asked for.
        position: u64,
        /// The highest `event_id` stored.
        head: u64,
    },
    /// No projection has this name.
    UnknownProjection(String),
    /// A stored event cannot be read; the checkpoint stays before it.
    Unreadable(UnreadableEvent),
    /// The view saved in the checkpoint cannot be read back.
    CorruptState {
        /// The projection, for people.
        projection: String,
        /// What the JSON reader said.
        message: String,
    },
    /// The storage failed.
    Store(StoreError),
}

impl fmt::Display for ProjectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProjectorError::Paused { projection, position, waiting_for } => write!(
                f,
                "{projection} is paused at #{position}, so it will not reach #{waiting_for} until it is resumed."
            ),
            ProjectorError::NotStoredYet { position, head } => write!(
                f,
                "No event #{position} is stored yet (the newest is #{head}), so no view can have applied it."
            ),
            ProjectorError::UnknownProjection(name) => write!(f, "There is no projection \u{201c}{name}\u{201d}."),
            ProjectorError::Unreadable(unreadable) => write!(f, "{unreadable}"),
            ProjectorError::CorruptState { projection, message } => write!(
                f,
                "The saved {projection} cannot be read ({message}); rebuild it from the events."
            ),
            ProjectorError::Store(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for ProjectorError {}

impl From<StoreError> for ProjectorError {
    fn from(error: StoreError) -> Self {
        ProjectorError::Store(error)
    }
}

/// The settings of a projector that need no store: what a UI switches by name.
pub trait ProjectorControl {
    /// The name its checkpoint is saved under.
    fn name(&self) -> &str;
    /// A name for people.
    fn label(&self) -> &str;
    /// Stops applying events until [`ProjectorControl::resume`].
    fn pause(&self);
    /// Applies events again.
    fn resume(&self);
    /// Whether it is paused.
    fn is_paused(&self) -> bool;
    /// How long the app should wait before each step, in milliseconds.
    fn set_delay_ms(&self, delay_ms: u32);
    /// The delay the app honours.
    fn delay_ms(&self) -> u32;
}

/// Runs one projection against whatever store it is handed.
#[derive(Debug)]
pub struct Projector<P: Projection> {
    projection: P,
    paused: Cell<bool>,
    delay_ms: Cell<u32>,
    /// The checkpoint this projector last saved or read, with its view decoded: used again only
    /// while the store still holds exactly that checkpoint, so a long view is not decoded again
    /// after every event (see [`Projector::load`]).
    kept: RefCell<Option<(Saved, P::State)>>,
    /// One operation on the view at a time: a read of the view while a catch-up is saving it would
    /// otherwise read it from the store again, and two saves from the same view would find each
    /// other's save in the way and write the whole view.
    turn: Mutex<()>,
}

/// What the store holds of a view, as this projector last saved or read it.
#[derive(Clone, Debug, PartialEq)]
enum Saved {
    /// A checkpoint saved whole.
    Whole(Checkpoint),
    /// A view saved in parts, by its save's mark.
    Parts(ViewMark),
}

/// Which save of a view a copy was read from ([`Projector::load_changed`]). Every save is told
/// apart: one in parts by the stamp the store gave it, one saved whole by all it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewVersion(Saved);

impl Saved {
    fn position(&self) -> u64 {
        match self {
            Saved::Whole(checkpoint) => checkpoint.position,
            Saved::Parts(mark) => mark.position,
        }
    }

    /// Whether the store still holds exactly this save.
    async fn held_by<S: EventStore>(&self, store: &S) -> Result<bool, StoreError> {
        match self {
            Saved::Whole(checkpoint) => store.holds_checkpoint(checkpoint).await,
            Saved::Parts(mark) => store.holds_view(mark).await,
        }
    }
}

impl<P: Projection> Projector<P> {
    /// A running projector with no delay.
    pub fn new(projection: P) -> Self {
        Self {
            projection,
            paused: Cell::new(false),
            delay_ms: Cell::new(0),
            kept: RefCell::new(None),
            turn: Mutex::new(()),
        }
    }

    /// The projection it runs.
    pub fn projection(&self) -> &P {
        &self.projection
    }

    /// The view and its position as saved; the initial view at position 0 before the first save.
    pub async fn load<S: EventStore>(
        &self,
        store: &S,
    ) -> Result<Projected<P::State>, ProjectorError> {
        let _turn = self.turn.lock().await;
        let (position, state, saved) = self.take_view(store).await?;
        let copy = state.clone();
        self.keep(saved, state);
        Ok(Projected {
            position,
            state: copy,
        })
    }

    /// Reads the view the store holds and keeps it, copying nothing: a view that cannot be read
    /// is found now rather than at its next event.
    pub async fn read_back<S: EventStore>(&self, store: &S) -> Result<(), ProjectorError> {
        let _turn = self.turn.lock().await;
        let (_, state, saved) = self.take_view(store).await?;
        self.keep(saved, state);
        Ok(())
    }

    /// As [`Projector::load`], with the save the view was read from; but `None` when that save is
    /// `seen`, the one a caller read its copy from: the copy is then the view, and a long view is
    /// neither copied nor dropped again (the lab reads the view after every command, and most
    /// commands leave it as it was until its projector runs).
    pub async fn load_changed<S: EventStore>(
        &self,
        store: &S,
        seen: Option<&ViewVersion>,
    ) -> Result<Option<(Option<ViewVersion>, Projected<P::State>)>, ProjectorError> {
        let _turn = self.turn.lock().await;
        let (position, state, saved) = self.take_view(store).await?;
        // Compared in place: a save kept whole holds the view's text, copied only when changed.
        let changed = match (&saved, seen) {
            (Some(saved), Some(ViewVersion(seen))) => saved != seen,
            _ => true,
        };
        let copy = changed.then(|| (saved.clone().map(ViewVersion), state.clone()));
        self.keep(saved, state);
        Ok(copy.map(|(version, state)| (version, Projected { position, state })))
    }

    /// The view's position, the view as saved, and what the store holds of it. The view kept from the
    /// last save or read is moved out (not copied) if the store still holds that very save
    /// (another tab, a reset or an import would have left another, or none); otherwise the view is
    /// read. Whoever takes it keeps it again after saving ([`Projector::keep`]).
    async fn take_view<S: EventStore>(
        &self,
        store: &S,
    ) -> Result<(u64, P::State, Option<Saved>), ProjectorError> {
        let kept = self.kept.borrow_mut().take();
        if let Some((saved, state)) = kept {
            if saved.held_by(store).await? {
                return Ok((saved.position(), state, Some(saved)));
            }
        }
        match store.load_view(self.projection.name()).await? {
            None => Ok((0, self.projection.initial_state(), None)),
            Some((checkpoint, mark)) => {
                let state: P::State = serde_json::from_str(&checkpoint.state).map_err(|e| {
                    ProjectorError::CorruptState {
                        projection: self.projection.label().to_string(),
                        message: e.to_string(),
                    }
                })?;
                let position = checkpoint.position;
                let saved = match mark {
                    Some(mark) => Saved::Parts(mark),
                    None => Saved::Whole(checkpoint),
                };
                Ok((position, state, Some(saved)))
            }
        }
    }

    /// Keeps `state` as the view the store holds as `saved`.
    fn keep(&self, saved: Option<Saved>, state: P::State) {
        if let Some(saved) = saved {
            self.kept.replace(Some((saved, state)));
        }
    }

    /// The view as the query side holds it now (it may lag the event store).
    pub async fn state<S: EventStore>(&self, store: &S) -> Result<P::State, ProjectorError> {
        Ok(self.load(store).await?.state)
    }

    /// The view's checkpoint (0 before its first event). The saved view is not parsed, so asking
    /// for the lag often (the app's runner does, wherever the learner is) stays cheap however large
    /// the view grows.
    pub async fn position<S: EventStore>(&self, store: &S) -> Result<u64, ProjectorError> {
        Ok(store
            .load_position(self.projection.name())
            .await?
            .unwrap_or(0))
    }

    /// Applies one event a broker hands over (the engine's delivery), then saves the checkpoint:
    /// a duplicate is discarded and saves nothing. A paused projector refuses it, so the broker
    /// keeps it for later.
    pub async fn deliver<S: EventStore>(
        &self,
        store: &S,
        event: &EventEnvelope,
    ) -> Result<ApplyOutcome, ProjectorError> {
        let _turn = self.turn.lock().await;
        let (position, mut state, saved) = self.take_view(store).await?;
        if self.is_paused() {
            self.keep(saved, state);
            return Err(self.paused_error(position, event.event_id));
        }
        // An event that cannot be read changes nothing, so the view is kept either way.
        let outcome = self.apply(&mut state, event);
        if matches!(outcome, Ok(ApplyOutcome::Updated | ApplyOutcome::Ignored)) {
            let saved = self
                .save(
                    store,
                    position.max(event.event_id),
                    &mut state,
                    saved.as_ref(),
                )
                .await?;
            self.keep(saved, state);
        } else {
            self.keep(saved, state);
        }
        outcome
    }

    /// Applies the next event after the checkpoint, if any and if not paused.
    pub async fn step<S: EventStore>(&self, store: &S) -> Result<Progress, ProjectorError> {
        if self.is_paused() {
            return Ok(Progress::Paused);
        }
        let _turn = self.turn.lock().await;
        let (position, mut state, saved) = self.take_view(store).await?;
        let Some(event) = store.read_all(position, 1).await?.into_iter().next() else {
            self.keep(saved, state);
            return Ok(Progress::UpToDate);
        };
        let outcome = match self.apply(&mut state, &event) {
            Ok(outcome) => outcome,
            Err(unreadable) => {
                self.keep(saved, state);
                return Err(unreadable);
            }
        };
        let saved = self
            .save(store, event.event_id, &mut state, saved.as_ref())
            .await?;
        self.keep(saved, state);
        Ok(Progress::Applied {
            event_id: event.event_id,
            outcome,
        })
    }

    /// Applies every event after the checkpoint, a page at a time, saving the checkpoint after each
    /// page. A paused projector applies nothing.
    pub async fn catch_up<S: EventStore>(&self, store: &S) -> Result<CatchUp, ProjectorError> {
        self.advance(store, u64::MAX).await
    }

    /// Drops the view and applies every event again from position 0, as a projection changed in
    /// code must be. A paused projector is left empty at position 0, to be stepped through.
    pub async fn rebuild<S: EventStore>(&self, store: &S) -> Result<CatchUp, ProjectorError> {
        {
            let _turn = self.turn.lock().await;
            self.kept.replace(None);
            let mut empty = self.projection.initial_state();
            let saved = self
                .save_replacing(store, 0, &mut empty, None, Replacing::Anything)
                .await?;
            self.keep(saved, empty);
        }
        self.advance(store, u64::MAX).await
    }

    /// Saves the view as the store holds it again, replacing what was saved: in parts where the
    /// store keeps views so. After an import, which saves each view whole, this writes the parts at
    /// once instead of at the first catch-up. Nothing happens before the view's first save.
    pub async fn resave<S: EventStore>(&self, store: &S) -> Result<(), ProjectorError> {
        let _turn = self.turn.lock().await;
        let (position, mut state, saved) = self.take_view(store).await?;
        if saved.is_none() {
            return Ok(());
        }
        let saved = self.save(store, position, &mut state, None).await?;
        self.keep(saved, state);
        Ok(())
    }

    /// How far the view is behind the event store now.
    pub async fn lag<S: EventStore>(&self, store: &S) -> Result<Lag, ProjectorError> {
        let head = store.head().await?;
        let position = self.position(store).await?;
        let events_behind = head.saturating_sub(position);
        if events_behind == 0 {
            return Ok(Lag {
                position,
                head,
                events_behind,
                stale_since: None,
            });
        }
        Ok(Lag {
            position,
            head,
            events_behind,
            stale_since: recorded_at(store, position + 1).await?,
        })
    }

    /// Its name, label, lag and settings, for a list of projections.
    pub async fn status<S: EventStore>(
        &self,
        store: &S,
    ) -> Result<ProjectionStatus, ProjectorError> {
        Ok(ProjectionStatus {
            name: self.projection.name().to_string(),
            label: self.projection.label().to_string(),
            lag: self.lag(store).await?,
            paused: self.is_paused(),
            delay_ms: self.delay_ms(),
        })
    }

    /// Read-your-writes: returns once the view has applied every event up to `position` (say, the
    /// last `event_id` a command stored), and the checkpoint it reached. Natively nothing else
    /// moves the view, so this drives it there itself, applying no further. It never hangs: a
    /// paused projector that has not reached the position is an error, and so is a position beyond
    /// the newest stored event.
    pub async fn wait_until_applied<S: EventStore>(
        &self,
        store: &S,
        position: u64,
    ) -> Result<u64, ProjectorError> {
        let reached = self.position(store).await?;
        if reached >= position {
            return Ok(reached);
        }
        let head = store.head().await?;
        if position > head {
            return Err(ProjectorError::NotStoredYet { position, head });
        }
        if self.is_paused() {
            return Err(self.paused_error(reached, position));
        }
        Ok(self.advance(store, position).await?.position)
    }

    /// The view as of `position`: the fold of exactly the events with `event_id <= position`, read
    /// from the store, whatever the checkpoint is. It is what the view would have held had it
    /// applied those events. What it *did* hold at some past moment, lag included, is this same
    /// fold as of its checkpoint at that moment: checkpoints are not kept as a history, so the
    /// caller supplies that position.
    pub async fn state_as_of<S: EventStore>(
        &self,
        store: &S,
        position: u64,
    ) -> Result<P::State, ProjectorError> {
        let mut state = self.projection.initial_state();
        let mut after = 0;
        while after < position {
            let page = store.read_all(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.event_id;
            state = project(
                &self.projection,
                state,
                page.iter().take_while(|e| e.event_id <= position),
            )
            .map_err(ProjectorError::Unreadable)?;
        }
        Ok(state)
    }

    /// Applies the events after the checkpoint up to `until`, a page at a time.
    async fn advance<S: EventStore>(
        &self,
        store: &S,
        until: u64,
    ) -> Result<CatchUp, ProjectorError> {
        let _turn = self.turn.lock().await;
        let (mut position, mut state, mut saved) = self.take_view(store).await?;
        let mut applied = 0;
        if self.is_paused() {
            self.keep(saved, state);
            return Ok(CatchUp {
                applied,
                position,
                paused: true,
            });
        }
        while position < until {
            let page = store.read_all(position, PAGE).await?;
            if page.is_empty() {
                break;
            }
            let before = position;
            for event in page.iter().take_while(|e| e.event_id <= until) {
                if let Err(unreadable) = self.apply(&mut state, event) {
                    // Keep what was applied, so the checkpoint stops right before the event.
                    if position > before {
                        saved = self
                            .save(store, position, &mut state, saved.as_ref())
                            .await?;
                    }
                    self.keep(saved, state);
                    return Err(unreadable);
                }
                position = event.event_id;
                applied += 1;
            }
            if position == before {
                break;
            }
            saved = self
                .save(store, position, &mut state, saved.as_ref())
                .await?;
            if saved.is_none() {
                // Another tab saved this view further on meanwhile: go on from its save.
                (position, state, saved) = self.take_view(store).await?;
            }
        }
        self.keep(saved, state);
        Ok(CatchUp {
            applied,
            position,
            paused: false,
        })
    }

    fn apply(
        &self,
        state: &mut P::State,
        event: &EventEnvelope,
    ) -> Result<ApplyOutcome, ProjectorError> {
        self.projection.apply(state, event).map_err(|error| {
            ProjectorError::Unreadable(UnreadableEvent {
                event_id: event.event_id,
                error,
            })
        })
    }

    /// Saves the view with its position: in parts where the store keeps views so (only the
    /// documents changed since `base`, while the store still holds `base`; every document
    /// otherwise), whole elsewhere. Returns what the store now holds, or `None` when it holds this
    /// view further on (another tab saved it meanwhile): then nothing was written, the view is not
    /// set back, and the caller takes the newer one. A store that keeps views whole
    /// (localStorage) is written without that check.
    async fn save<S: EventStore>(
        &self,
        store: &S,
        position: u64,
        view: &mut P::State,
        base: Option<&Saved>,
    ) -> Result<Option<Saved>, ProjectorError> {
        self.save_replacing(store, position, view, base, Replacing::NotFurther)
            .await
    }

    /// [`Projector::save`], with what a save of every document may replace: `Replacing::Anything`
    /// for a rebuild.
    async fn save_replacing<S: EventStore>(
        &self,
        store: &S,
        position: u64,
        view: &mut P::State,
        base: Option<&Saved>,
        whole: Replacing<'_>,
    ) -> Result<Option<Saved>, ProjectorError> {
        let subscriber = self.projection.name();
        if !store.saves_views_in_parts() {
            view.forget_changes();
            let state = serde_json::to_string(view).map_err(|e| ProjectorError::CorruptState {
                projection: self.projection.label().to_string(),
                message: e.to_string(),
            })?;
            let checkpoint = Checkpoint {
                subscriber: subscriber.to_string(),
                position,
                state,
            };
            store.save_checkpoint(&checkpoint).await?;
            return Ok(Some(Saved::Whole(checkpoint)));
        }
        let head = view.head();
        if let Some(Saved::Parts(mark)) = base {
            let parts = view.take_changes();
            let changed = ViewSave {
                subscriber,
                position,
                head: &head,
                parts: &parts,
                replacing: Replacing::Save(mark),
            };
            if let Some(mark) = store.save_view(&changed).await? {
                return Ok(Some(Saved::Parts(mark)));
            }
            // Someone else saved this view meanwhile: every document is saved, unless theirs is
            // further on.
        }
        let parts = view.take_all_parts();
        let every = ViewSave {
            subscriber,
            position,
            head: &head,
            parts: &parts,
            replacing: whole,
        };
        Ok(store.save_view(&every).await?.map(Saved::Parts))
    }

    /// Stops applying events until [`Projector::resume`].
    pub fn pause(&self) {
        self.paused.set(true);
    }

    /// Applies events again.
    pub fn resume(&self) {
        self.paused.set(false);
    }

    /// Whether it is paused.
    pub fn is_paused(&self) -> bool {
        self.paused.get()
    }

    /// Slows the projector down: how long the app should wait before each step, in milliseconds.
    pub fn set_delay_ms(&self, delay_ms: u32) {
        self.delay_ms.set(delay_ms);
    }

    /// The delay the app honours (0: none).
    pub fn delay_ms(&self) -> u32 {
        self.delay_ms.get()
    }

    fn paused_error(&self, position: u64, waiting_for: u64) -> ProjectorError {
        ProjectorError::Paused {
            projection: self.projection.label().to_string(),
            position,
            waiting_for,
        }
    }
}

impl<P: Projection> ProjectorControl for Projector<P> {
    fn name(&self) -> &str {
        self.projection.name()
    }

    fn label(&self) -> &str {
        self.projection.label()
    }

    fn pause(&self) {
        Projector::pause(self);
    }

    fn resume(&self) {
        Projector::resume(self);
    }

    fn is_paused(&self) -> bool {
        Projector::is_paused(self)
    }

    fn set_delay_ms(&self, delay_ms: u32) {
        Projector::set_delay_ms(self, delay_ms);
    }

    fn delay_ms(&self) -> u32 {
        Projector::delay_ms(self)
    }
}

/// The `recorded_at` of event `id`: reading after `id - 1` finds that event, or the first one
/// stored after it if `id` is a gap; from position 0, the first event stored.
async fn recorded_at<S: EventStore>(store: &S, id: u64) -> Result<Option<i64>, StoreError> {
    Ok(store
        .read_all(id.saturating_sub(1), 1)
        .await?
        .first()
        .map(|e| e.recorded_at))
}
