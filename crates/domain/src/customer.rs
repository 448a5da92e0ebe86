//! The Customer aggregate (seeds 000 and 001): a credit limit and credit reservations. When an order
//! is created it reserves credit (CreditReserved) or refuses (CreditLimitExceeded: a failed attempt to
//! break the rule, recorded as an event but not a change of state). A user's cancellation releases
//! the reservation (CreditReleased); the limit may change (CreditLimitChanged); and a customer is
//! deleted by an event (CustomerDeleted), after which its stream stays readable and it reserves no
//! more credit (CreditReservationRefused).

use crate::decider::Decider;
use crate::ids::OrderId;
use crate::money::Money;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A customer that exists, or existed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Display name.
    pub name: String,
    /// The most credit that may be reserved at once. [`CustomerDecider`] keeps what is reserved
    /// within it: a limit below the reservations is refused.
    pub credit_limit: Money,
    /// Credit reserved per order (orders referenced by id only).
    pub reservations: BTreeMap<OrderId, Money>,
    /// Orders whose reservation was released. A late duplicate of their OrderCreated must not
    /// reserve credit again, and `reservations` no longer remembers them.
    #[serde(default)]
    pub released: BTreeSet<OrderId>,
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
    /// The customer was deleted (CustomerDeleted). What it was stays known: its reservations still
    /// back its approved orders, and a cancelled one still releases its credit.
    Deleted(Customer),
}

impl CustomerState {
    /// The customer's data, if it was ever created (deleted or not).
    pub fn customer(&self) -> Option<&Customer> {
        match self {
            CustomerState::Absent => None,
            CustomerState::Active(customer) | CustomerState::Deleted(customer) => Some(customer),
        }
    }

    /// Whether the customer was deleted.
    pub fn is_deleted(&self) -> bool {
        matches!(self, CustomerState::Deleted(_))
    }

    /// Applies a change to the customer's data, deleted or not; an absent customer stays absent.
    fn map(self, change: impl FnOnce(&mut Customer)) -> CustomerState {
        match self {
            CustomerState::Absent => CustomerState::Absent,
            CustomerState::Active(mut customer) => {
                change(&mut customer);
                CustomerState::Active(customer)
            }
            CustomerState::Deleted(mut customer) => {
                change(&mut customer);
                CustomerState::Deleted(customer)
            }
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
    /// The Customer service releases an order's reservation, having learned through OrderCancelled
    /// that the user cancelled it.
    ReleaseCredit {
        /// The order, by id.
        order_id: OrderId,
    },
    /// The user changes the credit limit.
    ChangeCreditLimit {
        /// The limit from now on.
        new_limit: Money,
    },
    /// The user deletes the customer.
    Delete,
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

/// CreditReservationRefused's data: an order asked a deleted customer for credit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditReservationRefused {
    /// The order that asked for credit.
    pub order_id: OrderId,
    /// How much it asked for, in cents.
    #[serde(rename = "amount_cents")]
    pub amount: Money,
}

/// CreditReleased's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditReleased {
    /// The order whose reservation ends.
    pub order_id: OrderId,
    /// How much becomes available again, in cents.
    #[serde(rename = "amount_cents")]
    pub amount: Money,
}

/// CreditLimitChanged's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLimitChanged {
    /// The limit from now on, in cents.
    #[serde(rename = "new_limit_cents")]
    pub new_limit: Money,
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
    /// Credit for an order was refused because the customer is deleted; the state does not change.
    /// A distinct event from CreditLimitExceeded, which would claim a limit that was never checked;
    /// the Order service cancels the order on either, so every order still reaches an end.
    CreditReservationRefused(CreditReservationRefused),
    /// An order's reservation ended because the user cancelled the order.
    CreditReleased(CreditReleased),
    /// The credit limit changed.
    CreditLimitChanged(CreditLimitChanged),
    /// The customer was deleted: an event, not a removed row, so its history stays readable.
    Deleted,
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
    /// The name holds markup, script or a control character (see [`crate::text`]); says which.
    NameNotPlain(String),
    /// The credit limit is zero or negative.
    CreditLimitNotPositive(Money),
    /// There is no such customer.
    NotFound,
    /// The amount to reserve is zero or negative.
    AmountNotPositive(Money),
    /// Credit for this order is reserved already (a duplicate request).
    AlreadyReserved(OrderId),
    /// Credit for this order was reserved and released already (a duplicate request).
    AlreadyReleased(OrderId),
    /// No credit is reserved for this order, so there is none to release.
    NothingReserved(OrderId),
    /// The new limit is the limit already.
    LimitUnchanged(Money),
    /// The new limit is below the credit already reserved.
    LimitBelowReserved {
        /// The limit asked for.
        new_limit: Money,
        /// What is reserved now.
        reserved: Money,
    },
    /// The customer was deleted and takes no more changes.
    Deleted,
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
            CustomerError::NameNotPlain(found) => write!(
                f,
                "A name cannot contain {found}: names hold no markup, script or control characters."
            ),
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
            CustomerError::AlreadyReleased(order_id) => {
                write!(f, "Credit for order {order_id} was already released.")
            }
            CustomerError::NothingReserved(order_id) => write!(
                f,
                "No credit is reserved for order {order_id}, so there is none to release."
            ),
            CustomerError::LimitUnchanged(limit) => {
                write!(f, "The credit limit is {limit} already.")
            }
            CustomerError::LimitBelowReserved {
                new_limit,
                reserved,
            } => write!(
                f,
                "A credit limit of {new_limit} is below the {reserved} already reserved: cancel orders first, or choose a limit of at least {reserved}."
            ),
            CustomerError::Deleted => {
                f.write_str("The customer was deleted: it takes no more changes.")
            }
        }
    }
}

impl std::error::Error for CustomerError {}

/// The Customer aggregate.
pub struct CustomerDecider;

impl CustomerDecider {
    fn create(name: &str, credit_limit: Money) -> Result<Vec<CustomerEvent>, CustomerError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(CustomerError::EmptyName);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(CustomerError::NameTooLong);
        }
        if let Some(found) = crate::text::refused_in_names(name) {
            return Err(CustomerError::NameNotPlain(found));
        }
        if !credit_limit.is_positive() {
            return Err(CustomerError::CreditLimitNotPositive(credit_limit));
        }
        Ok(vec![CustomerEvent::Created(CustomerCreated {
            name: name.to_string(),
            credit_limit,
        })])
    }

    /// Reserving credit: a deleted customer refuses every new order, but a duplicate request is
    /// recognised first, whatever became of the customer since.
    fn reserve(
        customer: &Customer,
        deleted: bool,
        order_id: &OrderId,
        amount: Money,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        if !amount.is_positive() {
            return Err(CustomerError::AmountNotPositive(amount));
        }
        if customer.reservations.contains_key(order_id) {
            return Err(CustomerError::AlreadyReserved(order_id.clone()));
        }
        if customer.released.contains(order_id) {
            return Err(CustomerError::AlreadyReleased(order_id.clone()));
        }
        let order_id = order_id.clone();
        if deleted {
            return Ok(vec![CustomerEvent::CreditReservationRefused(
                CreditReservationRefused { order_id, amount },
            )]);
        }
        let available = customer.available_credit();
        if amount <= available {
            Ok(vec![CustomerEvent::CreditReserved(CreditReserved {
                order_id,
                amount,
            })])
        } else {
            Ok(vec![CustomerEvent::CreditLimitExceeded(
                CreditLimitExceeded {
                    order_id,
                    amount,
                    available,
                },
            )])
        }
    }

    /// Releasing works for a deleted customer too: the cancelled order's credit is free again either
    /// way, and the books stay true.
    fn release(
        customer: &Customer,
        order_id: &OrderId,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        match customer.reservations.get(order_id) {
            Some(amount) => Ok(vec![CustomerEvent::CreditReleased(CreditReleased {
                order_id: order_id.clone(),
                amount: *amount,
            })]),
            None if customer.released.contains(order_id) => {
                Err(CustomerError::AlreadyReleased(order_id.clone()))
            }
            None => Err(CustomerError::NothingReserved(order_id.clone())),
        }
    }

    /// A new limit must be positive and must still cover what is reserved: lowering it below the
    /// reservations is refused rather than allowed, so that "reserved ≤ limit", the rule the seed's
    /// credit check exists for, holds at every version of the Customer, and available credit is
    /// never negative.
    fn change_limit(
        customer: &Customer,
        new_limit: Money,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        if !new_limit.is_positive() {
            return Err(CustomerError::CreditLimitNotPositive(new_limit));
        }
        if new_limit == customer.credit_limit {
            return Err(CustomerError::LimitUnchanged(new_limit));
        }
        let reserved = customer.reserved();
        if new_limit < reserved {
            return Err(CustomerError::LimitBelowReserved {
                new_limit,
                reserved,
            });
        }
        Ok(vec![CustomerEvent::CreditLimitChanged(
            CreditLimitChanged { new_limit },
        )])
    }
}

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
            (CustomerCommand::Create { name, credit_limit }, CustomerState::Absent) => {
                Self::create(name, *credit_limit)
            }
            // The id stays taken after a deletion: the stream is still there to read.
            (
                CustomerCommand::Create { .. },
                CustomerState::Active(_) | CustomerState::Deleted(_),
            ) => Err(CustomerError::AlreadyExists),
            (
                CustomerCommand::ReserveCredit { .. }
                | CustomerCommand::ReleaseCredit { .. }
                | CustomerCommand::ChangeCreditLimit { .. }
                | CustomerCommand::Delete,
                CustomerState::Absent,
            ) => Err(CustomerError::NotFound),
            (CustomerCommand::ReserveCredit { order_id, amount }, CustomerState::Active(c)) => {
                Self::reserve(c, false, order_id, *amount)
            }
            (CustomerCommand::ReserveCredit { order_id, amount }, CustomerState::Deleted(c)) => {
                Self::reserve(c, true, order_id, *amount)
            }
            (
                CustomerCommand::ReleaseCredit { order_id },
                CustomerState::Active(c) | CustomerState::Deleted(c),
            ) => Self::release(c, order_id),
            (CustomerCommand::ChangeCreditLimit { new_limit }, CustomerState::Active(c)) => {
                Self::change_limit(c, *new_limit)
            }
            (CustomerCommand::Delete, CustomerState::Active(_)) => Ok(vec![CustomerEvent::Deleted]),
            (
                CustomerCommand::ChangeCreditLimit { .. } | CustomerCommand::Delete,
                CustomerState::Deleted(_),
            ) => Err(CustomerError::Deleted),
        }
    }

    fn evolve(state: CustomerState, event: &CustomerEvent) -> CustomerState {
        match event {
            CustomerEvent::Created(created) => CustomerState::Active(Customer {
                name: created.name.clone(),
                credit_limit: created.credit_limit,
                reservations: BTreeMap::new(),
                released: BTreeSet::new(),
            }),
            CustomerEvent::CreditReserved(reserved) => state.map(|c| {
                c.reservations
                    .insert(reserved.order_id.clone(), reserved.amount);
            }),
            CustomerEvent::CreditLimitExceeded(_) | CustomerEvent::CreditReservationRefused(_) => {
                state
            }
            CustomerEvent::CreditReleased(released) => state.map(|c| {
                c.reservations.remove(&released.order_id);
                c.released.insert(released.order_id.clone());
            }),
            CustomerEvent::CreditLimitChanged(changed) => {
                state.map(|c| c.credit_limit = changed.new_limit)
            }
            CustomerEvent::Deleted => match state {
                CustomerState::Absent => CustomerState::Absent,
                CustomerState::Active(c) | CustomerState::Deleted(c) => CustomerState::Deleted(c),
            },
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
        let markup = CustomerCommand::Create {
            name: "<b>Ada</b>".into(),
            credit_limit: Money::from_cents(1),
        };
        assert_eq!(
            check(&[], markup),
            Err(CustomerError::NameNotPlain("\u{201c}<\u{201d}".into()))
        );
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

    fn released(order: &str, cents: i64) -> CustomerEvent {
        CustomerEvent::CreditReleased(CreditReleased {
            order_id: OrderId::new(order),
            amount: Money::from_cents(cents),
        })
    }

    fn release(order: &str) -> CustomerCommand {
        CustomerCommand::ReleaseCredit {
            order_id: OrderId::new(order),
        }
    }

    fn change_limit(cents: i64) -> CustomerCommand {
        CustomerCommand::ChangeCreditLimit {
            new_limit: Money::from_cents(cents),
        }
    }

    fn limit_changed(cents: i64) -> CustomerEvent {
        CustomerEvent::CreditLimitChanged(CreditLimitChanged {
            new_limit: Money::from_cents(cents),
        })
    }

    fn available_after(given: &[CustomerEvent]) -> Option<Money> {
        fold::<CustomerDecider>(CustomerState::Absent, given)
            .customer()
            .map(Customer::available_credit)
    }

    #[test]
    fn it_should_release_the_credit_of_a_cancelled_order() {
        let given = [created(100), reserved("o1", 60)];
        assert_eq!(check(&given, release("o1")), Ok(vec![released("o1", 60)]));
        assert_eq!(
            available_after(&[created(100), reserved("o1", 60), released("o1", 60)]),
            Some(Money::from_cents(100))
        );
    }

    #[test]
    fn it_should_refuse_to_release_credit_it_does_not_hold() {
        assert_eq!(
            check(&[created(100)], release("o1")),
            Err(CustomerError::NothingReserved(OrderId::new("o1")))
        );
        let given = [created(100), reserved("o1", 60), released("o1", 60)];
        assert_eq!(
            check(&given, release("o1")),
            Err(CustomerError::AlreadyReleased(OrderId::new("o1")))
        );
        assert_eq!(check(&[], release("o1")), Err(CustomerError::NotFound));
    }

    #[test]
    fn a_late_duplicate_does_not_reserve_a_released_order_again() {
        let given = [created(100), reserved("o1", 60), released("o1", 60)];
        assert_eq!(
            check(&given, reserve("o1", 60)),
            Err(CustomerError::AlreadyReleased(OrderId::new("o1")))
        );
    }

    #[test]
    fn it_should_change_the_limit_to_any_positive_amount_that_covers_the_reservations() {
        let given = [created(100), reserved("o1", 60)];
        assert_eq!(check(&given, change_limit(60)), Ok(vec![limit_changed(60)]));
        assert_eq!(
            check(&given, change_limit(500)),
            Ok(vec![limit_changed(500)])
        );
        assert_eq!(
            available_after(&[created(100), reserved("o1", 60), limit_changed(500)]),
            Some(Money::from_cents(440))
        );
    }

    #[test]
    fn a_limit_below_what_is_reserved_is_refused() {
        let given = [created(100), reserved("o1", 60)];
        let refused = check(&given, change_limit(59));
        assert_eq!(
            refused,
            Err(CustomerError::LimitBelowReserved {
                new_limit: Money::from_cents(59),
                reserved: Money::from_cents(60)
            })
        );
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err("A credit limit of $0.59 is below the $0.60 already reserved: cancel orders first, or choose a limit of at least $0.60.".to_string())
        );
    }

    #[test]
    fn a_limit_that_is_not_positive_or_not_new_is_refused() {
        assert_eq!(
            check(&[created(100)], change_limit(0)),
            Err(CustomerError::CreditLimitNotPositive(Money::ZERO))
        );
        assert_eq!(
            check(&[created(100)], change_limit(-1)),
            Err(CustomerError::CreditLimitNotPositive(Money::from_cents(-1)))
        );
        assert_eq!(
            check(&[created(100)], change_limit(100)),
            Err(CustomerError::LimitUnchanged(Money::from_cents(100)))
        );
        assert_eq!(check(&[], change_limit(100)), Err(CustomerError::NotFound));
    }

    #[test]
    fn it_should_delete_a_customer_once() {
        assert_eq!(
            check(&[created(100)], CustomerCommand::Delete),
            Ok(vec![CustomerEvent::Deleted])
        );
        assert_eq!(
            check(
                &[created(100), CustomerEvent::Deleted],
                CustomerCommand::Delete
            ),
            Err(CustomerError::Deleted)
        );
        assert_eq!(
            check(&[], CustomerCommand::Delete),
            Err(CustomerError::NotFound)
        );
    }

    #[test]
    fn a_deleted_customer_stays_readable_and_its_id_stays_taken() {
        let given = [created(100), reserved("o1", 60), CustomerEvent::Deleted];
        let state = fold::<CustomerDecider>(CustomerState::Absent, &given);
        assert!(state.is_deleted());
        assert_eq!(state.customer().map(|c| c.name.as_str()), Some("Ada"));
        assert_eq!(available_after(&given), Some(Money::from_cents(40)));
        let create = CustomerCommand::Create {
            name: "Ada".into(),
            credit_limit: Money::from_cents(100),
        };
        assert_eq!(check(&given, create), Err(CustomerError::AlreadyExists));
    }

    #[test]
    fn a_deleted_customer_refuses_credit_to_new_orders_without_changing_state() {
        let given = [created(100), CustomerEvent::Deleted];
        let refused = CustomerEvent::CreditReservationRefused(CreditReservationRefused {
            order_id: OrderId::new("o2"),
            amount: Money::from_cents(10),
        });
        assert_eq!(check(&given, reserve("o2", 10)), Ok(vec![refused.clone()]));
        let before = fold::<CustomerDecider>(CustomerState::Absent, &given);
        assert_eq!(CustomerDecider::evolve(before.clone(), &refused), before);
    }

    #[test]
    fn a_deleted_customer_still_recognises_a_duplicate_and_releases_a_cancelled_order() {
        let given = [created(100), reserved("o1", 60), CustomerEvent::Deleted];
        assert_eq!(
            check(&given, reserve("o1", 60)),
            Err(CustomerError::AlreadyReserved(OrderId::new("o1")))
        );
        assert_eq!(check(&given, release("o1")), Ok(vec![released("o1", 60)]));
        assert_eq!(
            check(&given, change_limit(500)),
            Err(CustomerError::Deleted)
        );
    }

    #[test]
    fn evolve_is_total_over_a_customer_that_was_never_created() {
        let stray = [
            reserved("o1", 1),
            released("o1", 1),
            limit_changed(5),
            CustomerEvent::Deleted,
        ];
        assert_eq!(
            fold::<CustomerDecider>(CustomerState::Absent, &stray),
            CustomerState::Absent
        );
    }
}
