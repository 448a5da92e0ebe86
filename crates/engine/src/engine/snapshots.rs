//! The engine's load path (seed 000): an aggregate is the fold of its events, started from its
//! latest trusted snapshot when the snapshot policy for its type is on ("the snapshot is the
//! initial value of the fold", figure 5), and a temporal query is the same fold stopped at a global
//! event id. Every load says what it did in a [`LoadReport`].
//!
//! A snapshot is a cache, never a fact. Before the fold starts from one, the load checks that it was
//! written under the state schema this code folds, that it reads back, and that the event it folds
//! up to is still at its place in the stream; a snapshot failing any check is skipped (the fold
//! starts from the first event) and, on a current load, written again.

use super::{Engine, EngineError};
use foldlab_domain::codec::DomainEvent;
use foldlab_domain::{
    CustomerDecider, CustomerEvent, CustomerId, CustomerState, EventEnvelope, OrderDecider,
    OrderEvent, OrderId, OrderState, SnapshotRejection, Snapshotting,
};
use foldlab_store::{EventStore, Snapshot, StoreError, StreamId};
use serde::{Deserialize, Serialize};
use std::num::NonZeroU64;

/// What a load did: where the fold started and how much of the stream it had to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadReport {
    /// The aggregate's stream.
    pub stream: StreamId,
    /// For a temporal query, the global `event_id` the state is as of; `None` for the current state.
    pub as_of: Option<u64>,
    /// The stream version the state reflects (0 when no event was folded and no snapshot used).
    pub version: u64,
    /// The global `event_id` at that version (0 likewise).
    pub last_event_id: u64,
    /// The version of the snapshot the fold started from; `None` when it started from the
    /// aggregate's initial state.
    pub snapshot_version: Option<u64>,
    /// How many events were read, decoded and folded on top of the snapshot or initial state.
    pub events_folded: usize,
    /// Why a stored snapshot was found but not used.
    pub skipped: Option<SnapshotSkipped>,
    /// The version of the snapshot this load wrote in place of one it could not trust.
    pub rebuilt: Option<u64>,
    /// The highest `causation_id` among the events the state folds (0 if none), kept with the
    /// state so a service recognises a redelivery without reading the whole stream; `None` when
    /// the snapshot the load started from was written without it.
    pub caused_through: Option<u64>,
}

/// Why a load did not start from the stream's stored snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotSkipped {
    /// Written under another state schema, or its state does not read back.
    Untrusted(SnapshotRejection),
    /// The store could not read the snapshot record back.
    Corrupt(String),
    /// The event it folds up to is not at its version in the stream any more (the log was reset
    /// or rewritten underneath it).
    Detached {
        /// The version the snapshot claims.
        version: u64,
        /// The `event_id` it claims is at that version.
        event_id: u64,
    },
    /// It folds events after the point a temporal query asked for.
    AfterPoint {
        /// The `event_id` the snapshot folds up to.
        event_id: u64,
    },
}

impl SnapshotSkipped {
    /// Whether the snapshot is wrong in itself (rather than just too new for a temporal query),
    /// so a current load should write a correct one in its place.
    fn needs_rebuild(&self) -> bool {
        match self {
            SnapshotSkipped::Untrusted(_)
            | SnapshotSkipped::Corrupt(_)
            | SnapshotSkipped::Detached { .. } => true,
            SnapshotSkipped::AfterPoint { .. } => false,
        }
    }
}

/// What the stream's stored snapshot offers a load.
enum Found<State> {
    /// No snapshot is stored.
    Nothing,
    /// One is stored, but the fold may not start from it.
    Skipped(SnapshotSkipped),
    /// A trusted snapshot's state, with the stream's events after it in version order.
    Trusted {
        state: State,
        snapshot: Snapshot,
        tail: Vec<EventEnvelope>,
    },
}

/// The one decode-and-fold of stored events, which every load goes through: `state` with each
/// envelope decoded (older schemas upcast) and evolved in, in order. An event that cannot be
/// decoded is an error, never skipped: a fold without it would be a state the aggregate never had.
pub fn fold_stored<D: Snapshotting>(
    state: D::State,
    envelopes: &[EventEnvelope],
) -> Result<D::State, EngineError>
where
    D::Event: DomainEvent,
{
    // Decoded and evolved one at a time: a replay of a long stream a page at a time calls this for
    // every event, so nothing is collected on the way.
    envelopes.iter().try_fold(state, |state, e| {
        let event = D::Event::from_stored(&e.event_type, e.schema_version, &e.event_data).map_err(
            |error| EngineError::Decode {
                event_id: e.event_id,
                error,
            },
        )?;
        Ok(D::evolve(state, &event))
    })
}

/// The snapshot policy: a snapshot every N events of each aggregate type, or none for a type.
/// Written `{"Customer": 10, "Order": 2}`; a type left out keeps no snapshots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotPolicy {
    /// Every how many Customer events.
    #[serde(rename = "Customer", default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<NonZeroU64>,
    /// Every how many Order events.
    #[serde(rename = "Order", default, skip_serializing_if = "Option::is_none")]
    pub order: Option<NonZeroU64>,
}

impl SnapshotPolicy {
    /// No snapshots for any type.
    pub const OFF: SnapshotPolicy = SnapshotPolicy {
        customer: None,
        order: None,
    };

    /// The same interval (or none) for every type.
    pub fn every(interval: Option<NonZeroU64>) -> Self {
        SnapshotPolicy {
            customer: interval,
            order: interval,
        }
    }

    /// Whether no type keeps snapshots.
    pub fn is_off(&self) -> bool {
        self.customer.is_none() && self.order.is_none()
    }

    /// The interval of `entity_type` (`"Customer"`, `"Order"`), or `None` when it keeps none.
    pub fn interval(&self, entity_type: &str) -> Option<NonZeroU64> {
        match entity_type {
            CUSTOMER => self.customer,
            ORDER => self.order,
            _ => None,
        }
    }

    /// This policy with `entity_type`'s interval set to `interval`.
    pub fn with(mut self, entity_type: &str, interval: Option<NonZeroU64>) -> Self {
        match entity_type {
            CUSTOMER => self.customer = interval,
            ORDER => self.order = interval,
            _ => {}
        }
        self
    }
}

const CUSTOMER: &str = <CustomerEvent as DomainEvent>::ENTITY_TYPE;
const ORDER: &str = <OrderEvent as DomainEvent>::ENTITY_TYPE;

impl<S: EventStore> Engine<S> {
    /// Sets the snapshot policy: for each aggregate type, a snapshot is written after a command's
    /// append whenever the stream's version crosses a multiple of its interval, and loads start
    /// from the latest trusted snapshot; a type without an interval keeps none, and its loads fold
    /// every event. Takes effect with the next command or load.
    pub fn set_snapshot_policy(&self, policy: SnapshotPolicy) {
        self.snapshot_policy.set(policy);
    }

    /// The snapshot policy.
    pub fn snapshot_policy(&self) -> SnapshotPolicy {
        self.snapshot_policy.get()
    }

    /// Loads aggregate `D` with id `id` and reports how: from its latest trusted snapshot and the
    /// events after it when the policy for its type is on, from its first event otherwise. A
    /// snapshot that is not trusted is skipped, and written again at the current version.
    pub async fn load_with_report<D: Snapshotting>(
        &self,
        id: &str,
    ) -> Result<(D::State, LoadReport), EngineError>
    where
        D::Event: DomainEvent,
    {
        let (state, mut report) = self.fold_stream::<D>(id, None).await?;
        let untrusted = report.skipped.as_ref().is_some_and(|s| s.needs_rebuild());
        if untrusted && report.version > 0 {
            // A failed write leaves the untrusted snapshot in place: the next load skips it again
            // and retries, and the state returned here is right either way.
            let written = self.write_snapshot::<D>(&report, &state).await;
            report.rebuilt = written.ok().map(|s| s.version);
        }
        Ok((state, report))
    }

    /// A customer's current state, and how it was loaded.
    pub async fn load_customer_with_report(
        &self,
        id: &CustomerId,
    ) -> Result<(CustomerState, LoadReport), EngineError> {
        self.load_with_report::<CustomerDecider>(id.as_str()).await
    }

    /// An order's current state, and how it was loaded.
    pub async fn load_order_with_report(
        &self,
        id: &OrderId,
    ) -> Result<(OrderState, LoadReport), EngineError> {
        self.load_with_report::<OrderDecider>(id.as_str()).await
    }

    /// A temporal query (seed 000: "the available credit of a customer at some point in the
    /// past"): aggregate `D`'s state as of global event `as_of`, the fold of its events with an
    /// `event_id` at or below it. The stored snapshot is used only when it lies at or before that
    /// point. Nothing is written.
    pub async fn load_as_of<D: Snapshotting>(
        &self,
        id: &str,
        as_of: u64,
    ) -> Result<(D::State, LoadReport), EngineError>
    where
        D::Event: DomainEvent,
    {
        self.fold_stream::<D>(id, Some(as_of)).await
    }

    /// Writes a snapshot of aggregate `D` at its current version now, whatever the policy, and
    /// returns it; `None` when the stream has no events.
    pub async fn take_snapshot<D: Snapshotting>(
        &self,
        id: &str,
    ) -> Result<Option<Snapshot>, EngineError>
    where
        D::Event: DomainEvent,
    {
        let (state, report) = self.fold_stream::<D>(id, None).await?;
        if report.version == 0 {
            return Ok(None);
        }
        self.write_snapshot::<D>(&report, &state).await.map(Some)
    }

    /// After a command appended `stored` to `stream` (at version `before` until then), writes a
    /// snapshot of the new state if the version crossed a multiple of the type's N. `state` is the
    /// state after the append and `caused` its highest `causation_id`, as a load would report it.
    pub(super) async fn snapshot_after_append<D: Snapshotting>(
        &self,
        stream: &StreamId,
        before: u64,
        caused: Option<u64>,
        state: &D::State,
        stored: &[EventEnvelope],
    ) {
        let Some(every) = self.snapshot_policy().interval(&stream.entity_type) else {
            return;
        };
        let Some(last) = stored.last() else {
            return;
        };
        if last.version / every.get() <= before / every.get() {
            return;
        }
        // The events are stored, so the command succeeded; a snapshot that could not be written
        // only means later loads fold a few more events, until the next crossing writes one.
        let report = LoadReport {
            stream: stream.clone(),
            as_of: None,
            version: last.version,
            last_event_id: last.event_id,
            snapshot_version: None,
            events_folded: 0,
            skipped: None,
            rebuilt: None,
            caused_through: caused,
        };
        let _ = self.write_snapshot::<D>(&report, state).await;
    }

    /// The one load: the fold of the stream's events with an `event_id` at or below `as_of` (all of
    /// them when `None`), started from the stored snapshot when the policy is on and it is trusted.
    async fn fold_stream<D: Snapshotting>(
        &self,
        id: &str,
        as_of: Option<u64>,
    ) -> Result<(D::State, LoadReport), EngineError>
    where
        D::Event: DomainEvent,
    {
        let stream = StreamId::new(D::Event::ENTITY_TYPE, id);
        let mut report = LoadReport {
            stream,
            as_of,
            version: 0,
            last_event_id: 0,
            snapshot_version: None,
            events_folded: 0,
            skipped: None,
            rebuilt: None,
            caused_through: Some(0),
        };
        let found = if self
            .snapshot_policy()
            .interval(&report.stream.entity_type)
            .is_some()
        {
            self.find_snapshot::<D>(&report.stream, as_of).await?
        } else {
            Found::Nothing
        };
        let trusted = match found {
            Found::Trusted {
                state,
                snapshot,
                tail,
            } => Some((state, snapshot, tail)),
            Found::Skipped(why) => {
                report.skipped = Some(why);
                None
            }
            Found::Nothing => None,
        };
        let (state, mut tail) = match trusted {
            Some((state, snapshot, tail)) => {
                report.snapshot_version = Some(snapshot.version);
                report.caused_through = snapshot.caused_through;
                report.version = snapshot.version;
                report.last_event_id = snapshot.event_id;
                (state, tail)
            }
            None => (
                D::initial_state(),
                self.store.read_stream(&report.stream, 0).await?,
            ),
        };
        if let Some(as_of) = as_of {
            // Within a stream, event ids grow with versions: the events up to the point are a prefix.
            let keep = tail.partition_point(|e| e.event_id <= as_of);
            tail.truncate(keep);
        }
        let state = fold_stored::<D>(state, &tail)?;
        report.caused_through = report
            .caused_through
            .map(|before| before.max(caused_through(&tail)));
        if let Some(last) = tail.last() {
            report.version = last.version;
            report.last_event_id = last.event_id;
        }
        report.events_folded = tail.len();
        Ok((state, report))
    }

    /// The stream's stored snapshot, checked: whether the fold of a load as of `as_of` (`None`:
    /// now) may start from it, and if so the events after it.
    async fn find_snapshot<D: Snapshotting>(
        &self,
        stream: &StreamId,
        as_of: Option<u64>,
    ) -> Result<Found<D::State>, EngineError> {
        let snapshot = match self.store.load_snapshot(stream).await {
            Ok(Some(snapshot)) => snapshot,
            Ok(None) => return Ok(Found::Nothing),
            // A snapshot is only a shortcut: one the store cannot read back is skipped like any
            // other untrusted snapshot. A store that cannot be used at all is another matter.
            Err(StoreError::Corrupt(detail)) => {
                return Ok(Found::Skipped(SnapshotSkipped::Corrupt(detail)))
            }
            Err(other) => return Err(other.into()),
        };
        if as_of.is_some_and(|as_of| snapshot.event_id > as_of) {
            return Ok(Found::Skipped(SnapshotSkipped::AfterPoint {
                event_id: snapshot.event_id,
            }));
        }
        let state = match D::decode_state(snapshot.state_schema, &snapshot.state) {
            Ok(state) => state,
            Err(rejection) => return Ok(Found::Skipped(SnapshotSkipped::Untrusted(rejection))),
        };
        let detached = SnapshotSkipped::Detached {
            version: snapshot.version,
            event_id: snapshot.event_id,
        };
        if snapshot.version == 0 {
            return Ok(Found::Skipped(detached));
        }
        // Read from the snapshot's own event on, to check it is still where the snapshot says.
        let mut tail = self.store.read_stream(stream, snapshot.version - 1).await?;
        match tail.first() {
            Some(anchor)
                if anchor.version == snapshot.version && anchor.event_id == snapshot.event_id =>
            {
                tail.remove(0);
                Ok(Found::Trusted {
                    state,
                    snapshot,
                    tail,
                })
            }
            _ => Ok(Found::Skipped(detached)),
        }
    }

    /// Stores `state` as the snapshot of the stream a load (`report`) folded it from.
    async fn write_snapshot<D: Snapshotting>(
        &self,
        report: &LoadReport,
        state: &D::State,
    ) -> Result<Snapshot, EngineError> {
        let snapshot = Snapshot {
            caused_through: report.caused_through,
            ..snapshot_of::<D>(&report.stream, state, report.version, report.last_event_id)?
        };
        self.store.save_snapshot(&snapshot).await?;
        Ok(snapshot)
    }
}

/// The snapshot record of `state`, the fold of `stream` up to `version` (event `event_id`), as the
/// engine writes it.
pub fn snapshot_of<D: Snapshotting>(
    stream: &StreamId,
    state: &D::State,
    version: u64,
    event_id: u64,
) -> Result<Snapshot, EngineError> {
    let json = D::encode_state(state).map_err(|e| {
        EngineError::Store(StoreError::Unavailable(format!(
            "the state of {stream} cannot be written as a snapshot: {e}"
        )))
    })?;
    Ok(Snapshot {
        entity_type: stream.entity_type.clone(),
        entity_id: stream.entity_id.clone(),
        version,
        event_id,
        state_schema: D::STATE_SCHEMA,
        state: json,
        caused_through: None,
    })
}

/// The highest `causation_id` among `events` (0 if none).
pub fn caused_through(events: &[EventEnvelope]) -> u64 {
    events
        .iter()
        .filter_map(|e| e.metadata.causation_id)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
