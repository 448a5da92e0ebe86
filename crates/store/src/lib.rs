//! Foldlab's event store, which the seed article calls "a hybrid of a database and a message
//! broker": one narrow [`EventStore`] trait (append with an expected version, read a stream, read
//! everything after a position, learn of new events, keep a snapshot per stream), its backends, the
//! [`engine`] that runs the order-to-credit choreography on top of it one delivery at a time, the
//! [`projector`] that runs the query side's projections against it, the [`sim`]ulator that runs
//! the choreography under injected faults, and [`scenario`]s: such runs written as data.
#![deny(missing_docs)]

pub mod bench_data;
#[cfg(target_arch = "wasm32")]
pub mod browser;
pub mod engine;
pub mod fault_switch;
pub mod integrity;
pub mod json;
mod memory;
mod narrate;
mod notify;
pub mod projector;
pub mod query_side;
pub mod replay;
pub mod scenario;
pub mod sharing;
pub mod sim;
mod store;
pub mod timeline;

#[cfg(any(test, feature = "contract"))]
pub mod contract;

#[cfg(target_arch = "wasm32")]
pub use browser::{
    open_browser_store, open_browser_store_with, BrowserStore, IndexedDbStore, LocalStorageStore,
    OpenOptions,
};
pub use fault_switch::{FaultSwitch, Faults};
pub use integrity::{IntegrityReport, Problem, ProblemKind};
pub use memory::MemoryStore;
pub use narrate::narrate;
pub use notify::{Change, ChangeListener, Listener, Notifier};
pub use projector::{
    CatchUp, Lag, Progress, Projected, ProjectionStatus, Projector, ProjectorControl,
    ProjectorError,
};
pub use query_side::QuerySide;
pub use store::{Backend, Checkpoint, EventStore, ExpectedVersion, Snapshot, StoreError, StreamId};
