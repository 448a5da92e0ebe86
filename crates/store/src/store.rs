//! The one narrow trait every backend implements, and the values it speaks in.

use crate::notify::Listener;
pub use crate::stream::StreamId;
use foldlab_domain::{same_shape, EventEnvelope, NewEvent, PartChange};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What the writer believes the stream's version is: optimistic concurrency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// Append whatever the version.
    Any,
    /// The stream must not exist yet (version 0).
    NoStream,
    /// The stream's last event must have exactly this version.
    Exact(u64),
    /// The stream's last event must have exactly `version`, in the store's `generation`: the
    /// writer kept the state it decides on from an earlier command instead of reading it again,
    /// so the store must also still be the one it was kept from (not cleared or replaced since).
    /// A backend without generations ([`EventStore::generation`] is `None`) refuses it.
    Kept {
        /// The version the kept state is at.
        version: u64,
        /// The store's generation when the state was read.
        generation: Generation,
    },
}

/// A store's generation: a fresh value each time the store is cleared (a reset, an import, a
/// salvage), so the same stream version in two generations is never taken for the same state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Generation(pub u64);

impl ExpectedVersion {
    /// What a writer that read the stream at `version` expects (0: no stream yet). Every append
    /// that follows a read states its expectation through this one function.
    pub fn after(version: u64) -> Self {
        if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        }
    }

    /// Whether a stream currently at `actual`, in a store now at `generation` (`None` for a
    /// backend without generations), satisfies the expectation.
    pub fn admits(self, actual: u64, generation: Option<Generation>) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual == 0,
            ExpectedVersion::Exact(v) => actual == v,
            ExpectedVersion::Kept {
                version,
                generation: kept,
            } => actual == version && generation == Some(kept),
        }
    }

    /// The version the writer states, if it states one.
    pub fn version(self) -> Option<u64> {
        match self {
            ExpectedVersion::Any => None,
            ExpectedVersion::NoStream => Some(0),
            ExpectedVersion::Exact(v) | ExpectedVersion::Kept { version: v, .. } => Some(v),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any version"),
            ExpectedVersion::NoStream => f.write_str("no stream yet"),
            ExpectedVersion::Exact(v) | ExpectedVersion::Kept { version: v, .. } => {
                write!(f, "version {v}")
            }
        }
    }
}

/// A subscriber's progress through the log: the highest `event_id` it has handled, and for a
/// projection the view it has built so far (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The subscriber's name.
    pub subscriber: String,
    /// The highest `event_id` handled.
    pub position: u64,
    /// The subscriber's own state as JSON (`null` for a stateless service).
    pub state: String,
}

/// A view saved in parts, as its projector last saved it: the store gave that save `stamp`, which
/// no other save carries (another tab's, an import's, a reset's). A projector that kept the view
/// asks [`EventStore::holds_view`] with it instead of reading the view back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewMark {
    /// The projection's name (its checkpoint's subscriber).
    pub subscriber: String,
    /// The checkpoint's position.
    pub position: u64,
    /// What the store stamped that save with.
    pub stamp: String,
}

/// A projection's view saved in parts with its checkpoint (see `foldlab_domain::parts`): the head
/// and the documents that changed, written together with the position, all or nothing.
#[derive(Clone, Copy, Debug)]
pub struct ViewSave<'a> {
    /// The projection's name.
    pub subscriber: &'a str,
    /// The checkpoint's position: the highest `event_id` the view has applied.
    pub position: u64,
    /// The view's JSON with each document map empty.
    pub head: &'a str,
    /// The documents to write, or to remove (`json: None`).
    pub parts: &'a [PartChange],
    /// What the save may replace, and so whether `parts` are changes or every document.
    pub replacing: Replacing<'a>,
}

/// What a [`ViewSave`] may replace. Whatever it says, a save that may not go ahead writes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replacing<'a> {
    /// Exactly this save: `parts` are the documents changed since it. Refused when the store holds
    /// another save (or one whose head keeps a map another way, see `foldlab_domain::same_shape`).
    Save(&'a ViewMark),
    /// A save of this view at the same position or an earlier one, or none: `parts` are every
    /// document. Refused when the store holds the view further on (another tab saved it
    /// meanwhile), so a view is never set back behind someone else's newer save.
    NotFurther,
    /// Whatever is saved: `parts` are every document. Only for a view that starts again (a
    /// rebuild), which is set back on purpose.
    Anything,
}

/// What the store holds of a view when a [`ViewSave`] comes: its position, its head (its JSON
/// with each document map empty; the whole view when saved whole) and its save's stamp (none for a
/// view saved whole).
#[derive(Clone, Copy, Debug)]
pub struct HeldView<'a> {
    /// Its checkpoint's position.
    pub position: u64,
    /// Its head, or the whole view.
    pub head: &'a str,
    /// Its save's stamp, for a view saved in parts.
    pub stamp: Option<&'a str>,
}

impl ViewSave<'_> {
    /// Whether this save may go ahead over `held`, what the store holds of its view (if anything).
    pub fn may_replace(&self, held: Option<HeldView<'_>>) -> bool {
        match (self.replacing, held) {
            (Replacing::Save(base), Some(held)) => {
                held.position == base.position
                    && held.stamp == Some(base.stamp.as_str())
                    && same_shape(held.head, self.head)
            }
            (Replacing::Save(_), None) => false,
            (Replacing::NotFurther, Some(held)) => held.position <= self.position,
            (Replacing::NotFurther, None) | (Replacing::Anything, _) => true,
        }
    }
}

/// A snapshot of one aggregate's state (seed 000, figure 5): the fold of its stream up to `version`,
/// so that a load reads only the events after it. A cache, never a fact: the engine checks it
/// before trusting it and rebuilds it when it cannot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The aggregate type: `Order` or `Customer`.
    pub entity_type: String,
    /// The aggregate's id.
    pub entity_id: String,
    /// The stream version the state folds up to: its last event's version.
    pub version: u64,
    /// The global `event_id` of that last event, so a temporal query can tell whether the snapshot
    /// lies at or before its point, and a load can check the event is still where it was.
    pub event_id: u64,
    /// The schema version of the state's JSON (the aggregate's `Snapshotting::STATE_SCHEMA`).
    pub state_schema: u32,
    /// The state as JSON.
    pub state: String,
    /// The highest `causation_id` among the stream's events up to `version` (0 if none): the last
    /// event whose handling changed this aggregate, so a service recognises a redelivery after a
    /// crash without reading the stream from its first event. Absent from snapshots written before
    /// Foldlab kept it; a load then reads the stream to find it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caused_through: Option<u64>,
}

impl Snapshot {
    /// The stream the snapshot belongs to.
    pub fn stream(&self) -> StreamId {
        StreamId::new(&self.entity_type, &self.entity_id)
    }
}

/// Which storage holds the lab's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backend {
    /// In memory: gone on reload (tests, or when the browser offers no storage at all).
    Memory,
    /// The browser's IndexedDB: the default.
    IndexedDb,
    /// The browser's localStorage: the fallback when IndexedDB cannot be opened.
    LocalStorage,
}

impl Backend {
    /// A short name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::IndexedDb => "IndexedDB",
            Backend::LocalStorage => "localStorage",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why the store could not do what was asked. A value, never a panic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The stream's version was not the expected one: someone else appended first.
    Conflict {
        /// The stream.
        stream: StreamId,
        /// What the writer expected.
        expected: ExpectedVersion,
        /// What the stream's version was.
        actual: u64,
    },
    /// The browser refused to store more (quota exceeded).
    QuotaExceeded(String),
    /// The storage cannot be opened or used.
    Unavailable(String),
    /// A stored record cannot be read back.
    Corrupt(String),
    /// A crash switched on through the fault wrapper ([`crate::Faults`]): `subscriber` stopped
    /// after its effect, before saving its checkpoint. Nothing of the checkpoint was written.
    Crashed {
        /// The subscriber's name.
        subscriber: String,
    },
}

/// One lost race for an aggregate: an append refused by optimistic concurrency because someone
/// else appended to the stream first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The aggregate's stream.
    pub stream: StreamId,
    /// The version the writer had loaded and expected.
    pub expected: ExpectedVersion,
    /// The version the stream was at: someone else appended in between.
    pub actual: u64,
}

impl Conflict {
    /// The race `error` says was lost, if it says so: a conflict whose stream moved on. A kept
    /// state refused only because the store was reset since ([`ExpectedVersion::Kept`]; the
    /// stream is at the version stated) lost no race.
    pub fn lost(error: &StoreError) -> Option<Conflict> {
        match error {
            StoreError::Conflict {
                stream,
                expected,
                actual,
            } if expected.version() != Some(*actual) => Some(Conflict {
                stream: stream.clone(),
                expected: *expected,
                actual: *actual,
            }),
            _ => None,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Conflict { stream, expected, actual } => write!(
                f,
                "Concurrency conflict on {stream}: expected {expected}, but it is at version {actual}. Someone else wrote first; nothing was stored."
            ),
            StoreError::QuotaExceeded(detail) => {
                write!(f, "The browser's storage is full; nothing was stored ({detail}).")
            }
            StoreError::Unavailable(detail) => write!(f, "The storage cannot be used: {detail}"),
            StoreError::Corrupt(detail) => write!(f, "A stored record cannot be read: {detail}."),
            StoreError::Crashed { subscriber } => write!(
                f,
                "{subscriber} stopped after its effect, before saving its checkpoint (a crash switched on)."
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// An event store: a database (append and read by stream) and a message broker (read everything
/// after a position, and be told when new events exist).
///
/// Futures are not `Send`: in the browser every backend lives on the one JS thread.
#[allow(async_fn_in_trait)]
pub trait EventStore {
    /// Which storage this is.
    fn backend(&self) -> Backend;

    /// Atomically appends `events` to one stream if its version admits `expected`: all of them get
    /// consecutive versions and global `event_id`s, or none is stored. Returns the stored envelopes.
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError>;

    /// The store's generation as this handle last saw it, for a backend that keeps one (`None`
    /// otherwise, and before the handle has seen it): what a writer keeping state between
    /// commands states with [`ExpectedVersion::Kept`].
    fn generation(&self) -> Option<Generation> {
        None
    }

    /// The stream's events with a version greater than `after_version`, in version order.
    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError>;

    /// Up to `limit` events of all streams with an `event_id` greater than `after_position`, in order.
    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError>;

    /// The highest `event_id` stored (0 when empty).
    async fn head(&self) -> Result<u64, StoreError>;

    /// A subscriber's checkpoint, if it saved one.
    async fn load_checkpoint(&self, subscriber: &str) -> Result<Option<Checkpoint>, StoreError>;

    /// Only the position of a subscriber's checkpoint, if it saved one: what a lag or the next
    /// delivery needs, without reading a projection's saved view. A record that cannot be read
    /// back is [`StoreError::Corrupt`], as for [`EventStore::load_checkpoint`].
    async fn load_position(&self, subscriber: &str) -> Result<Option<u64>, StoreError> {
        Ok(self
            .load_checkpoint(subscriber)
            .await?
            .map(|checkpoint| checkpoint.position))
    }

    /// Whether the store holds exactly `checkpoint` for its subscriber: the same position and the
    /// same saved state. A projector that kept the view it last saved or loaded asks this instead
    /// of reading and decoding the view again; any other writer (another tab, a reset, an import)
    /// leaves a different record, or none, and the answer is no.
    async fn holds_checkpoint(&self, checkpoint: &Checkpoint) -> Result<bool, StoreError> {
        Ok(self
            .load_checkpoint(&checkpoint.subscriber)
            .await?
            .is_some_and(|stored| stored == *checkpoint))
    }

    /// Saves (replaces) a subscriber's checkpoint.
    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError>;

    /// Whether [`EventStore::save_view`] saves views in parts here. A store that does not keeps
    /// each view whole, saved through [`EventStore::save_checkpoint`].
    fn saves_views_in_parts(&self) -> bool {
        false
    }

    /// Saves a projection's view in parts with its checkpoint's position, in one write: the head,
    /// and each document in `parts`. Only when [`ViewSave::may_replace`] what the store holds of
    /// that view, read in the same transaction; otherwise nothing is written and the answer is
    /// `None`. Returns the new save's mark. [`EventStore::load_checkpoint`] reads the view back
    /// whole.
    async fn save_view(&self, save: &ViewSave<'_>) -> Result<Option<ViewMark>, StoreError> {
        let _ = save;
        Err(StoreError::Unavailable(
            "this store keeps every view whole".into(),
        ))
    }

    /// A subscriber's checkpoint, with the mark of its save when its view was saved in parts (in
    /// the same read, so the two belong together).
    async fn load_view(
        &self,
        subscriber: &str,
    ) -> Result<Option<(Checkpoint, Option<ViewMark>)>, StoreError> {
        Ok(self
            .load_checkpoint(subscriber)
            .await?
            .map(|checkpoint| (checkpoint, None)))
    }

    /// Whether the store holds exactly the view save `mark` names: no save, reset or import has
    /// happened to that checkpoint since.
    async fn holds_view(&self, mark: &ViewMark) -> Result<bool, StoreError> {
        let _ = mark;
        Ok(false)
    }

    /// Saves (replaces) the snapshot of `snapshot`'s stream. Each stream keeps only its latest one.
    ///
    /// The default keeps nothing, which is always correct (a snapshot is only a shortcut, and a
    /// load without one folds every event); every backend of the lab overrides it.
    async fn save_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let _ = snapshot;
        Ok(())
    }

    /// The stream's latest snapshot, if one was saved. A record that cannot be read back is
    /// [`StoreError::Corrupt`].
    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        let _ = stream;
        Ok(None)
    }

    /// Deletes every event, checkpoint and snapshot ("Reset lab").
    async fn clear(&self) -> Result<(), StoreError>;

    /// Calls `listener` with the new head after each successful append through this handle, and,
    /// for the browser stores, after each append another handle on the same storage (another tab)
    /// tells this one of.
    fn subscribe(&self, listener: Listener);
}

/// Numbers a batch appended to `stream`, whose last version is `version`, in a log whose highest
/// `event_id` is `head`: consecutive global ids and consecutive versions, as every backend stores
/// them.
pub(crate) fn number_batch(
    stream: &StreamId,
    head: u64,
    version: u64,
    events: Vec<NewEvent>,
) -> Vec<EventEnvelope> {
    events
        .into_iter()
        .zip(1u64..)
        .map(|(e, i)| EventEnvelope {
            event_id: head + i,
            entity_type: stream.entity_type.clone(),
            entity_id: stream.entity_id.clone(),
            version: version + i,
            event_type: e.event_type,
            schema_version: e.schema_version,
            event_data: e.event_data,
            recorded_at: e.recorded_at,
            metadata: e.metadata,
        })
        .collect()
}
