//! The query side's one abstraction: a projection folds stored events into a view, one event at a
//! time, and remembers the highest `event_id` it has folded so that a redelivered event is
//! recognised and discarded (Part 2 of the article, "Benefits and Drawbacks of Event Sourcing": a
//! handler can detect duplicates by tracking the highest event id it has seen). The customer view,
//! the order history and the article's two queries an event store does not answer simply or
//! efficiently are all projections; the store crate's projector runs any of them against a store.
//!
//! A projection's state as of any position is the same fold over a prefix of the log
//! ([`as_of`]): a temporal query, answered from events alone.

use crate::codec::{decode, DecodeError, StoredEvent};
use crate::envelope::EventEnvelope;
use crate::parts::InParts;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;

/// What applying one event did to a view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The view changed.
    Updated,
    /// The event is not one the view uses (it only moves the checkpoint).
    Ignored,
    /// The event's id is not above the highest one applied: a duplicate delivery, discarded.
    Duplicate,
}

/// A view built only from events: a name to keep its checkpoint under, an initial state, and a
/// mechanical, total `evolve` (events are facts; a view never refuses one).
///
/// Implementations write `evolve` and the two accessors of the highest `event_id`; callers use
/// [`Projection::apply`], which decodes the event (upcasting older schemas), discards duplicates and
/// records the id.
pub trait Projection {
    /// The view. It is saved as JSON in the projection's checkpoint, so it must survive a round trip.
    type State: Clone + fmt::Debug + PartialEq + Serialize + DeserializeOwned + InParts;

    /// The name its checkpoint is saved under: stable, since renaming it loses the saved view.
    fn name(&self) -> &str;

    /// A name for people.
    fn label(&self) -> &str;

    /// The view before any event.
    fn initial_state(&self) -> Self::State;

    /// The highest `event_id` folded into `state` (0 before any).
    fn last_event_id(state: &Self::State) -> u64;

    /// Records that `event_id` has been folded into `state`.
    fn record_event_id(state: &mut Self::State, event_id: u64);

    /// Folds one decoded event into the view; `true` if the view changed. Never fails and never
    /// checks a rule: the event already happened.
    fn evolve(&self, state: &mut Self::State, envelope: &EventEnvelope, event: StoredEvent)
        -> bool;

    /// Applies one stored event at most once: an id at or below the highest one applied is a
    /// duplicate and changes nothing. An event that cannot be decoded changes nothing either, so it
    /// can be applied again once the code that reads it exists.
    fn apply(
        &self,
        state: &mut Self::State,
        envelope: &EventEnvelope,
    ) -> Result<ApplyOutcome, DecodeError> {
        if envelope.event_id <= Self::last_event_id(state) {
            return Ok(ApplyOutcome::Duplicate);
        }
        let event = decode(envelope)?;
        Self::record_event_id(state, envelope.event_id);
        Ok(if self.evolve(state, envelope, event) {
            ApplyOutcome::Updated
        } else {
            ApplyOutcome::Ignored
        })
    }
}

/// An event a projection could not read, and where it is in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadableEvent {
    /// The event's position.
    pub event_id: u64,
    /// Why it cannot be read.
    pub error: DecodeError,
}

impl fmt::Display for UnreadableEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Event #{} cannot be read: {}.",
            self.event_id, self.error
        )
    }
}

impl std::error::Error for UnreadableEvent {}

/// Folds `events` into `state` with [`Projection::apply`], in the order given.
pub fn project<'a, P: Projection>(
    projection: &P,
    mut state: P::State,
    events: impl IntoIterator<Item = &'a EventEnvelope>,
) -> Result<P::State, UnreadableEvent> {
    for envelope in events {
        projection
            .apply(&mut state, envelope)
            .map_err(|error| UnreadableEvent {
                event_id: envelope.event_id,
                error,
            })?;
    }
    Ok(state)
}

/// The view as of `position`: the fold of exactly the events with `event_id <= position`, from
/// the initial state. It is what the view would have held had it applied those events and no
/// others; a view that lagged held the state as of its own checkpoint at that moment.
pub fn as_of<'a, P: Projection>(
    projection: &P,
    events: impl IntoIterator<Item = &'a EventEnvelope>,
    position: u64,
) -> Result<P::State, UnreadableEvent> {
    project(
        projection,
        projection.initial_state(),
        events.into_iter().filter(|e| e.event_id <= position),
    )
}

/// Where the view of the projection named `name` would live outside the browser, as the lab says it
/// under each view: the kinds of database Part 2 of the article lists for the query side ("Using
/// CQRS", Table 1). `None` for a name the lab does not keep.
pub fn store_kind(name: &str) -> Option<&'static str> {
    use crate::{
        CustomerViewProjection, LowCreditLimitProjection, NewCustomersProjection,
        OrderHistoryProjection,
    };
    match name {
        CustomerViewProjection::NAME => Some(CustomerViewProjection::STORE_KIND),
        OrderHistoryProjection::NAME => Some(OrderHistoryProjection::STORE_KIND),
        LowCreditLimitProjection::NAME => Some(LowCreditLimitProjection::STORE_KIND),
        NewCustomersProjection::NAME => Some(NewCustomersProjection::STORE_KIND),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Log;
    use crate::view::CustomerViewProjection;
    use crate::{CustomerId, Money};

    fn log() -> Log {
        Log::new()
            .customer("c1", "Ada", 1_000)
            .order("o1", "c1", 300)
            .reserved("c1", "o1", 300)
            .approved("o1")
            .limit_changed("c1", 2_000)
    }

    #[test]
    fn apply_records_the_highest_event_id_and_discards_anything_at_or_below_it() {
        let view = CustomerViewProjection;
        let mut state = view.initial_state();
        let events = log();
        assert_eq!(
            view.apply(&mut state, &events.events()[0]),
            Ok(ApplyOutcome::Updated)
        );
        assert_eq!(CustomerViewProjection::last_event_id(&state), 1);
        assert_eq!(
            view.apply(&mut state, &events.events()[2]),
            Ok(ApplyOutcome::Updated)
        );
        assert_eq!(
            view.apply(&mut state, &events.events()[1]),
            Ok(ApplyOutcome::Duplicate),
            "an id below the highest applied is a late duplicate, even if it was never seen"
        );
        assert_eq!(
            view.apply(&mut state, &events.events()[2]),
            Ok(ApplyOutcome::Duplicate)
        );
        assert_eq!(CustomerViewProjection::last_event_id(&state), 3);
    }

    #[test]
    fn an_unreadable_event_changes_nothing_not_even_the_highest_id() {
        let view = CustomerViewProjection;
        let mut state = project(&view, view.initial_state(), log().events()).expect("folds");
        let before = state.clone();
        let mut newer = log().events()[3].clone();
        newer.event_id = 6;
        newer.schema_version = 99;
        assert!(matches!(
            view.apply(&mut state, &newer),
            Err(DecodeError::NewerSchema { .. })
        ));
        assert_eq!(state, before);
    }

    #[test]
    fn project_names_the_event_it_could_not_read() {
        let view = CustomerViewProjection;
        let mut events = log().events().to_vec();
        events[1].event_type = "OrderTeleported".into();
        let error = project(&view, view.initial_state(), &events).expect_err("unreadable");
        assert_eq!(error.event_id, 2);
        assert!(
            error.to_string().starts_with("Event #2 cannot be read"),
            "{error}"
        );
    }

    #[test]
    fn the_view_as_of_a_position_is_the_fold_of_the_events_up_to_it() {
        let view = CustomerViewProjection;
        let events = log();
        let at_3 = as_of(&view, events.events(), 3).expect("folds");
        let prefix = project(&view, view.initial_state(), &events.events()[..3]).expect("folds");
        assert_eq!(at_3, prefix);
        let ada = &at_3.customers[&CustomerId::new("c1")];
        assert_eq!(ada.available_credit, Money::from_cents(700));
        assert_eq!(
            ada.credit_limit,
            Money::from_cents(1_000),
            "the limit changed later"
        );
        assert_eq!(as_of(&view, events.events(), 0), Ok(view.initial_state()));
    }

    /// Issue 11: each view says what kind of store it would live in outside the browser, citing
    /// the article's table of query-side stores by part and section.
    #[test]
    fn every_view_the_lab_keeps_names_its_store_outside_the_browser() {
        use crate::{
            CustomerViewProjection, LowCreditLimitProjection, NewCustomersProjection,
            OrderHistoryProjection,
        };
        for name in [
            CustomerViewProjection::NAME,
            OrderHistoryProjection::NAME,
            LowCreditLimitProjection::NAME,
            NewCustomersProjection::NAME,
        ] {
            let kind = store_kind(name).expect("every view has one");
            assert!(kind.contains("Part 2, Using CQRS, Table 1"), "{kind}");
            assert!(kind.contains("MongoDB"), "{kind}");
        }
        assert!(store_kind(OrderHistoryProjection::NAME)
            .is_some_and(|k| k.contains("key-value store such as Redis")));
        assert_eq!(store_kind("no-such-view"), None);
    }
}
