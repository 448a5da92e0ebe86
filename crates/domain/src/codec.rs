//! How domain events cross the storage boundary: an explicit type name and schema version on the way
//! out, and a checked decode on the way back in (an unknown type or a newer schema is an error value,
//! never a panic).

use crate::customer::{CreditLimitExceeded, CreditReserved, CustomerCreated, CustomerEvent};
use crate::envelope::{EventEnvelope, Metadata, NewEvent};
use crate::ids::{CustomerId, OrderId};
use crate::order::{OrderCancelled, OrderCreated, OrderEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;

/// An event type that knows its stored form.
pub trait DomainEvent: Sized {
    /// The `entity_type` its aggregate is stored under.
    const ENTITY_TYPE: &'static str;

    /// The stored type name.
    fn event_type(&self) -> &'static str;

    /// The schema version this code writes.
    fn schema_version(&self) -> u32;

    /// The event's attributes as JSON text.
    fn event_data(&self) -> String;

    /// Reads an event back from its stored parts.
    fn from_stored(event_type: &str, schema_version: u32, data: &str) -> Result<Self, DecodeError>;

    /// Wraps the event for an append.
    fn to_new_event(&self, recorded_at: i64, metadata: Metadata) -> NewEvent {
        NewEvent {
            event_type: self.event_type().to_string(),
            schema_version: self.schema_version(),
            event_data: self.event_data(),
            recorded_at,
            metadata,
        }
    }
}

/// Why a stored event could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// No aggregate of this type exists in this version of Foldlab.
    UnknownEntityType(String),
    /// No event of this type exists for the aggregate.
    UnknownEventType {
        /// The aggregate type.
        entity_type: String,
        /// The unknown event type.
        event_type: String,
    },
    /// The event was written by a newer version of Foldlab than this one.
    NewerSchema {
        /// The event type.
        event_type: String,
        /// The version found in the store.
        found: u32,
        /// The newest version this code reads.
        known: u32,
    },
    /// The JSON does not have the shape the event type requires.
    BadData {
        /// The event type.
        event_type: String,
        /// What the JSON reader said.
        message: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::UnknownEntityType(t) => write!(f, "unknown entity type \u{201c}{t}\u{201d}"),
            DecodeError::UnknownEventType { entity_type, event_type } => {
                write!(f, "{entity_type} has no event type \u{201c}{event_type}\u{201d}")
            }
            DecodeError::NewerSchema { event_type, found, known } => write!(
                f,
                "{event_type} was stored with schema version {found}, but this version of Foldlab reads up to version {known}"
            ),
            DecodeError::BadData { event_type, message } => {
                write!(f, "the data of a {event_type} event is malformed: {message}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// The schema version every event type is written with today.
const CURRENT_SCHEMA: u32 = 1;

fn to_json<T: Serialize>(value: &T) -> String {
    // Serializing these plain structs (strings, integers, string-keyed maps) cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_string())
}

fn parse<T: DeserializeOwned>(
    event_type: &str,
    version: u32,
    data: &str,
) -> Result<T, DecodeError> {
    if version > CURRENT_SCHEMA {
        return Err(DecodeError::NewerSchema {
            event_type: event_type.to_string(),
            found: version,
            known: CURRENT_SCHEMA,
        });
    }
    serde_json::from_str(data).map_err(|e| DecodeError::BadData {
        event_type: event_type.to_string(),
        message: e.to_string(),
    })
}

/// Data of events that carry nothing but their type.
#[derive(serde::Serialize, serde::Deserialize)]
struct Empty {}

impl DomainEvent for OrderEvent {
    const ENTITY_TYPE: &'static str = "Order";

    fn event_type(&self) -> &'static str {
        match self {
            OrderEvent::Created(_) => "OrderCreated",
            OrderEvent::Approved => "OrderApproved",
            OrderEvent::Cancelled(_) => "OrderCancelled",
        }
    }

    fn schema_version(&self) -> u32 {
        CURRENT_SCHEMA
    }

    fn event_data(&self) -> String {
        match self {
            OrderEvent::Created(data) => to_json(data),
            OrderEvent::Approved => to_json(&Empty {}),
            OrderEvent::Cancelled(data) => to_json(data),
        }
    }

    fn from_stored(event_type: &str, version: u32, data: &str) -> Result<Self, DecodeError> {
        match event_type {
            "OrderCreated" => {
                parse::<OrderCreated>(event_type, version, data).map(OrderEvent::Created)
            }
            "OrderApproved" => {
                parse::<Empty>(event_type, version, data).map(|_| OrderEvent::Approved)
            }
            "OrderCancelled" => {
                parse::<OrderCancelled>(event_type, version, data).map(OrderEvent::Cancelled)
            }
            other => Err(DecodeError::UnknownEventType {
                entity_type: Self::ENTITY_TYPE.to_string(),
                event_type: other.to_string(),
            }),
        }
    }
}

impl DomainEvent for CustomerEvent {
    const ENTITY_TYPE: &'static str = "Customer";

    fn event_type(&self) -> &'static str {
        match self {
            CustomerEvent::Created(_) => "CustomerCreated",
            CustomerEvent::CreditReserved(_) => "CreditReserved",
            CustomerEvent::CreditLimitExceeded(_) => "CreditLimitExceeded",
        }
    }

    fn schema_version(&self) -> u32 {
        CURRENT_SCHEMA
    }

    fn event_data(&self) -> String {
        match self {
            CustomerEvent::Created(data) => to_json(data),
            CustomerEvent::CreditReserved(data) => to_json(data),
            CustomerEvent::CreditLimitExceeded(data) => to_json(data),
        }
    }

    fn from_stored(event_type: &str, version: u32, data: &str) -> Result<Self, DecodeError> {
        match event_type {
            "CustomerCreated" => {
                parse::<CustomerCreated>(event_type, version, data).map(CustomerEvent::Created)
            }
            "CreditReserved" => parse::<CreditReserved>(event_type, version, data)
                .map(CustomerEvent::CreditReserved),
            "CreditLimitExceeded" => parse::<CreditLimitExceeded>(event_type, version, data)
                .map(CustomerEvent::CreditLimitExceeded),
            other => Err(DecodeError::UnknownEventType {
                entity_type: Self::ENTITY_TYPE.to_string(),
                event_type: other.to_string(),
            }),
        }
    }
}

/// A decoded event of any aggregate, with the id of the aggregate it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredEvent {
    /// An event of an Order.
    Order(OrderId, OrderEvent),
    /// An event of a Customer.
    Customer(CustomerId, CustomerEvent),
}

/// Decodes an envelope into the event of the aggregate it names.
pub fn decode(envelope: &EventEnvelope) -> Result<StoredEvent, DecodeError> {
    let (t, v, d) = (
        envelope.event_type.as_str(),
        envelope.schema_version,
        envelope.event_data.as_str(),
    );
    match envelope.entity_type.as_str() {
        OrderEvent::ENTITY_TYPE => OrderEvent::from_stored(t, v, d)
            .map(|e| StoredEvent::Order(OrderId::new(&envelope.entity_id), e)),
        CustomerEvent::ENTITY_TYPE => CustomerEvent::from_stored(t, v, d)
            .map(|e| StoredEvent::Customer(CustomerId::new(&envelope.entity_id), e)),
        other => Err(DecodeError::UnknownEntityType(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use crate::order::CancelReason;

    fn round_trip<E: DomainEvent + PartialEq + fmt::Debug>(event: E) {
        let back = E::from_stored(
            event.event_type(),
            event.schema_version(),
            &event.event_data(),
        );
        assert_eq!(back, Ok(event));
    }

    #[test]
    fn every_event_reads_back_as_it_was_written() {
        round_trip(OrderEvent::Created(OrderCreated {
            customer_id: CustomerId::new("c1"),
            total: Money::from_cents(1),
        }));
        round_trip(OrderEvent::Approved);
        round_trip(OrderEvent::Cancelled(OrderCancelled {
            reason: CancelReason::CreditLimitExceeded,
        }));
        round_trip(CustomerEvent::Created(CustomerCreated {
            name: "<b>Ada</b>".into(),
            credit_limit: Money::from_cents(5),
        }));
        round_trip(CustomerEvent::CreditReserved(CreditReserved {
            order_id: OrderId::new("o"),
            amount: Money::from_cents(5),
        }));
        round_trip(CustomerEvent::CreditLimitExceeded(CreditLimitExceeded {
            order_id: OrderId::new("o"),
            amount: Money::from_cents(5),
            available: Money::from_cents(4),
        }));
    }

    #[test]
    fn the_stored_json_names_its_units() {
        let event = OrderEvent::Created(OrderCreated {
            customer_id: CustomerId::new("c1"),
            total: Money::from_cents(1250),
        });
        assert_eq!(
            event.event_data(),
            r#"{"customer_id":"c1","order_total_cents":1250}"#
        );
    }

    #[test]
    fn an_unknown_type_or_newer_schema_is_an_error_not_a_panic() {
        assert!(matches!(
            OrderEvent::from_stored("OrderTeleported", 1, "{}"),
            Err(DecodeError::UnknownEventType { .. })
        ));
        assert_eq!(
            OrderEvent::from_stored("OrderApproved", 7, "{}"),
            Err(DecodeError::NewerSchema {
                event_type: "OrderApproved".into(),
                found: 7,
                known: 1
            })
        );
        assert!(matches!(
            CustomerEvent::from_stored("CreditReserved", 1, "{\"order_id\":3}"),
            Err(DecodeError::BadData { .. })
        ));
    }
}
