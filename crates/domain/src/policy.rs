//! The choreography of seed 001: no service calls another, and no transaction spans two aggregates.
//! Each service reacts to events it subscribes to by sending a command to one aggregate it owns.
//!
//! 1. An Order is created NEW and publishes OrderCreated.
//! 2. The Customer service consumes OrderCreated and reserves credit: CreditReserved, or
//!    CreditLimitExceeded when the limit would be exceeded, or CreditReservationRefused when the
//!    customer was deleted.
//! 3. The Order service consumes any of the three and approves or cancels the order, so every order
//!    reaches an end.
//! 4. When the user cancels an order, the Customer service consumes that OrderCancelled and releases
//!    the order's reservation (CreditReleased).
//!
//! OrderShipped needs no reaction: shipping uses the reserved credit, it does not free it.

use crate::codec::StoredEvent;
use crate::customer::{CustomerCommand, CustomerEvent};
use crate::ids::{CustomerId, OrderId};
use crate::order::{CancelReason, OrderCommand, OrderEvent};

/// The Customer service's reaction: OrderCreated asks the order's customer to reserve its total, and
/// the user's OrderCancelled asks it to release what it reserved.
///
/// It reacts to every cancellation the user asked for, not only to that of an APPROVED order: an
/// order cancelled while still NEW may already hold a reservation (the Customer service handled its
/// OrderCreated before the Order service approved it) or may get one later (its OrderCreated is
/// handled first, since deliveries follow the log). The Customer knows whether it holds a
/// reservation for the order, and refuses to release one it does not hold.
pub fn customer_service(event: &StoredEvent) -> Option<(CustomerId, CustomerCommand)> {
    match event {
        StoredEvent::Order(order_id, OrderEvent::Created(created)) => Some((
            created.customer_id.clone(),
            CustomerCommand::ReserveCredit {
                order_id: order_id.clone(),
                amount: created.total(),
            },
        )),
        StoredEvent::Order(order_id, OrderEvent::Cancelled(cancelled)) => {
            match (cancelled.reason, &cancelled.customer_id) {
                (CancelReason::UserRequested, Some(customer_id)) => Some((
                    customer_id.clone(),
                    CustomerCommand::ReleaseCredit {
                        order_id: order_id.clone(),
                    },
                )),
                // A refused reservation reserved nothing; and a cancellation without a customer
                // was stored before the user could cancel, so it is never the user's.
                (CancelReason::CreditLimitExceeded | CancelReason::CustomerDeleted, _)
                | (CancelReason::UserRequested, None) => None,
            }
        }
        StoredEvent::Order(_, OrderEvent::Approved | OrderEvent::Shipped)
        | StoredEvent::Customer(..) => None,
    }
}

/// The Order service's reaction: CreditReserved approves the order; CreditLimitExceeded and
/// CreditReservationRefused cancel it.
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
        StoredEvent::Customer(_, CustomerEvent::CreditReservationRefused(refused)) => Some((
            refused.order_id.clone(),
            OrderCommand::Cancel {
                reason: CancelReason::CustomerDeleted,
            },
        )),
        StoredEvent::Customer(
            _,
            CustomerEvent::Created(_)
            | CustomerEvent::CreditReleased(_)
            | CustomerEvent::CreditLimitChanged(_)
            | CustomerEvent::Deleted,
        )
        | StoredEvent::Order(..) => None,
    }
}

/// Whether the Customer service subscribes to an event type (it is told of nothing else). It is
/// told of every OrderCancelled, as a subscriber to a topic would be, and ignores those that the
/// Order service wrote in answer to a refusal.
pub fn customer_service_subscribes(entity_type: &str, event_type: &str) -> bool {
    entity_type == "Order" && matches!(event_type, "OrderCreated" | "OrderCancelled")
}

/// Whether the Order service subscribes to an event type.
pub fn order_service_subscribes(entity_type: &str, event_type: &str) -> bool {
    entity_type == "Customer"
        && matches!(
            event_type,
            "CreditReserved" | "CreditLimitExceeded" | "CreditReservationRefused"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::{
        CreditLimitExceeded, CreditReleased, CreditReservationRefused, CreditReserved,
    };
    use crate::money::Money;
    use crate::order::{LineItem, OrderCancelled, OrderCreated};

    fn cancelled(reason: CancelReason, customer: Option<&str>) -> StoredEvent {
        StoredEvent::Order(
            OrderId::new("o1"),
            OrderEvent::Cancelled(OrderCancelled {
                reason,
                customer_id: customer.map(CustomerId::new),
            }),
        )
    }

    #[test]
    fn order_created_asks_the_customer_to_reserve_the_total() {
        let event = StoredEvent::Order(
            OrderId::new("o1"),
            OrderEvent::Created(OrderCreated {
                customer_id: CustomerId::new("c1"),
                line_items: vec![
                    LineItem::new("pen", 2, Money::from_cents(3)),
                    LineItem::new("ink", 1, Money::from_cents(1)),
                ],
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

    #[test]
    fn a_deleted_customers_refusal_cancels_the_order_too() {
        let refused = StoredEvent::Customer(
            CustomerId::new("c1"),
            CustomerEvent::CreditReservationRefused(CreditReservationRefused {
                order_id: OrderId::new("o3"),
                amount: Money::from_cents(7),
            }),
        );
        assert_eq!(
            order_service(&refused),
            Some((
                OrderId::new("o3"),
                OrderCommand::Cancel {
                    reason: CancelReason::CustomerDeleted
                }
            ))
        );
        assert!(order_service_subscribes(
            "Customer",
            "CreditReservationRefused"
        ));
    }

    #[test]
    fn the_users_cancellation_asks_the_customer_to_release_the_credit() {
        assert_eq!(
            customer_service(&cancelled(CancelReason::UserRequested, Some("c1"))),
            Some((
                CustomerId::new("c1"),
                CustomerCommand::ReleaseCredit {
                    order_id: OrderId::new("o1")
                }
            ))
        );
        assert!(customer_service_subscribes("Order", "OrderCancelled"));
    }

    #[test]
    fn a_cancellation_that_answers_a_refusal_releases_nothing() {
        for reason in [
            CancelReason::CreditLimitExceeded,
            CancelReason::CustomerDeleted,
        ] {
            assert_eq!(customer_service(&cancelled(reason, Some("c1"))), None);
        }
        assert_eq!(
            customer_service(&cancelled(CancelReason::UserRequested, None)),
            None
        );
    }

    #[test]
    fn shipping_and_the_users_changes_to_a_customer_need_no_reaction() {
        let shipped = StoredEvent::Order(OrderId::new("o1"), OrderEvent::Shipped);
        assert_eq!(customer_service(&shipped), None);
        assert!(!customer_service_subscribes("Order", "OrderShipped"));
        let released = StoredEvent::Customer(
            CustomerId::new("c1"),
            CustomerEvent::CreditReleased(CreditReleased {
                order_id: OrderId::new("o1"),
                amount: Money::from_cents(7),
            }),
        );
        assert_eq!(order_service(&released), None);
        for event_type in ["CreditReleased", "CreditLimitChanged", "CustomerDeleted"] {
            assert!(!order_service_subscribes("Customer", event_type));
        }
    }
}
