//! The lab's journal: every delivery and projector step made in this browser, each with the head of
//! the log and every checkpoint right after it. The choreography timeline replays it, and time
//! travel reads from it what each view held when the log stood at a given position (lag included).
//!
//! The events themselves are in the event store; the journal only remembers *when* each checkpoint
//! moved, which no event records. It is kept in localStorage beside the store, so a reload keeps the
//! history, and it is cleared with the lab. Each store has its own journal (IndexedDB and the
//! localStorage fallback hold different logs); the memory store's lives only as long as the page.

pub use foldlab_lab::journal::{at_head, Entry, Happened, CAPACITY};
use foldlab_store::Backend;
use gloo_storage::{LocalStorage, Storage};

/// The localStorage key the journal of the store `backend` is saved under; `None` for the memory
/// store, whose events do not survive a reload either.
fn key(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::IndexedDb => Some("foldlab-journal"),
        Backend::LocalStorage => Some("foldlab-journal-localstorage"),
        Backend::Memory => None,
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
