//! Each aggregate's state as this engine's last command on it left it, so the next command on it
//! decides without reading the stream again.
//!
//! A kept state is a guess the store checks, never a fact. The append that follows it states
//! [`ExpectedVersion::Kept`]: the version the state is at and the store's generation it was read
//! in. If anything was appended to the stream since (another tab, a second instance of a service),
//! or the store was reset or replaced, the store refuses the append and stores nothing; the engine
//! then loads the aggregate as it always did and decides again. So a command decided on a kept
//! state is stored only when the state is the stream's current one, exactly as a freshly loaded
//! one would be.

use foldlab_store::{ExpectedVersion, Generation, StreamId};
use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;

/// How many aggregates' states are kept at most; past it the whole set is dropped and refilled by
/// the next commands (a lab rarely has this many aggregates in play).
const LIMIT: usize = 4096;

/// One aggregate's kept state.
pub(super) struct KeptState<State> {
    /// The fold of the stream up to `version`.
    pub state: State,
    /// The stream's version after the last command's append.
    pub version: u64,
    /// The store's generation the state belongs to.
    pub generation: Generation,
    /// The highest `causation_id` among the stream's events (as [`super::LoadReport`] has it).
    pub caused_through: Option<u64>,
}

impl<State> KeptState<State> {
    /// The expectation an append decided on this state states.
    pub fn expected(&self) -> ExpectedVersion {
        ExpectedVersion::Kept {
            version: self.version,
            generation: self.generation,
        }
    }
}

/// The kept states, by stream. Each is taken out while a command uses it, so two commands on one
/// aggregate at once never both decide on it (the second loads the stream).
#[derive(Default)]
pub(super) struct Kept {
    states: RefCell<HashMap<StreamId, Box<dyn Any>>>,
}

impl Kept {
    /// Takes the state kept for `stream`, if there is one of type `State`.
    pub fn take<State: 'static>(&self, stream: &StreamId) -> Option<KeptState<State>> {
        let kept = self.states.borrow_mut().remove(stream)?;
        kept.downcast::<KeptState<State>>().ok().map(|kept| *kept)
    }

    /// Keeps `kept` for `stream`, unless a state at a later version of the same generation is
    /// already kept (a command that finished after this one).
    pub fn keep<State: 'static>(&self, stream: &StreamId, kept: KeptState<State>) {
        let mut states = self.states.borrow_mut();
        let newer = states
            .get(stream)
            .and_then(|other| other.downcast_ref::<KeptState<State>>())
            .is_some_and(|other| {
                other.generation == kept.generation && other.version > kept.version
            });
        if newer {
            return;
        }
        if states.len() >= LIMIT && !states.contains_key(stream) {
            states.clear();
        }
        states.insert(stream.clone(), Box::new(kept));
    }

    /// Forgets the state kept for `stream` (another handle wrote to it).
    pub fn forget(&self, stream: &StreamId) {
        self.states.borrow_mut().remove(stream);
    }

    /// Forgets every kept state (the store was reset or replaced).
    pub fn forget_all(&self) {
        self.states.borrow_mut().clear();
    }

    /// How many aggregates' states are kept.
    pub fn len(&self) -> usize {
        self.states.borrow().len()
    }
}
