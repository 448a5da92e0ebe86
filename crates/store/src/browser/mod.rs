//! The browser backends (IndexedDB by default, localStorage as the fallback) and how the app opens
//! the best one the browser offers, telling the user in plain words when it had to fall back.

mod channel;
mod idb;
mod local;

pub use idb::IndexedDbStore;
pub use local::LocalStorageStore;

use crate::integrity::IntegrityReport;
use crate::memory::MemoryStore;
use crate::notify::{ChangeListener, Listener};
use crate::store::{
    Backend, Checkpoint, EventStore, ExpectedVersion, Generation, Snapshot, StoreError, StreamId,
    ViewMark, ViewSave,
};
use foldlab_domain::{EventEnvelope, NewEvent};
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// Whichever store the browser could give the lab: one type the app can hold without generics.
pub enum BrowserStore {
    /// IndexedDB, the default.
    IndexedDb(IndexedDbStore),
    /// localStorage, when IndexedDB cannot be opened.
    LocalStorage(LocalStorageStore),
    /// Memory, when the browser offers no storage at all: gone on reload.
    Memory(MemoryStore),
}

/// Opens the lab's store named `name`: IndexedDB (database `name`) if it can be opened, otherwise
/// localStorage (keys under `name/`), otherwise memory.
///
/// The second value is `None` for IndexedDB, and otherwise says in plain words why the lab fell back
/// and what that means, ready to show the user. [`EventStore::backend`] tells which store it is.
pub async fn open_browser_store(name: &str) -> (BrowserStore, Option<String>) {
    open_browser_store_with(name, &OpenOptions::default()).await
}

/// How [`open_browser_store_with`] opens the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Skip IndexedDB and go straight to the fallback, for this reason (shown to the user in the
    /// note that explains the fallback).
    pub skip_indexed_db: Option<String>,
}

/// [`open_browser_store`], with options: `skip_indexed_db` opens localStorage (or memory) as if
/// IndexedDB could not be opened, and the note names the reason given.
pub async fn open_browser_store_with(
    name: &str,
    options: &OpenOptions,
) -> (BrowserStore, Option<String>) {
    let idb_problem = match &options.skip_indexed_db {
        Some(reason) => reason.clone(),
        None => match IndexedDbStore::open(name).await {
            Ok(store) => return (BrowserStore::IndexedDb(store), None),
            Err(e) => detail(e),
        },
    };
    match LocalStorageStore::open(name) {
        Ok(store) => (
            BrowserStore::LocalStorage(store),
            Some(format!(
                "IndexedDB could not be opened ({idb_problem}), so the lab keeps its events in localStorage."
            )),
        ),
        Err(e) => (
            BrowserStore::Memory(MemoryStore::new()),
            Some(format!(
                "Neither IndexedDB ({idb_problem}) nor localStorage ({}) can be used, so the lab keeps its events in memory: they will not survive a reload.",
                detail(e)
            )),
        ),
    }
}

/// The inner text of an error, for a sentence that already says what failed.
fn detail(error: StoreError) -> String {
    match error {
        StoreError::Unavailable(d) | StoreError::QuotaExceeded(d) | StoreError::Corrupt(d) => d,
        other @ (StoreError::Conflict { .. } | StoreError::Crashed { .. }) => other.to_string(),
    }
}

impl BrowserStore {
    /// A second handle on the same storage, named `name` as when it was opened: a new connection
    /// to the IndexedDB database, or a new handle on the localStorage keys, as another tab would
    /// have. A memory store has no storage to share, so it cannot be opened again.
    pub async fn open_again(&self, name: &str) -> Result<BrowserStore, StoreError> {
        match self {
            BrowserStore::IndexedDb(_) => IndexedDbStore::open(name)
                .await
                .map(BrowserStore::IndexedDb),
            BrowserStore::LocalStorage(_) => {
                LocalStorageStore::open(name).map(BrowserStore::LocalStorage)
            }
            BrowserStore::Memory(_) => Err(StoreError::Unavailable(
                "the events are kept in memory, which a second handle cannot share".to_string(),
            )),
        }
    }
}

impl BrowserStore {
    /// Calls `listener` with each write another handle on the same storage commits: another tab
    /// (or a second handle in this page) appended, saved a checkpoint or a snapshot, or cleared
    /// the store. Another handle's appends also reach [`EventStore::subscribe`]'s listeners with
    /// the new head. A memory store, or a browser without `BroadcastChannel`, hears nothing.
    pub fn on_external_change(&self, listener: ChangeListener) {
        match self {
            BrowserStore::IndexedDb(s) => s.on_external_change(listener),
            BrowserStore::LocalStorage(s) => s.on_external_change(listener),
            BrowserStore::Memory(_) => {}
        }
    }

    /// Reads every stored record on its own and reports what is damaged (naming each record, and
    /// its stream when it can be told) and what reads ([`crate::integrity`]). Changes and deletes
    /// nothing. [`crate::integrity::salvage`] turns the report's readable part into a lab export.
    /// Fails only when the storage cannot be read at all.
    pub async fn check_integrity(&self) -> Result<IntegrityReport, StoreError> {
        self.check_integrity_paced(async || {}).await
    }

    /// [`BrowserStore::check_integrity`], awaiting `pace` before each page of events IndexedDB
    /// reads (see [`IndexedDbStore::check_integrity_paced`]); localStorage reads in one go.
    pub async fn check_integrity_paced(
        &self,
        pace: impl AsyncFn(),
    ) -> Result<IntegrityReport, StoreError> {
        match self {
            BrowserStore::IndexedDb(s) => s.check_integrity_paced(pace).await,
            BrowserStore::LocalStorage(s) => s.check_integrity().await,
            BrowserStore::Memory(s) => Ok(s.check_integrity()),
        }
    }

    /// Whether other tabs learn of this handle's writes (and it of theirs).
    pub fn tells_other_tabs(&self) -> bool {
        match self {
            BrowserStore::IndexedDb(s) => s.tells_other_tabs(),
            BrowserStore::LocalStorage(s) => s.tells_other_tabs(),
            BrowserStore::Memory(_) => false,
        }
    }
}

impl fmt::Debug for BrowserStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BrowserStore({})", self.backend())
    }
}

/// Forwards a call to whichever store this is.
macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            BrowserStore::IndexedDb($store) => $call,
            BrowserStore::LocalStorage($store) => $call,
            BrowserStore::Memory($store) => $call,
        }
    };
}

impl EventStore for BrowserStore {
    fn backend(&self) -> Backend {
        delegate!(self, s => s.backend())
    }

    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        delegate!(self, s => s.append(stream, expected, events).await)
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        delegate!(self, s => s.read_stream(stream, after_version).await)
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        delegate!(self, s => s.read_all(after_position, limit).await)
    }

    async fn head(&self) -> Result<u64, StoreError> {
        delegate!(self, s => s.head().await)
    }

    async fn load_checkpoint(&self, subscriber: &str) -> Result<Option<Checkpoint>, StoreError> {
        delegate!(self, s => s.load_checkpoint(subscriber).await)
    }

    async fn load_position(&self, subscriber: &str) -> Result<Option<u64>, StoreError> {
        delegate!(self, s => s.load_position(subscriber).await)
    }

    async fn holds_checkpoint(&self, checkpoint: &Checkpoint) -> Result<bool, StoreError> {
        delegate!(self, s => s.holds_checkpoint(checkpoint).await)
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        delegate!(self, s => s.save_checkpoint(checkpoint).await)
    }

    fn saves_views_in_parts(&self) -> bool {
        delegate!(self, s => s.saves_views_in_parts())
    }

    async fn save_view(&self, save: &ViewSave<'_>) -> Result<Option<ViewMark>, StoreError> {
        delegate!(self, s => s.save_view(save).await)
    }

    async fn load_view(
        &self,
        subscriber: &str,
    ) -> Result<Option<(Checkpoint, Option<ViewMark>)>, StoreError> {
        delegate!(self, s => s.load_view(subscriber).await)
    }

    async fn holds_view(&self, mark: &ViewMark) -> Result<bool, StoreError> {
        delegate!(self, s => s.holds_view(mark).await)
    }

    async fn save_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        delegate!(self, s => s.save_snapshot(snapshot).await)
    }

    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        delegate!(self, s => s.load_snapshot(stream).await)
    }

    async fn clear(&self) -> Result<(), StoreError> {
        delegate!(self, s => s.clear().await)
    }

    fn generation(&self) -> Option<Generation> {
        delegate!(self, s => s.generation())
    }

    fn subscribe(&self, listener: Listener) {
        delegate!(self, s => s.subscribe(listener))
    }
}

/// What a browser API threw or reported: the DOMException's name (which decides the
/// [`StoreError`] variant) and its message.
#[derive(Debug)]
struct Failure {
    name: String,
    message: String,
}

impl Failure {
    /// Reads a thrown value: usually a `DOMException`, sometimes a plain JS `Error`.
    fn from_js(value: &JsValue) -> Self {
        if let Some(e) = value.dyn_ref::<web_sys::DomException>() {
            Self {
                name: e.name(),
                message: e.message(),
            }
        } else if let Some(e) = value.dyn_ref::<js_sys::Error>() {
            Self {
                name: e.name().into(),
                message: e.message().into(),
            }
        } else {
            Self {
                name: "Error".into(),
                message: format!("{value:?}"),
            }
        }
    }

    /// A quota error is [`StoreError::QuotaExceeded`]; anything else means the storage cannot be
    /// used right now. `doing` says what was attempted, e.g. "storing the events".
    fn into_store_error(self, doing: &str) -> StoreError {
        if self.is_quota() && self.message.is_empty() {
            StoreError::QuotaExceeded(doing.to_string())
        } else if self.is_quota() {
            StoreError::QuotaExceeded(format!("{doing}: {}", self.message))
        } else {
            StoreError::Unavailable(format!("{doing}: {self}"))
        }
    }

    fn is_quota(&self) -> bool {
        self.name == "QuotaExceededError"
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

/// Reads `property` of the global object (`window`, or a worker's `self`). Looked up by name
/// rather than through web-sys's getters so a missing API (undefined, or a getter that throws) is
/// an error value, and so tests can shadow it.
fn global_property<T: JsCast>(property: &str) -> Result<T, String> {
    let value = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(property))
        .map_err(|e| Failure::from_js(&e).to_string())?;
    if value.is_undefined() || value.is_null() {
        return Err(format!("this browser offers no {property}"));
    }
    value
        .dyn_into::<T>()
        .map_err(|_| format!("{property} is not what the browser should provide"))
}
