//! What Foldlab's app needs that runs natively, on top of the engine: the [`sim`]ulator's step
//! vocabulary and the one runner that carries steps out (the simulator is that runner plus a
//! watcher of invariants), [`scenario`] files and their player, the lab file ([`sharing`]) and
//! [`salvage`] of a damaged store, one sentence per delivery ([`narrate`]), the [`timeline`]'s
//! arithmetic, the [`marks`] for what is new between two renders, what one event [`changed`], the
//! [`journal`]'s types, [`bench_data`] shared with the benchmarks, the [`lesson`] model (steps, the learner's acts
//! judged from the store, questions) and the faults' [`counterfactual`] runs with their mechanism
//! switched off, and the room the browser's storage [`quota`] leaves.
#![deny(missing_docs)]

pub mod bench_data;
pub mod changed;
pub mod counterfactual;
pub mod journal;
pub mod json;
pub mod lesson;
pub mod lesson_text;
pub mod marks;
mod narrate;
pub mod quota;
pub use narrate::counted;
pub mod runner;
pub mod salvage;
pub mod scenario;
pub mod sharing;
pub mod sim;
pub mod step;
pub mod timeline;

pub use narrate::narrate;
