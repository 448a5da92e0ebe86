//! The in-memory backend: the reference every other backend is tested against, and the store of
//! native tests and benchmarks.

use crate::integrity::{check_log, IntegrityReport};
use crate::notify::{Listener, Notifier};
use crate::store::{
    number_batch, Backend, Checkpoint, EventStore, ExpectedVersion, Generation, HeldView,
    Replacing, Snapshot, StoreError, StreamId, ViewMark, ViewSave,
};
use foldlab_domain::{assemble, EventEnvelope, NewEvent};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
struct Inner {
    /// `events[i]` has `event_id == i + 1`.
    events: Vec<EventEnvelope>,
    /// Each stream's events, as indexes into `events`.
    streams: HashMap<StreamId, Vec<usize>>,
    /// Checkpoints saved whole.
    checkpoints: BTreeMap<String, Checkpoint>,
    /// Views saved in parts, with their checkpoints' positions.
    views: BTreeMap<String, View>,
    /// Each stream's latest snapshot.
    snapshots: HashMap<StreamId, Snapshot>,
}

/// A view saved in parts.
struct View {
    position: u64,
    head: String,
    /// Each document's JSON by map and key.
    documents: BTreeMap<(&'static str, String), String>,
    stamp: String,
}

impl Inner {
    /// A checkpoint as saved, a view in parts put back together.
    fn checkpoint(&self, subscriber: &str) -> Result<Option<Checkpoint>, StoreError> {
        Ok(self.view(subscriber)?.map(|(checkpoint, _)| checkpoint))
    }

    /// A checkpoint as saved, and the mark of its save when it was saved in parts.
    fn view(&self, subscriber: &str) -> Result<Option<(Checkpoint, Option<ViewMark>)>, StoreError> {
        if let Some(view) = self.views.get(subscriber) {
            let state = assemble(
                &view.head,
                view.documents
                    .iter()
                    .map(|((map, key), json)| (*map, key.as_str(), json.as_str())),
            )
            .map_err(|e| StoreError::Corrupt(format!("the view of {subscriber}: {}", e.0)))?;
            let checkpoint = Checkpoint {
                subscriber: subscriber.to_string(),
                position: view.position,
                state,
            };
            let mark = ViewMark {
                subscriber: subscriber.to_string(),
                position: view.position,
                stamp: view.stamp.clone(),
            };
            return Ok(Some((checkpoint, Some(mark))));
        }
        Ok(self.checkpoints.get(subscriber).cloned().map(|c| (c, None)))
    }
}

/// Events, checkpoints and snapshots in memory, lost when dropped.
#[derive(Default)]
pub struct MemoryStore {
    inner: RefCell<Inner>,
    notifier: Notifier,
    /// The last stamp given to a view's save; never reused, not even after a reset.
    stamps: Cell<u64>,
    /// The store's generation: one more at each reset.
    generation: Cell<u64>,
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
        let names = inner.checkpoints.keys().chain(inner.views.keys());
        let checkpoints = names
            .filter_map(|name| inner.checkpoint(name).ok().flatten())
            .collect();
        check_log(inner.events.clone(), checkpoints, snapshots)
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
            if !expected.admits(actual, self.generation()) {
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

    fn generation(&self) -> Option<Generation> {
        Some(Generation(self.generation.get()))
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
        self.inner.borrow().checkpoint(subscriber)
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let mut inner = self.inner.borrow_mut();
        inner.views.remove(&checkpoint.subscriber);
        inner
            .checkpoints
            .insert(checkpoint.subscriber.clone(), checkpoint.clone());
        Ok(())
    }

    fn saves_views_in_parts(&self) -> bool {
        true
    }

    async fn save_view(&self, save: &ViewSave<'_>) -> Result<Option<ViewMark>, StoreError> {
        let mut inner = self.inner.borrow_mut();
        let held = match inner.views.get(save.subscriber) {
            Some(view) => Some(HeldView {
                position: view.position,
                head: &view.head,
                stamp: Some(&view.stamp),
            }),
            None => inner.checkpoints.get(save.subscriber).map(|c| HeldView {
                position: c.position,
                head: &c.state,
                stamp: None,
            }),
        };
        if !save.may_replace(held) {
            return Ok(None);
        }
        let mut documents = match save.replacing {
            Replacing::Save(_) => inner
                .views
                .remove(save.subscriber)
                .map(|view| view.documents)
                .unwrap_or_default(),
            Replacing::NotFurther | Replacing::Anything => BTreeMap::new(),
        };
        for part in save.parts {
            let key = (part.map, part.key.clone());
            match &part.json {
                Some(json) => documents.insert(key, json.clone()),
                None => documents.remove(&key),
            };
        }
        self.stamps.set(self.stamps.get() + 1);
        let stamp = self.stamps.get().to_string();
        inner.checkpoints.remove(save.subscriber);
        inner.views.insert(
            save.subscriber.to_string(),
            View {
                position: save.position,
                head: save.head.to_string(),
                documents,
                stamp: stamp.clone(),
            },
        );
        Ok(Some(ViewMark {
            subscriber: save.subscriber.to_string(),
            position: save.position,
            stamp,
        }))
    }

    async fn load_view(
        &self,
        subscriber: &str,
    ) -> Result<Option<(Checkpoint, Option<ViewMark>)>, StoreError> {
        self.inner.borrow().view(subscriber)
    }

    async fn holds_view(&self, mark: &ViewMark) -> Result<bool, StoreError> {
        Ok(self
            .inner
            .borrow()
            .views
            .get(&mark.subscriber)
            .is_some_and(|view| view.position == mark.position && view.stamp == mark.stamp))
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
        self.generation.set(self.generation.get() + 1);
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
