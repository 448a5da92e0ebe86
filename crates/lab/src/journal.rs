//! The types of the app's journal: every command, delivery and projector move made in a browser,
//! each with the head of the log and every checkpoint right after it. The app keeps it in
//! localStorage and a lab file carries it; the timeline and time travel read it.

use foldlab_engine::OutcomeKind;
use foldlab_store::StreamId;
use serde::{Deserialize, Deserializer, Serialize};

/// How many entries are kept; older ones are dropped first.
pub const CAPACITY: usize = 5_000;

/// One delivery (or projector step) and where every checkpoint stood after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Counts every entry since the lab was last reset (1 for the first).
    pub number: u64,
    /// The checkpoint name of who received the event (`customer-service`, `customer-view`, …).
    pub subscriber: String,
    /// Who received it, for people.
    pub label: String,
    /// The `event_id` delivered.
    pub event_id: u64,
    /// The stream of the aggregate that emitted the delivered event (or that a command went to).
    #[serde(deserialize_with = "stream_or_text")]
    pub source: StreamId,
    /// The delivered event's type.
    pub event_type: String,
    /// Ids of the events the delivery stored.
    pub stored: Vec<u64>,
    /// What happened.
    #[serde(deserialize_with = "happened_or_label")]
    pub outcome: Happened,
    /// The plain sentence that ties the step to the pattern.
    pub sentence: String,
    /// The highest `event_id` stored right after the step.
    pub head: u64,
    /// Every checkpoint (by name) right after the step.
    pub positions: Vec<(String, u64)>,
    /// When it happened (milliseconds since the Unix epoch).
    pub at_ms: f64,
}

impl Entry {
    /// Where the checkpoint named `name` stood after this entry (0 if it had none).
    pub fn position(&self, name: &str) -> u64 {
        self.positions
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, p)| *p)
    }
}

/// What a journal entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Happened {
    /// A user's command stored events on one aggregate.
    Command,
    /// An event was delivered to a service or a projection, and this is what it came to.
    Delivered(OutcomeKind),
    /// A projector was moved or switched by hand.
    Projector(ProjectorMove),
}

/// A projector moved or switched by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectorMove {
    /// It applied every event after its checkpoint.
    CaughtUp,
    /// Its view was dropped and built again from position 0.
    Rebuilt,
    /// It was added late, at position 0.
    Added,
    /// It was paused.
    Paused,
    /// It was resumed.
    Resumed,
    /// It applied the next event.
    Stepped,
}

impl Happened {
    /// A short name for people ("state changed", "refusal recorded", "caught up").
    pub fn label(self) -> &'static str {
        match self {
            Happened::Command => "state changed",
            Happened::Delivered(kind) => kind.label(),
            Happened::Projector(ProjectorMove::CaughtUp) => "caught up",
            Happened::Projector(ProjectorMove::Rebuilt) => "rebuilt",
            Happened::Projector(ProjectorMove::Added) => "added",
            Happened::Projector(ProjectorMove::Paused) => "paused",
            Happened::Projector(ProjectorMove::Resumed) => "resumed",
            Happened::Projector(ProjectorMove::Stepped) => "stepped",
        }
    }

    /// What an entry written before outcomes were typed meant by `label`.
    fn from_label(label: &str) -> Option<Happened> {
        Some(match label {
            "caught up" | "projection caught up" => Happened::Projector(ProjectorMove::CaughtUp),
            "rebuilt" | "projection was rebuilt from position 0" => {
                Happened::Projector(ProjectorMove::Rebuilt)
            }
            "added" => Happened::Projector(ProjectorMove::Added),
            "projection was paused" => Happened::Projector(ProjectorMove::Paused),
            "projection was resumed" => Happened::Projector(ProjectorMove::Resumed),
            "projection applied one more event" => Happened::Projector(ProjectorMove::Stepped),
            "crashed before its checkpoint" => Happened::Delivered(OutcomeKind::Crashed),
            other => Happened::Delivered(
                serde_json::from_value(serde_json::Value::String(other.to_string())).ok()?,
            ),
        })
    }
}

impl std::fmt::Display for Happened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// An entry's outcome as written now, or as a label an older Foldlab wrote ("state changed").
fn happened_or_label<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Happened, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Typed(Happened),
        Label(String),
    }
    match Written::deserialize(deserializer)? {
        Written::Typed(happened) => Ok(happened),
        Written::Label(label) => Happened::from_label(&label)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown outcome `{label}`"))),
    }
}

/// An entry's source as written now, or as the text an older Foldlab wrote (`Order o-1`).
fn stream_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<StreamId, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Stream(StreamId),
        Text(String),
    }
    match Written::deserialize(deserializer)? {
        Written::Stream(stream) => Ok(stream),
        Written::Text(text) => match text.split_once(' ') {
            Some((entity_type, entity_id)) => Ok(StreamId::new(entity_type, entity_id)),
            None => Err(serde::de::Error::custom(format!("not a stream: `{text}`"))),
        },
    }
}

/// The last entry made when the log's head was at or below `head`: what every checkpoint held
/// while the log stood at `head`. `None` before the first delivery.
pub fn at_head(entries: &[Entry], head: u64) -> Option<&Entry> {
    let i = entries.partition_point(|e| e.head <= head);
    i.checked_sub(1).map(|i| &entries[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(outcome: serde_json::Value, source: serde_json::Value) -> serde_json::Value {
        serde_json::json!({
            "number": 1, "subscriber": "customer-service", "label": "Customer service",
            "event_id": 2, "source": source, "event_type": "OrderCreated", "stored": [3],
            "outcome": outcome, "sentence": "s", "head": 3,
            "positions": [["customer-service", 2]], "at_ms": 0.0
        })
    }

    #[test]
    fn an_entry_written_before_outcomes_were_typed_still_reads() {
        let old: Entry = serde_json::from_value(entry("state changed".into(), "Order o-1".into()))
            .expect("an older journal reads");
        assert_eq!(old.outcome, Happened::Delivered(OutcomeKind::Appended));
        assert_eq!(old.source, StreamId::new("Order", "o-1"));
        let caught_up: Entry =
            serde_json::from_value(entry("caught up".into(), "Customer c1".into())).expect("reads");
        assert_eq!(
            caught_up.outcome,
            Happened::Projector(ProjectorMove::CaughtUp)
        );
    }

    #[test]
    fn an_entry_round_trips_with_its_typed_outcome_and_stream() {
        let now: Entry = serde_json::from_value(entry(
            serde_json::json!({"delivered": "refusal_recorded"}),
            serde_json::json!({"entity_type": "Customer", "entity_id": "c1"}),
        ))
        .expect("reads");
        assert_eq!(
            now.outcome,
            Happened::Delivered(OutcomeKind::RefusalRecorded)
        );
        assert_eq!(now.outcome.label(), "refusal recorded");
        let again: Entry =
            serde_json::from_str(&serde_json::to_string(&now).expect("writes")).expect("reads");
        assert_eq!(again, now);
    }

    #[test]
    fn an_unknown_outcome_is_refused_not_guessed() {
        let refused = serde_json::from_value::<Entry>(entry("exploded".into(), "Order o-1".into()));
        assert!(refused.is_err());
    }
}
