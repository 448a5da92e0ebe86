//! The choreography of seed 001: no service calls another, and no transaction spans two aggregates.
//! Each service reacts to events it subscribes to by sending a command to one aggregate it owns.
//!
//! 1. An Order is created NEW and publishes OrderCreated.
//! 2. The Customer service consumes OrderCreated and reserves credit: CreditReserved, or
//!    CreditLimitExceeded when the limit would be exceeded.
//! 3. The Order service consumes either and approves or cancels the order.

use crate::codec::StoredEvent;
use crate::customer::{CustomerCommand, CustomerEvent};
use crate::ids::{CustomerId, OrderId};
use crate::order::{CancelReason, OrderCommand, OrderEvent};

/// The Customer service's reaction: OrderCreated asks the order's customer to reserve its total.
pub fn customer_service(event: &StoredEvent) -> Option<(CustomerId, CustomerCommand)> {
    match event {
        StoredEvent::Order(order_id, OrderEvent::Created(created)) => Some((
            created.customer_id.clone(),
            CustomerCommand::ReserveCredit {
                order_id: order_id.clone(),
                amount: created.total,
            },
        )),
        StoredEvent::Order(_, OrderEvent::Approved | OrderEvent::Cancelled(_))
        | StoredEvent::Customer(..) => None,
    }
}

/// The Order service's reaction: CreditReserved approves the order, CreditLimitExceeded cancels it.
pub fn order_service(event: &StoredEvent) -> Option<(OrderId, OrderCommand)> {
    match event {
        StoredEvent::Customer(_, CustomerEvent::CreditReserved(reserved)) => {
            Some((reserved.order_id.clone(), OrderCommand::Approve))
        }
        StoredEvent::Customer(_, CustomerEvent::CreditLimitExceeded(refused)) => Some((
            refused.order_id.clone(),
            OrderCommand::Cancel {
                reason: CancelReason::CreditLimitExceeded,
            },
        )),
        StoredEvent::Customer(_, CustomerEvent::Created(_)) | StoredEvent::Order(..) => None,
    }
}

/// Whether the Customer service subscribes to an event type (it is told of nothing else).
pub fn customer_service_subscribes(entity_type: &str, event_type: &str) -> bool {
    entity_type == "Order" && event_type == "OrderCreated"
}

/// Whether the Order service subscribes to an event type.
pub fn order_service_subscribes(entity_type: &str, event_type: &str) -> bool {
    entity_type == "Customer" && matches!(event_type, "CreditReserved" | "CreditLimitExceeded")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::{CreditLimitExceeded, CreditReserved};
    use crate::money::Money;
    use crate::order::OrderCreated;

    #[test]
    fn order_created_asks_the_customer_to_reserve_the_total() {
        let event = StoredEvent::Order(
            OrderId::new("o1"),
            OrderEvent::Created(OrderCreated {
                customer_id: CustomerId::new("c1"),
                total: Money::from_cents(7),
            }),
        );
        assert_eq!(
            customer_service(&event),
            Some((
                CustomerId::new("c1"),
                CustomerCommand::ReserveCredit {
                    order_id: OrderId::new("o1"),
                    amount: Money::from_cents(7)
                }
            ))
        );
        assert_eq!(order_service(&event), None);
    }

    #[test]
    fn credit_reserved_approves_and_credit_limit_exceeded_cancels() {
        let reserved = StoredEvent::Customer(
            CustomerId::new("c1"),
            CustomerEvent::CreditReserved(CreditReserved {
                order_id: OrderId::new("o1"),
                amount: Money::from_cents(7),
            }),
        );
        assert_eq!(
            order_service(&reserved),
            Some((OrderId::new("o1"), OrderCommand::Approve))
        );
        let refused = StoredEvent::Customer(
            CustomerId::new("c1"),
            CustomerEvent::CreditLimitExceeded(CreditLimitExceeded {
                order_id: OrderId::new("o2"),
                amount: Money::from_cents(7),
                available: Money::from_cents(1),
            }),
        );
        assert_eq!(
            order_service(&refused),
            Some((
                OrderId::new("o2"),
                OrderCommand::Cancel {
                    reason: CancelReason::CreditLimitExceeded
                }
            ))
        );
        assert_eq!(customer_service(&refused), None);
    }
}
