//! Fault injection for the engine's tests and, later, a deterministic fault simulator: a store that
//! crashes a subscriber between its effect and its checkpoint, and lets concurrent tasks interleave.

mod faulty;

pub use faulty::{crash_error, FaultyStore};
