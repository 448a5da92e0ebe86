//! Foldlab's event store, which Part 2 of the article calls "a hybrid of a database and a message
//! broker": one narrow [`EventStore`] trait (append with an expected version, read a stream, read
//! everything after a position, learn of new events, keep a snapshot per stream) and its values;
//! the memory and browser backends; change notification between handles; the one fault wrapper
//! ([`FaultSwitch`]) that breaks any store on purpose; the integrity check of a stored log; and the
//! contract suite every backend passes. Nothing here knows of orders, services or the user
//! interface: the engine and the lab sit on top.
#![deny(missing_docs)]

#[cfg(target_arch = "wasm32")]
pub mod browser;
mod faults;
pub mod integrity;
mod memory;
mod notify;
mod store;
mod stream;

#[cfg(any(test, feature = "contract"))]
pub mod contract;

#[cfg(target_arch = "wasm32")]
pub use browser::{
    open_browser_store, open_browser_store_with, BrowserStore, IndexedDbStore, LocalStorageStore,
    OpenOptions,
};
pub use faults::{FaultSwitch, Faults};
pub use integrity::{IntegrityReport, Problem, ProblemKind};
pub use memory::MemoryStore;
pub use notify::{Change, ChangeListener, ClosedBy, Listener, Notifier};
pub use store::{
    Backend, Checkpoint, Conflict, EventStore, ExpectedVersion, Generation, HeldView, Replacing,
    Snapshot, StoreError, StreamId, ViewMark, ViewSave,
};
