//! A log builder for the projections' tests: each call appends one stored event with the next
//! `event_id`, stamped one second after the previous one, so tests read as the story they tell.

use crate::codec::DomainEvent;
use crate::customer::{
    CreditLimitChanged, CreditLimitExceeded, CreditReleased, CreditReservationRefused,
    CreditReserved, CustomerCreated, CustomerEvent,
};
use crate::envelope::{EventEnvelope, Metadata};
use crate::ids::{CustomerId, OrderId};
use crate::money::Money;
use crate::order::{CancelReason, LineItem, OrderCancelled, OrderCreated, OrderEvent};

/// One stored event of `entity_id`, version 1, recorded at 0: enough for a fold that looks only at
/// ids and data.
pub(crate) fn envelope<E: DomainEvent>(event_id: u64, entity_id: &str, event: E) -> EventEnvelope {
    let new = event.to_new_event(0, Metadata::default());
    EventEnvelope {
        event_id,
        entity_type: E::ENTITY_TYPE.into(),
        entity_id: entity_id.into(),
        version: 1,
        event_type: new.event_type,
        schema_version: new.schema_version,
        event_data: new.event_data,
        recorded_at: new.recorded_at,
        metadata: new.metadata,
    }
}

/// A log under construction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Log(Vec<EventEnvelope>);

impl Log {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn events(&self) -> &[EventEnvelope] {
        &self.0
    }

    pub(crate) fn push<E: DomainEvent>(mut self, entity_id: &str, event: E) -> Self {
        let event_id = self.0.len() as u64 + 1;
        let mut stored = envelope(event_id, entity_id, event);
        stored.recorded_at = event_id as i64 * 1_000;
        self.0.push(stored);
        self
    }

    pub(crate) fn customer(self, id: &str, name: &str, limit: i64) -> Self {
        self.push(
            id,
            CustomerEvent::Created(CustomerCreated {
                name: name.into(),
                credit_limit: Money::from_cents(limit),
            }),
        )
    }

    pub(crate) fn order(self, id: &str, customer: &str, total: i64) -> Self {
        self.order_items(
            id,
            customer,
            vec![LineItem::whole_order(Money::from_cents(total))],
        )
    }

    pub(crate) fn order_items(self, id: &str, customer: &str, line_items: Vec<LineItem>) -> Self {
        self.push(
            id,
            OrderEvent::Created(OrderCreated {
                customer_id: CustomerId::new(customer),
                line_items,
            }),
        )
    }

    pub(crate) fn reserved(self, customer: &str, order: &str, amount: i64) -> Self {
        self.push(
            customer,
            CustomerEvent::CreditReserved(CreditReserved {
                order_id: OrderId::new(order),
                amount: Money::from_cents(amount),
            }),
        )
    }

    pub(crate) fn exceeded(self, customer: &str, order: &str, amount: i64, available: i64) -> Self {
        self.push(
            customer,
            CustomerEvent::CreditLimitExceeded(CreditLimitExceeded {
                order_id: OrderId::new(order),
                amount: Money::from_cents(amount),
                available: Money::from_cents(available),
            }),
        )
    }

    pub(crate) fn refused(self, customer: &str, order: &str, amount: i64) -> Self {
        self.push(
            customer,
            CustomerEvent::CreditReservationRefused(CreditReservationRefused {
                order_id: OrderId::new(order),
                amount: Money::from_cents(amount),
            }),
        )
    }

    pub(crate) fn released(self, customer: &str, order: &str, amount: i64) -> Self {
        self.push(
            customer,
            CustomerEvent::CreditReleased(CreditReleased {
                order_id: OrderId::new(order),
                amount: Money::from_cents(amount),
            }),
        )
    }

    pub(crate) fn limit_changed(self, customer: &str, new_limit: i64) -> Self {
        self.push(
            customer,
            CustomerEvent::CreditLimitChanged(CreditLimitChanged {
                new_limit: Money::from_cents(new_limit),
            }),
        )
    }

    pub(crate) fn deleted(self, customer: &str) -> Self {
        self.push(customer, CustomerEvent::Deleted)
    }

    pub(crate) fn approved(self, order: &str) -> Self {
        self.push(order, OrderEvent::Approved)
    }

    pub(crate) fn cancelled(self, order: &str, reason: CancelReason, customer: &str) -> Self {
        self.push(
            order,
            OrderEvent::Cancelled(OrderCancelled {
                reason,
                customer_id: Some(CustomerId::new(customer)),
            }),
        )
    }

    pub(crate) fn shipped(self, order: &str) -> Self {
        self.push(order, OrderEvent::Shipped)
    }
}
