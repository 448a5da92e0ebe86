//! The lab's journal: every delivery and projector step made in this browser, each with the head of
//! the log and every checkpoint right after it. The choreography timeline replays it, and time
//! travel reads from it what each view held when the log stood at a given position (lag included).
//!
//! The events themselves are in the event store; the journal only remembers *when* each checkpoint
//! moved, which no event records. It is kept in localStorage beside the store, so a reload keeps the
//! history, and it is cleared with the lab. Each store has its own journal (IndexedDB and the
//! localStorage fallback hold different logs); the memory store's lives only as long as the page.

use foldlab_store::Backend;
use gloo_storage::{LocalStorage, Storage};
use serde::{Deserialize, Serialize};

/// The localStorage key the journal of the store `backend` is saved under; `None` for the memory
/// store, whose events do not survive a reload either.
fn key(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::IndexedDb => Some("foldlab-journal"),
        Backend::LocalStorage => Some("foldlab-journal-localstorage"),
        Backend::Memory => None,
    }
}

/// How many entries are kept; older ones are dropped first.
pub const CAPACITY: usize = 5_000;

/// One delivery (or projector step) and where every checkpoint stood after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Counts every entry since the lab was last reset (1 for the first).
    pub number: u64,
    /// The checkpoint name of who received the event (`customer-service`, `customer-view`, …).
    pub subscriber: String,
    /// Who received it, for people.
    pub label: String,
    /// The `event_id` delivered.
    pub event_id: u64,
    /// The entity type and id of the aggregate that emitted the delivered event.
    pub source: String,
    /// The delivered event's type.
    pub event_type: String,
    /// Ids of the events the delivery stored.
    pub stored: Vec<u64>,
    /// A short name for the outcome ("state changed", "rule refused", "duplicate discarded", …).
    pub outcome: String,
    /// The plain sentence that ties the step to the pattern.
    pub sentence: String,
    /// The highest `event_id` stored right after the step.
    pub head: u64,
    /// Every checkpoint (by name) right after the step.
    pub positions: Vec<(String, u64)>,
    /// When it happened (milliseconds since the Unix epoch).
    pub at_ms: f64,
}

impl Entry {
    /// Where the checkpoint named `name` stood after this entry (0 if it had none).
    pub fn position(&self, name: &str) -> u64 {
        self.positions
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, p)| *p)
    }
}

/// Reads the saved journal; an unreadable one is reported and treated as empty (the events, which
/// are the truth, are not affected).
pub fn load(backend: Backend) -> Result<Vec<Entry>, String> {
    let Some(key) = key(backend) else {
        return Ok(Vec::new());
    };
    match LocalStorage::get::<Vec<Entry>>(key) {
        Ok(entries) => Ok(entries),
        Err(gloo_storage::errors::StorageError::KeyNotFound(_)) => Ok(Vec::new()),
        Err(error) => Err(format!(
            "The delivery journal in this browser could not be read ({error}); the timeline starts afresh. The events are unaffected."
        )),
    }
}

/// Saves the journal, keeping the newest [`CAPACITY`] entries.
pub fn save(backend: Backend, entries: &mut Vec<Entry>) -> Result<(), String> {
    if entries.len() > CAPACITY {
        entries.drain(..entries.len() - CAPACITY);
    }
    let Some(key) = key(backend) else {
        return Ok(());
    };
    LocalStorage::set(key, &*entries).map_err(|error| {
        format!(
            "The delivery journal could not be saved ({error}); the deliveries themselves were."
        )
    })
}

/// Forgets the journal (Reset lab).
pub fn clear(backend: Backend) {
    if let Some(key) = key(backend) {
        LocalStorage::delete(key);
    }
}

/// The last entry made when the log's head was at or below `head`: what every checkpoint held
/// while the log stood at `head`. `None` before the first delivery.
pub fn at_head(entries: &[Entry], head: u64) -> Option<&Entry> {
    let i = entries.partition_point(|e| e.head <= head);
    i.checked_sub(1).map(|i| &entries[i])
}
