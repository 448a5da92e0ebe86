//! What the lab's Snapshots view needs beside the engine's load path: a full replay of one stream
//! that reads the log a page at a time (so a million-event history can show its progress and never
//! sits in memory at once), the snapshot at the latest multiple of the snapshot interval, and a long
//! Customer history generated through the Customer's own `decide`, so every event in it is one the
//! aggregate would have stored.

use crate::engine::{fold_stored, snapshot_of, EngineError};
use foldlab_domain::codec::DomainEvent;
use foldlab_domain::{
    CustomerCommand, CustomerDecider, CustomerError, CustomerEvent, CustomerState, Decider,
    EventEnvelope, Metadata, Money, NewEvent, Snapshotting,
};
use foldlab_store::{EventStore, ExpectedVersion, Snapshot, StoreError, StreamId};
use std::fmt;
use std::num::NonZeroU64;

/// The highest version at or below `version` that is a multiple of `every` (0 when there is none):
/// where a snapshot written "every N events" would stand now.
pub fn latest_multiple(version: u64, every: NonZeroU64) -> u64 {
    version / every.get() * every.get()
}

/// A fold of one stream from its first event, reading the global log a page at a time from
/// `start_after` and keeping the stream's events only. It can write down the state at one version
/// on its way (the snapshot at the latest multiple of the interval).
pub struct Replay<D: Snapshotting> {
    stream: StreamId,
    /// The state folded so far.
    pub state: D::State,
    /// The stream version folded so far.
    pub version: u64,
    /// The global `event_id` of that version.
    pub last_event_id: u64,
    /// How many of the stream's events were read, decoded and folded.
    pub folded: usize,
    /// How many events of the log were read (the stream's and others').
    pub read: usize,
    after: u64,
    until_version: Option<u64>,
    capture_at: Option<u64>,
    captured: Option<Snapshot>,
    /// The highest causation id folded so far, kept with a captured snapshot.
    caused_through: u64,
    done: bool,
}

impl<D: Snapshotting> Replay<D>
where
    D::Event: DomainEvent,
{
    /// A replay of aggregate `id` that reads the log after `start_after` (0: from the first event)
    /// and stops at `until_version` (or at the end of the log), writing down the state at
    /// `capture_at` if it passes that version.
    pub fn new(
        id: &str,
        start_after: u64,
        until_version: Option<u64>,
        capture_at: Option<u64>,
    ) -> Self {
        Self {
            stream: StreamId::new(D::Event::ENTITY_TYPE, id),
            state: D::initial_state(),
            version: 0,
            last_event_id: 0,
            folded: 0,
            read: 0,
            after: start_after,
            until_version,
            capture_at: capture_at.filter(|v| *v > 0),
            captured: None,
            caused_through: 0,
            done: false,
        }
    }

    /// The snapshot of the state at `capture_at`, once the replay has passed it.
    pub fn captured(&self) -> Option<&Snapshot> {
        self.captured.as_ref()
    }

    /// Reads the next `page` events of the log and folds the stream's ones; returns whether the
    /// replay is done.
    pub async fn next_page<S: EventStore>(
        &mut self,
        store: &S,
        page: usize,
    ) -> Result<bool, EngineError> {
        if self.done {
            return Ok(true);
        }
        let events = store.read_all(self.after, page.max(1)).await?;
        let Some(last) = events.last() else {
            self.done = true;
            return Ok(true);
        };
        self.after = last.event_id;
        self.read += events.len();
        for envelope in &events {
            if envelope.entity_type != self.stream.entity_type
                || envelope.entity_id != self.stream.entity_id
            {
                continue;
            }
            self.state = fold_stored::<D>(
                std::mem::replace(&mut self.state, D::initial_state()),
                std::slice::from_ref(envelope),
            )?;
            self.version = envelope.version;
            self.last_event_id = envelope.event_id;
            self.folded += 1;
            self.caused_through = self
                .caused_through
                .max(envelope.metadata.causation_id.unwrap_or(0));
            if self.capture_at == Some(self.version) {
                self.captured = Some(Snapshot {
                    caused_through: Some(self.caused_through),
                    ..snapshot_of::<D>(&self.stream, &self.state, self.version, self.last_event_id)?
                });
            }
            if self.until_version == Some(self.version) {
                self.done = true;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Folds the rest of the stream in pages of `page` events.
    pub async fn run<S: EventStore>(&mut self, store: &S, page: usize) -> Result<(), EngineError> {
        while !self.next_page(store, page).await? {}
        Ok(())
    }
}

/// The lowest credit limit a generated history moves to, in cents ($1,000.00).
const LOWEST_LIMIT_CENTS: i64 = 100_000;

/// How many different limits a generated history cycles through ($1,000.00 to $5,000.00 in steps
/// of $250.00).
const LIMIT_STEPS: u64 = 17;

/// The credit limit a generated history sets at `version`: it changes at every version, so each
/// change is one the Customer accepts (a new limit equal to the old one is refused).
pub fn generated_limit(version: u64) -> Money {
    Money::from_cents(LOWEST_LIMIT_CENTS + (version % LIMIT_STEPS) as i64 * 25_000)
}

/// A long Customer history, generated a batch at a time: each event is what the Customer's
/// `decide` returned for a user's command against the state folded so far (the account is opened,
/// then its credit limit is changed again and again), so the history is one the aggregate could
/// have stored. No credit is ever reserved, so the state, and with it the snapshot, stays a few
/// hundred bytes however long the history grows.
pub struct HistoryGenerator {
    /// The state after the events generated so far.
    pub state: CustomerState,
    /// The stream version after them.
    pub version: u64,
    name: String,
}

impl HistoryGenerator {
    /// A generator for a new customer called `name`.
    pub fn new(name: &str) -> Self {
        Self {
            state: CustomerState::Absent,
            version: 0,
            name: name.to_string(),
        }
    }

    /// The next `count` events, stamped `recorded_at`, each decided on the state the previous ones
    /// left. Correlation ids are `{correlation}-{version}`: one user command per event.
    pub fn next_batch(
        &mut self,
        count: usize,
        recorded_at: i64,
        correlation: &str,
    ) -> Result<Vec<NewEvent>, CustomerError> {
        let mut batch = Vec::with_capacity(count);
        for _ in 0..count {
            let version = self.version + 1;
            let command = match self.state {
                CustomerState::Absent => CustomerCommand::Create {
                    name: self.name.clone(),
                    credit_limit: generated_limit(version),
                },
                _ => CustomerCommand::ChangeCreditLimit {
                    new_limit: generated_limit(version),
                },
            };
            let events = CustomerDecider::decide(&command, &self.state)?;
            let metadata = Metadata {
                actor: "user".to_string(),
                correlation_id: format!("{correlation}-{version}"),
                causation_id: None,
            };
            for event in &events {
                batch.push(event.to_new_event(recorded_at, metadata.clone()));
                self.state = CustomerDecider::evolve(
                    std::mem::replace(&mut self.state, CustomerState::Absent),
                    event,
                );
                self.version += 1;
            }
        }
        Ok(batch)
    }
}

/// A long Customer history written to a store a batch at a time, the way the Snapshots view's
/// button writes it and the benchmark times it: each batch decided by [`HistoryGenerator`], then
/// appended with the version the batches before it left as the expected version.
pub struct Generation {
    stream: StreamId,
    generator: HistoryGenerator,
    /// Events stored so far.
    pub stored: u64,
    /// Events the history is to have.
    pub total: u64,
}

/// Why a generation stopped early. What was stored before it stays.
#[derive(Debug, Clone, PartialEq)]
pub enum GenerationError {
    /// The Customer refused a generated command (a generator fault, never expected).
    Refused(CustomerError),
    /// The store refused the batch; nothing of it was stored.
    Store(StoreError),
}

impl fmt::Display for GenerationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerationError::Refused(refused) => {
                write!(f, "The Customer refused a generated command: {refused}")
            }
            GenerationError::Store(error) => error.fmt(f),
        }
    }
}

impl Generation {
    /// A history of `total` events for a new customer `id` called `name`.
    pub fn new(id: &str, name: &str, total: u64) -> Self {
        Self {
            stream: StreamId::new(CustomerEvent::ENTITY_TYPE, id),
            generator: HistoryGenerator::new(name),
            stored: 0,
            total,
        }
    }

    /// Whether every event has been stored.
    pub fn done(&self) -> bool {
        self.stored >= self.total
    }

    /// Decides and appends the next batch of at most `batch` events, stamped `recorded_at`; returns
    /// what was stored (nothing once the history is complete). After an error the generation
    /// cannot go on: start a new one.
    pub async fn next_batch<S: EventStore>(
        &mut self,
        store: &S,
        batch: usize,
        recorded_at: i64,
    ) -> Result<Vec<EventEnvelope>, GenerationError> {
        let take = (self.total - self.stored.min(self.total)).min(batch as u64) as usize;
        if take == 0 {
            return Ok(Vec::new());
        }
        let expected = ExpectedVersion::after(self.generator.version);
        let events = self
            .generator
            .next_batch(take, recorded_at, &self.stream.entity_id)
            .map_err(GenerationError::Refused)?;
        let stored = store
            .append(&self.stream, expected, events)
            .await
            .map_err(GenerationError::Store)?;
        self.stored += stored.len() as u64;
        Ok(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use foldlab_domain::CustomerId;
    use foldlab_store::ExpectedVersion;
    use foldlab_store::MemoryStore;
    use futures::executor::block_on;

    fn every(n: u64) -> NonZeroU64 {
        NonZeroU64::new(n).expect("not zero")
    }

    /// Appends a generated history of `n` events for customer `id`, in batches of `batch`.
    fn given_history(store: &MemoryStore, id: &str, n: usize, batch: usize) {
        let stream = StreamId::new("Customer", id);
        let mut generator = HistoryGenerator::new("Long history");
        let mut left = n;
        while left > 0 {
            let take = left.min(batch);
            let before = generator.version;
            let events = generator.next_batch(take, 1_000, "gen").expect("decided");
            let expected = ExpectedVersion::after(before);
            block_on(store.append(&stream, expected, events)).expect("appended");
            left -= take;
        }
    }

    #[test]
    fn a_generation_stores_its_total_in_batches_and_then_nothing_more() {
        let store = MemoryStore::new();
        let mut generation = Generation::new("c-gen", "Long history", 2_500);
        let mut batches = Vec::new();
        while !generation.done() {
            let stored = block_on(generation.next_batch(&store, 1_000, 7)).expect("stored");
            batches.push(stored.len());
        }
        assert_eq!(batches, vec![1_000, 1_000, 500]);
        assert!(block_on(generation.next_batch(&store, 1_000, 7))
            .expect("nothing to do")
            .is_empty());
        let events =
            block_on(store.read_stream(&StreamId::new("Customer", "c-gen"), 0)).expect("read");
        assert_eq!(events.len(), 2_500);
        assert_eq!(events.last().map(|e| e.version), Some(2_500));
        assert_eq!(events[0].metadata.correlation_id, "c-gen-1");
    }

    #[test]
    fn the_latest_multiple_is_where_a_snapshot_every_n_events_stands() {
        assert_eq!(latest_multiple(5_001, every(1_000)), 5_000);
        assert_eq!(latest_multiple(5_001, every(300)), 4_800);
        assert_eq!(latest_multiple(99, every(100)), 0);
        assert_eq!(latest_multiple(100, every(100)), 100);
    }

    #[test]
    fn a_generated_history_is_accepted_by_the_customer_and_keeps_no_reservations() {
        let mut generator = HistoryGenerator::new("Long history");
        let events = generator
            .next_batch(1_000, 1, "gen")
            .expect("every command accepted");
        assert_eq!(events.len(), 1_000);
        assert_eq!(events[0].event_type, "CustomerCreated");
        assert!(events[1..]
            .iter()
            .all(|e| e.event_type == "CreditLimitChanged"));
        let customer = generator.state.customer().expect("created");
        assert!(customer.reservations.is_empty());
        assert_eq!(customer.credit_limit, generated_limit(1_000));
        // The next batch goes on deciding against the state the first one left.
        let more = generator.next_batch(10, 1, "gen").expect("accepted");
        assert_eq!(more.len(), 10);
        assert_eq!(generator.version, 1_010);
    }

    #[test]
    fn a_full_replay_in_pages_equals_the_engine_load_and_folds_every_event() {
        let store = MemoryStore::new();
        given_history(&store, "c-long", 2_345, 500);
        let engine = Engine::new(store, Box::new(|| 0));
        let (state, report) =
            block_on(engine.load_customer_with_report(&CustomerId::new("c-long"))).expect("loads");
        let mut replay = Replay::<CustomerDecider>::new("c-long", 0, None, None);
        block_on(replay.run(engine.store(), 100)).expect("replays");
        assert!(block_on(replay.next_page(engine.store(), 100)).expect("done"));
        assert_eq!(replay.state, state);
        assert_eq!(replay.folded, 2_345);
        assert_eq!(replay.version, report.version);
    }

    #[test]
    fn a_replay_skips_other_streams_and_stops_at_the_version_it_was_given() {
        let store = MemoryStore::new();
        given_history(&store, "c-one", 120, 50);
        given_history(&store, "c-two", 80, 50);
        let mut two = Replay::<CustomerDecider>::new("c-two", 0, None, None);
        block_on(two.run(&store, 64)).expect("replays");
        assert_eq!(two.folded, 80);
        assert_eq!(two.read, 200);
        // Started after c-one's events and stopped at its last version, it reads only its own.
        let mut fast = Replay::<CustomerDecider>::new("c-two", 120, Some(80), None);
        block_on(fast.run(&store, 64)).expect("replays");
        assert_eq!(fast.state, two.state);
        assert_eq!(fast.read, 80);
    }

    #[test]
    fn the_snapshot_at_the_latest_multiple_makes_the_load_fold_only_the_events_after_it() {
        let store = MemoryStore::new();
        given_history(&store, "c-long", 5_001, 1_000);
        let engine = Engine::new(store, Box::new(|| 0));
        engine.set_snapshot_policy(engine.snapshot_policy().with("Customer", Some(every(300))));
        let at = latest_multiple(5_001, every(300));
        let mut replay = Replay::<CustomerDecider>::new("c-long", 0, None, Some(at));
        block_on(replay.run(engine.store(), 1_000)).expect("replays");
        let snapshot = replay.captured().expect("captured at 4,800").clone();
        assert_eq!(snapshot.version, 4_800);
        block_on(engine.store().save_snapshot(&snapshot)).expect("saved");

        let (state, report) =
            block_on(engine.load_customer_with_report(&CustomerId::new("c-long"))).expect("loads");
        assert_eq!(report.snapshot_version, Some(4_800));
        assert_eq!(report.events_folded, 201);
        assert_eq!(
            state, replay.state,
            "a snapshot is a cache: the same state either way"
        );
        assert!(
            snapshot.state.len() < 400,
            "the snapshot stays small: {}",
            snapshot.state
        );
    }
}
