//! The localStorage backend: the fallback when IndexedDB cannot be opened. Small and synchronous,
//! laid out so that a page closed in the middle of an append leaves the store as it was.
//!
//! Keys, all under the caller's prefix:
//! - `{prefix}/event/{event_id}`: one event's envelope as JSON;
//! - `{prefix}/head`: the highest visible `event_id`, written **last** by every append. Reads only go
//!   up to it, so events written by an append that never reached its head write stay invisible, and
//!   the next append simply overwrites them;
//! - `{prefix}/checkpoint/{subscriber}`: a checkpoint as JSON;
//! - `{prefix}/snapshot/{entity_type}/{entity_id}`: a stream's latest snapshot as JSON (entity
//!   types are names like `Customer`, never containing `/`, so the id is all that follows).
//!
//! localStorage is synchronous and a tab's script runs on one thread, so the version check and the
//! writes of one append happen with nothing in between.

use super::channel::Channel;
use super::{global_property, Failure};
use crate::integrity::{
    check_records, IntegrityReport, NotAnEvent, Problem, ProblemKind, RawEvent, RawRecord,
};
use crate::notify::{Change, ChangeListener, Listener, Notifier};
use crate::store::{
    number_batch, Backend, Checkpoint, EventStore, ExpectedVersion, Snapshot, StoreError, StreamId,
};
use foldlab_domain::{EventEnvelope, NewEvent};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use web_sys::Storage;

/// An event store in the browser's localStorage, under one key prefix.
pub struct LocalStorageStore {
    storage: Storage,
    prefix: String,
    notifier: Notifier,
    /// Tells other handles on these keys (other tabs) of each write, and hears theirs.
    channel: Channel,
}

/// The part of a stored envelope that places it in its stream: enough for the version check.
#[derive(Deserialize)]
struct Placement {
    entity_type: String,
    entity_id: String,
    version: u64,
}

impl LocalStorageStore {
    /// Opens the store whose keys start with `{prefix}/`.
    ///
    /// Fails with [`StoreError::Unavailable`] when the browser has no localStorage, forbids it, or
    /// refuses every write to it (some private modes have a quota of zero).
    pub fn open(prefix: &str) -> Result<Self, StoreError> {
        let storage: Storage = global_property("localStorage").map_err(StoreError::Unavailable)?;
        let notifier = Notifier::default();
        let store = Self {
            storage,
            prefix: prefix.to_string(),
            channel: Channel::open(&format!("{prefix} localStorage"), notifier.clone()),
            notifier,
        };
        let probe = store.key("probe");
        match store.storage.set_item(&probe, "") {
            Ok(()) => {
                let _ = store.storage.remove_item(&probe);
            }
            // A storage filled up by the lab's own events can still be read, and cleared.
            Err(e) if Failure::from_js(&e).is_quota() && store.head_text()?.is_some() => {}
            Err(e) => {
                return Err(StoreError::Unavailable(format!(
                    "localStorage refuses writes ({})",
                    Failure::from_js(&e)
                )))
            }
        }
        Ok(store)
    }

    /// Calls `listener` with each write another handle on these keys makes (another tab, or a
    /// second handle in this page). Its appends also reach [`EventStore::subscribe`]'s listeners.
    /// Nothing is heard in a browser without `BroadcastChannel`.
    pub fn on_external_change(&self, listener: ChangeListener) {
        self.channel.on_external_change(listener);
    }

    /// Whether other handles learn of this one's writes (the browser has `BroadcastChannel`).
    pub fn tells_other_tabs(&self) -> bool {
        self.channel.is_open()
    }

    /// Reads every record under this store's prefix on its own and reports what is damaged and
    /// what reads ([`crate::integrity`]). Events written after the head (by an append that never
    /// finished) are invisible by design and not checked. Changes nothing.
    pub async fn check_integrity(&self) -> Result<IntegrityReport, StoreError> {
        let failed = |e: JsValue| Failure::from_js(&e).into_store_error("reading localStorage");
        let ours = self.key("");
        let mut keys = Vec::new();
        for i in 0..self.storage.length().map_err(failed)? {
            if let Some(key) = self.storage.key(i).map_err(failed)? {
                if let Some(rest) = key.strip_prefix(&ours) {
                    keys.push(rest.to_string());
                }
            }
        }
        keys.sort();
        let mut early = Vec::new();
        let head_key = self.key("head");
        let head = match self.current_head() {
            Ok(head) => head,
            Err(_) => {
                // Without a head, every event record found counts.
                let highest = keys
                    .iter()
                    .filter_map(|k| k.strip_prefix("event/")?.parse::<u64>().ok())
                    .max()
                    .unwrap_or(0);
                early.push(Problem {
                    kind: ProblemKind::UnreadableHead,
                    record: format!("localStorage key {head_key}"),
                    event_id: None,
                    stream: None,
                    what: format!(
                        "the head (the highest event id) is {:?}, not a number; every event record up to #{highest} is checked instead",
                        self.head_text().ok().flatten().unwrap_or_default()
                    ),
                });
                highest
            }
        };
        let mut events = Vec::new();
        for event_id in 1..=head {
            let key = self.event_key(event_id);
            let Some(json) = self.get(&key)? else {
                continue; // The analysis reports the missing id.
            };
            events.push(RawEvent {
                record: format!("event #{event_id} (localStorage key {key})"),
                filed_as: Some(event_id),
                read: raw_event(&json),
            });
        }
        let mut checkpoints = Vec::new();
        let mut snapshots = Vec::new();
        for rest in &keys {
            let key = self.key(rest);
            let Some(json) = self.get(&key)? else {
                continue;
            };
            if let Some(subscriber) = rest.strip_prefix("checkpoint/") {
                checkpoints.push(RawRecord {
                    record: format!("the checkpoint of {subscriber} (localStorage key {key})"),
                    stream: None,
                    read: serde_json::from_str(&json).map_err(|e| e.to_string()),
                });
            } else if let Some(stream) = rest.strip_prefix("snapshot/") {
                let stream = stream.split_once('/').map(|(t, id)| StreamId::new(t, id));
                snapshots.push(RawRecord {
                    record: format!("the snapshot under localStorage key {key}"),
                    stream,
                    read: serde_json::from_str(&json).map_err(|e| e.to_string()),
                });
            }
        }
        Ok(check_records(
            events,
            Some(head),
            early,
            checkpoints,
            snapshots,
        ))
    }

    fn key(&self, rest: &str) -> String {
        format!("{}/{rest}", self.prefix)
    }

    fn event_key(&self, event_id: u64) -> String {
        self.key(&format!("event/{event_id}"))
    }

    fn checkpoint_key(&self, subscriber: &str) -> String {
        self.key(&format!("checkpoint/{subscriber}"))
    }

    fn snapshot_key(&self, stream: &StreamId) -> String {
        self.key(&format!(
            "snapshot/{}/{}",
            stream.entity_type, stream.entity_id
        ))
    }

    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.storage
            .get_item(key)
            .map_err(|e| Failure::from_js(&e).into_store_error("reading localStorage"))
    }

    fn head_text(&self) -> Result<Option<String>, StoreError> {
        self.get(&self.key("head"))
    }

    fn current_head(&self) -> Result<u64, StoreError> {
        match self.head_text()? {
            None => Ok(0),
            Some(text) => text
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("the head is {text:?}, not a number"))),
        }
    }

    /// The JSON of a visible event (one at or below the head): missing is corruption.
    fn event_json(&self, event_id: u64) -> Result<String, StoreError> {
        self.get(&self.event_key(event_id))?.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "event #{event_id} is missing from localStorage (key {})",
                self.event_key(event_id)
            ))
        })
    }

    fn event(&self, event_id: u64) -> Result<EventEnvelope, StoreError> {
        serde_json::from_str(&self.event_json(event_id)?)
            .map_err(|e| self.not_an_event(event_id, &e))
    }

    /// The stream's version: the version of its latest event, found by scanning back from the head
    /// (a stream's versions grow with the event ids, so the first match is its last event).
    fn stream_version(&self, stream: &StreamId, head: u64) -> Result<u64, StoreError> {
        for event_id in (1..=head).rev() {
            let placement: Placement = serde_json::from_str(&self.event_json(event_id)?)
                .map_err(|e| self.not_an_event(event_id, &e))?;
            if placement.entity_type == stream.entity_type
                && placement.entity_id == stream.entity_id
            {
                return Ok(placement.version);
            }
        }
        Ok(0)
    }

    fn not_an_event(&self, event_id: u64, error: &serde_json::Error) -> StoreError {
        StoreError::Corrupt(format!(
            "event #{event_id} in localStorage (key {}) is not an event ({error})",
            self.event_key(event_id)
        ))
    }

    /// Removes keys written by an append that failed, so the store is as it was.
    fn undo(&self, keys: &[String]) {
        for key in keys {
            let _ = self.storage.remove_item(key);
        }
    }
}

/// One event record's JSON, read on its own: what of it can be told even when it is not an event.
fn raw_event(json: &str) -> Result<EventEnvelope, NotAnEvent> {
    serde_json::from_str::<EventEnvelope>(json).map_err(|e| {
        let value = serde_json::from_str::<serde_json::Value>(json).ok();
        let text = |name: &str| value.as_ref()?.get(name)?.as_str().map(str::to_string);
        NotAnEvent {
            why: if value.is_none() {
                format!("its JSON is cut short or broken ({e})")
            } else {
                e.to_string()
            },
            stream: text("entity_type")
                .zip(text("entity_id"))
                .map(|(t, id)| StreamId::new(t, id)),
            version: value.as_ref().and_then(|v| v.get("version")?.as_u64()),
        }
    })
}

impl EventStore for LocalStorageStore {
    fn backend(&self) -> Backend {
        Backend::LocalStorage
    }

    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let head = self.current_head()?;
        let actual = self.stream_version(stream, head)?;
        if !expected.admits(actual, None) {
            return Err(StoreError::Conflict {
                stream: stream.clone(),
                expected,
                actual,
            });
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let stored: Vec<EventEnvelope> = number_batch(stream, head, actual, events);
        // Everything is encoded before the first write, so only the storage itself can fail midway.
        let records = stored
            .iter()
            .map(|e| {
                serde_json::to_string(e)
                    .map(|json| (self.event_key(e.event_id), json))
                    .map_err(|err| {
                        StoreError::Unavailable(format!(
                            "event {} cannot be stored: {err}",
                            e.event_id
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut written = Vec::with_capacity(records.len());
        for (key, json) in records {
            if let Err(e) = self.storage.set_item(&key, &json) {
                self.undo(&written);
                return Err(Failure::from_js(&e).into_store_error("storing the events"));
            }
            written.push(key);
        }
        let new_head = head + stored.len() as u64;
        // The head moves last: until this write succeeds, none of the batch is visible.
        if let Err(e) = self
            .storage
            .set_item(&self.key("head"), &new_head.to_string())
        {
            self.undo(&written);
            return Err(Failure::from_js(&e).into_store_error("storing the events"));
        }
        self.notifier.notify(new_head);
        self.channel.post(Change::Appended {
            stream: stream.clone(),
            head: new_head,
            count: stored.len() as u64,
        });
        Ok(stored)
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        // A scan of the whole log: this fallback store stays small.
        let head = self.current_head()?;
        let mut events = Vec::new();
        for event_id in 1..=head {
            let event = self.event(event_id)?;
            if event.entity_type == stream.entity_type
                && event.entity_id == stream.entity_id
                && event.version > after_version
            {
                events.push(event);
            }
        }
        Ok(events)
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let head = self.current_head()?;
        let last = after_position
            .saturating_add(u64::try_from(limit).unwrap_or(u64::MAX))
            .min(head);
        (after_position.saturating_add(1)..=last)
            .map(|event_id| self.event(event_id))
            .collect()
    }

    async fn head(&self) -> Result<u64, StoreError> {
        self.current_head()
    }

    async fn load_checkpoint(&self, subscriber: &str) -> Result<Option<Checkpoint>, StoreError> {
        match self.get(&self.checkpoint_key(subscriber))? {
            None => Ok(None),
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("checkpoint of {subscriber}: {e}"))),
        }
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let json = serde_json::to_string(checkpoint).map_err(|e| {
            StoreError::Unavailable(format!(
                "the checkpoint of {} cannot be stored: {e}",
                checkpoint.subscriber
            ))
        })?;
        self.storage
            .set_item(&self.checkpoint_key(&checkpoint.subscriber), &json)
            .map_err(|e| Failure::from_js(&e).into_store_error("saving a checkpoint"))?;
        self.channel.post(Change::CheckpointSaved {
            subscriber: checkpoint.subscriber.clone(),
        });
        Ok(())
    }

    async fn save_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let stream = snapshot.stream();
        let json = serde_json::to_string(snapshot).map_err(|e| {
            StoreError::Unavailable(format!("the snapshot of {stream} cannot be stored: {e}"))
        })?;
        self.storage
            .set_item(&self.snapshot_key(&stream), &json)
            .map_err(|e| Failure::from_js(&e).into_store_error("saving a snapshot"))?;
        self.channel.post(Change::SnapshotSaved { stream });
        Ok(())
    }

    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        match self.get(&self.snapshot_key(stream))? {
            None => Ok(None),
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("the snapshot of {stream}: {e}"))),
        }
    }

    async fn clear(&self) -> Result<(), StoreError> {
        // Other code on the page may use localStorage too: only this store's keys go.
        let failed = |e: JsValue| Failure::from_js(&e).into_store_error("clearing localStorage");
        let ours = self.key("");
        let mut doomed = Vec::new();
        for i in 0..self.storage.length().map_err(failed)? {
            if let Some(key) = self.storage.key(i).map_err(failed)? {
                if key.starts_with(&ours) {
                    doomed.push(key);
                }
            }
        }
        // The head goes first, so an interrupted clear leaves an empty store, not a broken one.
        doomed.sort_by_key(|k| *k != self.key("head"));
        for key in doomed {
            self.storage.remove_item(&key).map_err(failed)?;
        }
        self.channel.post(Change::Cleared);
        Ok(())
    }

    fn subscribe(&self, listener: Listener) {
        self.notifier.subscribe(listener);
    }
}
