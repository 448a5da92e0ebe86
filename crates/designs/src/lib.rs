//! Seven ways to keep an Order service and a Customer service consistent, from one monolith
//! database to event sourcing, each as real code over the same storage, run through the same story
//! with a crash where the user picks, and judged by one invariant checker.
//!
//! - [`storage`]: named databases of tables; a commit writes one database all or nothing.
//! - [`design`]: the seven designs and [`design::run`], which plays the story under one of them.
//! - [`check`]: the invariant checker, one sentence per broken promise.
//! - [`sim`]: the simulator, every design over many seeds, and its table.
//! - [`lesson`]: what each design teaches, with where the articles say it.
#![deny(missing_docs)]

pub mod check;
pub mod design;
pub mod env;
pub mod lesson;
pub mod sim;
pub mod storage;

#[cfg(target_arch = "wasm32")]
pub mod browser;

pub use check::{Finding, Kind};
pub use design::{run, Design, NewOrder, Options, Outcome, Story, StoryStep};
pub use env::{Crash, CrashPoint};
pub use storage::{Database, MemoryStorage, Storage, StorageError};
