//! Foldlab's engine, on top of any [`foldlab_store::EventStore`]: user commands against one
//! aggregate each, retried on a concurrency conflict; deliveries of stored events to the services
//! and views one at a time, with checkpoints and duplicate detection; the load path (the snapshot
//! policy, the latest trusted snapshot plus the events after it, a report of what a load did, and
//! loads as of any past event); the [`projector`] that runs each projection of the query side, and
//! the [`QuerySide`] that lists them.
#![deny(missing_docs)]

mod engine;
pub mod projector;
pub mod query_side;
pub mod replay;

pub use engine::*;
pub use projector::{
    CatchUp, Lag, Progress, Projected, ProjectionStatus, Projector, ProjectorControl,
    ProjectorError, ViewVersion,
};
pub use query_side::QuerySide;
