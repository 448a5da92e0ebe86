//! Foldlab's event store, which the seed article calls "a hybrid of a database and a message
//! broker": one narrow [`EventStore`] trait (append with an expected version, read a stream, read
//! everything after a position, learn of new events), its backends, and the [`engine`] that runs the
//! order-to-credit choreography on top of it one delivery at a time.
#![deny(missing_docs)]

pub mod engine;
mod memory;
mod notify;
mod store;

#[cfg(any(test, feature = "contract"))]
pub mod contract;

pub use memory::MemoryStore;
pub use notify::{Listener, Notifier};
pub use store::{Backend, Checkpoint, EventStore, ExpectedVersion, StoreError, StreamId};
