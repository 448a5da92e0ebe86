//! The Decider shape every aggregate follows: `decide` turns a command into events (the only place
//! rules live) and `evolve` folds one event into the state (mechanical and total: events are facts).

/// An aggregate written as a decider (Jérémie Chassaing's pattern).
///
/// State is a functional fold over events starting at [`Decider::initial_state`]; a snapshot is
/// simply another starting value for the same fold.
pub trait Decider {
    /// What the user or another service asks the aggregate to do.
    type Command;
    /// What happened to the aggregate.
    type Event;
    /// The state rebuilt by folding events.
    type State: Clone;
    /// Why a command was refused.
    type Error;

    /// The state before the first event.
    fn initial_state() -> Self::State;

    /// Decides which events a command produces in the given state, or refuses it.
    fn decide(
        command: &Self::Command,
        state: &Self::State,
    ) -> Result<Vec<Self::Event>, Self::Error>;

    /// Folds one event into the state. Never fails and never checks a rule.
    fn evolve(state: Self::State, event: &Self::Event) -> Self::State;
}

/// Folds `events` into `state` with `D::evolve`: the one fold used for loading aggregates,
/// snapshots, temporal queries and projections alike.
pub fn fold<'a, D: Decider>(
    state: D::State,
    events: impl IntoIterator<Item = &'a D::Event>,
) -> D::State
where
    D::Event: 'a,
{
    events.into_iter().fold(state, D::evolve)
}
