//! The envelope an event store keeps around each event: the article's columns (`entity_type`,
//! `entity_id`, `event_id`, `event_type`, `event_data`) plus what a real store needs besides.

use serde::{Deserialize, Serialize};

/// Who caused an event and why: the audit trail the seed article credits event sourcing with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// Who caused it: `user` for a form in the lab, or the service that reacted (`customer-service`).
    pub actor: String,
    /// Shared by every event that follows from one user action.
    pub correlation_id: String,
    /// The `event_id` of the event whose handling produced this one; `None` for a user's command.
    pub causation_id: Option<u64>,
}

/// One stored event, as read back from the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// Global position in the log: monotonic, starting at 1, never reused.
    pub event_id: u64,
    /// The aggregate type: `Order` or `Customer`.
    pub entity_type: String,
    /// The aggregate's id.
    pub entity_id: String,
    /// Position within the entity's own stream, starting at 1, with no gaps.
    pub version: u64,
    /// The event's type name, e.g. `OrderCreated`.
    pub event_type: String,
    /// The schema version `event_data` was written with.
    pub schema_version: u32,
    /// The event's attributes as JSON text.
    pub event_data: String,
    /// When it was stored, in milliseconds since the Unix epoch.
    pub recorded_at: i64,
    /// Who caused it and why.
    pub metadata: Metadata,
}

/// An event on its way into the store: the envelope less what the store assigns
/// (`event_id`, `version`, and the entity, which an append names once for its whole batch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEvent {
    /// The event's type name.
    pub event_type: String,
    /// The schema version of `event_data`.
    pub schema_version: u32,
    /// The event's attributes as JSON text.
    pub event_data: String,
    /// When it happened, in milliseconds since the Unix epoch (the caller owns the clock).
    pub recorded_at: i64,
    /// Who caused it and why.
    pub metadata: Metadata,
}

impl From<EventEnvelope> for NewEvent {
    /// The event a stored envelope was numbered from: to store it again, elsewhere or renumbered.
    fn from(envelope: EventEnvelope) -> Self {
        NewEvent {
            event_type: envelope.event_type,
            schema_version: envelope.schema_version,
            event_data: envelope.event_data,
            recorded_at: envelope.recorded_at,
            metadata: envelope.metadata,
        }
    }
}
