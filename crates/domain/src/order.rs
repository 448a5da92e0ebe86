//! The Order aggregate (seed 001): created `NEW`, then `APPROVED` when the Customer reserves credit or
//! `CANCELLED` when the credit limit would be exceeded. An order decides once.

use crate::decider::Decider;
use crate::ids::CustomerId;
use crate::money::Money;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Created, waiting for the Customer service to reserve credit.
    New,
    /// Credit was reserved.
    Approved,
    /// Credit could not be reserved.
    Cancelled,
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OrderStatus::New => "NEW",
            OrderStatus::Approved => "APPROVED",
            OrderStatus::Cancelled => "CANCELLED",
        })
    }
}

/// Why an order was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CancelReason {
    /// The Customer refused to reserve credit (CreditLimitExceeded).
    CreditLimitExceeded,
}

/// An order that exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Who placed it: a reference by id, not by object.
    pub customer_id: CustomerId,
    /// What it costs.
    pub total: Money,
    /// Where it stands.
    pub status: OrderStatus,
}

/// The Order aggregate's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderState {
    /// No OrderCreated yet.
    #[default]
    Absent,
    /// The order exists.
    Placed(Order),
}

impl OrderState {
    /// The order, if it exists.
    pub fn order(&self) -> Option<&Order> {
        match self {
            OrderState::Absent => None,
            OrderState::Placed(order) => Some(order),
        }
    }
}

/// What can be asked of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderCommand {
    /// A customer places an order.
    Create {
        /// Who places it.
        customer_id: CustomerId,
        /// Its total.
        total: Money,
    },
    /// The Order service approves it after CreditReserved.
    Approve,
    /// The Order service cancels it after CreditLimitExceeded.
    Cancel {
        /// Why.
        reason: CancelReason,
    },
}

/// OrderCreated's data: the whole order, as the article says of this event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreated {
    /// Who placed it.
    pub customer_id: CustomerId,
    /// Its total in cents.
    #[serde(rename = "order_total_cents")]
    pub total: Money,
}

/// OrderCancelled's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelled {
    /// Why.
    pub reason: CancelReason,
}

/// What happened to an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderEvent {
    /// The order was created with status NEW.
    Created(OrderCreated),
    /// Credit was reserved; the order is APPROVED.
    Approved,
    /// Credit could not be reserved; the order is CANCELLED.
    Cancelled(OrderCancelled),
}

/// Why an order command was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderError {
    /// An order with this id exists already.
    AlreadyExists,
    /// The total is zero or negative.
    TotalNotPositive(Money),
    /// There is no such order.
    NotFound,
    /// The order was already approved or cancelled.
    AlreadyDecided(OrderStatus),
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::AlreadyExists => f.write_str("An order with this id already exists."),
            OrderError::TotalNotPositive(total) => {
                write!(
                    f,
                    "An order total must be more than $0.00 ({total} was given)."
                )
            }
            OrderError::NotFound => f.write_str("There is no such order."),
            OrderError::AlreadyDecided(status) => {
                write!(
                    f,
                    "The order is already {status}: an order is approved or cancelled once."
                )
            }
        }
    }
}

impl std::error::Error for OrderError {}

/// The Order aggregate.
pub struct OrderDecider;

impl Decider for OrderDecider {
    type Command = OrderCommand;
    type Event = OrderEvent;
    type State = OrderState;
    type Error = OrderError;

    fn initial_state() -> OrderState {
        OrderState::Absent
    }

    fn decide(command: &OrderCommand, state: &OrderState) -> Result<Vec<OrderEvent>, OrderError> {
        match (command, state) {
            (OrderCommand::Create { .. }, OrderState::Placed(_)) => Err(OrderError::AlreadyExists),
            (OrderCommand::Create { customer_id, total }, OrderState::Absent) => {
                if !total.is_positive() {
                    return Err(OrderError::TotalNotPositive(*total));
                }
                Ok(vec![OrderEvent::Created(OrderCreated {
                    customer_id: customer_id.clone(),
                    total: *total,
                })])
            }
            (OrderCommand::Approve | OrderCommand::Cancel { .. }, OrderState::Absent) => {
                Err(OrderError::NotFound)
            }
            (OrderCommand::Approve | OrderCommand::Cancel { .. }, OrderState::Placed(order))
                if order.status != OrderStatus::New =>
            {
                Err(OrderError::AlreadyDecided(order.status))
            }
            (OrderCommand::Approve, OrderState::Placed(_)) => Ok(vec![OrderEvent::Approved]),
            (OrderCommand::Cancel { reason }, OrderState::Placed(_)) => {
                Ok(vec![OrderEvent::Cancelled(OrderCancelled {
                    reason: *reason,
                })])
            }
        }
    }

    fn evolve(state: OrderState, event: &OrderEvent) -> OrderState {
        match (state, event) {
            (_, OrderEvent::Created(created)) => OrderState::Placed(Order {
                customer_id: created.customer_id.clone(),
                total: created.total,
                status: OrderStatus::New,
            }),
            (OrderState::Placed(order), OrderEvent::Approved) => OrderState::Placed(Order {
                status: OrderStatus::Approved,
                ..order
            }),
            (OrderState::Placed(order), OrderEvent::Cancelled(_)) => OrderState::Placed(Order {
                status: OrderStatus::Cancelled,
                ..order
            }),
            // A decision about an order that was never created cannot be produced by `decide`; a
            // fold stays total and leaves such a state as it is.
            (OrderState::Absent, OrderEvent::Approved | OrderEvent::Cancelled(_)) => {
                OrderState::Absent
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decider::fold;

    fn check(given: &[OrderEvent], when: OrderCommand) -> Result<Vec<OrderEvent>, OrderError> {
        let state = fold::<OrderDecider>(OrderDecider::initial_state(), given);
        OrderDecider::decide(&when, &state)
    }

    fn created(cents: i64) -> OrderEvent {
        OrderEvent::Created(OrderCreated {
            customer_id: CustomerId::new("c1"),
            total: Money::from_cents(cents),
        })
    }

    fn create(cents: i64) -> OrderCommand {
        OrderCommand::Create {
            customer_id: CustomerId::new("c1"),
            total: Money::from_cents(cents),
        }
    }

    #[test]
    fn it_should_create_a_new_order() {
        assert_eq!(check(&[], create(1_000)), Ok(vec![created(1_000)]));
        let state = fold::<OrderDecider>(OrderState::Absent, &[created(1_000)]);
        assert_eq!(state.order().map(|o| o.status), Some(OrderStatus::New));
    }

    #[test]
    fn it_should_refuse_a_total_that_is_not_positive() {
        assert_eq!(
            check(&[], create(0)),
            Err(OrderError::TotalNotPositive(Money::ZERO))
        );
        assert_eq!(
            check(&[], create(-5)),
            Err(OrderError::TotalNotPositive(Money::from_cents(-5)))
        );
    }

    #[test]
    fn it_should_refuse_to_create_an_order_twice() {
        assert_eq!(
            check(&[created(1)], create(1)),
            Err(OrderError::AlreadyExists)
        );
    }

    #[test]
    fn it_should_approve_a_new_order_once() {
        assert_eq!(
            check(&[created(1)], OrderCommand::Approve),
            Ok(vec![OrderEvent::Approved])
        );
        assert_eq!(
            check(&[created(1), OrderEvent::Approved], OrderCommand::Approve),
            Err(OrderError::AlreadyDecided(OrderStatus::Approved))
        );
        let cancel = OrderCommand::Cancel {
            reason: CancelReason::CreditLimitExceeded,
        };
        assert_eq!(
            check(&[created(1), OrderEvent::Approved], cancel),
            Err(OrderError::AlreadyDecided(OrderStatus::Approved))
        );
    }

    #[test]
    fn it_should_cancel_a_new_order_once() {
        let cancel = OrderCommand::Cancel {
            reason: CancelReason::CreditLimitExceeded,
        };
        let cancelled = OrderEvent::Cancelled(OrderCancelled {
            reason: CancelReason::CreditLimitExceeded,
        });
        assert_eq!(
            check(&[created(1)], cancel.clone()),
            Ok(vec![cancelled.clone()])
        );
        assert_eq!(
            check(&[created(1), cancelled.clone()], OrderCommand::Approve),
            Err(OrderError::AlreadyDecided(OrderStatus::Cancelled))
        );
        let state = fold::<OrderDecider>(OrderState::Absent, &[created(1), cancelled]);
        assert_eq!(
            state.order().map(|o| o.status),
            Some(OrderStatus::Cancelled)
        );
    }

    #[test]
    fn it_should_not_approve_an_order_that_does_not_exist() {
        assert_eq!(check(&[], OrderCommand::Approve), Err(OrderError::NotFound));
    }
}
