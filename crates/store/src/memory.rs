//! The in-memory backend: the reference every other backend is tested against, and the store of
//! native tests and benchmarks.

use crate::integrity::{check_log, IntegrityReport};
use crate::notify::{Listener, Notifier};
use crate::store::{
    number_batch, Backend, Checkpoint, EventStore, ExpectedVersion, Snapshot, StoreError, StreamId,
};
use foldlab_domain::{EventEnvelope, NewEvent};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
struct Inner {
    /// `events[i]` has `event_id == i + 1`.
    events: Vec<EventEnvelope>,
    /// Each stream's events, as indexes into `events`.
    streams: HashMap<StreamId, Vec<usize>>,
    checkpoints: BTreeMap<String, Checkpoint>,
    /// Each stream's latest snapshot.
    snapshots: HashMap<StreamId, Snapshot>,
}

/// Events, checkpoints and snapshots in memory, lost when dropped.
#[derive(Default)]
pub struct MemoryStore {
    inner: RefCell<Inner>,
    notifier: Notifier,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The integrity check ([`crate::integrity`]) of what the store holds: memory keeps typed
    /// records, so only what they say can be wrong (event data, versions).
    pub fn check_integrity(&self) -> IntegrityReport {
        let inner = self.inner.borrow();
        let mut snapshots: Vec<Snapshot> = inner.snapshots.values().cloned().collect();
        snapshots.sort_by_key(Snapshot::stream);
        check_log(
            inner.events.clone(),
            inner.checkpoints.values().cloned().collect(),
            snapshots,
        )
    }
}

impl EventStore for MemoryStore {
    fn backend(&self) -> Backend {
        Backend::Memory
    }

    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let stored = {
            let mut inner = self.inner.borrow_mut();
            let actual = inner.streams.get(stream).map_or(0, |s| s.len() as u64);
            if !expected.admits(actual) {
                return Err(StoreError::Conflict {
                    stream: stream.clone(),
                    expected,
                    actual,
                });
            }
            let stored = number_batch(stream, inner.events.len() as u64, actual, events);
            let start = inner.events.len();
            inner.events.extend(stored.iter().cloned());
            inner
                .streams
                .entry(stream.clone())
                .or_default()
                .extend(start..start + stored.len());
            stored
        };
        if let Some(last) = stored.last() {
            self.notifier.notify(last.event_id);
        }
        Ok(stored)
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let inner = self.inner.borrow();
        let Some(indexes) = inner.streams.get(stream) else {
            return Ok(Vec::new());
        };
        let skip = usize::try_from(after_version).unwrap_or(usize::MAX);
        Ok(indexes
            .iter()
            .skip(skip)
            .map(|&i| inner.events[i].clone())
            .collect())
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let inner = self.inner.borrow();
        let start = usize::try_from(after_position)
            .unwrap_or(usize::MAX)
            .min(inner.events.len());
        Ok(inner.events[start..].iter().take(limit).cloned().collect())
    }

    async fn head(&self) -> Result<u64, StoreError> {
        Ok(self.inner.borrow().events.len() as u64)
    }

    async fn load_checkpoint(&self, subscriber: &str) -> Result<Option<Checkpoint>, StoreError> {
        Ok(self.inner.borrow().checkpoints.get(subscriber).cloned())
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.inner
            .borrow_mut()
            .checkpoints
            .insert(checkpoint.subscriber.clone(), checkpoint.clone());
        Ok(())
    }

    async fn save_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.inner
            .borrow_mut()
            .snapshots
            .insert(snapshot.stream(), snapshot.clone());
        Ok(())
    }

    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.inner.borrow().snapshots.get(stream).cloned())
    }

    async fn clear(&self) -> Result<(), StoreError> {
        *self.inner.borrow_mut() = Inner::default();
        Ok(())
    }

    fn subscribe(&self, listener: Listener) {
        self.notifier.subscribe(listener);
    }
}

#[cfg(test)]
mod tests {
    use crate::contract;
    use crate::MemoryStore;
    use futures::executor::block_on;

    macro_rules! memory {
        ($name:ident) => {
            #[test]
            fn $name() {
                block_on(contract::$name(&MemoryStore::new()));
            }
        };
    }
    crate::for_each_contract_check!(memory);

    /// The fault wrapper with nothing armed keeps the contract too: the lab's store is one.
    mod behind_the_fault_switch {
        use crate::contract;
        use crate::FaultSwitch;
        use futures::executor::block_on;

        macro_rules! switched {
            ($name:ident) => {
                #[test]
                fn $name() {
                    block_on(contract::$name(&FaultSwitch::default()));
                }
            };
        }
        crate::for_each_contract_check!(switched);
    }
}
