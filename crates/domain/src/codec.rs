//! How domain events cross the storage boundary: an explicit type name and schema version on the way
//! out, and a checked decode on the way back in: older schemas go through the upcasters
//! (`upcast.rs`), while an unknown type or a newer schema is an error value, never a panic.

use crate::customer::CustomerEvent;
use crate::envelope::{EventEnvelope, Metadata, NewEvent};
use crate::ids::{CustomerId, OrderId};
use crate::order::OrderEvent;
use crate::upcast::{upcast, UPCASTERS};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
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

    /// Whether the event records a refusal (a failed attempt to break a business rule, such as
    /// CreditLimitExceeded) rather than a change of state. Part 1, "Using an Event-Driven
    /// Architecture": such an event "does not correspond to a state change".
    fn records_a_refusal(&self) -> bool {
        false
    }

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

/// OrderCreated's schema: version 2 carries line items (version 1 only a total; see `upcast.rs`).
const ORDER_CREATED_SCHEMA: u32 = 2;

/// Every other event type is still at the schema it was first written with.
const FIRST_SCHEMA: u32 = 1;

fn to_json<T: Serialize>(value: &T) -> String {
    // Serializing these plain structs (strings, integers, string-keyed maps) cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_string())
}

/// Reads one event's data written with schema version `found` by code that folds version
/// `current`: a newer version is refused, an older one goes through the upcasters first.
fn read<T: DeserializeOwned>(
    entity_type: &str,
    event_type: &str,
    found: u32,
    current: u32,
    data: &str,
) -> Result<T, DecodeError> {
    let bad = |message: String| DecodeError::BadData {
        event_type: event_type.to_string(),
        message,
    };
    if found > current {
        return Err(DecodeError::NewerSchema {
            event_type: event_type.to_string(),
            found,
            known: current,
        });
    }
    if found == 0 {
        return Err(bad(
            "schema versions start at 1, and 0 was found".to_string()
        ));
    }
    if found == current {
        return serde_json::from_str(data).map_err(|e| bad(e.to_string()));
    }
    let old: Value = serde_json::from_str(data).map_err(|e| bad(e.to_string()))?;
    let latest = upcast(UPCASTERS, entity_type, event_type, found, current, old)
        .map_err(|e| bad(format!("it cannot be upcast {e}")))?;
    serde_json::from_value(latest).map_err(|e| bad(e.to_string()))
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
            OrderEvent::Shipped => "OrderShipped",
        }
    }

    fn schema_version(&self) -> u32 {
        match self {
            OrderEvent::Created(_) => ORDER_CREATED_SCHEMA,
            OrderEvent::Approved | OrderEvent::Cancelled(_) | OrderEvent::Shipped => FIRST_SCHEMA,
        }
    }

    fn event_data(&self) -> String {
        match self {
            OrderEvent::Created(data) => to_json(data),
            OrderEvent::Approved | OrderEvent::Shipped => to_json(&Empty {}),
            OrderEvent::Cancelled(data) => to_json(data),
        }
    }

    fn from_stored(event_type: &str, version: u32, data: &str) -> Result<Self, DecodeError> {
        let entity = Self::ENTITY_TYPE;
        match event_type {
            "OrderCreated" => read(entity, event_type, version, ORDER_CREATED_SCHEMA, data)
                .map(OrderEvent::Created),
            "OrderApproved" => read::<Empty>(entity, event_type, version, FIRST_SCHEMA, data)
                .map(|_| OrderEvent::Approved),
            "OrderCancelled" => {
                read(entity, event_type, version, FIRST_SCHEMA, data).map(OrderEvent::Cancelled)
            }
            "OrderShipped" => read::<Empty>(entity, event_type, version, FIRST_SCHEMA, data)
                .map(|_| OrderEvent::Shipped),
            other => Err(DecodeError::UnknownEventType {
                entity_type: entity.to_string(),
                event_type: other.to_string(),
            }),
        }
    }
}

impl DomainEvent for CustomerEvent {
    const ENTITY_TYPE: &'static str = "Customer";

    fn records_a_refusal(&self) -> bool {
        match self {
            CustomerEvent::CreditLimitExceeded(_) | CustomerEvent::CreditReservationRefused(_) => {
                true
            }
            CustomerEvent::Created(_)
            | CustomerEvent::CreditReserved(_)
            | CustomerEvent::CreditReleased(_)
            | CustomerEvent::CreditLimitChanged(_)
            | CustomerEvent::Deleted => false,
        }
    }

    fn event_type(&self) -> &'static str {
        match self {
            CustomerEvent::Created(_) => "CustomerCreated",
            CustomerEvent::CreditReserved(_) => "CreditReserved",
            CustomerEvent::CreditLimitExceeded(_) => "CreditLimitExceeded",
            CustomerEvent::CreditReservationRefused(_) => "CreditReservationRefused",
            CustomerEvent::CreditReleased(_) => "CreditReleased",
            CustomerEvent::CreditLimitChanged(_) => "CreditLimitChanged",
            CustomerEvent::Deleted => "CustomerDeleted",
        }
    }

    fn schema_version(&self) -> u32 {
        match self {
            CustomerEvent::Created(_)
            | CustomerEvent::CreditReserved(_)
            | CustomerEvent::CreditLimitExceeded(_)
            | CustomerEvent::CreditReservationRefused(_)
            | CustomerEvent::CreditReleased(_)
            | CustomerEvent::CreditLimitChanged(_)
            | CustomerEvent::Deleted => FIRST_SCHEMA,
        }
    }

    fn event_data(&self) -> String {
        match self {
            CustomerEvent::Created(data) => to_json(data),
            CustomerEvent::CreditReserved(data) => to_json(data),
            CustomerEvent::CreditLimitExceeded(data) => to_json(data),
            CustomerEvent::CreditReservationRefused(data) => to_json(data),
            CustomerEvent::CreditReleased(data) => to_json(data),
            CustomerEvent::CreditLimitChanged(data) => to_json(data),
            CustomerEvent::Deleted => to_json(&Empty {}),
        }
    }

    fn from_stored(event_type: &str, version: u32, data: &str) -> Result<Self, DecodeError> {
        let entity = Self::ENTITY_TYPE;
        let v1 = FIRST_SCHEMA;
        match event_type {
            "CustomerCreated" => {
                read(entity, event_type, version, v1, data).map(CustomerEvent::Created)
            }
            "CreditReserved" => {
                read(entity, event_type, version, v1, data).map(CustomerEvent::CreditReserved)
            }
            "CreditLimitExceeded" => {
                read(entity, event_type, version, v1, data).map(CustomerEvent::CreditLimitExceeded)
            }
            "CreditReservationRefused" => read(entity, event_type, version, v1, data)
                .map(CustomerEvent::CreditReservationRefused),
            "CreditReleased" => {
                read(entity, event_type, version, v1, data).map(CustomerEvent::CreditReleased)
            }
            "CreditLimitChanged" => {
                read(entity, event_type, version, v1, data).map(CustomerEvent::CreditLimitChanged)
            }
            "CustomerDeleted" => {
                read::<Empty>(entity, event_type, version, v1, data).map(|_| CustomerEvent::Deleted)
            }
            other => Err(DecodeError::UnknownEventType {
                entity_type: entity.to_string(),
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
    use crate::customer::{
        CreditLimitChanged, CreditLimitExceeded, CreditReleased, CreditReservationRefused,
        CreditReserved, CustomerCreated,
    };
    use crate::money::Money;
    use crate::order::{CancelReason, LineItem, OrderCancelled, OrderCreated, LEGACY_PRODUCT};

    fn round_trip<E: DomainEvent + PartialEq + fmt::Debug>(event: E) {
        let back = E::from_stored(
            event.event_type(),
            event.schema_version(),
            &event.event_data(),
        );
        assert_eq!(back, Ok(event));
    }

    fn order_created(lines: Vec<LineItem>) -> OrderEvent {
        OrderEvent::Created(OrderCreated {
            customer_id: CustomerId::new("c1"),
            line_items: lines,
        })
    }

    #[test]
    fn every_event_reads_back_as_it_was_written() {
        round_trip(order_created(vec![
            LineItem::new("pen", 2, Money::from_cents(1)),
            LineItem::whole_order(Money::from_cents(3)),
        ]));
        round_trip(OrderEvent::Approved);
        round_trip(OrderEvent::Cancelled(OrderCancelled {
            reason: CancelReason::CreditLimitExceeded,
            customer_id: Some(CustomerId::new("c1")),
        }));
        round_trip(OrderEvent::Cancelled(OrderCancelled {
            reason: CancelReason::UserRequested,
            customer_id: None,
        }));
        round_trip(OrderEvent::Shipped);
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
        round_trip(CustomerEvent::CreditReservationRefused(
            CreditReservationRefused {
                order_id: OrderId::new("o"),
                amount: Money::from_cents(5),
            },
        ));
        round_trip(CustomerEvent::CreditReleased(CreditReleased {
            order_id: OrderId::new("o"),
            amount: Money::from_cents(5),
        }));
        round_trip(CustomerEvent::CreditLimitChanged(CreditLimitChanged {
            new_limit: Money::from_cents(9),
        }));
        round_trip(CustomerEvent::Deleted);
    }

    #[test]
    fn the_stored_json_names_its_units() {
        let event = order_created(vec![LineItem::whole_order(Money::from_cents(1250))]);
        assert_eq!(event.schema_version(), 2, "new OrderCreated events are v2");
        assert_eq!(
            event.event_data(),
            r#"{"customer_id":"c1","line_items":[{"product_id":"item","quantity":1,"unit_price_cents":1250}]}"#
        );
        // The lab's end-to-end test reads CreditReserved's data as it always was.
        let reserved = CustomerEvent::CreditReserved(CreditReserved {
            order_id: OrderId::new("o1"),
            amount: Money::from_cents(25_000),
        });
        assert_eq!(
            reserved.event_data(),
            r#"{"order_id":"o1","amount_cents":25000}"#
        );
        let changed = CustomerEvent::CreditLimitChanged(CreditLimitChanged {
            new_limit: Money::from_cents(500),
        });
        assert_eq!(changed.event_data(), r#"{"new_limit_cents":500}"#);
    }

    #[test]
    fn a_v1_order_created_reads_as_one_legacy_line_with_the_same_total() {
        let read = OrderEvent::from_stored(
            "OrderCreated",
            1,
            r#"{"customer_id":"c1","order_total_cents":1250}"#,
        );
        assert_eq!(
            read,
            Ok(order_created(vec![LineItem::new(
                LEGACY_PRODUCT,
                1,
                Money::from_cents(1250)
            )]))
        );
        let Ok(OrderEvent::Created(created)) = read else {
            panic!("an OrderCreated")
        };
        assert_eq!(created.total(), Money::from_cents(1250));
    }

    #[test]
    fn a_cancellation_stored_before_it_named_its_customer_still_reads() {
        assert_eq!(
            OrderEvent::from_stored("OrderCancelled", 1, r#"{"reason":"CREDIT_LIMIT_EXCEEDED"}"#),
            Ok(OrderEvent::Cancelled(OrderCancelled {
                reason: CancelReason::CreditLimitExceeded,
                customer_id: None,
            }))
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
        assert_eq!(
            OrderEvent::from_stored("OrderCreated", 3, "{}"),
            Err(DecodeError::NewerSchema {
                event_type: "OrderCreated".into(),
                found: 3,
                known: 2
            })
        );
        assert!(matches!(
            CustomerEvent::from_stored("CreditReserved", 1, "{\"order_id\":3}"),
            Err(DecodeError::BadData { .. })
        ));
    }

    #[test]
    fn old_data_that_cannot_be_upcast_is_bad_data_not_a_panic() {
        let error = OrderEvent::from_stored("OrderCreated", 1, r#"{"customer_id":"c1"}"#)
            .expect_err("no total");
        assert_eq!(
            error.to_string(),
            "the data of a OrderCreated event is malformed: it cannot be upcast from version 1: missing field `order_total_cents`"
        );
        assert!(matches!(
            OrderEvent::from_stored("OrderCreated", 1, "not json"),
            Err(DecodeError::BadData { .. })
        ));
        assert!(matches!(
            OrderEvent::from_stored("OrderCreated", 0, "{}"),
            Err(DecodeError::BadData { .. })
        ));
        assert!(
            matches!(
                OrderEvent::from_stored(
                    "OrderCreated",
                    2,
                    r#"{"customer_id":"c1","order_total_cents":5}"#
                ),
                Err(DecodeError::BadData { .. })
            ),
            "v2 data must have line items"
        );
    }
}
