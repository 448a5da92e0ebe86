//! The Customer aggregate (seeds 000 and 001): a credit limit and credit reservations. When an order
//! is created it reserves credit (CreditReserved) or refuses (CreditLimitExceeded: a failed attempt to
//! break the rule, recorded as an event but not a change of state).

use crate::decider::Decider;
use crate::ids::OrderId;
use crate::money::Money;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A customer that exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Display name.
    pub name: String,
    /// The most credit that may be reserved at once.
    pub credit_limit: Money,
    /// Credit reserved per order (orders referenced by id only).
    pub reservations: BTreeMap<OrderId, Money>,
}

impl Customer {
    /// The sum of all reservations.
    pub fn reserved(&self) -> Money {
        self.reservations.values().copied().sum()
    }

    /// Credit still available: the limit minus what is reserved.
    pub fn available_credit(&self) -> Money {
        self.credit_limit - self.reserved()
    }
}

/// The Customer aggregate's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CustomerState {
    /// No CustomerCreated yet.
    #[default]
    Absent,
    /// The customer exists.
    Active(Customer),
}

impl CustomerState {
    /// The customer, if it exists.
    pub fn customer(&self) -> Option<&Customer> {
        match self {
            CustomerState::Absent => None,
            CustomerState::Active(customer) => Some(customer),
        }
    }
}

/// What can be asked of a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerCommand {
    /// Open a customer account with a credit limit.
    Create {
        /// Display name.
        name: String,
        /// Credit limit.
        credit_limit: Money,
    },
    /// The Customer service reserves credit for an order it learned of through OrderCreated.
    ReserveCredit {
        /// The order, by id.
        order_id: OrderId,
        /// How much.
        amount: Money,
    },
}

/// CustomerCreated's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerCreated {
    /// Display name.
    pub name: String,
    /// Credit limit in cents.
    #[serde(rename = "credit_limit_cents")]
    pub credit_limit: Money,
}

/// CreditReserved's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditReserved {
    /// The order the credit is reserved for.
    pub order_id: OrderId,
    /// How much, in cents.
    #[serde(rename = "amount_cents")]
    pub amount: Money,
}

/// CreditLimitExceeded's data: the attempt, and what was available when it was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLimitExceeded {
    /// The order that asked for credit.
    pub order_id: OrderId,
    /// How much it asked for, in cents.
    #[serde(rename = "amount_cents")]
    pub amount: Money,
    /// Credit that was available, in cents.
    #[serde(rename = "available_cents")]
    pub available: Money,
}

/// What happened to a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerEvent {
    /// The customer was created.
    Created(CustomerCreated),
    /// Credit was reserved for an order.
    CreditReserved(CreditReserved),
    /// Credit for an order was refused; the state does not change.
    CreditLimitExceeded(CreditLimitExceeded),
}

/// Why a customer command was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerError {
    /// A customer with this id exists already.
    AlreadyExists,
    /// The name is empty.
    EmptyName,
    /// The name is longer than [`MAX_NAME_CHARS`].
    NameTooLong,
    /// The credit limit is zero or negative.
    CreditLimitNotPositive(Money),
    /// There is no such customer.
    NotFound,
    /// The amount to reserve is zero or negative.
    AmountNotPositive(Money),
    /// Credit for this order is reserved already (a duplicate request).
    AlreadyReserved(OrderId),
}

/// The longest customer name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 80;

impl fmt::Display for CustomerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomerError::AlreadyExists => f.write_str("A customer with this id already exists."),
            CustomerError::EmptyName => f.write_str("A customer needs a name."),
            CustomerError::NameTooLong => {
                write!(f, "A name can be at most {MAX_NAME_CHARS} characters long.")
            }
            CustomerError::CreditLimitNotPositive(limit) => {
                write!(
                    f,
                    "A credit limit must be more than $0.00 ({limit} was given)."
                )
            }
            CustomerError::NotFound => f.write_str("There is no such customer."),
            CustomerError::AmountNotPositive(amount) => {
                write!(
                    f,
                    "Credit to reserve must be more than $0.00 ({amount} was given)."
                )
            }
            CustomerError::AlreadyReserved(order_id) => {
                write!(f, "Credit for order {order_id} is already reserved.")
            }
        }
    }
}

impl std::error::Error for CustomerError {}

/// The Customer aggregate.
pub struct CustomerDecider;

impl Decider for CustomerDecider {
    type Command = CustomerCommand;
    type Event = CustomerEvent;
    type State = CustomerState;
    type Error = CustomerError;

    fn initial_state() -> CustomerState {
        CustomerState::Absent
    }

    fn decide(
        command: &CustomerCommand,
        state: &CustomerState,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        match (command, state) {
            (CustomerCommand::Create { .. }, CustomerState::Active(_)) => {
                Err(CustomerError::AlreadyExists)
            }
            (CustomerCommand::Create { name, credit_limit }, CustomerState::Absent) => {
                let name = name.trim();
                if name.is_empty() {
                    return Err(CustomerError::EmptyName);
                }
                if name.chars().count() > MAX_NAME_CHARS {
                    return Err(CustomerError::NameTooLong);
                }
                if !credit_limit.is_positive() {
                    return Err(CustomerError::CreditLimitNotPositive(*credit_limit));
                }
                Ok(vec![CustomerEvent::Created(CustomerCreated {
                    name: name.to_string(),
                    credit_limit: *credit_limit,
                })])
            }
            (CustomerCommand::ReserveCredit { .. }, CustomerState::Absent) => {
                Err(CustomerError::NotFound)
            }
            (
                CustomerCommand::ReserveCredit { order_id, amount },
                CustomerState::Active(customer),
            ) => {
                if !amount.is_positive() {
                    return Err(CustomerError::AmountNotPositive(*amount));
                }
                if customer.reservations.contains_key(order_id) {
                    return Err(CustomerError::AlreadyReserved(order_id.clone()));
                }
                let available = customer.available_credit();
                if *amount <= available {
                    Ok(vec![CustomerEvent::CreditReserved(CreditReserved {
                        order_id: order_id.clone(),
                        amount: *amount,
                    })])
                } else {
                    Ok(vec![CustomerEvent::CreditLimitExceeded(
                        CreditLimitExceeded {
                            order_id: order_id.clone(),
                            amount: *amount,
                            available,
                        },
                    )])
                }
            }
        }
    }

    fn evolve(state: CustomerState, event: &CustomerEvent) -> CustomerState {
        match (state, event) {
            (_, CustomerEvent::Created(created)) => CustomerState::Active(Customer {
                name: created.name.clone(),
                credit_limit: created.credit_limit,
                reservations: BTreeMap::new(),
            }),
            (CustomerState::Active(mut customer), CustomerEvent::CreditReserved(reserved)) => {
                customer
                    .reservations
                    .insert(reserved.order_id.clone(), reserved.amount);
                CustomerState::Active(customer)
            }
            (state, CustomerEvent::CreditLimitExceeded(_)) => state,
            (CustomerState::Absent, CustomerEvent::CreditReserved(_)) => CustomerState::Absent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decider::fold;

    fn check(
        given: &[CustomerEvent],
        when: CustomerCommand,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        let state = fold::<CustomerDecider>(CustomerDecider::initial_state(), given);
        CustomerDecider::decide(&when, &state)
    }

    fn created(limit: i64) -> CustomerEvent {
        CustomerEvent::Created(CustomerCreated {
            name: "Ada".into(),
            credit_limit: Money::from_cents(limit),
        })
    }

    fn reserve(order: &str, cents: i64) -> CustomerCommand {
        CustomerCommand::ReserveCredit {
            order_id: OrderId::new(order),
            amount: Money::from_cents(cents),
        }
    }

    fn reserved(order: &str, cents: i64) -> CustomerEvent {
        CustomerEvent::CreditReserved(CreditReserved {
            order_id: OrderId::new(order),
            amount: Money::from_cents(cents),
        })
    }

    #[test]
    fn it_should_create_a_customer_with_a_trimmed_name() {
        let create = CustomerCommand::Create {
            name: "  Ada ".into(),
            credit_limit: Money::from_cents(100),
        };
        assert_eq!(check(&[], create), Ok(vec![created(100)]));
    }

    #[test]
    fn it_should_refuse_an_empty_name_or_a_limit_that_is_not_positive() {
        let empty = CustomerCommand::Create {
            name: "   ".into(),
            credit_limit: Money::from_cents(100),
        };
        assert_eq!(check(&[], empty), Err(CustomerError::EmptyName));
        let zero = CustomerCommand::Create {
            name: "Ada".into(),
            credit_limit: Money::ZERO,
        };
        assert_eq!(
            check(&[], zero),
            Err(CustomerError::CreditLimitNotPositive(Money::ZERO))
        );
        let long = CustomerCommand::Create {
            name: "x".repeat(81),
            credit_limit: Money::from_cents(1),
        };
        assert_eq!(check(&[], long), Err(CustomerError::NameTooLong));
    }

    #[test]
    fn it_should_reserve_credit_up_to_the_limit_exactly() {
        assert_eq!(
            check(&[created(100)], reserve("o1", 100)),
            Ok(vec![reserved("o1", 100)])
        );
        assert_eq!(
            check(&[created(100), reserved("o1", 60)], reserve("o2", 40)),
            Ok(vec![reserved("o2", 40)])
        );
    }

    #[test]
    fn it_should_report_credit_limit_exceeded_without_changing_state() {
        let given = [created(100), reserved("o1", 60)];
        let refused = CustomerEvent::CreditLimitExceeded(CreditLimitExceeded {
            order_id: OrderId::new("o2"),
            amount: Money::from_cents(41),
            available: Money::from_cents(40),
        });
        assert_eq!(check(&given, reserve("o2", 41)), Ok(vec![refused.clone()]));
        let before = fold::<CustomerDecider>(CustomerState::Absent, &given);
        let after = CustomerDecider::evolve(before.clone(), &refused);
        assert_eq!(before, after);
    }

    #[test]
    fn it_should_refuse_to_reserve_twice_for_one_order() {
        assert_eq!(
            check(&[created(100), reserved("o1", 10)], reserve("o1", 10)),
            Err(CustomerError::AlreadyReserved(OrderId::new("o1")))
        );
    }

    #[test]
    fn it_should_not_reserve_for_an_unknown_customer() {
        assert_eq!(check(&[], reserve("o1", 10)), Err(CustomerError::NotFound));
    }

    #[test]
    fn available_credit_is_the_limit_minus_reservations() {
        let state = fold::<CustomerDecider>(
            CustomerState::Absent,
            &[created(1_000), reserved("o1", 250), reserved("o2", 300)],
        );
        let customer = state.customer().expect("customer exists");
        assert_eq!(customer.available_credit(), Money::from_cents(450));
    }
}
